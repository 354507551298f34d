"""An n-gram language model over token ids with interpolated Kneser–Ney smoothing: the baseline to beat.

The probability of a token ``w`` after the history ``h`` (the last ``order - 1`` tokens) is, at every level
``k`` from 1 up to the order, with ``h_k`` the last ``k - 1`` tokens of the history::

    P_k(w | h_k) = max(c_k(h_k w) - D_k, 0) / c_k(h_k •) + D_k · N1+(h_k •) / c_k(h_k •) · P_{k-1}(w | h_{k-1})
    P_0(w)       = 1 / vocab_size

where ``c_k`` is the raw count at the highest level and the continuation count (the number of distinct tokens
seen before the n-gram) at the lower ones, ``N1+(h •)`` the number of distinct tokens seen after ``h``, and
``D_k = n1 / (n1 + 2 n2)`` from the level's count-of-counts. A history never seen at a level leaves the
lower level's distribution unchanged. So every probability is positive and every distribution sums to one.

Sequences are scored from their second token on (the first, ``<bos>``, is given). Histories shorter than the
order are filled with a padding symbol outside the vocabulary, in training and in scoring alike.

Speed: every window of ``k`` tokens gets a dense integer id, built level by level from the id of its last
``k - 1`` tokens and the token before them, with ``np.unique`` (training) and ``np.searchsorted`` (lookup);
all counting and scoring is vectorized over the stream of tokens.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

LN2 = math.log(2.0)


@dataclass
class _Level:
    """Counts of the ``k``-token windows of the training stream (``k`` = the level)."""

    keys: np.ndarray  # sorted keys of every k-window; a window's id is its index here
    raw: np.ndarray  # by window id: times it was seen as a scored n-gram
    cont: np.ndarray | None  # by window id: distinct tokens seen before it (None at the top level)
    raw_total: np.ndarray  # by context id (a (k-1)-window): sum of raw counts after it
    cont_total: np.ndarray | None
    types: np.ndarray  # by context id: distinct tokens seen after it
    raw_discount: float
    cont_discount: float


def discount(counts: np.ndarray) -> float:
    """``n1 / (n1 + 2 n2)`` from the counts of the seen n-grams, kept inside [0.05, 0.95]."""
    n1, n2 = int(np.sum(counts == 1)), int(np.sum(counts == 2))
    value = n1 / (n1 + 2 * n2) if n1 and n2 else 0.5
    return float(min(max(value, 0.05), 0.95))


def _left(stream: np.ndarray, k: int, pad: int) -> np.ndarray:
    """The token ``k - 1`` places before every position (``pad`` before the start)."""
    out = np.full_like(stream, pad)
    out[k - 1:] = stream[: len(stream) - k + 1]
    return out


class NGram:
    """Interpolated Kneser–Ney n-gram model; fitted at ``order``, it also scores at any lower order."""

    def __init__(self, order: int, vocab_size: int):
        if order < 1:
            raise ValueError(f"order must be at least 1, got {order}")
        if vocab_size < 1:
            raise ValueError(f"vocab_size must be at least 1, got {vocab_size}")
        self.order, self.vocab_size = order, vocab_size
        self.pad = vocab_size  # the history before a sequence's first token
        self.radix = vocab_size + 1
        self.levels: list[_Level] = []

    # -- streams ---------------------------------------------------------------------------------
    def _stream(self, sequences: Iterable[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
        """All sequences end to end, each after ``order - 1`` pads; and the positions to score."""
        parts, targets, length = [], [], 0
        for sequence in sequences:
            ids = np.asarray(sequence, dtype=np.int64).ravel()
            if ids.size and (ids.min() < 0 or ids.max() >= self.vocab_size):
                raise ValueError(f"token ids must lie in [0, {self.vocab_size})")
            start = length + self.order - 1
            parts += [np.full(self.order - 1, self.pad, dtype=np.int64), ids]
            targets.append(np.arange(start + 1, start + len(ids)))
            length = start + len(ids)
        stream = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        return stream, (np.concatenate(targets) if targets else np.zeros(0, dtype=np.int64))

    def _window_ids(self, stream: np.ndarray) -> list[np.ndarray]:
        """For k = 0..order, the id of the k-window ending at every position (-1: never seen in training)."""
        ids = [np.zeros(len(stream), dtype=np.int64)]
        for k, level in enumerate(self.levels, start=1):
            previous = ids[-1]
            key = previous * self.radix + _left(stream, k, self.pad)
            where = np.minimum(np.searchsorted(level.keys, key), len(level.keys) - 1)
            found = (previous >= 0) & (level.keys[where] == key)
            ids.append(np.where(found, where, -1))
        return ids

    # -- training --------------------------------------------------------------------------------
    def fit(self, sequences: Iterable[Sequence[int]]) -> NGram:
        """Count the n-grams of ``sequences`` (each starting with its given first token)."""
        stream, targets = self._stream(sequences)
        if not len(targets):
            raise ValueError("no tokens to learn from (every sequence needs at least two tokens)")
        ids, keys = [np.zeros(len(stream), dtype=np.int64)], [np.zeros(1, dtype=np.int64)]
        for k in range(1, self.order + 1):
            unique, inverse = np.unique(ids[-1] * self.radix + _left(stream, k, self.pad), return_inverse=True)
            keys.append(unique)
            ids.append(inverse.ravel())
        self.levels = []
        for k in range(1, self.order + 1):
            context = ids[k - 1][targets - 1] if k > 1 else np.zeros(len(targets), dtype=np.int64)
            above = ids[k + 1][targets] if k < self.order else None
            self.levels.append(self._level(keys[k], ids[k][targets], context, above, len(keys[k - 1])))
        return self

    @staticmethod
    def _level(keys: np.ndarray, grams: np.ndarray, context: np.ndarray, above: np.ndarray | None,
               contexts: int) -> _Level:
        """The counts of one level from the ids of its scored n-grams, their contexts and the n-grams one longer."""
        raw = np.bincount(grams, minlength=len(keys))
        seen, first = np.unique(grams, return_index=True)
        owner = context[first]  # the context of every distinct n-gram
        types = np.bincount(owner, minlength=contexts)
        raw_total = np.bincount(owner, weights=raw[seen], minlength=contexts)
        cont = cont_total = None
        cont_discount = 0.5
        if above is not None:
            _, first_above = np.unique(above, return_index=True)
            cont = np.bincount(grams[first_above], minlength=len(keys))
            cont_total = np.bincount(owner, weights=cont[seen], minlength=contexts)
            cont_discount = discount(cont[seen])
        return _Level(keys, raw, cont, raw_total, cont_total, types, discount(raw[seen]), cont_discount)

    # -- scoring ---------------------------------------------------------------------------------
    def _order(self, order: int | None) -> int:
        if not self.levels:
            raise ValueError("the n-gram model is not fitted")
        order = self.order if order is None else order
        if not 1 <= order <= self.order:
            raise ValueError(f"can score at orders 1..{self.order}, not {order}")
        return order

    def _probabilities(self, stream: np.ndarray, targets: np.ndarray, order: int) -> np.ndarray:
        ids = self._window_ids(stream)
        p = np.full(len(targets), 1.0 / self.vocab_size)
        for k in range(1, order + 1):
            level = self.levels[k - 1]
            top = k == order
            counts, totals = (level.raw, level.raw_total) if top else (level.cont, level.cont_total)
            d = level.raw_discount if top else level.cont_discount
            context = ids[k - 1][targets - 1] if k > 1 else np.zeros(len(targets), dtype=np.int64)
            gram = ids[k][targets]
            safe = np.maximum(context, 0)
            total = np.where(context >= 0, totals[safe], 0.0)
            count = np.where(gram >= 0, counts[np.maximum(gram, 0)], 0)
            known = total > 0
            total = np.where(known, total, 1.0)
            mixed = np.maximum(count - d, 0.0) / total + d * level.types[safe] / total * p
            p = np.where(known, mixed, p)
        return p

    def token_logprobs(self, sequences: Iterable[Sequence[int]], order: int | None = None) -> np.ndarray:
        """Natural-log probability of every scored token (all but each sequence's first), in order."""
        order = self._order(order)
        stream, targets = self._stream(sequences)
        return np.log(self._probabilities(stream, targets, order))

    def logprob(self, sequence: Sequence[int], order: int | None = None) -> float:
        """Total natural-log probability of tokens 1..end of ``sequence`` given their history."""
        return float(self.token_logprobs([sequence], order).sum())

    def bits_per_token(self, sequences: Sequence[Sequence[int]], order: int | None = None) -> float:
        logprobs = self.token_logprobs(sequences, order)
        if not len(logprobs):
            raise ValueError("no tokens to score")
        return float(-logprobs.sum() / LN2 / len(logprobs))

    def distribution(self, history: Sequence[int], order: int | None = None) -> np.ndarray:
        """P(w | history) for every token w of the vocabulary (``history`` starts with the given first token)."""
        order = self._order(order)
        history = list(np.asarray(history, dtype=np.int64).ravel())
        stream, targets = self._stream([history + [w] for w in range(self.vocab_size)])
        ends = targets.reshape(self.vocab_size, -1)[:, -1]
        return self._probabilities(stream, ends, order)


def choose_order(train_seqs: Sequence[Sequence[int]], val_seqs: Sequence[Sequence[int]],
                 orders: Iterable[int] = range(1, 9), vocab_size: int | None = None) -> tuple[int, dict[int, float]]:
    """The order with the fewest validation bits per token, and the bits of every order tried.

    ``vocab_size`` defaults to one more than the largest id seen.
    """
    orders = sorted(set(orders))
    if not orders:
        raise ValueError("no orders to choose from")
    if vocab_size is None:
        vocab_size = 1 + max(int(np.max(s)) for s in [*train_seqs, *val_seqs] if len(s))
    model = NGram(orders[-1], vocab_size).fit(train_seqs)
    bits = {k: model.bits_per_token(val_seqs, k) for k in orders}
    return min(bits, key=bits.get), bits
