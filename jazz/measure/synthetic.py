"""Solos made up on the spot, for benchmarks on a machine without a corpus.

Each is a random walk over the changes of a built-in tune: steps and small leaps, eighths, triplets and
longer notes, a rest now and then, tied to the tune's chords and tempo. Not music, but MIDI files with the
shape of a solo (density, range, chord markers), which is what parsing, training and sampling times depend on.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from jazz.midi.write import write_midi
from jazz.music.form import chord_form
from jazz.music.notes import DEFAULT_GRID, Note, Solo
from jazz.music.tunes import TUNES

STEPS = (-5, -4, -3, -2, -1, 1, 2, 3, 4, 5, 7, -7)  # semitones from one note to the next
STEP_WEIGHTS = (1, 2, 3, 6, 6, 6, 6, 3, 2, 1, 1, 1)
LENGTHS = (2, 3, 4, 6, 12)  # in quarter-note twelfths: sixteenth, eighth triplet, ..., quarter
LENGTH_WEIGHTS = (1, 4, 4, 8, 3)
REST_CHANCE = 0.08
RANGE = (52, 84)
SYNTHETIC_SOLOS = 60  # what the benchmarks write when there is no corpus


def random_walk_solo(tune_name: str, choruses: int, rng: np.random.Generator, grid: int = DEFAULT_GRID) -> Solo:
    """A random-walk solo over ``choruses`` times through a built-in tune's form."""
    tune = TUNES[tune_name]
    form = chord_form(tune.changes, tune.meter, choruses, grid)
    end = form.bars[-1].start + form.bars[-1].length(grid)
    steps = np.array(STEP_WEIGHTS, float) / sum(STEP_WEIGHTS)
    lengths = np.array(LENGTH_WEIGHTS, float) / sum(LENGTH_WEIGHTS)
    notes, onset, pitch = [], 0, int(rng.integers(*RANGE))
    while True:
        length = int(rng.choice(LENGTHS, p=lengths)) * grid // 12
        if onset + length > end:
            break
        if rng.random() >= REST_CHANCE:
            notes.append(Note(pitch, onset, length, int(rng.integers(60, 110))))
            pitch += int(rng.choice(STEPS, p=steps))
            pitch = pitch if RANGE[0] <= pitch <= RANGE[1] else int(np.clip(2 * np.clip(pitch, *RANGE) - pitch, *RANGE))
        onset += length
    return Solo(notes, form.bars, grid=grid, tempo=tune.tempo, chords=form.chords, name=tune_name)


def write_synthetic_corpus(folder: Path, n: int, seed: int = 0) -> list[Path]:
    """``n`` random-walk solos (one to three choruses of the built-in tunes in turn) as MIDI files in ``folder``."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    names, paths = sorted(TUNES), []
    for i in range(n):
        name = names[i % len(names)]
        path = folder / f"walk_{i:04d}_{name}.mid"
        solo = random_walk_solo(name, int(rng.integers(1, 4)), rng)
        write_midi(path, solo, title=f"random walk over {name}")
        paths.append(path)
    return paths
