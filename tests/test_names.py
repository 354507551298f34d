"""The character-level names exercise: training on real performer names and tune titles, sampling, the CLI."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from jazz.lessons import names as jn

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "jazz.lessons.names", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def wjazzd_names(wjazzd: Path) -> list[str]:
    """Every distinct performer and tune title in the Weimar Jazz Database metadata."""
    with open(wjazzd / "meta.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    found = {row[column].strip() for row in rows for column in ("performer", "title")}
    return sorted(name for name in found if name)


def test_encode_shifts_targets_by_one_step() -> None:
    vocab = jn.build_vocab(["ab", "ba"])
    assert vocab == ["\n", "a", "b"]
    index = {ch: i for i, ch in enumerate(vocab)}
    x, y = jn.encode("ab", index)
    assert x.shape == y.shape == (3, 1, 3)
    assert [int(i) for i in y[:, 0, :].argmax(axis=0)] == [1, 2, 0]  # a, b, end
    assert not x[:, 0, 0].any()  # the first input is the zero vector
    np.testing.assert_array_equal(x[:, :, 1:], y[:, :, :-1])


def test_training_on_jazz_names_lowers_the_loss_and_samples_new_names(wjazzd_names: list[str]) -> None:
    assert len(wjazzd_names) > 200
    params, vocab, history = jn.train(wjazzd_names, iterations=2000, seed=0, report_every=200)
    assert len(history) == 11
    assert history[0] == pytest.approx(np.log(len(vocab)))  # starts at the uniform guess
    assert history[-1] < 0.8 * history[0], history

    rng = np.random.default_rng(1)
    samples = [jn.sample(params, vocab, rng, max_length=40) for _ in range(30)]
    allowed = set(vocab) - {jn.END}
    for name in samples:
        assert 0 < len(name) <= 40 and set(name) <= allowed, repr(name)
    known = set(wjazzd_names)
    assert sum(name not in known for name in samples) >= 20, samples


def test_sampling_is_reproducible_with_a_seed(wjazzd_names: list[str]) -> None:
    params, vocab, _ = jn.train(wjazzd_names[:50], iterations=100, n_a=16, seed=3)
    first = [jn.sample(params, vocab, np.random.default_rng(7)) for _ in range(3)]
    again = [jn.sample(params, vocab, np.random.default_rng(7)) for _ in range(3)]
    assert first == again


def test_cli_trains_and_marks_new_samples(tmp_path: Path) -> None:
    names = ["Bird", "Trane", "Dizzy", "Monk", "Bud", "Miles", "Mingus", "Dolphy"]
    path = tmp_path / "names.txt"
    path.write_text("\n".join(names) + "\n\n", encoding="utf-8")
    result = run_cli(str(path), "--iterations", "300", "--hidden", "16", "--samples", "6", "--seed", "2")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    losses = [float(line.split()[-1]) for line in lines if line.startswith("iteration")]
    assert len(losses) == 11 and losses[-1] < losses[0]
    samples = lines[lines.index(next(line for line in lines if line.startswith("samples"))) + 1 :]
    assert len(samples) == 6
    for line in samples:
        mark, name = line[0], line[2:]
        assert mark == ("=" if name in names else " "), line  # "=" marks a copy of a training name


def test_cli_missing_file_exits_2(tmp_path: Path) -> None:
    result = run_cli(str(tmp_path / "nowhere.txt"))
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and "nowhere.txt" in result.stderr


def test_cli_empty_file_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_text("\n  \n", encoding="utf-8")
    result = run_cli(str(path))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "empty" in result.stderr
