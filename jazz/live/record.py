"""A session's log → a type 1 MIDI file: the conductor track (tempo, meters, chord markers), then the
player, jazz and the band, each message at the beat it was heard or due (and where jazz played its notes off the
grid, the timing event that puts them back on it)."""

from __future__ import annotations

import io
from pathlib import Path

import mido

from jazz.files import atomic_write_bytes
from jazz.midi.timing import timing_event
from jazz.midi.write import TICKS_PER_BEAT, conductor_track
from jazz.music.notes import Solo

PLAYER, JAZZ = "Player", "jazz"
TRACKS = (PLAYER, JAZZ, "Comping", "Bass", "Drums")  # the band's tracks are named as jazz.music.band names its parts


def session_midi(session, tempo: float, title: str = "jazz live") -> mido.MidiFile:
    """The file of everything a jazz.live.engine.Session heard and sent (its ``log``), over the bars it
    reached."""
    timeline = session.timeline
    last = max([beat for beat, _, _ in session.log] + [max(session.now, 0.0)])
    bars = timeline.span(0, timeline.bar_at(round(last * timeline.grid)) + 1)
    end = bars[-1].start + bars[-1].length(timeline.grid)
    chords = timeline.chords_between(0, end)
    midi = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT)
    midi.tracks.append(conductor_track(Solo([], bars, timeline.grid, tempo, chords), title))
    for name in TRACKS:
        events = [(beat, message) for beat, track, message in session.log if track == name]
        midi.tracks.append(_track(name, events, getattr(session, "shift_ticks", {})))
    return midi


def write_session(path: str | Path, session, tempo: float, title: str = "jazz live") -> None:
    buffer = io.BytesIO()
    session_midi(session, tempo, title).save(file=buffer)
    atomic_write_bytes(path, buffer.getvalue())


def _track(name: str, events: list[tuple[float, mido.Message]], shift_ticks: dict[int, int]) -> mido.MidiTrack:
    """One track from (beat, message) pairs; note-offs go before note-ons at the same tick. Where jazz played notes
    of it off the grid (``shift_ticks``: by the id of their note-on), the track carries the timing event that
    puts them back (jazz.midi.timing), so jazz's reader and `python -m jazz.measure.swing` find the grid."""
    track = mido.MidiTrack([mido.MetaMessage("track_name", name=name)])
    timed = sorted(((round(beat * TICKS_PER_BEAT), message) for beat, message in events),
                   key=lambda e: (e[0], e[1].type == "note_on" and e[1].velocity > 0))
    starts = sorted((tick, m.note, shift_ticks.get(id(m), 0)) for tick, m in timed
                    if m.type == "note_on" and m.velocity > 0)
    if any(shift for *_, shift in starts):
        track.append(timing_event([shift for *_, shift in starts]))
    now = 0
    for tick, message in timed:
        track.append(message.copy(time=max(tick - now, 0)))
        now = max(now, tick)
    track.append(mido.MetaMessage("end_of_track", time=0))
    return track
