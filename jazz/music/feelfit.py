"""Fit the performance model (``jazz/music/feel.json``) from the Weimar Jazz Database's CSV export.

    python -m jazz.music.feelfit ../shared/corpus/wjazzd [--out FILE]

Every note of a melody CSV has its real onset in seconds and its metrical place (bar, beat, tatum of a
division); the beat track has the rhythm section's beats in seconds. From them, for each tempo band (a solo's
tempo is the median of its beats' tempi at its notes, as jazz.measure.bands reads it from the import's tempo map):

* the **beat-upbeat ratio** of eighth pairs: three notes in a row, on a beat, on its "and" and on the next
  beat; the ratio of the two gaps (by feel too, where a feel has enough pairs);
* the **lag** of each metrical class (downbeat, other beats, eighth "and", 16ths, triplets) behind the beat
  track, in beats and ms, with its spread around each solo's own median lag;
* **loudness** (``loud_median``, in dB, less the solo's median): a contour over the phrase, accents by
  metrical class, a slope over pitch relative to the phrase's median, an effect of note length, and the spread
  left over (split into the spread of whole phrases' levels and that of notes inside a phrase). Fitted one
  after another, each on what the earlier ones leave (medians, outliers trimmed).

The solos of the fixed test split (:func:`jazz.model.split.test_names`) are left out. All statistics are
medians or median absolute deviations (scaled to a standard deviation), and every one comes with its counts.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from jazz.files import atomic_write_bytes
from jazz.music.feel import (FEEL_FILE, FEELS, METRIC_CLASSES, PHRASE_BINS, band_of, duration_class,
                             eighth_pair_ratios)
from jazz.music.labels import UNKNOWN, normalize

COMMAND = "python -m jazz.music.feelfit ../shared/corpus/wjazzd"
MIN_PAIRS, MIN_SOLOS = 40, 3  # below these a feel's ratio falls back to all feels pooled
MAD_SD = 1.4826  # median absolute deviation → standard deviation of a normal distribution


@dataclass
class CsvSolo:
    """One solo's notes as arrays: real onsets, metrical places, lags behind the beat track, loudness."""

    name: str
    tempo: float
    feel: str
    onset: np.ndarray  # seconds
    frac: list[Fraction]  # place inside the beat, 0 <= frac < 1
    klass: list[str]  # metrical class (feel.METRIC_CLASSES)
    beat_index: np.ndarray  # running number of the beat in the beat track (-1: not in the track)
    lag: np.ndarray  # beats behind the metrical place (nan where the beat track has no such beat)
    beat_seconds: np.ndarray
    pitch: np.ndarray
    beats_long: np.ndarray  # duration in beats
    loud: np.ndarray | None  # dB, less the solo's median; None where the CSV has no loudness
    phrase: np.ndarray


def metric_class(beat: int, frac: Fraction) -> str:
    if frac == 0:
        return "downbeat" if beat == 1 else "beat"
    if frac == Fraction(1, 2):
        return "eighth"
    if frac in (Fraction(1, 4), Fraction(3, 4)):
        return "sixteenth"
    if frac in (Fraction(1, 3), Fraction(2, 3)):
        return "triplet"
    return "other"


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def _float(text: str | None) -> float:
    try:
        return float(text) if text not in (None, "") else float("nan")
    except ValueError:
        return float("nan")


def read_solo(root: Path, name: str, meta: dict) -> CsvSolo:
    """A solo from its melody CSV and beat track (ValueError for a file that cannot be read)."""
    notes = read_csv(root / "csv" / "melody" / f"{name}.csv")
    beats = read_csv(root / "csv" / "beats" / f"{name}_beattrack.csv")
    if not notes or len(beats) < 2:
        raise ValueError(f"{name}: no notes or no beat track")
    beat_on = np.array([float(b["onset"]) for b in beats])
    beat_end = np.append(beat_on[1:], beat_on[-1] + float(beats[-1]["duration"]))
    where = {(int(b["bar"]), int(b["beat"])): i for i, b in enumerate(beats)}
    onset = np.array([float(n["onset"]) for n in notes])
    frac = [Fraction(int(n["tatum"]) - 1, int(n["division"])) for n in notes]
    index = np.array([where.get((int(n["bar"]), int(n["beat"])), -1) for n in notes])
    inside = index >= 0
    lag = np.full(len(notes), np.nan)
    length = beat_end[index[inside]] - beat_on[index[inside]]
    metrical = np.array([float(f) for f, ok in zip(frac, inside) if ok])
    lag[inside] = (onset[inside] - beat_on[index[inside]]) / length - metrical
    seconds = np.array([_float(n.get("beat_duration")) for n in notes])
    seconds = np.where(np.isfinite(seconds) & (seconds > 0), seconds, np.nanmedian(np.diff(beat_on)))
    loud = np.array([_float(n.get("loud_median")) for n in notes])
    loud = loud - np.nanmedian(loud) if np.isfinite(loud).mean() > 0.9 else None
    return CsvSolo(
        name=name, tempo=float(np.median(60.0 / seconds)),
        feel=feel if (feel := normalize("feel", meta.get("rhythmfeel"))) != UNKNOWN else "swing",
        onset=onset, frac=frac,
        klass=[metric_class(int(n["beat"]), f) for n, f in zip(notes, frac)], beat_index=index, lag=lag,
        beat_seconds=seconds, pitch=np.array([int(n["pitch"]) for n in notes]),
        beats_long=np.array([_float(n["duration"]) for n in notes]) / seconds, loud=loud,
        phrase=np.array([int(_float(n.get("phrase_id")) if n.get("phrase_id") else -1) for n in notes]))


def read_corpus(root: Path, exclude: frozenset[str] = frozenset()) -> tuple[list[CsvSolo], list[str]]:
    """The solos of a WJazzD CSV export (those in ``exclude`` left out), and a line for each one skipped."""
    meta = {r["filename_sv"].strip().removesuffix(".sv"): r for r in read_csv(root / "meta.csv")}
    solos, skipped = [], []
    for path in sorted((root / "csv" / "melody").glob("*.csv")):
        if path.stem in exclude:
            continue
        try:
            solos.append(read_solo(root, path.stem, meta.get(path.stem, {})))
        except (ValueError, KeyError, OSError) as error:
            skipped.append(f"{path.stem}: {error}")
    return solos, skipped


# ---------------------------------------------------------------------------------------------------- timing


def solo_pair_ratios(solo: CsvSolo) -> np.ndarray:
    """Beat-upbeat ratios of the solo's eighth pairs (feel.eighth_pair_ratios), placed on the beat track's beats
    and timed by the real onsets in seconds."""
    written = np.where(solo.beat_index >= 0, solo.beat_index + np.array([float(f) for f in solo.frac]), np.nan)
    return eighth_pair_ratios(written, solo.onset)


def ratio_entry(per_solo: list[np.ndarray]) -> dict:
    pooled = np.concatenate(per_solo) if per_solo else np.array([])
    medians = [float(np.median(r)) for r in per_solo if len(r)]
    return {"median": round(float(np.median(pooled)), 3) if len(pooled) else None,
            "solo_median": round(float(np.median(medians)), 3) if medians else None,
            "pairs": int(len(pooled)), "solos": len(medians)}


def fit_ratios(solos: list[CsvSolo]) -> dict:
    """Ratio by tempo band, for all feels pooled ("all") and for each feel with enough pairs (else pooled)."""
    groups: dict[tuple[str, str], list[np.ndarray]] = defaultdict(list)
    for solo in solos:
        ratios = solo_pair_ratios(solo)
        if len(ratios):
            groups["all", band_of(solo.tempo)].append(ratios)
            groups[solo.feel, band_of(solo.tempo)].append(ratios)
    table: dict[str, dict] = {}
    for feel in ("all", *FEELS):
        table[feel] = {}
        for band in ("slow", "medium", "fast"):
            entry = ratio_entry(groups[feel, band])
            if feel != "all" and (entry["pairs"] < MIN_PAIRS or entry["solos"] < MIN_SOLOS):
                entry = {**table["all"][band], "pooled": True, "own_pairs": entry["pairs"]}
            table[feel][band] = entry
    return table


def robust_sd(values: np.ndarray) -> float:
    return MAD_SD * float(np.median(np.abs(values - np.median(values)))) if len(values) else float("nan")


def fit_lags(solos: list[CsvSolo]) -> dict:
    """Median lag behind the beat track and the within-solo spread, by tempo band and metrical class; and the
    note-to-note jitter (the spread of the change in lag from one note to the next, over the square root of 2),
    the part of the spread that is not a slow drift ahead of or behind the band."""
    lags: dict[tuple[str, str], list[np.ndarray]] = defaultdict(list)
    ms: dict[tuple[str, str], list[np.ndarray]] = defaultdict(list)
    for solo in solos:
        klass = np.array(solo.klass)
        ok = np.isfinite(solo.lag) & (np.abs(solo.lag) < 0.5)  # further off: annotated on another beat
        for name in METRIC_CLASSES:
            chosen = ok & (klass == name)
            if chosen.sum() >= 3:
                lags[band_of(solo.tempo), name].append(solo.lag[chosen])
                ms[band_of(solo.tempo), name].append(1000 * solo.lag[chosen] * solo.beat_seconds[chosen])
    table: dict[str, dict] = {}
    for band in ("slow", "medium", "fast"):
        steps = [np.diff(s.lag[np.isfinite(s.lag) & (np.abs(s.lag) < 0.5)]) for s in solos if band_of(s.tempo) == band]
        table[band] = {"jitter_beats": round(robust_sd(np.concatenate(steps)) / np.sqrt(2), 4)}
        for name in METRIC_CLASSES:
            per_solo = lags[band, name]
            if not per_solo:
                continue
            pooled, in_ms = np.concatenate(per_solo), np.concatenate(ms[band, name])
            centred = np.concatenate([x - np.median(x) for x in per_solo])
            table[band][name] = {"beats": round(float(np.median(pooled)), 4), "ms": round(float(np.median(in_ms)), 1),
                                 "spread_beats": round(robust_sd(centred), 4),
                                 "spread_ms": round(robust_sd(np.concatenate([x - np.median(x)
                                                                              for x in ms[band, name]])), 1),
                                 "notes": int(len(pooled)), "solos": len(per_solo)}
    return table


# -------------------------------------------------------------------------------------------------- loudness


def phrase_bins(phrase: np.ndarray) -> np.ndarray:
    """For every note, which fifth (0..PHRASE_BINS-1) of its phrase it lies in (by note count)."""
    bins = np.zeros(len(phrase), dtype=int)
    start = 0
    for i in range(1, len(phrase) + 1):
        if i == len(phrase) or phrase[i] != phrase[start]:
            n = i - start
            bins[start:i] = np.minimum(((np.arange(n) + 0.5) / n * PHRASE_BINS).astype(int), PHRASE_BINS - 1)
            start = i
    return bins


def relative_pitch(pitch: np.ndarray, phrase: np.ndarray) -> np.ndarray:
    """Each pitch less the median pitch of its phrase."""
    out = np.zeros(len(pitch))
    for p in np.unique(phrase):
        chosen = phrase == p
        out[chosen] = pitch[chosen] - np.median(pitch[chosen])
    return out


def _medians_by(keys: np.ndarray, values: np.ndarray, names) -> dict:
    return {str(k): {"db": round(float(np.median(values[keys == k])), 2), "notes": int((keys == k).sum())}
            for k in names if (keys == k).sum() >= 20}


def fit_loudness(solos: list[CsvSolo]) -> dict:
    """The loudness model: contour, accents, pitch slope and length effect, one on the residual of the other."""
    with_loud = [s for s in solos if s.loud is not None]
    db = np.concatenate([s.loud for s in with_loud])
    ok = np.isfinite(db)
    db = db[ok]
    bins = np.concatenate([phrase_bins(s.phrase) for s in with_loud])[ok]
    klass = np.concatenate([np.array(s.klass) for s in with_loud])[ok]
    height = np.concatenate([relative_pitch(s.pitch, s.phrase) for s in with_loud])[ok]
    length = np.array([duration_class(b) for s in with_loud for b in s.beats_long])[ok]
    contour = _medians_by(bins, db, range(PHRASE_BINS))
    rest = db - np.array([contour[str(b)]["db"] for b in bins])
    accents = _medians_by(klass, rest, METRIC_CLASSES)
    rest = rest - np.array([accents.get(k, {"db": 0.0})["db"] for k in klass])
    keep = np.abs(rest - np.median(rest)) < 3 * robust_sd(rest)  # trimmed: bad loudness estimates drop out
    slope = float(np.polyfit(height[keep], rest[keep], 1)[0])
    rest = rest - slope * height
    lengths = _medians_by(length, rest, ("short", "eighth", "quarter", "long"))
    rest = rest - np.array([lengths.get(k, {"db": 0.0})["db"] for k in length])
    phrase_id = np.concatenate([s.phrase + 100_000 * i for i, s in enumerate(with_loud)])[ok]
    levels = {p: np.median(rest[phrase_id == p]) for p in np.unique(phrase_id)}
    within = rest - np.array([levels[p] for p in phrase_id])
    return {"contour": contour, "accent": accents, "pitch_slope_db": round(slope, 3), "length": lengths,
            "spread_db": round(robust_sd(rest), 2),
            "phrase_spread_db": round(robust_sd(np.array(list(levels.values()))), 2),
            "note_spread_db": round(robust_sd(within), 2), "notes": int(len(db)), "solos": len(with_loud)}


# ------------------------------------------------------------------------------------------------------ fit


def fit(root: Path, exclude: frozenset[str]) -> dict:
    """The performance model of the solos under ``root`` (those in ``exclude`` left out)."""
    solos, skipped = read_corpus(root, exclude)
    if not solos:
        raise ValueError(f"no readable solos under {root}/csv/melody")
    return {"command": COMMAND, "source": "Weimar Jazz Database CSV export, fixed test split left out",
            "solos": len(solos), "excluded": len(exclude), "skipped": skipped,
            "ratio": fit_ratios(solos), "lag": fit_lags(solos), "loudness": fit_loudness(solos)}


def main(argv: list[str] | None = None) -> int:
    from jazz.model.split import test_names

    parser = argparse.ArgumentParser(prog="python -m jazz.music.feelfit", description=__doc__.splitlines()[0])
    parser.add_argument("wjazzd", type=Path, help="the WJazzD folder (csv/melody, csv/beats, meta.csv)")
    parser.add_argument("--out", type=Path, default=FEEL_FILE, help=f"where to write the model (default {FEEL_FILE})")
    args = parser.parse_args(argv)
    if not (args.wjazzd / "meta.csv").is_file() or not (args.wjazzd / "csv" / "melody").is_dir():
        print(f"error: {args.wjazzd} has no meta.csv and csv/melody/ (a WJazzD CSV export)", file=sys.stderr)
        return 2
    model = fit(args.wjazzd, test_names())
    atomic_write_bytes(args.out, (json.dumps(model, indent=1) + "\n").encode())
    print(f"wrote {args.out}: {model['solos']} solos ({model['excluded']} of the test split left out)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
