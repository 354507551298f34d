"""Does a generated solo follow the real one it was generated over? Solo by solo, not pooled.

Pooled figures per tempo band (jazz.measure.bands) can match while every solo is wrong: a model that plays the
band's average density over every ballad scores as well as one that plays each ballad as dense as its player.
So each real solo and the solo generated over its changes, tempo and labels are paired, and:

* ``correlation``: the correlation, over the pairs, of the real and the generated notes per beat (and of the
  fast-gap share): how well the generated density follows the solo's own;
* ``tempo_slope``: how notes per beat change per doubling of tempo, fitted over the real solos and over the
  generated ones: a model that ignores the tempo has a slope near 0, where the soloists' is clearly negative.
"""

from __future__ import annotations

import numpy as np

from jazz.measure.bands import rhythm_figures, solo_tempo
from jazz.music.notes import Solo

MIN_PAIRS = 3  # fewer pairs than this give no correlation or slope


def following(real: list[Solo], draws: list[list[Solo]]) -> dict | None:
    """Solo-by-solo figures of the solos generated over ``real[i]`` (``draw[i]`` of every draw in ``draws``, pooled)
    against ``real[i]`` (None with fewer than ``MIN_PAIRS`` pairs that have notes and gaps)."""
    rows = []
    for i, ours in enumerate(real):
        a, b = rhythm_figures([ours]), rhythm_figures([draw[i] for draw in draws])
        if ours.notes and None not in (a["notes_per_beat"], a["fast_gap_share"], b["notes_per_beat"],
                                       b["fast_gap_share"]):
            rows.append((solo_tempo(ours), a["notes_per_beat"], b["notes_per_beat"], a["fast_gap_share"],
                         b["fast_gap_share"]))
    if len(rows) < MIN_PAIRS:
        return None
    tempo, real_density, generated_density, real_gaps, generated_gaps = np.array(rows).T
    octaves = np.log2(tempo)
    return {
        "solos": len(rows),
        "correlation": {"notes_per_beat": _correlation(real_density, generated_density),
                        "fast_gap_share": _correlation(real_gaps, generated_gaps)},
        "tempo_slope": {"real": _slope(octaves, real_density), "generated": _slope(octaves, generated_density)},
    }


def _correlation(x: np.ndarray, y: np.ndarray) -> float | None:
    """Pearson's r (None where either side does not vary)."""
    if np.std(x) == 0 or np.std(y) == 0:
        return None
    return float(np.corrcoef(x, y)[0, 1])


def _slope(x: np.ndarray, y: np.ndarray) -> float | None:
    """The least-squares slope of ``y`` on ``x`` (None where ``x`` does not vary)."""
    return None if np.std(x) == 0 else float(np.polyfit(x, y, 1)[0])
