"""The hand-built cells against Keras' own, their serialization, training, and the layer factory."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from jazz.model.cells import (
    CELL_KINDS,
    GRUCell,
    LSTMCell,
    SimpleRNNCell,
    recurrent_layer,
)

TOL = 1e-5
N_X, UNITS, BATCH, STEPS = 5, 6, 4, 9

# hand cell class -> a built-in Keras cell computing the same function
PAIRS = {
    "lstm": (LSTMCell, lambda: keras.layers.LSTMCell(UNITS)),
    "gru": (GRUCell, lambda: keras.layers.GRUCell(UNITS, reset_after=False)),
    "rnn": (SimpleRNNCell, lambda: keras.layers.SimpleRNNCell(UNITS)),
}


def randn(rng: np.random.Generator, *shape: int, scale: float = 1.0) -> np.ndarray:
    return (scale * rng.standard_normal(shape)).astype("float32")


def builtin_with_random_weights(make: callable, rng: np.random.Generator) -> keras.layers.Layer:
    """A built Keras cell whose weights (biases included) are all random, so no gate is trivial."""
    cell = make()
    cell.build((None, N_X))
    for w in cell.weights:
        w.assign(randn(rng, *w.shape, scale=0.5))
    return cell


def states_for(cell: keras.layers.Layer, rng: np.random.Generator) -> list[np.ndarray]:
    sizes = cell.state_size if isinstance(cell.state_size, (list, tuple)) else [cell.state_size]
    return [randn(rng, BATCH, s) for s in sizes]


def as_numpy(values) -> list[np.ndarray]:
    return [keras.ops.convert_to_numpy(v) for v in values]


def loaded_pair(name: str, rng: np.random.Generator):
    """Keras' built-in cell with random weights, and the hand-built cell loaded with the same weights."""
    hand_class, make = PAIRS[name]
    builtin = builtin_with_random_weights(make, rng)
    hand = hand_class(UNITS)
    hand.load_keras_weights(builtin)
    return builtin, hand


@pytest.mark.parametrize("name", PAIRS)
def test_single_step_matches_builtin(name: str) -> None:
    rng = np.random.default_rng(0)
    builtin, hand = loaded_pair(name, rng)

    x, states = randn(rng, BATCH, N_X), states_for(builtin, rng)
    want, want_states = builtin(x, states)
    got, got_states = hand(x, states)

    assert np.std(keras.ops.convert_to_numpy(want)) > 0.05  # a real, non-saturated output
    np.testing.assert_allclose(keras.ops.convert_to_numpy(got), keras.ops.convert_to_numpy(want), atol=TOL)
    assert len(got_states) == len(want_states)
    for g, w in zip(as_numpy(got_states), as_numpy(want_states)):
        np.testing.assert_allclose(g, w, atol=TOL)


@pytest.mark.parametrize("name", PAIRS)
def test_sequence_matches_builtin(name: str) -> None:
    rng = np.random.default_rng(1)
    builtin, hand = loaded_pair(name, rng)

    x, initial = randn(rng, BATCH, STEPS, N_X), states_for(builtin, rng)
    want = keras.layers.RNN(builtin, return_sequences=True, return_state=True)(x, initial_state=initial)
    got = keras.layers.RNN(hand, return_sequences=True, return_state=True)(x, initial_state=initial)

    assert len(got) == len(want)
    for g, w in zip(as_numpy(got), as_numpy(want)):
        np.testing.assert_allclose(g, w, atol=TOL)


def test_lstm_loads_from_builtin_layer_and_keeps_seed_names() -> None:
    rng = np.random.default_rng(2)
    layer = keras.layers.LSTM(UNITS, return_sequences=True)
    x = randn(rng, BATCH, STEPS, N_X)
    layer(x)
    for w in layer.weights:
        w.assign(randn(rng, *w.shape, scale=0.5))
    hand = LSTMCell(UNITS)
    hand.load_keras_weights(layer)  # a built-in layer is read through its .cell
    got = keras.layers.RNN(hand, return_sequences=True)(x)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(got), keras.ops.convert_to_numpy(layer(x)), atol=TOL)


def test_gru_update_gate_is_one_minus_keras_z() -> None:
    rng = np.random.default_rng(3)
    builtin = builtin_with_random_weights(PAIRS["gru"][1], rng)
    hand = GRUCell(UNITS)
    hand.load_keras_weights(builtin)
    z_kernel = builtin.kernel.numpy()[:, :UNITS]
    np.testing.assert_array_equal(hand.kernel.numpy()[:, :UNITS], -z_kernel)
    r_recurrent = builtin.recurrent_kernel.numpy()[:, UNITS : 2 * UNITS]
    np.testing.assert_array_equal(hand.recurrent_kernel.numpy()[:, UNITS:], r_recurrent)


def test_lstm_forget_bias_starts_at_one() -> None:
    cell = LSTMCell(3)
    cell.build((None, 2))
    bias = cell.bias.numpy()
    np.testing.assert_array_equal(bias, [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])  # u | f | c | o


@pytest.mark.parametrize(
    ("hand", "builtin", "error", "match"),
    [
        (LSTMCell(UNITS), keras.layers.GRUCell(UNITS, reset_after=False), TypeError, "LSTMCell"),
        (GRUCell(UNITS), keras.layers.LSTMCell(UNITS), TypeError, "GRUCell"),
        (SimpleRNNCell(UNITS), keras.layers.GRUCell(UNITS), TypeError, "SimpleRNNCell"),
        (GRUCell(UNITS), keras.layers.GRUCell(UNITS), ValueError, "reset_after=False"),
        (LSTMCell(UNITS + 1), keras.layers.LSTMCell(UNITS), ValueError, "units"),
        (SimpleRNNCell(UNITS), keras.layers.SimpleRNNCell(UNITS, activation="relu"), ValueError, "tanh"),
    ],
)
def test_load_keras_weights_rejects_mismatches(hand, builtin, error, match) -> None:
    builtin.build((None, N_X))
    with pytest.raises(error, match=match):
        hand.load_keras_weights(builtin)


def test_load_keras_weights_needs_a_built_builtin() -> None:
    with pytest.raises(ValueError, match="build"):
        LSTMCell(UNITS).load_keras_weights(keras.layers.LSTMCell(UNITS))


def test_sizes_and_config() -> None:
    assert LSTMCell(7).state_size == [7, 7]
    assert GRUCell(7).state_size == 7 and SimpleRNNCell(7).state_size == 7
    assert all(c(7).output_size == 7 for c in (LSTMCell, GRUCell, SimpleRNNCell))
    cell = LSTMCell(7, dropout=0.25, seed=3, name="seed_lstm")
    again = LSTMCell.from_config(cell.get_config())
    assert (again.units, again.dropout, again.seed, again.name) == (7, 0.25, 3, "seed_lstm")
    with pytest.raises(ValueError, match="dropout"):
        GRUCell(4, dropout=1.0)


def test_dropout_drops_inputs_in_training_only() -> None:
    # With Wax = I and no recurrence, a = tanh(mask * x): the mask can be read back exactly.
    n = 64
    cell = SimpleRNNCell(n, dropout=0.5, seed=7)
    cell.build((None, n))
    cell.kernel.assign(np.eye(n, dtype="float32"))
    cell.recurrent_kernel.assign(np.zeros((n, n), "float32"))
    x = np.full((8, n), 0.1, "float32")
    zero = [np.zeros((8, n), "float32")]

    infer, _ = cell(x, zero, training=False)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(infer), np.tanh(x), atol=1e-6)

    train, _ = cell(x, zero, training=True)
    scale = np.arctanh(keras.ops.convert_to_numpy(train)) / x
    dropped, kept = np.isclose(scale, 0.0, atol=1e-4), np.isclose(scale, 2.0, atol=1e-4)  # kept: x / (1 - 0.5)
    assert np.all(dropped | kept)
    assert 0.4 < dropped.mean() < 0.6


def small_model(kind: str) -> keras.Model:
    inputs = keras.Input((STEPS, N_X))
    hidden = recurrent_layer(kind, UNITS, name="recurrent")(inputs)
    return keras.Model(inputs, keras.layers.Dense(3)(hidden))


@pytest.mark.parametrize("kind", ["hand-lstm", "hand-gru", "rnn"])
def test_save_and_reload(kind: str, tmp_path) -> None:
    keras.utils.set_random_seed(4)
    model = small_model(kind)
    x = randn(np.random.default_rng(4), BATCH, STEPS, N_X)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)

    assert type(loaded.get_layer("recurrent").cell) is type(model.get_layer("recurrent").cell)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_hand_lstm_loss_goes_down() -> None:
    # Next-token prediction on a cycle 0..7: easy for an LSTM, impossible to guess at first.
    keras.utils.set_random_seed(5)
    vocab, length = 8, 12
    starts = np.random.default_rng(5).integers(0, vocab, size=(32, 1))
    seq = (starts + np.arange(length + 1)) % vocab
    x, y = seq[:, :-1], seq[:, 1:]

    inputs = keras.Input((length,), dtype="int32")
    hidden = recurrent_layer("hand-lstm", 16)(keras.layers.Embedding(vocab, 8)(inputs))
    model = keras.Model(inputs, keras.layers.Dense(vocab)(hidden))
    model.compile(keras.optimizers.Adam(0.03), keras.losses.SparseCategoricalCrossentropy(from_logits=True))

    history = model.fit(x, y, batch_size=32, epochs=25, verbose=0).history["loss"]
    assert history[0] > 1.5  # about ln 8 = 2.08 at the start
    assert history[-1] < 0.5 * history[0]


@pytest.mark.parametrize("kind", CELL_KINDS)
def test_recurrent_layer_cell_drives_the_sequence_step_by_step(kind: str) -> None:
    keras.utils.set_random_seed(6)
    layer = recurrent_layer(kind, UNITS, dropout=0.2, name=f"{kind}_layer")
    x = randn(np.random.default_rng(6), BATCH, STEPS, N_X)
    whole = keras.ops.convert_to_numpy(layer(x))

    assert layer.return_sequences and layer.name == f"{kind}_layer"
    assert whole.shape == (BATCH, STEPS, UNITS)
    states = layer.cell.get_initial_state(batch_size=BATCH)
    for t in range(STEPS):  # the sampler's use: one step at a time, carrying the state
        out, states = layer.cell.call(x[:, t], states, training=False)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(out), whole[:, t], atol=TOL)


def test_recurrent_layer_kinds() -> None:
    assert CELL_KINDS == ("lstm", "hand-lstm", "gru", "hand-gru", "rnn")
    expected = {
        "lstm": keras.layers.LSTMCell,
        "hand-lstm": LSTMCell,
        "gru": keras.layers.GRUCell,
        "hand-gru": GRUCell,
        "rnn": SimpleRNNCell,
    }
    for kind, cell_type in expected.items():
        assert type(recurrent_layer(kind, 4).cell) is cell_type
    assert recurrent_layer("gru", 4).cell.reset_after  # Keras' default, documented
    assert recurrent_layer("hand-lstm", 4, dropout=0.3).cell.dropout == 0.3


def test_unknown_kind_lists_the_kinds() -> None:
    with pytest.raises(ValueError, match="unknown cell kind 'transformer'.*hand-lstm"):
        recurrent_layer("transformer", 4)
