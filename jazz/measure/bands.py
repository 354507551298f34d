"""Rhythm by tempo band and by style: does a generated solo play a ballad like a ballad and a burner like a burner?

Each real solo falls in a tempo band by its tempo (``solo_tempo``: the MIDI tempo at its notes); the solo generated
over its changes falls in the same band. Per band (and per style, where the corpus labels its solos) the real and
the generated solos are compared on three figures of their rhythm, pooled over the band's solos:

* ``notes_per_beat``: notes over beats;
* ``fast_gap_share``: the share of inter-onset intervals of at most ``FAST_GAP`` beat (runs, double time);
* ``eighth_ratio``: the median beat-upbeat ratio of eighth pairs on the grid (``eighth_ratios``), 1.0 straight,
  2.0 triplet swing; the grid's ratio, not the performed one (quantization rounds a light swing to straight);

and on the two-sample accuracy of their windows (jazz.measure.twosample, ``by``) with each side's silent share.
"""

from __future__ import annotations

import math

import numpy as np

from jazz.measure.stats import median
from jazz.music.labels import UNKNOWN, normalize
from jazz.music.notes import Solo

TEMPO_BANDS = (("slow", 140.0), ("medium", 220.0), ("fast", math.inf))  # name, upper edge in bpm (exclusive)
FAST_GAP = 1 / 3  # beats: an inter-onset interval this short or shorter is a fast gap
FIGURES = ("notes_per_beat", "fast_gap_share", "eighth_ratio")


def tempo_band(tempo: float) -> str:
    """The name of the band of ``tempo`` (quarter notes per minute)."""
    return next(name for name, upper in TEMPO_BANDS if tempo < upper)


def solo_tempo(solo: Solo) -> float:
    """The median tempo (bpm) in force at the solo's note onsets, from its tempo map (the Weimar import writes one
    tempo per real beat); the first tempo for a solo without notes."""
    if not solo.notes:
        return solo.tempo
    steps, bpm = solo.tempo_map()
    index = np.searchsorted(steps, [n.onset for n in solo.notes], side="right") - 1
    return float(np.median(np.asarray(bpm)[np.maximum(index, 0)]))  # before the first change the first tempo holds


def eighth_ratios(solo: Solo) -> list[float]:
    """Beat-upbeat ratios of the eighth pairs: a note on a beat, one more note inside that beat between a quarter
    and three quarters of the way, and the next note on the next beat. The ratio is the first note's share of the
    beat over the second's."""
    grid, out = solo.grid, []
    bar_starts = [b.start for b in solo.bars]
    onsets = sorted({n.onset for n in solo.notes})
    for first, second, third in zip(onsets, onsets[1:], onsets[2:]):
        bar = bar_starts[max(np.searchsorted(bar_starts, first, side="right") - 1, 0)]
        if (first - bar) % grid == 0 and third == first + grid and grid / 4 <= second - first <= 3 * grid / 4:
            out.append((second - first) / (third - second))
    return out


def rhythm_figures(solos: list[Solo]) -> dict[str, float | None]:
    """``FIGURES`` pooled over ``solos`` (None where they have no beats, gaps or eighth pairs)."""
    notes = sum(len(s.notes) for s in solos)
    beats = sum(s.total_steps / s.grid for s in solos)
    gaps = [g / s.grid for s in solos for g in np.diff(sorted({n.onset for n in s.notes}))]
    ratios = [r for s in solos for r in eighth_ratios(s)]
    return {"notes_per_beat": notes / beats if beats else None,
            "fast_gap_share": float(np.mean(np.array(gaps) <= FAST_GAP + 1e-9)) if gaps else None,
            "eighth_ratio": median(ratios) if ratios else None}


def breakdown(real: list[Solo], generated: list[Solo], labels: list[str | None], by_test: dict,
              order: tuple[str, ...] = ()) -> dict[str, dict]:
    """Per label (of each pair ``real[i]``, ``generated[i]``; None left out), every one of ``order`` (with no solos:
    no figures) then the others as found: solos, each figure of ``FIGURES`` for both sides, and the two-sample
    accuracy, windows and silent shares that ``by_test`` (a partition of jazz.measure.twosample's ``by``) gives."""
    found = [label for label in dict.fromkeys([*order, *labels]) if label is not None]
    out = {}
    for label in found:
        rows = [i for i, x in enumerate(labels) if x == label]
        ours, theirs = rhythm_figures([real[i] for i in rows]), rhythm_figures([generated[i] for i in rows])
        test = by_test.get(label, {})
        out[label] = {"solos": len(rows), **{key: {"real": ours[key], "generated": theirs[key]} for key in FIGURES},
                      "accuracy": test.get("accuracy"), "windows": test.get("windows", 0),
                      "silent_share": test.get("silent_share", {"real": None, "generated": None})}
    return out


def band_labels(solos: list[Solo]) -> list[str]:
    """The tempo band of every solo."""
    return [tempo_band(solo_tempo(s)) for s in solos]


def style_labels(solos: list[Solo]) -> list[str | None]:
    """Every solo's style where the corpus labels it, as the model's vocabulary spells it (None elsewhere)."""
    styles = [normalize("style", s.labels.get("style")) for s in solos]
    return [None if style == UNKNOWN else style for style in styles]
