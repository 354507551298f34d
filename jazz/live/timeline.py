"""The form played chorus after chorus, on the step grid, and cut into blocks of bars for trading."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from jazz.music.notes import Bar, ChordChange


@dataclass(frozen=True)
class Timeline:
    """One chorus of bars and chord changes (from step 0), repeated without end."""

    bars: tuple[Bar, ...]
    chords: tuple[ChordChange, ...]
    grid: int

    @property
    def chorus_steps(self) -> int:
        last = self.bars[-1]
        return last.start + last.length(self.grid)

    def bar(self, index: int) -> Bar:
        """Bar ``index`` of the session (0 opens the first chorus)."""
        chorus, within = divmod(index, len(self.bars))
        bar = self.bars[within]
        return Bar(bar.start + chorus * self.chorus_steps, bar.numerator, bar.denominator)

    def span(self, first: int, count: int) -> list[Bar]:
        return [self.bar(i) for i in range(first, first + count)]

    def end(self, index: int) -> int:
        """The step where bar ``index`` ends."""
        bar = self.bar(index)
        return bar.start + bar.length(self.grid)

    def bar_at(self, step: int) -> int:
        """The index of the bar that holds ``step`` (steps before 0 belong to bar 0)."""
        chorus, within = divmod(max(step, 0), self.chorus_steps)
        return chorus * len(self.bars) + bisect_right([b.start for b in self.bars], within) - 1

    def chords_between(self, start: int, end: int) -> list[ChordChange]:
        """The changes in [start, end), led by the chord already sounding at ``start`` (moved onto it)."""
        size = self.chorus_steps
        choruses = range(max(start // size - 1, 0), (end - 1) // size + 1)
        changes = [ChordChange(c.onset + k * size, c.symbol) for k in choruses for c in self.chords]
        before = [c for c in changes if c.onset <= start]
        inside = [c for c in changes if start < c.onset < end]
        return ([ChordChange(start, before[-1].symbol)] if before else []) + inside


@dataclass(frozen=True)
class Trading:
    """Who plays each block of ``trade`` bars: the player opens and jazz answers, or jazz plays them all."""

    trade: int = 4
    solo: bool = False

    def jazz_plays(self, block: int) -> bool:
        return self.solo or block % 2 == 1

    def first_bar(self, block: int) -> int:
        return block * self.trade

    def block_of(self, bar: int) -> int:
        return bar // self.trade

    def end_bar(self, last_heard_bar: int) -> int:
        """The bar after a session whose player last played in ``last_heard_bar``: the answer comes first."""
        block = self.block_of(last_heard_bar)
        return self.first_bar(block + (1 if self.jazz_plays(block) else 2))
