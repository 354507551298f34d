"""Musical statistics of a solo, and how a set of generated solos compares with a set of real ones.

``solo_stats`` returns one number (or None where it is undefined, e.g. intervals of a one-note solo) under
each key of ``STAT_KEYS``:

* ``pitch_class_entropy``: Shannon entropy of the pitch classes of the notes, in bits (0 to log2 12).
* ``pitch_range``: highest minus lowest pitch, in semitones.
* ``mean_abs_interval``: mean absolute interval between consecutive notes, in semitones.
* ``step_share`` / ``leap_share`` / ``repeat_share``: share of those intervals that are 1-2 semitones, more
  than 2, and 0.
* ``notes_per_beat``: notes per beat of the time from the first onset to the last note's end.
* ``rest_share``: share of that time in which no note sounds.
* ``ioi_entropy`` / ``duration_entropy``: entropy in bits of the inter-onset intervals (between distinct
  onsets) and of the durations, both counted in grid steps.
* ``distinct_interval_4grams``: distinct runs of four consecutive intervals / all such runs (1: no melodic
  figure repeats; low: a solo that loops).
* ``scale_consistency``: the largest share of notes inside one scale, over the 12 major and 12 natural minor
  scales (as in MusPy, Dong et al. 2020; a natural minor scale has its relative major's notes, so this is
  the fit of the best diatonic collection). Counted per note, not weighted by duration.
* ``chord_tone_share_on_beats``: of the notes that start on a beat (a multiple of ``grid`` steps after the
  bar line) while a chord sounds, the share whose pitch class belongs to the chord: root, third, fifth,
  seventh or sixth and named tensions (``jazz.music.chords.Chord.pitch_classes``). Notes under no chord, N.C. or an
  unreadable symbol do not count; None for a solo without chords.
* ``max_polyphony``: the most notes sounding at once (1 for a monophonic solo, 0 without notes).
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable

import numpy as np

from jazz.music.chord_parse import to_chord
from jazz.music.chords import ChordError
from jazz.music.notes import Solo, change_index

STAT_KEYS = (
    "pitch_class_entropy", "pitch_range", "mean_abs_interval", "step_share", "leap_share", "repeat_share",
    "notes_per_beat", "rest_share", "ioi_entropy", "duration_entropy", "distinct_interval_4grams",
    "scale_consistency", "chord_tone_share_on_beats", "max_polyphony",
)  # fmt: skip
_MAJOR = (0, 2, 4, 5, 7, 9, 11)
_NATURAL_MINOR = (0, 2, 3, 5, 7, 8, 10)


def entropy(values: Iterable) -> float | None:
    """Shannon entropy in bits of the values' frequencies (None for no values)."""
    counts = np.array(list(Counter(values).values()), dtype=float)
    if not counts.size:
        return None
    p = counts / counts.sum()
    return float(max(-(p * np.log2(p)).sum(), 0.0))


def _share(flags: list[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def interval_stats(pitches: list[int]) -> dict[str, float | None]:
    intervals = [b - a for a, b in zip(pitches, pitches[1:])]
    sizes = [abs(i) for i in intervals]
    grams = [tuple(intervals[i:i + 4]) for i in range(len(intervals) - 3)]
    return {
        "mean_abs_interval": sum(sizes) / len(sizes) if sizes else None,
        "step_share": _share([1 <= s <= 2 for s in sizes]),
        "leap_share": _share([s > 2 for s in sizes]),
        "repeat_share": _share([s == 0 for s in sizes]),
        "distinct_interval_4grams": len(set(grams)) / len(grams) if grams else None,
    }


def scale_consistency(pitches: list[int]) -> float | None:
    """Largest share of notes inside one major or natural minor scale."""
    if not pitches:
        return None
    counts = np.bincount(np.asarray(pitches) % 12, minlength=12)
    best = 0
    for root in range(12):
        for scale in (_MAJOR, _NATURAL_MINOR):
            best = max(best, int(counts[[(root + step) % 12 for step in scale]].sum()))
    return best / len(pitches)


def time_stats(solo: Solo) -> dict[str, float | None]:
    """Density, rests and rhythm: notes per beat, share of silence, entropies of onsets and lengths."""
    notes = solo.notes
    if not notes:
        return {"notes_per_beat": None, "rest_share": None, "ioi_entropy": None, "duration_entropy": None}
    start, end = min(n.onset for n in notes), max(n.end for n in notes)
    onsets = sorted({n.onset for n in notes})
    return {
        "notes_per_beat": len(notes) / ((end - start) / solo.grid),
        "rest_share": 1.0 - _covered(solo) / (end - start),
        "ioi_entropy": entropy(b - a for a, b in zip(onsets, onsets[1:])),
        "duration_entropy": entropy(n.duration for n in notes),
    }


def _covered(solo: Solo) -> int:
    """Grid steps in which at least one note sounds."""
    covered, reach = 0, None
    for note in sorted(solo.notes, key=lambda n: n.onset):
        if reach is None or note.onset >= reach:
            covered += note.duration
            reach = note.end
        elif note.end > reach:
            covered += note.end - reach
            reach = note.end
    return covered


def max_polyphony(solo: Solo) -> int:
    """The most notes sounding at one moment (a note ending where another starts does not overlap it)."""
    events = sorted([(n.onset, 1) for n in solo.notes] + [(n.end, -1) for n in solo.notes])
    sounding = most = 0
    for _, change in events:  # at equal times -1 sorts first: ends before starts
        sounding += change
        most = max(most, sounding)
    return most


def chord_tone_share_on_beats(solo: Solo) -> float | None:
    """Share of on-beat notes under a chord whose pitch class is one of the chord's (see the module notes)."""
    if not solo.chords or not solo.bars:
        return None
    changes = sorted(solo.chords, key=lambda c: c.onset)
    onsets = [c.onset for c in changes]
    hits = []
    for note in solo.notes:
        if (note.onset - solo.bars[solo.bar_index(note.onset)].start) % solo.grid:
            continue
        index = change_index(onsets, note.onset)
        tones = chord_pitch_classes(changes[index].symbol) if index >= 0 else frozenset()
        if tones:
            hits.append(note.pitch % 12 in tones)
    return _share(hits)


def chord_pitch_classes(symbol: str) -> frozenset[int]:
    """The pitch classes of a chord symbol (empty for N.C. or a symbol that does not parse)."""
    try:
        return to_chord(symbol).pitch_classes
    except ChordError:
        return frozenset()


def solo_stats(solo: Solo) -> dict[str, float | None]:
    """Every statistic of ``STAT_KEYS`` for one solo."""
    notes = sorted(solo.notes, key=lambda n: (n.onset, n.pitch))
    pitches = [n.pitch for n in notes]
    found = {
        "pitch_class_entropy": entropy(p % 12 for p in pitches),
        "pitch_range": float(max(pitches) - min(pitches)) if pitches else None,
        **interval_stats(pitches),
        **time_stats(solo),
        "scale_consistency": scale_consistency(pitches),
        "chord_tone_share_on_beats": chord_tone_share_on_beats(solo),
        "max_polyphony": float(max_polyphony(solo)),
    }
    return {key: found[key] for key in STAT_KEYS}


def compare(real: list[dict], generated: list[dict]) -> dict[str, dict[str, float | None]]:
    """Per statistic: the median of the real and of the generated solos, and the share of generated solos
    inside the real solos' 5-95 % range (undefined values left out; None where a side has no values)."""
    keys = dict.fromkeys(key for stats in [*real, *generated] for key in stats)
    out = {}
    for key in keys:
        ours = [s[key] for s in real if s.get(key) is not None]
        theirs = [s[key] for s in generated if s.get(key) is not None]
        in_range = None
        if ours and theirs:
            low, high = np.percentile(ours, [5, 95])
            in_range = float(np.mean([low <= v <= high for v in theirs]))
        out[key] = {"real_median": median(ours), "generated_median": median(theirs), "in_range": in_range}
    return out


def median(values: list[float]) -> float | None:
    """The median, or None for no values."""
    return float(np.median(values)) if values else None

