"""The chord model, and how a chord is spelled as a lead-sheet symbol.

A :class:`Chord` is described by

* ``root``: pitch class 0-11 (C=0), ``None`` for no chord (N.C.);
* ``quality``: ``"maj"`` (major triad, 6 or maj7), ``"dom"`` (dominant seventh), ``"min"`` (minor triad, m6,
  m7 or m(maj7)), ``"hdim"`` (half-diminished m7b5), ``"dim"`` (diminished triad or dim7), ``"aug"``
  (augmented triad, +7 or +maj7), ``"sus"`` (suspended fourth), ``"sus2"`` (suspended second), ``"none"``;
* ``seventh``: ``None`` (triad), ``"6"``, ``"7"`` (minor seventh), ``"maj7"`` or ``"dim7"``;
* ``tensions``: names from :data:`TENSIONS`; ``"b5"``/``"#5"`` alter the fifth, ``"alt"`` stands for the
  altered dominant (b9, #9, #11, b13, no natural fifth);
* ``bass``: pitch class of a slash bass, ``None`` when the root is in the bass.

Lead-sheet symbols are the lingua franca of the package (``ChordChange.symbol``); jazz.music.chord_parse reads
them, and the Weimar Jazz Database's spellings, back into chords.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TENSIONS = ("alt", "b5", "#5", "b9", "9", "#9", "11", "#11", "b13", "13")  # canonical order
TENSION_INTERVAL = {"b5": 6, "#5": 8, "b9": 1, "9": 2, "#9": 3, "11": 5, "#11": 6, "b13": 8, "13": 9}
_ALT_INTERVALS = (1, 3, 6, 8)  # b9, #9, #11, b13
DEGREE_GROUPS = ({1, 2, 3}, {5, 6}, {8, 9})  # 9ths, 11ths, 13ths: a tension replaces its neighbours

TRIADS = {
    "maj": (0, 4, 7), "dom": (0, 4, 7), "min": (0, 3, 7), "hdim": (0, 3, 6), "dim": (0, 3, 6),
    "aug": (0, 4, 8), "sus": (0, 5, 7), "sus2": (0, 2, 7),
}  # fmt: skip
SEVENTH_INTERVAL = {"6": 9, "7": 10, "maj7": 11, "dim7": 9}
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


def note_pc(name: str) -> int:
    return (_NATURALS[name[0]] + _ACCIDENTALS[name[1:]]) % 12


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
        root, third, fifth = TRIADS[self.quality]
        if "b5" in self.tensions:
            fifth = 6
        elif "#5" in self.tensions:
            fifth = 8
        tones = [root, third] if "alt" in self.tensions else [root, third, fifth]
        if self.seventh is not None:
            tones.append(SEVENTH_INTERVAL[self.seventh])
        return tuple(tones)

    @property
    def tension_intervals(self) -> tuple[int, ...]:
        """Intervals above the root of the tensions (the fifth alterations excluded: they are chord tones)."""
        out: list[int] = []
        for name in self.tensions:
            if name == "alt":
                out.extend(_ALT_INTERVALS)
            elif name not in ("b5", "#5"):
                out.append(TENSION_INTERVAL[name])
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
