"""The token cache: a training corpus as token records on disk, memory-mapped, never as Solo objects.

Each usable file's records are kept under its parse key (so a run after adding files encodes only the
new ones), and the records of a whole training corpus lie end to end in one file per corpus and
tokenizer, which training opens memory-mapped. Encoding runs in parallel processes; this process only
ever holds one file's records at a time while it lays them end to end.
"""

from __future__ import annotations

import hashlib
import io
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from jazz.files import UsageError, atomic_path, atomic_write_bytes
from jazz.midi.corpus import Corpus, cache_dir, cached_or_parsed, usable_cores
from jazz.model.token_store import RECORD, SOLO, TokenCorpus, encode_records, solo_row
from jazz.model.tokens import TokenError, Tokenizer
from jazz.music.chords import ChordError
from jazz.progress import Progress

TOKEN_CACHE_VERSION = 2  # bump when the records change


def token_dir(tokenizer: Tokenizer) -> Path:
    """Where the records made with this tokenizer live."""
    digest = hashlib.sha1(f"{TOKEN_CACHE_VERSION}|{tokenizer.to_json()}".encode()).hexdigest()[:16]
    return cache_dir().parent / "tokens" / digest


def load_token_corpus(corpus: Corpus, tokenizer: Tokenizer, track: str | None = None, max_files: int | None = None,
                      jobs: int | None = None, progress: bool = False) -> TokenCorpus:
    """The usable files of a scanned corpus (jazz.midi.corpus.scan_corpus), the first ``max_files`` of them,
    as a memory-mapped TokenCorpus; built on first use, then only opened."""
    used = [(r.path, key) for r, key in zip(corpus.reports, corpus.keys) if r.status == "used" and key]
    used = used[:max_files] if max_files else used
    folder = token_dir(tokenizer)
    name = hashlib.sha1("\n".join(f"{key} {path}" for path, key in used).encode()).hexdigest()
    try:
        return open_token_corpus(folder / name)
    except (OSError, ValueError, KeyError):
        pass
    try:
        _encode_missing(folder, used, tokenizer, track, jobs, progress)
        _lay_end_to_end(folder, name, used)
    except OSError as error:
        raise UsageError(f"cannot write the token cache in {folder} ({error.strerror or error}; "
                         "set JAZZ_CACHE_DIR to a writable folder)") from None
    try:
        return open_token_corpus(folder / name)
    except ValueError:
        raise UsageError("none of the usable files could be tokenized") from None


def open_token_corpus(stem: Path) -> TokenCorpus:
    """A corpus laid end to end by ``load_token_corpus`` (``stem``.npz and ``stem``.records)."""
    with np.load(stem.with_suffix(".npz"), allow_pickle=False) as meta:
        solos, names = meta["solos"], [str(n) for n in meta["names"]]
    total = int(solos["length"].sum())
    if total == 0:
        raise ValueError("an empty corpus")
    if os.path.getsize(stem.with_suffix(".records")) != total * RECORD.itemsize:
        raise ValueError("records of the wrong size")
    records = np.memmap(stem.with_suffix(".records"), dtype=RECORD, mode="r", shape=(total,))
    return TokenCorpus(records, solos, names)


def _entry(folder: Path, key: str) -> Path:
    return folder / key[:2] / f"{key}.npz"


def _encode_missing(folder: Path, used: list[tuple[str, str]], tokenizer: Tokenizer, track: str | None,
                    jobs: int | None, progress: bool) -> None:
    """Encode every file without a cached entry, in worker processes."""
    tasks = [(path, key, tokenizer, track, str(folder)) for path, key in used if not _entry(folder, key).exists()]
    jobs = jobs if jobs is not None else usable_cores()
    pool = ProcessPoolExecutor(jobs) if jobs > 1 and len(tasks) >= 16 else None
    done = pool.map(_encode_one, tasks, chunksize=max(1, min(64, len(tasks) // (8 * jobs)))) if pool else map(
        _encode_one, tasks)
    bar = Progress("encoding solos", len(tasks), enabled=progress and bool(tasks))
    try:
        for count, _ in enumerate(done, 1):
            bar.update(count)
    finally:
        if pool is not None:
            pool.shutdown()
        bar.close()


def _encode_one(task: tuple[str, str, Tokenizer, str | None, str]) -> None:
    """Encode one file's solo into its cache entry (an entry with a reason and no records if it cannot be)."""
    path, key, tokenizer, track, folder = task
    solo = cached_or_parsed(path, key, tokenizer.grid, track)
    reason = "" if solo is not None else "no longer parses"
    records, row = np.zeros(0, RECORD), np.zeros((), SOLO)
    if solo is not None:
        try:
            records = encode_records(tokenizer, solo)
            row = solo_row(solo, len(records))
        except (TokenError, ChordError) as error:
            reason = str(error)
    buffer = io.BytesIO()
    np.savez(buffer, records=records, solo=row, reason=np.array(reason))
    atomic_write_bytes(_entry(Path(folder), key), buffer.getvalue(), durable=False)


def _lay_end_to_end(folder: Path, name: str, used: list[tuple[str, str]]) -> None:
    """Write the corpus's records end to end, one entry at a time, and its table of solos."""
    rows, names, start = [], [], 0
    with atomic_path(folder / f"{name}.records") as tmp, open(tmp, "wb") as out:
        for path, key in used:
            with np.load(_entry(folder, key), allow_pickle=False) as entry:
                if str(entry["reason"]):
                    print(f"  skipped {path}: cannot tokenize ({entry['reason']})", file=sys.stderr)
                    continue
                records, row = entry["records"], entry["solo"].copy()
            out.write(records.tobytes())
            row["start"] = start
            rows.append(row.item())
            names.append(Path(path).stem)
            start += len(records)
    with atomic_path(folder / f"{name}.npz") as tmp:
        np.savez(tmp, solos=np.array(rows, dtype=SOLO), names=np.array(names, dtype=str))
