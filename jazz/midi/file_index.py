"""Which files changed since the last run, without reading them: (path, size, mtime) → content hash.

A corpus of many thousands of files is stat'ed, not read, on a second run: a file whose size and
modification time are as recorded keeps its recorded content hash. As in git, a file modified within
``RACY_NS`` of being hashed is hashed again next time (a same-size edit within the file system's time
resolution would otherwise go unseen). The index also keeps each parse's report by parse key, so a warm
scan needs neither the MIDI files nor the parse cache.
"""

from __future__ import annotations

import hashlib
import json
import os
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
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("version") == INDEX_VERSION:
                self.files, self.reports = data["files"], data["reports"]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass  # no index yet, or a damaged one: everything is hashed again

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
        self.hashed += 1
        self.changed = True
        return digest

    def report(self, key: str) -> dict | None:
        return self.reports.get(key)

    def remember(self, key: str, report: dict) -> None:
        if self.reports.get(key) != report:
            self.reports[key] = report
            self.changed = True

    def save(self) -> None:
        """Write the index if anything changed; a read-only cache only costs speed."""
        if not self.changed:
            return
        try:
            atomic_write_text(self.path, json.dumps({"version": INDEX_VERSION, "files": self.files,
                                                     "reports": self.reports}))
            self.changed = False
        except OSError:
            pass
