"""Character-level names with the NumPy RNN: the seed's dinosaur-names exercise, on any list.

Each line of a text file is one name. A vanilla RNN (jazz.lessons.reference) reads a name one
character at a time and learns to predict the next; a newline marks the end of a name.
Training is plain SGD on one name per step, with gradients clipped. Sampling feeds each
drawn character back in until a newline (or a length limit).

    jazz lesson names FILE [--out DIR] [--iterations N] [--hidden N] [--samples N] [--seed N]
    python -m jazz.lessons.names FILE ...   (the same, without --out)
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Callable

import numpy as np

from jazz.files import atomic_path, atomic_write_text
from jazz.lessons import reference as ref
from jazz.lessons.text import read_text

END = "\n"  # the end-of-name character


def read_names(path: str | Path) -> list[str]:
    """The non-empty lines of a text file, stripped. Raises ValueError when there are none or it is not text."""
    names = [line.strip() for line in read_text(path).splitlines()]
    names = [name for name in names if name]
    if not names:
        raise ValueError("no names in it (one name per line expected)")
    return names


def build_vocab(names: list[str]) -> list[str]:
    """Every character used, sorted, with END first (so index 0 ends a name)."""
    return [END] + sorted(set("".join(names)) - {END})


def init_params(n_a: int, vocab_size: int, rng: np.random.Generator) -> ref.Params:
    """Small random weights and zero biases; input and output are both one-hot characters."""
    return {
        "Wax": rng.normal(0.0, 0.01, (n_a, vocab_size)),
        "Waa": rng.normal(0.0, 0.01, (n_a, n_a)),
        "ba": np.zeros((n_a, 1)),
        "Wya": rng.normal(0.0, 0.01, (vocab_size, n_a)),
        "by": np.zeros((vocab_size, 1)),
    }


def encode(name: str, index: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """One-hot inputs and targets for a name, each (vocab, 1, len(name) + 1).

    The input is a zero vector followed by the characters; the target is the characters
    followed by END: at every step the network predicts the next character.
    """
    targets = [index[ch] for ch in name] + [index[END]]
    eye = np.eye(len(index))
    y = eye[targets].T[:, None, :]
    x = np.zeros_like(y)
    x[:, :, 1:] = y[:, :, :-1]
    return x, y


def sgd_step(params: ref.Params, x: np.ndarray, y: np.ndarray, lr: float, max_grad: float) -> float:
    """Forward, backward, clip, update the params in place. Returns the loss per character."""
    a0 = np.zeros((params["Waa"].shape[0], 1))
    a, y_pred, caches = ref.rnn_forward(x, a0, params)
    da, grads = ref.rnn_output_backward(y_pred, y, a, params)
    grads.update(ref.rnn_backward(da, caches))
    grads = ref.clip(grads, max_grad)
    for name in params:
        params[name] -= lr * grads["d" + name]
    return ref.cross_entropy(y_pred, y) / x.shape[2]


def train(
    names: list[str],
    iterations: int = 5000,
    n_a: int = 50,
    lr: float = 0.01,
    max_grad: float = 5.0,
    seed: int = 0,
    report_every: int = 500,
    log: Callable[[int, float], None] | None = None,
) -> tuple[ref.Params, list[str], list[float]]:
    """Fit an RNN to ``names`` by SGD, one shuffled name per iteration.

    The loss is cross-entropy per character, smoothed by an exponential moving average
    that starts from log(vocab size) (the loss of guessing uniformly). Every
    ``report_every`` iterations (and at the start and end) the smoothed loss is recorded
    and passed to ``log(iteration, loss)``. Returns (params, vocab, recorded losses).
    """
    rng = np.random.default_rng(seed)
    vocab = build_vocab(names)
    index = {ch: i for i, ch in enumerate(vocab)}
    params = init_params(n_a, len(vocab), rng)
    smooth = math.log(len(vocab))
    history = [smooth]
    if log:
        log(0, smooth)
    order: list[int] = []
    for it in range(1, iterations + 1):
        if not order:
            order = list(rng.permutation(len(names)))
        x, y = encode(names[order.pop()], index)
        smooth = 0.99 * smooth + 0.01 * sgd_step(params, x, y, lr, max_grad)
        if it % report_every == 0 or it == iterations:
            history.append(smooth)
            if log:
                log(it, smooth)
    return params, vocab, history


def sample(params: ref.Params, vocab: list[str], rng: np.random.Generator, max_length: int = 50) -> str:
    """Draw one name, a character at a time from the softmax, until END or ``max_length``."""
    xt = np.zeros((len(vocab), 1))
    a = np.zeros((params["Waa"].shape[0], 1))
    chars = []
    while len(chars) < max_length:
        a, y_pred, _ = ref.rnn_cell_forward(xt, a, params)
        i = rng.choice(len(vocab), p=y_pred.ravel())
        if vocab[i] == END:
            break
        chars.append(vocab[i])
        xt = np.zeros_like(xt)
        xt[i] = 1.0
    return "".join(chars)


def save(params: ref.Params, vocab: list[str], history: list[float], out: Path) -> None:
    """names.npz (the weights) and names.json (vocabulary and recorded losses) in ``out``, each written atomically."""
    out.mkdir(parents=True, exist_ok=True)
    with atomic_path(out / "names.npz") as tmp:
        np.savez(tmp, **params)
    atomic_write_text(out / "names.json", json.dumps({"chars": vocab, "loss": history}, indent=1))


def run(names: list[str], source: str, iterations: int = 5000, hidden: int = 50, samples: int = 10,
        seed: int = 0, out: Path | None = None) -> list[str]:
    """Train, print the smoothed loss as it falls and then the samples, marking copies; return the samples."""

    def log(iteration: int, loss: float) -> None:
        print(f"iteration {iteration:6d}  loss {loss:.3f}", flush=True)

    every = max(1, iterations // 10)
    params, vocab, history = train(names, iterations, hidden, seed=seed, report_every=every, log=log)
    if out is not None:
        save(params, vocab, history, out)
    rng = np.random.default_rng(seed)
    known = set(names)
    drawn = [sample(params, vocab, rng) for _ in range(samples)]
    copies = sum(name in known for name in drawn)
    print(f"\nsamples (= copies a name in {source}; {samples - copies} of {samples} are new):")
    for name in drawn:
        print(f"{'=' if name in known else ' '} {name}")
    return drawn


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jazz.lessons.names", description=__doc__.splitlines()[0])
    parser.add_argument("file", help="text file, one name per line")
    parser.add_argument("--iterations", type=int, default=5000, help="names to train on (default 5000)")
    parser.add_argument("--hidden", type=int, default=50, help="hidden units n_a (default 50)")
    parser.add_argument("--samples", type=int, default=10, help="names to sample at the end (default 10)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args(argv)
    try:
        names = read_names(args.file)
    except (OSError, ValueError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        print(f"jazz.lessons.names: cannot use {args.file}: {reason}.", file=sys.stderr)
        return 2
    run(names, args.file, args.iterations, args.hidden, args.samples, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
