"""Musical statistics on hand-made solos whose answers are known, and the real-vs-generated comparison."""

from __future__ import annotations

import math

import pytest

from jazz.measure.stats import STAT_KEYS, compare, entropy, solo_stats
from jazz.music.notes import Bar, ChordChange, Note, Solo

G = 12  # grid steps per beat


def solo(notes: list[Note], bars: int = 4, chords: list[ChordChange] = ()) -> Solo:
    return Solo(notes, [Bar(i * 4 * G) for i in range(bars)], grid=G, chords=list(chords))


def chromatic() -> Solo:
    """Twelve eighth notes up from C4, back to back."""
    return solo([Note(60 + i, i * 6, 6) for i in range(12)], bars=2)


def test_chromatic_scale():
    stats = solo_stats(chromatic())
    assert list(stats) == list(STAT_KEYS)
    assert stats["pitch_class_entropy"] == pytest.approx(math.log2(12))
    assert stats["pitch_range"] == 11
    assert stats["mean_abs_interval"] == 1
    assert (stats["step_share"], stats["leap_share"], stats["repeat_share"]) == (1.0, 0.0, 0.0)
    assert stats["notes_per_beat"] == 2.0
    assert stats["rest_share"] == 0.0
    assert stats["ioi_entropy"] == 0.0 and stats["duration_entropy"] == 0.0
    assert stats["distinct_interval_4grams"] == pytest.approx(1 / 8)  # 8 runs of (1, 1, 1, 1)
    assert stats["scale_consistency"] == pytest.approx(7 / 12)
    assert stats["chord_tone_share_on_beats"] is None  # no chords
    assert stats["max_polyphony"] == 1


def test_repeated_note_with_rests():
    notes = [Note(67, i * G, 6) for i in range(8)]  # eighth note, eighth rest, on every beat
    stats = solo_stats(solo(notes, bars=2))
    assert stats["pitch_class_entropy"] == 0.0 and stats["pitch_range"] == 0
    assert (stats["step_share"], stats["leap_share"], stats["repeat_share"]) == (0.0, 0.0, 1.0)
    assert stats["mean_abs_interval"] == 0
    span_beats = (7 * G + 6) / G
    assert stats["notes_per_beat"] == pytest.approx(8 / span_beats)
    assert stats["rest_share"] == pytest.approx(1 - 8 * 6 / (7 * G + 6))
    assert stats["scale_consistency"] == 1.0
    assert stats["distinct_interval_4grams"] == pytest.approx(1 / 4)


def test_leaps_rhythm_entropy_and_distinct_figures():
    pitches = [60, 67, 62, 74, 60, 61]  # intervals +7 -5 +12 -14 +1
    onsets = [0, 3, 9, 12, 24, 30]
    durations = [3, 6, 3, 12, 6, 6]
    stats = solo_stats(solo([Note(p, o, d) for p, o, d in zip(pitches, onsets, durations)]))
    assert stats["leap_share"] == pytest.approx(4 / 5) and stats["step_share"] == pytest.approx(1 / 5)
    assert stats["mean_abs_interval"] == pytest.approx((7 + 5 + 12 + 14 + 1) / 5)
    assert stats["ioi_entropy"] == pytest.approx(entropy([3, 6, 3, 12, 6]))
    assert stats["ioi_entropy"] == pytest.approx(-(2 * 0.4 * math.log2(0.4) + 0.2 * math.log2(0.2)))
    assert stats["duration_entropy"] == pytest.approx(entropy([3, 6, 3, 12, 6, 6]))
    assert stats["distinct_interval_4grams"] == 1.0
    assert stats["pitch_range"] == 14


def test_chord_tone_share_counts_on_beat_notes_under_chords():
    chords = [ChordChange(0, "C7"), ChordChange(4 * G, "N.C."), ChordChange(8 * G, "Fmaj7")]
    notes = [
        Note(64, 0, 6),  # E on beat 1 of C7: chord tone
        Note(66, 6, 6),  # F# off the beat: not counted
        Note(62, G, 6),  # D on beat 2 of C7: not a chord tone of plain C7
        Note(70, 2 * G, 6),  # Bb: the seventh
        Note(61, 3 * G, 6),  # Db: not in C7
        Note(60, 4 * G, 6),  # under N.C.: not counted
        Note(69, 8 * G, 6),  # A over Fmaj7: third
        Note(59, 9 * G + 4, 6),  # off the beat: not counted
    ]
    stats = solo_stats(solo(notes, bars=3, chords=chords))
    assert stats["chord_tone_share_on_beats"] == pytest.approx(3 / 5)
    with_tension = solo_stats(solo(notes, bars=3, chords=[ChordChange(0, "C7(9)")]))
    assert with_tension["chord_tone_share_on_beats"] == pytest.approx(4 / 6)  # E D Bb C in; Db and A (a 13th) out


def test_chords_start_late_and_bars_of_three():
    bars = [Bar(0, 3, 4), Bar(36, 3, 4)]
    notes = [Note(60, 0, 12), Note(64, 12, 12), Note(67, 36, 12), Note(66, 48, 12)]
    three = Solo(notes, bars, grid=G, chords=[ChordChange(12, "C")])
    assert solo_stats(three)["chord_tone_share_on_beats"] == pytest.approx(2 / 3)  # the first note has no chord


def test_polyphony_and_empty_solo():
    chord = [Note(60, 0, 24), Note(64, 0, 12), Note(67, 6, 12), Note(72, 24, 12)]
    stats = solo_stats(solo(chord))
    assert stats["max_polyphony"] == 3
    assert stats["rest_share"] == 0.0
    empty = solo_stats(solo([]))
    assert empty["max_polyphony"] == 0
    assert all(empty[k] is None for k in STAT_KEYS if k != "max_polyphony")


def test_compare_medians_and_in_range_share():
    real = [{"x": float(v), "y": 1.0} for v in range(101)]  # 5-95 % range of x: [5, 95]
    generated = [{"x": v, "y": None} for v in (0.0, 5.0, 50.0, 95.0, 96.0)] + [{"x": None, "y": 1.0}]
    result = compare(real, generated)
    assert result["x"] == {"real_median": 50.0, "generated_median": 50.0, "in_range": pytest.approx(3 / 5)}
    assert result["y"] == {"real_median": 1.0, "generated_median": 1.0, "in_range": 1.0}
    nothing = compare(real, [{"x": None, "y": None}])
    assert nothing["x"] == {"real_median": 50.0, "generated_median": None, "in_range": None}
