"""The quantized solo: notes on a grid of steps, grouped into bars, with the chords that sound.

Everything downstream of MIDI parsing and upstream of MIDI writing speaks in these types.
Time is counted in grid steps from the start of the first bar (``grid`` steps per quarter note),
never in seconds or ticks.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

DEFAULT_GRID = 12  # steps per quarter note: 16ths (3) and 8th-note triplets (4) are exact
TENOR_SAX = 66  # General MIDI program 67, counted from 0 as MIDI bytes do
LOWEST_PITCH, HIGHEST_PITCH = 21, 108  # the piano's range; solos are folded into it by octaves
METERS = ("4/4", "3/4", "2/4", "1/4", "5/4", "6/4", "7/4", "8/4", "9/4", "2/2", "3/2",
          "3/8", "5/8", "6/8", "7/8", "9/8", "12/8")  # the meters a bar may have for the model (its vocabulary)


class Note(NamedTuple):
    """One note (a named tuple: immutable, and cheap to build by the hundred thousand from the cache)."""

    pitch: int  # MIDI note number
    onset: int  # grid steps from the start of bar 0
    duration: int  # grid steps, >= 1
    velocity: int = 90

    @property
    def end(self) -> int:
        return self.onset + self.duration


@dataclass(frozen=True)
class Bar:
    start: int  # grid step where the bar begins
    numerator: int = 4
    denominator: int = 4

    def length(self, grid: int) -> int:
        """Bar length in grid steps (a quarter note is ``grid`` steps)."""
        return self.numerator * grid * 4 // self.denominator

    @property
    def meter(self) -> str:
        return f"{self.numerator}/{self.denominator}"


@dataclass(frozen=True)
class ChordChange:
    onset: int  # grid step where the chord starts sounding
    symbol: str  # lead-sheet spelling, e.g. "Dm7", "G7(b9)", "N.C."


@dataclass
class Solo:
    """A monophonic solo: notes sorted by onset, never overlapping, inside ``bars``."""

    notes: list[Note]
    bars: list[Bar]
    grid: int = DEFAULT_GRID
    tempo: float = 120.0  # quarter notes per minute (the first tempo of the source)
    chords: list[ChordChange] = field(default_factory=list)
    name: str = ""
    key: str | None = None  # e.g. "Bb" or "Gm" (MIDI key-signature spelling)
    tempi: list[tuple[int, float]] = field(default_factory=list)  # the tempo map: (step, bpm), empty: ``tempo``
    labels: dict[str, str] = field(default_factory=dict)  # style, feel, instrument, performer where the corpus says
    played: dict[int, float] = field(default_factory=dict)  # note onset -> where it was played, in (fractional)
    # steps, for a solo read with its played timing (jazz.midi.timing); empty: none known

    @property
    def total_steps(self) -> int:
        if not self.bars:
            return 0
        last = self.bars[-1]
        return last.start + last.length(self.grid)

    def bar_index(self, step: int) -> int:
        """Index of the bar that contains ``step`` (the last bar for steps past the end)."""
        lo, hi = 0, len(self.bars) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.bars[mid].start <= step:
                lo = mid
            else:
                hi = mid - 1
        return lo

    def tempo_map(self) -> tuple[list[int], list[float]]:
        """(steps, bpm) of every tempo change, starting at step 0 (``tempo`` where the file gives no map)."""
        changes = sorted(self.tempi) or [(0, self.tempo)]
        steps = [0] + [s for s, _ in changes[1:]]
        return steps, [b for _, b in changes]

    def chord_at(self, step: int) -> str | None:
        """The chord symbol sounding at ``step``, or None before the first chord."""
        index = change_index([c.onset for c in self.chords], step)
        return self.chords[index].symbol if index >= 0 else None


def change_index(onsets: Sequence[int], step: int) -> int:
    """Which change sounds at ``step``: the index of the last of the sorted ``onsets`` at or before it, -1 before
    the first. Every "which chord now" question in the package is answered by this rule (for arrays of steps,
    ``numpy.searchsorted(onsets, steps, side="right") - 1`` is the same rule).
    """
    return bisect_right(onsets, step) - 1


@dataclass
class Part:
    """One instrument's notes on the solo's grid: the solo itself, or a band part."""

    name: str
    notes: list[Note]
    channel: int = 0
    program: int | None = TENOR_SAX  # General MIDI program counted from 0; None for drums
    shifts: list[float] = field(default_factory=list)  # per note, grid steps played off its onset; empty: none


@lru_cache(maxsize=None)
def duration_values(grid: int = DEFAULT_GRID) -> tuple[int, ...]:
    """The note lengths a quantized solo may use, in grid steps, shortest first.

    Every step up to one beat (so triplets, 16ths and their ties are exact), then coarser
    as notes get longer: 16ths up to two beats, 8ths up to four beats, beats up to eight.
    Long notes rarely need fine resolution, and fewer classes are easier to learn.
    """
    values = set(range(1, grid + 1))
    for step, limit in ((max(grid // 4, 1), 2 * grid), (max(grid // 2, 1), 4 * grid), (grid, 8 * grid)):
        values.update(range(step, limit + 1, step))
    return tuple(sorted(values))


def snap_duration(steps: int, grid: int = DEFAULT_GRID) -> int:
    """The longest allowed duration that is not longer than ``steps`` (at least 1)."""
    values = duration_values(grid)
    return values[max(bisect_right(values, steps) - 1, 0)]
