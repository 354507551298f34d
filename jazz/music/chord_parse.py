"""Chord symbols → :class:`~jazz.music.chords.Chord`: lead-sheet spellings (``Dm7``, ``C-7``, ``CΔ``, ``G7(b9)``,
``Bø``, ``C/E``, ``N.C.``), the fake-book shorthands (``G7+``, ``Cm+``, ``D9+``, ``C2``, ``Ch7``, ``C7/9``), and the
Weimar Jazz Database's own (``C-7``, ``Fj7``, ``Bb79b``, ``NC``).

Readings where spellings disagree (music21 reads several of these differently; see tests/test_chords.py):

* ``+`` after a number, or after ``m``, raises the fifth: ``G7+`` = ``G+7``, ``D9+`` = ``D+7(9)``, ``Cm+`` = C Eb G#;
  ``+`` before a number is a sharp tension (``C7+9`` = ``C7(#9)``).
* ``C2`` and ``Cadd2`` are ``Cadd9`` (a major triad with the ninth, as in Impro-Visor's vocabulary), not a bare
  fifth-less dyad; ``Csus2`` (and ``Cadd9no3``) drop the third. ``C4`` is ``Csus4``, ``C7/6`` is ``C13``.
* ``M``, ``maj`` alone are the major triad (``CM`` = ``C``); ``Δ``, ``^`` and ``j`` alone mean ``maj7``.
* ``h`` and ``ø`` are half-diminished, ``o``, ``°`` and ``º`` diminished (``Co`` a triad, ``Co7`` the seventh).
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache

from jazz.music.chords import NO_CHORD, TENSION_INTERVAL, Chord, ChordError, note_pc, pitch_name
from jazz.music.notes import ChordChange, Solo

_NC_SPELLINGS = {"NC", "N.C.", "N.C", "N/C"}
_ROOT = re.compile(r"([A-G])([b#♭♯]?)")
_BASS = re.compile(r"/([A-G][b#♭♯]?)$")
_LEAD_BODY = re.compile(
    r"(?P<tri>min|mi|m(?!aj|a\d)|-|dim|°|º|o|ø|Ø|h|aug|\+)?"
    r"(?P<aug>\+|aug)?"
    r"(?P<maj>maj|Maj|MA|ma(?=\d)|M|Δ|∆|\^|j)?"
    r"(?P<ext>69|6|7|9|11|13)?"
    r"(?P<mods>.*)"
)
_MOD = re.compile(
    r"sus(?:24|42|2|4)?|alt|aug|add[b#]?(?:2|4|9|11|13)|(?:maj|Maj|MA|ma|M|Δ|∆|\^)(?:7|9|11|13)?"
    r"|/?[b#+\-](?:5|6|9|11|13)|/?(?:9|11|13)|/6|\+|2|4"
)
_MOD_NAMES = {"+": "#5", "aug": "#5", "b6": "b13", "6": "13", "2": "9", "4": "sus4", "sus": "sus4",
              "sus24": "sus4 9", "sus42": "sus4 9", "add2": "9", "add4": "11"}  # fmt: skip
_TRI = {"min": "min", "mi": "min", "m": "min", "-": "min", "dim": "dim", "°": "dim", "º": "dim", "o": "dim",
        "ø": "hdim", "Ø": "hdim", "h": "hdim", "aug": "aug", "+": "aug"}  # fmt: skip
_MAJ_TRIAD = {"M", "maj", "Maj", "MA"}  # alone they mean the major triad; Δ, ^ and j alone mean maj7


def _mod_names(token: str) -> list[str]:
    """Normalized names of one modifier token: 'b9' -> ['b9'], '+' -> ['#5'], 'maj9' -> ['maj7', '9']."""
    token = token.lstrip("/").removeprefix("add") if token not in ("add2", "add4") else token
    if token in _MOD_NAMES:
        return _MOD_NAMES[token].split()
    major = re.fullmatch(r"(?:maj|Maj|MA|ma|M|Δ|∆|\^)(\d*)", token)
    if major:
        return ["maj7"] + ([major.group(1)] if major.group(1) not in ("", "7") else [])
    name = token.replace("+", "#").replace("-", "b")
    return _MOD_NAMES.get(name, name).split()


def _scan_mods(text: str, symbol: str) -> list[str]:
    """Split a run of modifiers ('b9#11', 'sus4', 'add9', '+') into normalized names; ChordError on leftovers."""
    out: list[str] = []
    pos = 0
    while pos < len(text):
        match = _MOD.match(text, pos)
        if not match:
            raise ChordError(f"unknown chord symbol {symbol!r}")
        out.extend(_mod_names(match.group()))
        pos = match.end()
    return out


def _build(
    symbol: str, root: int, tri: str | None, maj: bool, ext: str | None, mods: list[str], bass: int | None
) -> Chord:
    """Assemble a Chord from the pieces both parsers find (``mods``: 'sus4', 'alt', 'maj7', tension names)."""
    sus = [m for m in mods if m.startswith("sus")]
    explicit = {m for m in mods if m in TENSION_INTERVAL or m == "alt"}
    maj = maj or "maj7" in mods
    if maj and ext not in ("6", "69"):
        seventh: str | None = "maj7"
    elif ext in ("7", "9", "11", "13"):
        seventh = "dim7" if tri == "dim" else "7"
    elif ext in ("6", "69"):
        seventh = "6"
    elif tri == "hdim" or "alt" in explicit:
        seventh = "7"
    else:
        seventh = None
    if sus:
        if tri is not None:
            raise ChordError(f"unknown chord symbol {symbol!r}")
        quality = "sus2" if sus[-1] == "sus2" else "sus"
    else:
        quality = tri or ("dom" if seventh == "7" else "maj")
    tensions = explicit | _implied(ext, explicit)
    try:
        return Chord(root, quality, seventh, tuple(tensions), bass)
    except ChordError as err:
        raise ChordError(f"unknown chord symbol {symbol!r} ({err})") from None


def _implied(ext: str | None, explicit: set[str]) -> set[str]:
    """Tensions implied by an extension number (C13 = 7, 9, 13) unless an alteration replaces them."""
    implied: set[str] = set()
    if ext == "69" or (ext in ("9", "11", "13") and not explicit & {"b9", "#9"}):
        implied.add("9")
    if ext == "11" and "#11" not in explicit:
        implied.add("11")
    if ext == "13" and "b13" not in explicit:
        implied.add("13")
    return implied


def _split_root_bass(text: str, symbol: str) -> tuple[int, str, int | None]:
    root_match = _ROOT.match(text)
    if not root_match:
        raise ChordError(f"unknown chord symbol {symbol!r}")
    body = text[root_match.end() :]
    bass = None
    bass_match = _BASS.search(body)
    if bass_match:
        bass = note_pc(bass_match.group(1))
        body = body[: bass_match.start()]
    return note_pc(root_match.group()), body, bass


@lru_cache(maxsize=4096)
def parse_chord(text: str) -> Chord:
    """Parse a lead-sheet chord symbol (``Dm7``, ``C-7``, ``CΔ``, ``G7(b9)``, ``Bø``, ``C/E``, ``G7+``, ``N.C.``)."""
    symbol = text.strip()
    if symbol.upper() in _NC_SPELLINGS:
        return NO_CHORD
    root, body, bass = _split_root_bass(symbol, text)
    body = body.replace("6/9", "69").replace("♭", "b").replace("♯", "#").replace("add9no3", "sus2")
    mods: list[str] = []
    for group in re.findall(r"\(([^()]*)\)", body):
        for item in re.split(r"[,\s]+", group.strip()):
            mods.extend(_scan_mods(item, text))
    body = re.sub(r"\([^()]*\)", "", body)
    if "(" in body or ")" in body:
        raise ChordError(f"unknown chord symbol {text!r}")
    parts = _LEAD_BODY.fullmatch(body)
    assert parts is not None  # the pattern matches any string
    tri = _TRI.get(parts["tri"] or "")
    mods = _scan_mods(parts["mods"], text) + mods + (["#5"] if parts["aug"] else [])
    triad_only = parts["maj"] in _MAJ_TRIAD and tri is None and parts["ext"] is None
    maj = parts["maj"] is not None and not triad_only
    return _build(text, root, tri, maj, parts["ext"], mods, bass)


_WEIMAR_BODY = re.compile(
    r"(?P<tri>m7b5|-|o|\+|sus)?(?P<maj>j)?(?P<ext>6|7)?(?P<tensions>(?:(?:9|11|13)[b#]?)*)(?P<alt>alt)?"
)
_WEIMAR_TRI = {"m7b5": "hdim", "-": "min", "o": "dim", "+": "aug"}


@lru_cache(maxsize=4096)
def parse_weimar_chord(text: str) -> Chord:
    """Parse a Weimar Jazz Database chord (``C-7``, ``Fj7``, ``Bb79b``, ``Ebj7911#``, ``Db-69/Ab``, ``NC``...)."""
    symbol = text.strip()
    if not symbol:
        raise ChordError(f"empty Weimar chord symbol {text!r}")
    if symbol == "NC":
        return NO_CHORD
    root, body, bass = _split_root_bass(symbol, text)
    parts = _WEIMAR_BODY.fullmatch(body)
    if parts is None:
        raise ChordError(f"unknown Weimar chord symbol {text!r}")
    mods = [m[-1] + m[:-1] if m[-1] in "b#" else m for m in re.findall(r"(?:9|11|13)[b#]?", parts["tensions"])]
    if parts["tri"] == "sus":
        mods.append("sus4")
    if parts["alt"]:
        mods.append("alt")
    tri = _WEIMAR_TRI.get(parts["tri"] or "")
    return _build(text, root, tri, parts["maj"] is not None, parts["ext"], mods, bass)


_WEIMAR_RUN = re.compile(r"NC|[A-G][b#]?(?:[^A-GN/]|/[A-G][b#]?)*")


def split_weimar_symbols(text: str) -> list[str]:
    """Split Weimar chords written without spaces, as in meta.csv ``chord_changes``: 'F7NC' -> ['F7', 'NC']."""
    pieces = _WEIMAR_RUN.findall(text)
    if "".join(pieces) != text:
        raise ChordError(f"unknown Weimar chord symbol(s) {text!r}")
    return pieces


@lru_cache(maxsize=4096)
def to_chord(symbol: str) -> Chord:
    """A lead-sheet symbol, or failing that a Weimar one, as a Chord (the error names the lead-sheet reading)."""
    try:
        return parse_chord(symbol)
    except ChordError as lead_sheet_error:
        try:
            return parse_weimar_chord(symbol)
        except ChordError:
            raise lead_sheet_error from None



def written_names(symbol: str) -> tuple[str | None, str | None]:
    """The root and slash-bass names as the symbol writes them ('C#', 'Gb'; ♭ and ♯ as b and #), None where
    there is none: the spelling a lead sheet keeps."""
    text = symbol.strip().replace("♭", "b").replace("♯", "#")
    if to_chord(symbol).is_no_chord:
        return None, None
    root = _ROOT.match(text)
    bass = _BASS.search(text)
    return (root.group() if root else None), (bass.group(1) if bass else None)


def spelled_symbol(symbol: str) -> str:
    """The package's spelling of a chord symbol with the writer's root and bass names: 'C#-7' -> 'C#m7',
    'Gbmaj7' stays 'Gbmaj7' (where ``to_chord(symbol).symbol`` would write F#maj7)."""
    return _spelled(to_chord(symbol), symbol)


def spelled_weimar_symbol(text: str) -> str:
    """A Weimar chord in the package's spelling with the transcriber's root and bass names: 'C#-7' -> 'C#m7',
    'Cbj7' -> 'Cbmaj7'."""
    return _spelled(parse_weimar_chord(text), text)


def _spelled(chord: Chord, symbol: str) -> str:
    """``chord``, read from ``symbol``, written with the root and bass names of ``symbol``."""
    if chord.root is None:
        return chord.symbol
    root, bass = written_names(symbol)
    body = chord.symbol[len(pitch_name(chord.root)) :]
    if chord.bass is not None:
        body = body.rsplit("/", 1)[0] + "/" + (bass or pitch_name(chord.bass))
    return (root or pitch_name(chord.root)) + body


@lru_cache(maxsize=8192)
def transpose_symbol(symbol: str, semitones: int) -> str:
    """Move a lead-sheet chord symbol by ``semitones`` (``transpose_symbol('Dm7', 3) == 'Fm7'``)."""
    return to_chord(symbol).transpose(semitones).symbol


def transpose_solo(solo: Solo, semitones: int) -> Solo:
    """The same solo moved by ``semitones``, its chord symbols with it."""
    notes = [n._replace(pitch=n.pitch + semitones) for n in solo.notes]
    chords = [ChordChange(c.onset, transpose_symbol(c.symbol, semitones)) for c in solo.chords]
    return replace(solo, notes=notes, chords=chords)
