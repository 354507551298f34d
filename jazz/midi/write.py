"""Solo (and band parts) → a type 1 MIDI file that a DAW or notation program opens as it is.

Track 0 holds the conductor events (tempo, meters, key, chord symbols as markers); then one track per
part: "Solo" first, then any band parts (jazz.music.band). mido writes the bytes.
"""

from __future__ import annotations

from bisect import bisect_left

import io
from pathlib import Path

import mido

from jazz.files import atomic_write_bytes
from jazz.midi.timing import MAX_SHIFT_TICKS, timing_event
from jazz.music.notes import Part, Solo

TICKS_PER_BEAT = 480


def midi_bytes(solo: Solo, parts: list[Part], title: str = "", composer: str = "", seed: int | None = None) -> bytes:
    """The bytes of a type 1 MIDI file with a conductor track and one track per part."""
    if TICKS_PER_BEAT % solo.grid:
        raise ValueError(f"a grid of {solo.grid} steps per beat does not divide {TICKS_PER_BEAT} ticks")
    midi = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT)
    midi.tracks.append(conductor_track(solo, title, composer))
    if seed is not None:
        midi.tracks[0].insert(1, seed_event(seed))
    scale = TICKS_PER_BEAT // solo.grid
    midi.tracks += [part_track(part, scale) for part in parts]
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


def write_midi(
    path: str | Path, solo: Solo, parts: list[Part] | None = None, title: str = "", composer: str = "",
    seed: int | None = None,
) -> None:
    """Write ``solo`` (as a "Solo" part unless ``parts`` are given) atomically to ``path``; a generated solo's
    ``seed`` goes into a text event."""
    parts = parts if parts is not None else [Part("Solo", solo.notes)]
    atomic_write_bytes(path, midi_bytes(solo, parts, title, composer, seed))


def seed_event(seed: int) -> mido.MetaMessage:
    """The text event that says which `jazz generate --seed` made a solo (at tick 0, after the track name)."""
    return mido.MetaMessage("text", text=f"jazz generate --seed {seed}", time=0)


def read_seed(midi: mido.MidiFile) -> int | None:
    """The seed a generated file records (``seed_event``), if any."""
    for message in midi.tracks[0] if midi.tracks else []:
        if message.type == "text" and message.text.startswith("jazz generate --seed "):
            word = message.text.rsplit(" ", 1)[-1]
            return int(word) if word.isdigit() else None
    return None


def conductor_track(solo: Solo, title: str = "", composer: str = "") -> mido.MidiTrack:
    """Tempo, meters, key, chord markers, and the title as the track name (the composer in a text event)."""
    scale = TICKS_PER_BEAT // solo.grid
    events = [(0, 0, mido.MetaMessage("track_name", name=title or solo.name or "jazz"))]
    if composer:
        events.append((0, 0, mido.MetaMessage("text", text=f"Composer: {composer}")))
    events.append((0, 1, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(solo.tempo))))
    if solo.key and valid_key(solo.key):
        events.append((0, 2, mido.MetaMessage("key_signature", key=solo.key)))
    meter = None
    for bar in solo.bars:
        if bar.meter != meter:
            meter = bar.meter
            events.append((bar.start * scale, 3, mido.MetaMessage(
                "time_signature", numerator=bar.numerator, denominator=bar.denominator,
                clocks_per_click=24 * 4 // bar.denominator, notated_32nd_notes_per_beat=8)))
    for change in solo.chords:
        events.append((change.onset * scale, 4, mido.MetaMessage("marker", text=change.symbol)))
    end = solo.total_steps * scale
    return events_track(events, end)


def part_track(part: Part, scale: int) -> mido.MidiTrack:
    events = [(0, 0, mido.MetaMessage("track_name", name=part.name))]
    if part.program is not None:
        events.append((0, 1, mido.Message("program_change", channel=part.channel, program=part.program)))
    end = 0
    played = played_ticks(part, scale)
    if part.shifts:  # tells jazz's reader the grid the notes were played from
        order = sorted(range(len(played)), key=lambda i: (played[i][0], part.notes[i].pitch))
        events.append((0, 2, timing_event([played[i][2] for i in order])))
    for note, (on, off, _) in zip(part.notes, played):
        end = max(end, off)
        # note-offs sort before note-ons at the same tick, so repeated notes never swallow each other
        events.append((on, 3, mido.Message("note_on", channel=part.channel, note=note.pitch, velocity=note.velocity)))
        events.append((off, 2, mido.Message("note_off", channel=part.channel, note=note.pitch, velocity=0)))
    return events_track(events, end)


def played_ticks(part: Part, scale: int) -> list[tuple[int, int, int]]:
    """(note-on tick, note-off tick, shift in ticks) of each note, moved by its shift (at most
    MAX_SHIFT_TICKS, never before tick 0, and a late note still starts before its written end); a shifted note
    ends by the time the next note of its pitch starts, and by the time any note written after its end starts (a
    line written monophonic stays monophonic), and no later than the part's last written note end (so the file
    keeps its length)."""
    if part.shifts and len(part.shifts) != len(part.notes):
        raise ValueError(f"part {part.name!r} has {len(part.shifts)} shifts for {len(part.notes)} notes")
    shifts = [max(-MAX_SHIFT_TICKS, -n.onset * scale, min(MAX_SHIFT_TICKS, round(s * scale), n.duration * scale - 1))
              for n, s in zip(part.notes, part.shifts)]  # nothing before the file starts, or after the written end
    ticks = [(n.onset * scale + s, n.end * scale + s, s) for n, s in zip(part.notes, shifts or [0] * len(part.notes))]
    following: dict[int, int] = {}  # pitch -> the on tick of the next note of that pitch
    last = max((n.end * scale for n in part.notes), default=0)  # a played part ends no later than written
    for i in sorted(range(len(ticks)), key=lambda i: ticks[i][0], reverse=True) if part.shifts else ():
        on, off, shift = ticks[i]
        pitch = part.notes[i].pitch
        ticks[i] = (on, max(on + 1, min(off, last, following.get(pitch, off))), shift)
        following[pitch] = on
    return _kept_apart(part, ticks, scale) if part.shifts else ticks


def _kept_apart(part: Part, ticks: list[tuple[int, int, int]], scale: int) -> list[tuple[int, int, int]]:
    """``ticks`` with each note ending by the played start of the first note written to start after it ends."""
    order = sorted(range(len(ticks)), key=lambda i: part.notes[i].onset)
    onsets = [part.notes[i].onset for i in order]
    earliest = [ticks[i][0] for i in order]  # then the earliest played start from each place on
    for k in range(len(earliest) - 2, -1, -1):
        earliest[k] = min(earliest[k], earliest[k + 1])
    out = list(ticks)
    for i, (on, off, shift) in enumerate(ticks):
        k = bisect_left(onsets, part.notes[i].end)
        if k < len(order):
            out[i] = (on, max(on + 1, min(off, earliest[k])), shift)
    return out


def events_track(events: list[tuple[int, int, mido.Message]], end: int) -> mido.MidiTrack:
    """A track from (absolute tick, order at that tick, message) triples, in time order, closed at ``end``."""
    track = mido.MidiTrack()
    now = 0
    for tick, _, message in sorted(events, key=lambda e: (e[0], e[1], getattr(e[2], "note", 0))):
        track.append(message.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=max(end - now, 0)))
    return track


def valid_key(key: str) -> bool:
    """Whether mido can write ``key`` as a key signature (e.g. 'Bb', 'Cm', 'F#')."""
    try:
        mido.MetaMessage("key_signature", key=key)
        return True
    except (ValueError, KeyError):
        return False
