"""Labels files: a CSV with the columns ``file, style, feel, instrument`` (and optionally ``performer``) that
says what each solo of a corpus is (jazz.music.labels holds the vocabularies). They are the ``labels.csv``
that `jazz import-weimar` writes beside its MIDI files, any ``labels.csv`` in a corpus folder or below it, and
the file given with ``--labels``. The ``file`` column names a MIDI file by name or by its stem.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

from jazz.files import UsageError, atomic_write_text
from jazz.music.labels import LABEL_KINDS, UNKNOWN, VOCABULARIES, normalize


class LabelTable(dict):
    """{file stem: {kind: value}} as the labels files say, with the files it was read from and the stems that more
    than one row named (the last row's values win, field by field)."""

    def __init__(self, rows=(), files: list[Path] | None = None, repeated: list[str] | None = None):
        super().__init__(rows)
        self.files, self.repeated = list(files or []), list(repeated or [])

    def update_from(self, other: LabelTable) -> None:
        """Take ``other``'s rows over these, field by field (a later file adds a style, keeping the instrument)."""
        for name, row in other.items():
            self[name] = {**self.get(name, {}), **row}
        self.files += other.files
        self.repeated += [name for name in other.repeated if name not in self.repeated]


def read_labels(path: str | Path) -> LabelTable:
    """A labels CSV as {file stem: {kind: value}}; one sentence if it cannot be read, is empty or lacks a ``file``
    column. Column names are read without case or surrounding spaces, and a byte-order mark (spreadsheets write
    one) is skipped."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = [name.strip().lower() for name in next(reader, [])]
            rows = [dict(zip(header, row)) for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise UsageError(f"cannot read the labels file {path}: {error}") from None
    if not any(header):
        raise UsageError(f"the labels file {path} is empty (expected the columns file, style, feel, instrument)")
    if "file" not in header:
        found = ", ".join(name for name in header if name)
        raise UsageError(f"the labels file {path} has no 'file' column (it has: {found}; "
                         "expected: file, style, feel, instrument)")
    table, seen = LabelTable(files=[path]), Counter()
    for row in rows:
        name = Path((row.get("file") or "").strip()).stem
        if name:
            seen[name] += 1
            table[name] = {**table.get(name, {}), **{k: (v or "").strip() for k, v in row.items()
                                                     if k in (*LABEL_KINDS, "performer") and (v or "").strip()}}
    table.repeated = [name for name, n in seen.items() if n > 1]
    return table


def corpus_labels(paths: list[str | Path], extra: str | Path | None = None) -> LabelTable:
    """The labels for a corpus: every ``labels.csv`` in its folders and their subfolders (shallower ones first, so
    a file's own folder has the last word) and beside its files, then ``extra``, field by field."""
    table = LabelTable()
    sidecars: dict[Path, None] = {}
    for path in map(Path, paths):
        if path.is_dir():
            sidecars |= dict.fromkeys(sorted(path.rglob("labels.csv"), key=lambda p: (len(p.parts), p)))
        elif (path.parent / "labels.csv").is_file():
            sidecars[path.parent / "labels.csv"] = None
    for sidecar in [*sidecars, *([] if extra is None else [Path(extra)])]:
        table.update_from(read_labels(sidecar))
    return table


def labels_report(table: dict[str, dict[str, str]], names: list[str], found: list[str] | None = None) -> dict:
    """What a labels table says of the solos ``names``: how many it labels with a value the model knows, the count of
    each kind's values as the model hears them, the rows that name none of the solos ``found`` in the corpus
    (default ``names``; solos held out by a split are found, not strays), the values the model does not know (as
    written, with how many solos give each), the stems named twice, and the files read."""
    rows = {name: table.get(name, {}) for name in names}
    known = [name for name, row in rows.items()
             if any(normalize(k, v) != UNKNOWN for k, v in row.items() if k in LABEL_KINDS)]
    counts = {kind: Counter(normalize(kind, row.get(kind)) for row in rows.values()) for kind in LABEL_KINDS}
    odd = {kind: Counter(row[kind] for row in rows.values() if kind in row and normalize(kind, row[kind]) == UNKNOWN)
           for kind in LABEL_KINDS}
    return {"solos": len(names), "labelled": len(known),
            "counts": {kind: dict(sorted(c.items(), key=lambda item: (item[0] == UNKNOWN, -item[1])))
                       for kind, c in counts.items() if set(c) - {UNKNOWN}},
            "strays": sorted(set(table) - set(found if found is not None else names)),
            "unknown_values": {kind: dict(c.most_common()) for kind, c in odd.items() if c},
            "repeated": list(getattr(table, "repeated", [])),
            "files": [str(f) for f in getattr(table, "files", [])]}


def format_labels(report: dict) -> list[str]:
    """``labels_report`` as lines for the user."""
    hint = "" if report["files"] else " (no labels file: give --labels FILE.csv)"
    lines = [f"labels: {report['labelled']} of {report['solos']} solos say their style, feel or instrument{hint}"]
    lines += [f"  {kind}: " + ", ".join(f"{value} {n}" for value, n in counts.items())
              for kind, counts in report["counts"].items()]
    strays = report["strays"]
    if strays:
        rows = "1 row of the labels names" if len(strays) == 1 else f"{len(strays)} rows of the labels name"
        lines.append(f"  {rows} no file found here: {_listed(strays)}")
    for kind, odd in report["unknown_values"].items():
        values = _listed([f"{v!r}" + (f" ({n} solos)" if n > 1 else "") for v, n in odd.items()])
        lines.append(f"  {kind} {values}: not one the model knows, heard as unknown "
                     f"(known: {', '.join(VOCABULARIES[kind])})")
    if report["repeated"]:
        lines.append(f"  named in more than one row (the last row's values count): {_listed(report['repeated'])}")
    return lines


def labels_summary(table: dict[str, dict[str, str]], names: list[str], found: list[str] | None = None) -> list[str]:
    """``labels_report`` of the solos ``names`` as lines for the user."""
    return format_labels(labels_report(table, names, found))


def heard(row: dict[str, str]) -> dict[str, str]:
    """A solo's labels as the model hears them (each kind in its vocabulary's spelling, or "unknown")."""
    return {kind: normalize(kind, value) if kind in LABEL_KINDS else value for kind, value in row.items()}


def _listed(items: list[str], most: int = 5) -> str:
    """The first ``most`` items, and how many more."""
    more = f" and {len(items) - most} more" if len(items) > most else ""
    return ", ".join(items[:most]) + more


def write_labels(path: Path, rows: list[dict[str, str]]) -> None:
    """A labels CSV (columns file, style, feel, instrument, performer), written atomically."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["file", "style", "feel", "instrument", "performer"],
                            lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(path, buffer.getvalue())
