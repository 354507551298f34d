"""A part's played timing, told to the reader: the tick shift of every note, in a sequencer-specific event.

A performed part (jazz.music.performance, or a Weimar solo as its player played it, jazz.midi.played) is written
with its notes played off the grid, by more than half a grid step at times (a swung "and", a soloist laying
back). So that jazz reads such a file back onto the grid it was written from, the part's track carries one
sequencer-specific meta event (the manufacturer ID 0x7D, which MIDI keeps for non-commercial use, then "jt") with
each note's shift in ticks, in the order of the played note-ons (by tick, then pitch). Other programs ignore it.

Shifts within +-127 ticks take one byte each (the shift + 128). Wider ones (a file of 5040 ticks per beat) take
the wide form: a zero byte (never a one-byte shift), then two bytes each, big-endian (the shift + 32768).
"""

from __future__ import annotations

import mido

TIMING_ID = (0x7D, ord("j"), ord("t"))
MAX_SHIFT_TICKS = 127  # of the one-byte form
MAX_WIDE_SHIFT_TICKS = 32767
_WIDE = 0


def timing_event(shifts: list[int]) -> mido.MetaMessage:
    """The event that carries ``shifts`` (ticks, each within +-MAX_WIDE_SHIFT_TICKS), in note-on order."""
    if all(abs(s) <= MAX_SHIFT_TICKS for s in shifts):
        return mido.MetaMessage("sequencer_specific", data=TIMING_ID + tuple(s + 128 for s in shifts))
    wide = [byte for s in shifts for byte in (s + 32768).to_bytes(2, "big")]
    return mido.MetaMessage("sequencer_specific", data=TIMING_ID + (_WIDE, *wide))


def read_shifts(message: mido.MetaMessage) -> list[int] | None:
    """The shifts a timing event carries; None for any other sequencer-specific event."""
    return shifts_of(bytes(message.data))


def shifts_of(data: bytes) -> list[int] | None:
    """The shifts in the data of a sequencer-specific event; None if it is not a timing event."""
    if tuple(data[:len(TIMING_ID)]) != TIMING_ID:
        return None
    body = data[len(TIMING_ID):]
    if body[:1] == bytes([_WIDE]):
        return [int.from_bytes(body[i:i + 2], "big") - 32768 for i in range(1, len(body) - 1, 2)]
    return [b - 128 for b in body]


def unshift(notes: list[tuple[int, int, int, int]], shifts: list[int]) -> tuple[list[tuple[int, int, int, int]], list[int]]:
    """(start, end, pitch, velocity) notes moved back by their shifts onto the ticks they were written from, and
    each one's played start tick; unchanged (and no played starts) when the counts differ (a file edited since).
    A note that ends just as a later one starts was played up to it (the writer keeps a line from overlapping
    itself), so it ends where that one was written."""
    if len(shifts) != len(notes):
        return notes, []
    played = sorted(notes, key=lambda n: (n[0], n[2]))
    written: dict[int, int] = {}  # played start tick -> where the notes starting there were written
    for (start, *_), s in zip(played, shifts):
        written[start] = min(written.get(start, start - s), start - s)
    return [(start - s, max(written[end] if end in written and end > start else end - s, start - s + 1), pitch,
             velocity) for (start, end, pitch, velocity), s in zip(played, shifts)], [n[0] for n in played]
