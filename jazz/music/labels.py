"""What a corpus may say about a solo besides its notes: its style, its rhythm feel, the instrument.

Each kind of label has a fixed vocabulary (the Weimar Jazz Database's, in the spellings a user types); a
value outside it, or none, is "unknown". Labels reach the solos from a CSV file
(jazz.midi.labels).
"""

from __future__ import annotations

UNKNOWN = "unknown"
FEELS = ("swing", "two-beat", "latin", "funk", "ballad")
STYLES = ("traditional", "swing", "bebop", "cool", "hardbop", "postbop", "fusion", "free")
INSTRUMENTS = ("ts", "as", "ss", "bs", "tp", "tb", "cl", "vib", "p", "g")
INSTRUMENT_NAMES = {"ts": "tenor sax", "as": "alto sax", "ss": "soprano sax", "bs": "baritone sax", "tp": "trumpet",
                    "tb": "trombone", "cl": "clarinet", "vib": "vibraphone", "p": "piano", "g": "guitar"}
VOCABULARIES = {"feel": FEELS, "style": STYLES, "instrument": INSTRUMENTS}
LABEL_KINDS = tuple(VOCABULARIES)  # the order of the model's label codes
SAME_AS = {"twobeat": "two-beat", "2-beat": "two-beat", "hard-bop": "hardbop", "post-bop": "postbop",
           "trad": "traditional", "cor": "tp", "bcl": "cl", "ts-c": "ts", "tenor": "ts", "alto": "as",
           "soprano": "ss", "baritone": "bs", "trumpet": "tp", "cornet": "tp", "trombone": "tb",
           "clarinet": "cl", "vibraphone": "vib", "vibes": "vib", "piano": "p", "guitar": "g"}
SAME_AS |= {f"{name.replace(' ', '-')}{ending}": short for short, name in INSTRUMENT_NAMES.items()
            for ending in ("", "ophone") if ending == "" or name.endswith("sax")}  # "tenor sax", "alto saxophone"
# General MIDI programs (from 0) of the instruments (a cornet plays as a trumpet, a bass clarinet as a clarinet and
# a C-melody sax as a tenor: GM has none of them; the guitar is the electric jazz guitar), and the nearest
# instrument of other programs
PROGRAMS = {"p": 0, "vib": 11, "g": 26, "tp": 56, "tb": 57, "ss": 64, "as": 65, "ts": 66, "bs": 67, "cl": 71}
PROGRAM_RANGES = ((range(0, 8), "p"), (range(8, 16), "vib"), (range(24, 32), "g"), (range(56, 64), "tp"),
                  (range(57, 58), "tb"), (range(64, 65), "ss"), (range(65, 66), "as"), (range(66, 67), "ts"),
                  (range(67, 68), "bs"), (range(68, 80), "cl"))


def normalize(kind: str, value: str | None) -> str:
    """A label as the vocabulary spells it: "POSTBOP" → "postbop", "LATIN/FUNK" → "latin", "cor" → "tp";
    anything outside the vocabulary is "unknown"."""
    text = (value or "").strip().lower().replace("_", "-").replace(" ", "-")
    text = text.split("/")[0]
    text = SAME_AS.get(text, text)
    return text if text in VOCABULARIES[kind] else UNKNOWN


def code(kind: str, value: str | None) -> int:
    """A label's code for the model: 0 for unknown, else 1 + its place in the vocabulary."""
    label = normalize(kind, value)
    return 0 if label == UNKNOWN else 1 + VOCABULARIES[kind].index(label)


def codes(labels: dict[str, str]) -> tuple[int, ...]:
    """A solo's labels as one code per kind, in ``LABEL_KINDS`` order."""
    return tuple(code(kind, labels.get(kind)) for kind in LABEL_KINDS)


def checked(kind: str, value: str | None, extra: tuple[str, ...] = ()) -> str | None:
    """A label the user typed, normalized (None for none or "unknown"); ValueError with one sentence listing
    the known values (and the command's own ``extra`` ones) if it is not one of them."""
    if value is None or value.strip().lower() == UNKNOWN:
        return None
    label = normalize(kind, value)
    if label == UNKNOWN:
        known = ", ".join([*VOCABULARIES[kind], *extra])
        raise ValueError(f"--{kind} {value!r} is not one the model knows (choose from {known})")
    return label


def program_of(instrument: str | None) -> int | None:
    """The General MIDI program (from 0) an instrument label plays as ("cor" → trumpet's 56); None if unknown."""
    return PROGRAMS.get(normalize("instrument", instrument))


def instrument_of_program(program: int) -> str:
    """The instrument a General MIDI program (from 0) stands for, or "unknown"."""
    for programs, instrument in PROGRAM_RANGES[::-1]:
        if program in programs:
            return instrument
    return UNKNOWN
