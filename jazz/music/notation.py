"""A solo's played timing → the note values a lead sheet writes (the MIDI file keeps the played timing).

Each beat (a quarter note) is written one of two ways:

* as a triplet, when three notes start on its three eighth-note triplets (0, 1/3, 2/3 of the beat);
* in sixteenths otherwise, with a note on the last triplet of the beat (the late "and" of swung eighths) moved to
  the eighth: a swung pair of eighths is written as two plain eighths, under a "Swing" marking.

Notes whose onsets would collide on this coarser grid move to a free neighbouring slot, or are left out of the
sheet where moving them would mislead more. Ends snap like onsets and never pass the next written onset; a note
on the beat or the "and" lasts at least an eighth (a detached swing eighth is written as an eighth, not as a
sixteenth and a rest); the gaps become rests. The written events are then cut at bar lines and at the edges of
triplet beats, so that every piece is a plain, dotted or triplet value (ties join the pieces of a note).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations, pairwise
from math import floor

from jazz.music.notes import Bar, Note

SIXTEENTHS = tuple(Fraction(k, 4) for k in range(5))  # slots of a plain beat, the next downbeat included
TRIPLETS = (Fraction(0), Fraction(1, 3), Fraction(2, 3))
SWUNG_AND = Fraction(2, 3)  # the third triplet of the beat: where a swung "and" falls
EIGHTH = Fraction(1, 2)
LEFT_OUT = Fraction(1, 3)  # leaving a note off the sheet is as bad as moving it a triplet eighth
PLAIN = tuple(Fraction(n, 4) for n in (1, 2, 3, 4, 6, 8, 12, 16))  # plain and dotted values, 16th to whole


@dataclass(frozen=True)
class Written:
    """One written event: onset and length in quarter notes from the start, pitch (None for a rest), and
    whether it is tied to the piece before it (the same note, cut at a bar line or triplet edge)."""

    onset: Fraction
    length: Fraction
    pitch: int | None
    tied: bool = False

    @property
    def end(self) -> Fraction:
        return self.onset + self.length


def triplet_beats(notes: list[Note], grid: int) -> set[int]:
    """The beats whose onsets are exactly the three eighth-note triplets."""
    starts: dict[int, set[Fraction]] = {}
    for note in notes:
        onset = Fraction(note.onset, grid)
        beat = floor(onset)
        starts.setdefault(beat, set()).add(onset - beat)
    return {beat for beat, found in starts.items() if found == set(TRIPLETS)}


def _written_end(position: Fraction, triplets: set[int]) -> Fraction:
    """Where a note ending at ``position`` quarters is written to end: on the triplet grid in a triplet beat,
    at the eighth for a swung "and", else at the nearest sixteenth (ties to the later one)."""
    beat = floor(position)
    offset = position - beat
    if beat in triplets:
        return beat + min((*TRIPLETS, Fraction(1)), key=lambda slot: abs(slot - offset))
    if offset == SWUNG_AND:
        return beat + EIGHTH
    return beat + min(SIXTEENTHS, key=lambda slot: (abs(slot - offset), -slot))


def _moved(offset: Fraction, slot: Fraction) -> Fraction:
    """How far a note moves when written at ``slot``: a swung "and" written as the eighth does not move."""
    return Fraction(0) if (offset, slot) == (SWUNG_AND, EIGHTH) else abs(slot - offset)


def _assign(offsets: list[Fraction], slots: list[Fraction]) -> list[Fraction | None]:
    """The slot of each onset in a beat (order kept, one onset a slot) that moves the notes least, a note left
    out counting as a move of ``LEFT_OUT``; None for the notes left out."""
    best: tuple[Fraction, tuple[int, ...], tuple[Fraction, ...]] | None = None
    for keep in range(min(len(offsets), len(slots)), -1, -1):
        for chosen in combinations(range(len(offsets)), keep):
            for placed in combinations(slots, keep):
                cost = LEFT_OUT * (len(offsets) - keep)
                cost += sum((_moved(offsets[i], slot) for i, slot in zip(chosen, placed)), Fraction(0))
                if best is None or cost < best[0]:
                    best = (cost, chosen, placed)
    assert best is not None
    where = dict(zip(best[1], best[2]))
    return [where.get(i) for i in range(len(offsets))]


def written_onsets(notes: list[Note], grid: int, total: Fraction) -> list[tuple[Note, Fraction]]:
    """Each note kept on the sheet with its written onset (quarters), beat by beat: triplet beats as they are,
    other beats on sixteenths (a note may move to the next downbeat when that beat starts later)."""
    triplets = triplet_beats(notes, grid)
    beats: dict[int, list[Note]] = {}
    for note in notes:
        beats.setdefault(floor(Fraction(note.onset, grid)), []).append(note)
    kept: list[tuple[Note, Fraction]] = []
    taken: int | None = None  # a downbeat already written for a late note of the beat before
    for beat in sorted(beats):
        group = beats[beat]
        offsets = [Fraction(n.onset, grid) - beat for n in group]
        if beat in triplets:
            kept += [(n, beat + o) for n, o in zip(group, offsets)]
            continue
        later = beats.get(beat + 1, [])
        free_next = beat + 1 < total and beat + 1 not in triplets and all(
            Fraction(n.onset, grid) - beat - 1 >= Fraction(1, 4) for n in later)
        slots = [s for s in SIXTEENTHS if (s > 0 or taken != beat) and (s < 1 or free_next)]
        placed = _assign(offsets, slots)
        kept += [(n, beat + slot) for n, slot in zip(group, placed) if slot is not None]
        taken = beat + 1 if 1 in placed else None
    return kept


def written_notes(notes: list[Note], grid: int, total: Fraction) -> list[Written]:
    """Notes and the rests between them, as written: ``total`` quarters from 0, in order, without gaps."""
    triplets = triplet_beats(notes, grid)
    kept = written_onsets(notes, grid, total)
    events: list[Written] = []
    cursor = Fraction(0)
    for index, (note, onset) in enumerate(kept):
        following = kept[index + 1][1] if index + 1 < len(kept) else total
        shortest = _shortest(onset, triplets)
        end = min(max(_written_end(Fraction(note.end, grid), triplets), onset + shortest), following)
        end = _closed_gap(onset, end, following)
        if onset > cursor:
            events.append(Written(cursor, onset - cursor, None))
        events.append(Written(onset, end - onset, note.pitch))
        cursor = end
    if cursor < total:
        events.append(Written(cursor, total - cursor, None))
    return events


def _closed_gap(onset: Fraction, end: Fraction, following: Fraction) -> Fraction:
    """Where a note is written to end so that a reader sees a held note rather than a tie or a rest shorter than
    an eighth: an "and" held a sixteenth into the next beat is a quarter (the swing syncopation) when nothing
    starts before that quarter ends; any other note held just a sixteenth into a beat where nothing else starts
    ends on that beat (a tied sixteenth and a dotted-eighth rest read as a quarter rest); a note less than an
    eighth before the next onset (in the same beat) or the next beat is held to it."""
    beat = floor(onset)
    if onset - beat == EIGHTH and end == beat + Fraction(5, 4) and following >= beat + Fraction(3, 2):
        return beat + Fraction(3, 2)
    last_beat = floor(end)
    if end - last_beat == Fraction(1, 4) and last_beat > onset and following >= last_beat + 1:
        return last_beat
    if end % 1 == 0 and onset % 1 != Fraction(3, 4):
        return end  # held past its beat, the note would be tied; a sixteenth on the last step is tied anyway
    beat_end = floor(end) + 1  # the end of the beat the gap starts in
    for target in (following, beat_end):
        if end < target <= min(beat_end, following) and target - end < EIGHTH:
            return target
    return end


def _shortest(onset: Fraction, triplets: set[int]) -> Fraction:
    """The shortest value a note starting at ``onset`` is written with (the next onset may cut it shorter): a
    triplet eighth in a triplet beat, an eighth on the beat or the "and" (a detached swing eighth is still an
    eighth), else a sixteenth."""
    if floor(onset) in triplets:
        return Fraction(1, 3)
    return EIGHTH if onset % EIGHTH == 0 else Fraction(1, 4)


def cut(events: list[Written], edges: list[Fraction]) -> list[Written]:
    """The events cut at ``edges`` (bar lines, triplet beat edges): a note's later pieces are tied to it."""
    out: list[Written] = []
    points = sorted(set(edges))
    for event in events:
        inside = [p for p in points if event.onset < p < event.end]
        bounds = [event.onset, *inside, event.end]
        for number, (start, stop) in enumerate(pairwise(bounds)):
            out.append(Written(start, stop - start, event.pitch, tied=event.tied or number > 0))
    return out


def readable(event: Written) -> list[Written]:
    """An event in values a reader takes in at a glance: within a beat anything goes; from a beat, a plain or
    dotted value (else whole beats, then the rest); from the "and", a quarter or dotted quarter (the swing
    syncopation); from anywhere else, up to the next beat first."""
    pieces: list[Written] = []
    start = event.onset
    while start < event.end:
        offset, length = start - floor(start), event.end - start
        syncopation = offset == EIGHTH and length in (1, Fraction(3, 2))
        if offset + length <= 1 or (offset == 0 and length in PLAIN) or syncopation:
            step = length
        elif offset == 0:
            step = max(p for p in PLAIN if 1 <= p <= length)
        else:
            step = 1 - offset
        pieces.append(Written(start, step, event.pitch, tied=event.tied or start > event.onset))
        start += step
    return pieces


def notate(notes: list[Note], bars: list[Bar], grid: int) -> list[Written]:
    """The whole solo as written events: cut at bar lines and at the edges of triplet beats, in readable values."""
    if not bars:
        return []
    last = bars[-1]
    total = Fraction(last.start + last.length(grid), grid)
    events = written_notes(notes, grid, total)
    triplets = triplet_beats(notes, grid)
    edges = [Fraction(bar.start, grid) for bar in bars] + [Fraction(b + k) for b in triplets for k in (0, 1)]
    return [piece for event in cut(events, edges) for piece in readable(event)]


def tuplet_share(events: list[Written]) -> float:
    """The share of written notes (not rests) whose length is a triplet value."""
    notes = [e for e in events if e.pitch is not None]
    if not notes:
        return 0.0
    return sum(e.length.denominator % 3 == 0 for e in notes) / len(notes)
