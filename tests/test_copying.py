"""The copying measure on hand-made solos: stretches found in a training solo, in any key."""

from __future__ import annotations

import numpy as np

from jazz.measure.copying import copying, longest_copies, moves
from jazz.music.notes import Bar, Note, Solo


def line(pitches: list[int], gaps: list[int] | None = None, name: str = "") -> Solo:
    gaps = gaps or [6] * len(pitches)
    onsets = [sum(gaps[:i]) for i in range(len(pitches))]
    return Solo([Note(p, t, 6) for p, t in zip(pitches, onsets)], [Bar(48 * i) for i in range(4)], name=name)


TRAINING = [line([60, 62, 64, 65, 67, 69, 71, 72]), line([70, 66, 70, 66])]


def test_moves_are_intervals_and_onset_gaps():
    assert moves(line([60, 64, 62], [6, 12, 6])) == [(4, 6), (-2, 12)]


def test_a_transposed_stretch_of_a_training_solo_counts_as_copied():
    # D E F# G A of the C major scale's steps, a tone up, then a leap the training solos never play
    assert longest_copies([line([62, 64, 66, 67, 69, 80])], TRAINING) == [5]


def test_the_same_pitches_in_another_rhythm_are_not_a_copy():
    assert longest_copies([line([60, 62, 64, 65], [6, 12, 6, 6])], TRAINING) == [2]  # only 60-62 on time


def test_a_solo_that_shares_no_move_and_one_without_notes():
    empty = Solo([], [Bar(0)])
    assert longest_copies([line([60, 73, 50]), empty], TRAINING) == [1, 0]


def test_copying_reports_both_sides_medians():
    # the real solo: +4 -4 +4 -40 shares +4 -4 (three notes) with the training solo of -4 +4 -4
    found = copying([line([62, 64, 66, 67, 69, 80]), line([60, 73])], [line([66, 70, 66, 70, 30])], TRAINING)
    assert found == {"generated_median": 3.0, "real_median": 3.0, "generated_max": 5, "real_max": 3,
                     "training_solos": 2}


def test_a_real_solo_from_the_training_set_is_compared_with_the_others_only():
    seen = line([60, 62, 64, 65, 67, 69, 71, 72], name="seen")
    found = copying([seen], [seen], [seen, TRAINING[1]])
    assert found["generated_max"] == 8  # a generated solo that plays a training solo is a copy of it
    assert found["real_max"] == 1  # the real solo is not held against itself


def test_a_long_copy_is_found_whole():
    rng = np.random.default_rng(0)
    training = [line(list(60 + np.cumsum(rng.integers(-4, 5, 600)) % 24), name=f"t{i}") for i in range(20)]
    copied = line([n.pitch for n in training[7].notes[100:400]], name="copy")
    assert longest_copies([copied], training) == [300]
    assert longest_copies([copied], training[:7] + training[8:]) < [20]  # the others share only short runs
