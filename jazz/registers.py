"""Where a solo sits: the centre pitch a model with a register path plays around (``jazz generate --register``).

A register is given as a MIDI note number ("63") or a note name ("Eb4", with C4 = 60). Without one, the
solo's General MIDI program picks it: ``PROGRAM_CENTRES`` holds, for the instruments of the Weimar Jazz
Database, the median over its 410 solos of each solo's median sounding pitch, measured on the import
(``jazz import-weimar``) in issue 5. Other programs fall back to the centre of the model's training solos.
"""

from __future__ import annotations

from jazz.files import UsageError
from jazz.midi_read import HIGHEST_PITCH, LOWEST_PITCH

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


def parse_register(text: str) -> int:
    """A MIDI note number from "63" or a note name such as "Eb4" (music21 spelling, C4 = 60)."""
    text = text.strip()
    if text.lstrip("-").isdigit():
        pitch = int(text)
    else:
        from music21 import pitch as m21pitch
        from music21.exceptions21 import Music21Exception

        try:
            parsed = m21pitch.Pitch(text.replace("b", "-") if len(text) > 1 and text[1] == "b" else text)
        except (Music21Exception, ValueError):
            raise UsageError(f"--register {text!r} is not a MIDI note number or a note name like Eb4") from None
        if parsed.octave is None:
            raise UsageError(f"--register {text!r} needs an octave, e.g. {text}4")
        pitch = int(parsed.midi)
    if not LOWEST_PITCH <= pitch <= HIGHEST_PITCH:
        raise UsageError(f"--register {text!r} is outside the piano's range ({LOWEST_PITCH}-{HIGHEST_PITCH})")
    return pitch


def default_centre(program: int, config: dict) -> int | None:
    """The register for a solo played by ``program``: the table's, else the model's training centre."""
    return PROGRAM_CENTRES.get(program, config.get("default_register"))
