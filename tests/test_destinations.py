"""Destinations are checked before the work and locked while it runs: generate --out and live --record."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import mido
import pytest
from midi_factory import random_walks, untrained_model

from jazz.cli import main

ROOT = Path(__file__).resolve().parents[1]
HOLD = ("import sys, time; from pathlib import Path; from jazz.files import output_lock; "
        "lock = output_lock(Path(sys.argv[1]), folder=sys.argv[2] == 'folder'); lock.__enter__(); "
        "print('held', flush=True); time.sleep(120)")


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return untrained_model(tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="module")
def player(tmp_path_factory):
    return next(random_walks(tmp_path_factory.mktemp("player"), 1, 60).glob("*.mid"))


def live(model: Path, player: Path, record: Path, *extra: str) -> int:
    return main(["live", "--model", str(model), "--input", str(player), "--record", str(record),
                 "--choruses", "1", "--tempo", "200", *extra])


def holder(path: Path, kind: str) -> subprocess.Popen:
    """Another process that holds the lock on ``path`` until killed."""
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(path), kind], cwd=ROOT, stdout=subprocess.PIPE,
                               text=True, env=os.environ | {"PYTHONPATH": str(ROOT)})
    assert process.stdout.readline().strip() == "held"
    return process


def test_generate_to_an_unwritable_place_is_refused_before_sampling(model, monkeypatch, capsys):
    monkeypatch.setattr("jazz.model.sample.sample", lambda *a, **k: pytest.fail("sampled before checking --out"))
    assert main(["generate", "--model", str(model), "--out", "/proc/x", "--bars", "4"]) == 2
    assert "cannot write solos to /proc/x: /proc does not take new files" in capsys.readouterr().err


def test_live_record_is_checked_before_the_session(model, player, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("jazz.live.command.Setup", lambda *a, **k: pytest.fail("the session started"))
    assert live(model, player, Path("/proc/take.mid")) == 2
    assert "cannot write the recording to /proc/take.mid" in capsys.readouterr().err
    existing = tmp_path / "take.mid"
    existing.write_bytes(b"an earlier take")
    assert live(model, player, existing) == 2
    assert f"{existing} already exists (use --force to overwrite)" in capsys.readouterr().err
    assert existing.read_bytes() == b"an earlier take"


def test_live_record_force_overwrites_and_a_held_lock_refuses(model, player, tmp_path, capsys):
    take = tmp_path / "take.mid"
    take.write_bytes(b"an earlier take")
    other = holder(take, "file")
    try:
        assert live(model, player, take, "--force") == 2
        assert f"{take} is in use by another jazz run (process {other.pid})" in capsys.readouterr().err
    finally:
        os.kill(other.pid, signal.SIGKILL)
        other.wait()
    assert live(model, player, take, "--force") == 0  # the stale lock of a killed process is taken over
    assert [t.name for t in mido.MidiFile(take).tracks][1:3] == ["Player", "jazz"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["take.mid"]


def test_generate_refuses_a_folder_in_use_and_recovers_a_stale_lock(model, tmp_path, capsys):
    out = tmp_path / "solos"
    other = holder(out, "folder")
    try:
        assert main(["generate", "--model", str(model), "--out", str(out), "--bars", "4"]) == 2
        assert f"{out} is in use by another jazz run (process {other.pid})" in capsys.readouterr().err
    finally:
        os.kill(other.pid, signal.SIGKILL)
        other.wait()
    assert (out / ".jazz.lock").exists()
    assert main(["generate", "--model", str(model), "--out", str(out), "--bars", "4"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["solo_001.mid"]
