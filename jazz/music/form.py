"""The form a solo is played over: a meter for every bar and the chord changes, from a progression or bare bars."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from jazz.files import UsageError
from jazz.music.chords import ChordError
from jazz.music.notes import Bar, ChordChange
from jazz.music.tunes import parse_progression, progression_changes


@dataclass
class Form:
    """What to play over: a meter per bar and the chord changes (empty without chords)."""

    bars: list[Bar]
    chords: list[ChordChange]

    def first(self, count: int) -> Form:
        """The form cut after ``count`` bars."""
        if count >= len(self.bars):
            return self
        end = self.bars[count].start
        return Form(self.bars[:count], [c for c in self.chords if c.onset < end])


def chord_form(progression: str, meter: str, choruses: int, grid: int) -> Form:
    """The form of a progression text (bars between |), repeated ``choruses`` times."""
    if choruses < 1:
        raise UsageError("--choruses must be at least 1")
    chords = progression.split()
    if "|" not in progression and len(chords) > 2:
        print(f"warning: --chords {progression!r} has no bar line '|', so its {len(chords)} chords share one bar; "
              f"write \"| {' | '.join(chords)} |\" for a bar each", file=sys.stderr)
    try:
        bars, changes = progression_changes(parse_progression(progression, meter), meter, grid, choruses)
    except ChordError as error:
        raise UsageError(str(error)) from None
    except ValueError as error:
        raise UsageError(f"bad --chords: {error}") from None
    return Form(bars, changes)


def plain_form(bars: int, meter: str, grid: int) -> Form:
    """``bars`` empty bars of ``meter``, without chords."""
    numerator, denominator = (int(x) for x in meter.split("/"))
    length = Bar(0, numerator, denominator).length(grid)
    return Form([Bar(i * length, numerator, denominator) for i in range(bars)], [])
