"""Chord symbols: lead-sheet and Weimar parsing, round trips, transposition, features, scales, voicings, music21."""

from __future__ import annotations

import csv
import itertools
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jazz.model.features import CHORD_FEATURES, chord_features
from jazz.music.chord_parse import (
    parse_chord,
    parse_weimar_chord,
    split_weimar_symbols,
    transpose_solo,
    transpose_symbol,
)
from jazz.music.chords import NO_CHORD, TENSIONS, Chord, ChordError, pitch_name
from jazz.music.leadsheet import music21_symbol
from jazz.music.notes import ChordChange, Note, Solo
from jazz.music.scales import chord_scale
from jazz.music.voicings import voicing

PC = {"C": 0, "C#": 1, "Db": 1, "D": 2, "Eb": 3, "E": 4, "F": 5, "F#": 6, "Gb": 6, "G": 7, "Ab": 8, "A": 9, "Bb": 10,
      "B": 11}


def pcs(*names: str) -> frozenset[int]:
    return frozenset(PC[n] for n in names)


LEAD_SHEET = [
    "C", "Cm", "C-", "Cm7", "C-7", "Cmaj7", "CM7", "CΔ", "C∆7", "C7", "C9", "C13", "C7b9", "C7#9", "C7#11",
    "C7alt", "Cm7b5", "Cø", "Cdim", "Co7", "C+", "Caug", "C6", "Cm6", "C69", "Csus4", "C7sus4", "C/E", "N.C.",
    "NC", "G7(b9)", "Cmaj7(#11)", "Cm(maj7)", "Bb", "F#", "Gb", "Db7", "Bbm7", "Ebmaj7", "Abm7b5", "F#7(b9,b13)",
    "C6/9", "Cmaj9", "Cm9", "Cm11", "C9sus4", "C13sus4", "C7#5", "C7b5", "C+7", "C+maj7", "Cadd9", "Cm(add9)",
    "Csus2", "Cmin7", "Cmi7", "Cma7", "CmM7", "C-Δ7", "Cø7", "C°7", "C13(b9)", "C7(b9,#11)", "C7(b9 #11)",
    "Bb7alt", "F#m7b5", "D/F#", "Am7/G", "Cb7", "B♭7", "F♯m7",
]  # fmt: skip

EXPECTED = {
    "C": pcs("C", "E", "G"),
    "Cm": pcs("C", "Eb", "G"),
    "C-": pcs("C", "Eb", "G"),
    "Cm7": pcs("C", "Eb", "G", "Bb"),
    "Cmaj7": pcs("C", "E", "G", "B"),
    "CΔ": pcs("C", "E", "G", "B"),
    "C7": pcs("C", "E", "G", "Bb"),
    "C9": pcs("C", "E", "G", "Bb", "D"),
    "C13": pcs("C", "E", "G", "Bb", "D", "A"),
    "C7b9": pcs("C", "E", "G", "Bb", "Db"),
    "C7#9": pcs("C", "E", "G", "Bb", "Eb"),
    "C7#11": pcs("C", "E", "G", "Bb", "F#"),
    "C7alt": pcs("C", "E", "Bb", "Db", "Eb", "F#", "Ab"),
    "Cm7b5": pcs("C", "Eb", "Gb", "Bb"),
    "Cdim": pcs("C", "Eb", "Gb"),
    "Co7": pcs("C", "Eb", "Gb", "A"),
    "C+": pcs("C", "E", "Ab"),
    "C6": pcs("C", "E", "G", "A"),
    "Cm6": pcs("C", "Eb", "G", "A"),
    "C69": pcs("C", "E", "G", "A", "D"),
    "Csus4": pcs("C", "F", "G"),
    "C7sus4": pcs("C", "F", "G", "Bb"),
    "C/E": pcs("C", "E", "G"),
    "Cm(maj7)": pcs("C", "Eb", "G", "B"),
    "C+7": pcs("C", "E", "Ab", "Bb"),
    "C7b5": pcs("C", "E", "Gb", "Bb"),
    "Db7": pcs("Db", "F", "Ab", "B"),
    "Bb": pcs("Bb", "D", "F"),
    "F#": pcs("F#", "Bb", "Db"),
    "Dm7": pcs("D", "F", "A", "C"),
    "Bø": pcs("B", "D", "F", "A"),
    "C13(b9)": pcs("C", "E", "G", "Bb", "Db", "A"),
}

CANONICAL = {
    "C-7": "Cm7", "CM7": "Cmaj7", "CΔ": "Cmaj7", "C∆7": "Cmaj7", "C7b9": "C7(b9)", "Cø": "Cm7b5",
    "F#m7b5": "F#m7b5", "Co7": "Cdim7", "Caug": "C+", "C7#5": "C+7", "C6/9": "C69", "NC": "N.C.", "Gb": "F#",
    "Bb7alt": "Bb7alt", "C/E": "C/E", "Cm(maj7)": "Cm(maj7)", "Cmaj7(#11)": "Cmaj7(#11)", "G7(b9)": "G7(b9)",
    "Dm7": "Dm7", "C13": "C13", "A#m7": "Bbm7", "Cb7": "B7", "B♭7": "Bb7", "C7(b9 #11)": "C7(b9,#11)",
}  # fmt: skip


@pytest.mark.parametrize("symbol", LEAD_SHEET)
def test_lead_sheet_symbols_parse_and_round_trip(symbol: str) -> None:
    chord = parse_chord(symbol)
    again = parse_chord(chord.symbol)
    assert again == chord
    assert again.symbol == chord.symbol


@pytest.mark.parametrize("symbol, expected", EXPECTED.items())
def test_pitch_classes(symbol: str, expected: frozenset[int]) -> None:
    assert parse_chord(symbol).pitch_classes == expected


@pytest.mark.parametrize("symbol, spelled", CANONICAL.items())
def test_canonical_spelling(symbol: str, spelled: str) -> None:
    assert parse_chord(symbol).symbol == spelled


# Spellings from fake books and chart files: symbol -> (pitch classes, the same chord as music21 spells it, or
# None where music21 has no spelling for it). Where music21 reads the symbol itself differently, MUSIC21_DIFFERS
# says why ours is the jazz musician's reading.
FAKE_BOOK = {
    "G7+": (pcs("G", "B", "Eb", "F"), "G7+"), "G+7": (pcs("G", "B", "Eb", "F"), "G+7"),
    "G7#5": (pcs("G", "B", "Eb", "F"), "G7#5"), "Gaug7": (pcs("G", "B", "Eb", "F"), "Gaug7"),
    "Cm+": (pcs("C", "Eb", "Ab"), "Cm#5"), "Cm+7": (pcs("C", "Eb", "Ab", "Bb"), "Cm7#5"),
    "D9+": (pcs("D", "F#", "Bb", "C", "E"), "D9#5"), "CM7+": (pcs("C", "E", "Ab", "B"), "C+M7"),
    "C2": (pcs("C", "D", "E", "G"), "Cadd9"), "Cadd2": (pcs("C", "D", "E", "G"), "Cadd9"),
    "Cadd9": (pcs("C", "D", "E", "G"), "Cadd9"), "Csus2": (pcs("C", "D", "G"), "Csus2"),
    "Csus24": (pcs("C", "D", "F", "G"), None), "C4": (pcs("C", "F", "G"), "Csus4"),
    "CM": (pcs("C", "E", "G"), "CM"), "Cmaj": (pcs("C", "E", "G"), "Cmaj"),
    "CM7": (pcs("C", "E", "G", "B"), "CM7"), "CMaj7": (pcs("C", "E", "G", "B"), "Cmaj7"),
    "CΔ7": (pcs("C", "E", "G", "B"), "Cmaj7"), "CΔ": (pcs("C", "E", "G", "B"), "Cmaj7"),
    "C^7": (pcs("C", "E", "G", "B"), "Cmaj7"), "CM9": (pcs("C", "E", "G", "B", "D"), "CM9"),
    "Cø7": (pcs("C", "Eb", "Gb", "Bb"), "Cø7"), "Ch": (pcs("C", "Eb", "Gb", "Bb"), "Cø7"),
    "Ch7": (pcs("C", "Eb", "Gb", "Bb"), "Cø7"), "C°7": (pcs("C", "Eb", "Gb", "A"), "Cdim7"),
    "Cº7": (pcs("C", "Eb", "Gb", "A"), "Cdim7"), "Co": (pcs("C", "Eb", "Gb"), "Co"),
    "Cdim7": (pcs("C", "Eb", "Gb", "A"), "Cdim7"), "C7b5": (pcs("C", "E", "Gb", "Bb"), "C7b5"),
    "C7(b9,#11)": (pcs("C", "E", "G", "Bb", "Db", "F#"), "C7b9#11"),
    "C7(b9 #11)": (pcs("C", "E", "G", "Bb", "Db", "F#"), "C7b9#11"),
    "C7b9#11": (pcs("C", "E", "G", "Bb", "Db", "F#"), "C7b9#11"),
    "C7♭9": (pcs("C", "E", "G", "Bb", "Db"), "C7b9"), "C7+9": (pcs("C", "E", "G", "Bb", "Eb"), "C7#9"),
    "C7/9": (pcs("C", "E", "G", "Bb", "D"), "C9"), "C7b6": (pcs("C", "E", "G", "Ab", "Bb"), "C7b13"),
    "Cmb6": (pcs("C", "Eb", "G", "Ab"), None), "C/Bb": (pcs("C", "E", "G"), "C/Bb"),
    "C7/Db": (pcs("C", "E", "G", "Bb"), "C7/Db"), "F#m7/C#": (pcs("F#", "A", "C#", "E"), "F#m7/C#"),
    "C7alt": (pcs("C", "E", "Bb", "Db", "Eb", "F#", "Ab"), None),
    "C13sus": (pcs("C", "F", "G", "Bb", "D", "A"), None), "C7sus": (pcs("C", "F", "G", "Bb"), "C7sus"),
    "C9sus4": (pcs("C", "F", "G", "Bb", "D"), None), "C7susb9": (pcs("C", "F", "G", "Bb", "Db"), "C7susb9"),
    "C-Δ": (pcs("C", "Eb", "G", "B"), "CmM7"), "CmM7": (pcs("C", "Eb", "G", "B"), "CmM7"),
    "Cm(maj7)": (pcs("C", "Eb", "G", "B"), "CmM7"), "C6/9": (pcs("C", "E", "G", "A", "D"), None),
    "Cmaj7#11": (pcs("C", "E", "G", "B", "F#"), "Cmaj7#11"), "CM7b5": (pcs("C", "E", "Gb", "B"), "Cmaj7b5"),
    "C13b9": (pcs("C", "E", "G", "Bb", "Db", "A"), None), "Cm11b5": (pcs("C", "Eb", "Gb", "Bb", "D", "F"), None),
    "C7/6": (pcs("C", "E", "G", "Bb", "A"), None), "Cadd9no3": (pcs("C", "D", "G"), "Csus2"),
    "N.C.": (frozenset(), None),
}  # fmt: skip

MUSIC21_DIFFERS = {
    "C2": "music21 reads a bare 2 as the dyad C-D; fake books (and Impro-Visor's vocabulary) mean add9",
    "C4": "music21 reads a bare 4 as the dyad C-F; in charts C4 is Csus4",
    "Cadd9no3": "music21 keeps the third that 'no3' leaves out",
    "C69": "music21 gives C D A, without the third and fifth of a sixth chord",
    "C13": "music21 stacks the 11th into a dominant 13th; jazz voicings leave it out (it clashes with the 3rd)",
}


@pytest.mark.parametrize("symbol, expected", [(s, e[0]) for s, e in FAKE_BOOK.items()])
def test_fake_book_spellings(symbol: str, expected: frozenset[int]) -> None:
    chord = parse_chord(symbol)
    assert chord.pitch_classes == expected
    assert parse_chord(chord.symbol) == chord
    assert chord.is_no_chord or chord.pitch_classes <= chord_scale(chord.symbol)


def _music21_pcs(figure: str) -> frozenset[int] | None:
    """Pitch classes of music21's own reading of a chord symbol; None where it cannot read it."""
    from music21 import harmony

    named = re.sub(r"(?<=[A-G])b", "-", figure)  # music21 spells flat roots and basses with '-'
    try:
        return frozenset(p.pitchClass for p in harmony.ChordSymbol(named).pitches)
    except Exception:  # noqa: BLE001 - music21 raises several types for unknown figures
        return None


@pytest.mark.parametrize("symbol", [s for s, e in FAKE_BOOK.items() if e[1]])
def test_fake_book_spellings_agree_with_music21(symbol: str) -> None:
    chord = parse_chord(symbol)
    sounding = chord.pitch_classes | {chord.bass_pc}  # music21 counts the slash bass among the pitches
    assert _music21_pcs(FAKE_BOOK[symbol][1]) == sounding
    if symbol not in MUSIC21_DIFFERS and _music21_pcs(symbol) is not None:
        assert _music21_pcs(symbol) == sounding  # where music21 reads our spelling, it agrees


@pytest.mark.parametrize("symbol", MUSIC21_DIFFERS)
def test_where_music21_reads_differently(symbol: str) -> None:
    assert _music21_pcs(symbol) not in (None, parse_chord(symbol).pitch_classes)


def test_chord_model_fields() -> None:
    assert parse_chord("G7(b9)") == Chord(7, "dom", "7", ("b9",))
    assert parse_chord("Bbm7b5") == Chord(10, "hdim", "7")
    assert parse_chord("Cmaj9(#11)") == Chord(0, "maj", "maj7", ("#11", "9"))
    assert parse_chord("C/E").bass == 4 and parse_chord("C/E").bass_pc == 4 and parse_chord("C").bass is None
    assert parse_chord("Cm7").chord_tones == parse_chord("Cm11").chord_tones == pcs("C", "Eb", "G", "Bb")
    assert parse_chord("C7alt").chord_tones == pcs("C", "E", "Bb")
    assert parse_chord("N.C.") == NO_CHORD == Chord(None)
    assert NO_CHORD.is_no_chord and NO_CHORD.pitch_classes == frozenset() and not parse_chord("C").is_no_chord
    # construction normalizes: altered fifths fold into the quality, a bass equal to the root is dropped
    assert Chord(0, "min", "7", ("b5",)) == parse_chord("Cm7b5")
    assert Chord(0, "dom", "7", ("#5", "b9")) == parse_chord("C+7(b9)")
    assert Chord(2, "min", "7", bass=2) == parse_chord("Dm7")
    with pytest.raises(ChordError):
        Chord(0, "hdim", None)


def test_extension_numbers_imply_natural_tensions_unless_altered() -> None:
    assert parse_chord("C13(b9)").tensions == ("b9", "13")
    assert parse_chord("C11").tensions == ("9", "11")
    assert parse_chord("C11(#11)").tensions == ("9", "#11")
    assert parse_chord("C9").pitch_classes == parse_chord("C7(9)").pitch_classes


def _all_chords():
    """Every quality/seventh with up to two tensions, on three roots, with and without a slash bass."""
    sevenths = {
        "maj": (None, "6", "maj7"), "dom": ("7",), "min": (None, "6", "7", "maj7"), "hdim": ("7",),
        "dim": (None, "dim7"), "aug": (None, "7", "maj7"), "sus": (None, "7", "maj7"), "sus2": (None, "7"),
    }  # fmt: skip
    for quality, options in sevenths.items():
        for seventh in options:
            for size in (0, 1, 2):
                for tensions in itertools.combinations(TENSIONS, size):
                    for root, bass in ((0, None), (6, 1), (10, 2)):
                        try:
                            yield Chord(root, quality, seventh, tensions, bass)
                        except ChordError:
                            continue  # e.g. alt on a non-dominant


def test_every_constructible_chord_round_trips() -> None:
    count = 0
    for chord in _all_chords():
        assert parse_chord(chord.symbol) == chord, (chord, chord.symbol)
        count += 1
    assert count > 1500


@pytest.mark.parametrize(
    "bad", ["", "H7", "Cxyz", "C7(b10)", "c7", "C7(", "C/H", "Cm7sus4", "7", "C5", "Calt7x", "Cdim(maj7)"]
)
def test_unknown_lead_sheet_symbols_raise_naming_the_symbol(bad: str) -> None:
    with pytest.raises(ChordError) as info:
        parse_chord(bad)
    assert repr(bad) in str(info.value)
    assert "\n" not in str(info.value)
    assert isinstance(info.value, ValueError)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ABCDEFGbm#-+79135()/,jMajdimsuoøΔalt6 ", max_size=10))
def test_parse_chord_never_fails_otherwise(text: str) -> None:
    try:
        chord = parse_chord(text)
    except ChordError:
        return
    assert parse_chord(chord.symbol) == chord


# -------------------------------------------------------------------------------------------- Weimar

WEIMAR = {
    "C-7": "Cm7", "Fj7": "Fmaj7", "Bb79b": "Bb7(b9)", "A79#": "A7(#9)", "Ebj7911#": "Ebmaj9(#11)",
    "F79b13b": "F7(b9,b13)", "A79b13": "A7(b9,13)", "A7913": "A13", "G-": "Gm", "Am7b5": "Am7b5", "Abo": "Abdim",
    "Ao7": "Adim7", "Ab+": "Ab+", "C+7": "C+7", "F+j7": "F+maj7", "D-j7": "Dm(maj7)", "Bb6": "Bb6", "C-6": "Cm6",
    "Ab69": "Ab69", "E6911#": "E69(#11)", "Absus": "Absus4", "Asus7": "A7sus4", "Csus7913": "C13sus4",
    "Bbsus79": "Bb9sus4", "E7alt": "E7alt", "Db-69/Ab": "Dbm69/Ab", "Db-69/Db": "Dbm69", "NC": "N.C.",
    "Cb7": "B7", "Fb-7": "Em7", "A#-7": "Bbm7", "Bj7/A#": "Bmaj7/Bb", "D79#11#": "D7(#9,#11)", "G-79b": "Gm7(b9)",
    "A-7911": "Am11", "Bb+79": "Bb+7(9)",
}  # fmt: skip


@pytest.mark.parametrize("weimar, lead_sheet", WEIMAR.items())
def test_weimar_symbols(weimar: str, lead_sheet: str) -> None:
    chord = parse_weimar_chord(weimar)
    assert chord.symbol == lead_sheet
    assert parse_chord(lead_sheet) == chord


@pytest.mark.parametrize("bad", ["", "   ", "Cmaj7", "C7b9", "Xj7", "C-7/", "Cj7x", "N.C."])
def test_unknown_weimar_symbols_raise_naming_the_symbol(bad: str) -> None:
    with pytest.raises(ChordError) as info:
        parse_weimar_chord(bad)
    assert repr(bad) in str(info.value)


def test_split_weimar_symbols() -> None:
    assert split_weimar_symbols("F7NC") == ["F7", "NC"]
    assert split_weimar_symbols("Db-69/AbDb-69/Db") == ["Db-69/Ab", "Db-69/Db"]
    assert split_weimar_symbols("EbAbEbEbo") == ["Eb", "Ab", "Eb", "Ebo"]
    assert split_weimar_symbols("Bb79b13bEbj7911#") == ["Bb79b13b", "Ebj7911#"]
    with pytest.raises(ChordError, match="x7"):
        split_weimar_symbols("x7")


def _corpus_symbols(wjazzd: Path) -> set[str]:
    symbols: set[str] = set()
    files = list((wjazzd / "csv" / "melody").glob("*.csv")) + list((wjazzd / "csv" / "beats").glob("*.csv"))
    assert files, "no CSV files in the corpus"
    for path in files:
        with path.open(newline="") as handle:
            symbols.update(row["chord"] for row in csv.DictReader(handle))
    return symbols


def test_every_weimar_symbol_in_the_corpus_parses(wjazzd: Path) -> None:
    symbols = _corpus_symbols(wjazzd)
    assert len(symbols) > 300
    failures = []
    for symbol in sorted(symbols):
        try:
            chord = parse_weimar_chord(symbol)
        except ChordError as err:
            failures.append(str(err))
            continue
        if parse_chord(chord.symbol) != chord:
            failures.append(f"{symbol} -> {chord.symbol} does not re-parse")
    assert not failures, failures


def test_every_chord_in_meta_changes_parses(wjazzd: Path) -> None:
    with (wjazzd / "meta.csv").open(newline="") as handle:
        changes = [row["chord_changes"] for row in csv.DictReader(handle)]
    bodies = [line.split(":")[-1] for text in changes for line in text.splitlines()]
    tokens = {token for body in bodies for token in body.replace("|", " ").split()}
    symbols = {s for token in tokens for s in split_weimar_symbols(token)}
    assert len(symbols) > 200
    for symbol in symbols:
        parse_weimar_chord(symbol)


# ---------------------------------------------------------------------------------------- transposing


@pytest.mark.parametrize("symbol", ["Dm7", "G7(b9)", "Cmaj7(#11)", "F#m7b5", "Bb7alt", "C/E", "N.C.", "Ebm69"])
def test_transpose_by_octave_is_identity(symbol: str) -> None:
    assert transpose_symbol(symbol, 12) == parse_chord(symbol).symbol
    assert transpose_symbol(symbol, -24) == parse_chord(symbol).symbol
    assert transpose_symbol(transpose_symbol(symbol, 5), -5) == parse_chord(symbol).symbol


@pytest.mark.parametrize("semitones", range(-6, 7))
def test_transpose_shifts_pitch_classes(semitones: int) -> None:
    for symbol in ("Dm7", "G7(b9,#11)", "C/E", "Am7b5/Eb"):
        chord = parse_chord(symbol)
        moved = parse_chord(transpose_symbol(symbol, semitones))
        assert moved.pitch_classes == {(pc + semitones) % 12 for pc in chord.pitch_classes}
        assert moved.bass_pc == (chord.bass_pc + semitones) % 12
        assert moved == chord.transpose(semitones)


def test_transpose_spelling() -> None:
    assert transpose_symbol("A7", 1) == "Bb7"
    assert transpose_symbol("F7", 1) == "F#7"
    assert transpose_symbol("C/E", 2) == "D/F#"
    assert transpose_symbol("Cm7", 3) == "Ebm7"
    assert [transpose_symbol("C", n) for n in range(12)] == [
        "C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"
    ]  # fmt: skip
    assert transpose_symbol("N.C.", 4) == "N.C."


def test_solo_transposed_moves_chords() -> None:
    solo = Solo([Note(62, 0, 12)], [], chords=[ChordChange(0, "Dm7"), ChordChange(48, "G7(b9)")])
    moved = transpose_solo(solo, -2)
    assert [c.symbol for c in moved.chords] == ["Cm7", "F7(b9)"]
    assert moved.notes[0].pitch == 60


# ------------------------------------------------------------------------------------------- features


def test_chord_features() -> None:
    vector = chord_features("G7(b9)")
    assert vector.shape == (CHORD_FEATURES,) == (37,) and vector.dtype == np.float32
    assert np.flatnonzero(vector[:12]).tolist() == [7]
    assert set(np.flatnonzero(vector[12:24]).tolist()) == {2, 5, 7, 8, 11}
    assert np.flatnonzero(vector[24:36]).tolist() == [7]  # no slash: the root is the bass
    assert vector[36] == 0.0
    slash = chord_features("C/E")
    assert np.flatnonzero(slash[:12]).tolist() == [0] and np.flatnonzero(slash[24:36]).tolist() == [4]
    for empty in (None, "N.C.", "NC"):
        flag_only = chord_features(empty)
        assert flag_only[36] == 1.0 and flag_only.sum() == 1.0
    assert chord_features("Dm7") is chord_features("Dm7")  # cached
    assert not chord_features("Dm7").flags.writeable
    assert np.array_equal(chord_features("D-7"), chord_features("Dm7"))


# -------------------------------------------------------------------------------------- scales, voicings


SCALES = {
    "G7": pcs("G", "A", "B", "C", "D", "E", "F"),  # mixolydian
    "Dm7": pcs("D", "E", "F", "G", "A", "B", "C"),  # dorian
    "Bm7b5": pcs("B", "C", "D", "E", "F", "G", "A"),  # locrian
    "Cmaj7": pcs("C", "D", "E", "F", "G", "A", "B"),  # ionian
    "Cmaj7(#11)": pcs("C", "D", "E", "F#", "G", "A", "B"),  # lydian
    "G7alt": pcs("G", "Ab", "Bb", "B", "Db", "Eb", "F"),  # altered
    "C7(#11)": pcs("C", "D", "E", "F#", "G", "A", "Bb"),  # lydian dominant
    "G7(b9,b13)": pcs("G", "Ab", "B", "C", "D", "Eb", "F"),  # phrygian dominant
    "C7(b9,13)": pcs("C", "Db", "Eb", "E", "F#", "G", "A", "Bb"),  # half-whole diminished
    "Cdim7": pcs("C", "D", "Eb", "F", "Gb", "Ab", "A", "B"),  # whole-half diminished
    "C+7": pcs("C", "D", "E", "F#", "Ab", "Bb"),  # whole tone
    "Cm(maj7)": pcs("C", "D", "Eb", "F", "G", "A", "B"),  # melodic minor
}


@pytest.mark.parametrize("symbol, expected", SCALES.items())
def test_chord_scale(symbol: str, expected: frozenset[int]) -> None:
    assert chord_scale(symbol) == expected


@pytest.mark.parametrize("symbol", LEAD_SHEET)
def test_chord_scale_holds_the_chord(symbol: str) -> None:
    chord = parse_chord(symbol)
    scale = chord_scale(symbol)
    assert chord.pitch_classes <= scale
    assert chord.is_no_chord or 6 <= len(scale) <= 9


@pytest.mark.parametrize("symbol", [s for s in LEAD_SHEET if s not in ("N.C.", "NC")])
def test_voicing(symbol: str) -> None:
    notes = voicing(symbol)
    chord = parse_chord(symbol)
    assert 3 <= len(notes) <= 5
    assert notes == sorted(set(notes))
    assert all(48 <= n <= 72 for n in notes)
    assert {n % 12 for n in notes} <= chord.pitch_classes | chord_scale(symbol)
    if chord.seventh is not None:  # guide tones: the 3rd (or 4th) and the 7th or 6th
        third, seventh = (chord.root + chord.intervals[1]) % 12, (chord.root + chord.intervals[-1]) % 12
        assert {third, seventh} <= {n % 12 for n in notes}


def test_voicing_range_and_no_chord() -> None:
    assert voicing("N.C.") == []
    high = voicing("G7(b9)", low=60, high=84)
    assert all(60 <= n <= 84 for n in high)
    assert sum(high) / len(high) > sum(voicing("G7(b9)")) / len(high)
    assert parse_chord("Dm7").root not in {n % 12 for n in voicing("Dm7")}  # rootless
    with pytest.raises(ValueError):
        voicing("C7", low=60, high=65)


# -------------------------------------------------------------------------------------------- music21


@pytest.mark.parametrize(
    "symbol",
    ["C", "Cm", "Cdim", "C+", "Csus4", "C6", "Cm6", "Cmaj7", "C7", "Cm7", "Cm7b5", "Cdim7", "C+7", "Cm(maj7)",
     "C7sus4", "Bb7", "F#m7", "Ebmaj7", "Abm7b5", "G7(b9)", "Cmaj7(#11)", "C13", "Bb7alt", "Eb69", "Csus2"],
)  # fmt: skip
def test_music21_symbol_pitches_agree(symbol: str) -> None:
    figure = music21_symbol(symbol)
    if "alt" in symbol:  # written as kind "other" with the text 7alt: music21 gives it no pitches
        assert (figure.chordKind, figure.chordKindStr) == ("other", "7alt")
        return
    eleventh = {(parse_chord(symbol).root + 5) % 12} if figure.chordKind == "dominant-13th" else set()
    assert {p.pitchClass for p in figure.pitches} - eleventh == parse_chord(symbol).pitch_classes  # MUSIC21_DIFFERS
    assert figure.root().pitchClass == parse_chord(symbol).root


def test_music21_symbol_spelling_and_slash_and_no_chord() -> None:
    assert music21_symbol("Bb7").root().name == "B-"
    slash = music21_symbol("C/E")
    assert slash.bass().name == "E" and {p.pitchClass for p in slash.pitches} == {0, 4, 7}
    assert music21_symbol("Eb").root().name == "E-"
    assert music21_symbol("N.C.").classes[0] == "NoChord"
    assert music21_symbol("Dm7") is not music21_symbol("Dm7")  # fresh objects for separate streams


def test_the_chord_estimates_names_are_lead_sheet_spellings():
    """jazz.music.harmony names its templates without the parser: every name must be the parser's own spelling."""
    from jazz.music.harmony import TEMPLATES

    for suffix, intervals in TEMPLATES.items():
        for root in range(12):
            chord = parse_chord(pitch_name(root) + suffix)
            assert chord.symbol == pitch_name(root) + suffix
            assert chord.chord_tones == {(root + i) % 12 for i in intervals}
