"""The command line's answers to a user's mistakes: one sentence, exit status 2, no traceback, nothing
written; on a tiny untrained model, so none of this needs the shared corpus."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import mido
import pytest
from midi_factory import untrained_model

from jazz.cli import main
from jazz.model.tokens import Tokenizer

TOK = Tokenizer()


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """An untrained chord-aware model folder: enough for everything but musical quality."""
    return untrained_model(tmp_path_factory.mktemp("tiny_model"))


def run(argv: list[str]) -> int:
    """The exit status of `jazz ARGV`, whether main returns it or argparse exits with it."""
    try:
        return main(argv)
    except SystemExit as exit_info:
        return int(exit_info.code)


@pytest.mark.parametrize("argv, message", [
    (["corpus", "/no/such/folder"], "does not exist"),
    (["train", "/no/such/folder", "--out", "{tmp}/m"], "does not exist"),
    (["train", "{tmp}", "--out", "{tmp}/m"], "no .mid or .midi files"),
    (["train", "--cell", "bogus", "--out", "{tmp}/m"], "invalid choice: 'bogus'"),
    (["train", "--val-split", "1.5", "--out", "{tmp}/m"], "--val-split must be between 0 and 1"),
    (["train", "--max-minutes", "-3", "--out", "{tmp}/m"], "--max-minutes must be a positive number"),
    (["train", "--max-files", "0", "--out", "{tmp}/m"], "--max-files must be at least 1"),
    (["generate", "--model", "{tmp}", "--out", "{tmp}/o"], "has no model.keras"),
    (["generate", "--model", "{model}/model.keras", "--out", "{tmp}/o"], "is a file"),
    (["generate", "--model", "{tmp}/none", "--out", "{tmp}/o"], "does not exist"),
    (["generate", "--model", "{model}", "--out", "{tmp}/o", "--bars", "0"], "--bars must be at least 1"),
    (["generate", "--model", "{model}", "--out", "{tmp}/o", "--temperature", "-1"], "temperature must not be negative"),
    (["generate", "--model", "{model}", "--out", "{tmp}/o", "--motif-memory", "-0.5"], "must not be negative"),
    (["generate", "--model", "{model}", "--out", "{tmp}/o", "--primer", "/no/primer.mid"], "does not exist"),
    (["generate", "--model", "{model}", "--out", "{tmp}/o", "--chords", "| Dm7 | Gx7 |"], "Gx7"),
    (["generate", "--model", "{model}", "--out", "{tmp}/o", "--tune", "nope"], "unknown tune"),
    (["generate", "--model", "{model}", "--out", "{tmp}/o", "--meter", "four"], "is not a time signature"),
    (["generate", "--model", "{model}", "--out", "{tmp}/o", "--chords", "| C7 | F7 |", "--meter", "11/8"],
     "cannot play 11/8"),
    (["generate", "--model", "{model}", "--out", "{tmp}/o", "--meter", "7/4"], "no built-in tune is in 7/4"),
    (["generate", "--model", "{model}", "--out", "{tmp}/o", "--changes", "{tmp}/no-chart.txt"], "no-chart.txt"),
    (["generate", "--model", "{model}", "--out", "{tmp}/file.txt/o"], "cannot write solos"),
    (["evaluate", "--model", "{model}", "/no/such/solos"], "does not exist"),
    (["evaluate", "--model", "{model}", "{tmp}", "--baseline", "/no/such/corpus"], "does not exist"),
    (["evaluate", "--model", "{model}", "{tmp}", "--split", "test"], "none of the 41 solos of the split is in"),
    (["evaluate", "--model", "{model}", "{tmp}", "--split", "validation"], "names no validation split"),
    (["evaluate", "--model", "{model}", "{tmp}", "--split", "train"], "invalid choice: 'train'"),
    (["evaluate", "--model", "{model}", "{tmp}", "--draws", "0"], "must be at least 1"),
])
def test_user_errors_exit_2_with_one_sentence(argv, message, model, tmp_path, capsys):
    (tmp_path / "file.txt").write_text("not a folder")
    argv = [a.format(tmp=tmp_path, model=model) for a in argv]
    assert run(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "Traceback" not in err and len(err.splitlines()) == 1, err
    assert not (tmp_path / "o").exists() and not (tmp_path / "m" / "model.keras").exists()


def test_without_changes_a_chord_model_plays_a_tune_in_the_asked_meter(model, tmp_path, capsys):
    assert run(["generate", "--model", str(model), "--out", str(tmp_path), "--meter", "3/4", "--bars", "6",
                "--no-band"]) == 0
    midi = mido.MidiFile(tmp_path / "solo_001.mid")
    meters = {(m.numerator, m.denominator) for m in midi.tracks[0] if m.type == "time_signature"}
    assert meters == {(3, 4)}
    assert "no --chords or --tune given" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["train", "generate", "evaluate", "corpus", "changes", "import-weimar", "bench"])
def test_every_command_prints_its_help(command, capsys):
    assert run([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert f"usage: jazz {command}" in out
    if command in ("train", "generate"):
        assert "(default" in out  # the defaults come from jazz.settings and are shown


def test_the_bundled_model_loads_in_a_fresh_process():
    """Nothing but load_bundle is imported: it must register every custom layer the saved model uses."""
    code = "from jazz.model.bundle import load_bundle; print(load_bundle().model.count_params())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stderr[-500:]
    assert int(done.stdout.split()[-1]) > 100_000
