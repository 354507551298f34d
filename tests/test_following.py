"""Solo by solo: does the generated solo follow the density of the real one, and the tempo?"""

from __future__ import annotations

import pytest

from jazz.measure.following import following
from jazz.music.notes import Bar, Note, Solo


def solo(step: int, tempo: float) -> Solo:
    """Two bars of 4/4 (grid 12) with a note every ``step`` grid steps, at ``tempo``."""
    return Solo([Note(60, k, step) for k in range(0, 96, step)], [Bar(0), Bar(48)], tempo=tempo)


# real solos get sparser as the tempo doubles: 4, 2, 1 notes per beat at 60, 120, 240 bpm
REAL = [solo(3, 60.0), solo(6, 120.0), solo(12, 240.0)]


def test_a_model_that_follows_each_solo_scores_one_and_keeps_the_slope():
    figures = following(REAL, [[solo(3, 60.0), solo(6, 120.0), solo(12, 240.0)]])
    assert figures["solos"] == 3
    assert figures["correlation"]["notes_per_beat"] == pytest.approx(1.0)
    assert figures["tempo_slope"]["real"] == pytest.approx(-1.5)  # 4 → 2 → 1 per doubling: a fit of -1.5
    assert figures["tempo_slope"]["generated"] == pytest.approx(-1.5)


def test_a_model_deaf_to_the_tempo_has_no_slope_and_no_correlation():
    same = [solo(6, t) for t in (60.0, 120.0, 240.0)]  # two notes a beat at every tempo
    figures = following(REAL, [same])
    assert figures["tempo_slope"]["generated"] == pytest.approx(0.0)
    assert figures["correlation"]["notes_per_beat"] is None  # the generated side does not vary


def test_a_model_that_plays_against_the_tempo_correlates_negatively():
    backwards = [solo(12, 60.0), solo(6, 120.0), solo(3, 240.0)]
    figures = following(REAL, [backwards])
    assert figures["correlation"]["notes_per_beat"] < -0.9  # 4, 2, 1 against 1, 2, 4: not linear, so not -1
    assert figures["tempo_slope"]["generated"] == pytest.approx(1.5)


def test_draws_over_each_solo_are_pooled_before_they_are_paired():
    """A draw that follows the tempo and one that plays against it: pooled, each solo gets the mean density of its
    two, and the slopes (-1.5 and +1.5 alone) cancel."""
    follows = [solo(3, 60.0), solo(6, 120.0), solo(12, 240.0)]
    backwards = [solo(12, 60.0), solo(6, 120.0), solo(3, 240.0)]
    figures = following(REAL, [follows, backwards])
    assert figures["solos"] == 3
    assert figures["tempo_slope"]["generated"] == pytest.approx(0.0)
    assert figures["tempo_slope"]["real"] == pytest.approx(-1.5)


def test_too_few_pairs_give_nothing():
    assert following(REAL[:2], [REAL[:2]]) is None
    silent = Solo([], [Bar(0)], tempo=100.0)
    assert following(REAL[:2] + [silent], [REAL[:2] + [silent]]) is None
