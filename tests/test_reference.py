"""The NumPy reference: gradient checks of every parameter and input, clipping, and Keras agreement."""

from __future__ import annotations

import numpy as np
import pytest

from jazz.lessons import reference as ref

N_X, N_A, N_Y, M, T_X = 3, 4, 3, 2, 4
TOLERANCE = 1e-7


def random_params(rng: np.random.Generator, names: tuple[str, ...], n_x: int = N_X, n_a: int = N_A) -> dict:
    """Gate weights (n_a, n_a + n_x) and biases (n_a, 1) for every gate letter in ``names``."""
    params = {}
    for gate in names:
        params["W" + gate] = rng.normal(0.0, 0.5, (n_a, n_a + n_x))
        params["b" + gate] = rng.normal(0.0, 0.5, (n_a, 1))
    return params


def rnn_params(rng: np.random.Generator) -> dict:
    return {
        "Wax": rng.normal(0.0, 0.5, (N_A, N_X)),
        "Waa": rng.normal(0.0, 0.5, (N_A, N_A)),
        "ba": rng.normal(0.0, 0.5, (N_A, 1)),
        "Wya": rng.normal(0.0, 0.5, (N_Y, N_A)),
        "by": rng.normal(0.0, 0.5, (N_Y, 1)),
    }


def check(loss, backward, variables: dict) -> dict[str, float]:
    """Run the gradient check and assert every relative error is below TOLERANCE."""
    errors = ref.gradient_check(loss, variables, backward(variables), epsilon=1e-5)
    assert set(errors) == set(variables)
    worst = max(errors, key=errors.get)
    assert errors[worst] < TOLERANCE, f"{worst}: relative error {errors[worst]:.2e}"
    return errors


# --- gradient checks: each loss is Σ a * weights over every step, so every step's upstream gradient matters


def test_rnn_cell_gradients() -> None:
    rng = np.random.default_rng(0)
    v = {"xt": rng.normal(size=(N_X, M)), "a_prev": rng.normal(size=(N_A, M)), **rnn_params(rng)}
    del v["Wya"], v["by"]  # the cell backward covers the recurrence; the output layer is checked below
    w = rng.normal(size=(N_A, M))

    def full(v):  # the cell forward also computes ŷ, so it needs some output weights
        return {**v, "Wya": np.zeros((N_Y, N_A)), "by": np.zeros((N_Y, 1))}

    def loss(v):
        return float(np.sum(ref.rnn_cell_forward(v["xt"], v["a_prev"], full(v))[0] * w))

    def backward(v):
        return ref.rnn_cell_backward(w, ref.rnn_cell_forward(v["xt"], v["a_prev"], full(v))[2])

    check(loss, backward, v)


def test_rnn_sequence_gradients_including_softmax_output() -> None:
    rng = np.random.default_rng(1)
    v = {"x": rng.normal(size=(N_X, M, T_X)), "a0": rng.normal(size=(N_A, M)), **rnn_params(rng)}
    w = rng.normal(size=(N_A, M, T_X))
    y = np.eye(N_Y)[rng.integers(N_Y, size=(M, T_X))].transpose(2, 0, 1)  # one-hot (n_y, m, T_x)

    def loss(v):
        a, y_pred, _ = ref.rnn_forward(v["x"], v["a0"], v)
        return float(np.sum(a * w)) + ref.cross_entropy(y_pred, y)

    def backward(v):
        a, y_pred, caches = ref.rnn_forward(v["x"], v["a0"], v)
        da, out_grads = ref.rnn_output_backward(y_pred, y, a, v)
        return {**ref.rnn_backward(da + w, caches), **out_grads}

    check(loss, backward, v)


def test_lstm_cell_gradients() -> None:
    rng = np.random.default_rng(2)
    v = {
        "xt": rng.normal(size=(N_X, M)),
        "a_prev": rng.normal(size=(N_A, M)),
        "c_prev": rng.normal(size=(N_A, M)),
        **random_params(rng, ref.LSTM_GATES),
    }
    wa, wc = rng.normal(size=(N_A, M)), rng.normal(size=(N_A, M))

    def loss(v):
        a, c, _ = ref.lstm_cell_forward(v["xt"], v["a_prev"], v["c_prev"], v)
        return float(np.sum(a * wa) + np.sum(c * wc))

    def backward(v):
        cache = ref.lstm_cell_forward(v["xt"], v["a_prev"], v["c_prev"], v)[2]
        return ref.lstm_cell_backward(wa, wc, cache)

    check(loss, backward, v)


def test_lstm_sequence_gradients() -> None:
    rng = np.random.default_rng(3)
    v = {
        "x": rng.normal(size=(N_X, M, T_X)),
        "a0": rng.normal(size=(N_A, M)),
        "c0": rng.normal(size=(N_A, M)),
        **random_params(rng, ref.LSTM_GATES),
    }
    w = rng.normal(size=(N_A, M, T_X))

    def loss(v):
        return float(np.sum(ref.lstm_forward(v["x"], v["a0"], v, v["c0"])[0] * w))

    def backward(v):
        return ref.lstm_backward(w, ref.lstm_forward(v["x"], v["a0"], v, v["c0"])[2])

    check(loss, backward, v)


def test_gru_cell_gradients() -> None:
    rng = np.random.default_rng(4)
    v = {"xt": rng.normal(size=(N_X, M)), "a_prev": rng.normal(size=(N_A, M)), **random_params(rng, ref.GRU_GATES)}
    w = rng.normal(size=(N_A, M))

    def loss(v):
        return float(np.sum(ref.gru_cell_forward(v["xt"], v["a_prev"], v)[0] * w))

    def backward(v):
        return ref.gru_cell_backward(w, ref.gru_cell_forward(v["xt"], v["a_prev"], v)[1])

    check(loss, backward, v)


def test_gru_sequence_gradients() -> None:
    rng = np.random.default_rng(5)
    v = {"x": rng.normal(size=(N_X, M, T_X)), "a0": rng.normal(size=(N_A, M)), **random_params(rng, ref.GRU_GATES)}
    w = rng.normal(size=(N_A, M, T_X))

    def loss(v):
        return float(np.sum(ref.gru_forward(v["x"], v["a0"], v)[0] * w))

    def backward(v):
        return ref.gru_backward(w, ref.gru_forward(v["x"], v["a0"], v)[1])

    check(loss, backward, v)


def test_gradient_check_catches_a_wrong_gradient() -> None:
    rng = np.random.default_rng(6)
    v = {"x": rng.normal(size=(N_X, M, T_X)), "a0": rng.normal(size=(N_A, M)), **random_params(rng, ref.GRU_GATES)}
    w = rng.normal(size=(N_A, M, T_X))
    grads = ref.gru_backward(w, ref.gru_forward(v["x"], v["a0"], v)[1])
    grads["dWr"] = grads["dWr"] * 1.01
    grads["da0"] = np.zeros_like(grads["da0"])  # as if the recurrent part were dropped
    errors = ref.gradient_check(lambda v: float(np.sum(ref.gru_forward(v["x"], v["a0"], v)[0] * w)), v, grads)
    assert errors["Wr"] > 1e-3
    assert errors["a0"] == pytest.approx(1.0)
    assert errors["Wu"] < TOLERANCE


def test_backward_adds_the_recurrent_gradient() -> None:
    """With upstream gradient only at the last step, earlier inputs still get gradient through time."""
    rng = np.random.default_rng(7)
    x, a0 = rng.normal(size=(N_X, M, T_X)), rng.normal(size=(N_A, M))
    da = np.zeros((N_A, M, T_X))
    da[:, :, -1] = 1.0
    params = random_params(rng, ref.LSTM_GATES)
    grads = ref.lstm_backward(da, ref.lstm_forward(x, a0, params)[2])
    assert np.all(np.abs(grads["dx"][:, :, 0]).sum(axis=0) > 0)
    assert np.abs(grads["da0"]).sum() > 0


# --- clipping


def test_clip_bounds_every_entry_and_returns_a_new_dict() -> None:
    grads = {"dW": np.array([[-12.0, 0.5], [3.0, 7.0]]), "db": np.array([[-0.1], [100.0]])}
    clipped = ref.clip(grads, 5.0)
    assert clipped is not grads
    np.testing.assert_array_equal(clipped["dW"], [[-5.0, 0.5], [3.0, 5.0]])
    np.testing.assert_array_equal(clipped["db"], [[-0.1], [5.0]])
    assert grads["dW"][0, 0] == -12.0 and grads["db"][1, 0] == 100.0  # the input is untouched


def test_clip_leaves_small_gradients_alone() -> None:
    grads = {"dWax": np.linspace(-1.0, 1.0, 6).reshape(2, 3)}
    np.testing.assert_array_equal(ref.clip(grads, 1.0)["dWax"], grads["dWax"])


# --- agreement with Keras' own cells


def float32(values: np.ndarray) -> np.ndarray:
    """Round to float32 precision (what Keras sees) but keep float64 for NumPy."""
    return values.astype(np.float32).astype(np.float64)


def keras_sequence(cell, x: np.ndarray, initial_state: list[np.ndarray], seed: int) -> tuple[np.ndarray, list]:
    """Set random weights on ``cell`` and run it over x (n_x, m, T_x). Returns (a (n_a, m, T_x), weights)."""
    import keras

    layer = keras.layers.RNN(cell, return_sequences=True)
    inputs = x.transpose(1, 2, 0).astype("float32")  # Keras wants (m, T_x, n_x)
    states = [s.T.astype("float32") for s in initial_state]
    layer(inputs, initial_state=states)  # builds the weights
    rng = np.random.default_rng(seed)
    weights = [rng.normal(0.0, 0.6, w.shape).astype("float32") for w in layer.get_weights()]
    layer.set_weights(weights)
    out = keras.ops.convert_to_numpy(layer(inputs, initial_state=states))
    return out.transpose(2, 0, 1).astype(np.float64), weights


def test_lstm_forward_matches_keras_lstm_cell() -> None:
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(8)
    n_x, n_a, m, T = 3, 5, 2, 6
    x, a0, c0 = (float32(rng.normal(size=shape)) for shape in [(n_x, m, T), (n_a, m), (n_a, m)])
    expected, weights = keras_sequence(keras.layers.LSTMCell(n_a), x, [a0, c0], seed=9)
    params = ref.lstm_params_from_keras(*weights)
    a, _, _ = ref.lstm_forward(x, a0, params, c0)
    np.testing.assert_allclose(a, expected, atol=1e-5)


def test_gru_forward_matches_keras_gru_cell() -> None:
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(10)
    n_x, n_a, m, T = 3, 5, 2, 6
    x, a0 = (float32(rng.normal(size=shape)) for shape in [(n_x, m, T), (n_a, m)])
    expected, weights = keras_sequence(keras.layers.GRUCell(n_a, reset_after=False), x, [a0], seed=11)
    assert weights[2].shape == (3 * n_a,)  # reset_after=False has a single bias
    params = ref.gru_params_from_keras(*weights)
    a, _ = ref.gru_forward(x, a0, params)
    np.testing.assert_allclose(a, expected, atol=1e-5)
