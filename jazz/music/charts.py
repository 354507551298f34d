"""Chord charts as fake books write them: optional ``Key = Value`` header lines, then bars between ``|``::

    Title = Have You Met Miss Jones
    ComposedBy = Richard Rodgers
    DBKeySig = F
    TimeSig = 4 4
    Bars = 32
     FM7 | F#o | Gm7 | C7 |
     Am7 | Dm7 | Gm7 | C7 |

Header keys ignore case (``Title``, ``ComposedBy`` or ``Composer``, ``TimeSig`` as ``4 4`` or ``4/4``,
``DBKeySig`` or ``Key``, ``Tempo`` in beats per minute; others, like ``Bars``, are kept and unused). The bars are
progression text (jazz.music.tunes): the chords of a bar share it evenly, ``%`` repeats a bar, ``/`` a chord;
``|:`` ... ``:|`` repeat the bars between them, and a bar starting ``1.`` or ``2.`` begins an ending. Blank lines
and lines starting with ``#`` or ``//`` are skipped; a UTF-8 byte-order mark, Windows line endings and Latin-1
files are read as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from jazz.music.chords import note_pc
from jazz.music.key_estimate import estimate_key
from jazz.music.tunes import SECTION_LABEL, Tune, parse_meter, parse_progression

CHART_SUFFIXES = (".txt", ".chart")
_HEADER = re.compile(r"^\s*([A-Za-z][A-Za-z _-]*?)\s*=\s*(.*?)\s*$")
_COMMENT = re.compile(r"^\s*(#|//)")
_ENDING = re.compile(r"^\[?(\d)\.?\]?$")
_KEY = re.compile(r"^([A-G])([b#♭♯]?)\s*(m|min|minor|-)?\s*(?:maj|major)?$")
_MAJOR_KEYS = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")  # MIDI key-signature names
_MINOR_KEYS = ("Cm", "C#m", "Dm", "Ebm", "Em", "Fm", "F#m", "Gm", "G#m", "Am", "Bbm", "Bm")
_MIDI_KEYS = set(_MAJOR_KEYS + _MINOR_KEYS) | {"C#", "F#", "Cb", "A#m", "D#m", "Abm"}


class ChartError(ValueError):
    """A chart that cannot be read; the message names the file (and the bar and symbol, where one is at fault)."""


@dataclass
class Chart:
    """A tune's chord chart: its bars of lead-sheet chord symbols (repeats written out) and what the header says."""

    title: str
    bars: list[list[str]]
    meter: str = "4/4"
    composer: str = ""
    key: str | None = None  # MIDI key-signature spelling ("F", "Bbm"); None when the chart gives none
    tempo: float | None = None
    header: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # slips that parse but are likely not what was meant

    @property
    def changes(self) -> str:
        """The bars as progression text, four to a line (what ``--chords`` takes)."""
        lines = [self.bars[i : i + 4] for i in range(0, len(self.bars), 4)]
        return "\n".join("| " + " | ".join(" ".join(bar) for bar in line) + " |" for line in lines)

    def as_tune(self) -> Tune:
        """The chart as a form to play over, like a built-in tune."""
        name = re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-") or "chart"
        return Tune(name, self.title, self.meter, self.tempo, self.changes, f"chord chart {self.title!r}", self.key)


def read_chart(path: str | Path) -> Chart:
    """Read a chart file; ChartError names the file and, for a bad chord, its bar and symbol."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ChartError(f"{path}: cannot read it ({error.strerror or error})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    try:
        return parse_chart(text, default_title=path.stem)
    except ValueError as error:  # ChordError is a ValueError too
        raise ChartError(f"{path}: {error}") from None


def parse_chart(text: str, default_title: str = "") -> Chart:
    """A chart from its text (see the module docstring); ValueError says what is wrong and where."""
    header: dict[str, str] = {}
    body: list[tuple[int, str]] = []
    warnings: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _HEADER.match(line)
        if match:
            name = re.sub(r"[\s_-]", "", match.group(1)).lower()
            header[name] = match.group(2)
            if name not in KNOWN_HEADERS:
                warnings.append(f"line {number}: unknown header key {match.group(1)!r} (known: Title, ComposedBy, "
                                "Composer, TimeSig, DBKeySig, Key, Tempo, Bars); ignored")
        elif line.strip() and not _COMMENT.match(line):
            body.append((number, line))
    meter = _meter(header.get("timesig", "4 4"))
    written = _written_bars("\n".join(line for _, line in body))
    warnings += _line_warnings(body) + _crowded_bars(written, meter)
    bars = _played_bars(written, meter)
    composer = header.get("composedby", header.get("composer", ""))
    key_text = header.get("dbkeysig", header.get("key", ""))
    key = parse_key(key_text)
    if key_text.strip() and key is None:
        warnings.append(f"key {key_text!r} is not a key like F, Bb, Gm or Eb minor; the key is estimated instead")
    tempo = _tempo(header.get("tempo", ""))
    return Chart(header.get("title") or default_title, bars, meter, composer, key, tempo, header, warnings)


KNOWN_HEADERS = {"title", "composedby", "composer", "timesig", "dbkeysig", "key", "tempo", "bars"}


def _line_warnings(body: list[tuple[int, str]]) -> list[str]:
    """A warning for each line of bars that does not end in a bar line: its last bar runs on into the next line's
    first (or, on the last line, is closed by nothing)."""
    out = []
    for index, (number, line) in enumerate(body):
        if not line.rstrip().endswith("|"):
            following = body[index + 1][1].lstrip() if index + 1 < len(body) else "|"
            merged = "" if following.startswith("|") else ": its last bar runs into the next line's first bar"
            out.append(f"line {number}: does not end in a bar line '|'{merged}")
    return out


def _crowded_bars(written: list[_Bar], meter: str) -> list[str]:
    """A warning for each written bar with more chords than beats (they split the bar finer than the beat)."""
    beats = parse_meter(meter)[0]
    out = []
    for number, bar in enumerate(written, start=1):
        count = len([t for t in bar.text.split() if t != "%"])
        if count > beats:
            out.append(f"bar {number}: {count} chords in a {meter} bar of {beats} beats ({bar.text}); "
                       "a missing bar line?")
    return out


def _tempo(text: str) -> float | None:
    """A header tempo in beats per minute (20 to 400), None when absent or unreadable."""
    match = re.match(r"\s*(\d+(?:\.\d+)?)", text)
    return float(match.group(1)) if match and 20 <= float(match.group(1)) <= 400 else None


def _meter(text: str) -> str:
    """'4 4', '4/4' or '3 4' as '4/4', '3/4'; ValueError otherwise."""
    meter = "/".join(re.split(r"\s*/\s*|\s+", text.strip()))
    try:
        parse_meter(meter)
    except ValueError:
        raise ValueError(f"TimeSig {text!r} is not a time signature like '4 4' or '3 4'") from None
    return meter


def parse_key(text: str) -> str | None:
    """A chart's key ('F', 'Bb', 'Gm', 'Eb minor', 'A#') in MIDI key-signature spelling; None if unreadable."""
    match = _KEY.match(text.strip())
    if not match:
        return None
    letter, accidental, minor = match.group(1), match.group(2).replace("♭", "b").replace("♯", "#"), match.group(3)
    name = letter + accidental + ("m" if minor else "")
    if name in _MIDI_KEYS:
        return name
    pc = note_pc(letter + accidental)
    return (_MINOR_KEYS if minor else _MAJOR_KEYS)[pc]


@dataclass
class _Bar:
    """A bar as written: its chord text, and the repeat and ending marks around it."""

    text: str
    opens: bool = False  # |: before it
    closes: bool = False  # :| after it
    ending: int | None = None  # 1 for a bar starting '1.'


_OPEN, _CLOSE = "\x01", "\x02"  # '|:' and ':|' as tokens of the bar they open or close


def _written_bars(body: str) -> list[_Bar]:
    """The bars between the bar lines, with section labels, repeat marks and ending numbers taken off."""
    marked = re.sub(r"\|:", f"| {_OPEN} ", re.sub(r":\|", f" {_CLOSE} |", body))
    bars: list[_Bar] = []
    opens = False
    for segment in marked.split("|"):
        tokens = [t for t in segment.split() if not SECTION_LABEL.match(t)]
        opens |= _OPEN in tokens
        closes = _CLOSE in tokens
        tokens = [t for t in tokens if t not in (_OPEN, _CLOSE)]
        ending = None
        if tokens and _ENDING.match(tokens[0]):
            ending = int(_ENDING.match(tokens.pop(0)).group(1))
        if tokens:
            bars.append(_Bar(" ".join(tokens), opens, closes, ending))
            opens = False
        elif closes and bars:
            bars[-1].closes = True
    return bars


def _played_bars(written: list[_Bar], meter: str) -> list[list[str]]:
    """The chords of each bar in playing order: parsed as written (so errors count written bars), then with
    each ``|: ... :|`` played twice and the first ending skipped the second time."""
    chords = parse_progression(" | ".join(bar.text for bar in written), meter)
    played: list[list[str]] = []
    start, turn, index, repeated = 0, 1, 0, set()
    while index < len(written):
        bar = written[index]
        if bar.opens and index not in repeated:
            start, turn = index, 1
        if bar.ending is not None and bar.ending < turn:  # an ending already played: skip to its end
            while index < len(written) and not written[index].closes:
                index += 1
            index += 1
            continue
        played.append(chords[index])
        if bar.closes and index not in repeated:
            repeated.add(index)
            repeated.add(start)
            index, turn = start, turn + 1
            continue
        index += 1
    return played


def chart_paths(paths: list[str | Path]) -> list[Path]:
    """The chart files named, with folders searched for .txt and .chart files (sorted, hidden ones skipped)."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix.lower() in CHART_SUFFIXES and p.is_file()
                            and not any(part.startswith(".") for part in p.relative_to(path).parts))
        else:
            found.append(path)
    return found


def check_chart(path: str | Path) -> dict:
    """One line of the ``jazz changes`` report: ``{"path", "status": "ok"|"error", "bars", "meter", "error"}``."""
    try:
        chart = read_chart(path)
    except ChartError as error:
        return {"path": str(path), "status": "error", "bars": None, "meter": None, "error": str(error),
                "warnings": [], "changes": None, "key": None, "estimated_key": None}
    return {"path": str(path), "status": "ok", "bars": len(chart.bars), "meter": chart.meter, "error": None,
            "warnings": chart.warnings, "changes": chart.changes, "key": chart.key,
            "estimated_key": None if chart.key else estimate_key(chart.bars)}


def format_checks(results: list[dict]) -> str:
    """A line per chart (ok with its bars and meter, or the error) and a summary line."""
    lines = [f"ok     {r['path']}: {r['bars']} bars of {r['meter']}" if r["status"] == "ok" else f"error  {r['error']}"
             for r in results]
    ok = sum(r["status"] == "ok" for r in results)
    lines.append(f"{ok} of {len(results)} chart{'s' if len(results) != 1 else ''} parse"
                 + (f" ({ok / len(results):.1%})" if results else ""))
    return "\n".join(lines)


__all__ = ["Chart", "ChartError", "chart_paths", "check_chart", "format_checks", "parse_chart",
           "parse_key", "read_chart"]
