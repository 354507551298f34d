"""What generation over a real solo is told about it, and scoring is told the same: no input sees ahead.

The register input is the centre a user would give for the solo's instrument (jazz.music.registers), never the
median of the solo's own notes, which includes notes not yet played: scored that way, a model would be told where
the solo goes before it gets there. Where the corpus labels a solo's style, feel and instrument, generation over it
passes them on (``sample_labels``) once the sampler takes them.
"""

from __future__ import annotations

import inspect

from jazz.midi.weimar import PROGRAMS
from jazz.music.notes import Solo
from jazz.music.registers import default_centre


def solo_program(solo: Solo) -> int | None:
    """The General MIDI program of the solo's ``instrument`` label: a number, or a Weimar code such as "ts"."""
    name = (solo.labels.get("instrument") or "").strip()
    if name.isdigit() and 0 <= int(name) < 128:
        return int(name)
    return PROGRAMS.get(name.lower())


def given_register(solo: Solo, config: dict) -> int | None:
    """The register generation and scoring are given for ``solo``: its instrument's centre where the label names
    one, else the model's default register (None: unknown)."""
    program = solo_program(solo)
    return default_centre(program, config) if program is not None else config.get("default_register")


def sample_labels(sample, forms: list[Solo]) -> dict:
    """The ``labels`` keyword for ``sample`` (each form's labels), or nothing while ``sample`` does not take it."""
    if "labels" not in inspect.signature(sample).parameters:
        return {}
    return {"labels": [dict(form.labels) for form in forms]}
