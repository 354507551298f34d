"""Chord symbols: a small chord model, parsers for lead-sheet and Weimar Jazz Database spellings, and the
harmony helpers the improviser needs (features for a model, chord-scales, comping voicings, music21 export).

A :class:`Chord` is described by

* ``root``: pitch class 0-11 (C=0), ``None`` for no chord (N.C.);
* ``quality``: ``"maj"`` (major triad, 6 or maj7), ``"dom"`` (dominant seventh), ``"min"`` (minor triad, m6,
  m7 or m(maj7)), ``"hdim"`` (half-diminished m7b5), ``"dim"`` (diminished triad or dim7), ``"aug"``
  (augmented triad, +7 or +maj7), ``"sus"`` (suspended fourth), ``"sus2"`` (suspended second), ``"none"``;
* ``seventh``: ``None`` (triad), ``"6"``, ``"7"`` (minor seventh), ``"maj7"`` or ``"dim7"``;
* ``tensions``: names from :data:`TENSIONS`; ``"b5"``/``"#5"`` alter the fifth, ``"alt"`` stands for the
  altered dominant (b9, #9, #11, b13, no natural fifth);
* ``bass``: pitch class of a slash bass, ``None`` when the root is in the bass.

Lead-sheet symbols are the lingua franca of the package (``ChordChange.symbol``); Weimar symbols are read
with :func:`parse_weimar_chord` and converted with ``.symbol``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from music21.harmony import ChordSymbol

__all__ = [
    "CHORD_FEATURES",
    "NO_CHORD",
    "TENSIONS",
    "Chord",
    "ChordError",
    "chord_features",
    "chord_scale",
    "music21_symbol",
    "parse_chord",
    "parse_weimar_chord",
    "pitch_name",
    "split_weimar_symbols",
    "transpose_symbol",
    "to_chord",
    "voicing",
]

CHORD_FEATURES = 37  # root one-hot (12) + pitch-class set (12) + bass one-hot (12) + no-chord flag (1)

TENSIONS = ("alt", "b5", "#5", "b9", "9", "#9", "11", "#11", "b13", "13")  # canonical order
_TENSION_INTERVAL = {"b5": 6, "#5": 8, "b9": 1, "9": 2, "#9": 3, "11": 5, "#11": 6, "b13": 8, "13": 9}
_ALT_INTERVALS = (1, 3, 6, 8)  # b9, #9, #11, b13

_TRIADS = {
    "maj": (0, 4, 7), "dom": (0, 4, 7), "min": (0, 3, 7), "hdim": (0, 3, 6), "dim": (0, 3, 6),
    "aug": (0, 4, 8), "sus": (0, 5, 7), "sus2": (0, 2, 7),
}  # fmt: skip
_SEVENTH_INTERVAL = {"6": 9, "7": 10, "maj7": 11, "dim7": 9}
_ALLOWED_SEVENTHS = {
    "maj": (None, "6", "maj7"), "dom": ("7",), "min": (None, "6", "7", "maj7"), "hdim": ("7",),
    "dim": (None, "dim7"), "aug": (None, "7", "maj7"), "sus": (None, "7", "maj7"), "sus2": (None, "7"),
}  # fmt: skip

_NAMES = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_NATURALS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_ACCIDENTALS = {"": 0, "b": -1, "#": 1, "♭": -1, "♯": 1}


class ChordError(ValueError):
    """A chord symbol that cannot be read."""


def pitch_name(pc: int) -> str:
    """Lead-sheet spelling of a pitch class: flats for Db/Eb/Ab/Bb, and F# rather than Gb."""
    return _NAMES[pc % 12]


def _note_pc(name: str) -> int:
    return (_NATURALS[name[0]] + _ACCIDENTALS[name[1:]]) % 12


# --------------------------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class Chord:
    """A chord: root, quality, seventh or sixth, tensions and slash bass (see the module docstring).

    Construction normalizes: tensions are sorted and deduplicated, a bass equal to the root is dropped, and
    altered fifths fold into the quality (m7 + b5 = ``hdim``, 7 + #5 = ``aug`` ...), so equal chords compare equal.
    """

    root: int | None
    quality: str = "maj"
    seventh: str | None = None
    tensions: tuple[str, ...] = field(default=())
    bass: int | None = None

    def __post_init__(self) -> None:
        if self.root is None:
            if (self.seventh, self.tensions, self.bass) != (None, (), None):
                raise ChordError("a no-chord has no seventh, tensions or bass")
            object.__setattr__(self, "quality", "none")
            return
        quality, seventh, tensions = _fold_fifth(self.quality, self.seventh, set(self.tensions))
        unknown = tensions - set(TENSIONS)
        if unknown:
            raise ChordError(f"unknown tension(s) {sorted(unknown)}")
        if quality not in _ALLOWED_SEVENTHS or seventh not in _ALLOWED_SEVENTHS[quality]:
            raise ChordError(f"no chord of quality {quality!r} with seventh {seventh!r}")
        if "alt" in tensions and quality != "dom":
            raise ChordError("'alt' needs a dominant seventh chord")
        bass = None if self.bass is None or self.bass % 12 == self.root % 12 else self.bass % 12
        object.__setattr__(self, "root", self.root % 12)
        object.__setattr__(self, "quality", quality)
        object.__setattr__(self, "seventh", seventh)
        object.__setattr__(self, "tensions", tuple(t for t in TENSIONS if t in tensions))
        object.__setattr__(self, "bass", bass)

    @property
    def is_no_chord(self) -> bool:
        return self.root is None

    @property
    def intervals(self) -> tuple[int, ...]:
        """Chord-tone intervals above the root: root, 3rd (or 4th/2nd), 5th (altered or absent), 7th/6th."""
        if self.root is None:
            return ()
        root, third, fifth = _TRIADS[self.quality]
        if "b5" in self.tensions:
            fifth = 6
        elif "#5" in self.tensions:
            fifth = 8
        tones = [root, third] if "alt" in self.tensions else [root, third, fifth]
        if self.seventh is not None:
            tones.append(_SEVENTH_INTERVAL[self.seventh])
        return tuple(tones)

    @property
    def tension_intervals(self) -> tuple[int, ...]:
        """Intervals above the root of the tensions (the fifth alterations excluded: they are chord tones)."""
        out: list[int] = []
        for name in self.tensions:
            if name == "alt":
                out.extend(_ALT_INTERVALS)
            elif name not in ("b5", "#5"):
                out.append(_TENSION_INTERVAL[name])
        return tuple(out)

    @property
    def chord_tones(self) -> frozenset[int]:
        """Pitch classes of root, 3rd, 5th and 7th (or 6th)."""
        if self.root is None:
            return frozenset()
        return frozenset((self.root + i) % 12 for i in self.intervals)

    @property
    def pitch_classes(self) -> frozenset[int]:
        """Chord tones plus named tensions (the slash bass is not included)."""
        if self.root is None:
            return frozenset()
        return self.chord_tones | {(self.root + i) % 12 for i in self.tension_intervals}

    @property
    def bass_pc(self) -> int | None:
        """The lowest note: the slash bass, else the root (None for no chord)."""
        return self.root if self.bass is None else self.bass

    @property
    def symbol(self) -> str:
        """Common lead-sheet spelling, e.g. ``Dm7``, ``G7(b9)``, ``Cmaj7(#11)``, ``F#m7b5``, ``C/E``, ``N.C.``."""
        if self.root is None:
            return "N.C."
        text = pitch_name(self.root) + _body(self)
        return text if self.bass is None else f"{text}/{pitch_name(self.bass)}"

    def transpose(self, semitones: int) -> Chord:
        """The same chord moved by ``semitones``."""
        if self.root is None:
            return self
        bass = None if self.bass is None else self.bass + semitones
        return Chord(self.root + semitones, self.quality, self.seventh, self.tensions, bass)

    def __str__(self) -> str:
        return self.symbol


NO_CHORD = Chord(None, "none")


def _fold_fifth(quality: str, seventh: str | None, tensions: set[str]) -> tuple[str, str | None, set[str]]:
    """Fold altered fifths and a major triad with a minor seventh into the canonical quality."""
    if quality == "maj" and seventh == "7":
        quality = "dom"
    if "b5" in tensions and quality == "min" and seventh in (None, "7"):
        quality = "dim" if seventh is None else "hdim"
    if "#5" in tensions and quality in ("maj", "dom") and seventh in (None, "7", "maj7"):
        quality = "aug"
    if quality in ("dim", "hdim"):
        tensions.discard("b5")
    if quality == "aug":
        tensions.discard("#5")
    return quality, seventh, tensions


# ------------------------------------------------------------------------------------ spelling a symbol


def _stack(tensions: tuple[str, ...]) -> tuple[str, list[str]]:
    """Fold natural 9/11/13 into the extension number: ('9', '13', '#11') -> ('13', ['#11'])."""
    rest = list(tensions)
    natural9 = "9" in rest and "b9" not in rest and "#9" not in rest
    if natural9 and "13" in rest and "b13" not in rest:
        head, used = "13", ("9", "13")
    elif natural9 and "11" in rest and "#11" not in rest:
        head, used = "11", ("9", "11")
    elif natural9:
        head, used = "9", ("9",)
    else:
        return "7", rest
    return head, [t for t in rest if t not in used]


_STACKABLE = {("maj", "maj7"), ("dom", "7"), ("min", "7"), ("sus", "7"), ("sus", "maj7"), ("sus2", "7")}


def _body(chord: Chord) -> str:
    """Everything after the root name and before the slash bass."""
    q, seventh, tensions = chord.quality, chord.seventh, chord.tensions
    rest = list(tensions)
    if (q, seventh) in _STACKABLE and "alt" not in tensions:
        head, rest = _stack(tensions)
    else:
        head = "7"
    prefix = "maj" if seventh == "maj7" else ""
    if q in ("maj", "min") and seventh is None and rest == ["9"]:
        text, rest = ("m(add9)" if q == "min" else "add9"), []
    elif seventh == "6":
        six = "69" if "9" in rest else "6"
        rest = [t for t in rest if t != "9"]
        text = ("m" if q == "min" else "") + six
    elif q == "maj":
        text = "" if seventh is None else prefix + head
    elif q == "dom":
        text = "7alt" if "alt" in rest else head
        rest = [t for t in rest if t != "alt"]
    elif q == "min" and seventh == "maj7":
        text, rest = "m(" + ",".join(["maj7", *rest]) + ")", []
    elif q == "min":
        text = "m" if seventh is None else "m" + head
    elif q == "hdim":
        text = "m7b5"
    elif q == "dim":
        text = "dim" if seventh is None else "dim7"
    elif q == "aug":
        text = "+" + ("" if seventh is None else prefix + "7")
    else:  # sus, sus2
        text = ("" if seventh is None else prefix + head) + ("sus4" if q == "sus" else "sus2")
    return text + (f"({','.join(rest)})" if rest else "")


# ------------------------------------------------------------------------------------------- parsing


_NC_SPELLINGS = {"NC", "N.C.", "N.C", "N/C"}
_ROOT = re.compile(r"([A-G])([b#♭♯]?)")
_BASS = re.compile(r"/([A-G][b#♭♯]?)$")
_LEAD_BODY = re.compile(
    r"(?P<tri>min|mi|m(?!aj|a\d)|-|dim|°|o|ø|Ø|aug|\+)?"
    r"(?P<maj>maj|Maj|MA|ma(?=\d)|M|Δ|∆|j)?"
    r"(?P<ext>69|6|7|9|11|13)?"
    r"(?P<mods>.*)"
)
_MOD = re.compile(r"sus[24]?|alt|maj7|add[b#]?(?:9|11|13)|[b#+\-](?:5|9|11|13)|9|11|13")
_TRI = {"min": "min", "mi": "min", "m": "min", "-": "min", "dim": "dim", "°": "dim", "o": "dim",
        "ø": "hdim", "Ø": "hdim", "aug": "aug", "+": "aug"}  # fmt: skip


def _scan_mods(text: str, symbol: str) -> list[str]:
    """Split a run of modifiers ('b9#11', 'sus4', 'add9') into normalized names; ChordError on leftovers."""
    out: list[str] = []
    pos = 0
    while pos < len(text):
        match = _MOD.match(text, pos)
        if not match:
            raise ChordError(f"unknown chord symbol {symbol!r}")
        token = match.group().removeprefix("add")
        out.append(token.replace("+", "#").replace("-", "b"))
        pos = match.end()
    return out


def _build(
    symbol: str, root: int, tri: str | None, maj: bool, ext: str | None, mods: list[str], bass: int | None
) -> Chord:
    """Assemble a Chord from the pieces both parsers find (``mods``: 'sus4', 'alt', 'maj7', tension names)."""
    sus = [m for m in mods if m.startswith("sus")]
    explicit = {m for m in mods if m in _TENSION_INTERVAL or m == "alt"}
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
        bass = _note_pc(bass_match.group(1))
        body = body[: bass_match.start()]
    return _note_pc(root_match.group()), body, bass


@lru_cache(maxsize=4096)
def parse_chord(text: str) -> Chord:
    """Parse a lead-sheet chord symbol (``Dm7``, ``C-7``, ``CΔ``, ``G7(b9)``, ``Bø``, ``C/E``, ``N.C.``...)."""
    symbol = text.strip()
    if symbol.upper() in _NC_SPELLINGS:
        return NO_CHORD
    root, body, bass = _split_root_bass(symbol, text)
    body = body.replace("6/9", "69")
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
    mods = _scan_mods(parts["mods"], text) + mods
    return _build(text, root, tri, parts["maj"] is not None, parts["ext"], mods, bass)


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


# ----------------------------------------------------------------------------------- harmony helpers


@lru_cache(maxsize=8192)
def transpose_symbol(symbol: str, semitones: int) -> str:
    """Move a lead-sheet chord symbol by ``semitones`` (``transpose_symbol('Dm7', 3) == 'Fm7'``)."""
    return to_chord(symbol).transpose(semitones).symbol


@lru_cache(maxsize=4096)
def _features(symbol: str | None) -> np.ndarray:
    vector = np.zeros(CHORD_FEATURES, dtype=np.float32)
    chord = NO_CHORD if symbol is None else to_chord(symbol)
    if chord.root is None:
        vector[36] = 1.0
    else:
        vector[chord.root] = 1.0
        vector[[12 + pc for pc in chord.pitch_classes]] = 1.0
        vector[24 + chord.bass_pc] = 1.0
    vector.flags.writeable = False
    return vector


def chord_features(symbol: str | None) -> np.ndarray:
    """Model input for a chord: root one-hot, pitch-class set, bass one-hot (the root without a slash), no-chord
    flag; ``CHORD_FEATURES`` float32 values. None or N.C. sets only the flag. The array is cached: read-only."""
    return _features(symbol)


_MODES = {
    "ionian": "MajorScale", "mixolydian": "MixolydianScale", "dorian": "DorianScale",
    "locrian": "LocrianScale", "melodic-minor": "MelodicMinorScale", "whole-tone": "WholeToneScale",
    "octatonic": "OctatonicScale",  # whole step first
}  # fmt: skip
_DEGREE_GROUPS = ({1, 2, 3}, {5, 6}, {8, 9})  # 9ths, 11ths, 13ths: a tension replaces its neighbours


@lru_cache(maxsize=None)
def _mode(name: str) -> frozenset[int]:
    """Pitch classes of a mode on C, from music21."""
    from music21 import scale

    mode = getattr(scale, _MODES[name])("C")
    return frozenset(p.pitchClass for p in mode.getPitches("C4", "B4"))


def _base_scale(chord: Chord) -> tuple[str, int, bool]:
    """(mode, its tonic relative to the root, whether tensions still adjust it) for a chord."""
    q, seventh, tensions = chord.quality, chord.seventh, set(chord.tensions)
    if q == "dom" and "alt" in tensions:
        return "melodic-minor", 1, False  # altered scale
    if q == "dom" and tensions & {"b9", "#9"} and "13" in tensions:
        return "octatonic", 1, False  # half-whole diminished
    if q in ("dom", "sus"):
        return "mixolydian", 0, True
    if q == "min":
        return ("melodic-minor", 0, True) if seventh == "maj7" else ("dorian", 0, True)
    if q == "hdim":
        return "locrian", 0, True
    if q == "dim":
        return "octatonic", 0, False
    if q == "aug":
        return ("melodic-minor", 9, True) if seventh == "maj7" else ("whole-tone", 0, True)  # lydian augmented
    return "ionian", 0, True


@lru_cache(maxsize=4096)
def chord_scale(symbol: str) -> frozenset[int]:
    """Pitch classes of the chord-scale: mixolydian for 7, dorian for m7, locrian for m7b5, altered for 7alt,
    lydian for maj7(#11), lydian dominant for 7(#11), half-whole diminished for 7(b9,13), whole-half for dim7...
    Tensions replace their scale neighbours (b13 replaces 13); chord tones and slash bass always belong.
    N.C. gives an empty set."""
    chord = to_chord(symbol)
    if chord.root is None:
        return frozenset()
    mode, tonic, adjust = _base_scale(chord)
    intervals = {(i + tonic) % 12 for i in _mode(mode)}
    keep = set(chord.intervals) | set(chord.tension_intervals)
    if adjust:
        if set(chord.tensions) & {"b5", "#5"}:
            intervals.discard(7)  # the altered fifth replaces the natural one
        for t in chord.tension_intervals:
            for group in _DEGREE_GROUPS:
                if t in group:
                    intervals -= group - keep
    intervals |= keep
    pcs = {(chord.root + i) % 12 for i in intervals}
    if chord.bass is not None:
        pcs.add(chord.bass)
    return frozenset(pcs)


_DEFAULT_COLORS = {"dom": (2, 9), "sus": (2, 9), "sus2": (9,), "maj": (2, 7), "min": (2, 7)}


def _voicing_intervals(chord: Chord) -> list[int]:
    """Intervals (mod 12) of a rootless or shell voicing, most important first, 3-4 of them."""
    third, fifth = chord.intervals[1], _TRIADS[chord.quality][2]
    if chord.seventh is None:
        return list(dict.fromkeys([0, *chord.intervals[1:], *chord.tension_intervals[:1]]))
    tones = [third, _SEVENTH_INTERVAL[chord.seventh]]
    if "alt" in chord.tensions:
        colors = [3, 8]
    else:
        altered_fifth = [chord.intervals[2]] if set(chord.tensions) & {"b5", "#5"} else []
        colors = altered_fifth + sorted(chord.tension_intervals, key=lambda i: (i not in (1, 2, 3), i))
    defaults = _DEFAULT_COLORS.get(chord.quality, (fifth, 0))
    if chord.quality in ("hdim", "aug"):
        defaults = (fifth, 5 if chord.quality == "hdim" else 2)
    colors = colors[:2]
    picked = list(dict.fromkeys([*tones, *colors]))
    for extra in defaults:
        clash = any(extra in g and c in g for g in _DEGREE_GROUPS for c in colors)
        if len(picked) < 4 and extra not in picked and not clash:
            picked.append(extra)
    return picked


def _rub(notes: tuple[int, ...]) -> float:
    """Penalty for a minor second between the two lowest (muddy) or the two highest (harsh) notes."""
    return 6.0 * (notes[1] - notes[0] == 1) + 3.0 * (notes[-1] - notes[-2] == 1)


@lru_cache(maxsize=4096)
def _voicing(symbol: str, low: int, high: int) -> tuple[int, ...]:
    chord = to_chord(symbol)
    if chord.root is None:
        return ()
    pcs = sorted({(chord.root + i) % 12 for i in _voicing_intervals(chord)})
    center = (low + high) / 2
    best: tuple[float, tuple[int, ...]] | None = None
    for turn in range(len(pcs)):
        order = pcs[turn:] + pcs[:turn]
        shape = [order[0]]
        for pc in order[1:]:
            shape.append(shape[-1] + (pc - shape[-1]) % 12)
        for octave in range(-1, 11):
            notes = tuple(n + 12 * octave for n in shape)
            if notes[0] >= low and notes[-1] <= high:
                score = (abs(sum(notes) / len(notes) - center) + _rub(notes), notes)
                best = score if best is None or score < best else best
    if best is None:
        raise ValueError(f"no voicing of {symbol!r} fits between MIDI {low} and {high}")
    return best[1]


def voicing(symbol: str, low: int = 48, high: int = 72) -> list[int]:
    """A close comping voicing (3-5 MIDI notes, ascending, within ``low``..``high``): rootless (3rd, 7th and
    colours such as 9 and 13) for seventh and sixth chords, a root-position triad shell otherwise; the slash
    bass is left to the bass player. N.C. gives []. Needs a range of at least an octave."""
    if high - low < 11:
        raise ValueError(f"voicing range {low}..{high} is narrower than an octave")
    return list(_voicing(symbol, low, high))


_M21_KINDS = {
    ("maj", None): "major", ("maj", "6"): "major-sixth", ("maj", "maj7"): "major-seventh",
    ("dom", "7"): "dominant-seventh", ("min", None): "minor", ("min", "6"): "minor-sixth",
    ("min", "7"): "minor-seventh", ("min", "maj7"): "minor-major-seventh",
    ("hdim", "7"): "half-diminished-seventh", ("dim", None): "diminished", ("dim", "dim7"): "diminished-seventh",
    ("aug", None): "augmented", ("aug", "7"): "augmented-seventh", ("aug", "maj7"): "augmented-major-seventh",
    ("sus", None): "suspended-fourth", ("sus", "7"): "suspended-fourth-seventh",
    ("sus", "maj7"): "suspended-fourth", ("sus2", None): "suspended-second", ("sus2", "7"): "suspended-second",
}  # fmt: skip


def _m21_name(pc: int) -> str:
    return pitch_name(pc).replace("b", "-")


def _m21_steps(chord: Chord) -> list[tuple[str, int, int | None]]:
    """music21 chord-step modifications (type, degree, alteration) for sevenths and tensions outside its kind."""
    steps: list[tuple[str, int, int | None]] = []
    if chord.quality == "sus" and chord.seventh == "maj7":
        steps.append(("add", 7, 0))
    if chord.quality == "sus2" and chord.seventh == "7":
        steps.append(("add", 7, -1))
    for name in chord.tensions:
        if name == "alt":
            steps += [("subtract", 5, None), ("add", 9, -1), ("add", 9, 1), ("add", 11, 1), ("add", 13, -1)]
        elif name in ("b5", "#5"):
            steps.append(("alter", 5, -1 if name == "b5" else 1))
        else:
            steps.append(("add", int(name.lstrip("b#")), {"b": -1, "#": 1}.get(name[0], 0)))
    return steps


def music21_symbol(symbol: str) -> ChordSymbol:
    """A fresh music21 ChordSymbol (kind, root, bass and step modifications) for writing lead sheets;
    N.C. gives a music21 ``NoChord``."""
    from music21 import harmony

    chord = to_chord(symbol)
    if chord.root is None:
        return harmony.NoChord()
    bass = None if chord.bass is None else _m21_name(chord.bass)
    kind = _M21_KINDS[(chord.quality, chord.seventh)]
    result = harmony.ChordSymbol(root=_m21_name(chord.root), bass=bass, kind=kind)
    for kind_of_step, degree, alteration in _m21_steps(chord):
        result.addChordStepModification(harmony.ChordStepModification(kind_of_step, degree, alteration))
    return result
