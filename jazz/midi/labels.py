"""Labels files: a CSV with the columns ``file, style, feel, instrument`` (and optionally ``performer``) that
says what each solo of a corpus is (jazz.music.labels holds the vocabularies). They are the ``labels.csv``
that `jazz import-weimar` writes beside its MIDI files, any ``labels.csv`` in a corpus folder, and the file
given with ``jazz train --labels``. The ``file`` column names a MIDI file by name or by its stem.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

from jazz.files import UsageError, atomic_write_text
from jazz.music.labels import LABEL_KINDS, UNKNOWN, VOCABULARIES, normalize


def read_labels(path: str | Path) -> dict[str, dict[str, str]]:
    """A labels CSV as {file stem: {kind: value}}; one sentence if it cannot be read or lacks a ``file`` column.
    Column names are read without case or surrounding spaces, and a byte-order mark (spreadsheets write one) is
    skipped."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = [name.strip().lower() for name in next(reader, [])]
            rows = [dict(zip(header, row)) for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise UsageError(f"cannot read the labels file {path}: {error}") from None
    if "file" not in header:
        found = ", ".join(name for name in header if name) or "none"
        raise UsageError(f"the labels file {path} has no 'file' column (it has: {found}; "
                         "expected: file, style, feel, instrument)")
    table = {}
    for row in rows:
        name = Path((row.get("file") or "").strip()).stem
        if name:
            table[name] = {k: (v or "").strip() for k, v in row.items()
                           if k in (*LABEL_KINDS, "performer") and (v or "").strip()}
    return table


def labels_summary(table: dict[str, dict[str, str]], names: list[str]) -> list[str]:
    """What a labels table says of the solos ``names``, as lines for the user: how many solos it labels with a
    value the model knows and the counts of each kind's values, then (where there are any) the rows that name no
    solo here and the values the model does not know (heard as "unknown")."""
    here = set(names)
    known = [name for name in names if any(normalize(k, v) != UNKNOWN for k, v in table.get(name, {}).items()
                                           if k in LABEL_KINDS)]
    lines = [f"labels: {len(known)} of {len(names)} solos say their style, feel or instrument"
             + ("" if table else " (none: give --labels FILE.csv)")]
    for kind in LABEL_KINDS:
        counts = Counter(normalize(kind, table.get(name, {}).get(kind)) for name in names)
        if set(counts) - {UNKNOWN}:
            ranked = sorted(counts.items(), key=lambda item: (item[0] == UNKNOWN, -item[1]))  # unknown last
            lines.append(f"  {kind}: " + ", ".join(f"{value} {n}" for value, n in ranked))
    strays = sorted(set(table) - here)
    if strays and here:
        rows = "1 row of the labels names" if len(strays) == 1 else f"{len(strays)} rows of the labels name"
        lines.append(f"  {rows} no solo here: {_listed(strays)}")
    for kind in LABEL_KINDS:
        odd = Counter(v for name in names for k, v in table.get(name, {}).items()
                      if k == kind and normalize(k, v) == UNKNOWN)
        if odd:
            values = _listed([f"{v!r}" + (f" ({n} solos)" if n > 1 else "") for v, n in odd.most_common()])
            lines.append(f"  {kind} {values}: not one the model knows, heard as unknown "
                         f"(known: {', '.join(VOCABULARIES[kind])})")
    return lines


def heard(row: dict[str, str]) -> dict[str, str]:
    """A solo's labels as the model hears them (each kind in its vocabulary's spelling, or "unknown")."""
    return {kind: normalize(kind, value) if kind in LABEL_KINDS else value for kind, value in row.items()}


def _listed(items: list[str], most: int = 5) -> str:
    """The first ``most`` items, and how many more."""
    more = f" and {len(items) - most} more" if len(items) > most else ""
    return ", ".join(items[:most]) + more


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
