"""The classifier two-sample test: its window features, its grouped folds, and that it finds what it should."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from jazz.measure.evaluate import first_bars
from jazz.measure.twosample import (
    FEATURES,
    feature_table,
    grouped_folds,
    two_sample_draws,
    two_sample_test,
    window_bounds,
    window_features,
)
from jazz.midi.read import read_midi
from jazz.music.notes import Bar, ChordChange, Note, Solo

SOLOS = 16  # real solos read for the tests: 8 groups of two


@pytest.fixture(scope="module")
def real_solos() -> list[Solo]:
    """The first 64 bars (8 windows) of the first ``SOLOS`` WJazzD solos that are that long."""
    from conftest import CORPUS, need

    folder = need(CORPUS / "wjazzd" / "midi")
    solos = []
    for path in sorted(folder.glob("*.mid")):
        solo, _ = read_midi(path)
        if len(solo.bars) >= 64 and len(solo.notes) > 200:
            solos.append(first_bars(solo, 64))
        if len(solos) == SOLOS:
            break
    return solos


def bars(count: int) -> list[Bar]:
    return [Bar(i * 48) for i in range(count)]


def test_window_features_of_a_hand_made_line():
    # eighth notes C D E G | C' (leap of 5) on a C7 chord, over 8 bars of 4/4
    pitches = [60, 62, 64, 67, 72, 72, 60, 62]
    notes = [Note(p, 6 * i, 6) for i, p in enumerate(pitches)]
    solo = Solo(notes, bars(8), chords=[ChordChange(0, "C7")])
    row = window_features(solo, 0, 8 * 48)
    assert set(row) == set(FEATURES)
    # intervals 2 2 3 5 0 -12 2: one repeat, three steps, one third, one fourth, one leap
    assert row["repeat_share"] == pytest.approx(1 / 7)
    assert row["step_share"] == pytest.approx(3 / 7)
    assert row["leap_share"] == pytest.approx(1 / 7)
    assert row["notes_per_beat"] == pytest.approx(8 / 32)
    assert row["onset_step_0"] == pytest.approx(0.5) and row["onset_step_6"] == pytest.approx(0.5)
    # on beats: C E C' C -> all tones of C7; G off the beat is a chord tone too, D is not
    assert row["chord_tone_share_on_beats"] == 1.0
    assert row["chord_tone_share"] == pytest.approx(6 / 8)
    assert row["pitch_range"] == 12.0
    assert row["legato"] == 1.0 and row["longest_rest"] == pytest.approx(28.0)


def test_a_repeated_figure_counts_and_near_silence_is_measured_by_its_rests():
    figure = [0, 2, 4, 2]
    notes = [Note(60 + figure[i % 4], 6 * i, 6) for i in range(32)]  # the figure eight times
    row = window_features(Solo(notes, bars(8)), 0, 8 * 48)
    assert row["repeated_figure_share"] > 0.8 and row["longest_repeat"] == 1
    stuck = [Note(60 + (i > 3) * 7, 6 * i, 6) for i in range(10)]  # four Cs, then six Gs
    assert window_features(Solo(stuck, bars(8)), 0, 8 * 48)["longest_repeat"] == 6
    sparse = window_features(Solo(notes[:3], bars(8)), 0, 8 * 48)  # three eighths, then 30.5 beats of rest
    assert sparse["silent"] == 1.0 and row["silent"] == 0.0
    assert sparse["notes_per_beat"] == pytest.approx(3 / 32) and sparse["longest_rest"] == pytest.approx(30.5)
    assert sparse["rest_share"] == pytest.approx(1 - 18 / (8 * 48)) and sparse["phrases_per_beat"] == pytest.approx(1 / 32)
    assert np.isnan(sparse["leap_share"]) and np.isnan(sparse["onset_step_0"])  # no line to measure
    empty = window_features(Solo([], bars(8)), 0, 8 * 48)
    assert empty["notes_per_beat"] == 0.0 and empty["rest_share"] == 1.0 and empty["longest_rest"] == 32.0
    assert empty["phrases_per_beat"] == 0.0 and set(empty) == set(FEATURES)
    assert window_bounds(Solo([], bars(20))) == [(0, 8 * 48), (8 * 48, 16 * 48)]  # whole windows only


def test_grouped_folds_never_split_a_group():
    groups = np.repeat(np.arange(13), 6)
    folds = grouped_folds(groups)
    assert len(folds) == 5
    tested = np.concatenate([test for _, test in folds])
    assert sorted(tested) == list(range(len(groups)))
    for train, test in folds:
        assert not set(groups[train]) & set(groups[test])


def test_both_sides_get_as_many_windows_in_every_group(real_solos):
    x, y, groups = feature_table(real_solos[:2], [real_solos[2], first_bars(real_solos[3], 24)])
    assert x.shape == (len(y), len(FEATURES))
    for group in (0, 1):
        assert (y[groups == group] == 0).sum() == (y[groups == group] == 1).sum()
    assert (groups == 1).sum() == 2 * 3  # the shorter side has three windows


def test_real_solos_against_real_solos_are_indistinguishable(real_solos):
    """Sides drawn at random from the same solos: chance on average (8 groups make one split noisy)."""
    half, accuracies = SOLOS // 2, []
    for seed in range(6):
        order = np.random.default_rng(seed).permutation(SOLOS)
        result = two_sample_test([real_solos[i] for i in order[:half]], [real_solos[i] for i in order[half:]])
        assert result["solos"] == half and result["folds"] == 5
        low, high = result["interval"]
        assert low <= result["accuracy"] <= high
        accuracies.append(result["accuracy"])
    assert 0.4 <= np.mean(accuracies) <= 0.6 and max(accuracies) < 0.75


def test_shuffled_pitches_give_themselves_away(real_solos):
    rng = np.random.default_rng(0)
    garbage = []
    for solo in real_solos[SOLOS // 2:]:
        pitches = rng.permutation([n.pitch for n in solo.notes])
        garbage.append(Solo([n._replace(pitch=int(p)) for n, p in zip(solo.notes, pitches)], solo.bars))
    result = two_sample_test(real_solos[:SOLOS // 2], garbage)
    assert result["accuracy"] > 0.85 and result["interval"][0] > 0.7
    giveaways = result["giveaways"]
    assert "mean_abs_interval" in giveaways and giveaways["mean_abs_interval"]["effect"] > 0
    assert set(result["targets"]) == {"leap_share", "chord_tone_share_on_beats", "pitch_class_entropy",
                                      "repeated_figure_share"}
    no_chords = result["targets"]["chord_tone_share_on_beats"]  # these solos have no chord markers
    assert no_chords == {"real": None, "generated": None, "relative": None, "met": False}


def test_a_generator_silent_half_the_time_is_caught(real_solos):
    """Every other window of the generated side emptied: those windows count, and give the side away."""
    half = SOLOS // 2
    quiet = []
    for solo in real_solos[half:]:
        keep = [(a, b) for k, (a, b) in enumerate(window_bounds(solo)) if k % 2 == 0]
        quiet.append(replace(solo, notes=[n for n in solo.notes if any(a <= n.onset < b for a, b in keep)]))
    result = two_sample_test(real_solos[:half], quiet, partitions={"half": ["a"] * 4 + ["b"] * 4})
    assert result["silent_share"]["generated"] == pytest.approx(0.5)
    assert result["silent_share"]["real"] < 0.1
    assert result["windows"] == 2 * half * 8  # no window was dropped
    assert result["accuracy"] > 0.65 and result["interval"][0] > 0.55
    by = result["by"]["half"]
    assert set(by) == {"a", "b"} and by["a"]["windows"] + by["b"]["windows"] == half * 8
    assert by["a"]["silent_share"]["generated"] == pytest.approx(0.5)


def test_draws_are_tested_one_by_one_and_their_verdicts_pooled(real_solos):
    """A draw like the real solos and a draw of shuffled pitches: each keeps its own accuracy, and the pooled one
    lies between them, over the windows of one draw each side."""
    half = SOLOS // 2
    rng = np.random.default_rng(1)
    garbage = []
    for solo in real_solos[half:]:
        pitches = rng.permutation([n.pitch for n in solo.notes])
        garbage.append(Solo([n._replace(pitch=int(p)) for n, p in zip(solo.notes, pitches)], solo.bars))
    alone = two_sample_test(real_solos[:half], garbage)
    pooled = two_sample_draws(real_solos[:half], [real_solos[half:], garbage], partitions={"all": ["x"] * half})
    assert pooled["draws"] == 2 and pooled["windows"] == alone["windows"] == 2 * half * 8
    honest, shuffled = pooled["by_draw"]
    assert shuffled == alone["accuracy"] > 0.85 and honest <= 0.75  # real against real: chance, give or take
    assert pooled["accuracy"] == pytest.approx((honest + shuffled) / 2)  # as many windows in each draw
    assert pooled["interval"][0] <= pooled["accuracy"] <= pooled["interval"][1]
    everything = pooled["by"]["all"]["x"]
    assert everything["windows"] == half * 8 and everything["accuracy"] == pooled["accuracy"]
    assert alone["draws"] == 1 and alone["by_draw"] == [alone["accuracy"]]
