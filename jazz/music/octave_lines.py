"""Octave lines (8va, 8vb) over the passages of a part that would sit more than two ledger lines off the staff.

A copyist draws an 8va line over the whole run that climbs above the staff, from where the line leaves the staff
to where it comes back, rather than over single notes flickering in and out; the notes under it are written an
octave lower and still read within two ledger lines. The pitches stay true: in MusicXML an <octave-shift> only
says how the notes are displayed, and music21's non-transposing Ottava exports exactly that.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from jazz.music.notation import Written

LEDGER_LINES = 2  # the most a reader takes in at sight, above or below the staff
STAFF = 8  # diatonic steps from the bottom line of a five-line staff to the top line
OCTAVE = 7  # diatonic steps
MIN_NOTES = 4  # a shorter line is drawn only where the notes around it cannot go under it
PHRASE_REST = Fraction(1)  # a rest of a beat or more ends a phrase, and any line over it


@dataclass(frozen=True)
class Passage:
    """Notes ``first``..``last`` (indices, both included) written ``shift`` octaves off: 1 under an 8va line
    (written an octave below their pitch), 2 under a 15ma line, -1 under an 8vb line, -2 under a 15mb line."""

    first: int
    last: int
    shift: int


def staff_range(bottom_line: int) -> tuple[int, int]:
    """The lowest and highest staff positions (music21 diatonic note numbers) within two ledger lines of a staff
    whose bottom line is ``bottom_line`` (A3 and C6 for the treble staff)."""
    return bottom_line - 2 * LEDGER_LINES, bottom_line + STAFF + 2 * LEDGER_LINES


def octave_passages(positions: list[int], phrase_starts: set[int], bottom_line: int) -> list[Passage]:
    """The passages to write an octave (or two) off, in order, for notes at staff ``positions`` (diatonic note
    numbers) in phrases beginning at the indices ``phrase_starts``: every note more than two ledger lines off the
    staff is in one, and every note in one reads within two ledger lines once shifted."""
    centre = 2 * bottom_line + STAFF  # mirrored around the middle line, an 8vb is an 8va
    mirrored = [centre - p for p in positions]
    bounds = sorted({0, *phrase_starts, len(positions)})
    passages: list[Passage] = []
    for start, stop in zip(bounds, bounds[1:]):
        found = [Passage(a, b, k) for a, b, k in _lines_above(positions, start, stop, bottom_line)]
        found += [Passage(a, b, -k) for a, b, k in _lines_above(mirrored, start, stop, bottom_line)]
        passages += _joined(sorted(found, key=lambda p: p.first))
    return passages


def _joined(passages: list[Passage]) -> list[Passage]:
    """Passages of one phrase with touching neighbours of the same shift made one, and the notes an 8va and an
    8vb both took to make up their length left to neither (they read where they are)."""
    joined: list[Passage] = []
    for passage in passages:
        if joined and joined[-1].last >= passage.first:
            before = joined.pop()
            joined.append(Passage(before.first, passage.first - 1, before.shift))
            passage = Passage(before.last + 1, passage.last, passage.shift)
        if joined and (joined[-1].last + 1, joined[-1].shift) == (passage.first, passage.shift):
            passage = Passage(joined.pop().first, passage.last, passage.shift)
        joined.append(passage)
    return joined


def _lines_above(positions: list[int], start: int, stop: int, bottom_line: int) -> list[tuple[int, int, int]]:
    """The 8va passages (first, last, 1) of the phrase ``positions[start:stop]``; where notes under one still
    read too high, the run around them is a 15ma passage (first, last, 2) instead."""
    low, high = staff_range(bottom_line)
    fits = [low <= p - OCTAVE for p in positions]  # still within two ledger lines an octave lower
    lines = []
    index = start
    while index < stop:
        if not fits[index]:
            index += 1
            continue
        end = index
        while end + 1 < stop and fits[end + 1]:
            end += 1
        for a, b in _lines_in_run(positions, index, end, bottom_line, high):
            lines += _two_octaves(positions, a, b, bottom_line)
        index = end + 1
    return lines


def _two_octaves(positions: list[int], first: int, last: int, bottom_line: int) -> list[tuple[int, int, int]]:
    """An 8va passage, cut around the runs that still read too high an octave lower, which go two octaves; what
    is left of the 8va around them goes too where it is a few notes that read without it."""
    lower = [p - OCTAVE for p in positions]
    higher = [(a, b) for a, b, _ in _lines_above(lower, first, last + 1, bottom_line)]
    bounds = [first, *[x for a, b in higher for x in (a, b + 1)], last + 1]
    octave = [(a, b - 1, 1) for a, b in zip(bounds[::2], bounds[1::2]) if a < b]
    high = staff_range(bottom_line)[1]
    kept = [(a, b, k) for a, b, k in octave if b - a + 1 >= MIN_NOTES or max(positions[a : b + 1]) > high]
    return sorted(kept + [(a, b, 2) for a, b in higher])


def _lines_in_run(positions: list[int], first: int, last: int, bottom_line: int, high: int) -> list[tuple[int, int]]:
    """The 8va passages within a run of notes that may all go under one (each reads within two ledger lines
    shifted): one per cluster of notes above ``high``, widened over the notes that read on the staff shifted,
    and to ``MIN_NOTES`` where the run allows."""
    above = [i for i in range(first, last + 1) if positions[i] > high]
    on_staff = [p - OCTAVE >= bottom_line for p in positions]  # reads on the staff, or above it, shifted
    lines = []
    for cluster in _clusters(above, on_staff):
        a, b = cluster[0], cluster[-1]
        while a > first and on_staff[a - 1]:
            a -= 1
        while b < last and on_staff[b + 1]:
            b += 1
        while b - a + 1 < MIN_NOTES and (a > first or b < last):
            if b == last or (a > first and positions[a - 1] >= positions[b + 1]):
                a -= 1
            else:
                b += 1
        lines.append((a, b))
    return _merged(lines)


def _clusters(above: list[int], on_staff: list[bool]) -> list[list[int]]:
    """The notes above the range, grouped: two go under one line unless ``MIN_NOTES`` or more notes in a row
    between them would read below the staff shifted (the line comes back down for a while)."""
    clusters: list[list[int]] = []
    for index in above:
        if clusters and not _long_dip(on_staff, clusters[-1][-1], index):
            clusters[-1].append(index)
        else:
            clusters.append([index])
    return clusters


def _long_dip(on_staff: list[bool], after: int, before: int) -> bool:
    """Whether ``MIN_NOTES`` or more notes in a row between two indices read below the staff shifted."""
    row = 0
    for index in range(after + 1, before):
        row = 0 if on_staff[index] else row + 1
        if row >= MIN_NOTES:
            return True
    return False


def _merged(lines: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping or touching passages as one."""
    out: list[tuple[int, int]] = []
    for a, b in sorted(lines):
        if out and a <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def octave_spanners(placed: list[tuple[Written, object]], bottom_line: int) -> list:
    """music21 Ottava spanners over the passages of a part, given its written pieces in order with their music21
    notes and rests: non-transposing, so the notes keep their pitch and the line only changes how they show."""
    from music21 import spanner

    notes: list[list] = []  # the music21 pieces (tied together) of each note
    positions: list[int] = []
    starts: set[int] = set()
    rest = PHRASE_REST
    for piece, element in placed:
        if piece.pitch is None:
            rest += piece.length
        elif piece.tied and notes and rest == 0:
            notes[-1].append(element)
        else:
            if rest >= PHRASE_REST:
                starts.add(len(notes))
            rest = Fraction(0)
            notes.append([element])
            positions.append(element.pitch.diatonicNoteNum)
    lines = []
    for passage in octave_passages(positions, starts, bottom_line):
        elements = [e for group in notes[passage.first : passage.last + 1] for e in group]
        kind = {1: "8va", 2: "15ma", -1: "8vb", -2: "15mb"}[passage.shift]
        lines.append(spanner.Ottava(elements, type=kind, transposing=False))
    return lines
