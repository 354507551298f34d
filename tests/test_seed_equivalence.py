"""The NumPy reference and the hand-built Keras cells compute the same thing from the same weights."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from jazz.lessons import reference
from jazz.model.cells import GRUCell, LSTMCell, SimpleRNNCell

N_X, N_A, M, T = 5, 7, 3, 6


def keras_run(cell, x: np.ndarray) -> np.ndarray:
    """The cell over x given as (m, T, n_x); returns a as (n_a, m, T) like the reference."""
    out = keras.layers.RNN(cell, return_sequences=True)(x.astype("float32"))
    return np.transpose(keras.ops.convert_to_numpy(out), (2, 0, 1))


def randomize(cell, rng) -> None:
    cell.set_weights([rng.normal(0, 0.5, w.shape).astype("float32") for w in cell.get_weights()])


@pytest.fixture
def data():
    rng = np.random.default_rng(1)
    return rng, rng.normal(size=(M, T, N_X))


def random_run(cell, rng: np.random.Generator, x: np.ndarray):
    """The cell built with random weights, and its outputs over ``x``."""
    cell.build((None, N_X))
    randomize(cell, rng)
    return cell, keras_run(cell, x)


def test_lstm(data):
    rng, x = data
    cell, ours = random_run(LSTMCell(N_A), rng, x)
    params = reference.lstm_params_from_keras(*(w.astype("float64") for w in cell.get_weights()))
    a, _, _ = reference.lstm_forward(np.transpose(x, (2, 0, 1)), np.zeros((N_A, M)), params)
    np.testing.assert_allclose(ours, a, atol=1e-5)


def test_gru(data):
    rng, x = data
    builtin = keras.layers.GRUCell(N_A, reset_after=False)
    builtin.build((None, N_X))
    randomize(builtin, rng)
    cell = GRUCell(N_A)
    cell.build((None, N_X))
    cell.load_keras_weights(builtin)
    ours = keras_run(cell, x)
    params = reference.gru_params_from_keras(*(w.astype("float64") for w in builtin.get_weights()))
    a, _ = reference.gru_forward(np.transpose(x, (2, 0, 1)), np.zeros((N_A, M)), params)
    np.testing.assert_allclose(ours, a, atol=1e-5)


def test_simple_rnn(data):
    rng, x = data
    cell, ours = random_run(SimpleRNNCell(N_A), rng, x)
    kernel, recurrent, bias = (w.astype("float64") for w in cell.get_weights())
    params = {"Wax": kernel.T, "Waa": recurrent.T, "ba": bias[:, None],
              "Wya": rng.normal(size=(2, N_A)), "by": np.zeros((2, 1))}
    a, _, _ = reference.rnn_forward(np.transpose(x, (2, 0, 1)), np.zeros((N_A, M)), params)
    np.testing.assert_allclose(ours, a, atol=1e-5)
