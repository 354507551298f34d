"""Can a classifier tell generated solos from real ones? A classifier two-sample test on 8-bar windows.

Every solo is cut into windows of ``WINDOW_BARS`` bars, and each window becomes a row of melodic and
rhythmic features (``FEATURES``): intervals, pitch classes against the chords, figure and note repetition,
density, where in the beat the onsets fall, inter-onset gaps, register and phrasing. A logistic regression
on the standardized features learns real against generated with cross-validation grouped by solo: a real
solo and the solo generated over its changes form one group, which is never split between training and
test, so the classifier cannot win by recognizing a tune. Each group contributes as many windows of each side
(the fewer of the two), so chance is 0.5. Accuracy near 0.5 means the windows are indistinguishable on
these features; the confidence interval comes from resampling whole groups.

Near-silent windows (fewer than ``MIN_NOTES`` notes) stay in the test: a generator that falls silent must lose
accuracy, not windows. Only their density and rests are measured (the ``silent`` flag, notes per beat, rest
share, longest rest, phrases per beat); their melodic features are missing and imputed, and the share of such
windows on each side is reported beside the accuracy.

Several draws of generated solos over the same real ones (``two_sample_draws``) are each tested on their own and
their verdicts pooled: one draw's accuracy moves by a few hundredths with the sampling seed alone.

The "giveaways" are the features whose means differ most between the sides, in pooled standard deviations.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter

import numpy as np

from jazz.measure.stats import chord_pitch_classes, entropy
from jazz.music.notes import Solo

TEST_BARS = 128  # bars of each real solo compared (16 windows): long solos would dominate the sample
WINDOW_BARS = 8
MIN_NOTES = 4  # fewer notes than this: the window is near silence, judged by its density and rests only
FOLDS = 5
RESAMPLES = 1000  # bootstrap resamples of the groups for the confidence interval
GIVEAWAYS = 8
TARGETS = ("leap_share", "chord_tone_share_on_beats", "pitch_class_entropy", "repeated_figure_share")
TOLERANCE = 0.10  # a target is met within this relative distance of the real mean

INTERVAL_BANDS = (("repeat_share", 0, 0), ("step_share", 1, 2), ("third_share", 3, 4),
                  ("fourth_fifth_share", 5, 7), ("leap_share", 8, 127))
FEATURES = (
    *(name for name, _, _ in INTERVAL_BANDS), "mean_abs_interval", "ascending_share", "contour_turn_share",
    "pitch_class_entropy", "chord_tone_share_on_beats", "chord_tone_share", "repeated_figure_share", "longest_repeat",
    "pitch_range", "pitch_centre", "pitch_spread", "notes_per_beat", "rest_share", "short_gap_share",
    "median_gap", "gap_entropy", "legato", "phrases_per_beat", "notes_per_phrase", "longest_rest", "silent",
    *(f"onset_step_{k}" for k in range(12)),
)  # fmt: skip


def window_bounds(solo: Solo, bars: int = WINDOW_BARS) -> list[tuple[int, int]]:
    """(start, end) grid steps of each whole window of ``bars`` bars, from the first bar."""
    edges = [b.start for b in solo.bars] + [solo.total_steps]
    return [(edges[i], edges[i + bars]) for i in range(0, len(solo.bars) - bars + 1, bars)]


def window_features(solo: Solo, start: int, end: int) -> dict[str, float]:
    """The features of the notes starting in [start, end) (NaN where undefined); with fewer than ``MIN_NOTES``
    notes only the density and rests (``silence_features``). Onset positions are counted from the bar line in
    steps of ``solo.grid`` per beat."""
    notes = sorted((n for n in solo.notes if start <= n.onset < end), key=lambda n: (n.onset, n.pitch))
    if len(notes) < MIN_NOTES:
        return silence_features(notes, start, end, solo.grid)
    grid, beats = solo.grid, (end - start) / solo.grid
    pitches = np.array([n.pitch for n in notes])
    steps = np.diff(pitches)
    sizes = np.abs(steps)
    moving = np.sign(steps[steps != 0])
    out = {name: float(np.mean((sizes >= low) & (sizes <= high))) for name, low, high in INTERVAL_BANDS}
    out["mean_abs_interval"] = float(sizes.mean())
    out["ascending_share"] = _mean(moving > 0)
    out["contour_turn_share"] = _mean(moving[1:] != moving[:-1])
    out["pitch_class_entropy"] = entropy(pitches % 12)
    on_beat, tones = _chord_tones(solo, notes)
    out["chord_tone_share_on_beats"] = _mean([t for t, b in zip(tones, on_beat) if b and t is not None])
    out["chord_tone_share"] = _mean([t for t in tones if t is not None])
    figures = [tuple(steps[i:i + 3]) for i in range(len(steps) - 2)]
    out["repeated_figure_share"] = 1.0 - len(set(figures)) / len(figures) if figures else np.nan
    changes = np.flatnonzero(np.concatenate([[1], steps != 0, [1]]))
    out["longest_repeat"] = np.diff(changes).max()  # notes in the longest run of one pitch
    out["pitch_range"], out["pitch_centre"], out["pitch_spread"] = np.ptp(pitches), pitches.mean(), pitches.std()
    onsets = np.array([n.onset for n in notes])
    gaps = np.diff(onsets)
    gaps = gaps[gaps > 0]
    ends = np.array([n.end for n in notes])
    rests = np.concatenate([[onsets[0] - start], onsets[1:] - ends[:-1], [max(end - ends.max(), 0)]])
    out["notes_per_beat"] = len(notes) / beats
    sounding = np.minimum(np.diff(onsets, append=end), ends - onsets).clip(0)  # up to the next onset
    out["rest_share"] = 1.0 - sounding.sum() / (end - start)
    out["short_gap_share"] = _mean(gaps <= grid // 6)
    out["median_gap"] = float(np.median(gaps)) / grid if gaps.size else np.nan
    out["gap_entropy"] = entropy(gaps.tolist()) if gaps.size else np.nan
    out["legato"] = _mean(np.minimum((ends[:-1] - onsets[:-1]) / np.maximum(np.diff(onsets), 1), 1.0))
    breaks = rests[1:-1] >= grid  # a rest of a beat or more ends a phrase
    out["phrases_per_beat"] = (1 + int(breaks.sum())) / beats
    out["notes_per_phrase"] = len(notes) / (1 + int(breaks.sum()))
    out["longest_rest"] = float(rests.max()) / grid
    out["silent"] = 0.0
    bar_starts = [b.start for b in solo.bars]
    in_beat = [(n.onset - bar_starts[bisect_right(bar_starts, n.onset) - 1]) % grid for n in notes]
    counts = Counter(round(k * 12 / grid) % 12 for k in in_beat)
    out.update({f"onset_step_{k}": counts.get(k, 0) / len(notes) for k in range(12)})
    return {key: float(out[key]) if out[key] is not None else np.nan for key in FEATURES}


def silence_features(notes: list, start: int, end: int, grid: int) -> dict[str, float]:
    """The features of a near-silent window (sorted ``notes``, fewer than ``MIN_NOTES``): its density and
    rests; the rest are NaN (there is no line to measure)."""
    out = dict.fromkeys(FEATURES, np.nan)
    sounding = [min(n.end, end) - n.onset for n in notes]  # overlapping notes cannot occur in a monophonic solo
    edges = [start] + [x for n in notes for x in (n.onset, min(n.end, end))] + [end]
    rests = [b - a for a, b in zip(edges[::2], edges[1::2])]
    phrases = 1 + sum(rest >= grid for rest in rests[1:-1]) if notes else 0
    beats = (end - start) / grid
    out.update(silent=1.0, notes_per_beat=len(notes) / beats, rest_share=1.0 - sum(sounding) / (end - start),
               longest_rest=max(rests) / grid, phrases_per_beat=phrases / beats)
    return out


def _mean(flags) -> float:
    flags = np.asarray(flags, dtype=float)
    return float(flags.mean()) if flags.size else np.nan


def _chord_tones(solo: Solo, notes) -> tuple[list[bool], list[bool | None]]:
    """Per note: whether it starts on a beat, and whether it is a tone of the sounding chord (None: no chord)."""
    changes = sorted(solo.chords, key=lambda c: c.onset)
    times = [c.onset for c in changes]
    bar_starts = [b.start for b in solo.bars]
    on_beat, tones = [], []
    for note in notes:
        bar = bar_starts[max(bisect_right(bar_starts, note.onset) - 1, 0)]
        on_beat.append((note.onset - bar) % solo.grid == 0)
        index = bisect_right(times, note.onset) - 1
        members = chord_pitch_classes(changes[index].symbol) if index >= 0 else frozenset()
        tones.append(note.pitch % 12 in members if members else None)
    return on_beat, tones


def solo_windows(solo: Solo) -> list[dict[str, float]]:
    """The features of every window of the solo, in order (near-silent ones too)."""
    return [window_features(solo, start, end) for start, end in window_bounds(solo)]


def feature_table(real: list[Solo], generated: list[Solo]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows of window features, labels (1: generated) and groups (the index of the real solo).

    ``generated[i]`` was played over ``real[i]``'s changes; from each pair the first k windows of each side
    are kept, k the fewer of the two, so that both sides are equally many within every group.
    """
    rows, labels, groups = [], [], []
    for group, (ours, theirs) in enumerate(zip(real, generated, strict=True)):
        a, b = solo_windows(ours), solo_windows(theirs)
        k = min(len(a), len(b))
        for label, side in ((0, a[:k]), (1, b[:k])):
            rows += [[row[key] for key in FEATURES] for row in side]
            labels += [label] * k
            groups += [group] * k
    return np.array(rows, dtype=float).reshape(-1, len(FEATURES)), np.array(labels), np.array(groups)


def grouped_folds(groups: np.ndarray, folds: int = FOLDS) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) row indices of cross-validation folds that never split a group."""
    from sklearn.model_selection import GroupKFold

    splits = min(folds, len(np.unique(groups)))
    return list(GroupKFold(n_splits=splits).split(groups, groups=groups))


def classifier():
    """Logistic regression on standardized features, missing values set to the training mean."""
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(SimpleImputer(keep_empty_features=True), StandardScaler(),
                         LogisticRegression(C=1.0, max_iter=2000))


def out_of_fold_correct(x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Per row, whether the classifier trained on the other folds labels it right."""
    correct = np.zeros(len(y), dtype=bool)
    for train, test in grouped_folds(groups):
        model = classifier().fit(x[train], y[train])
        correct[test] = model.predict(x[test]) == y[test]
    return correct


def group_interval(correct: np.ndarray, groups: np.ndarray, seed: int = 0,
                   resamples: int = RESAMPLES) -> tuple[float, float]:
    """95% bootstrap interval of the accuracy, resampling whole groups (windows of a solo are not independent)."""
    names, index = np.unique(groups, return_inverse=True)
    hits = np.bincount(index, weights=correct)
    sizes = np.bincount(index)
    draws = np.random.default_rng(seed).integers(0, len(names), size=(resamples, len(names)))
    accuracies = hits[draws].sum(axis=1) / sizes[draws].sum(axis=1)
    low, high = np.percentile(accuracies, [2.5, 97.5])
    return float(low), float(high)


def giveaways(x: np.ndarray, y: np.ndarray, count: int = GIVEAWAYS) -> dict[str, dict[str, float]]:
    """The ``count`` features whose means differ most (generated - real, in pooled standard deviations)."""
    rows = {}
    for j, key in enumerate(FEATURES):
        real, generated = x[y == 0, j], x[y == 1, j]
        real, generated = real[~np.isnan(real)], generated[~np.isnan(generated)]
        if real.size < 2 or generated.size < 2:
            continue
        spread = np.sqrt((real.var(ddof=1) + generated.var(ddof=1)) / 2)
        effect = (generated.mean() - real.mean()) / spread if spread > 0 else 0.0
        rows[key] = {"real": float(real.mean()), "generated": float(generated.mean()), "effect": float(effect)}
    ranked = sorted(rows, key=lambda k: -abs(rows[k]["effect"]))
    return {key: rows[key] for key in ranked[:count]}


def targets(x: np.ndarray, y: np.ndarray) -> dict[str, dict[str, float | bool | None]]:
    """For each feature of ``TARGETS``: both means, and whether the generated one is within ``TOLERANCE``."""
    out = {}
    for key in TARGETS:
        column = x[:, FEATURES.index(key)]
        real, generated = _finite_mean(column[y == 0]), _finite_mean(column[y == 1])
        relative = generated / real - 1.0 if real and generated is not None else None
        out[key] = {"real": real, "generated": generated, "relative": relative,
                    "met": relative is not None and abs(relative) <= TOLERANCE}
    return out


def _finite_mean(values: np.ndarray) -> float | None:
    """The mean of the values that are not NaN (None if none is: e.g. chord tones of solos without chords)."""
    values = values[~np.isnan(values)]
    return float(values.mean()) if values.size else None


def silent_share(x: np.ndarray, y: np.ndarray) -> dict[str, float | None]:
    """The share of near-silent windows on each side (None for a side without windows)."""
    silent = x[:, FEATURES.index("silent")]
    return {side: _finite_mean(silent[y == label]) if (y == label).any() else None
            for side, label in (("real", 0), ("generated", 1))}


def two_sample_test(real: list[Solo], generated: list[Solo], seed: int = 0,
                    partitions: dict[str, list[str | None]] | None = None) -> dict:
    """How well a classifier tells windows of ``generated[i]`` from windows of ``real[i]``: ``two_sample_draws``
    with one draw."""
    return two_sample_draws(real, [generated], seed, partitions)


def two_sample_draws(real: list[Solo], draws: list[list[Solo]], seed: int = 0,
                     partitions: dict[str, list[str | None]] | None = None) -> dict:
    """How well a classifier tells generated windows from real ones (see the module notes), where ``draws`` holds
    one or more draws of solos generated over the real ones (``draw[i]`` over ``real[i]``): accuracy, its 95%
    interval, the share of near-silent windows of each side, the giveaways and the target features. Accuracy is
    None with fewer than two groups that have windows on both sides.

    Each draw is tested against the real solos on its own (its own classifier, balanced as one draw is), and the
    accuracy pools their out-of-fold verdicts: the same figure a single draw estimates, with the sampling noise
    of the generated side averaged out. ``by_draw`` gives each draw's own accuracy, and the interval resamples
    whole real solos with every draw over them, so it keeps the noise of which real solos were chosen.

    ``partitions`` name a label for every pair (e.g. its tempo band; None: unlabelled); ``by`` then gives, per
    partition and label, the accuracy on that label's windows and their silent shares."""
    import warnings

    tables = [feature_table(real, draw) for draw in draws]
    x, y, groups = (np.concatenate(parts) for parts in zip(*tables))
    result = {"accuracy": None, "interval": None, "windows": len(y) // len(draws), "solos": len(np.unique(groups)),
              "window_bars": WINDOW_BARS, "folds": 0, "draws": len(draws), "silent_share": silent_share(x, y)}
    if result["solos"] < 2:
        return {**result, "by_draw": [], "giveaways": {}, "targets": {}, "by": {}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns of tiny samples
        verdicts = [out_of_fold_correct(*table) for table in tables]
        correct = np.concatenate(verdicts)
        low, high = group_interval(correct, groups, seed)
        by = {name: accuracy_by_label(x, y, correct, np.array(labels, dtype=object)[groups], len(draws))
              for name, labels in (partitions or {}).items()}
        return {**result, "accuracy": float(correct.mean()), "interval": [low, high], "by": by,
                "by_draw": [float(v.mean()) for v in verdicts], "folds": len(grouped_folds(groups)),
                "giveaways": giveaways(x, y), "targets": targets(x, y)}


def accuracy_by_label(x: np.ndarray, y: np.ndarray, correct: np.ndarray, labels: np.ndarray,
                      draws: int = 1) -> dict[str, dict]:
    """Per label (of each window's pair; None left out): accuracy, windows of each side (per draw of ``draws``)
    and silent shares."""
    out = {}
    for label in dict.fromkeys(v for v in labels if v is not None):
        rows = labels == label
        out[label] = {"accuracy": float(correct[rows].mean()), "windows": int(rows.sum()) // 2 // draws,
                      "silent_share": silent_share(x[rows], y[rows])}
    return out
