"""Which files changed since the last run, without reading them: (path, size, mtime) → content hash.

A corpus of many thousands of files is stat'ed, not read, on a second run: a file whose size and
modification time are as recorded keeps its recorded content hash. As in git, a file modified within
``RACY_NS`` of being hashed is hashed again next time (a same-size edit within the file system's time
resolution would otherwise go unseen). The index also keeps each parse's report by parse key, so a warm
scan needs neither the MIDI files nor the parse cache.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sys
import time
from pathlib import Path

from jazz.files import atomic_write_text

INDEX_VERSION = 1
RACY_NS = 2_000_000_000


class FileIndex:
    def __init__(self, path: Path):
        self.path = path
        self.files: dict[str, list] = {}  # absolute path -> [size, mtime_ns, hashed_at_ns, sha1 of the bytes]
        self.reports: dict[str, dict] = {}  # parse key -> the parse's report fields (without the path)
        self.hashed = 0  # files read and hashed in this run
        self.changed = False
        self.mine: set[str] = set()  # the files and reports this run added or changed (kept when merging)
        self.files, self.reports = _read(path, note=True)

    def content_hash(self, path: str | Path) -> str | None:
        """The SHA-1 of the file's bytes, read only when its size or time changed (None: unreadable)."""
        name = os.path.abspath(path)
        try:
            stat = os.stat(name)
        except OSError:
            return None
        entry = self.files.get(name)
        if entry and entry[:2] == [stat.st_size, stat.st_mtime_ns] and stat.st_mtime_ns < entry[2] - RACY_NS:
            return entry[3]
        try:
            digest = hashlib.sha1(Path(name).read_bytes()).hexdigest()
        except OSError:
            return None
        self.files[name] = [stat.st_size, stat.st_mtime_ns, time.time_ns(), digest]
        self.mine.add(name)
        self.hashed += 1
        self.changed = True
        return digest

    def report(self, key: str) -> dict | None:
        return self.reports.get(key)

    def remember(self, key: str, report: dict) -> None:
        if self.reports.get(key) != report:
            self.reports[key] = report
            self.mine.add(key)
            self.changed = True

    def save(self) -> None:
        """Write the index if anything changed, merged with what other runs wrote since it was read (under
        a lock, so that no run's entries are lost); a read-only cache only costs speed."""
        if not self.changed:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                files, reports = _read(self.path)
                files |= {k: v for k, v in self.files.items() if k in self.mine or k not in files}
                reports |= {k: v for k, v in self.reports.items() if k in self.mine or k not in reports}
                atomic_write_text(self.path, json.dumps({"version": INDEX_VERSION, "files": files,
                                                         "reports": reports}))
            self.files, self.reports, self.changed = files, reports, False
        except OSError:
            pass


def _read(path: Path, note: bool = False) -> tuple[dict[str, list], dict[str, dict]]:
    """The files and reports of the index at ``path``; a damaged index, or damaged entries, are dropped (and
    with ``note`` said so): their files are hashed again."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, {}
    except (OSError, ValueError) as error:
        _damaged(path, note, str(getattr(error, "strerror", None) or "not JSON"))
        return {}, {}
    if not isinstance(data, dict) or data.get("version") != INDEX_VERSION:
        if isinstance(data, dict) and isinstance(data.get("version"), int):
            return {}, {}  # an index of another version: rebuilt without a word
        _damaged(path, note, "not a file index")
        return {}, {}
    files = data.get("files") if isinstance(data.get("files"), dict) else {}
    reports = data.get("reports") if isinstance(data.get("reports"), dict) else {}
    good = {k: v for k, v in files.items() if _entry_ok(v)}
    kept = {k: v for k, v in reports.items() if isinstance(v, dict)}
    if len(good) < len(files) or len(kept) < len(reports) or "files" not in data or "reports" not in data:
        _damaged(path, note, "some entries are not what an index holds")
    return good, kept


def _entry_ok(entry) -> bool:
    return (isinstance(entry, list) and len(entry) == 4 and all(isinstance(v, int) for v in entry[:3])
            and isinstance(entry[3], str) and len(entry[3]) == 40)


def _damaged(path: Path, note: bool, why: str) -> None:
    if note:
        print(f"note: the file index {path} was damaged ({why}); rebuilding it", file=sys.stderr)
