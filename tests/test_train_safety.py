"""Training loses nothing: a full disk (a real tmpfs), two runs into one folder, kill -9, Ctrl-C, --resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from midi_factory import random_walks

from jazz.cli import main
from jazz.model.checkpoints import last_epoch
from jazz.report.plots import read_history

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--seq-len", "32", "--batch-size", "8", "--hidden", "64", "--layers", "1", "--embedding", "16",
        "--patience", "20", "--seed", "0"]
WAIT_S = 240


@pytest.fixture(scope="module")
def melodies(tmp_path_factory):
    return random_walks(tmp_path_factory.mktemp("melodies"), 12, 240)


def train_process(melodies: Path, out: Path, epochs: int, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "jazz.cli", "train", str(melodies), "--out", str(out),
                             "--epochs", str(epochs), *TINY, *extra], cwd=ROOT, env=os.environ.copy(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(condition, process: subprocess.Popen) -> None:
    deadline = time.time() + WAIT_S
    while not condition():
        assert process.poll() is None, f"training ended early: {process.communicate()[1][-2000:]}"
        assert time.time() < deadline, "training did not get there in time"
        time.sleep(0.05)


def test_a_full_disk_keeps_the_last_checkpoint_and_resumes(melodies, tmpfs, tmp_path, monkeypatch):
    """A 2 MB disk takes the first epoch's checkpoints, not the second's: one sentence, exit 2, no segfault,
    no temporary files; once there is room, --resume continues from epoch 1."""
    monkeypatch.setenv("JAZZ_CACHE_DIR", str(tmp_path / "cache"))
    disk = tmpfs("2m")
    out = disk / "run"
    process = train_process(melodies, out, 4)
    _, err = process.communicate(timeout=WAIT_S)
    assert process.returncode == 2, err[-2000:]  # not 139 (segfault) nor 1 (internal error)
    last = err.strip().splitlines()[-1]
    assert "no space left on the disk for" in last and "latest.weights.h5" in last, last
    assert "checkpoint after epoch 1 is kept" in last and "--resume" in last and ".tmp" not in last
    assert "Traceback" not in err and "Exception ignored" not in err
    assert not list(out.rglob(".*tmp*")), "temporary files left behind"
    assert last_epoch(out / "checkpoints" / "resume") == 1
    assert [int(r["epoch"]) for r in read_history(out / "history.csv")] == [0]

    subprocess.run(["mount", "-o", "remount,size=20m", str(disk)], check=True)
    assert main(["train", str(melodies), "--out", str(out), "--epochs", "4", *TINY, "--resume"]) == 0
    assert [int(r["epoch"]) for r in read_history(out / "history.csv")] == [0, 1, 2, 3]
    assert (out / "model.keras").exists()


def test_two_runs_into_one_folder_and_a_stale_lock(melodies, tmp_path, monkeypatch, capsys):
    """Started a second apart, one run trains and the other is refused naming its process; after a kill -9
    the lock it left is taken over."""
    monkeypatch.setenv("JAZZ_CACHE_DIR", str(tmp_path / "cache"))
    main(["corpus", str(melodies)])  # a warm parse cache: both runs start alike
    out = tmp_path / "run"
    first = train_process(melodies, out, 3, "--hidden", "64")
    time.sleep(1)
    second = train_process(melodies, out, 3, "--hidden", "128")
    results = {p.pid: (p.communicate(timeout=WAIT_S), p.returncode) for p in (first, second)}
    codes = sorted(code for _, code in results.values())
    assert codes == [0, 2], {pid: (code, err[-1500:]) for pid, ((_, err), code) in results.items()}
    winner = next(pid for pid, (_, code) in results.items() if code == 0)
    refused = next(err for (_, err), code in results.values() if code == 2)
    assert f"is in use by another jazz run (process {winner})" in refused

    killed = train_process(melodies, tmp_path / "killed", 200)
    wait_for(lambda: (tmp_path / "killed" / ".jazz.lock").exists(), killed)
    capsys.readouterr()
    assert main(["train", str(melodies), "--out", str(tmp_path / "killed"), "--epochs", "1", *TINY]) == 2
    assert f"process {killed.pid}" in capsys.readouterr().err
    os.kill(killed.pid, signal.SIGKILL)
    killed.communicate()
    assert (tmp_path / "killed" / ".jazz.lock").exists(), "kill -9 leaves the lock file behind"
    assert main(["train", str(melodies), "--out", str(tmp_path / "killed"), "--epochs", "1", *TINY, "--force"]) == 0
    assert not (tmp_path / "killed" / ".jazz.lock").exists()


def test_ctrl_c_says_how_to_resume_and_a_rerun_must_choose(melodies, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("JAZZ_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "run"
    process = train_process(melodies, out, 200)
    wait_for(lambda: last_epoch(out / "checkpoints" / "resume") >= 1, process)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=WAIT_S)
    assert process.returncode == 130, err[-2000:]
    said = err.strip().splitlines()[-1]
    assert said.startswith("jazz train: interrupted; the checkpoint after epoch") and "--resume" in said, said
    done = last_epoch(out / "checkpoints" / "resume")

    capsys.readouterr()
    assert main(["train", str(melodies), "--out", str(out), "--epochs", "3", *TINY]) == 2  # not silently restarted
    said = capsys.readouterr().err
    assert "interrupted run" in said and "--resume" in said and "--force" in said
    assert last_epoch(out / "checkpoints" / "resume") == done, "the refused rerun touched the checkpoint"

    assert main(["train", str(melodies), "--out", str(out), "--epochs", str(done), *TINY, "--resume"]) == 2
    assert "nothing to resume" in capsys.readouterr().err and not (out / "model.keras").exists()  # interrupted too
    epochs = str(done + 1)
    assert main(["train", str(melodies), "--out", str(out), "--epochs", epochs, *TINY, "--resume"]) == 0
    assert int(read_history(out / "history.csv")[-1]["epoch"]) == done  # the one epoch more, after the checkpoint
    capsys.readouterr()
    assert main(["train", str(melodies), "--out", str(out), "--epochs", epochs, *TINY, "--resume"]) == 2
    assert "nothing to resume" in capsys.readouterr().err


def test_ctrl_c_during_training_is_a_flag_read_after_the_batch():
    """The signal cannot be lost inside the backend: it is remembered, raised after the batch, and a second
    Ctrl-C (or one after training) is Python's own again."""
    from jazz.model.train import CtrlC

    before = signal.getsignal(signal.SIGINT)
    with CtrlC() as ctrl_c:
        ctrl_c.on_train_batch_end(0)  # nothing asked: training goes on
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.01)
        assert ctrl_c.asked and signal.getsignal(signal.SIGINT) is before  # a second one acts at once
        with pytest.raises(KeyboardInterrupt):
            ctrl_c.on_test_batch_end(3)
    assert signal.getsignal(signal.SIGINT) is before
