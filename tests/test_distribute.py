"""Distributed training on the CPU: two logical devices in one process, and two worker processes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from midi_factory import random_walks

from jazz.cli import main
from jazz.report.plots import read_history

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--seq-len", "32", "--batch-size", "8", "--hidden", "32", "--layers", "1", "--embedding", "16",
        "--patience", "20", "--no-augment", "--seed", "0"]
RUN_TIMEOUT_S = 300


@pytest.fixture(scope="module")
def melodies(tmp_path_factory):
    """Eight random-walk melodies: a few dozen training steps per epoch."""
    return random_walks(tmp_path_factory.mktemp("melodies"), 8, 160)


def jazz_train(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    """`jazz train` in a fresh process (logical devices must be set before the backend starts)."""
    return subprocess.Popen([sys.executable, "-m", "jazz.cli", "train", *args], cwd=ROOT, env=os.environ | env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish(process: subprocess.Popen) -> str:
    try:
        output, _ = process.communicate(timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        pytest.fail(f"training did not finish in {RUN_TIMEOUT_S} s:\n{output[-3000:]}")
    assert process.returncode == 0, output[-3000:]
    return output


def val_losses(out: Path) -> list[float]:
    return [row["val_loss"] for row in read_history(out / "history.csv")]


def test_two_logical_cpu_devices_match_one_device(melodies, tmp_path, monkeypatch):
    """Same seed and global batch, one epoch: the validation loss agrees within 2%."""
    monkeypatch.setenv("JAZZ_CACHE_DIR", str(tmp_path / "cache"))
    one, two = tmp_path / "one", tmp_path / "two"
    assert main(["train", str(melodies), "--out", str(one), "--epochs", "1", *TINY]) == 0
    finish(jazz_train([str(melodies), "--out", str(two), "--epochs", "1", "--distribute", *TINY],
                      {"JAZZ_CPU_DEVICES": "2", "JAZZ_CACHE_DIR": str(tmp_path / "cache")}))
    assert val_losses(two)[0] == pytest.approx(val_losses(one)[0], rel=0.02)
    spread = json.loads((two / "config.json").read_text())["distribution"]
    assert spread["engine"] == "tf.distribute.MirroredStrategy"
    assert (spread["replicas"], spread["device_count"], spread["workers"]) == (2, 2, 1)
    assert (spread["global_batch"], spread["per_replica_batch"]) == (8, 4)
    assert "2 replicas" in (two / "card.md").read_text()
    assert json.loads((one / "config.json").read_text())["distribution"]["replicas"] == 1
    assert (two / "model.keras").exists() and (two / "checkpoints" / "best.weights.h5").exists()


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def two_workers(melodies: Path, outs: list[Path], extra: list[str], cache: Path) -> list[str]:
    """Run worker 0 (the chief) and worker 1 of one MultiWorkerMirroredStrategy cluster on localhost."""
    cluster = {"worker": [f"localhost:{port}" for port in free_ports(2)]}
    processes = [jazz_train([str(melodies), "--out", str(out), "--distribute", *TINY, *extra],
                            {"TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}}),
                             "JAZZ_CACHE_DIR": str(cache)})
                 for i, out in enumerate(outs)]
    return [finish(p) for p in processes]


@pytest.mark.slow
def test_two_worker_processes_train_and_resume(melodies, tmp_path):
    chief, other = tmp_path / "chief", tmp_path / "other"
    logs = two_workers(melodies, [chief, other], ["--epochs", "1"], tmp_path / "cache")
    assert (chief / "model.keras").exists() and not other.exists(), "only the chief writes the model folder"
    assert "the chief worker writes the model" in logs[1]
    spread = json.loads((chief / "config.json").read_text())["distribution"]
    assert (spread["engine"], spread["replicas"], spread["workers"]) == (
        "tf.distribute.MultiWorkerMirroredStrategy", 2, 2)

    # on a shared disk both workers name the same folder; --resume continues from the chief's checkpoint
    two_workers(melodies, [chief, chief], ["--epochs", "2", "--resume", "--max-minutes", "60"], tmp_path / "cache")
    assert [int(row["epoch"]) for row in read_history(chief / "history.csv")] == [0, 1]
    assert sorted(p.name for p in chief.iterdir()) == sorted(
        ["card.md", "checkpoints", "config.json", "curves.png", "history.csv", "model.keras", "tokenizer.json"])


def test_jax_data_parallel_over_two_cpu_devices(melodies, tmp_path):
    pytest.importorskip("jax", reason="the JAX backend is not installed here")
    out = tmp_path / "jax"
    finish(jazz_train([str(melodies), "--out", str(out), "--epochs", "1", "--distribute", *TINY],
                      {"KERAS_BACKEND": "jax", "JAZZ_CPU_DEVICES": "2", "JAZZ_CACHE_DIR": str(tmp_path / "cache")}))
    spread = json.loads((out / "config.json").read_text())["distribution"]
    assert (spread["engine"], spread["replicas"]) == ("keras.distribution.DataParallel", 2)


# -- any number of windows: a real slice of the corpus whose last batches split unevenly -------------------

UNEVEN = ["--seq-len", "56", "--batch-size", "32", "--hidden", "16", "--layers", "1", "--embedding", "8",
          "--patience", "20", "--no-augment", "--seed", "0", "--epochs", "1"]


@pytest.fixture
def six_solos(wjazzd_midi):
    """Six WJazzD solos: with windows of 56 tokens, 146 training windows and 25 validation windows, so the
    one validation batch (25 windows) does not split evenly over two replicas."""
    return [str(p) for p in sorted(wjazzd_midi.glob("*.mid"))[:6]]


def test_padded_batches_score_every_window_once(melodies):
    """Over two replicas every batch splits evenly; the windows of weight > 0 are those of one device, and
    each batch's weighted mean is its windows' mean."""
    from jazz.model.tokens import Tokenizer
    from jazz.model.train import WindowData

    solos = __import__("jazz.midi.corpus", fromlist=["load_corpus"]).load_corpus([melodies]).solos
    tokens = WindowData(solos, Tokenizer(), 32, 8, augment=False, seed=0).tokens_total
    seq_len = next(n for n in range(24, 48) if (tokens - 1) // n % 2)  # an odd last batch
    one = WindowData(solos, Tokenizer(), seq_len, 8, augment=False, seed=0)
    two = WindowData(solos, Tokenizer(), seq_len, 8, augment=False, seed=0, multiple=2)
    assert len(one) == len(two)
    sums, rows, real_values = 0.0, 0, []
    for i in range(len(one)):
        _, y_one = one[i]
        _, y_two, weights = two[i]
        assert len(y_two) % 2 == 0
        real = weights[:, 0] > 0
        assert (y_two[real] == y_one).all()
        values = np.random.default_rng(i).random(y_two.shape)  # any per-token loss
        values[~real] = 99.0
        sums += (values * weights).mean() * len(y_two)  # as Keras averages the batch means: by rows
        rows += len(y_two)
        real_values.append(values[real])
    assert rows > one.windows, "no batch was padded"
    assert sums / rows == pytest.approx(np.concatenate(real_values).mean(), rel=1e-6)


def test_tensorflow_trains_a_real_slice_with_uneven_batches(six_solos, tmp_path, monkeypatch):
    monkeypatch.setenv("JAZZ_CACHE_DIR", str(tmp_path / "cache"))
    one, two = tmp_path / "one", tmp_path / "two"
    assert main(["train", *six_solos, "--out", str(one), *UNEVEN]) == 0
    finish(jazz_train([*six_solos, "--out", str(two), "--distribute", *UNEVEN],
                      {"JAZZ_CPU_DEVICES": "2", "JAZZ_CACHE_DIR": str(tmp_path / "cache")}))
    assert val_losses(two)[0] == pytest.approx(val_losses(one)[0], rel=0.02)  # as above: replicas train alike


def test_jax_trains_a_real_slice_with_uneven_batches(six_solos, tmp_path):
    pytest.importorskip("jax", reason="the JAX backend is not installed here (pip install 'jazz[jax]')")
    one, two = tmp_path / "one", tmp_path / "two"
    runs = [jazz_train([*six_solos, "--out", str(one), *UNEVEN],  # side by side: each compiles mostly on one core
                       {"KERAS_BACKEND": "jax", "JAZZ_CACHE_DIR": str(tmp_path / "cache1")}),
            jazz_train([*six_solos, "--out", str(two), "--distribute", *UNEVEN],
                       {"KERAS_BACKEND": "jax", "JAZZ_CACHE_DIR": str(tmp_path / "cache2"), "JAZZ_CPU_DEVICES": "2"})]
    for run in runs:
        finish(run)
    assert json.loads((two / "config.json").read_text())["distribution"]["replicas"] == 2
    assert val_losses(two)[0] == pytest.approx(val_losses(one)[0], rel=0.002)  # the same windows, all of them


def test_a_missing_backend_is_one_sentence(tmp_path):
    """Keras imports the backend that KERAS_BACKEND names; without it, the pip command to get it."""
    code = "import sys; sys.modules['jax'] = None; from jazz.cli import main; sys.exit(main(sys.argv[1:]))"
    done = subprocess.run([sys.executable, "-c", code, "generate", "--out", str(tmp_path / "solos")], cwd=ROOT,
                          env=os.environ | {"KERAS_BACKEND": "jax"}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stderr.strip().splitlines()[-1] == (
        "jazz generate: KERAS_BACKEND=jax needs jax, which is not installed: `pip install 'jazz[jax]'` "
        "(or unset KERAS_BACKEND for TensorFlow)")
