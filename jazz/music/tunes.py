"""Chord progressions: a bar-line parser, the layout of a form on the step grid, and a small library of jazz
forms to improvise over.

Progression text is lead-sheet chords between bar lines::

    | Dm7 G7 | Cmaj7 | % || A2: Fm7 Bb7 | Ebmaj7 |

``|`` and ``||`` separate bars (leading and trailing bar lines are optional, empty bars are skipped), several
chords in a bar share it (more chords than beats split it evenly: eight in a 4/4 bar are eighth notes), ``/``
repeats the chord before it for one more share, ``%`` repeats the previous bar, and words ending in ``:``
(``A:``, ``B2:``) label sections and are ignored. Newlines are whitespace; a chord may hold spaces inside its
parentheses (``C7(b9 #11)``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from jazz.music.chord_parse import (
    spelled_symbol,
    spelled_weimar_symbol,
    split_weimar_symbols,
    transpose_symbol,
)
from jazz.music.chords import ChordError
from jazz.music.notes import DEFAULT_GRID, Bar, ChordChange

__all__ = [
    "TUNES",
    "Tune",
    "TuneError",
    "get_tune",
    "list_tunes",
    "parse_meter",
    "parse_progression",
    "parse_weimar_changes",
    "progression_changes",
]

SECTION_LABEL = re.compile(r"^[A-Za-z][\w']*:$")  # A:, B2:, Bridge:


def parse_meter(meter: str) -> tuple[int, int]:
    """'4/4' -> (4, 4); ValueError for anything else."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(1|2|4|8|16)\s*", meter)
    if not match or int(match.group(1)) < 1:
        raise ValueError(f"bad meter {meter!r} (expected e.g. '4/4', '3/4', '6/8')")
    return int(match.group(1)), int(match.group(2))


_TOKEN = re.compile(r"(?:\([^()]*\)|\S)+")  # a chord, spaces allowed inside its parentheses
_MOST_PER_BEAT = 4  # more chords than this per beat would change faster than sixteenth notes


def _bar_texts(text: str) -> list[list[str]]:
    """Whitespace-split tokens of each non-empty bar, section labels removed."""
    bars = []
    for segment in text.split("|"):
        tokens = [t for t in _TOKEN.findall(segment) if not SECTION_LABEL.match(t)]
        if tokens:
            bars.append(tokens)
    return bars


def parse_progression(text: str, meter: str = "4/4") -> list[list[str]]:
    """Bars of chord symbols from progression text (see the module docstring), each chord in the package's
    lead-sheet spelling (``C-7`` -> ``Cm7``). ChordError names a bad symbol and its bar (1-based); ValueError
    for an empty progression, a leading ``%`` or ``/``, or a bar with chords faster than sixteenth notes."""
    beats, denominator = parse_meter(meter)
    most = beats * _MOST_PER_BEAT * 4 // denominator
    bars: list[list[str]] = []
    for number, tokens in enumerate(_bar_texts(text), start=1):
        if tokens == ["%"]:
            if not bars:
                raise ValueError(f"bar {number}: '%' repeats a previous bar, but there is none")
            bars.append(list(bars[-1]))
            continue
        if len(tokens) > most:
            raise ValueError(f"bar {number}: {len(tokens)} chords do not fit in a {meter} bar "
                             f"(at most {most}, one a sixteenth note)")
        try:
            bars.append(_bar_symbols(tokens, bars[-1][-1] if bars else None))
        except ChordError as err:
            raise ChordError(f"bar {number}: {err}") from None
    if not bars:
        raise ValueError("empty progression: no bars between the bar lines")
    return bars


def _bar_symbols(tokens: list[str], before: str | None) -> list[str]:
    """One bar's chords in lead-sheet spelling; ``/`` is the chord before it again."""
    symbols: list[str] = []
    for token in tokens:
        previous = symbols[-1] if symbols else before
        if token == "/" and previous is None:
            raise ChordError("'/' repeats the chord before it, but there is none")
        symbols.append(previous if token == "/" else spelled_symbol(token))
    return symbols


def _onsets(count: int, beats: int, beat_steps: int) -> list[int]:
    """Grid offsets of ``count`` chords in a bar: whole beats, the earlier chords getting the spare beats
    (3 chords in 4/4 sit on beats 1, 3 and 4); more chords than beats split the bar evenly in steps."""
    if count > beats:
        return [i * beats * beat_steps // count for i in range(count)]
    base, spare = divmod(beats, count)
    offsets, beat = [], 0
    for i in range(count):
        offsets.append(beat * beat_steps)
        beat += base + (i < spare)
    return offsets


def progression_changes(
    bars: list[list[str]], meter: str = "4/4", grid: int = DEFAULT_GRID, choruses: int = 1
) -> tuple[list[Bar], list[ChordChange]]:
    """Lay a form out on the step grid (``grid`` steps per quarter note) ``choruses`` times, from step 0.

    Chords share their bar by whole beats (see ``_onsets``); a chord equal to the one before it (also across
    bars and choruses) is merged into it, so changes only mark where the harmony moves."""
    numerator, denominator = parse_meter(meter)
    if choruses < 1:
        raise ValueError(f"choruses must be at least 1, not {choruses}")
    if (grid * 4) % denominator:
        raise ValueError(f"a grid of {grid} steps per quarter cannot hold {meter} beats")
    if not bars:
        raise ValueError("empty progression: no bars")
    beat_steps = grid * 4 // denominator
    out_bars: list[Bar] = []
    changes: list[ChordChange] = []
    if max(map(len, bars)) > numerator * beat_steps:
        raise ValueError(f"a grid of {grid} steps per quarter cannot hold {max(map(len, bars))} chords in a bar")
    for _ in range(choruses):
        for chords in bars:
            start = len(out_bars) * numerator * beat_steps
            out_bars.append(Bar(start, numerator, denominator))
            for offset, symbol in zip(_onsets(len(chords), numerator, beat_steps), chords):
                if not changes or changes[-1].symbol != symbol:
                    changes.append(ChordChange(start + offset, symbol))
    return out_bars, changes


def parse_weimar_changes(text: str) -> list[tuple[str, list[list[str]]]]:
    """The ``chord_changes`` of the Weimar Jazz Database meta.csv ('A1: ||Bb6 G7 |C-7 F7 ||' one part a line)
    as (part label, bars of lead-sheet symbols with the roots as written). Chords glued together ('F7NC') are
    split."""
    parts = []
    for line in text.splitlines():
        if not line.strip():
            continue
        label, _, body = line.rpartition(":")
        bars = []
        for number, segment in enumerate((s for s in body.split("|") if s.strip()), start=1):
            try:
                symbols = [s for token in segment.split() for s in split_weimar_symbols(token)]
                bars.append([spelled_weimar_symbol(s) for s in symbols])
            except ChordError as err:
                raise ChordError(f"part {label.strip() or '?'}, bar {number}: {err}") from None
        parts.append((label.strip(), bars))
    return parts


# -------------------------------------------------------------------------------------------- library


@dataclass(frozen=True)
class Tune:
    """A form to improvise over: progression text in lead-sheet symbols, meter and a default tempo (BPM; None
    leaves it to the model)."""

    name: str
    title: str
    meter: str
    tempo: float | None
    changes: str
    description: str
    key: str | None = None  # MIDI key-signature spelling ("F", "Cm"), for the key signature of the files

    @property
    def bars(self) -> list[list[str]]:
        return parse_progression(self.changes, self.meter)


class TuneError(KeyError):
    """An unknown tune name (the message lists the known ones)."""

    def __str__(self) -> str:
        return str(self.args[0])


_CYCLE_OF_FOURTHS = (0, 5, 10, 3, 8, 1, 6, 11, 4, 9, 2, 7)  # C F Bb Eb Ab Db Gb B E A D G


def _through_keys(cell: str, steps: tuple[int, ...] = _CYCLE_OF_FOURTHS) -> str:
    """A progression cell in C repeated in other keys: ' | '.join of each bar's chords transposed."""
    bars = [bar.split() for bar in cell.split("|") if bar.strip()]
    keyed = [" ".join(transpose_symbol(c, step) if c != "%" else c for c in bar) for step in steps for bar in bars]
    return "| " + " | ".join(keyed) + " |"


_RHYTHM_A = "| Bb6 G7 | Cm7 F7 | Dm7 G7 | Cm7 F7 | Fm7 Bb7 | Eb7 Edim7 | Dm7 G7 | Cm7 F7 |"
_RHYTHM_A_END = "| Bb6 G7 | Cm7 F7 | Dm7 G7 | Cm7 F7 | Fm7 Bb7 | Eb7 Edim7 | Cm7 F7 | Bb6 |"
_EB_A = "| Fm7 | Bb7 | Ebmaj7 | Cm7 | Fm7 | Bb7 | Gm7 C7 | Fm7 Bb7 |"

_TUNE_LIST = [
    Tune(
        "blues-f", "Jazz blues in F", "4/4", 132,
        "| F7 | Bb7 | F7 | Cm7 F7 | Bb7 | Bdim7 | F7 | Am7 D7(b9) | Gm7 | C7 | F7 D7 | Gm7 C7 |",
        "12-bar jazz blues in F: IV in bar 2 and 5, #IV dim, ii-V turnarounds", "F",
    ),
    Tune(
        "blues-bb", "Jazz blues in Bb", "4/4", 144,
        "| Bb7 | Eb7 | Bb7 | Fm7 Bb7 | Eb7 | Edim7 | Bb7 | Dm7 G7(b9) | Cm7 | F7 | Bb7 G7 | Cm7 F7 |",
        "12-bar jazz blues in Bb with ii-Vs", "Bb",
    ),
    Tune(
        "minor-blues-c", "Minor blues in C", "4/4", 126,
        "| Cm7 | Fm7 | Cm7 | % | Fm7 | % | Cm7 | % | Ab7 | G7alt | Cm7 | Dm7b5 G7alt |",
        "12-bar minor blues in C: iv, bVI7 to altered V", "Cm",
    ),
    Tune(
        "rhythm-changes-bb", "Rhythm changes in Bb", "4/4", 200,
        f"A1: {_RHYTHM_A} A2: {_RHYTHM_A_END} B: | D7 | % | G7 | % | C7 | % | F7 | % | A3: {_RHYTHM_A_END}",
        "32-bar AABA: I-vi-ii-V turnarounds, bridge of dominants around the cycle", "Bb",
    ),
    Tune(
        "ii-v-i-c", "Major ii-V-I in C", "4/4", 120,
        "| Dm7 | G7 | Cmaj7 | % |",
        "4-bar major ii-V-I drill in C", "C",
    ),
    Tune(
        "minor-ii-v-i-c", "Minor ii-V-I in C", "4/4", 120,
        "| Dm7b5 | G7(b9) | Cm6 | % |",
        "4-bar minor ii-V-i drill in C (m7b5, dominant b9, minor sixth)", "Cm",
    ),
    Tune(
        "ii-v-i-keys", "Major ii-V-I in all keys", "4/4", 120,
        _through_keys("| Dm7 | G7 | Cmaj7 | % |"),
        "48 bars: the major ii-V-I around the cycle of fourths, 12 keys", "C",
    ),
    Tune(
        "minor-ii-v-i-keys", "Minor ii-V-I in all keys", "4/4", 120,
        _through_keys("| Dm7b5 | G7(b9) | Cm6 | % |"),
        "48 bars: the minor ii-V-i around the cycle of fourths, 12 keys", "Cm",
    ),
    Tune(
        "modal-d-dorian", "Modal vamp in D dorian", "4/4", 138,
        "A1: | Dm7 | % | % | % | % | % | % | % | A2: | Dm7 | % | % | % | % | % | % | % |"
        " B: | Ebm7 | % | % | % | % | % | % | % | A3: | Dm7 | % | % | % | % | % | % | % |",
        "32-bar modal AABA: D dorian, a half step up to Eb dorian for the bridge", "C",
    ),
    Tune(
        "standard-eb", "AABA standard in Eb", "4/4", 160,
        f"A1: {_EB_A} A2: | Fm7 | Bb7 | Ebmaj7 | Ebm7 Ab7 | Dbmaj7 | Dm7b5 G7(b9) | Cm7 F7 | Fm7 Bb7 |"
        " B: | Bbm7 | Eb7 | Abmaj7 | % | Am7 | D7 | Gmaj7 | Fm7 Bb7 |"
        " A3: | Fm7 | Bb7 | Ebmaj7 | Cm7 | Abm7 Db7 | Gm7 C7(b9) | Fm7 Bb7 | Eb6 |",
        "32-bar AABA of ii-V-I motion in Eb, detours to Db, Ab and G", "Eb",
    ),
    Tune(
        "coltrane-cycle", "Major-third cycles", "4/4", 240,
        "| Cmaj7 | Eb7 Abmaj7 | B7 Emaj7 | G7 | Cmaj7 | Gm7 C7 | Fmaj7 | Ab7 Dbmaj7 |"
        " E7 Amaj7 | C7 | Fmaj7 | Fm7 Bb7 | Ebmaj7 F#7 | Bmaj7 D7 | Gmaj7 | Dm7 G7 |",
        "16 bars of Coltrane changes: keys a major third apart, each reached by its V7", "C",
    ),
    Tune(
        "minor-ii-v-d", "Minor and relative-major ii-Vs in D minor", "4/4", 144,
        "| Em7b5 | A7(b9) | Dm7 | % | Gm7 | C7 | Fmaj7 | Bbmaj7 |"
        " Em7b5 | A7(b9) | Dm7 | Gm7 C7 | Fmaj7 | Em7b5 A7(b9) | Dm6 | % |",
        "16 bars alternating minor ii-V-i in D and major ii-V-I in the relative F", "Dm",
    ),
    Tune(
        "waltz-bb", "Jazz waltz in Bb", "3/4", 150,
        "| Bbmaj7 | Gm7 | Cm7 | F7 | Dm7 | G7(b9) | Cm7 | F7 |"
        " Fm7 | Bb7 | Ebmaj7 | Ab7 | Dm7 | G7(b9) | Cm7 F7 | Bb6 |",
        "16 bars in 3/4: ii-Vs through the relative minor, a turn to the IV, back home", "Bb",
    ),
]  # fmt: skip

TUNES: dict[str, Tune] = {tune.name: tune for tune in _TUNE_LIST}


def get_tune(name: str) -> Tune:
    """A built-in tune by name (case, spaces and underscores forgiven); TuneError lists the names."""
    key = re.sub(r"[\s_]+", "-", name.strip().lower())
    if key not in TUNES:
        raise TuneError(f"unknown tune {name!r}; built-in tunes: {', '.join(TUNES)}")
    return TUNES[key]


def list_tunes() -> str:
    """A readable table of the built-in tunes: name, bars, meter, tempo and description."""
    rows = [("name", "bars", "meter", "tempo", "description")]
    rows += [(t.name, str(len(t.bars)), t.meter, f"{t.tempo:g}", t.description) for t in TUNES.values()]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join([*(cell.ljust(w) for cell, w in zip(row, widths)), row[4]]) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths) + "  " + "-" * len("description"))
    return "\n".join(lines)
