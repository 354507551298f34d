"""Training and validation solos: whole solos go to validation, never windows of a solo seen in training.

One long solo (a whole band arrangement's melody, say) is a corpus too: its last bars are held out.
"""

from __future__ import annotations

import random
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from jazz.music.notes import ChordChange, Solo

MIN_BARS_TO_CUT = 8  # a single solo shorter than this cannot give both sides enough music
TEST_SPLIT_FILE = Path(__file__).with_name("wjazzd_test.txt")


@lru_cache(maxsize=1)
def test_names() -> frozenset[str]:
    """The names of the fixed test split (solos of the Weimar import no model trains or validates on)."""
    lines = TEST_SPLIT_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def without_test(solos: list[Solo]) -> tuple[list[Solo], list[Solo]]:
    """(the solos outside the fixed test split, the ones in it)."""
    held = test_names()
    return [s for s in solos if s.name not in held], [s for s in solos if s.name in held]


def split_by_solo(solos: list[Solo], val_split: float, seed: int) -> tuple[list[Solo], list[Solo]]:
    """A seeded share ``val_split`` of whole solos for validation, the rest for training (one solo: its end)."""
    if len(solos) == 1:
        return hold_out_end(solos[0], val_split)
    train, val = split_names([s.name for s in solos], val_split, seed)
    return [solos[i] for i in train], [solos[i] for i in val]


def split_names(names: list[str], val_split: float, seed: int) -> tuple[list[int], list[int]]:
    """Indices of the training and the validation solos, by a seeded shuffle of their names."""
    if len(names) < 2:
        raise ValueError(f"need at least 2 solos to hold one out, found {len(names)}")
    order = sorted(range(len(names)), key=lambda i: names[i])
    random.Random(seed).shuffle(order)
    n_val = min(max(1, round(len(names) * val_split)), len(names) - 1)
    return sorted(order[n_val:]), sorted(order[:n_val])


def hold_out_end(solo: Solo, val_split: float) -> tuple[list[Solo], list[Solo]]:
    """One solo as training (its first bars) and validation (its last ``val_split`` of bars, at least one)."""
    from jazz.files import UsageError

    if len(solo.bars) < MIN_BARS_TO_CUT:
        raise UsageError(f"one solo of {len(solo.bars)} bars is too short to hold out its end for validation "
                         f"(need {MIN_BARS_TO_CUT} bars, or a second solo)")
    cut = len(solo.bars) - max(1, round(len(solo.bars) * val_split))
    return [bars_of(solo, 0, cut, "start")], [bars_of(solo, cut, len(solo.bars), "end")]


def bars_of(solo: Solo, first: int, last: int, part: str) -> Solo:
    """Bars ``first``..``last`` (exclusive) of ``solo`` as a solo of their own, starting at step 0."""
    start = solo.bars[first].start
    end = solo.bars[last].start if last < len(solo.bars) else solo.total_steps
    notes = [n._replace(onset=n.onset - start, duration=min(n.duration, end - n.onset))
             for n in solo.notes if start <= n.onset < end]
    sounding = [c for c in solo.chords if c.onset <= start][-1:]  # the chord already sounding at the cut
    chords = [ChordChange(max(c.onset - start, 0), c.symbol) for c in sounding + [c for c in solo.chords
                                                                                 if start < c.onset < end]]
    bars = [replace(b, start=b.start - start) for b in solo.bars[first:last]]
    return replace(solo, notes=notes, bars=bars, chords=chords, name=f"{solo.name} ({part})")
