"""Rhythm by tempo band and style, and what generation and scoring are given: no input sees ahead."""

from __future__ import annotations

from dataclasses import replace

import keras
import mido
import numpy as np
import pytest

from jazz.measure.bands import (
    band_labels,
    breakdown,
    eighth_ratios,
    performed,
    rhythm_figures,
    solo_tempo,
    style_labels,
    tempo_band,
)
from jazz.measure.givens import given_context, given_register, given_tempo, solo_program
from jazz.model.context import performance_context
from jazz.midi.read import read_midi
from jazz.measure.likelihood import batch_logits, encode, forward_function
from jazz.model.bundle import Bundle
from jazz.model.features import register_slot
from jazz.model.network import build_model
from jazz.model.tokens import Tokenizer
from jazz.music.feel import swing_ratio
from jazz.music.notes import Bar, Note, Solo
from jazz.settings import ModelConfig

TOK = Tokenizer()


def bars(count: int) -> list[Bar]:
    return [Bar(i * 48) for i in range(count)]


def test_tempo_bands_have_their_edges_in_the_upper_band():
    assert [tempo_band(t) for t in (60, 139.9, 140, 219.9, 220, 320)] == ["slow", "slow", "medium", "medium",
                                                                          "fast", "fast"]


def test_the_tempo_is_the_tempo_map_at_the_notes(tmp_path):
    """100 bpm for two notes, then 250 bpm for six: the notes are mostly fast, whatever the first tempo says."""
    track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(100), time=0)])
    for k in range(8):
        if k == 2:
            track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(250), time=0))
        track += [mido.Message("note_on", note=60, velocity=80, time=0), mido.Message("note_off", note=60, time=96)]
    midi = mido.MidiFile(ticks_per_beat=96)
    midi.tracks.append(track)
    midi.save(tmp_path / "mixed.mid")
    mixed, _ = read_midi(tmp_path / "mixed.mid")
    assert solo_tempo(mixed) == pytest.approx(250, abs=0.1)
    assert band_labels([mixed, replace(mixed, tempi=[])]) == ["fast", "slow"]


def test_eighth_pairs_are_measured_as_played_and_not_at_all_without_played_onsets():
    straight = [Note(60, 12 * k + off, 4) for k in range(8) for off in (0, 6)]  # written as straight eighths
    swung = {n.onset: n.onset + (2 if n.onset % 12 else 0) for n in straight}  # the "and" played at 8: ratio 2
    assert eighth_ratios(Solo(straight, bars(2), played=swung)) == pytest.approx([2.0] * 7)  # the last: no next beat
    assert eighth_ratios(Solo(straight, bars(2), played={n.onset: n.onset for n in straight})) == pytest.approx([1.0] * 7)
    # the next beat is played 2 steps late, after the tempo halves: 8 steps at 120 bpm, then 4 at 120 and 2 at 60
    late = Solo(straight[:3], bars(1), played={0: 0, 6: 8, 12: 14}, tempi=[(0, 120.0), (12, 60.0)])
    assert eighth_ratios(late) == pytest.approx([1.0])  # the gaps in seconds are equal (in steps it would be 8 / 6)
    assert eighth_ratios(Solo(straight, bars(2))) == []  # no played onsets: no ratio, never the grid's 1.0
    written_swung = [Note(60, 12 * k + off, 4) for k in range(8) for off in (0, 8)]  # the "and" is not at 1/2
    assert eighth_ratios(Solo(written_swung, bars(2), played={n.onset: n.onset for n in written_swung})) == []
    three_eight = Solo(straight, [Bar(i * 18, 3, 8) for i in range(6)], played=swung)
    assert eighth_ratios(three_eight) == []  # beats are counted in quarter-note bars only


def test_fast_gaps_and_a_band_of_solos_without_played_timing():
    swung = [Note(60, 12 * k + off, 4) for k in range(8) for off in (0, 8)]
    triplets = [Note(60, 4 * k, 4) for k in range(24)]  # three to a beat: no eighth pairs
    figures = rhythm_figures([Solo(triplets, bars(2)), Solo(swung, bars(2))])
    assert figures["notes_per_beat"] == pytest.approx(40 / 16)
    assert figures["fast_gap_share"] == pytest.approx((23 + 7) / 38)  # every triplet gap, the short of each swung pair
    assert figures["eighth_ratio"] is None
    assert rhythm_figures([Solo([], bars(2))]) == {"notes_per_beat": 0.0, "fast_gap_share": None, "eighth_ratio": None,
                                                   "eighth_pairs": 0}


def test_a_generated_solo_is_measured_as_jazz_plays_it():
    """At each tempo band the performance puts eighth pairs near the fitted ratio of that band and feel; the same
    seed plays the same way; a feel the model does not know plays as swing."""
    line = Solo([Note(60 + k % 7, 6 * k, 6) for k in range(8 * 32)], bars(64))
    for tempo, band in ((100, "slow"), (180, "medium"), (260, "fast")):
        played = performed(line, tempo, "swing", seed=1)
        assert len(played.played) == len(line.notes) and played.notes == line.notes
        ratio = float(np.median(eighth_ratios(played)))
        assert ratio == pytest.approx(swing_ratio(tempo, "swing"), abs=0.05), band
    assert performed(line, 180, "swing", 3).played == performed(line, 180, "swing", 3).played
    assert performed(line, 180, "SWING", 3).played == performed(line, 180, None, 3).played


def test_breakdown_rows_follow_the_band_order_and_skip_unlabelled_pairs():
    busy = Solo([Note(60, 3 * k, 3) for k in range(64)], bars(4))
    sparse = Solo([Note(60, 24 * k, 12) for k in range(8)], bars(4))
    by_test = {"fast": {"accuracy": 0.75, "windows": 4, "silent_share": {"real": 0.0, "generated": 0.5}}}
    rows = breakdown([busy, busy, sparse], [[sparse, sparse, busy]], ["fast", "slow", None], by_test,
                     ("slow", "medium", "fast"))
    assert list(rows) == ["slow", "medium", "fast"]
    assert rows["medium"]["solos"] == 0 and rows["medium"]["notes_per_beat"] == {"real": None, "generated": None}
    assert rows["fast"]["notes_per_beat"] == {"real": 4.0, "generated": 0.5}
    assert rows["fast"]["fast_gap_share"] == {"real": 1.0, "generated": 0.0}
    assert rows["fast"]["accuracy"] == 0.75 and rows["slow"]["accuracy"] is None and rows["fast"]["solos"] == 1


def test_styles_come_from_the_labels_and_unknown_is_no_style():
    solos = [Solo([], bars(1), labels={"style": "bebop"}), Solo([], bars(1), labels={"style": "unknown"}),
             Solo([], bars(1))]
    assert style_labels(solos) == ["bebop", None, None]


def test_the_register_given_is_the_instruments_not_the_solos_median():
    config = {"default_register": 64}
    high = Solo([Note(90, 0, 12)], bars(1), labels={"instrument": "tp"})
    assert solo_program(high) == 56 and given_register(high, config) == 70  # the trumpet's centre, not 90
    assert given_register(replace(high, labels={"instrument": "66"}), config) == 63
    assert given_register(replace(high, labels={}), config) == 64 and given_register(high, {}) == 70
    assert given_register(replace(high, labels={"instrument": "kazoo"}), {}) is None


def test_generation_over_a_solo_hears_its_tempo_and_labels():
    cool = Solo([], bars(1), tempi=[(0, 100.0), (12, 140.0), (24, 150.0)], labels={"style": "COOL"})
    assert given_tempo(cool) == 140.0 and given_tempo(Solo([], bars(1), tempo=90.0)) == 90.0
    assert np.allclose(given_context(cool), performance_context(140.0, {"style": "cool"}))
    assert not np.allclose(given_context(cool), performance_context(140.0))


def register_bundle(tmp_path) -> Bundle:
    """A tiny untrained model with a register path of strong random weights."""
    config = ModelConfig(TOK.size, embedding=8, hidden=8, layers=1, dropout=0.0, condition=0, skip=True,
                         intervals=False, register=True, echo=False, first_pitch=TOK.first("pitch"))
    keras.utils.set_random_seed(0)
    model = build_model(config)
    layer = model.get_layer("register_logits")
    layer.set_weights([np.random.default_rng(1).normal(scale=2.0, size=w.shape) for w in layer.get_weights()])
    return Bundle(tmp_path, model, TOK, {"model": config.to_dict(), "default_register": 65})


def test_scoring_a_solos_start_does_not_see_its_end(tmp_path):
    """Moving the second half of a solo up two octaves leaves every score of the first half as it was."""
    bundle = register_bundle(tmp_path)
    notes = [Note(60 + (k % 5), 12 * k, 12) for k in range(32)]
    low = Solo(notes, bars(8))
    high = replace(low, notes=notes[:16] + [n._replace(pitch=n.pitch + 24) for n in notes[16:]])
    inputs = [encode(bundle, s) for s in (low, high)]
    assert set(inputs[0]["register"]) == {register_slot(65)} == set(inputs[1]["register"])
    first, second = batch_logits(forward_function(bundle.model), inputs)
    cut = 1 + 3 * 16 + 4  # <bos>, the first 16 notes (pos pitch dur) and the four bar lines before the 17th
    np.testing.assert_allclose(first[:cut], second[:cut], rtol=1e-5, atol=1e-5)
    assert not np.allclose(first, second)


def test_the_generated_side_pools_every_draw_and_the_real_side_counts_once():
    busy = Solo([Note(60, 3 * k, 3) for k in range(64)], bars(4))
    sparse = Solo([Note(60, 24 * k, 12) for k in range(8)], bars(4))
    rows = breakdown([busy], [[sparse], [busy]], ["fast"], {})
    assert rows["fast"]["solos"] == 1
    assert rows["fast"]["notes_per_beat"] == {"real": 4.0, "generated": (8 + 64) / 32}


def test_the_report_table_has_a_row_per_band_with_both_sides():
    from jazz.report.evaluation import format_breakdown

    busy = Solo([Note(60, 3 * k, 3) for k in range(64)], bars(4))
    sparse = Solo([Note(60, 24 * k, 12) for k in range(8)], bars(4))
    by_test = {"bebop": {"accuracy": 0.8125, "windows": 4, "silent_share": {"real": 0.0, "generated": 0.25}}}
    lines = format_breakdown(breakdown([busy], [[sparse]], ["bebop"], by_test))
    row = next(line for line in lines if line.strip().startswith("bebop"))
    assert row.split() == ["bebop", "1", "4.00", "0.50", "1.00", "0.00", "-", "-", "0.812", "0.00", "0.25"]
