"""Rhythm by tempo band and by style: does a generated solo play a ballad like a ballad and a burner like a burner?

Each real solo falls in a tempo band by its tempo (``solo_tempo``: the MIDI tempo at its notes); the solo generated
over its changes falls in the same band. Per band (and per style, where the corpus labels its solos) the real and
the generated solos are compared on three figures of their rhythm, pooled over the band's solos:

* ``notes_per_beat``: notes over beats;
* ``fast_gap_share``: the share of inter-onset intervals of at most ``FAST_GAP`` beat (runs, double time);
* ``eighth_ratio``: the median beat-upbeat ratio of eighth pairs as played (``eighth_ratios``), 1.0 straight,
  2.0 triplet swing: a real solo's from the played onsets its file carries (the Weimar import keeps them; a solo
  without them has none, not the grid's 1.0), a generated one's from the performance jazz gives it (``performed``:
  jazz.music.performance at the real solo's tempo and feel, as `jazz generate` writes it);
* ``eighth_pairs``: how many pairs that median is taken over (a band's ratio from a few dozen pairs moves by tenths);

and on the two-sample accuracy of their windows (jazz.measure.twosample, ``by``) with each side's silent share.
With several draws of generated solos over the same real ones, the generated side pools them all.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from jazz.measure.stats import median
from jazz.music.feel import BANDS, band_of, eighth_pair_ratios
from jazz.music.labels import UNKNOWN, normalize
from jazz.music.notes import Solo
from jazz.music.performance import timing_shifts

TEMPO_BANDS = BANDS  # name, upper edge in bpm (exclusive): the bands the performance model is fitted in
FAST_GAP = 1 / 3  # beats: an inter-onset interval this short or shorter is a fast gap
FIGURES = ("notes_per_beat", "fast_gap_share", "eighth_ratio", "eighth_pairs")


def tempo_band(tempo: float) -> str:
    """The name of the band of ``tempo`` (quarter notes per minute)."""
    return band_of(tempo)


def solo_tempo(solo: Solo) -> float:
    """The median tempo (bpm) in force at the solo's note onsets, from its tempo map (the Weimar import writes one
    tempo per real beat); the first tempo for a solo without notes."""
    if not solo.notes:
        return solo.tempo
    steps, bpm = solo.tempo_map()
    index = np.searchsorted(steps, [n.onset for n in solo.notes], side="right") - 1
    return float(np.median(np.asarray(bpm)[np.maximum(index, 0)]))  # before the first change the first tempo holds


def eighth_ratios(solo: Solo) -> list[float]:
    """The played beat-upbeat ratios of the solo's eighth pairs (jazz.music.feel.eighth_pair_ratios: a note on a
    beat, the next on its "and", the next on the next beat, as written; the first played gap over the second, in
    seconds through the tempo map, as the fit measures the recordings); none for a solo without played onsets.
    Beats are counted in bars of quarter-note beats; other bars have none."""
    if not solo.played:
        return []
    notes = [n for n in solo.notes if n.onset in solo.played]
    starts = np.array([b.start for b in solo.bars])
    bars = [solo.bars[i] for i in np.maximum(np.searchsorted(starts, [n.onset for n in notes], side="right") - 1, 0)]
    written = [n.onset / solo.grid if bar.denominator == 4 and bar.start % solo.grid == 0 else np.nan
               for n, bar in zip(notes, bars)]
    played = seconds_at(solo, np.array([solo.played[n.onset] for n in notes]))
    return eighth_pair_ratios(np.array(written), played).tolist()


def seconds_at(solo: Solo, steps: np.ndarray) -> np.ndarray:
    """Seconds from the solo's start of (fractional) ``steps``, through its tempo map."""
    changes, bpm = (np.asarray(x, dtype=float) for x in solo.tempo_map())
    per_step = 60.0 / (bpm * solo.grid)
    elapsed = np.concatenate([[0.0], np.cumsum(np.diff(changes) * per_step[:-1])])
    index = np.maximum(np.searchsorted(changes, steps, side="right") - 1, 0)
    return elapsed[index] + (steps - changes[index]) * per_step[index]


def performed(solo: Solo, tempo: float, feel: str | None, seed: int) -> Solo:
    """``solo`` with the played onsets jazz.music.performance gives it at ``tempo`` and ``feel`` (a feel the model
    does not know plays as swing, as `jazz generate` does by default), the same for the same seed."""
    feel = normalize("feel", feel)
    played = replace(solo, tempo=tempo)
    shifts = timing_shifts(played, "swing" if feel == UNKNOWN else feel, seed)
    return replace(solo, played={n.onset: n.onset + s for n, s in zip(solo.notes, shifts)})


def rhythm_figures(solos: list[Solo]) -> dict[str, float | None]:
    """``FIGURES`` pooled over ``solos`` (None where they have no beats, gaps or eighth pairs)."""
    notes = sum(len(s.notes) for s in solos)
    beats = sum(s.total_steps / s.grid for s in solos)
    gaps = [g / s.grid for s in solos for g in np.diff(sorted({n.onset for n in s.notes}))]
    ratios = [r for s in solos for r in eighth_ratios(s)]
    return {"notes_per_beat": notes / beats if beats else None,
            "fast_gap_share": float(np.mean(np.array(gaps) <= FAST_GAP + 1e-9)) if gaps else None,
            "eighth_ratio": median(ratios) if ratios else None, "eighth_pairs": len(ratios)}


def breakdown(real: list[Solo], draws: list[list[Solo]], labels: list[str | None], by_test: dict,
              order: tuple[str, ...] = ()) -> dict[str, dict]:
    """Per label (of each real solo ``real[i]`` and the solos ``draw[i]`` generated over it, for every draw of
    ``draws``; None left out), every one of ``order`` (with no solos: no figures) then the others as found: solos,
    each figure of ``FIGURES`` for both sides (the generated side pooled over the draws), and the two-sample
    accuracy, windows and silent shares that ``by_test`` (a partition of jazz.measure.twosample's ``by``) gives."""
    found = [label for label in dict.fromkeys([*order, *labels]) if label is not None]
    out = {}
    for label in found:
        rows = [i for i, x in enumerate(labels) if x == label]
        ours = rhythm_figures([real[i] for i in rows])
        theirs = rhythm_figures([draw[i] for draw in draws for i in rows])
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
