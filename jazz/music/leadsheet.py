"""Solo + chord symbols → a MusicXML lead sheet through music21, for notation programs.

The sheet is at concert pitch, in treble clef (bass clef for bass instruments), with the tune's title, composer
and key, a "Swing" tempo marking, and the solo's rhythm as jazz.music.notation writes it: swung eighths as plain
eighths, triplets only where three notes fill a beat, nothing finer than sixteenths.
"""

from __future__ import annotations

from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path

from jazz.files import atomic_path
from jazz.music.chord_parse import to_chord
from jazz.music.chords import Chord, note_pc, pitch_name
from jazz.music.notation import Written, notate
from jazz.music.notes import TENOR_SAX, Solo, change_index

# General MIDI programs (from 0) written in bass clef: basses, cello, contrabass, trombone, tuba, baritone sax
# (at concert pitch it sounds an octave below the tenor) and bassoon. Everything else reads treble clef.
BASS_CLEF_PROGRAMS = frozenset(range(32, 40)) | {42, 43, 57, 58, 67, 70}
BLACK_KEYS = frozenset({1, 3, 6, 8, 10})  # pitch classes


def lead_sheet(solo: Solo, title: str = "", composer: str = "", program: int = TENOR_SAX):
    """A music21 Score: one part of measures with clef, key, meters, "Swing" tempo, notes, rests and chords."""
    from music21 import metadata, stream
    from music21.stream import makeNotation

    part = stream.Part()
    part.partName = "Solo"
    part.insert(0, _instrument(program))
    measures = _measures(solo, program)
    pieces = notate(solo.notes, solo.bars, solo.grid)
    sharps = _prefers_sharps(solo)
    spelling, previous = _chord_spellings(solo), None
    for piece, following in zip(pieces, [*pieces[1:], None]):
        names = spelling(piece.onset * solo.grid)
        if piece.tied and previous is not None and previous.isNote:  # a tie keeps its note's spelling
            names = {previous.pitch.pitchClass: previous.pitch.name}
        previous = _written(piece, following is not None and following.tied, sharps, names)
        _place(measures, piece.onset, previous)
    for measure in measures.values():
        measure.makeBeams(inPlace=True)
        makeNotation.makeTupletBrackets(measure, inPlace=True)
        part.append(measure)
    part.makeAccidentals(inPlace=True)  # before the chord symbols, whose pitches would count as notes
    for change in solo.chords:
        _place(measures, Fraction(change.onset, solo.grid), music21_symbol(change.symbol))
    score = stream.Score([part])
    score.metadata = metadata.Metadata()
    score.metadata.title = title or solo.name
    if composer:
        score.metadata.composer = composer
    return score


def _instrument(program: int):
    """A concert-pitch music21 instrument for the General MIDI ``program`` (for playback in notation programs)."""
    from music21 import instrument

    try:
        name = instrument.instrumentFromMidiProgram(program).instrumentName
    except instrument.InstrumentException:
        name = "Solo"
    solo = instrument.Instrument(name)
    solo.midiProgram = program
    return solo


def _measures(solo: Solo, program: int) -> dict:
    """An empty music21 Measure per bar, keyed by its start in quarter notes, the first with clef, key and tempo."""
    from music21 import clef, expressions, meter, stream, tempo

    measures = {}
    key = _music21_key(solo.key) if solo.key else None
    for number, bar in enumerate(solo.bars, start=1):
        measure = stream.Measure(number=number)
        if number == 1:
            measure.insert(0, clef.BassClef() if program in BASS_CLEF_PROGRAMS else clef.TrebleClef())
            if key is not None:
                measure.insert(0, key)
        if number == 1 or bar.meter != solo.bars[number - 2].meter:
            measure.insert(0, meter.TimeSignature(bar.meter))
        if number == 1:
            for marking in (expressions.TextExpression("Swing"), tempo.MetronomeMark(number=round(solo.tempo))):
                marking.placement = "above"
                measure.insert(0, marking)
        measures[Fraction(bar.start, solo.grid)] = measure
    return measures


def _place(measures: dict, onset: Fraction, element) -> None:
    """Insert ``element`` at ``onset`` (quarter notes from the start) into the measure that holds it."""
    start = max(start for start in measures if start <= onset)
    measures[start].insert(onset - start, element)


def _prefers_sharps(solo: Solo) -> bool:
    """Whether to spell black keys as sharps: in sharp keys; without a key, when the first chord is the tonic
    of one (E7, Bm7), as it often is."""
    key = solo.key
    if key is None:
        first = next((to_chord(c.symbol) for c in solo.chords if not to_chord(c.symbol).is_no_chord), None)
        if first is None:
            return False
        key = pitch_name(first.root) + ("m" if first.quality in ("min", "hdim", "dim") else "")
    music21_key = _music21_key(key)
    return music21_key is not None and music21_key.sharps > 0


def _chord_spellings(solo: Solo):
    """A function from a grid step to the names of the sounding chord's black-key tones by pitch class, as the
    chord spells them (F# in D7, Ab in Bb7): a note on a chord tone reads as part of the chord."""
    changes = sorted(solo.chords, key=lambda c: c.onset)
    onsets = [c.onset for c in changes]
    names: dict[str, dict[int, str]] = {}
    for change in changes:
        if change.symbol not in names:
            tones = music21_symbol(change.symbol).pitches
            names[change.symbol] = {p.pitchClass: p.name for p in tones
                                    if p.accidental is not None and abs(p.accidental.alter) == 1
                                    and p.pitchClass in BLACK_KEYS}

    def at(step) -> dict[int, str]:
        index = change_index(onsets, step)
        return names[changes[index].symbol] if index >= 0 else {}

    return at


def _written(piece: Written, tied_on: bool, sharps: bool, chord_names: dict[int, str] | None = None):
    """A music21 Rest, or Note tied to the pieces of the same note around it; a black key is spelled as the
    sounding chord spells it (``chord_names``, by pitch class) if it is a chord tone, else with sharps or flats."""
    from music21 import note, pitch, tie

    if piece.pitch is None:
        return note.Rest(quarterLength=piece.length)
    spelled = pitch.Pitch(midi=piece.pitch)
    wanted = (chord_names or {}).get(piece.pitch % 12)
    if spelled.accidental is not None and wanted is not None:
        spelled = spelled if spelled.name == wanted else spelled.getEnharmonic()
    elif spelled.accidental is not None and (spelled.accidental.alter > 0) != sharps:
        spelled = spelled.getEnharmonic()
    written = note.Note(spelled, quarterLength=piece.length)
    if piece.tied or tied_on:
        written.tie = tie.Tie("continue" if piece.tied and tied_on else "stop" if piece.tied else "start")
    return written


def _music21_key(name: str):
    """A music21 Key from a MIDI key-signature name ('Bb', 'F#m'); None for anything else."""
    from music21 import key

    minor = name.endswith("m")
    tonic = name[:-1] if minor else name
    try:
        note_pc(tonic)
    except (KeyError, IndexError):
        return None
    spelled = tonic[0] + tonic[1:].replace("b", "-")
    return key.Key(spelled.lower() if minor else spelled)


def write_lead_sheet(
    path: str | Path, solo: Solo, title: str = "", composer: str = "", program: int = TENOR_SAX
) -> None:
    """Write the lead sheet as MusicXML, atomically."""
    score = lead_sheet(solo, title, composer, program)
    with atomic_path(path) as tmp, _no_default_composer():
        score.write("musicxml", fp=str(tmp), makeNotation=False)


@contextmanager
def _no_default_composer():
    """music21 names itself as the composer of a score without one; a sheet without a composer says nothing."""
    from music21 import defaults

    saved, defaults.author = defaults.author, ""
    try:
        yield
    finally:
        defaults.author = saved


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


def music21_symbol(symbol: str):
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
