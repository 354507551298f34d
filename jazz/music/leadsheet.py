"""Solo + chord symbols → a MusicXML lead sheet through music21, for notation programs."""

from __future__ import annotations

from pathlib import Path

from jazz.music.chords import music21_symbol
from jazz.files import atomic_path
from jazz.music.notes import Solo


def lead_sheet(solo: Solo, title: str = ""):
    """A music21 Score: one part with the solo's notes and rests, meters, tempo and chord symbols."""
    from music21 import meter, metadata, note, stream, tempo

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
