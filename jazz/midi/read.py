"""MIDI file → quantized monophonic Solo.

mido reads the bytes; this module finds the melody part, places it on bars and beats from the
file's ticks and time signatures (positions in beats, never seconds), and quantizes it.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import mido

from jazz.midi.salvage import salvage, stops_early
from jazz.midi.timing import read_shifts, unshift
from jazz.music.notes import (
    DEFAULT_GRID,
    HIGHEST_PITCH,
    LOWEST_PITCH,
    Bar,
    ChordChange,
    Note,
    Solo,
    snap_duration,
)

DRUM_CHANNEL = 9  # channel 10 in 1-based numbering
MAX_EMPTY_BARS = 2  # longer silences inside a solo are shortened to this many empty bars
MIN_NOTES = 8
MAX_BEATS = 40_000  # about two and a half hours at 250 bpm: anything longer is a damaged file
TEXT_KINDS = ("marker", "text", "cue_marker", "lyrics")  # the text events that may hold chord symbols
CHORD_SHARE = 0.75  # of one kind's text events that must parse as chords for that kind to be read as chords
WORD_LIKE = re.compile(r"[A-G]o")  # "Go", "Do": a word sooner than a diminished chord


class MidiError(ValueError):
    """A file that cannot give a solo; the message is the one-line reason."""


@dataclass
class TrackNotes:
    """The notes of one track (and channel) in ticks, before quantization."""

    track: int
    channel: int
    name: str
    notes: list[tuple[int, int, int, int]] = field(default_factory=list)  # (start, end, pitch, velocity)

    @property
    def label(self) -> str:
        return f"{self.track}:{self.name}" if self.name else str(self.track)


@dataclass
class MidiContent:
    """What the parser needs from a file: parts, meters, tempo, key and text events, in ticks."""

    ticks_per_beat: int
    parts: list[TrackNotes]
    meters: list[tuple[int, int, int]]  # (tick, numerator, denominator)
    tempo: float
    key: str | None
    tempi: list[tuple[int, float]]  # (tick, bpm) of every tempo change
    texts: list[tuple[int, str]]  # text events of the kinds that read as chord symbols (see reads_as_chords)
    damage: str = ""  # where a damaged file stops being readable ("" for an intact one)


@dataclass
class Reading:
    """A file read as a solo: the solo, the label of its melody part, and any damage read around."""

    solo: Solo
    track: str
    damage: str = ""  # where the file is damaged (the solo is what could be read), "" for an intact file


def read_midi(path: str | Path, grid: int = DEFAULT_GRID, track: str | None = None) -> tuple[Solo, str]:
    """Parse ``path`` into a quantized Solo; also return the label of the melody part used."""
    reading = read_solo(path, grid, track)
    return reading.solo, reading.track


def read_solo(path: str | Path, grid: int = DEFAULT_GRID, track: str | None = None) -> Reading:
    """Parse ``path`` into a quantized Solo, from what is intact in a damaged file."""
    content = load_content(path)
    try:
        part = choose_melody(content.parts, track)
        solo = quantize(part, content, grid)
        if len(solo.notes) < MIN_NOTES:
            raise MidiError(f"only {len(solo.notes)} notes in the melody part {part.label!r} (need {MIN_NOTES})")
    except MidiError as error:
        if content.damage:
            raise MidiError(f"{content.damage}; in what could be read: {error}") from None
        raise
    solo.name = Path(path).stem
    return Reading(solo, part.label, content.damage)


def open_midi(path: str | Path) -> tuple[mido.MidiFile, str]:
    """Open a file with mido, or what is intact of a damaged one; also where it is damaged ("" if not).

    Every failure becomes a one-line MidiError.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise MidiError(f"cannot read the file ({error.strerror or type(error).__name__})") from None
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


def load_content(path: str | Path) -> MidiContent:
    """Collect notes per track and channel, and the meta events that place them in time."""
    midi, damage = open_midi(path)
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
        for (channel, pitch), starts in open_notes.items():  # notes never switched off end with the track
            part = parts.setdefault((index, channel), TrackNotes(index, channel, name))
            part.notes.extend((start, max(tick, start + 1), pitch, velocity) for start, velocity in starts)
    for part in parts.values():  # a part played off the grid goes back onto it
        part.notes = unshift(part.notes, shifts[part.track]) if part.track in shifts else part.notes
    tempo = next((60_000_000 / t for _, t in sorted(tempos) if t > 0), 120.0)
    return MidiContent(
        ticks_per_beat=midi.ticks_per_beat,
        parts=[p for p in parts.values() if p.notes],
        meters=sorted(meters),
        tempo=min(max(tempo, 20.0), 400.0),
        key=min(keys)[1] if keys else None,
        tempi=[(tick, min(max(60_000_000 / t, 20.0), 400.0)) for tick, t in sorted(tempos) if t > 0],
        texts=sorted(t for items in texts.values() if reads_as_chords([text for _, text in items]) for t in items),
        damage=damage,
    )


def choose_melody(parts: list[TrackNotes], track: str | None = None) -> TrackNotes:
    """The part to learn from: the one ``track`` names, or the most melody-like one."""
    if not parts:
        raise MidiError("no notes")
    if track is not None:
        return _named_part(parts, track)
    pitched = [p for p in parts if p.channel != DRUM_CHANNEL]
    if not pitched:
        raise MidiError("drums only (channel 10)")
    return max(pitched, key=melody_score)


def _named_part(parts: list[TrackNotes], track: str) -> TrackNotes:
    if track.isdigit():
        matches = [p for p in parts if p.track == int(track)]
    else:
        matches = [p for p in parts if p.name.lower() == track.lower()]
        matches = matches or [p for p in parts if track.lower() in p.name.lower()]
    if not matches:
        names = ", ".join(p.label for p in parts)
        raise MidiError(f"no track {track!r} with notes (tracks with notes: {names})")
    return max(matches, key=lambda p: len(p.notes))


def melody_score(part: TrackNotes) -> float:
    """How much a part looks like a solo line: monophonic, in a melodic range, with many notes."""
    notes = sorted(part.notes)
    overlapping = sum(1 for a, b in zip(notes, notes[1:]) if b[0] < a[1] - 0.25 * (a[1] - a[0]))
    monophony = 1.0 - overlapping / len(notes)
    melodic = sum(1 for n in notes if 52 <= n[2] <= 96) / len(notes)
    return monophony**2 * melodic * min(len(notes), 2000) ** 0.5


def quantize(part: TrackNotes, content: MidiContent, grid: int = DEFAULT_GRID) -> Solo:
    """Place a part on the step grid: monophonic, bar-aligned, with capped notes and rests."""
    tpb = content.ticks_per_beat

    def step(tick: int) -> int:
        return round(tick * grid / tpb)

    last_step = max(step(n[1]) for n in part.notes)
    if last_step > MAX_BEATS * grid:
        raise MidiError(f"the melody lasts {last_step // grid} beats, more than {MAX_BEATS} (damaged delta times?)")
    bars = layout_bars(content.meters, step, grid, last_step)
    notes = monophonic([(step(s), step(e), _fold(p), v) for s, e, p, v in part.notes], grid)
    chords = chords_from_texts(content.texts, step) or accompaniment_chords(part, content, step, bars, grid)
    solo = Solo(notes=notes, bars=bars, grid=grid, tempo=content.tempo, chords=chords, key=content.key,
                tempi=tempo_steps(content.tempi, step))
    return shorten_silences(solo)


def tempo_steps(tempi: list[tuple[int, float]], step) -> list[tuple[int, float]]:
    """A tempo map in ticks as (step, bpm) changes: one per step (the last one there wins), none repeated."""
    changes: list[tuple[int, float]] = []
    for tick, bpm in tempi:
        at = max(step(tick), 0)
        if changes and changes[-1][0] == at:
            changes.pop()
        if not changes or round(changes[-1][1], 3) != round(bpm, 3):
            changes.append((at, round(bpm, 3)))
    return changes


def layout_bars(meters: list[tuple[int, int, int]], step, grid: int, last_step: int) -> list[Bar]:
    """Bars from the first tick to past ``last_step``, following time-signature changes."""
    changes = [(step(t), n, d) for t, n, d in meters if n > 0 and d > 0 and n * 4 * grid % d == 0]
    changes = [(s, n, d) for s, n, d in changes if Bar(0, n, d).length(grid) <= 9 * grid] or [(0, 4, 4)]
    bars: list[Bar] = []
    start, (_, num, den) = 0, changes[0]
    pending = [c for c in changes if c[0] > 0]
    while start <= last_step:
        while pending and pending[0][0] <= start:
            _, num, den = pending.pop(0)
        bar = Bar(start, num, den)  # a change inside a bar takes effect at the next bar line
        bars.append(bar)
        start += bar.length(grid)
    return bars


def monophonic(raw: list[tuple[int, int, int, int]], grid: int) -> list[Note]:
    """One note at a time: the top note of simultaneous onsets, each note cut at the next onset."""
    raw = sorted(raw, key=lambda n: (n[0], -n[2]))
    kept = [n for i, n in enumerate(raw) if i == 0 or n[0] != raw[i - 1][0]]
    notes = []
    for i, (onset, end, pitch, velocity) in enumerate(kept):
        limit = kept[i + 1][0] - onset if i + 1 < len(kept) else end - onset
        duration = snap_duration(max(1, min(end - onset, limit)), grid)
        notes.append(Note(pitch, onset, duration, max(1, min(velocity, 127))))
    return notes


def shorten_silences(solo: Solo, max_empty: int = MAX_EMPTY_BARS) -> Solo:
    """Drop empty bars before the first note, after the last, and beyond ``max_empty`` in a row."""
    busy = _busy_bars(solo)
    keep, run = [], 0
    first, last = min(busy), max(busy)
    for index in range(first, last + 1):
        run = 0 if index in busy else run + 1
        if run <= max_empty:
            keep.append(index)
    return _keep_bars(solo, keep)


def _busy_bars(solo: Solo) -> set[int]:
    """Bars in which a note starts or sounds."""
    busy = set()
    for note in solo.notes:
        busy.update(range(solo.bar_index(note.onset), solo.bar_index(note.end - 1) + 1))
    return busy


def _keep_bars(solo: Solo, keep: list[int]) -> Solo:
    """The solo with only the bars in ``keep``, moved together so that no gap remains."""
    shift_of: dict[int, int] = {}
    bars, cursor = [], 0
    for index in keep:
        bar = solo.bars[index]
        shift_of[index] = bar.start - cursor
        bars.append(Bar(cursor, bar.numerator, bar.denominator))
        cursor += bar.length(solo.grid)
    notes = []
    for note in solo.notes:
        shift = shift_of[solo.bar_index(note.onset)]
        notes.append(Note(note.pitch, note.onset - shift, min(note.duration, cursor - note.onset + shift), note.velocity))
    chords: list[ChordChange] = []
    for change in solo.chords:  # a change inside a dropped bar moves to the next kept bar
        index = next((k for k in keep if k >= solo.bar_index(change.onset)), None)
        if index is None:
            break
        onset = max(change.onset, solo.bars[index].start) - shift_of[index]
        if chords and chords[-1].onset == onset:
            chords.pop()
        chords.append(ChordChange(onset, change.symbol))
    tempi = []
    for step, bpm in solo.tempi:  # a tempo change in a dropped bar takes effect at the next kept bar
        index = next((k for k in keep if k >= solo.bar_index(step)), None)
        if index is None:
            break
        at = max(step, solo.bars[index].start) - shift_of[index]
        tempi = [t for t in tempi if t[0] < at] + [(at, bpm)]
    return Solo(notes, bars, solo.grid, solo.tempo, chords, solo.name, solo.key, tempi, dict(solo.labels))


def accompaniment_chords(melody: TrackNotes, content: MidiContent, step, bars: list[Bar], grid: int) -> list[ChordChange]:
    """Chords estimated from the pitched parts other than the melody (none in a single-part file)."""
    from jazz.music.harmony import estimate_chords

    notes = [(step(s), step(e), p) for part in content.parts if part is not melody and part.channel != DRUM_CHANNEL
             for s, e, p, _ in part.notes]
    return estimate_chords(notes, bars, grid)


def reads_as_chords(texts: list[str]) -> bool:
    """Whether the text events of one kind (all the markers of a file, say) are a chord track.

    Most of them must parse as chord symbols; but rehearsal marks ("A", "B", "A": letters met in the order
    of the alphabet) and words ("Go" would be G diminished) parse too, so a kind that holds nothing else is
    not read as chords.
    """
    from jazz.music.chord_parse import parse_chord
    from jazz.music.chords import ChordError

    parsed = []
    for text in (t.strip() for t in texts):
        try:
            parse_chord(text)
            parsed.append(text)
        except (ChordError, ValueError):
            pass
    if not texts or len(parsed) < CHORD_SHARE * len(texts):
        return False
    if any(len(t) > 1 and not WORD_LIKE.fullmatch(t) for t in parsed):
        return True
    met = list(dict.fromkeys(t for t in parsed if len(t) == 1))
    return bool(met) and met != list("ABCDEFG"[:len(met)])


def chords_from_texts(texts: list[tuple[int, str]], step) -> list[ChordChange]:
    """Chord symbols written as markers, text, cues or lyrics (texts that are not chords are ignored)."""
    from jazz.music.chord_parse import parse_chord
    from jazz.music.chords import ChordError

    changes = []
    for tick, text in texts:
        try:
            symbol = parse_chord(text.strip()).symbol
        except (ChordError, ValueError):
            continue
        if not changes or changes[-1].symbol != symbol:
            changes.append(ChordChange(step(tick), symbol))
    return changes


def _fold(pitch: int) -> int:
    """Move a pitch by octaves into the piano's range."""
    while pitch < LOWEST_PITCH:
        pitch += 12
    while pitch > HIGHEST_PITCH:
        pitch -= 12
    return pitch
