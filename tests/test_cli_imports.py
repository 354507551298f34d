"""Help, listings and mistakes answer without loading TensorFlow or Keras: each runs in a fresh process,
which then reports the heavy packages it imported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHARTS = ROOT / "tests" / "charts"
SOLOS = ROOT / "tests" / "solos"
HEAVY = ("tensorflow", "keras", "jax", "torch")

# `jazz ARGV`, then the heavy packages it loaded, as JSON on the last line of stdout
PROBE = """
import json, sys
from jazz.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as leaving:
    code = leaving.code
print()
print(json.dumps({"code": code, "heavy": sorted({m.split(".")[0] for m in sys.modules} & set(%r))}))
""" % (HEAVY,)


def probe(argv: list[str], tmp_path: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    return json.loads(done.stdout.strip().splitlines()[-1]) | {"stderr": done.stderr}


@pytest.mark.parametrize("argv, code", [
    (["--help"], 0),
    (["generate", "--help"], 0),
    (["generate", "--list-tunes"], 0),
    (["live", "--list-ports"], None),  # 0 with a MIDI system, 2 (one sentence) without one
    (["changes", str(CHARTS)], 0),
    (["corpus", str(SOLOS), "--no-cache"], 0),
    (["generate", "--bogus"], 2),
    (["generate", "--out", "o", "--temperature", "-1"], 2),
    (["generate", "--out", "o", "--top-p", "0"], 2),
    (["generate", "--out", "o", "--tune", "nope"], 2),
    (["generate", "--out", "o", "--meter", "four"], 2),
    (["generate", "--list-tunes", "--bars", "x"], 2),
    (["train", "/no/such/folder", "--out", "m"], 2),
    (["train", "--val-split", "1.5", "--out", "m"], 2),
    (["train", "--dropout", "1", "--out", "m"], 2),
    (["evaluate", "/no/such/solos"], 2),
    (["bench", "--corpus", "/no/such/folder"], 2),
    (["live", "--trade", "0"], 2),
    (["lesson", "names", "--bogus"], 2),
])
def test_answers_without_tensorflow_or_keras(argv, code, tmp_path):
    result = probe(argv, tmp_path)
    assert result["heavy"] == [], f"jazz {' '.join(argv)} imported {result['heavy']}"
    if code is not None:
        assert result["code"] == code, result["stderr"][-300:]
    if result["code"] == 2:
        assert result["stderr"].strip().count("\n") == 0 and "Traceback" not in result["stderr"]


def test_the_probe_sees_keras_where_a_command_needs_it(tmp_path):
    """The probe can fail: a command that samples does import Keras."""
    result = probe(["generate", "--out", str(tmp_path / "o"), "--bars", "1", "--model", str(tmp_path / "none")],
                   tmp_path)
    assert result["code"] == 2 and "does not exist" in result["stderr"]
    assert "keras" in result["heavy"]
