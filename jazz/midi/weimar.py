"""Weimar Jazz Database (CSV export) → one beat-aligned MIDI file per solo.

The input folder is laid out like the database's CSV export: ``csv/melody/<solo>.csv`` (one row per note),
``csv/beats/<solo>_beattrack.csv`` (one row per beat of the rhythm section) and ``meta.csv`` (one row per solo,
matched by ``filename_sv`` = ``<solo>.sv``). ``import_weimar`` writes ``<out>/<solo>.mid`` for every melody CSV.

Decisions (each one visible in the files or in the per-solo report):

* **Time.** The tempo map follows the beat track: one ``set_tempo`` per real beat, so every beat of the rhythm
  section is exactly one MIDI beat (``TICKS_PER_BEAT`` ticks per quarter note; a beat is 4/denominator quarter
  notes) and the file's seconds agree with the recording's beats (to a microsecond per beat).
  Before the first beat of the track the first beat's tempo holds, after the last one the last beat's.
* **Bars.** The file starts at the bar line of the beat track's first bar (pickup bars, bar < 0, come first as
  whole bars; a track that starts on beat 3 gets its first two beats extrapolated at the first beat's tempo), so
  bar lines fall where a reader laying bars from tick 0 by the time signatures expects them. A time signature
  event opens every bar whose metre differs from the previous bar's (the melody CSVs write the ``signature`` in
  three pairs of double quotes, the beat tracks in single quotes: quotes are stripped). The conductor track ends
  at the end of the bar that holds the last beat or the last note end.
* **Onsets** come from the metrical columns, not from seconds: ``bar`` and ``beat`` give the beat, and
  ``(tatum - 1) / division`` the position inside it. ``TICKS_PER_BEAT = 5040`` makes every division that divides
  5040 exact (1-10, 12, 14, 15, 16, 18, 20, 21, 24, 28, 36 ...); the rare others (11, 13, 17, 19, 22, 23, 26 in
  the corpus) are rounded to the nearest tick, less than 1/10000 of a beat. The annotators' metrical position
  can be up to a beat away from the note's onset in seconds (notes played just before a beat, annotated on the
  beat before): the metrical position wins.
* **Durations** are converted from seconds into beats through the local beat track (linear interpolation of
  the note's start and end between the surrounding beats, linear extrapolation outside the track), then added
  to the metrical onset and rounded to ticks (at least one tick). A note that would still sound when the next
  note starts is cut there, so the "Solo" track stays monophonic; the report counts them (``clipped``). In the
  corpus that is a fifth of the notes, by a median 0.04 beat: legato notes whose next note is annotated a little
  earlier than it sounds.
* **Dropped notes**: a pitch outside 0-127, or a metrical position that is not after the previous kept note's
  (same tick or earlier). Neither happens in the 410 solos of the shared corpus; the report lists any by row.
* **Chords**: a ``marker`` on the conductor track at the first beat of the track and at every beat whose chord
  (``chord`` column, converted with :func:`jazz.music.chord_parse.parse_weimar_chord` to its lead-sheet spelling such as
  ``Dm7``, ``G7(b9)`` or ``N.C.``) differs from the previous beat's. Comparing lead-sheet spellings means two
  Weimar spellings of one chord make no extra marker. An empty chord cell continues the previous chord (none
  occur in the corpus). An unknown symbol skips the solo with a reason naming the file, row and symbol.
* **Metadata** from ``meta.csv``: ``key`` (``Bb-maj`` → ``Bb``, ``C-min`` → ``Cm``, ``Ab`` → ``Ab``, ``Bb-blues``
  → ``Bb``; ``D#-maj`` is written as its enharmonic ``Eb``; ``*-chrom`` and empty keys give no key signature) and
  ``instrument`` (a General MIDI program, jazz.music.labels.program_of; unknown ones play as tenor sax).
  Anything missing or unmapped is listed in the report's ``warnings``. ``labels.csv`` beside the MIDI files gives each solo's
  style, rhythm feel, instrument and performer (jazz.music.labels), which `jazz train` reads.
* **As played** (jazz.midi.played): each note sounds at its real onset and, from ``loud_median`` where there is
  one, as loud as it was; the solo track's timing event (jazz.midi.timing) puts it back on its written place.
* Rows are numbered as a spreadsheet shows them: the header is row 1, the first note row 2.
"""

from __future__ import annotations

import csv
import io
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import mido
import numpy as np

from jazz.files import UsageError, atomic_write_bytes
from jazz.midi.played import loudness_of, played_notes, velocities
from jazz.midi.timing import timing_event
from jazz.midi.write import events_track, valid_key
from jazz.music.chord_parse import parse_weimar_chord
from jazz.music.chords import ChordError
from jazz.midi.labels import write_labels
from jazz.music.labels import program_of
from jazz.progress import Progress

TICKS_PER_BEAT = 5040  # = lcm(1..10) * 2: exact for every division up to 10 and for 12, 14, 15, 16, 18, 20, 24, 36
DEFAULT_PROGRAM = 66  # tenor sax (General MIDI programs are counted from 0 here, as in the MIDI bytes)
ATTRIBUTION = ("Weimar Jazz Database, Jazzomat Research Project, Hochschule fuer Musik Franz Liszt Weimar; "
               "Open Database License (ODbL) 1.0")

_ENHARMONIC = {"C#": "Db", "Db": "C#", "D#": "Eb", "Eb": "D#", "F#": "Gb", "Gb": "F#",
               "G#": "Ab", "Ab": "G#", "A#": "Bb", "Bb": "A#", "B": "Cb", "Cb": "B"}  # fmt: skip
_MELODY_COLUMNS = ("onset", "duration", "bar", "beat", "tatum", "division", "pitch")
_BEAT_COLUMNS = ("onset", "duration", "bar", "beat", "signature", "chord")


class WeimarError(ValueError):
    """A solo that cannot be imported; the message (naming file and row) becomes the report's reason."""


@dataclass(frozen=True)
class BeatRow:
    row: int
    bar: int
    beat: int  # 1-based
    onset: float  # seconds
    duration: float  # seconds
    meter: tuple[int, int]
    chord: str | None  # lead-sheet spelling; None for an empty cell before any chord


@dataclass(frozen=True)
class CsvNote:
    row: int
    bar: int
    beat: int
    tatum: int  # 1-based
    division: int
    onset: float  # seconds
    duration: float  # seconds
    pitch: int
    loud: float = float("nan")  # loud_median, dB (nan where the column or the value is missing)


def import_weimar(src: Path, out: Path, progress: bool = False, force: bool = False) -> list[dict]:
    """Write ``out/<solo>.mid`` for every solo in ``src``; return one report per solo (see ``solo_report``).

    Raises UsageError before writing anything if ``src`` is not a Weimar folder or if an output exists and
    ``force`` is false. A solo that cannot be imported is reported as "skipped" and the others go on.
    """
    src, out = Path(src), Path(out)
    names = solo_names(src)
    refuse_overwrite(out, names, force)
    meta = read_meta(src / "meta.csv")
    shown = Progress("import-weimar", len(names), enabled=progress)
    reports = []
    for done, name in enumerate(names, 1):
        reports.append(import_solo(src, out, name, meta.get(name)))
        shown.update(done, name)
    shown.close()
    write_labels(out / "labels.csv", [{"file": f"{r['name']}.mid", "style": m.get("style", ""), "feel": m.get(
        "rhythmfeel", ""), "instrument": m.get("instrument", ""), "performer": m.get("performer", "")}
        for r in reports if r["status"] == "written" for m in [meta.get(r["name"]) or {}]])
    return reports


def run(src: Path, out: Path, force: bool = False) -> int:
    """The ``jazz import-weimar`` command: import with progress, print a summary; 1 if any solo was skipped."""
    reports = import_weimar(src, out, progress=True, force=force)
    written = [r for r in reports if r["status"] == "written"]
    for report in reports:
        if report["status"] == "skipped":
            print(f"skipped {report['name']}: {report['reason']}", file=sys.stderr)
        for drop in report["dropped"]:
            print(f"{report['name']}: dropped the note in {drop}", file=sys.stderr)
    notes = sum(r["notes"] for r in written)
    skipped = len(reports) - len(written)
    print(f"wrote {len(written)} MIDI files ({notes} notes) to {out}" + (f", skipped {skipped}" if skipped else ""))
    return 1 if skipped else 0


def solo_names(src: Path) -> list[str]:
    """The solos of a Weimar folder: the stems of ``csv/melody/*.csv``, sorted."""
    melody = src / "csv" / "melody"
    names = sorted(p.stem for p in melody.glob("*.csv")) if melody.is_dir() else []
    if not names:
        raise UsageError(f"{src} is not a Weimar Jazz Database folder (no csv/melody/*.csv in it)")
    return names


def refuse_overwrite(out: Path, names: list[str], force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} is a file, not a folder")
    existing = [n for n in names if (out / f"{n}.mid").exists()]
    if existing and not force:
        raise UsageError(f"{len(existing)} of the {len(names)} MIDI files already exist in {out} "
                         f"(e.g. {existing[0]}.mid); use --force to overwrite them")


def import_solo(src: Path, out: Path, name: str, meta: dict | None) -> dict:
    """Convert and write one solo; failures become a "skipped" report instead of an exception."""
    try:
        data, report = convert_solo(src, name, meta)
    except (WeimarError, OSError, csv.Error, UnicodeDecodeError) as error:
        return solo_report(name, "skipped", reason=str(error))
    atomic_write_bytes(out / f"{name}.mid", data)
    return report


def solo_report(name: str, status: str, reason: str = "", **fields) -> dict:
    """name, status ("written" | "skipped"), reason, notes, bars, clipped (durations cut at the next onset),
    dropped (``"row N (why)"`` strings), warnings (metadata not used), nudged (jazz.midi.played)."""
    report = {"name": name, "status": status, "reason": reason, "notes": 0, "bars": 0, "clipped": 0,
              "dropped": [], "warnings": [], "nudged": 0}
    report.update(fields)
    return report


def read_meta(path: Path) -> dict[str, dict]:
    """meta.csv rows keyed by solo name (``filename_sv`` without ``.sv``); empty if the file is missing."""
    if not path.exists():
        return {}
    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    return {row["filename_sv"].strip().removesuffix(".sv"): row for row in rows if row.get("filename_sv")}


def _rows(path: Path, columns: tuple[str, ...]) -> list[tuple[int, dict]]:
    """(spreadsheet row number, row) pairs of a CSV file that must have ``columns``."""
    if not path.exists():
        raise WeimarError(f"{_show(path)} is missing")
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise WeimarError(f"{_show(path)} has no column {missing[0]!r}")
        rows = [(reader.line_num, row) for row in reader]
    if not rows:
        raise WeimarError(f"{_show(path)} has no rows")
    return rows


def _value(path: Path, row: int, record: dict, column: str, kind: Callable[[str], Any]) -> Any:
    text = (record.get(column) or "").strip()
    try:
        return kind(text)
    except ValueError:
        raise WeimarError(f"{_show(path)} row {row}: bad {column} {text!r}") from None


def _show(path: Path) -> str:
    """A path as the report names it: the last three parts (csv/beats/X_beattrack.csv)."""
    return "/".join(path.parts[-3:])


def parse_signature(text: str) -> tuple[int, int]:
    """'4/4', '"4/4"' (in any number of quotes) or "'3/4'" → (4, 4); ValueError if MIDI cannot hold it."""
    num, _, den = text.strip().strip("'\" ").partition("/")
    numerator, denominator = int(num), int(den)
    if not 1 <= numerator <= 255 or denominator not in (1, 2, 4, 8, 16, 32, 64):
        raise ValueError(text)
    return numerator, denominator


def read_beats(path: Path) -> list[BeatRow]:
    """The beat track, checked: onsets rising, durations positive, chords known."""
    beats = []
    for row, record in _rows(path, _BEAT_COLUMNS):
        symbol = (record.get("chord") or "").strip()
        try:
            chord = parse_weimar_chord(symbol).symbol if symbol else (beats[-1].chord if beats else None)
        except ChordError:
            raise WeimarError(f"{_show(path)} row {row}: unknown chord symbol {symbol!r}") from None
        beat = BeatRow(row, _value(path, row, record, "bar", int), _value(path, row, record, "beat", int),
                    _value(path, row, record, "onset", float), _value(path, row, record, "duration", float),
                    _value(path, row, record, "signature", parse_signature), chord)
        if beat.duration <= 0 or (beats and beat.onset <= beats[-1].onset):
            raise WeimarError(f"{_show(path)} row {row}: beats must follow each other with positive durations")
        beats.append(beat)
    return beats


def read_notes(path: Path) -> list[CsvNote]:
    """The melody rows, in file order."""
    notes = []
    for row, record in _rows(path, _MELODY_COLUMNS):
        values = {c: _value(path, row, record, c, float if c in ("onset", "duration") else int)
                  for c in _MELODY_COLUMNS}
        if not 1 <= values["tatum"] <= values["division"] or values["beat"] < 1:
            raise WeimarError(f"{_show(path)} row {row}: beat {values['beat']}, tatum {values['tatum']} "
                              f"of division {values['division']} is no metrical position")
        notes.append(CsvNote(row=row, **values, loud=loudness_of(record.get("loud_median"))))
    return notes


def _melody_meters(path: Path) -> dict[int, tuple[int, int]]:
    """Bar → metre from the melody's own ``signature`` column (for bars the beat track lacks)."""
    meters = {}
    for _, record in _rows(path, ("bar", "signature")):
        try:
            meters.setdefault(int(record["bar"]), parse_signature(record["signature"]))
        except ValueError:
            continue
    return meters


class Timeline:
    """Bars laid end to end from tick 0, and the beat track's seconds → ticks map."""

    def __init__(self, beats: list[BeatRow], extra_meters: dict[int, tuple[int, int]]):
        meters = {**extra_meters, **{b.bar: b.meter for b in beats}}
        self.first_bar = min(meters)
        self.starts: list[int] = []
        self.meters: list[tuple[int, int]] = []
        meter = meters[self.first_bar]
        for bar in range(self.first_bar, max(meters) + 1):
            meter = meters.get(bar, meter)  # a bar nobody describes keeps the previous metre
            self._append(meter)
        ticks = [self.tick(b.bar, b.beat) for b in beats]
        ticks.append(ticks[-1] + self.beat_ticks(beats[-1].bar))
        self.seconds = np.array([b.onset for b in beats] + [beats[-1].onset + beats[-1].duration])
        self.ticks = np.array(ticks, dtype=float)

    def _append(self, meter: tuple[int, int]) -> None:
        start = self.starts[-1] + self.bar_ticks(len(self.starts) - 1) if self.starts else 0
        self.starts.append(start)
        self.meters.append(meter)

    @property
    def end(self) -> int:
        return self.starts[-1] + self.bar_ticks(len(self.starts) - 1)

    def bar_ticks(self, index: int) -> int:
        numerator, denominator = self.meters[index]
        return numerator * TICKS_PER_BEAT * 4 // denominator

    def beat_ticks(self, bar: int) -> int:
        """Ticks per beat (per denominator unit) in CSV bar ``bar``."""
        return TICKS_PER_BEAT * 4 // self.meters[bar - self.first_bar][1]

    def tick(self, bar: int, beat: int, tatum: int = 1, division: int = 1) -> int:
        """Tick of a metrical position (rounded for divisions that do not divide the beat's ticks)."""
        size = self.beat_ticks(bar)
        return self.starts[bar - self.first_bar] + (beat - 1) * size + round((tatum - 1) * size / division)

    def extend_to(self, tick: int) -> None:
        """Add bars in the last metre until ``tick`` lies inside the timeline."""
        while self.end < tick:
            self._append(self.meters[-1])

    def seconds_to_ticks(self, seconds: np.ndarray) -> np.ndarray:
        """Interpolate between beats; before and after the track extrapolate with its first and last beat."""
        x, y = self.seconds, self.ticks
        ticks = np.interp(seconds, x, y)
        early, late = seconds < x[0], seconds > x[-1]
        ticks[early] = y[0] - (x[0] - seconds[early]) * (y[1] - y[0]) / (x[1] - x[0])
        ticks[late] = y[-1] + (seconds[late] - x[-1]) * (y[-1] - y[-2]) / (x[-1] - x[-2])
        return ticks


def convert_solo(src: Path, name: str, meta: dict | None) -> tuple[bytes, dict]:
    """The MIDI bytes of one solo and its report."""
    melody_path = src / "csv" / "melody" / f"{name}.csv"
    beats = read_beats(src / "csv" / "beats" / f"{name}_beattrack.csv")
    csv_notes = read_notes(melody_path)
    timeline = Timeline(beats, _melody_meters(melody_path))
    for note in csv_notes:
        if not timeline.first_bar <= note.bar < timeline.first_bar + len(timeline.starts):
            raise WeimarError(f"{_show(melody_path)} row {note.row}: bar {note.bar} has no time signature")
    notes, clipped, dropped, kept = place_notes(csv_notes, timeline)
    if not notes:
        raise WeimarError(f"{_show(melody_path)} has no playable notes")
    timeline.extend_to(notes[-1][1])
    key, program, warnings = describe(meta)
    played, shifts, nudged = played_notes(notes, timeline.seconds_to_ticks(np.array([n.onset for n in kept])))
    midi = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT)
    midi.tracks.append(conductor_track(name, timeline, beats, key))
    midi.tracks.append(solo_track(played, shifts, velocities(np.array([n.loud for n in kept])), program))
    buffer = io.BytesIO()
    midi.save(file=buffer)
    report = solo_report(name, "written", notes=len(notes), bars=len(timeline.starts), clipped=clipped,
                         dropped=dropped, warnings=warnings, nudged=nudged)
    return buffer.getvalue(), report


def place_notes(csv_notes: list[CsvNote], timeline: Timeline) -> tuple[list[tuple[int, int, int]], int, list[str],
                                                                       list[CsvNote]]:
    """(start, end, pitch) in ticks for the notes kept, how many were cut short, why others were dropped, and the
    notes kept."""
    seconds = np.array([n.onset for n in csv_notes])
    lengths = timeline.seconds_to_ticks(seconds + [n.duration for n in csv_notes]) - timeline.seconds_to_ticks(seconds)
    placed, dropped, kept = [], [], []
    for note, length in zip(csv_notes, lengths):
        start = timeline.tick(note.bar, note.beat, note.tatum, note.division)
        if not 0 <= note.pitch <= 127:
            dropped.append(f"row {note.row} (pitch {note.pitch} is outside MIDI's 0-127)")
            continue
        if placed and start <= placed[-1][0]:
            dropped.append(f"row {note.row} (it does not start after the previous note)")
            continue
        placed.append((start, start + max(1, round(length)), note.pitch))
        kept.append(note)
    clipped = 0
    notes = []
    for (start, end, pitch), following in zip(placed, placed[1:] + [None]):
        if following is not None and end > following[0]:
            end, clipped = following[0], clipped + 1
        notes.append((start, end, pitch))
    return notes, clipped, dropped, kept


def describe(meta: dict | None) -> tuple[str | None, int, list[str]]:
    """Key signature, GM program and warnings from a meta.csv row."""
    if meta is None:
        return None, DEFAULT_PROGRAM, ["no meta.csv row: no key signature, tenor sax"]
    warnings = []
    key = midi_key(meta.get("key", ""))
    if key is None:
        warnings.append(f"key {meta.get('key', '')!r} has no MIDI key signature: none written")
    instrument = (meta.get("instrument") or "").strip()
    program = program_of(instrument)
    if program is None:
        warnings.append(f"unknown instrument {instrument!r}: tenor sax")
        program = DEFAULT_PROGRAM
    return key, program, warnings


def midi_key(text: str) -> str | None:
    """meta.csv key → mido key: 'Bb-maj' → 'Bb', 'C-min' → 'Cm', 'D#-maj' → 'Eb'; None for chromatic/unknown."""
    tonic, _, mode = (text or "").strip().partition("-")
    if mode not in ("", "maj", "min", "blues") or not tonic:
        return None
    suffix = "m" if mode == "min" else ""
    for name in (tonic, _ENHARMONIC.get(tonic)):
        if name and valid_key(name + suffix):
            return name + suffix
    return None


Event = tuple[int, int, mido.Message]  # (tick, order at that tick, message), as jazz.midi.write takes them


def conductor_track(name: str, timeline: Timeline, beats: list[BeatRow], key: str | None) -> mido.MidiTrack:
    """Track name, attribution, key, metres, the beat-by-beat tempo map and the chord markers."""
    meta = mido.MetaMessage
    events: list[Event] = [(0, 0, meta("track_name", name=name)), (0, 1, meta("copyright", text=ATTRIBUTION))]
    if key:
        events.append((0, 2, meta("key_signature", key=key)))
    for index, (numerator, denominator) in enumerate(timeline.meters):
        if index == 0 or timeline.meters[index - 1] != (numerator, denominator):
            events.append((timeline.starts[index], 3, meta(
                "time_signature", numerator=numerator, denominator=denominator,
                clocks_per_click=96 // denominator, notated_32nd_notes_per_beat=8)))
    tempo = None
    for index, beat in enumerate(beats):
        size = timeline.beat_ticks(beat.bar)
        value = min(max(round(beat.duration * 1e6 * TICKS_PER_BEAT / size), 1), 0xFFFFFF)  # µs per quarter
        if value != tempo:
            tick = 0 if index == 0 else timeline.tick(beat.bar, beat.beat)
            events.append((tick, 4, meta("set_tempo", tempo=value)))
            tempo = value
    for change in chord_changes(beats):
        events.append((timeline.tick(change.bar, change.beat), 5, meta("marker", text=change.chord)))
    return events_track(events, timeline.end)


def chord_changes(beats: list[BeatRow]) -> list[BeatRow]:
    """The first beat with a chord and every beat whose chord differs from the previous beat's."""
    return [b for i, b in enumerate(beats) if b.chord is not None and (i == 0 or b.chord != beats[i - 1].chord)]


def solo_track(played: list[tuple[int, int, int]], shifts: list[int], velocity: list[int], program: int) -> mido.MidiTrack:
    """The notes as played, with the timing event that puts them back where they are written."""
    events: list[Event] = [(0, 0, mido.MetaMessage("track_name", name="Solo")),
                           (0, 1, mido.Message("program_change", channel=0, program=program)),
                           (0, 2, timing_event(shifts))]  # played note-ons keep the written order
    for (on, off, pitch), loud in zip(played, velocity):  # a note-off sorts before a note-on at the same tick
        events.append((on, 3, mido.Message("note_on", channel=0, note=pitch, velocity=loud)))
        events.append((off, 2, mido.Message("note_off", channel=0, note=pitch, velocity=0)))
    return events_track(events, max(off for _, off, _ in played))
