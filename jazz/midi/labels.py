"""Labels files: a CSV with the columns ``file, style, feel, instrument`` (and optionally ``performer``) that
says what each solo of a corpus is (jazz.music.labels holds the vocabularies). They are the ``labels.csv``
that `jazz import-weimar` writes beside its MIDI files, any ``labels.csv`` in a corpus folder, and the file
given with ``jazz train --labels``. The ``file`` column names a MIDI file by name or by its stem.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from jazz.files import UsageError, atomic_write_text
from jazz.music.labels import LABEL_KINDS


def read_labels(path: str | Path) -> dict[str, dict[str, str]]:
    """A labels CSV as {file stem: {kind: value}}; one sentence if it cannot be read or lacks a ``file`` column."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise UsageError(f"cannot read the labels file {path}: {error}") from None
    if rows and "file" not in rows[0]:
        raise UsageError(f"the labels file {path} has no 'file' column (columns: file, style, feel, instrument)")
    table = {}
    for row in rows:
        name = Path((row.get("file") or "").strip()).stem
        if name:
            table[name] = {k: (v or "").strip() for k, v in row.items()
                           if k in (*LABEL_KINDS, "performer") and (v or "").strip()}
    return table


def corpus_labels(paths: list[str | Path], extra: str | Path | None = None) -> dict[str, dict[str, str]]:
    """The labels for a corpus: every ``labels.csv`` in its folders (and beside its files), then ``extra``."""
    table: dict[str, dict[str, str]] = {}
    for path in map(Path, paths):
        folder = path if path.is_dir() else path.parent
        sidecar = folder / "labels.csv"
        if sidecar.is_file():
            table |= read_labels(sidecar)
    if extra is not None:
        table |= read_labels(extra)
    return table


def write_labels(path: Path, rows: list[dict[str, str]]) -> None:
    """A labels CSV (columns file, style, feel, instrument, performer), written atomically."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["file", "style", "feel", "instrument", "performer"],
                            lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(path, buffer.getvalue())
