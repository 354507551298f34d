"""Lead-sheet chord symbols → music21 ChordSymbols that export as valid MusicXML ``<harmony>``.

Each symbol gets a ``kind`` from the MusicXML kind list (the chord up to its seventh), ``<degree>`` elements for
what the kind leaves out (tensions, altered fifths, a suspension), and ``text=`` carrying the symbol as written.
The root and bass keep the writer's spelling (``C#m7`` stays C#, ``Gbmaj7`` stays Gb).

Two symbols go through kinds meant for them: N.C. is ``none`` (without a root), and an altered dominant is
``other`` with the text ``7alt``, since notation programs spell a dominant's degrees out (MuseScore 3 shows
``7no5b9#9#11b13``) where the player expects ``7alt``.
"""

from __future__ import annotations

from jazz.music.chord_parse import to_chord, written_names
from jazz.music.chords import Chord, pitch_name

# MusicXML's own kind values (the standard list), for checking what is written.
MUSICXML_KINDS = frozenset(
    "major minor augmented diminished dominant major-seventh minor-seventh diminished-seventh augmented-seventh "
    "half-diminished major-minor major-sixth minor-sixth dominant-ninth major-ninth minor-ninth dominant-11th "
    "major-11th minor-11th dominant-13th major-13th minor-13th suspended-second suspended-fourth Neapolitan "
    "Italian French German pedal power Tristan other none".split()
)

# (quality, seventh) → music21 kind (each exports as a MusicXML kind) and the degrees the kind lacks
_KINDS: dict[tuple[str, str | None], tuple[str, tuple[tuple[str, int, int | None], ...]]] = {
    ("maj", None): ("major", ()), ("maj", "6"): ("major-sixth", ()), ("maj", "maj7"): ("major-seventh", ()),
    ("dom", "7"): ("dominant-seventh", ()), ("min", None): ("minor", ()), ("min", "6"): ("minor-sixth", ()),
    ("min", "7"): ("minor-seventh", ()), ("min", "maj7"): ("minor-major-seventh", ()),
    ("hdim", "7"): ("half-diminished-seventh", ()), ("dim", None): ("diminished", ()),
    ("dim", "dim7"): ("diminished-seventh", ()), ("aug", None): ("augmented", ()),
    ("aug", "7"): ("augmented-seventh", ()), ("aug", "maj7"): ("major-seventh", (("alter", 5, 1),)),
    ("sus", None): ("suspended-fourth", ()),
    ("sus", "7"): ("dominant-seventh", (("subtract", 3, None), ("add", 4, 0))),
    ("sus", "maj7"): ("major-seventh", (("subtract", 3, None), ("add", 4, 0))),
    ("sus2", None): ("suspended-second", ()),
    ("sus2", "7"): ("dominant-seventh", (("subtract", 3, None), ("add", 2, 0))),
}  # fmt: skip


def _m21_name(name: str) -> str:
    return name[0] + name[1:].replace("b", "-")


# seventh kinds that stack a natural 9th (and 11th or 13th) into one kind, as C9, Cm11, Cmaj13 are written
_STACKED = {"dominant-seventh": "dominant", "minor-seventh": "minor", "major-seventh": "major"}
_STACK_NAMES = {"dominant": ("dominant-ninth", "dominant-11th", "dominant-13th"),
                "minor": ("minor-ninth", "minor-11th", "minor-13th"),
                "major": ("major-ninth", "major-11th", "major-13th")}  # fmt: skip


def _stacked(kind: str, tensions: list[str]) -> tuple[str, list[str]]:
    """A seventh kind with a natural 9th as its ninth, 11th or 13th kind, and the tensions left over."""
    family = _STACKED.get(kind)
    if family is None or "9" not in tensions:
        return kind, tensions
    ninth, eleventh, thirteenth = _STACK_NAMES[family]
    if "13" in tensions:
        return thirteenth, [t for t in tensions if t not in ("9", "13")]
    if "11" in tensions:
        return eleventh, [t for t in tensions if t not in ("9", "11")]
    return ninth, [t for t in tensions if t != "9"]


def kind_and_degrees(chord: Chord) -> tuple[str, list[tuple[str, int, int | None]]]:
    """The music21 kind and chord-step modifications (type, degree, alteration) of a chord (not N.C.)."""
    if "alt" in chord.tensions:
        return "other", []
    kind, steps = _KINDS[(chord.quality, chord.seventh)]
    degrees = list(steps)
    kind, tensions = _stacked(kind, list(chord.tensions)) if not steps else (kind, list(chord.tensions))
    for name in tensions:
        if name in ("b5", "#5"):
            degrees.append(("alter", 5, -1 if name == "b5" else 1))
        else:
            degrees.append(("add", int(name.lstrip("b#")), {"b": -1, "#": 1}.get(name[0], 0)))
    return kind, degrees


def written_text(symbol: str) -> str:
    """What follows the root and comes before the bass: ``7sus4`` of ``C7sus4``, ``N.C.`` for no chord."""
    chord = to_chord(symbol)
    if chord.root is None:
        return "N.C."
    canonical = chord.symbol
    if chord.bass is not None:
        canonical = canonical.rsplit("/", 1)[0]
    return canonical[len(pitch_name(chord.root)) :]


def music21_symbol(symbol: str):
    """A fresh music21 ChordSymbol (kind, root and bass as written, degrees, text) for writing lead sheets;
    N.C. gives a music21 ``NoChord`` (its root is taken off when the MusicXML is written)."""
    from music21 import harmony

    chord = to_chord(symbol)
    if chord.root is None:
        return harmony.NoChord(kindStr="N.C.")
    root, bass = written_names(symbol)
    kind, degrees = kind_and_degrees(chord)
    result = harmony.ChordSymbol(root=_m21_name(root), bass=_m21_name(bass) if bass else None, kind=kind)
    for kind_of_step, degree, alteration in degrees:
        result.addChordStepModification(harmony.ChordStepModification(kind_of_step, degree, alteration))
    result.chordKindStr = written_text(symbol)
    return result
