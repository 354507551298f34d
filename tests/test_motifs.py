"""The motif memory: echoes of earlier figures, in NumPy for training and step by step for sampling."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from jazz.midi.read import read_midi
from jazz.model.motifs import (
    ECHO_ORDERS,
    MEMORY_NOTES,
    WINDOW,
    echo_inputs,
    echo_slots,
    history_echo,
    history_pitch_classes,
    history_push,
    history_start,
    pitch_class_shares,
)
from jazz.model.paths import EchoLogits
from jazz.model.tokens import Tokenizer
from jazz.music.notes import LOWEST_PITCH, Bar, Note, Solo

TOK = Tokenizer()
ORDER_2 = ECHO_ORDERS.index(2)


def slots(pitches: list[int]) -> np.ndarray:
    return np.array([1 + p - LOWEST_PITCH for p in pitches])


def pitch(slot: int) -> int:
    return slot - 1 + LOWEST_PITCH


def test_a_figure_played_again_echoes_where_it_went_in_any_key():
    # +2 +2 +1, a leap, then +2 +2 again: the order-2 echo is the +1 that followed the first time
    echoes = echo_slots(slots([60, 62, 64, 65, 70, 72, 74]))
    assert pitch(echoes[6, ORDER_2]) == 75
    assert echoes[2, ORDER_2] == 0  # the first time, nothing to echo
    assert not echoes[6, ECHO_ORDERS.index(3)]  # +5 +2 +2 was never played before


def test_echoes_that_leave_the_piano_or_the_window_are_dropped():
    assert echo_slots(slots([60, 62, 64, 34, 30, 32, 34]))[6, ORDER_2] == 0  # 34 - 30 is below A0
    def last_echo(filler: int) -> int:  # +2 +2 +1, repeated notes, then +2 +2 again
        return int(echo_slots(slots([60, 62, 64, 65] + [65] * filler + [67, 69]))[-1, ORDER_2])

    assert pitch(last_echo(10)) == 70
    assert pitch(last_echo(WINDOW - 6)) == 70 and last_echo(WINDOW - 5) == 0  # the first 60 just leaves the window


def random_solo_slots(seed: int, notes: int = 600) -> np.ndarray:
    """A random walk that now and then replays one of a few figures: plenty of echoes of every order."""
    rng = np.random.default_rng(seed)
    figures = [rng.integers(-5, 6, size=int(rng.integers(3, 7))) for _ in range(4)]
    steps: list[int] = []
    while len(steps) < notes:
        steps += list(figures[rng.integers(4)]) if rng.random() < 0.5 else list(rng.integers(-7, 8, size=3))
    return np.clip(40 + np.cumsum([0] + steps[:notes - 1]), 1, 88)


def stepwise_echoes(played: np.ndarray) -> np.ndarray:
    history, out = history_start(1), []
    for slot in played:
        history = history_push(history, np.array([slot], dtype=np.int32))
        out.append(history_echo(history)[0])
    return np.array(out)


@pytest.mark.parametrize("seed", [0, 1])
def test_the_samplers_history_gives_the_same_echoes(seed):
    played = random_solo_slots(seed)
    expected = echo_slots(played)
    assert (expected > 0).mean(axis=0).min() > 0.1  # the test sees echoes of every order
    assert np.array_equal(stepwise_echoes(played), expected)


def test_the_samplers_history_on_a_real_solo(wjazzd_midi):
    solo, _ = read_midi(wjazzd_midi / "ArtPepper_Anthropology_FINAL.mid")
    played = slots([n.pitch for n in solo.notes])
    assert np.array_equal(stepwise_echoes(played), echo_slots(played))


def test_the_history_in_keras_ops_matches_numpy_at_every_step():
    played = random_solo_slots(3, notes=WINDOW + 40)  # a window filling up, then full
    rows = [played, played[::-1]]
    expected = [echo_slots(row) for row in rows]
    history = history_start(2)
    for n, step in enumerate(np.stack(rows, axis=1).astype(np.int32)):
        history = history_push(history, keras.ops.convert_to_tensor(step), keras.ops)
        got = keras.ops.convert_to_numpy(history_echo(history, keras.ops))
        assert got.tolist() == [expected[0][n].tolist(), expected[1][n].tolist()], f"note {n}"


def test_every_token_carries_the_echoes_after_the_latest_note():
    melody = [60, 62, 64, 60, 62, 64]
    solo = Solo([Note(p, 6 * i, 6) for i, p in enumerate(melody)], [Bar(0)])
    ids = TOK.encode(solo)
    per_token = echo_inputs(TOK.pitch_slots[ids])
    per_note = echo_slots(slots(melody))
    notes_so_far = np.cumsum(TOK.pitch_slots[ids] > 0)
    for t, count in enumerate(notes_so_far):
        assert per_token[t].tolist() == (per_note[count - 1].tolist() if count else [0] * len(ECHO_ORDERS))
    assert pitch(per_note[5, ORDER_2]) == 60  # +2 +2 went down a third the first time


def test_echo_logits_lift_each_echoed_pitch_by_its_orders_weight():
    layer = EchoLogits(TOK.size, TOK.first("pitch"))
    layer.build((None, None, len(ECHO_ORDERS)))
    layer.set_weights([np.array([1.0, 2.0, 4.0])])
    echo = np.array([[slots([60, 60, 0]), slots([60, 62, 64]), [0, 0, 0]]], dtype="int32")
    echo[0, 0, 2] = 0  # no order-4 echo in the first step
    out = keras.ops.convert_to_numpy(layer(echo))[0]
    at = lambda p: TOK.index[f"pitch:{p}"]
    assert out[0, at(60)] == 3.0 and np.count_nonzero(out[0]) == 1  # two orders agree: their weights add
    assert (out[1, at(60)], out[1, at(62)], out[1, at(64)]) == (1.0, 2.0, 4.0) and np.count_nonzero(out[1]) == 3
    assert not out[2].any()


def test_the_pitch_class_memory_counts_the_last_notes_before_each_note():
    played = slots([60, 72, 64, 61] + [67] * MEMORY_NOTES)
    shares = pitch_class_shares(played)
    assert not shares[0].any() and shares[1][0] == 1.0  # nothing before the first; C before the second
    assert shares[4][[0, 4, 1]].tolist() == [0.5, 0.25, 0.25]  # C C E C#
    assert shares[-1][7] == pytest.approx((MEMORY_NOTES - 1) / MEMORY_NOTES) and shares[-1][1] == pytest.approx(
        1 / MEMORY_NOTES)  # the C's and the E have left the memory


def test_the_samplers_pitch_class_memory_matches_numpy_at_every_step():
    played = random_solo_slots(4, notes=60)
    rows = [played, played[::-1]]
    expected = [pitch_class_shares(row) for row in rows]
    history, ops_history = history_start(2), history_start(2)
    for n, step in enumerate(np.stack(rows, axis=1).astype(np.int32)):
        got = keras.ops.convert_to_numpy(history_pitch_classes(ops_history, xp=keras.ops))
        assert np.allclose(history_pitch_classes(history), [expected[0][n], expected[1][n]]), f"note {n}"
        assert np.allclose(got, [expected[0][n], expected[1][n]]), f"note {n}"
        history = history_push(history, step)
        ops_history = history_push(ops_history, keras.ops.convert_to_tensor(step), keras.ops)
