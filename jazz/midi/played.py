"""A Weimar solo as its player played it: each note at its real onset, as loud as it was, over the beat grid.

The notes stay written on the metrical grid (jazz.midi.weimar places them), and the solo track carries the
played timing event (jazz.midi.timing): a DAW plays the file as the recording sounds, and jazz reads it back onto
exactly the grid the notes were written on. A note is played from its real onset in seconds (mapped to ticks
through the beat track's tempo map) and lasts as long as it was played. Two rules keep the file readable:

* a note written to end where the next one starts is played up to the next one's played start (the reader
  ends it where that one was written);
* played note-ons keep the written order, and a note-on comes after the previous note's played end where the
  two do not touch as written: the note-on moves by a few ticks where the recording's notes touch (counted
  as ``nudged``: 7145 of the corpus's 179493 notes, none by more than 7 ticks, 1/720 beat).

Loudness (``loud_median`` in dB, less the solo's median) becomes velocity as jazz.music.performance maps its own
fitted loudness; a note without it gets the level of the solo's median.
"""

from __future__ import annotations

import numpy as np

from jazz.midi.timing import MAX_WIDE_SHIFT_TICKS
from jazz.music.performance import BASE_VELOCITY, velocity_of

Written = tuple[int, int, int]  # (start, end, pitch) in ticks, on the grid


def played_notes(written: list[Written], onsets: np.ndarray) -> tuple[list[Written], list[int], int]:
    """(on, off, pitch) of each written note as played from its real onset (``onsets``, in ticks), the shift of
    each note-on from its written start, and how many note-ons were moved off their real onset (``nudge``)."""
    ons: list[int] = []
    nudged = 0
    for i, ((start, _, _), onset) in enumerate(zip(written, onsets)):
        real = start + int(np.clip(round(float(onset)) - start, -MAX_WIDE_SHIFT_TICKS, MAX_WIDE_SHIFT_TICKS))
        on = max(real, 0, *nudge(written[i - 1], ons[i - 1], start) if i else (0,))
        nudged += on != real
        ons.append(on)
    played = []
    for i, ((start, end, pitch), on) in enumerate(zip(written, ons)):
        touches = i + 1 < len(written) and end == written[i + 1][0]
        played.append((on, ons[i + 1] if touches else end + on - start, pitch))
    return played, [on - start for on, (start, _, _) in zip(ons, written)], nudged


def nudge(before: Written, played: int, start: int) -> tuple[int, ...]:
    """The earliest ticks a note written at ``start`` may be played after the note ``before``, played at
    ``played``: after it, and after its played end where the two do not touch as written (so the reader, which
    ends a note that ends on a played start where that note is written, ends it where it is written)."""
    first, end, _ = before
    return (played + 1,) if end == start else (played + 1, end + played - first + 1)


def loudness_of(text: str | None) -> float:
    """A ``loud_median`` cell in dB; nan where it is empty or no number."""
    try:
        return float((text or "").strip())
    except ValueError:
        return float("nan")


def velocities(loudness: np.ndarray) -> list[int]:
    """MIDI velocities of notes of loudness ``loudness`` (dB; nan where unknown), relative to their median."""
    known = np.isfinite(loudness)
    if not known.any():
        return [BASE_VELOCITY] * len(loudness)
    db = np.where(known, loudness - np.median(loudness[known]), 0.0)
    return velocity_of(db).tolist()
