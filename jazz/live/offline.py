"""A recorded performance in place of a live player, and a simulated DAW clock to go with it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import mido

from jazz.files import UsageError
from jazz.live.clock import TICKS_PER_BEAT
from jazz.midi.read import MidiError, choose_melody, load_content


@dataclass
class Performance:
    """The melody of a MIDI file as the player's messages, timed in beats from the file's start."""

    events: list[tuple[float, mido.Message]]
    tempo: float  # the file's first tempo
    last_onset: float  # beats


def read_performance(path: str | Path) -> Performance:
    """The most melody-like part of ``path`` (as jazz.midi.read chooses it), note by note."""
    try:
        content = load_content(path)
        part = choose_melody(content.parts)
    except MidiError as error:
        raise UsageError(f"--input {path}: {error}") from None
    tpb = content.ticks_per_beat
    events = []
    for start, end, pitch, velocity in part.notes:
        events.append((start / tpb, mido.Message("note_on", channel=part.channel, note=pitch, velocity=velocity)))
        events.append((end / tpb, mido.Message("note_off", channel=part.channel, note=pitch, velocity=0)))
    events.sort(key=lambda e: (e[0], e[1].type == "note_on"))
    return Performance(events, content.tempo, max(start for start, *_ in part.notes) / tpb)


def timed(events: list[tuple[float, mido.Message]], bpm: float, origin: float = 0.0) -> list:
    """Events in beats → events in seconds at ``bpm``, beat 0 at ``origin``."""
    return [(origin + beat * 60.0 / bpm, message) for beat, message in events]


def daw_clock(bpm: float, beats: float, origin: float = 0.0) -> list[tuple[float, mido.Message]]:
    """What a DAW sends while playing ``beats`` beats at ``bpm``: start, 24 clocks a beat (the first at
    ``origin``, beat 0), then stop."""
    tick = 60.0 / (bpm * TICKS_PER_BEAT)
    count = int(beats * TICKS_PER_BEAT) + 1
    events = [(origin - tick / 2, mido.Message("start"))]
    events += [(origin + k * tick, mido.Message("clock")) for k in range(count)]
    return events + [(origin + count * tick, mido.Message("stop"))]


class FilePlayer:
    """Messages at known times (seconds), handed over as time reaches them."""

    def __init__(self, events: list[tuple[float, mido.Message]]):
        self.events = sorted(events, key=lambda e: (e[0], not e[1].is_realtime))  # clocks before notes
        self.index = 0

    def poll(self, now: float) -> list[tuple[float, mido.Message]]:
        start = self.index
        while self.index < len(self.events) and self.events[self.index][0] <= now:
            self.index += 1
        return self.events[start:self.index]

    def next_time(self) -> float | None:
        return self.events[self.index][0] if self.index < len(self.events) else None


class Discard:
    """An output port that plays nothing (an offline session that is only recorded)."""

    def send(self, message: mido.Message) -> None:
        pass
