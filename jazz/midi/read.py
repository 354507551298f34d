"""MIDI file → quantized monophonic Solo.

jazz.midi.events reads the bytes (symusic, or mido for what symusic does not read as mido would); this
module finds the melody part, places it on bars and beats from the file's ticks and time signatures
(positions in beats, never seconds), and quantizes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from jazz.midi.events import (  # noqa: F401  (MidiError and TrackNotes are this module's interface too)
    DRUM_CHANNEL,
    MidiContent,
    MidiError,
    TrackNotes,
    read_content,
)
from jazz.music.notes import (
    DEFAULT_GRID,
    HIGHEST_PITCH,
    LOWEST_PITCH,
    Bar,
    ChordChange,
    Note,
    Solo,
    duration_values,
)

MAX_EMPTY_BARS = 2  # longer silences inside a solo are shortened to this many empty bars
MIN_NOTES = 8
MAX_BEATS = 40_000  # about two and a half hours at 250 bpm: anything longer is a damaged file
CHORD_SHARE = 0.75  # of one kind's text events that must parse as chords for that kind to be read as chords
WORD_LIKE = re.compile(r"[A-G]o")  # "Go", "Do": a word sooner than a diminished chord


@dataclass
class Reading:
    """A file read as a solo: the solo, the label of its melody part, and any damage read around."""

    solo: Solo
    track: str
    damage: str = ""  # where the file is damaged (the solo is what could be read), "" for an intact file
    starts: np.ndarray = field(default_factory=lambda: np.zeros(0))  # the melody's note starts in beats, unquantized


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
    starts = np.array([note[0] for note in part.notes], dtype=float) / content.ticks_per_beat
    return Reading(solo, part.label, content.damage, starts)


def load_content(path: str | Path) -> MidiContent:
    """The parts, meters, tempo, key and chord texts of a file, in ticks (see jazz.midi.events)."""
    return read_content(path, reads_as_chords)


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

    raw = np.array(part.notes, dtype=np.int64).reshape(-1, 4)  # start, end, pitch, velocity
    raw[:, :2] = np.rint(raw[:, :2] * grid / tpb)  # as ``step``: halves to even, as round does
    last_step = int(raw[:, 1].max())
    if last_step > MAX_BEATS * grid:
        raise MidiError(f"the melody lasts {last_step // grid} beats, more than {MAX_BEATS} (damaged delta times?)")
    bars = layout_bars(content.meters, step, grid, last_step)
    raw[:, 2] = _fold(raw[:, 2])
    notes = monophonic(raw, grid)
    chords = chords_from_texts(content.texts, step) or accompaniment_chords(part, content, step, bars, grid)
    solo = Solo(notes=notes, bars=bars, grid=grid, tempo=content.tempo, chords=chords, key=content.key,
                tempi=tempo_steps(content.tempi, step), played=played_steps(raw, part.played, notes, grid / tpb))
    return shorten_silences(solo)


def played_steps(raw: np.ndarray, played: list[int], notes: list[Note], scale: float) -> dict[int, float]:
    """Where each of ``notes`` was played (fractional steps), from the played ticks of the ``raw`` rows they were
    made from (the highest pitch at an onset, as ``monophonic`` keeps); empty for a part without played timing."""
    if len(played) != len(raw):
        return {}
    where: dict[int, tuple[int, float]] = {}
    for (onset, _, pitch, _), tick in zip(raw.tolist(), played):
        if onset not in where or pitch > where[onset][0]:
            where[onset] = (pitch, round(tick * scale, 4))
    return {n.onset: where[n.onset][1] for n in notes}


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


def monophonic(raw, grid: int) -> list[Note]:
    """One note at a time: the top note of simultaneous onsets, each note cut at the next onset. ``raw``:
    (onset, end, pitch, velocity) rows in steps."""
    raw = np.asarray(raw, dtype=np.int64).reshape(-1, 4)
    if not len(raw):
        return []
    raw = raw[np.lexsort((-raw[:, 2], raw[:, 0]))]  # by onset, the highest pitch first (a stable sort)
    kept = raw[np.concatenate([[True], raw[1:, 0] != raw[:-1, 0]])]
    onset, end, pitch, velocity = kept.T
    limit = np.append(onset[1:] - onset[:-1], end[-1] - onset[-1])
    values = np.array(duration_values(grid))
    length = np.maximum(1, np.minimum(end - onset, limit))
    duration = values[np.maximum(np.searchsorted(values, length, side="right") - 1, 0)]  # as snap_duration
    rows = zip(pitch.tolist(), onset.tolist(), duration.tolist(), np.clip(velocity, 1, 127).tolist())
    return [Note(*row) for row in rows]


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
    first = bar_indices(solo, [n.onset for n in solo.notes])
    last = bar_indices(solo, [n.end - 1 for n in solo.notes])
    covered = np.zeros(len(solo.bars) + 1, dtype=np.int64)  # +1 where a note's bars begin, -1 after they end
    np.add.at(covered, first, 1)
    np.add.at(covered, last + 1, -1)
    return set(np.flatnonzero(np.cumsum(covered[:-1]) > 0).tolist())


def bar_indices(solo: Solo, steps: list[int]) -> np.ndarray:
    """``solo.bar_index`` of every step at once."""
    starts = np.fromiter((b.start for b in solo.bars), dtype=np.int64, count=len(solo.bars))
    return np.clip(np.searchsorted(starts, np.asarray(steps, dtype=np.int64), side="right") - 1, 0, None)


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
    for note, index in zip(solo.notes, bar_indices(solo, [n.onset for n in solo.notes]).tolist()):
        shift = shift_of[index]
        notes.append(Note(note.pitch, note.onset - shift, min(note.duration, cursor - note.onset + shift), note.velocity))
    played = {onset - shift_of[index]: at - shift_of[index] for onset, at, index in
              zip(solo.played, solo.played.values(), bar_indices(solo, list(solo.played)).tolist())}
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
    return Solo(notes, bars, solo.grid, solo.tempo, chords, solo.name, solo.key, tempi, dict(solo.labels), played)


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
    """Chord symbols written as markers, text, cues or lyrics (texts that are not chords are ignored), their
    roots spelled as written (C#m7 stays C#m7)."""
    from jazz.music.chord_parse import parse_chord, spelled_symbol
    from jazz.music.chords import ChordError

    changes = []
    for tick, text in texts:
        try:
            parse_chord(text.strip())
            symbol = spelled_symbol(text.strip())
        except (ChordError, ValueError):
            continue
        if not changes or changes[-1].symbol != symbol:
            changes.append(ChordChange(step(tick), symbol))
    return changes


def _fold(pitches: np.ndarray) -> np.ndarray:
    """Move pitches by octaves into the piano's range."""
    pitches = np.where(pitches < LOWEST_PITCH, LOWEST_PITCH + (pitches - LOWEST_PITCH) % 12, pitches)
    return np.where(pitches > HIGHEST_PITCH, HIGHEST_PITCH - (HIGHEST_PITCH - pitches) % 12, pitches)
