"""What generation over a real solo is told about it, and scoring is told the same: no input sees ahead.

The register input is the centre a user would give for the solo's instrument (jazz.music.registers), never the
median of the solo's own notes, which includes notes not yet played: scored that way, a model would be told where
the solo goes before it gets there. Generation over a real solo plays at its tempo (the median of its tempo map,
as a user gives --tempo) with its style, feel and instrument where the corpus labels them (``given_context``).
"""

from __future__ import annotations

import numpy as np

from jazz.model.context import performance_context
from jazz.music.labels import program_of
from jazz.music.notes import Solo
from jazz.music.registers import default_centre


def solo_program(solo: Solo) -> int | None:
    """The General MIDI program of the solo's ``instrument`` label: a number, or a Weimar code such as "ts"."""
    name = (solo.labels.get("instrument") or "").strip()
    if name.isdigit() and 0 <= int(name) < 128:
        return int(name)
    return program_of(name)


def given_register(solo: Solo, config: dict) -> int | None:
    """The register generation and scoring are given for ``solo``: its instrument's centre where the label names
    one, else the model's default register (None: unknown)."""
    program = solo_program(solo)
    return default_centre(program, config) if program is not None else config.get("default_register")


def given_tempo(solo: Solo) -> float:
    """The tempo generation over ``solo`` is given: the median of its tempo map."""
    return float(np.median(solo.tempo_map()[1]))


def given_context(solo: Solo, performers: tuple[str, ...] = (), strength: float = 1.0) -> np.ndarray:
    """What a model with a context path hears while it plays over ``solo``: its tempo and its labels (its
    performer too, for a model that knows ``performers``, pulled ``strength`` times as far as trained)."""
    return performance_context(given_tempo(solo), solo.labels, performers, strength)
