"""A MIDI file's content in ticks: its parts' notes, meters, tempo, key and chord texts (``MidiContent``).

symusic (C++) decodes an intact file; mido decodes the rest: a file whose chunks do not frame exactly, or
that holds text or cue events (symusic keeps only markers and lyrics), or whose tracks symusic regroups (it
splits a track by channel and program, and leaves out tracks without notes, which would renumber them),
and a damaged file, read as far as it is intact by jazz.midi.salvage. Both give the same content (tested
on every Weimar solo and on damaged copies), a performed part's notes put back on their grid by its timing event
(jazz.midi.timing: symusic drops the event, so ``track_shifts`` reads it from the track's bytes).
"""

from __future__ import annotations

import io
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import mido
import numpy as np

from jazz.midi.salvage import salvage, stops_early
from jazz.midi.timing import TIMING_ID, read_shifts, shifts_of, unshift

DRUM_CHANNEL = 9  # channel 10 in 1-based numbering
TEXT_KINDS = ("marker", "text", "cue_marker", "lyrics")  # the text events that may hold chord symbols
END_OF_TRACK = b"\xff\x2f\x00"
UNREAD_BY_SYMUSIC = (b"\xff\x01", b"\xff\x07")  # text and cue events (or bytes that look like them): symusic drops them
MAJOR_KEYS = ("Cb", "Gb", "Db", "Ab", "Eb", "Bb", "F", "C", "G", "D", "A", "E", "B", "F#", "C#")  # -7..7 sharps
MINOR_KEYS = ("Ab", "Eb", "Bb", "F", "C", "G", "D", "A", "E", "B", "F#", "C#", "G#", "D#", "A#")


class MidiError(ValueError):
    """A file that cannot give a solo; the message is the one-line reason."""


@dataclass
class TrackNotes:
    """The notes of one track (and channel) in ticks, before quantization."""

    track: int
    channel: int
    name: str
    notes: list[tuple[int, int, int, int]] = field(default_factory=list)  # (start, end, pitch, velocity)
    played: list[int] = field(default_factory=list)  # each note's played start tick (jazz.midi.timing); empty: none
    known_rows: np.ndarray | None = field(default=None, repr=False, compare=False)  # ``notes`` as a reader made them

    @property
    def label(self) -> str:
        return f"{self.track}:{self.name}" if self.name else str(self.track)

    def rows(self) -> np.ndarray:
        """``notes`` as an (n, 4) int64 array (the reader's own, unless ``notes`` was replaced since)."""
        if self.known_rows is None or len(self.known_rows) != len(self.notes):
            self.known_rows = np.array(self.notes, dtype=np.int64).reshape(-1, 4)
        return self.known_rows


@dataclass
class MidiContent:
    """What the parser needs from a file: parts, meters, tempo, key and text events, in ticks."""

    ticks_per_beat: int
    parts: list[TrackNotes]
    meters: list[tuple[int, int, int]]  # (tick, numerator, denominator)
    tempo: float
    key: str | None
    tempi: list[tuple[int, float]]  # (tick, bpm) of every tempo change
    texts: list[tuple[int, str]]  # text events of the kinds that read as chord symbols
    damage: str = ""  # where a damaged file stops being readable ("" for an intact one)


TextFilter = Callable[[list[str]], bool]  # whether the texts of one kind are chord symbols


def read_content(path: str | Path, chords: TextFilter) -> MidiContent:
    """The content of the file at ``path``: by symusic where it reads the file as mido would, else by mido
    (with the salvage of a damaged file); of the text events, the kinds ``chords`` accepts. Every failure
    becomes a one-line MidiError."""
    data = file_bytes(path)
    fast = symusic_content(data, chords) if symusic_reads(data) else None
    return fast or mido_content(*open_bytes(data), chords=chords)


def file_bytes(path: str | Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise MidiError(f"cannot read the file ({error.strerror or type(error).__name__})") from None


def symusic_reads(data: bytes) -> bool:
    """Whether symusic may decode ``data``: a type 0 or 1 file with beats whose chunks follow each other
    exactly, each track ending with its end-of-track event, and no text or cue event."""
    if len(data) < 14 or data[:8] != b"MThd\x00\x00\x00\x06":
        return False
    fmt, ntracks, division = struct.unpack(">hhh", data[8:14])
    if fmt not in (0, 1) or not 0 < division < 0x8000 or any(kind in data for kind in UNREAD_BY_SYMUSIC):
        return False
    pos = 14
    for _ in range(ntracks):
        if data[pos:pos + 4] != b"MTrk" or pos + 8 > len(data):
            return False
        pos += 8 + struct.unpack(">I", data[pos + 4:pos + 8])[0]
        if data[pos - 3:pos] != END_OF_TRACK:
            return False
    return pos == len(data)


def symusic_content(data: bytes, chords: TextFilter) -> MidiContent | None:
    """symusic's reading of an intact file, a track chunk at a time (symusic leaves out tracks without
    notes, which would renumber the rest); None where it splits a track into several, by channel or
    program, which mido reads as one part per channel."""
    import symusic

    ntracks = struct.unpack(">h", data[10:12])[0]
    parts, meters, tempos, keys, texts = [], [], [], [], {"marker": [], "lyrics": []}
    pos = 14
    for index in range(ntracks):
        end = pos + 8 + struct.unpack(">I", data[pos + 4:pos + 8])[0]
        try:
            score = symusic.Score.from_midi(data[:8] + b"\x00\x00\x00\x01" + data[12:14] + data[pos:end])
        except Exception:  # mido's reading says what is wrong
            return None
        tracks = [t for t in score.tracks if len(t.notes)]
        if len(tracks) > 1:
            return None
        for track in tracks:
            try:
                channel = DRUM_CHANNEL if track.is_drum else first_channel(data, pos + 8, end)
                shifts = track_shifts(data, pos + 8, end) if bytes(TIMING_ID) in data[pos + 8:end] else None
            except IndexError:
                return None
            columns = track.notes.numpy()
            start = columns["time"].astype(np.int64)
            rows = np.stack([start, start + columns["duration"], columns["pitch"], columns["velocity"]], axis=1)
            notes = list(zip(*rows.T.tolist()))
            if shifts is None:
                parts.append(TrackNotes(index, channel, track.name.strip(), notes, known_rows=rows))
            else:
                parts.append(TrackNotes(index, channel, track.name.strip(), *unshift(notes, shifts)))
        meters += [(m.time, m.numerator, m.denominator) for m in score.time_signatures]
        tempos += [(t.time, t.mspq) for t in score.tempos]
        keys += [(k.time, (MINOR_KEYS if k.tonality else MAJOR_KEYS)[k.key + 7] + "m" * bool(k.tonality))
                 for k in score.key_signatures if -7 <= k.key <= 7]
        texts["marker"] += [(m.time, m.text) for m in score.markers]
        texts["lyrics"] += [(m.time, m.text) for track in score.tracks for m in track.lyrics]
        pos = end
    tempo = next((60_000_000 / t for _, t in sorted(tempos) if t > 0), 120.0)
    return MidiContent(
        ticks_per_beat=struct.unpack(">h", data[12:14])[0],
        parts=parts,
        meters=sorted(meters),
        tempo=min(max(tempo, 20.0), 400.0),
        key=min(keys)[1] if keys else None,
        tempi=tempo_map(tempos),
        texts=sorted(t for items in texts.values() if chords([text for _, text in items]) for t in items),
    )


def tempo_map(tempos: list[tuple[int, int]]) -> list[tuple[int, float]]:
    """(tick, bpm) of every tempo change, from (tick, microseconds per beat) events."""
    return [(tick, min(max(60_000_000 / t, 20.0), 400.0)) for tick, t in sorted(tempos) if t > 0]


def track_shifts(data: bytes, pos: int, end: int) -> list[int] | None:
    """The shifts of the timing event (jazz.midi.timing) among the track events ``data[pos:end]``, the last one
    as mido's reading keeps it; None if there is none."""
    shifts, running = None, 0
    while pos < end:
        while data[pos] & 0x80:  # the delta time's continuation bytes
            pos += 1
        pos += 1
        status = running
        if data[pos] & 0x80:
            status, pos = data[pos], pos + 1
            running = running if status == 0xFF else status  # as mido: a meta event keeps the running status
        if status in (0xFF, 0xF0, 0xF7):
            kind = data[pos] if status == 0xFF else None
            pos += status == 0xFF
            length, pos = _length(data, pos)
            if kind == 0x7F:
                shifts = shifts_of(data[pos:pos + length]) or shifts
            pos += length
        else:
            pos += 1 if 0xC0 <= status < 0xE0 else 2
    return shifts


def _length(data: bytes, pos: int) -> tuple[int, int]:
    """A variable-length quantity at ``pos``, and the position after it."""
    length = 0
    while True:
        length, pos = (length << 7) | (data[pos] & 0x7F), pos + 1
        if not data[pos - 1] & 0x80:
            return length, pos


def first_channel(data: bytes, pos: int, end: int) -> int:
    """The channel of the first channel message in the track events ``data[pos:end]`` (0 if none)."""
    while pos < end:
        while data[pos] & 0x80:  # the delta time's continuation bytes
            pos += 1
        status, pos = data[pos + 1], pos + 2
        if 0x80 <= status < 0xF0:
            return status & 0x0F
        if status == 0xFF:  # a meta event: its type, then its length
            pos += 1
        length = 0
        while True:
            length, pos = (length << 7) | (data[pos] & 0x7F), pos + 1
            if not data[pos - 1] & 0x80:
                break
        pos += length
    return 0


def open_bytes(data: bytes) -> tuple[mido.MidiFile, str]:
    """A file's bytes read by mido, or what is intact of a damaged one; also where it is damaged ("" if not).
    Every failure becomes a one-line MidiError."""
    midi, damage = parse_bytes(data)
    if midi.type == 2:
        raise MidiError("type 2 MIDI (independent sequences) is not supported")
    if not 0 < midi.ticks_per_beat < 0x8000:
        raise MidiError("SMPTE time division is not supported (no beats to quantize to)")
    return midi, damage


def parse_bytes(data: bytes) -> tuple[mido.MidiFile, str]:
    """mido's reading of the bytes; for a damaged file, what is intact and where the damage is."""
    try:
        midi = mido.MidiFile(file=io.BytesIO(data), clip=True)
        if not stops_early(midi, data):
            return midi, ""
    except Exception:  # mido raises many kinds on damaged bytes; the salvage says what the damage is
        pass
    try:
        salvaged = salvage(data)
    except ValueError as error:
        raise MidiError(f"not a valid MIDI file: {error}") from None
    return salvaged.midi, salvaged.damage


def mido_content(midi: mido.MidiFile, damage: str = "", chords: TextFilter = lambda texts: False) -> MidiContent:
    """Notes per track and channel, and the meta events that place them in time, from mido's reading. A note
    never switched off is left out, as symusic leaves it out (its length is unknown)."""
    parts: dict[tuple[int, int], TrackNotes] = {}
    meters, tempos, keys, texts = [], [], [], {}
    shifts: dict[int, list[int]] = {}  # track -> the tick shift of each note it plays (jazz.midi.timing)
    for index, track in enumerate(midi.tracks):
        open_notes: dict[tuple[int, int], list[tuple[int, int]]] = {}
        name = track.name.strip()  # mido scans the track for its name: once per track, not per note
        tick = 0
        for message in track:
            tick += message.time
            kind = message.type
            if kind == "note_on" and message.velocity > 0:
                open_notes.setdefault((message.channel, message.note), []).append((tick, message.velocity))
            elif kind in ("note_on", "note_off"):
                starts = open_notes.get((message.channel, message.note))
                if starts:
                    start, velocity = starts.pop(0)
                    part = parts.setdefault((index, message.channel), TrackNotes(index, message.channel, name))
                    part.notes.append((start, tick, message.note, velocity))
            elif kind == "time_signature":
                meters.append((tick, message.numerator, message.denominator))
            elif kind == "set_tempo":
                tempos.append((tick, message.tempo))
            elif kind == "key_signature":
                keys.append((tick, message.key))
            elif kind in TEXT_KINDS:
                texts.setdefault(kind, []).append((tick, message.text))
            elif kind == "sequencer_specific" and read_shifts(message) is not None:
                shifts[index] = read_shifts(message)
    for part in parts.values():  # a part played off the grid goes back onto it
        if part.track in shifts:
            part.notes, part.played = unshift(part.notes, shifts[part.track])
    tempo = next((60_000_000 / t for _, t in sorted(tempos) if t > 0), 120.0)
    return MidiContent(
        ticks_per_beat=midi.ticks_per_beat,
        parts=[p for p in parts.values() if p.notes],
        meters=sorted(meters),
        tempo=min(max(tempo, 20.0), 400.0),
        key=min(keys)[1] if keys else None,
        tempi=tempo_map(tempos),
        texts=sorted(t for items in texts.values() if chords([text for _, text in items]) for t in items),
        damage=damage,
    )
