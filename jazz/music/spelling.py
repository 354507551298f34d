"""How a lead sheet spells each note: by the sounding chord, then the key, then the direction of the line.

* A chord tone or named tension is spelled as the chord spells it from its written root (F# in D7, A# in
  F#7, Ab in D7(b9)... but Eb as the b9 of D7 written with a flat);
* a note of the key's scale is spelled as the key spells it;
* any other black key is a chromatic passing tone: sharp when the line rises to the next note, flat when it falls;
* C♭, F♭, E♯ and B♯ are written only where the key signature holds them.
"""

from __future__ import annotations

from functools import lru_cache

from jazz.music.chord_parse import to_chord, written_names

# Interval names (music21's) of each chord degree above the root.
_THIRDS = {"maj": "M3", "dom": "M3", "min": "m3", "hdim": "m3", "dim": "m3", "aug": "M3", "sus": "P4", "sus2": "M2"}
_FIFTHS = {"hdim": "d5", "dim": "d5", "aug": "A5"}
_SEVENTHS = {"6": "M6", "7": "m7", "maj7": "M7", "dim7": "d7"}
_TENSIONS = {"b5": "d5", "#5": "A5", "b9": "m9", "9": "M9", "#9": "A9", "11": "P11", "#11": "A11", "b13": "m13",
             "13": "M13", "alt": ("m9", "A9", "A11", "m13")}  # fmt: skip
_ODD = {"C-", "F-", "E#", "B#"}  # music21 names written only where the key holds them
_SHARP_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_FLAT_NAMES = ("C", "D-", "D", "E-", "E", "F", "G-", "G", "A-", "A", "B-", "B")


def m21_name(name: str) -> str:
    """A lead-sheet note name ('Bb', 'F#') in music21's spelling ('B-', 'F#')."""
    return name[0] + name[1:].replace("b", "-")


@lru_cache(maxsize=1024)
def chord_names(symbol: str) -> dict[int, str]:
    """Pitch class → music21 name of each tone of the chord (root, third, fifth, seventh, tensions) spelled from
    its written root; tones that would need a double accidental are left out."""
    from music21 import pitch

    chord = to_chord(symbol)
    if chord.root is None:
        return {}
    root, _ = written_names(symbol)
    base = pitch.Pitch(m21_name(root or ""))
    intervals = ["P1", _THIRDS[chord.quality]]
    if "alt" not in chord.tensions:
        intervals.append(_FIFTHS.get(chord.quality, "P5"))
    if chord.seventh:
        intervals.append(_SEVENTHS[chord.seventh])
    for name in chord.tensions:
        found = _TENSIONS[name]
        intervals += [found] if isinstance(found, str) else list(found)
    names: dict[int, str] = {}
    for interval in intervals:
        tone = base.transpose(interval)
        if tone.accidental is None or abs(tone.accidental.alter) <= 1:
            names.setdefault(tone.pitchClass, tone.name)
    return names


@lru_cache(maxsize=64)
def key_names(key: str | None) -> tuple[dict[int, str], bool]:
    """Pitch class → music21 name of the notes of a key's scale ('F', 'Bbm', MIDI key spelling), and whether the
    key signature has sharps; C major for None."""
    from music21 import key as m21key

    if not key:
        return {pc: name for pc, name in enumerate(_SHARP_NAMES) if "#" not in name}, False
    minor = key.endswith("m")
    tonic = m21_name(key[:-1] if minor else key)
    scale = m21key.Key(tonic.lower() if minor else tonic)
    return {p.pitchClass: p.name for p in scale.getScale().pitches}, scale.sharps > 0


def spell(pitch_number: int, chord: dict[int, str], key: str | None, direction: int) -> str:
    """The music21 name for a MIDI pitch: as the chord spells it, else the key, else by ``direction`` (1 rising,
    -1 falling, 0 unknown: the key's side)."""
    pc = pitch_number % 12
    scale, sharp_key = key_names(key)
    odd_allowed = {name for name in scale.values() if name in _ODD}
    named = chord.get(pc)
    if named is not None and (named not in _ODD or named in odd_allowed):
        return named
    if pc in scale:
        return scale[pc]
    if _SHARP_NAMES[pc] == _FLAT_NAMES[pc]:
        return _SHARP_NAMES[pc]
    rising = direction > 0 or (direction == 0 and sharp_key)
    return _SHARP_NAMES[pc] if rising else _FLAT_NAMES[pc]


def spelled_pitch(pitch_number: int, name: str):
    """A music21 Pitch of ``pitch_number`` spelled ``name`` (the octave follows the spelling: B#3 is C4)."""
    from music21 import pitch

    spelled = pitch.Pitch(name)
    spelled.octave = 4
    spelled.octave += (pitch_number - spelled.midi) // 12
    return spelled

