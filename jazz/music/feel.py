"""The performance model learnt from real solos (``feel.json``, made by :mod:`jazz.music.feelfit`): how a
soloist swings eighths, where notes sit against the beat and how loudness moves, by tempo band.

Lookups only; :mod:`jazz.music.performance` plays a solo with them and :mod:`jazz.music.band` swings with the
same ratios. Tempo bands are those of the evaluation: slow under 140 bpm, medium 140-220, fast from 220.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from jazz.music.labels import FEELS  # and --feel none, which plays on the grid

FEEL_FILE = Path(__file__).with_name("feel.json")
STRAIGHT_FEELS = ("latin", "funk")  # the band plays straight eighths under these
METRIC_CLASSES = ("downbeat", "beat", "eighth", "sixteenth", "triplet", "other")
PHRASE_BINS = 5
BANDS = (("slow", 140.0), ("medium", 220.0), ("fast", float("inf")))  # (name, upper bound in bpm, exclusive)
RATIO_LIMITS = (0.25, 4.0)  # a pair whose played ratio lies outside is a misreading, not a way of playing


def band_of(tempo: float) -> str:
    """The tempo band of ``tempo`` (quarter notes per minute)."""
    return next(name for name, upper in BANDS if tempo < upper)


def eighth_pair_ratios(written: np.ndarray, played: np.ndarray) -> np.ndarray:
    """The beat-upbeat ratios of the eighth pairs of a line: three notes in a row, written (``written``, in beats,
    whole numbers on the beats; nan: a note in no beat) on a beat, on its "and" and on the next beat; the first
    played gap (``played``, in any unit of time) over the second. The one definition of the fit
    (jazz.music.feelfit), the evaluation (jazz.measure.bands) and the measure of written files (jazz.measure.swing).
    """
    g, p = np.asarray(written, dtype=float), np.asarray(played, dtype=float)
    if len(g) < 3:
        return np.zeros(0)
    pairs = (g[:-2] % 1 == 0) & (g[1:-1] - g[:-2] == 0.5) & (g[2:] - g[:-2] == 1)
    first, second = (p[1:-1] - p[:-2])[pairs], (p[2:] - p[1:-1])[pairs]
    kept = (first > 0) & (second > 0)
    ratios = first[kept] / second[kept]
    return ratios[(ratios > RATIO_LIMITS[0]) & (ratios < RATIO_LIMITS[1])]


def duration_class(beats: float) -> str:
    """A note's length class, in beats: short (< 1/4), eighth (< 0.6), quarter (< 1.2) or long."""
    return "short" if beats < 0.25 else "eighth" if beats < 0.6 else "quarter" if beats < 1.2 else "long"


def check_feel(feel: str) -> None:
    """ValueError naming the known feels for an unknown one."""
    if feel != "none" and feel not in FEELS:
        raise ValueError(f"unknown feel {feel!r} (known: none, {', '.join(FEELS)})")


@lru_cache(maxsize=4)
def load_model(path: Path = FEEL_FILE) -> dict:
    """The fitted model (read once)."""
    return json.loads(path.read_text(encoding="utf-8"))


def swing_ratio(tempo: float, feel: str = "swing", model: dict | None = None) -> float:
    """The soloist's beat-upbeat ratio of eighth pairs at ``tempo`` under ``feel`` (1.0 for none)."""
    check_feel(feel)
    if feel == "none":
        return 1.0
    model = model or load_model()
    return float(model["ratio"][feel][band_of(tempo)]["median"])


def lag(tempo: float, klass: str, model: dict | None = None) -> tuple[float, float]:
    """(median lag behind the beat, within-solo spread), in beats, of a note of metrical class ``klass``."""
    model = model or load_model()
    entry = model["lag"][band_of(tempo)].get(klass) or model["lag"][band_of(tempo)]["other"]
    return float(entry["beats"]), float(entry["spread_beats"])


def loudness(model: dict | None = None) -> dict:
    """The loudness model: contour, accent, pitch_slope_db, length, spread_db (see jazz.music.feelfit)."""
    return (model or load_model())["loudness"]


# The ride and the comping: WJazzD has no drum timing, so the band follows Friberg and Sundström (Music
# Perception 19(3), 2002): drummers keep the short note of a swung pair near 100 ms at medium and fast tempi,
# so their ratio falls with tempo. Never harder than the triplet (the band's old fixed feel), never straighter
# than the soloist's ratio from the data.
SHORT_NOTE_MS, MAX_BAND_RATIO = 100.0, 2.0


def band_ratio(tempo: float, feel: str = "swing", model: dict | None = None) -> float:
    """The band's beat-upbeat ratio at ``tempo``: 1.0 (straight) under latin and funk."""
    if feel in STRAIGHT_FEELS:
        return 1.0
    drummer = (60_000.0 / tempo - SHORT_NOTE_MS) / SHORT_NOTE_MS
    return min(max(drummer, swing_ratio(tempo, feel, model)), MAX_BAND_RATIO)
