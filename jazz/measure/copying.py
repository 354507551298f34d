"""Does the model copy its training solos? The longest stretch of a solo found verbatim in one of them.

A stretch of notes is compared by what a listener hears as the same phrase in any key: the interval from
each note to the next and the gap between their onsets (in grid steps). A stretch of ``k`` notes is a
run of ``k - 1`` such moves, and it is copied if one training solo plays the same run. Real players share
stretches too (licks, quotes, scale runs), so a generated solo is judged against held-out real solos
measured the same way; a real solo that is itself in the training set is compared with the others.

Runs are compared by polynomial hashes (mod 2**64) of their moves, from prefix sums, so all the runs of
one length in the training set cost one pass over its notes; the longest copy of each solo is found by
bisection on the length (a copied run's shorter parts are copied too).
"""

from __future__ import annotations

import numpy as np

from jazz.music.notes import Solo

BASE = 0x9E3779B97F4A7C15  # an odd multiplier for the hashes
MASK = (1 << 64) - 1


def moves(solo: Solo) -> list[tuple[int, int]]:
    """(interval, onset gap) from each note to the next, in onset order."""
    notes = sorted(solo.notes, key=lambda n: (n.onset, n.pitch))
    return [(b.pitch - a.pitch, b.onset - a.onset) for a, b in zip(notes, notes[1:])]


class Runs:
    """The hashes of every run of moves of a set of solos, by run length (computed when first asked)."""

    def __init__(self, solos: list[Solo], symbols: dict):
        self.symbols = symbols  # move -> a number from 1, shared by everything compared
        self.prefixes = [prefix_hashes(moves(s), symbols) for s in solos]
        self._known: dict[int, np.ndarray] = {}

    def of_length(self, length: int) -> np.ndarray:
        """The sorted distinct hashes of all runs of ``length`` moves."""
        if length not in self._known:
            found = [window_hashes(p, length) for p in self.prefixes]
            self._known[length] = np.unique(np.concatenate(found)) if found else np.zeros(0, np.uint64)
        return self._known[length]

    def contains_any(self, hashes: np.ndarray, length: int) -> bool:
        known = self.of_length(length)
        where = np.searchsorted(known, hashes)
        return bool((known[np.minimum(where, len(known) - 1)] == hashes).any()) if len(known) else False


def prefix_hashes(sequence: list[tuple[int, int]], symbols: dict) -> np.ndarray:
    """h[k]: the hash of the first ``k`` moves (uint64), numbering new moves in ``symbols`` as they come."""
    out, h = [0], 0
    for move in sequence:
        h = (h * BASE + symbols.setdefault(move, len(symbols) + 1)) & MASK
        out.append(h)
    return np.array(out, dtype=np.uint64)


def window_hashes(prefix: np.ndarray, length: int) -> np.ndarray:
    """The hash of every run of ``length`` moves: h[i + length] - h[i] * BASE**length (mod 2**64)."""
    if len(prefix) <= length:
        return np.zeros(0, np.uint64)
    with np.errstate(over="ignore"):
        return prefix[length:] - prefix[:-length] * np.uint64(pow(BASE, length, 1 << 64))


def longest_copy(solo: Solo, training: Runs) -> int:
    """The most consecutive notes of ``solo`` whose moves occur in that order in one training solo (1 where
    not even two notes do; 0 for a solo without notes)."""
    prefix = prefix_hashes(moves(solo), training.symbols)
    low, high = 0, len(prefix) - 1  # low moves are copied; more than high cannot be
    while low < high:
        middle = (low + high + 1) // 2
        if training.contains_any(window_hashes(prefix, middle), middle):
            low = middle
        else:
            high = middle - 1
    return low + 1 if solo.notes else 0


def longest_copies(solos: list[Solo], training: list[Solo] | Runs) -> list[int]:
    """``longest_copy`` of each solo against ``training`` (solos, or their runs)."""
    runs = training if isinstance(training, Runs) else Runs(training, {})
    return [longest_copy(s, runs) for s in solos]


def copying(generated: list[Solo], real: list[Solo], training: list[Solo]) -> dict:
    """Medians and maxima of the longest copied stretches (in notes) of the generated and the real solos; the
    real ones against the training solos that are not among them."""
    evaluated = {s.name for s in real if s.name}
    runs = Runs(training, {})
    others = [t for t in training if t.name not in evaluated]
    ours = longest_copies(generated, runs)
    theirs = longest_copies(real, runs if len(others) == len(training) else Runs(others, runs.symbols))
    return {"generated_median": float(np.median(ours)) if ours else None,
            "real_median": float(np.median(theirs)) if theirs else None,
            "generated_max": max(ours, default=None), "real_max": max(theirs, default=None),
            "training_solos": len(training)}
