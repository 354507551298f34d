"""A folder of MIDI files → usable solos, with a one-line status for every file.

Parsing is done in parallel processes (all cores), bounded in time per file, and cached on disk by file
content (an unchanged file is never parsed twice; a changed file or parser version is parsed again).
A second run only stats the files (jazz.midi.file_index). ``scan_corpus`` gives the reports and cache
keys without building any Solo in this process, for corpora too large to hold as Python objects.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import struct
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from itertools import chain
from pathlib import Path

import numpy as np

from jazz.files import UsageError, write_cache_file
from jazz.midi.beat import ADVICE, BeatFit, beat_fit
from jazz.midi.file_index import FileIndex
from jazz.midi.read import MidiError, read_solo
from jazz.music.notes import DEFAULT_GRID, METERS, Bar, ChordChange, Note, Solo
from jazz.progress import Progress

PARSER_VERSION = 14  # bump when parsing, quantization, METERS or the cache entry's format change
ENTRY_SUFFIX, ENTRY_MAGIC = ".parse", b"jazzP1\0\0"  # a parse cache entry (see _encode_entry)
MIDI_SUFFIXES = (".mid", ".midi")
FILE_TIME_LIMIT_S = 20


@dataclass
class FileReport:
    path: str
    status: str  # "used" | "skipped"
    reason: str = ""
    notes: int = 0
    bars: int = 0
    track: str = ""
    damage: str = ""  # for a damaged file that was used: where it is damaged (its solo is what comes before)
    beat: float | None = None  # how closely the melody's onsets keep to the file's beat (jazz.midi.beat)
    beat_subdivision: int | None = None  # the subdivision of the beat (2: eighths, ...) where they keep closest
    on_beat: bool | None = None  # whether that reaches jazz.midi.beat.FOLLOWS_BEAT (None: too few notes to say)

    @property
    def detail(self) -> str:
        """The last column of the status table: the melody track (and damage) of a used file, or the reason."""
        if self.status != "used":
            return self.reason
        detail = f"{self.track} (salvaged: {self.damage})" if self.damage else self.track
        return detail + (f"; off the beat ({self.beat:.2f})" if self.on_beat is False else "")


@dataclass
class Corpus:
    solos: list[Solo] = field(default_factory=list)
    reports: list[FileReport] = field(default_factory=list)
    keys: list[str | None] = field(default_factory=list)  # each report's parse-cache key (None: not cached)
    parsed: int = 0  # files parsed in this run (the others came from the cache)
    hashed: int = 0  # files read to hash their bytes (the others were known by size and time)

    @property
    def used(self) -> list[FileReport]:
        return [r for r in self.reports if r.status == "used"]

    def summary(self) -> dict:
        used = self.used
        return {"files": len(self.reports), "used": len(used), "skipped": len(self.reports) - len(used),
                "notes": sum(r.notes for r in used), "bars": sum(r.bars for r in used),
                "off_beat": len(self.off_beat)}

    @property
    def off_beat(self) -> list[FileReport]:
        """The used files whose notes do not follow their beat."""
        return [r for r in self.used if r.on_beat is False]

    def to_dict(self) -> dict:
        return {"files": [asdict(r) for r in self.reports], "summary": self.summary()}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1)

    def table(self) -> str:
        """The per-file status table printed by ``jazz corpus``."""
        width = min(max((len(Path(r.path).name) for r in self.reports), default=4), 48)
        lines = [f"{'file':<{width}}  {'status':<7} {'notes':>6} {'bars':>5}  track / reason"]
        for r in self.reports:
            name = Path(r.path).name
            name = name if len(name) <= width else name[: width - 1] + "…"
            lines.append(f"{name:<{width}}  {r.status:<7} {r.notes:>6} {r.bars:>5}  {r.detail}")
        s = self.summary()
        lines.append(f"{s['used']} of {s['files']} files used: {s['notes']} notes in {s['bars']} bars; {s['skipped']} skipped")
        if s["off_beat"]:
            lines.append(f"{s['off_beat']} of them off the beat: {ADVICE}.")
        return "\n".join(lines)


def find_midi_files(paths: list[str | Path]) -> list[Path]:
    """Every .mid/.midi file (any case) in ``paths``: files as given, folders recursively.

    Symbolic links to folders are not followed, so a link loop cannot trap the walk.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs.sort()
                found += [Path(root) / f for f in sorted(files) if f.lower().endswith(MIDI_SUFFIXES)]
        else:
            raise UsageError(f"{raw} does not exist")
    return list(dict.fromkeys(found))


def load_corpus(paths: list[str | Path], grid: int = DEFAULT_GRID, track: str | None = None,
                jobs: int | None = None, cache: bool = True, progress: bool = False) -> Corpus:
    """Parse every MIDI file under ``paths``; bad files are reported, never raised."""
    return _load(paths, grid, track, jobs, cache, progress, want_solos=True)


def scan_corpus(paths: list[str | Path], grid: int = DEFAULT_GRID, track: str | None = None,
                jobs: int | None = None, progress: bool = False) -> Corpus:
    """Parse what is not cached yet and report every file, without building the solos here
    (``Corpus.keys`` name their cache entries; see ``cached_or_parsed``)."""
    return _load(paths, grid, track, jobs, True, progress, want_solos=False)


def usable_cores() -> int:
    """The CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _load(paths, grid: int, track: str | None, jobs: int | None, cache: bool, progress: bool,
          want_solos: bool) -> Corpus:
    files = [str(f) for f in find_midi_files(paths)]
    index = FileIndex(cache_dir() / "index.json") if cache else None
    keys = [parse_key(index.content_hash(f), grid, track) if index else None for f in files]
    results, parsed = _parse_all(files, keys, grid, track, jobs, progress, want_solos, index)
    corpus = Corpus(keys=keys, parsed=parsed, hashed=index.hashed if index else 0)
    for path, (solo, report) in zip(files, results):
        report.path = path  # the cache is keyed by content: a copied or renamed file has its own path and name
        corpus.reports.append(report)
        if solo is not None:
            solo.name = Path(path).stem
            corpus.solos.append(solo)
    if index:
        index.save()
    return corpus


def parse_key(content_hash: str | None, grid: int, track: str | None) -> str | None:
    """The cache key of a parse: the file's content hash with the settings that shape a parse."""
    if content_hash is None:
        return None
    return hashlib.sha1(f"{content_hash}|{PARSER_VERSION}|{grid}|{track}".encode()).hexdigest()


def _parse_all(files: list[str], keys: list[str | None], grid: int, track: str | None, jobs: int | None,
               progress: bool, want_solos: bool, index: FileIndex | None) -> tuple[list, int]:
    """Cached files are looked up here; the rest are parsed in worker processes (in order of ``files``)."""
    results: list = [_cached(key, want_solos, index) for key in keys]
    missing = [i for i, result in enumerate(results) if result is None]
    jobs = jobs if jobs is not None else usable_cores()
    tasks = [(files[i], grid, track, keys[i], want_solos) for i in missing]
    pool = ProcessPoolExecutor(jobs) if jobs > 1 and len(missing) >= 16 else None
    chunk = max(1, min(64, len(tasks) // (8 * jobs)))
    parsed = pool.map(_parse_one, tasks, chunksize=chunk) if pool else map(_parse_one, tasks)
    bar = Progress("parsing MIDI files", len(files), enabled=progress and bool(files))
    try:
        bar.update(len(files) - len(missing))
        for done, (i, (arrays, report)) in enumerate(zip(missing, parsed), len(files) - len(missing) + 1):
            results[i] = (_solo_from_arrays(*arrays) if arrays else None), report
            if index and keys[i]:
                index.remember(keys[i], _report_fields(report))
            bar.update(done)
    finally:
        if pool is not None:
            pool.shutdown()
        bar.close()
    return results, len(missing)


def _cached(key: str | None, want_solos: bool, index: FileIndex | None) -> tuple[Solo | None, FileReport] | None:
    """A cached parse: from the index alone when no solo is wanted, else from the parse cache."""
    if key is None:
        return None
    known = index.report(key) if index else None
    if known is not None and not want_solos:
        return None, FileReport(path="", **known)
    result = _cache_get(key)
    if result is not None and index:
        index.remember(key, _report_fields(result[1]))
    return result


def _report_fields(report: FileReport) -> dict:
    """The report's fields but its path (all plain values: a shallow copy, cheaper than ``asdict``)."""
    return {k: v for k, v in vars(report).items() if k != "path"}


def _parse(path: str, grid: int, track: str | None) -> tuple[Solo | None, FileReport]:
    """Parse one file; never an exception (a bad file gives a report saying why)."""
    try:
        with _time_limit(FILE_TIME_LIMIT_S):
            reading = read_solo(path, grid, track)
            fit = beat_fit(reading.starts)
        solo = reading.solo
        check_meters(solo)
        return solo, FileReport(path, "used", notes=len(solo.notes), bars=len(solo.bars), track=reading.track,
                                damage=reading.damage, beat=fit and fit.best, beat_subdivision=fit and fit.subdivision,
                                on_beat=fit and fit.follows)
    except MidiError as error:
        return None, FileReport(path, "skipped", str(error))
    except TimeoutError:
        return None, FileReport(path, "skipped", f"parsing took over {FILE_TIME_LIMIT_S} s")
    except RecursionError:
        return None, FileReport(path, "skipped", "not a valid MIDI file (too deeply nested)")


def file_beat_fit(path: str | Path, track: str | None = None) -> BeatFit | None:
    """The beat fit (jazz.midi.beat) of the melody track of a MIDI file, the track ``read_solo`` takes, from its
    unquantized note starts; None where there is no such track or too few notes."""
    try:
        return beat_fit(read_solo(path, track=track).starts)
    except MidiError:
        return None


def _parse_one(task: tuple[str, int, str | None, str | None, bool]) -> tuple[tuple | None, FileReport]:
    """Parse one file in a worker process and cache it under ``key``; the solo comes back as compact
    arrays (cheap to send between processes), and only if wanted."""
    path, grid, track, key, want_solo = task
    solo, report = _parse(path, grid, track)
    arrays = _solo_to_arrays(solo) if solo is not None else None
    if key:
        _cache_put(key, arrays, report)
    return (arrays if want_solo else None), report


def cached_or_parsed(path: str, key: str | None, grid: int = DEFAULT_GRID, track: str | None = None) -> Solo | None:
    """The solo of a file from the parse cache, or parsed (and cached) if its entry is gone; None if unusable."""
    result = _cache_get(key) if key else None
    if result is None:
        result = _parse(path, grid, track)
        if key:
            _cache_put(key, _solo_to_arrays(result[0]) if result[0] is not None else None, result[1])
    solo = result[0]
    if solo is not None:
        solo.name = Path(path).stem
    return solo


def check_meters(solo: Solo) -> None:
    """Raise MidiError naming the first bar whose meter the model has no token for (bars of the solo as read,
    from the bar of its first note)."""
    if all(meter in METERS for meter in {f"{b.numerator}/{b.denominator}" for b in solo.bars}):
        return
    for number, bar in enumerate(solo.bars, 1):
        if bar.meter not in METERS:
            raise MidiError(f"meter {bar.meter} in bar {number} is not one the model knows "
                            f"(it knows {', '.join(METERS)})")


class _time_limit:
    """Raise TimeoutError in the block after ``seconds`` (POSIX main threads; a no-op elsewhere)."""

    def __init__(self, seconds: int):
        self.seconds = seconds
        self.active = hasattr(signal, "SIGALRM")

    def __enter__(self):
        if self.active:
            try:
                signal.signal(signal.SIGALRM, self._raise)
                signal.alarm(self.seconds)
            except ValueError:  # not in the main thread
                self.active = False

    def __exit__(self, *exc):
        if self.active:
            signal.alarm(0)

    @staticmethod
    def _raise(*_):
        raise TimeoutError


# -- the parse cache: one small file per file content ------------------------------------------

def cache_dir() -> Path:
    base = os.environ.get("JAZZ_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "jazz")
    return Path(base) / "parse"


def _cache_get(key: str) -> tuple[Solo | None, FileReport] | None:
    """A cached parse, or None when there is none; a damaged entry (truncated, garbage, or arrays that do
    not add up) is said once and then parsed again, never read as a solo."""
    path = _entry_path(key)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        return _damaged_entry(path, error)
    try:
        ints, text = _decode_entry(data)
        report = FileReport(**text.pop("report"))
        if report.status != "used":
            return None, report
        return _solo_from_arrays(ints, text), report
    except (KeyError, ValueError, TypeError) as error:
        return _damaged_entry(path, error)


def _damaged_entry(path: Path, error: Exception) -> None:
    print(f"note: the parse cache entry {path} was damaged ({type(error).__name__}); parsing its file again",
          file=sys.stderr)


def _entry_path(key: str) -> Path:
    return cache_dir() / key[:2] / f"{key}{ENTRY_SUFFIX}"


def _cache_put(key: str, arrays: tuple[np.ndarray, dict] | None, report: FileReport) -> None:
    """Cache a parse: its arrays (``_solo_to_arrays``; None for a skipped file) and its report."""
    ints, text = arrays or (np.zeros(3, dtype=np.int32), {})
    try:
        write_cache_file(_entry_path(key), _encode_entry(ints, text | {"report": asdict(report)}))
    except OSError:
        pass  # a read-only cache only costs speed


def _encode_entry(ints: np.ndarray, text: dict) -> bytes:
    """A cache entry's bytes: a magic number, the count of int32s, the int32s (little-endian), then the text
    fields as JSON. Not an .npz: packing and unpacking zip archives was most of the cost of caching a parse."""
    ints = np.asarray(ints, dtype="<i4")
    return ENTRY_MAGIC + struct.pack("<I", len(ints)) + ints.tobytes() + json.dumps(text).encode()


def _decode_entry(data: bytes) -> tuple[np.ndarray, dict]:
    """The inverse of ``_encode_entry``; ValueError for bytes that are not one."""
    start = len(ENTRY_MAGIC) + 4
    if len(data) < start or not data.startswith(ENTRY_MAGIC):
        raise ValueError("not a parse cache entry")
    count = struct.unpack_from("<I", data, len(ENTRY_MAGIC))[0]
    if len(data) < start + 4 * count:
        raise ValueError("cut short")
    text = json.loads(data[start + 4 * count:])
    if not isinstance(text, dict):
        raise ValueError("its text is not an object")
    return np.frombuffer(data, dtype="<i4", count=count, offset=start), text


def _solo_to_arrays(solo: Solo) -> tuple[np.ndarray, dict]:
    """A solo as one int32 array (three counts, then notes, bars and chord onsets) and its text fields.

    Not its name: the cache is keyed by content, and the name comes from the path it is read from.
    Two arrays per file rather than one per field: opening arrays is most of a warm load's time.
    """
    notes = np.fromiter(chain.from_iterable(solo.notes), dtype=np.int32, count=4 * len(solo.notes)).reshape(-1, 4)
    bars = np.array([(b.start, b.numerator, b.denominator) for b in solo.bars], dtype=np.int32).reshape(-1, 3)
    onsets = np.array([c.onset for c in solo.chords], dtype=np.int32)
    ints = np.concatenate([[len(notes), len(bars), len(onsets)], notes.ravel(), bars.ravel(), onsets])
    text = {"grid": solo.grid, "tempo": solo.tempo, "key": solo.key,
            "chords": [c.symbol for c in solo.chords], "tempi": [list(t) for t in solo.tempi],
            "played": [[onset, at] for onset, at in solo.played.items()]}
    return ints.astype(np.int32), text


def _solo_from_arrays(ints: np.ndarray, text: dict) -> Solo:
    """The inverse of ``_solo_to_arrays``."""
    n_notes, n_bars, n_chords = ints[:3].tolist()
    bars_at = 3 + 4 * n_notes
    symbols = text.pop("chords")
    if min(n_notes, n_bars, n_chords) < 0 or len(ints) != bars_at + 3 * n_bars + n_chords or len(symbols) != n_chords:
        raise ValueError("its arrays do not add up")
    text["tempi"] = [(int(step), float(bpm)) for step, bpm in text.pop("tempi", [])]
    text["played"] = {int(onset): float(at) for onset, at in text.pop("played", [])}
    onsets = ints[bars_at + 3 * n_bars:].tolist()
    return Solo(
        notes=[Note(*row) for row in ints[3:bars_at].reshape(-1, 4).tolist()],
        bars=[Bar(*row) for row in ints[bars_at:bars_at + 3 * n_bars].reshape(-1, 3).tolist()],
        chords=[ChordChange(o, s) for o, s in zip(onsets, symbols)],
        **text,
    )
