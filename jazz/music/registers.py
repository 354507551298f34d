"""Where a solo sits: the centre pitch a model with a register path plays around (``jazz generate --register``).

A register is given as a MIDI note number ("63") or a note name with its octave ("Eb4", with C4 = 60). Without one, the
solo's General MIDI program picks it: ``PROGRAM_CENTRES`` holds, for the instruments of the Weimar Jazz
Database, the median over its 410 solos of each solo's median sounding pitch, measured on the import
(``jazz import-weimar``) in issue 5. Other programs fall back to the centre of the model's training solos.
"""

from __future__ import annotations

import re

from jazz.files import UsageError
from jazz.music.notes import HIGHEST_PITCH, LOWEST_PITCH

PROGRAM_CENTRES = {
    66: 63,  # tenor sax (141 solos)
    56: 70,  # trumpet, and cornet (106)
    65: 67,  # alto sax (70)
    57: 61,  # trombone (25)
    64: 72,  # soprano sax (22)
    71: 75,  # clarinet (15)
    11: 72,  # vibraphone (12)
    67: 55,  # baritone sax (9)
    0: 65,  # piano, right hand (5)
    26: 63,  # jazz guitar (5)
}  # fmt: skip


NOTE_NAME = re.compile(r"^([A-Ga-g])([#b\u266f\u266d]*)(-?\d+)?$")  # letter, sharps or flats, octave


def parse_register(text: str) -> int:
    """A MIDI note number from "63" or a note name with its octave: "Eb4", "C#5", "bb3" (C4 = 60)."""
    text = text.strip()
    if text.lstrip("-").isdigit():
        pitch = int(text)
    else:
        match = NOTE_NAME.match(text)
        if not match:
            raise UsageError(f"--register {text!r} is not a MIDI note number or a note name like Eb4")
        letter, accidentals, octave = match.groups()
        if octave is None:
            raise UsageError(f"--register {text!r} needs an octave, e.g. {text}4")
        from music21 import pitch as m21pitch

        spelled = accidentals.replace("b", "-").replace("\u266d", "-").replace("\u266f", "#")  # music21's spelling
        named = m21pitch.Pitch(letter.upper() + spelled)
        named.octave = int(octave)
        pitch = int(named.midi)
    if not LOWEST_PITCH <= pitch <= HIGHEST_PITCH:
        raise UsageError(f"--register {text!r} is outside the piano's range ({LOWEST_PITCH}-{HIGHEST_PITCH})")
    return pitch


def default_centre(program: int, config: dict) -> int | None:
    """The register for a solo played by ``program``: the table's, else the model's training centre."""
    return PROGRAM_CENTRES.get(program, config.get("default_register"))
