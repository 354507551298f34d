"""Chords estimated from an accompaniment, for MIDI files that carry no chord symbols.

Every half bar, the pitch classes sounding in the other pitched parts (not the melody, not drums)
are weighed by how long they sound, the lowest one counted again as the bass, and matched against
chord templates on all 12 roots. A window with no accompaniment keeps the previous chord.
"""

from __future__ import annotations

import numpy as np

from jazz.music.chords import pitch_name
from jazz.music.notes import Bar, ChordChange

TEMPLATES = {  # suffix → intervals above the root, in lead-sheet spelling; seventh chords first, so ties prefer them
    "maj7": (0, 4, 7, 11), "7": (0, 4, 7, 10), "m7": (0, 3, 7, 10), "m7b5": (0, 3, 6, 10),
    "dim7": (0, 3, 6, 9), "m6": (0, 3, 7, 9), "": (0, 4, 7), "m": (0, 3, 7),
}  # fmt: skip
MIN_SCORE = 0.5


def _template_matrix() -> tuple[np.ndarray, list[str]]:
    rows, names = [], []
    for suffix, intervals in TEMPLATES.items():
        for root in range(12):
            row = np.full(12, -0.6)  # a sounding pitch class outside the chord counts against it
            row[[(root + i) % 12 for i in intervals]] = 1.0
            row[root] += 0.3  # the root matters most
            rows.append(row / len(intervals) ** 0.5)
            names.append(pitch_name(root) + suffix)  # already the lead-sheet spelling (tested)
    return np.array(rows), names


_MATRIX, _NAMES = _template_matrix()


def estimate_chords(notes: list[tuple[int, int, int]], bars: list[Bar], grid: int) -> list[ChordChange]:
    """Chord changes (one guess per half bar at most) from accompaniment notes (start, end, pitch) in steps."""
    if not notes:
        return []
    changes: list[ChordChange] = []
    starts = np.array([n[0] for n in notes])
    ends = np.array([n[1] for n in notes])
    pitches = np.array([n[2] for n in notes])
    for start, end in _windows(bars, grid):
        overlap = np.minimum(ends, end) - np.maximum(starts, start)
        sounding = overlap > 0
        if not sounding.any():
            continue
        weights = np.zeros(12)
        np.add.at(weights, pitches[sounding] % 12, overlap[sounding])
        weights[pitches[sounding].min() % 12] += overlap[sounding].max()  # the bass, counted again
        weights /= np.linalg.norm(weights)
        scores = _MATRIX @ weights
        best = int(scores.argmax())
        if scores[best] >= MIN_SCORE and (not changes or changes[-1].symbol != _NAMES[best]):
            changes.append(ChordChange(start, _NAMES[best]))
    return changes


def _windows(bars: list[Bar], grid: int) -> list[tuple[int, int]]:
    """Half bars (whole bars for meters of three beats or fewer)."""
    windows = []
    for bar in bars:
        length = bar.length(grid)
        halves = 2 if bar.numerator >= 4 and bar.numerator % 2 == 0 else 1
        windows += [(bar.start + k * length // halves, bar.start + (k + 1) * length // halves) for k in range(halves)]
    return windows
