"""The step-by-step sampler against the whole model, and the per-step inputs it computes on the way."""

from __future__ import annotations

import itertools

import keras
import numpy as np
import pytest

from jazz.midi.read import read_midi
from jazz.model.features import (
    CONDITION_SIZE,
    ChordTimeline,
    chord_condition,
    chord_tables,
    model_inputs,
    pitch_memory,
    register_slot,
    solo_centre,
)
from jazz.model.motifs import ECHO_ORDERS, history_start
from jazz.model.network import build_model
from jazz.model.paths import IntervalLogits, RegisterLogits
from jazz.model.sample import (
    BAND_COUNT,
    Sampler,
    band_table,
    banded_nucleus,
    choose,
    nucleus,
    sample,
)
from jazz.model.context import CONTEXT_SIZE
from jazz.model.tokens import BOS, EOS, Grammar, Tokenizer, grammar_start, grammar_tables
from jazz.music.notes import LOWEST_PITCH, Bar, ChordChange, Note, Solo
from jazz.settings import ModelConfig, Sampling

TOK = Tokenizer()


def skip_config(condition: int, cell: str = "lstm") -> ModelConfig:
    return ModelConfig(TOK.size, embedding=8, hidden=16, layers=2, dropout=0.0, cell=cell, condition=condition,
                       skip=True, intervals=True, register=True, echo=True,
                       first_pitch=TOK.first("pitch"))


def skip_model(condition: int, cell: str = "lstm") -> keras.Model:
    """A small untrained model whose skip paths carry random (non-zero) weights."""
    keras.utils.set_random_seed(0)
    model = build_model(skip_config(condition, cell))
    rng = np.random.default_rng(1)
    names = ("pitch_logits", "interval_logits", "register_logits", "echo_logits", "chord_logits")
    for name in names[:4 + bool(condition)]:
        layer = model.get_layer(name)
        layer.set_weights([rng.normal(scale=2.0, size=w.shape) for w in layer.get_weights()])
    model.get_layer("echo_logits").set_weights([8.0 * 2.0 ** np.arange(len(ECHO_ORDERS))])  # strong: figures come back
    return model


def test_last_pitch_of_hand_made_solo():
    solo = Solo([Note(60, 0, 12), Note(67, 60, 6)], [Bar(0), Bar(48)])
    ids = TOK.encode(solo)  # <bos> bar pos pitch dur bar pos pitch dur <eos>
    latest, before = pitch_memory(TOK, ids)
    slot = lambda p: 0 if p == 0 else 1 + p - LOWEST_PITCH
    assert latest.tolist() == [slot(p) for p in [0, 0, 0, 60, 60, 60, 60, 67, 67, 67]]
    assert before.tolist() == [slot(p) for p in [0, 0, 0, 0, 0, 0, 0, 60, 60, 60]]


def test_last_pitch_follows_the_grammar(wjazzd_midi):
    solo, _ = read_midi(wjazzd_midi / "ArtPepper_Anthropology_FINAL.mid")
    ids = TOK.encode(solo)
    grammar, seen = Grammar(TOK, 1), [(0, 0)]
    for token in ids[1:]:
        grammar.advance(np.array([token]))
        seen.append((int(grammar.last_pitch[0]), int(grammar.previous_pitch[0])))
    assert list(zip(*(a.tolist() for a in pitch_memory(TOK, ids)))) == seen
    assert len(set(seen)) > 20


@pytest.mark.parametrize("condition, cell, slots", [(CONDITION_SIZE, "lstm", None), (0, "hand-gru", None),
                                                    (CONDITION_SIZE, "lstm", 1)])
def test_sampler_takes_the_whole_models_best_token(condition, cell, slots):
    """Near-zero temperature: every sampled token is the argmax of the full model's allowed logits; with one
    row the second solo is drawn on the row the first one left, so its state, chords and register must have
    been replaced."""
    model = skip_model(condition, cell)
    changes = [ChordChange(0, "Dm7"), ChordChange(48, "G7"), ChordChange(96, "Cmaj7")]
    other = [ChordChange(0, "F#7"), ChordChange(72, "Bbm7")]
    plan = ["4/4"] * 8
    greedy = Sampling(temperature=1e-6, top_p=1.0, rhythm_temperature=None, pitch_memory=0.0)
    rows = sample(model, TOK, 2, plan, greedy, seed=3, chords=[changes, other], register=[58, 74], slots=slots)
    echoed = np.zeros(len(ECHO_ORDERS), dtype=bool)
    for ids, centre, chords in zip(rows, [58, 74], [changes, other]):
        solo = TOK.decode(ids)
        solo = Solo(solo.notes, solo.bars, chords=chords)
        inputs = model_inputs(TOK, solo, skip_config(condition, cell))
        assert inputs["tokens"].tolist() == ids.tolist()
        inputs["register"] = np.full_like(inputs["register"], register_slot(centre))  # as sampled, not as played
        echoed |= (inputs["echo"] > 0).any(axis=0)
        logits = keras.ops.convert_to_numpy(model({k: v[None] for k, v in inputs.items()}))[0]
        grammar = Grammar(TOK, 1, plan)
        grammar.advance(ids[:1])
        for t in range(1, len(ids)):
            allowed = np.where(grammar.mask()[0], logits[t - 1], -np.inf)
            assert ids[t] == int(np.argmax(allowed))
            grammar.advance(ids[t:t + 1])
        assert len(solo.notes) > 0
    assert echoed.all(), "the sampled solos should exercise the motif memory of every order"


def test_batched_chord_lookup_equals_the_training_timeline(metheny):
    """The sampler's lookup (padded rows, counting) gives what training's searchsorted gives, at every step."""
    solo, _ = read_midi(metheny, track="Guitar")
    times = np.arange(-5, solo.total_steps + 50)
    expected = ChordTimeline(solo.chords).condition(times)
    tables = chord_tables([solo.chords] * len(times), slots=len(solo.chords) + 7)
    assert np.array_equal(chord_condition(tables, times), expected)
    assert len(solo.chords) > 50 and len({tuple(row) for row in expected}) > 10


@pytest.mark.parametrize("top_p", [0.3, 0.9, 0.95, 1.0])
def test_nucleus_keeps_the_smallest_most_likely_set(top_p):
    """The bisected threshold keeps exactly the tokens a sort would keep."""
    rng = np.random.default_rng(7)
    probs = np.concatenate([rng.dirichlet(np.full(240, a), size=50) for a in (0.05, 0.3, 3.0)]).astype(np.float32)
    kept = keras.ops.convert_to_numpy(nucleus(keras.ops.convert_to_tensor(probs), top_p)) > 0
    for row, p in zip(kept, probs):
        order = np.argsort(-p)
        mass = p[order].astype(np.float64)
        before = np.cumsum(mass) - mass
        expected = np.zeros(len(p), dtype=bool)
        expected[order[(before < top_p) | (top_p >= 1.0)]] = True  # 1: no cut at all
        assert np.array_equal(row, expected & (p > 0))  # a token of probability 0 is never drawn either way


def test_choose_inverts_the_masked_distribution():
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(400, 240)).astype(np.float32)
    mask = rng.random((400, 240)) < 0.3
    u = rng.random(400).astype(np.float32)
    ids = keras.ops.convert_to_numpy(choose(logits, mask, u, 1.0, 1.0))
    assert mask[np.arange(400), ids].all()
    probs = np.where(mask, np.exp(logits - logits.max(axis=1, keepdims=True)), 0.0)
    cdf = np.cumsum(probs, axis=1) / probs.sum(axis=1, keepdims=True)
    expected = (cdf < u[:, None]).sum(axis=1)
    assert (ids == expected).mean() > 0.99  # float32 rounding may move a draw that lands on a boundary


def test_a_draw_at_zero_or_one_never_takes_a_masked_token():
    logits = np.zeros((4, 6), dtype=np.float32)
    mask = np.array([[False, True, True, True, True, True], [False, False, False, True, False, False]] * 2)
    u = np.array([0.0, 0.0, np.nextafter(np.float32(1), np.float32(0)), 1.0], dtype=np.float32)
    ids = keras.ops.convert_to_numpy(choose(logits, mask, u, 1.0, 1.0))
    assert ids.tolist() == [1, 3, 5, 3]


def test_interval_logits_place_the_table_around_the_last_pitch():
    layer = IntervalLogits(TOK.size, TOK.first("pitch"), reach=12)
    layer.build(None)
    table = np.arange(26 * 25, dtype=np.float32).reshape(26, 25)
    layer.set_weights([table])
    slot = lambda p: 1 + p - LOWEST_PITCH
    last = np.array([[slot(60), slot(60), 0]], dtype="int32")
    previous = np.array([[slot(58), 0, 0]], dtype="int32")
    out = keras.ops.convert_to_numpy(layer([last, previous]))[0]
    pitch = lambda p: TOK.index[f"pitch:{p}"]
    assert out[0, pitch(62)] == table[12 + 2, 12 + 2]  # after +2, the score of +2
    assert out[0, pitch(48)] == table[14, 0] and out[0, pitch(47)] == 0.0  # beyond the reach: no bias
    assert out[1, pitch(59)] == table[25, 11]  # no previous note: the "unknown" row
    assert not out[2].any()  # no note yet
    assert not out[:, :TOK.first("pitch")].any() and not out[:, TOK.first("dur"):].any()


def test_register_logits_score_each_pitch_by_its_distance_from_the_centre():
    layer = RegisterLogits(TOK.size, TOK.first("pitch"), reach=30)
    layer.build(None)
    table = np.arange(61, dtype=np.float32) - 30.0  # the score of a distance d is d
    layer.set_weights([table])
    centre = np.array([[register_slot(63), 0]], dtype="int32")
    out = keras.ops.convert_to_numpy(layer(centre))[0]
    pitch = lambda p: TOK.index[f"pitch:{p}"]
    assert out[0, pitch(63)] == 0.0 and out[0, pitch(70)] == 7.0 and out[0, pitch(51)] == -12.0
    assert out[0, pitch(100)] == 30.0 and out[0, pitch(21)] == -30.0  # beyond the reach: the outermost score
    assert not out[1].any()  # an unknown register: no bias
    assert not out[:, :TOK.first("pitch")].any() and not out[:, TOK.first("dur"):].any()


def test_the_register_input_is_the_solos_median_pitch_at_every_step():
    solo = Solo([Note(p, 12 * i, 6) for i, p in enumerate([60, 72, 64, 67, 62])], [Bar(0), Bar(48)])
    assert solo_centre(solo) == 64 and solo_centre(Solo([], [Bar(0)])) is None
    inputs = model_inputs(TOK, solo, skip_config(0))
    assert set(inputs["register"].tolist()) == {register_slot(64)}
    assert len(inputs["register"]) == len(inputs["tokens"])
    assert register_slot(None) == 0 and register_slot(12) == register_slot(LOWEST_PITCH) == 1


def test_model_with_every_path_saves_and_loads(tmp_path):
    model = skip_model(CONDITION_SIZE)
    solo = Solo([Note(60, 0, 12), Note(62, 12, 6), Note(65, 24, 6)], [Bar(0)], chords=[ChordChange(0, "F7")])
    inputs = {k: v[None] for k, v in model_inputs(TOK, solo, skip_config(CONDITION_SIZE)).items()}
    model.save(tmp_path / "m.keras")
    again = keras.saving.load_model(tmp_path / "m.keras")
    assert np.allclose(keras.ops.convert_to_numpy(model(inputs)), keras.ops.convert_to_numpy(again(inputs)))


def test_the_nucleus_cut_to_the_pitch_columns_draws_the_same_tokens():
    rng = np.random.default_rng(5)
    logits = rng.normal(scale=3.0, size=(300, TOK.size)).astype(np.float32)
    first, end = TOK.first("pitch"), TOK.first("dur")
    mask = np.zeros((300, TOK.size), dtype=bool)
    mask[:200, first:end] = True  # rows choosing a pitch
    mask[200:, end:] = True  # rows choosing a duration, not cut (top-p 1)
    top_p = np.where(np.arange(300) < 200, 0.7, 1.0).astype(np.float32)
    u = rng.random(300).astype(np.float32)
    whole = keras.ops.convert_to_numpy(choose(logits, mask, u, 1.0, top_p))
    cut = keras.ops.convert_to_numpy(choose(logits, mask, u, 1.0, top_p, cut=(first, end)))
    assert np.array_equal(whole, cut)
    assert mask[np.arange(300), cut].all()


def test_the_sampler_follows_a_figure_the_primer_plays():
    """The motif memory is wired into the compiled loop: after a primer that plays +2 +2 +1 and then +2 +2
    again, a model whose echo weights dominate plays the +1 (65); with the echo weights at zero it does not."""
    figure = [60, 62, 64, 65, 60, 62, 64]
    primer = TOK.encode(Solo([Note(p, 6 * i, 6) for i, p in enumerate(figure)], [Bar(0)]))[1:-1]
    model = skip_model(0)
    first_new_pitch = []
    for weight in (20.0, 0.0):
        model.get_layer("echo_logits").set_weights([np.full(len(ECHO_ORDERS), weight)])
        ids = sample(model, TOK, 1, ["4/4"] * 3, Sampling(temperature=1e-6, top_p=1.0, pitch_memory=0.0), seed=0,
                     primer=primer, register=62)[0]
        first_new_pitch.append([n.pitch for n in TOK.decode(ids).notes][len(figure)])
    assert first_new_pitch[0] == 65 and first_new_pitch[1] != 65


def test_interval_bands_split_size_and_direction():
    table = band_table(reach=20)
    band = {k: table[k + 20] for k in range(-20, 21)}
    assert band[0] == 0 and band[1] == band[2] != band[-1] == band[-2]
    assert band[3] == band[4] != band[5] == band[7] != band[8] == band[12] != band[13] == band[20]
    assert len(set(band.values())) == BAND_COUNT


def test_the_banded_nucleus_keeps_each_bands_mass_and_cuts_inside_it():
    rng = np.random.default_rng(11)
    probs = rng.dirichlet(np.full(88, 0.3), size=40).astype(np.float32)
    bands = rng.integers(0, BAND_COUNT, size=(40, 88)).astype(np.int32)
    out = keras.ops.convert_to_numpy(banded_nucleus(keras.ops.convert_to_tensor(probs), 0.8,
                                                    keras.ops.convert_to_tensor(bands)))
    for row in range(40):
        for b in range(BAND_COUNT):
            inside = bands[row] == b
            assert out[row, inside].sum() == pytest.approx(probs[row, inside].sum(), rel=1e-4, abs=1e-7)
            p = probs[row, inside]
            if p.sum() > 1e-6:
                order = np.argsort(-p)
                before = np.cumsum(p[order]) / p.sum() - p[order] / p.sum()
                expected = np.zeros(len(p), dtype=bool)
                expected[order[before < 0.8 - 1e-5]] = True
                assert np.array_equal(out[row, inside] > 0, expected & (p > 0))
    one_band = keras.ops.convert_to_numpy(banded_nucleus(keras.ops.convert_to_tensor(probs), 0.8,
                                                         keras.ops.convert_to_tensor(np.zeros_like(bands))))
    plain = keras.ops.convert_to_numpy(nucleus(keras.ops.convert_to_tensor(probs), 0.8))
    assert np.array_equal(one_band > 0, plain > 0)  # one band: the plain nucleus, rescaled


def test_a_temperature_per_row_is_each_rows_own():
    rng = np.random.default_rng(4)
    logits = rng.normal(scale=2.0, size=(200, 30)).astype(np.float32)
    mask = np.ones((200, 30), dtype=bool)
    u = rng.random(200).astype(np.float32)
    temperature = np.where(np.arange(200) % 2, 0.5, 1.5).astype(np.float32)
    both = keras.ops.convert_to_numpy(choose(logits, mask, u, temperature, 1.0))
    for t in (0.5, 1.5):
        rows = temperature == t
        alone = keras.ops.convert_to_numpy(choose(logits[rows], mask[rows], u[rows], t, 1.0))
        assert np.array_equal(both[rows], alone)


def test_pitch_bands_are_intervals_from_the_last_pitch():
    sampler = Sampler(skip_model(0), TOK)
    last = np.array([1 + 60 - LOWEST_PITCH, 0, 1 + 60 - LOWEST_PITCH], dtype=np.int32)
    bands = keras.ops.convert_to_numpy(sampler.pitch_bands(keras.ops.convert_to_tensor(last),
                                                           np.array([1.0, 1.0, 0.0], dtype=np.float32)))
    column = {p: p - TOK.low for p in (48, 59, 60, 61, 67, 72, 80)}
    table = band_table(reach=20)
    for pitch, j in column.items():
        assert bands[0, j] == table[pitch - 60 + 20]
    assert not bands[1].any() and not bands[2].any()  # before the first note, or banding off: one band


def test_a_solo_does_not_depend_on_the_row_or_the_batch_that_drew_it():
    """Each solo draws from its own stream: sampled with 1, 2 or 5 rows (rows refilled as solos end), the
    five solos, each over its own chords, register and tempo, come out the same."""
    from jazz.model.context import performance_context

    model, plan = skip_model(CONDITION_SIZE), ["4/4"] * 4
    chords = [[ChordChange(0, symbol)] for symbol in ("C7", "Ebm7", "Abmaj7", "D7", "G7")]
    context = np.stack([performance_context(bpm) for bpm in (70, 120, 160, 220, 300)])
    drawn = {slots: sample(model, TOK, 5, plan, Sampling(top_p=0.9), seed=11, chords=chords,
                           register=[55, 60, 65, 70, 75], context=context, slots=slots) for slots in (1, 2, 5)}
    for ids in drawn[5]:
        assert ids[-1] == TOK.index[EOS] and len(TOK.decode(ids).bars) == 4
    assert len({tuple(ids) for ids in drawn[5]}) == 5
    for slots in (1, 2):
        assert [ids.tolist() for ids in drawn[slots]] == [ids.tolist() for ids in drawn[5]]


def test_a_primer_starts_every_solo_also_on_refilled_rows():
    model = skip_model(0)
    primer = TOK.encode(Solo([Note(60, 0, 6), Note(64, 6, 6)], [Bar(0)]))[1:-1]
    for ids in sample(model, TOK, 3, ["4/4"] * 3, Sampling(), seed=1, primer=primer, slots=2):
        assert ids[1:1 + len(primer)].tolist() == primer.tolist()
        assert [n.pitch for n in TOK.decode(ids).notes[:2]] == [60, 64]


def test_banded_sampling_with_its_own_rhythm_temperature_makes_decodable_solos():
    model, plan = skip_model(0), ["4/4"] * 4
    rows = sample(model, TOK, 3, plan, Sampling(temperature=0.9, top_p=0.8, rhythm_temperature=1.1, banded=True), seed=2)
    for ids in rows:
        solo = TOK.decode(ids)
        assert len(solo.bars) == 4 and all(a.end <= b.onset for a, b in zip(solo.notes, solo.notes[1:]))


def test_a_strong_pitch_class_memory_keeps_the_first_notes_pitch_class_in_other_octaves():
    model, plan = skip_model(0), ["4/4"] * 4
    for ids in sample(model, TOK, 2, plan, Sampling(top_p=1.0, pitch_memory=60.0), seed=5):
        pitches = [n.pitch for n in TOK.decode(ids).notes]
        assert len({p % 12 for p in pitches}) == 1  # the memory holds one class
        assert all(a != b for a, b in itertools.pairwise(pitches))  # and never lifts the note just played


def test_a_strong_motif_memory_makes_a_model_without_an_echo_path_go_on_as_its_figures_went():
    from dataclasses import replace

    from jazz.model.motifs import echo_slots

    keras.utils.set_random_seed(3)
    model = build_model(replace(skip_config(0), echo=False))
    model.get_layer("pitch_logits").set_weights([np.random.default_rng(2).normal(scale=2.0, size=w.shape)
                                                 for w in model.get_layer("pitch_logits").get_weights()])

    figure = Solo([Note(p, 6 * i, 6) for i, p in enumerate([60, 62, 64, 60, 62, 64, 60, 62])], [Bar(0)])
    primer = TOK.encode(figure)[1:-1]  # a bar of +2 +2 -4 played twice and a bit: the line has a figure to echo

    def followed(motif: float) -> tuple[int, int]:
        """(notes after the primer that have an echo, of those the ones that play an echoed pitch)"""
        echoed = hits = 0
        for ids in sample(model, TOK, 3, ["4/4"] * 4, Sampling(top_p=1.0, pitch_memory=0.0, motif_memory=motif),
                          seed=4, primer=primer):
            slots = np.array([n.pitch for n in TOK.decode(ids).notes]) - LOWEST_PITCH + 1
            echoes = echo_slots(slots)[len(figure.notes) - 1:-1]  # after each note from the primer's last on
            following = slots[len(figure.notes):]
            has = (echoes > 0).any(axis=1)
            echoed += int(has.sum())
            hits += int(sum((echoes[i] == following[i]).any() for i in np.flatnonzero(has)))
        return echoed, hits

    echoed, hits = followed(60.0)
    assert echoed >= 10 and hits == echoed
    echoed, hits = followed(0.0)
    assert hits < echoed  # without the memory the untrained model wanders off its figures


def test_the_scored_motif_memory_lifts_each_echoed_pitch_once_per_order():
    from jazz.measure.likelihood import remembered

    # +2 +2 -4 twice, then +2: orders 2, 3 and 4 all echo +2 (up to 64) before the last note
    solo = Solo([Note(p, 12 * i, 12) for i, p in enumerate([60, 62, 64, 60, 62, 64, 60, 62, 64])],
                [Bar(0), Bar(48), Bar(96)])
    ids = TOK.encode(solo)
    logits = np.zeros((len(ids) - 1, TOK.size))
    lifted = remembered(TOK, ids, logits, 0.0, motif=0.5)
    first = TOK.first("pitch")
    pitch_rows = [t for t in range(len(ids) - 1) if TOK.vocab[ids[t + 1]].startswith("pitch:")]
    last = lifted[pitch_rows[-1], first:first + TOK.high - TOK.low + 1]  # before the last note
    assert last[64 - TOK.low] == pytest.approx(1.5)
    assert np.count_nonzero(last) == 1
    assert not lifted[pitch_rows[:3]].any()  # no figure to echo before the third interval
    assert np.array_equal(remembered(TOK, ids, logits, 0.0, motif=0.0), logits)


def bisected_banded_nucleus(probs, top_p, bands, rounds: int = 20):
    """The earlier banded nucleus, kept as the reference: a threshold per band found by bisection."""
    ops = keras.ops
    member = ops.one_hot(bands, BAND_COUNT)
    mass = ops.sum(probs[:, :, None] * member, axis=1)
    share = probs / ops.maximum(ops.sum(member * mass[:, None, :], axis=-1), 1e-30)
    target = ops.reshape(top_p, (-1, 1))

    def at(threshold):
        return ops.sum(member * threshold[:, None, :], axis=-1)

    def halve(_, bounds):
        low, high = bounds
        middle = (low + high) / 2
        enough = ops.sum(member * ops.where(share >= at(middle), share, 0.0)[:, :, None], axis=1) >= target
        return ops.where(enough, middle, low), ops.where(enough, high, middle)

    top = ops.max(member * share[:, :, None], axis=1)
    low, _ = ops.fori_loop(0, rounds, halve, (ops.zeros_like(top), top))
    kept = ops.where((share >= at(low)) | (target >= 1.0), probs, 0.0)
    scale = mass / ops.maximum(ops.sum(kept[:, :, None] * member, axis=1), 1e-30)
    return kept * at(scale)


@pytest.mark.parametrize("top_p", [0.5, 0.93, 1.0])
def test_the_pairwise_banded_nucleus_draws_what_the_bisected_one_drew(top_p, monkeypatch):
    """For fixed uniforms, the same tokens as the bisection, wherever no share lies within the bisection's
    tolerance (a millionth of the band's largest) below the threshold; with tied shares included."""
    rng = np.random.default_rng(13)
    rows, first, end = 600, TOK.first("pitch"), TOK.first("dur")
    logits = rng.normal(scale=2.5, size=(rows, TOK.size)).astype(np.float32)
    logits[::5, first:end:3] = logits[::5, first:first + 1]  # ties inside and across bands
    mask = np.zeros((rows, TOK.size), dtype=bool)
    mask[:, first:end] = rng.random((rows, end - first)) < 0.8
    bands = rng.integers(0, BAND_COUNT, size=(rows, end - first)).astype(np.int32)
    u = rng.random(rows).astype(np.float32)
    p = np.full(rows, top_p, np.float32)
    ops = keras.ops
    exp = np.where(mask[:, first:end], np.exp(logits[:, first:end] - logits.max(axis=1, keepdims=True)), 0.0)
    probs = ops.convert_to_tensor((exp / exp.sum(axis=1, keepdims=True)).astype(np.float32))
    new = ops.convert_to_numpy(banded_nucleus(probs, p, ops.convert_to_tensor(bands)))
    old = ops.convert_to_numpy(bisected_banded_nucleus(probs, p, ops.convert_to_tensor(bands)))
    assert np.array_equal(new > 0, old > 0)
    np.testing.assert_allclose(new, old, rtol=1e-5, atol=1e-9)
    drawn = ops.convert_to_numpy(choose(logits, mask, u, 0.9, p, (first, end), ops.convert_to_tensor(bands)))
    monkeypatch.setattr("jazz.model.sample.banded_nucleus", bisected_banded_nucleus)
    before = ops.convert_to_numpy(choose(logits, mask, u, 0.9, p, (first, end), ops.convert_to_tensor(bands)))
    assert np.array_equal(drawn, before)
    assert len(set(drawn.tolist())) > 50


def test_a_chunk_stops_once_every_row_has_ended():
    """The compiled loop leaves the steps after the last row's end undone: they read 0, and the recurrent
    states are those of the step where the last row ended."""
    model, plan = skip_model(0), ["4/4"] * 2
    sampler = Sampler(model, TOK)
    tokens = np.full(3, TOK.index[BOS], dtype=np.int32)
    fixed = (grammar_tables(TOK, plan, plan_slots=256), chord_tables([[]] * 3, slots=64),
             {"register": np.zeros(3, np.int32), "context": np.zeros((3, CONTEXT_SIZE), np.float32)})
    uniforms = np.random.default_rng(4).random((256, 3), dtype=np.float32)

    def run(steps: int):
        return sampler(tokens, sampler.initial_states(3), grammar_start(3), history_start(3), *fixed,
                       uniforms[:steps], np.full((steps, 3), -1, np.int32))

    ids = np.asarray(run(256)[-1])
    last = max(int(np.flatnonzero(column == TOK.index[EOS])[0]) for column in ids.T)  # the step the last row ends
    assert last < 200 and ids[last].max() > 0 and ids[last + 1:].max() == 0
    # the recurrent states stopped where the last row ended: as after exactly that many steps
    assert np.array_equal(np.asarray(run(256)[1]), np.asarray(run(last + 1)[1]))
