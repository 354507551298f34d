"""A part's played timing, told to the reader: the tick shift of every note, in a sequencer-specific event.

A performed part (jazz.music.performance) is written with its notes played off the grid, by more than half a
grid step at times (a swung "and", a soloist laying back). So that jazz reads such a file back onto the grid it was
written from, the part's track carries one sequencer-specific meta event (the manufacturer ID 0x7D, which MIDI
keeps for non-commercial use, then "jt") with each note's shift in ticks, one signed byte per note, in the
order of the played note-ons (by tick, then pitch). Other programs ignore it.
"""

from __future__ import annotations

import mido

TIMING_ID = (0x7D, ord("j"), ord("t"))
MAX_SHIFT_TICKS = 127


def timing_event(shifts: list[int]) -> mido.MetaMessage:
    """The event that carries ``shifts`` (ticks, each within +-MAX_SHIFT_TICKS), in note-on order."""
    return mido.MetaMessage("sequencer_specific", data=TIMING_ID + tuple(s + 128 for s in shifts))


def read_shifts(message: mido.MetaMessage) -> list[int] | None:
    """The shifts a timing event carries; None for any other sequencer-specific event."""
    data = tuple(message.data)
    if data[:len(TIMING_ID)] != TIMING_ID:
        return None
    return [b - 128 for b in data[len(TIMING_ID):]]


def unshift(notes: list[tuple[int, int, int, int]], shifts: list[int]) -> list[tuple[int, int, int, int]]:
    """(start, end, pitch, velocity) notes moved back by their shifts onto the ticks they were written from;
    unchanged when the counts differ (a file edited since)."""
    if len(shifts) != len(notes):
        return notes
    played = sorted(notes, key=lambda n: (n[0], n[2]))
    return [(start - s, max(end - s, start - s + 1), pitch, velocity)
            for (start, end, pitch, velocity), s in zip(played, shifts)]
