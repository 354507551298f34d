"""Parts for transposing instruments: a solo at concert pitch → the pitches, chords and key its player reads.

A B♭ instrument reads a major second above concert pitch, an E♭ one a major sixth, an F one a fifth; the
tenor saxophone reads a major ninth above (an octave more than the trumpet), the baritone a major thirteenth.
"""

from __future__ import annotations

from dataclasses import replace

from jazz.files import UsageError
from jazz.music.chord_parse import spelled_symbol, to_chord, written_names
from jazz.music.notes import ChordChange, Solo

TRANSPOSITIONS = ("concert", "Bb", "Eb", "F")
TENOR_SAX, BARITONE_SAX = 66, 67  # General MIDI programs, from 0
# (transposition, program or None for any other) → the interval from concert pitch up to the written part
_INTERVALS = {
    ("concert", None): "P1", ("Bb", None): "M2", ("Bb", TENOR_SAX): "M9", ("Eb", None): "M6",
    ("Eb", BARITONE_SAX): "M13", ("F", None): "P5",
}  # fmt: skip
_ODD = {"C-", "F-", "E#", "B#"}


def written_interval(transpose: str, program: int) -> str:
    """The music21 interval name from concert pitch up to the written part ('M9' for a B♭ tenor saxophone)."""
    if transpose not in TRANSPOSITIONS:
        raise UsageError(f"--transpose {transpose!r} is not one of {', '.join(TRANSPOSITIONS)}")
    return _INTERVALS.get((transpose, program), _INTERVALS[(transpose, None)])


def _move_name(name: str, interval: str) -> str:
    """A note name ('Gb', 'C#') moved up by a music21 interval, respelled where that gives a double
    accidental or C♭, F♭, E♯, B♯ ('B' up a major second is 'C#')."""
    from music21 import pitch

    moved = pitch.Pitch(name[0] + name[1:].replace("b", "-")).transpose(interval)
    if (moved.accidental is not None and abs(moved.accidental.alter) > 1) or moved.name in _ODD:
        moved = moved.getEnharmonic()
        if moved.accidental is not None and abs(moved.accidental.alter) > 1:
            moved = moved.simplifyEnharmonic()
    return moved.name.replace("-", "b")


def move_symbol(symbol: str, interval: str) -> str:
    """A chord symbol moved up by a music21 interval, its root and bass spelled by the interval."""
    chord = to_chord(symbol)
    if chord.root is None:
        return symbol
    root, bass = written_names(symbol)
    semitones = _semitones(interval)
    moved = spelled_symbol(chord.transpose(semitones).symbol)
    new_root = _move_name(root or "", interval)
    body = moved[len(written_names(moved)[0] or "") :]
    if bass is not None:
        body = body.rsplit("/", 1)[0] + "/" + _move_name(bass, interval)
    return new_root + body


def move_key(key: str, interval: str) -> str:
    """A MIDI key name moved up by a music21 interval ('F' up 'M9' is 'G'), with at most six sharps or flats."""
    from music21 import key as m21key

    minor = key.endswith("m")
    tonic = _move_name(key[:-1] if minor else key, interval)
    spelled = tonic[0] + tonic[1:].replace("b", "-")
    moved = m21key.Key(spelled.lower() if minor else spelled)
    if abs(moved.sharps) > 6:
        tonic = _move_name(tonic, "d2")  # the enharmonic key: C# major is Db major
    return tonic + ("m" if minor else "")


def _semitones(interval: str) -> int:
    from music21 import interval as m21interval

    return m21interval.Interval(interval).semitones


def written_part(solo: Solo, transpose: str, program: int) -> Solo:
    """The solo as the player of a ``transpose`` instrument reads it: notes, chord symbols and key moved."""
    interval = written_interval(transpose, program)
    if interval == "P1":
        return solo
    semitones = _semitones(interval)
    notes = [n._replace(pitch=n.pitch + semitones) for n in solo.notes]
    chords = [ChordChange(c.onset, move_symbol(c.symbol, interval)) for c in solo.chords]
    key = move_key(solo.key, interval) if solo.key else None
    return replace(solo, notes=notes, chords=chords, key=key)
