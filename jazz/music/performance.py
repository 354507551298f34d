"""How the notes are played: velocities that breathe with the metre and the line.

The tokens carry no dynamics, so a generated solo gets them here: accents on strong beats and
on the tops of phrases, ghosted off-beat eighths, louder long notes, a slow swell across each
phrase, and a little seeded randomness so that no two notes are mechanically alike.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from jazz.music.notes import Solo

BASE_VELOCITY = 84


def metric_accent(position: int, grid: int) -> float:
    """Accent for an onset ``position`` steps into the bar: beats up, off-beat 8ths down (swing ghosting)."""
    within_beat = position % grid
    if within_beat == 0:
        return 8.0 if (position // grid) % 2 == 0 else 4.0
    if within_beat * 2 == grid or within_beat * 3 == 2 * grid:  # straight or swung off-beat eighth
        return -6.0
    return -2.0


def add_velocities(solo: Solo, seed: int = 0) -> Solo:
    """The solo with musically varied velocities (1–127), the same for the same seed."""
    rng = np.random.default_rng(seed)
    notes = solo.notes
    if not notes:
        return solo
    pitches = np.array([n.pitch for n in notes], dtype=float)
    centre = float(np.median(pitches))
    phrase_position = _phrase_positions(solo)
    velocities = []
    for i, note in enumerate(notes):
        bar = solo.bars[solo.bar_index(note.onset)]
        value = BASE_VELOCITY + metric_accent(note.onset - bar.start, solo.grid)
        value += 0.8 * (note.pitch - centre)  # the line's high points speak out
        value += 6.0 * min(note.duration / (2 * solo.grid), 1.0)  # long notes get weight
        value += 8.0 * np.sin(np.pi * phrase_position[i]) - 4.0  # each phrase swells and relaxes
        value += rng.normal(0.0, 4.0)
        velocities.append(int(np.clip(round(value), 30, 124)))
    return replace(solo, notes=[n._replace(velocity=v) for n, v in zip(notes, velocities)])


def _phrase_positions(solo: Solo) -> list[float]:
    """For every note, how far (0..1) it lies through its phrase; a rest of a beat or more ends a phrase."""
    notes, phrases, start = solo.notes, [], 0
    for i in range(1, len(notes) + 1):
        if i == len(notes) or notes[i].onset - notes[i - 1].end >= solo.grid:
            length = i - start
            phrases += [(k + 0.5) / length for k in range(length)]
            start = i
    return phrases
