"""Solo + chord symbols → a MusicXML lead sheet through music21, for notation programs.

The sheet is at concert pitch or as a transposing instrument reads it, in treble clef (bass clef for bass
instruments), with 8va and 8vb lines where the line leaves the staff by more than two ledger lines, the tune's
title, composer and key, a "Swing" tempo marking, and the solo's rhythm as jazz.music.notation writes it: swung
eighths as plain eighths, triplets only where three notes fill a beat, nothing finer than sixteenths.
"""

from __future__ import annotations

from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path

from jazz.files import atomic_path
from jazz.music.chord_parse import to_chord, written_names
from jazz.music.charts import parse_key
from jazz.music.chords import note_pc
from jazz.music.notation import Written, notate
from jazz.music.octave_lines import octave_spanners
from jazz.music.sheet_chords import music21_symbol
from jazz.music.spelling import chord_names, spell, spelled_pitch
from jazz.music.transposing import written_interval, written_part
from jazz.music.notes import TENOR_SAX, Solo, change_index

# General MIDI programs (from 0) written in bass clef: basses, cello, contrabass, trombone, tuba, baritone sax
# (at concert pitch it sounds an octave below the tenor) and bassoon. Everything else reads treble clef.
BASS_CLEF_PROGRAMS = frozenset(range(32, 40)) | {42, 43, 57, 58, 67, 70}
BLACK_KEYS = frozenset({1, 3, 6, 8, 10})  # pitch classes


def lead_sheet(solo: Solo, title: str = "", composer: str = "", program: int = TENOR_SAX, transpose: str = "concert"):
    """A music21 Score: one part of measures with clef, key, meters, "Swing" tempo, notes, rests and chords,
    at concert pitch or as a ``transpose`` instrument (jazz.music.transposing) reads it."""
    from music21 import metadata, stream
    from music21.stream import makeNotation

    solo = written_part(solo, transpose, program)
    key = sheet_key(solo)
    part = stream.Part()
    part.partName = "Solo"
    part.insert(0, _instrument(program, transpose))
    part.atSoundingPitch = transpose == "concert"  # a transposed part is written pitch: music21 leaves it so
    measures = _measures(solo, program, key)
    pieces = notate(solo.notes, solo.bars, solo.grid)
    placed = []
    for piece, name, following in zip(pieces, _note_names(solo, pieces, key), [*pieces[1:], None]):
        placed.append((piece, _written(piece, name, following is not None and following.tied)))
        _place(measures, piece.onset, placed[-1][1])
    for measure in measures.values():
        _beam_by_beat(measure)
        makeNotation.makeTupletBrackets(measure, inPlace=True)
        part.append(measure)
    part.makeAccidentals(inPlace=True)  # before the chord symbols, whose pitches would count as notes
    for line in octave_spanners(placed, _clef(program).lowestLine):
        part.insert(0, line)
    for change in solo.chords:
        _place(measures, Fraction(change.onset, solo.grid), music21_symbol(change.symbol))
    score = stream.Score([part])
    score.metadata = metadata.Metadata()
    score.metadata.title = title or solo.name
    if composer:
        score.metadata.composer = composer
    return score


def _beam_by_beat(measure) -> None:
    """Beam eighths and shorter within each beat (music21 beams 4/4 by half bars)."""
    signature = measure.timeSignature or measure.getContextByClass("TimeSignature")
    if signature is not None and signature.denominator == 4:
        signature.beamSequence.partition(signature.numerator)
    measure.makeBeams(inPlace=True)


def _written(piece: Written, name: str | None, tied_on: bool):
    """A music21 Rest, or Note spelled ``name`` and tied to the pieces of the same note around it."""
    from music21 import note, tie

    if piece.pitch is None or name is None:
        return note.Rest(quarterLength=piece.length)
    written = note.Note(spelled_pitch(piece.pitch, name), quarterLength=piece.length)
    if piece.tied or tied_on:
        written.tie = tie.Tie("continue" if piece.tied and tied_on else "stop" if piece.tied else "start")
    return written


def _instrument(program: int, transpose: str = "concert"):
    """A music21 instrument for the General MIDI ``program`` (for playback in notation programs), named with
    its transposition ('Tenor Saxophone in Bb') where the part is written for one, and the interval down to
    concert pitch (the MusicXML <transpose>), so that notation programs play it where it sounds."""
    from music21 import instrument, interval

    try:
        name = instrument.instrumentFromMidiProgram(program).instrumentName
    except instrument.InstrumentException:
        name = "Solo"
    solo = instrument.Instrument(name if transpose == "concert" else f"{name} in {transpose}")
    solo.midiProgram = program
    if transpose != "concert":
        solo.transposition = interval.Interval(written_interval(transpose, program)).reverse()
    return solo


def _measures(solo: Solo, program: int, key_name: str | None) -> dict:
    """An empty music21 Measure per bar, keyed by its start in quarter notes, the first with clef, key and tempo."""
    from music21 import expressions, meter, stream, tempo

    measures = {}
    key = _music21_key(key_name) if key_name else None
    for number, bar in enumerate(solo.bars, start=1):
        measure = stream.Measure(number=number)
        if number == 1:
            measure.insert(0, _clef(program))
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


def _clef(program: int):
    """The music21 clef the instrument of General MIDI ``program`` reads."""
    from music21 import clef

    return clef.BassClef() if program in BASS_CLEF_PROGRAMS else clef.TrebleClef()


def _place(measures: dict, onset: Fraction, element) -> None:
    """Insert ``element`` at ``onset`` (quarter notes from the start) into the measure that holds it."""
    start = max(start for start in measures if start <= onset)
    measures[start].insert(onset - start, element)


def _note_names(solo: Solo, pieces: list[Written], key: str | None) -> list[str | None]:
    """The music21 name of each written piece (None for rests): by the sounding chord, the key and the line's
    direction (jazz.music.spelling); a piece tied to the one before it keeps that one's name."""
    changes = sorted(solo.chords, key=lambda c: c.onset)
    onsets = [c.onset for c in changes]
    pitches = [p.pitch for p in pieces]
    names: list[str | None] = []
    for index, piece in enumerate(pieces):
        if piece.pitch is None:
            names.append(None)
            continue
        if piece.tied and index and names[index - 1] is not None and pitches[index - 1] == piece.pitch:
            names.append(names[index - 1])
            continue
        sounding = change_index(onsets, piece.onset * solo.grid)
        chord = chord_names(changes[sounding].symbol) if sounding >= 0 else {}
        names.append(spell(piece.pitch, chord, key, _direction(pitches, index)))
    return names


def _direction(pitches: list[int | None], index: int) -> int:
    """1 if the note passes by step (a whole tone at most) up to the next other pitch, else up from the last one;
    -1 if it passes down; 0 for a note between leaps."""
    here = pitches[index]
    following = next((p for p in pitches[index + 1 :] if p is not None and p != here), None)
    before = next((p for p in reversed(pitches[:index]) if p is not None and p != here), None)
    if following is not None and abs(following - here) <= 2:
        return 1 if following > here else -1
    if before is not None and abs(here - before) <= 2:
        return 1 if here > before else -1
    return 0


def sheet_key(solo: Solo) -> str | None:
    """The key the sheet is spelled in: the solo's, else the first chord's root taken as the tonic (a minor
    chord a minor key), as it often is; None without chords."""
    if solo.key:
        return solo.key
    first = next((c.symbol for c in solo.chords if not to_chord(c.symbol).is_no_chord), None)
    if first is None:
        return None
    chord = to_chord(first)
    return parse_key(written_names(first)[0] + ("m" if chord.quality in ("min", "hdim", "dim") else ""))


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
    path: str | Path, solo: Solo, title: str = "", composer: str = "", program: int = TENOR_SAX,
    transpose: str = "concert",
) -> None:
    """Write the lead sheet as MusicXML, atomically."""
    score = lead_sheet(solo, title, composer, program, transpose)
    with _no_default_composer():
        exported = _musicxml_bytes(score)
    with atomic_path(path) as tmp:
        Path(tmp).write_bytes(exported)


def _musicxml_bytes(score) -> bytes:
    """The score's MusicXML, with N.C. written as MusicXML has it: kind ``none`` without a root (music21 gives
    it a root C, which notation programs show as "CN.C.")."""
    import xml.etree.ElementTree as ET

    from music21.musicxml.m21ToXml import GeneralObjectExporter

    exporter = GeneralObjectExporter(score)
    exporter.makeNotation = False
    raw = exporter.parse()
    head, _, body = raw.partition(b"<score-partwise")
    root = ET.fromstring(b"<score-partwise" + body)
    for harmony in root.iter("harmony"):
        kind = harmony.find("kind")
        kind.set("text", kind.get("text", ""))  # music21 leaves out an empty text; readers then spell the kind
        if kind.text == "none" and harmony.find("root") is not None:
            harmony.remove(harmony.find("root"))
        if "(" in kind.get("text", "") and harmony.find("degree") is not None:
            kind.set("parentheses-degrees", "yes")
    return head + ET.tostring(root, encoding="unicode").encode()


@contextmanager
def _no_default_composer():
    """music21 names itself as the composer of a score without one; a sheet without a composer says nothing."""
    from music21 import defaults

    saved, defaults.author = defaults.author, ""
    try:
        yield
    finally:
        defaults.author = saved
