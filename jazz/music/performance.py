"""How the notes are played: velocities and timing learnt from real solos (:mod:`jazz.music.feel`).

The tokens carry no dynamics and sit on the grid, so a generated solo is played here, with a seeded
randomness that the data sizes:

* **Velocity**: the loudness (dB) a WJazzD soloist gives a note, by its place in the phrase, its metrical
  class, its pitch against the phrase's median and its length, plus a level for each phrase and a little for each
  note (the data's spreads), turned into MIDI velocity by the General MIDI rule gain = 40 log10(v / 127) dB,
  around ``BASE_VELOCITY`` (the data gives loudness relative to each solo's own level, not an absolute one).
  A phrase ends at a rest of a beat or more: generated solos carry no phrase marks.
* **Timing** (shifts in grid steps, for the MIDI file only; the solo's notes stay on the grid for the lead
  sheet): every note lags the beat as the data's soloists do at that tempo, eighths swing at the data's
  beat-upbeat ratio (the whole beat is warped, so 16ths and triplets move in proportion) and each note gets the
  data's note-to-note jitter. Bars in x/8 meters are not swung.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from jazz.music.feel import PHRASE_BINS, band_of, duration_class, lag, load_model, swing_ratio
from jazz.music.notes import Solo

BASE_VELOCITY = 84  # a solo's median loudness
VELOCITY_RANGE = (24, 124)
DB_PER_DECADE = 40.0  # General MIDI / DLS: velocity v is 40 log10(v / 127) dB below full level
MAX_SHIFT_BEATS = 0.25  # no note is played further than this from its grid onset


def metric_class(position: int, grid: int, denominator: int = 4) -> str:
    """The metrical class (feel.METRIC_CLASSES) of an onset ``position`` steps into its bar."""
    beat_steps = grid * 4 // denominator if denominator <= 4 else grid
    within, beat = position % beat_steps, position // beat_steps
    if within == 0:
        return "downbeat" if beat == 0 else "beat"
    for name, parts in (("eighth", (2,)), ("sixteenth", (4,)), ("triplet", (3,))):
        if any(within * k % beat_steps == 0 for k in parts):
            return name
    return "other"


def phrases(solo: Solo) -> list[tuple[int, int]]:
    """(first, end) note indices of each phrase: a rest of a beat or more ends one."""
    notes, spans, start = solo.notes, [], 0
    for i in range(1, len(notes) + 1):
        if i == len(notes) or notes[i].onset - notes[i - 1].end >= solo.grid:
            spans.append((start, i))
            start = i
    return spans


def loudness_db(solo: Solo, rng: np.random.Generator, model: dict | None = None) -> np.ndarray:
    """Each note's loudness in dB relative to the solo's level, from the fitted loudness model."""
    fit = (model or load_model())["loudness"]
    db = np.zeros(len(solo.notes))
    for first, end in phrases(solo):
        chunk = solo.notes[first:end]
        centre = float(np.median([n.pitch for n in chunk]))
        level = rng.normal(0.0, fit["phrase_spread_db"])
        for k, note in enumerate(chunk):
            bar = solo.bars[solo.bar_index(note.onset)]
            klass = metric_class(note.onset - bar.start, solo.grid, bar.denominator)
            length = duration_class(note.duration / solo.grid)
            db[first + k] = (fit["contour"][str(min(int((k + 0.5) / len(chunk) * PHRASE_BINS), PHRASE_BINS - 1))]["db"]
                             + fit["accent"].get(klass, {"db": 0.0})["db"]
                             + fit["pitch_slope_db"] * (note.pitch - centre)
                             + fit["length"].get(length, {"db": 0.0})["db"]
                             + level + rng.normal(0.0, fit["note_spread_db"]))
    return db


def velocity_of(db: np.ndarray) -> np.ndarray:
    """MIDI velocities for loudness ``db`` relative to a solo's level (``BASE_VELOCITY`` at 0 dB)."""
    return np.clip(np.round(BASE_VELOCITY * 10 ** (db / DB_PER_DECADE)), *VELOCITY_RANGE).astype(int)


def add_velocities(solo: Solo, seed: int = 0, model: dict | None = None) -> Solo:
    """The solo with velocities as the data's soloists shape them, the same for the same seed."""
    if not solo.notes:
        return solo
    velocities = velocity_of(loudness_db(solo, np.random.default_rng(seed), model))
    return replace(solo, notes=[n._replace(velocity=int(v)) for n, v in zip(solo.notes, velocities)])


def swing_warp(fraction: float, ratio: float) -> float:
    """Where a place ``fraction`` (0..1) of the way through a beat is played when eighths swing at ``ratio``:
    the "and" moves to ratio / (1 + ratio), and everything between moves in proportion."""
    middle = ratio / (1.0 + ratio)
    return 2 * middle * fraction if fraction <= 0.5 else middle + (fraction - 0.5) * 2 * (1 - middle)


def timing_shifts(solo: Solo, feel: str = "swing", seed: int = 0, model: dict | None = None) -> list[float]:
    """For each note, how far (in grid steps, fractional) it is played from its grid onset; empty (on the grid)
    for ``none``. Played onsets keep the notes' order (a note is never played before the one before it).
    """
    if feel == "none" or not solo.notes:
        swing_ratio(solo.tempo, feel, model)  # an unknown feel is an error here too
        return []
    model = model or load_model()
    rng = np.random.default_rng([seed, 1])
    ratio = swing_ratio(solo.tempo, feel, model)
    jitter = model["lag"][band_of(solo.tempo)]["jitter_beats"]
    grid, shifts = solo.grid, []
    for note in solo.notes:
        bar = solo.bars[solo.bar_index(note.onset)]
        position = note.onset - bar.start
        klass = metric_class(position, grid, bar.denominator)
        beat_lag, _ = lag(solo.tempo, "downbeat" if klass == "downbeat" else "beat", model)
        fraction = (position % grid) / grid
        swing = swing_warp(fraction, ratio) - fraction if bar.denominator <= 4 else 0.0
        noise = float(np.clip(rng.normal(0.0, jitter), -2 * jitter, 2 * jitter))
        shifts.append(float(np.clip(beat_lag + swing + noise, -MAX_SHIFT_BEATS, MAX_SHIFT_BEATS)) * grid)
    for i in range(1, len(shifts)):  # keep the order: at least a tenth of a step after the note before
        earliest = solo.notes[i - 1].onset + shifts[i - 1] + 0.1 - solo.notes[i].onset
        shifts[i] = max(shifts[i], earliest)
    return shifts
