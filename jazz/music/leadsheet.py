"""Solo + chord symbols → a MusicXML lead sheet through music21, for notation programs."""

from __future__ import annotations

from pathlib import Path

from jazz.files import atomic_path
from jazz.music.chord_parse import to_chord
from jazz.music.chords import Chord, pitch_name
from jazz.music.notes import Solo


def lead_sheet(solo: Solo, title: str = ""):
    """A music21 Score: one part with the solo's notes and rests, meters, tempo and chord symbols."""
    from music21 import metadata, meter, note, stream, tempo

    part = stream.Part()
    grid = solo.grid
    for bar in solo.bars:
        if bar is solo.bars[0] or bar.meter != solo.bars[solo.bars.index(bar) - 1].meter:
            part.insert(bar.start / grid, meter.TimeSignature(bar.meter))
    part.insert(0, tempo.MetronomeMark(number=round(solo.tempo)))
    cursor = 0
    for n in solo.notes:
        if n.onset > cursor:
            part.insert(cursor / grid, note.Rest(quarterLength=(n.onset - cursor) / grid))
        part.insert(n.onset / grid, note.Note(n.pitch, quarterLength=n.duration / grid))
        cursor = n.end
    if cursor < solo.total_steps:
        part.insert(cursor / grid, note.Rest(quarterLength=(solo.total_steps - cursor) / grid))
    for change in solo.chords:
        part.insert(change.onset / grid, music21_symbol(change.symbol))
    score = stream.Score([part])
    score.metadata = metadata.Metadata(title=title or solo.name)
    return score


def write_lead_sheet(path: str | Path, solo: Solo, title: str = "") -> None:
    """Write the lead sheet as MusicXML, atomically."""
    score = lead_sheet(solo, title).makeNotation()
    with atomic_path(path) as tmp:
        score.write("musicxml", fp=str(tmp))


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
