"""Sampling: the trained model, driven one token at a time with its recurrent state carried.

One compiled step function does the whole inner loop on the backend: embed the last token, advance
every recurrent cell by one step, compute logits, mask the tokens the grammar forbids, apply the
temperature and top-p (nucleus) cut, and draw the next token by inverting the cumulative distribution
at a uniform number supplied from NumPy (so a seed gives the same solo on every backend).
N solos are sampled as one batch.
"""

from __future__ import annotations

from typing import Callable

import keras
import numpy as np
from keras import ops

from jazz.model import Head, recurrent_cells
from jazz.progress import Progress
from jazz.tokens import BOS, EOS, Grammar, Tokenizer

ConditionFn = Callable[[Grammar], np.ndarray]


def _state_sizes(cell) -> list[int]:
    size = cell.state_size
    return list(size) if isinstance(size, (list, tuple)) else [size]


def choose(logits, mask, u, temperature, top_p):
    """Token ids drawn from softmax(logits / T) restricted to ``mask`` and to the top-p nucleus."""
    vocab = ops.shape(logits)[-1]
    logits = ops.where(mask, ops.cast(logits, "float32"), -1e9) / temperature
    probs = ops.softmax(logits, axis=-1)
    values, order = ops.top_k(probs, k=vocab)
    before = ops.cumsum(values, axis=-1) - values
    values = ops.where(before < top_p, values, 0.0)  # the nucleus always keeps the most likely token
    cumulative = ops.cumsum(values, axis=-1)
    target = u[:, None] * cumulative[:, -1:]
    index = ops.minimum(ops.sum(ops.cast(cumulative < target, "int32"), axis=-1), vocab - 1)
    return ops.take_along_axis(order, index[:, None], axis=-1)[:, 0]


class StepFunction:
    """``(tokens, condition, last_pitch, states, mask, u, T, top_p) → (next tokens, new states)``, compiled.

    The recurrent states of all layers travel side by side in one (batch, total) array: fewer arguments
    make each call of the compiled function cheaper, which matters at batch 1.
    """

    def __init__(self, model: keras.Model):
        self.embedding = model.get_layer("embedding")
        self.cells = recurrent_cells(model)
        self.head = Head.of(model)
        self.sizes = [_state_sizes(cell) for cell in self.cells]
        self.conditioned = len(model.inputs) > 1
        self._compiled = compile_function(self._step)

    def initial_states(self, batch: int) -> np.ndarray:
        return np.zeros((batch, sum(sum(sizes) for sizes in self.sizes)), dtype="float32")

    def _step(self, tokens, condition, last_pitch, states, mask, u, settings):
        x = self.embedding(tokens)
        if self.conditioned:
            x = ops.concatenate([x, ops.cast(condition, x.dtype)], axis=-1)
        flat = [size for sizes in self.sizes for size in sizes]
        pieces = ops.split(states, list(np.cumsum(flat)[:-1]), axis=-1) if len(flat) > 1 else [states]
        new_states, i = [], 0
        for cell, sizes in zip(self.cells, self.sizes):
            x, updated = cell(x, list(pieces[i:i + len(sizes)]), training=False)
            new_states += list(updated) if isinstance(updated, (list, tuple)) else [updated]
            i += len(sizes)
        logits = self.head(x, condition if self.conditioned else None, last_pitch)
        ids = choose(logits, mask, u, settings[0], settings[1])
        return ids, ops.concatenate(new_states, axis=-1) if len(new_states) > 1 else new_states[0]

    def __call__(self, tokens, condition, last_pitch, states, mask, u, temperature, top_p):
        settings = np.array([max(temperature, 1e-4), top_p], dtype="float32")
        ids, states = self._compiled(tokens, condition, last_pitch, states, mask, u, settings)
        return np.asarray(ops.convert_to_numpy(ids)), states


def compile_function(function):
    """The backend's compiler for an inference function (XLA on TensorFlow and JAX; torch runs eagerly)."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        return _ConcreteTF(function)
    if backend == "jax":
        import jax

        return jax.jit(function)
    if backend == "torch":
        import torch

        return torch.no_grad()(function)
    return function


class _ConcreteTF:
    """A tf.function (XLA) called through one concrete function per input shape: each call skips
    tf.function's argument matching, which costs more than the step itself at batch 1."""

    def __init__(self, function):
        import tensorflow as tf

        self.tf = tf
        self.function = tf.function(function, jit_compile=True)
        self.concrete: dict = {}

    def __call__(self, *args):
        tensors = self.tf.nest.map_structure(self.tf.convert_to_tensor, args)
        key = tuple((tuple(t.shape), t.dtype) for t in self.tf.nest.flatten(tensors))
        if key not in self.concrete:
            self.concrete[key] = self.function.get_concrete_function(*tensors)
        return self.concrete[key](*tensors)


def sample(model: keras.Model, tokenizer: Tokenizer, n: int, plan: list[str], temperature: float = 1.0,
           top_p: float = 0.95, seed: int = 0, primer: np.ndarray | None = None,
           condition: ConditionFn | None = None, progress: bool = False,
           step: StepFunction | None = None) -> list[np.ndarray]:
    """``n`` token sequences (from <bos> to <eos>) whose bars follow ``plan`` (a meter per bar).

    ``primer`` (token ids after <bos>) is forced at the start of every sequence; the rest is sampled.
    """
    step = step or StepFunction(model)
    rng = np.random.default_rng(seed)
    grammar = Grammar(tokenizer, n, plan)
    forced = list(primer) if primer is not None else []
    tokens = np.full(n, tokenizer.index[BOS], dtype=np.int32)
    states = step.initial_states(n)
    out = [tokens]
    bar = Progress(f"sampling {n} solo{'s' * (n > 1)}, bars", len(plan), enabled=progress)
    limit = len(forced) + 2 + sum(1 + 3 * length for length in grammar.lengths)  # at most a note per step
    for t in range(limit):
        cond = condition(grammar) if condition is not None else np.zeros((n, 0), dtype="float32")
        mask = grammar.mask()
        ids, states = step(tokens, cond, grammar.last_pitch, states, mask, rng.random(n, dtype=np.float32),
                           temperature, top_p)
        if t < len(forced):
            ids = np.full(n, forced[t], dtype=np.int32)
        tokens = ids.astype(np.int32)
        grammar.advance(tokens)
        out.append(tokens)
        bar.update(int(grammar.bars.min()))
        if grammar.done.all():
            break
    bar.close()
    matrix = np.stack(out, axis=1)
    return [row[: _length(row, tokenizer)] for row in matrix]


def _length(row: np.ndarray, tokenizer: Tokenizer) -> int:
    ends = np.flatnonzero(row == tokenizer.index[EOS])
    return int(ends[0]) + 1 if len(ends) else len(row)
