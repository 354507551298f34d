"""Interrupted and broken training: kill -9 then --resume, NaN losses, and seeded reproducibility."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from midi_factory import random_walks

from jazz.cli import main
from jazz.report.plots import read_history

TINY = ["--seq-len", "32", "--batch-size", "8", "--hidden", "32", "--layers", "1", "--embedding", "16",
        "--patience", "20"]


@pytest.fixture(scope="module")
def melodies(tmp_path_factory):
    """Twelve random-walk melodies: enough music for a few dozen training steps per epoch."""
    return random_walks(tmp_path_factory.mktemp("melodies"), 12, 240)


def epochs_logged(out) -> list[int]:
    return sorted({int(row["epoch"]) for row in read_history(out / "history.csv")})


@pytest.mark.slow
def test_kill_9_mid_training_then_resume(melodies, tmp_path, monkeypatch):
    monkeypatch.setenv("JAZZ_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "run"
    command = [sys.executable, "-m", "jazz.cli", "train", str(melodies), "--out", str(out), "--epochs", "8", *TINY]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy())
    deadline = time.time() + 240
    while len(epochs_logged(out)) < 2 and process.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    assert process.poll() is None, "training finished before it could be killed; make the run longer"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    killed_at = len(epochs_logged(out))
    assert 2 <= killed_at < 8 and not (out / "model.keras").exists()
    assert main(["train", str(melodies), "--out", str(out), "--epochs", "8", *TINY, "--resume"]) == 0
    assert epochs_logged(out) == list(range(8))  # every epoch once: continued, not restarted
    resumed = json.loads((out / "config.json").read_text())["result"]

    fresh = tmp_path / "fresh"
    assert main(["train", str(melodies), "--out", str(fresh), "--epochs", "8", *TINY]) == 0
    uninterrupted = json.loads((fresh / "config.json").read_text())["result"]
    assert resumed["val_bits_per_note"] == pytest.approx(uninterrupted["val_bits_per_note"], rel=0.1)
    assert not list(out.glob(".*.tmp*")), "temporary files left behind"


def test_same_seed_gives_the_same_first_epoch(melodies, tmp_path, monkeypatch):
    monkeypatch.setenv("JAZZ_CACHE_DIR", str(tmp_path / "cache"))
    losses = []
    for name in ("a", "b"):
        assert main(["train", str(melodies), "--out", str(tmp_path / name), "--epochs", "1", *TINY]) == 0
        losses.append(read_history(tmp_path / name / "history.csv")[0]["loss"])
    assert losses[0] == pytest.approx(losses[1], rel=1e-5)


def test_nan_loss_stops_with_a_clear_message(melodies, tmp_path, monkeypatch, capsys):
    import keras

    import jazz.model.train

    monkeypatch.setenv("JAZZ_CACHE_DIR", str(tmp_path / "cache"))

    def poisoned(model, cfg, steps_per_epoch=1):  # a loss that is NaN from the first batch
        sparse = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        model.compile(optimizer="adam", loss=lambda y, p: sparse(y, p) * keras.ops.log(-1.0))

    monkeypatch.setattr(jazz.model.train, "compile_model", poisoned)
    code = main(["train", str(melodies), "--out", str(tmp_path / "nan"), "--epochs", "3", *TINY])
    err = capsys.readouterr().err
    assert code == 2
    assert "NaN" in err and "lower --lr" in err and "no model was saved" in err
    assert not (tmp_path / "nan" / "model.keras").exists()


def test_existing_model_needs_resume_or_force(melodies, tmp_path, capsys):
    out = tmp_path / "m"
    out.mkdir()
    (out / "model.keras").write_bytes(b"old")
    assert main(["train", str(melodies), "--out", str(out), "--epochs", "1", *TINY]) == 2
    assert "--resume" in capsys.readouterr().err
    assert (out / "model.keras").read_bytes() == b"old"


def test_time_limit_stops_after_the_first_epoch_past_it(melodies, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("JAZZ_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "limited"
    assert main(["train", str(melodies), "--out", str(out), "--epochs", "5", *TINY, "--max-minutes", "0.0001"]) == 0
    assert epochs_logged(out) == [0] and (out / "model.keras").exists()
    assert "time limit" in capsys.readouterr().err
    assert main(["train", str(melodies), "--out", str(tmp_path / "x"), "--max-minutes", "0", *TINY]) == 2


def test_resume_with_nothing_to_resume_starts_a_new_run(melodies, tmp_path, capsys):
    """A job script that always passes --resume works on its first run too."""
    out = tmp_path / "m"
    assert main(["train", str(melodies), "--out", str(out), "--epochs", "1", *TINY, "--resume"]) == 0
    assert "nothing to resume" in capsys.readouterr().err
    assert (out / "model.keras").exists()


def test_one_long_solo_is_a_corpus(melodies, tmp_path):
    """A single file trains on its start and validates on its end."""
    out = tmp_path / "one"
    assert main(["train", str(melodies / "walk_00.mid"), "--out", str(out), "--epochs", "1", *TINY]) == 0
    split = json.loads((out / "config.json").read_text())["split"]
    assert split == {"train": ["walk_00 (start)"], "validation": ["walk_00 (end)"]}
