"""A damaged MIDI file, read as far as it is intact.

mido reads a file whole or not at all. When it cannot, this walker reads the header, then every
``MTrk`` chunk event by event, and ends a track at the first event that cannot be decoded (or at the
end of the file), keeping the events before it. A track's end-of-track event is trusted over its chunk
length (a length can lie), and after damage the walk looks ahead for the next ``MTrk`` header.

Garbage often decodes as a few events before it breaks one (or decodes throughout, and only makes the
track longer than its chunk says). In such a track the first event that makes no sense (a note-off for
a silent note, an absurd pause) is taken as the start of the garbage, and a note left sounding at the
cut is dropped, so no made-up or shifted note is kept. mido builds the messages; this module only finds
where each event begins and ends.
"""

from __future__ import annotations

import struct
from collections import Counter
from dataclasses import dataclass, field

import mido

FIXED_META_LENGTHS = {0x20: 1, 0x21: 1, 0x2F: 0, 0x51: 3, 0x54: 5, 0x58: 4, 0x59: 2}  # meta type → data bytes
MAX_VARLEN_BYTES = 4  # the longest variable-length number a MIDI file may hold
MAX_PAUSE_BEATS = 1000  # in a damaged track, a longer pause between two events is taken for garbage
MAX_EVENT_BYTES = 65_536  # a longer meta or system exclusive event that runs past the end is garbage


class Broken(Exception):
    """An event that cannot be decoded; the message says why, as a phrase."""


class FileEnds(Exception):
    """The bytes end inside an event."""


class Unreadable(Exception):
    """A well-framed meta event whose content mido cannot decode (it can be left out)."""


@dataclass
class Salvaged:
    midi: mido.MidiFile
    damage: str  # where and why reading stopped or skipped something, in one sentence


@dataclass
class TrackRead:
    """One track as far as it could be decoded."""

    index: int
    messages: list = field(default_factory=list)
    offsets: list[int] = field(default_factory=list)  # where each message begins in the file
    end: int = 0  # where the decoded events end
    damage: str = ""  # why decoding stopped early, as a sentence ("" if it reached an end)

    @property
    def label(self) -> str:
        name = next((m.name.strip() for m in self.messages if m.type == "track_name"), "")
        return f"track {self.index} ({name})" if name else f"track {self.index}"

    def cut(self, at: int, damage: str) -> None:
        """Keep only the messages before the ``at``-th, and say why."""
        self.end, self.damage = self.offsets[at], damage
        del self.messages[at:], self.offsets[at:]


def salvage(data: bytes) -> Salvaged:
    """The tracks of ``data`` up to their damage, and a sentence that says where it is.

    Raises ValueError (with a sentence) when not even the header or one track can be read.
    """
    findings: list[str] = []
    fmt, ntracks, division, pos = read_header(data, findings)
    midi = mido.MidiFile()
    midi.type, midi.ticks_per_beat = fmt, division
    pos = find_track(data, [pos], pos, findings, 0)
    while pos >= 0 and len(midi.tracks) < ntracks:
        if pos + 8 > len(data):
            findings.append(f"file ends inside the chunk header of track {len(midi.tracks)} at byte {len(data):,}")
            break
        declared_end = pos + 8 + struct.unpack(">I", data[pos + 4:pos + 8])[0]
        read = read_track(data, pos + 8, declared_end, len(midi.tracks), findings)
        check_overrun(read, pos + 8, declared_end, division)
        if read.damage:
            findings.append(read.damage)
        midi.tracks.append(as_track(read))
        expected = [declared_end] if read.damage else [declared_end, read.end]
        pos = find_track(data, expected, read.end, findings, len(midi.tracks))
        if pos > read.end and not read.damage:
            findings.append(f"{pos - read.end:,} bytes of garbage after {read.label} were passed over")
    if not midi.tracks:
        raise ValueError("it holds no track ('MTrk' chunk)")
    if not findings and len(midi.tracks) < ntracks:
        findings.append(f"the header promises {ntracks} tracks but the file holds {len(midi.tracks)}")
    return Salvaged(midi, "; ".join(findings))


def find_track(data: bytes, expected: list[int], search_from: int, findings: list[str], index: int) -> int:
    """Where the next track chunk begins: at an ``expected`` place, even with one byte of its name damaged,
    else at the next 'MTrk' from ``search_from`` (-1 if there is none)."""
    for pos in expected:
        name = data[pos:pos + 4]
        if len(name) == 4 and sum(a != b for a, b in zip(name, b"MTrk")) <= 1:
            if name != b"MTrk":
                findings.append(f"track {index}'s chunk is named {name.decode('latin-1')!r}, not 'MTrk'")
            return pos
    return data.find(b"MTrk", search_from)


def stops_early(midi: mido.MidiFile, data: bytes) -> bool:
    """Whether mido's reading of ``data`` stopped inside it: a track that has no end-of-track event, and
    bytes after the chunks read (a chunk length that lies makes mido stop at a random event)."""
    if all(track and track[-1].type == "end_of_track" for track in midi.tracks):
        return False
    *_, pos = read_header(data)
    for _ in midi.tracks:
        pos += 8 + struct.unpack(">I", data[pos + 4:pos + 8])[0]
    return pos < len(data)


def read_header(data: bytes, findings: list[str] | None = None) -> tuple[int, int, int, int]:
    """Format, track count, time division and where the first chunk after the header begins.

    A header whose name is damaged in one byte but whose length is right is read, and said so in ``findings``.
    """
    if not data:
        raise ValueError("it is empty")
    name, length = data[:4], struct.unpack(">I", data[4:8])[0] if len(data) >= 8 else 0
    if name != b"MThd":
        if len(name) < 4 or sum(a != b for a, b in zip(name, b"MThd")) > 1 or length != 6:
            raise ValueError("it does not start with a MIDI header ('MThd')")
        if findings is not None:
            findings.append(f"the header is named {name.decode('latin-1')!r}, not 'MThd'")
    if len(data) < 14:
        raise ValueError(f"it ends inside its header, after {len(data)} bytes")
    fmt, ntracks, division = struct.unpack(">hhh", data[8:14])
    return fmt, ntracks, division, 8 + length if 6 <= length < len(data) else 14


def read_track(data: bytes, start: int, declared_end: int, index: int, findings: list[str]) -> TrackRead:
    """The events from ``start`` to the end-of-track event, the end of the file or the first broken event.

    A track without an end-of-track event ends where its chunk length says, if another track or the end
    of the file follows there. A meta event that is well framed but cannot be decoded is left out.
    """
    read, cursor, status = TrackRead(index), Cursor(data, start), None
    while not (cursor.pos == declared_end and data[cursor.pos:cursor.pos + 4] in (b"", b"MTrk")):
        at = cursor.pos
        try:
            message, status = read_event(cursor, status)
        except FileEnds:
            read.end, read.damage = len(data), f"file ends inside {read.label} at byte {len(data):,}"
            return read
        except Broken as why:
            read.end, read.damage = at, f"garbage inside {read.label} at byte {at:,} ({why})"
            return read
        except Unreadable:
            findings.append(f"an unreadable meta event in {read.label} at byte {at:,} was left out")
            continue
        if message is not None:
            read.messages.append(message)
            read.offsets.append(at)
            if message.type == "end_of_track":
                break
    read.end = cursor.pos
    return read


def check_overrun(read: TrackRead, start: int, declared_end: int, ticks_per_beat: int) -> None:
    """Look for garbage that decoded as events: in a track cut by garbage, or longer than its chunk says.

    Such a track ends at the first event that makes no sense (see ``first_misfit``) if there is one.
    """
    overrun = not read.damage and read.end != declared_end
    if not (overrun or read.damage.startswith("garbage")):
        return
    misfit = first_misfit(read.messages, ticks_per_beat)
    if misfit is not None:
        at, why = misfit
        read.cut(at, f"garbage inside {read.label} at byte {read.offsets[at]:,} ({why})")
    elif overrun:
        read.damage = (f"{read.label}'s chunk length says {declared_end - start:,} bytes "
                       f"but its events take {read.end - start:,}")


def first_misfit(messages: list, ticks_per_beat: int) -> tuple[int, str] | None:
    """The first event that no intact file would hold here: a note-off for a note that is not sounding, or a
    pause of more than MAX_PAUSE_BEATS; with the phrase that says which."""
    sounding: Counter[tuple[int, int]] = Counter()
    beat = max(ticks_per_beat, 1)
    for i, message in enumerate(messages):
        if message.time > MAX_PAUSE_BEATS * beat:
            return i, f"a pause of {message.time // beat:,} beats"
        if message.type not in ("note_on", "note_off"):
            continue
        key = (message.channel, message.note)
        if message.type == "note_on" and message.velocity > 0:
            sounding[key] += 1
        elif sounding[key] == 0:
            return i, "a note-off for a note that is not sounding"
        else:
            sounding[key] -= 1
    return None


def as_track(read: TrackRead) -> mido.MidiTrack:
    """The messages as a mido track; in a track cut short, a note still sounding at the cut is left out
    (its length is unknown)."""
    messages = read.messages
    if read.damage:
        messages = without_unfinished_notes(messages)
    return mido.MidiTrack(messages)


def without_unfinished_notes(messages: list) -> list:
    """The messages less every note-on that no later note-off ends, with the times of the rest kept."""
    sounding: dict[tuple[int, int], list[int]] = {}
    for i, message in enumerate(messages):
        if message.type == "note_on" and message.velocity > 0:
            sounding.setdefault((message.channel, message.note), []).append(i)
        elif message.type in ("note_on", "note_off") and sounding.get((message.channel, message.note)):
            sounding[(message.channel, message.note)].pop(0)
    unfinished = {i for starts in sounding.values() for i in starts}
    kept, carried = [], 0
    for i, message in enumerate(messages):
        if i in unfinished:
            carried += message.time
        else:
            kept.append(message.copy(time=message.time + carried) if carried else message)
            carried = 0
    return kept


def read_event(cursor: Cursor, status: int | None) -> tuple[mido.Message | mido.MetaMessage | None, int | None]:
    """One event at the cursor: (the message, or None for a system exclusive one; the running status after it)."""
    delta = cursor.varlen()
    first = cursor.byte()
    if first == 0xFF:
        return read_meta(cursor, delta, cursor.pos - 1), status
    if first in (0xF0, 0xF7):
        cursor.take(cursor.varlen(), "system exclusive event")
        return None, None
    if first >= 0xF0:
        raise Broken(f"a status byte 0x{first:02X} that has no place in a MIDI file")
    if first < 0x80:
        if status is None:
            raise Broken(f"a data byte 0x{first:02X} where an event should start")
        data = [first] + cursor.data_bytes(status_data_length(status) - 1)
    else:
        status, data = first, cursor.data_bytes(status_data_length(first))
    return mido.Message.from_bytes([status] + data, time=delta), status


def read_meta(cursor: Cursor, delta: int, begin: int) -> mido.MetaMessage:
    """The meta event whose 0xFF byte is at ``begin`` (the cursor is just after it)."""
    kind = cursor.byte()
    if kind >= 0x80:
        raise Broken(f"a meta event of type 0x{kind:02X}, which does not exist")
    length = cursor.varlen()
    if FIXED_META_LENGTHS.get(kind, length) != length:
        raise Broken(f"a meta event of type 0x{kind:02X} with {length} bytes, where it has {FIXED_META_LENGTHS[kind]}")
    cursor.take(length, "meta event")
    try:
        message = mido.MetaMessage.from_bytes(cursor.data[begin:cursor.pos])
    except Exception:  # mido raises many kinds on bad meta data (KeySignatureError, IndexError...)
        raise Unreadable from None
    message.time = delta
    return message


def status_data_length(status: int) -> int:
    """Data bytes after a channel message's status byte."""
    return 1 if 0xC0 <= status < 0xE0 else 2


class Cursor:
    """A position in the file's bytes that raises FileEnds or Broken instead of reading what is not there."""

    def __init__(self, data: bytes, pos: int):
        self.data, self.pos = data, pos

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise FileEnds
        self.pos += 1
        return self.data[self.pos - 1]

    def take(self, length: int, what: str) -> bytes:
        left = len(self.data) - self.pos
        if length > left:  # a file cut inside a text, say; but no event is megabytes long
            if length <= MAX_EVENT_BYTES:
                raise FileEnds
            raise Broken(f"a {what} {length:,} bytes long, with {left:,} bytes left in the file")
        self.pos += length
        return self.data[self.pos - length:self.pos]

    def data_bytes(self, count: int) -> list[int]:
        values = [self.byte() for _ in range(count)]
        if any(value >= 0x80 for value in values):
            raise Broken(f"a status byte 0x{max(values):02X} where a data byte should be")
        return values

    def varlen(self) -> int:
        value = 0
        for _ in range(MAX_VARLEN_BYTES):
            byte = self.byte()
            value = value << 7 | byte & 0x7F
            if byte < 0x80:
                return value
        raise Broken("a variable-length number longer than four bytes")
