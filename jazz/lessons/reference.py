"""The seed mathematics in plain NumPy: vanilla RNN, LSTM and GRU, forward and backward.

This is the reference the Keras models are checked against, written to be read.
Notation (as in "Building your Recurrent Neural Network, step by step"):

    x⟨t⟩  one input step, shape (n_x, m)          x   a whole sequence, (n_x, m, T_x)
    a⟨t⟩  hidden state,   shape (n_a, m)          a   all hidden states, (n_a, m, T_x)
    c⟨t⟩  LSTM memory cell, shape (n_a, m)        m   examples in the batch
    [a; x] the two stacked on top of each other, shape (n_a + n_x, m)

Parameters live in dicts of arrays; biases are columns (n_a, 1). Gradients come back in
dicts whose keys are the parameter names with a "d" in front (Wax -> dWax).

Backward passes take ``da``, the gradient of the loss with respect to every hidden
state, coming from *above* (the outputs at each step): shape (n_a, m, T_x). Going back
through time, the gradient reaching a⟨t-1⟩ is the sum of two paths,

    ∂J/∂a⟨t-1⟩ = ∂J⟨t-1⟩/∂a⟨t-1⟩  (from above, da[:, :, t-1])
               + ∂J⟨t⟩/∂a⟨t-1⟩    (through step t, the recurrent part)

and the *_backward functions add the second to the first.

The LSTM and GRU here are the recurrent cells only, as in Keras (where a Dense softmax
layer sits on top). The vanilla RNN carries its own softmax output ŷ, because the
character-level exercise in jazz.lessons.names uses it on its own.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

Params = dict[str, np.ndarray]


# --- activations -------------------------------------------------------------------------


def sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1 / (1 + e^-z)."""
    return 1.0 / (1.0 + np.exp(-z))


def softmax(z: np.ndarray) -> np.ndarray:
    """Softmax over axis 0 (the classes), shifted by the max so exp never overflows."""
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


# --- vanilla RNN ---------------------------------------------------------------------------
#
#   a⟨t⟩ = tanh(Waa a⟨t-1⟩ + Wax x⟨t⟩ + ba)
#   ŷ⟨t⟩ = softmax(Wya a⟨t⟩ + by)


def rnn_cell_forward(xt: np.ndarray, a_prev: np.ndarray, parameters: Params) -> tuple:
    """One RNN step. Returns (a_next, yt_pred, cache)."""
    p = parameters
    a_next = np.tanh(p["Waa"] @ a_prev + p["Wax"] @ xt + p["ba"])
    yt_pred = softmax(p["Wya"] @ a_next + p["by"])
    cache = (a_next, a_prev, xt, parameters)
    return a_next, yt_pred, cache


def rnn_cell_backward(da_next: np.ndarray, cache: tuple) -> Params:
    """Gradients of one RNN step given ∂J/∂a⟨t⟩ (the output layer is not included)."""
    a_next, a_prev, xt, p = cache
    dz = da_next * (1.0 - a_next**2)  # tanh'(z) = 1 - tanh(z)²
    return {
        "dxt": p["Wax"].T @ dz,
        "da_prev": p["Waa"].T @ dz,
        "dWax": dz @ xt.T,
        "dWaa": dz @ a_prev.T,
        "dba": dz.sum(axis=1, keepdims=True),
    }


def rnn_forward(x: np.ndarray, a0: np.ndarray, parameters: Params) -> tuple:
    """Run the RNN over x (n_x, m, T_x) from a0. Returns (a, y_pred, caches)."""
    n_a, m = a0.shape
    T_x = x.shape[2]
    n_y = parameters["Wya"].shape[0]
    a = np.zeros((n_a, m, T_x))
    y_pred = np.zeros((n_y, m, T_x))
    caches = []
    a_next = a0
    for t in range(T_x):
        a_next, y_pred[:, :, t], cache = rnn_cell_forward(x[:, :, t], a_next, parameters)
        a[:, :, t] = a_next
        caches.append(cache)
    return a, y_pred, caches


def rnn_backward(da: np.ndarray, caches: list) -> Params:
    """Backpropagation through time for the RNN. Returns dx, da0, dWax, dWaa, dba."""
    grads = _zero_grads(caches[0][3], ["Wax", "Waa", "ba"])
    dx = np.zeros((caches[0][2].shape[0],) + da.shape[1:])
    da_prev = np.zeros(da.shape[:2])
    for t in reversed(range(da.shape[2])):
        step = rnn_cell_backward(da[:, :, t] + da_prev, caches[t])
        dx[:, :, t] = step["dxt"]
        da_prev = step["da_prev"]
        _accumulate(grads, step)
    return {"dx": dx, "da0": da_prev, **grads}


def cross_entropy(y_pred: np.ndarray, y: np.ndarray) -> float:
    """J = -Σ y log ŷ, summed over classes, examples and steps (y is one-hot, like ŷ)."""
    return float(-np.sum(y * np.log(y_pred)))


def rnn_output_backward(y_pred: np.ndarray, y: np.ndarray, a: np.ndarray, parameters: Params) -> tuple:
    """Backward through ŷ = softmax(Wya a + by) under cross_entropy.

    The gradient with respect to the softmax input is simply ŷ - y. Returns
    (da, grads): da (n_a, m, T_x) to pass to rnn_backward, grads holding dWya and dby.
    """
    dz = y_pred - y
    da = np.einsum("ya,ymt->amt", parameters["Wya"], dz)
    grads = {"dWya": np.einsum("ymt,amt->ya", dz, a), "dby": dz.sum(axis=(1, 2))[:, None]}
    return da, grads


# --- LSTM ----------------------------------------------------------------------------------
#
#   Γf = σ(Wf [a⟨t-1⟩; x⟨t⟩] + bf)        forget gate
#   Γu = σ(Wu [a⟨t-1⟩; x⟨t⟩] + bu)        update (input) gate
#   Γo = σ(Wo [a⟨t-1⟩; x⟨t⟩] + bo)        output gate
#   c̃⟨t⟩ = tanh(Wc [a⟨t-1⟩; x⟨t⟩] + bc)   candidate
#   c⟨t⟩ = Γf * c⟨t-1⟩ + Γu * c̃⟨t⟩
#   a⟨t⟩ = Γo * tanh(c⟨t⟩)
#
# Each W has shape (n_a, n_a + n_x), each b (n_a, 1).

LSTM_GATES = ("f", "u", "c", "o")


def lstm_cell_forward(xt: np.ndarray, a_prev: np.ndarray, c_prev: np.ndarray, parameters: Params) -> tuple:
    """One LSTM step. Returns (a_next, c_next, cache)."""
    p = parameters
    concat = np.concatenate([a_prev, xt], axis=0)
    gf = sigmoid(p["Wf"] @ concat + p["bf"])
    gu = sigmoid(p["Wu"] @ concat + p["bu"])
    go = sigmoid(p["Wo"] @ concat + p["bo"])
    cct = np.tanh(p["Wc"] @ concat + p["bc"])
    c_next = gf * c_prev + gu * cct
    a_next = go * np.tanh(c_next)
    cache = (a_next, c_next, a_prev, c_prev, gf, gu, cct, go, xt, parameters)
    return a_next, c_next, cache


def lstm_cell_backward(da_next: np.ndarray, dc_next: np.ndarray, cache: tuple) -> Params:
    """Gradients of one LSTM step given ∂J/∂a⟨t⟩ and ∂J/∂c⟨t⟩.

    dΓo, dc̃, dΓu, dΓf below are gradients with respect to each gate's pre-activation
    (the argument of its σ or tanh), so that dW = dΓ [a⟨t-1⟩; x⟨t⟩]ᵀ.
    """
    a_next, c_next, a_prev, c_prev, gf, gu, cct, go, xt, p = cache
    n_a = a_prev.shape[0]
    tanh_c = np.tanh(c_next)
    dc = dc_next + da_next * go * (1.0 - tanh_c**2)  # both paths into c⟨t⟩
    d_o = da_next * tanh_c * go * (1.0 - go)
    d_cc = dc * gu * (1.0 - cct**2)
    d_u = dc * cct * gu * (1.0 - gu)
    d_f = dc * c_prev * gf * (1.0 - gf)
    concat = np.concatenate([a_prev, xt], axis=0)
    grads: Params = {}
    dconcat = np.zeros_like(concat)
    for gate, d in zip(LSTM_GATES, (d_f, d_u, d_cc, d_o)):
        grads["dW" + gate] = d @ concat.T
        grads["db" + gate] = d.sum(axis=1, keepdims=True)
        dconcat += p["W" + gate].T @ d
    grads["da_prev"] = dconcat[:n_a]
    grads["dc_prev"] = dc * gf
    grads["dxt"] = dconcat[n_a:]
    return grads


def lstm_forward(x: np.ndarray, a0: np.ndarray, parameters: Params, c0: np.ndarray | None = None) -> tuple:
    """Run the LSTM over x (n_x, m, T_x) from a0 and c0 (zeros if None). Returns (a, c, caches)."""
    n_a, m = a0.shape
    T_x = x.shape[2]
    a = np.zeros((n_a, m, T_x))
    c = np.zeros((n_a, m, T_x))
    caches = []
    a_next, c_next = a0, np.zeros_like(a0) if c0 is None else c0
    for t in range(T_x):
        a_next, c_next, cache = lstm_cell_forward(x[:, :, t], a_next, c_next, parameters)
        a[:, :, t], c[:, :, t] = a_next, c_next
        caches.append(cache)
    return a, c, caches


def lstm_backward(da: np.ndarray, caches: list) -> Params:
    """Backpropagation through time for the LSTM. Returns dx, da0, dc0 and dW*, db*."""
    grads = _zero_grads(caches[0][-1], [k + g for g in LSTM_GATES for k in ("W", "b")])
    dx = np.zeros((caches[0][-2].shape[0],) + da.shape[1:])
    da_prev = np.zeros(da.shape[:2])
    dc_prev = np.zeros(da.shape[:2])
    for t in reversed(range(da.shape[2])):
        step = lstm_cell_backward(da[:, :, t] + da_prev, dc_prev, caches[t])
        dx[:, :, t] = step["dxt"]
        da_prev, dc_prev = step["da_prev"], step["dc_prev"]
        _accumulate(grads, step)
    return {"dx": dx, "da0": da_prev, "dc0": dc_prev, **grads}


# --- GRU -----------------------------------------------------------------------------------
#
#   Γu = σ(Wu [a⟨t-1⟩; x⟨t⟩] + bu)              update gate
#   Γr = σ(Wr [a⟨t-1⟩; x⟨t⟩] + br)              relevance (reset) gate
#   c̃⟨t⟩ = tanh(Wc [Γr * a⟨t-1⟩; x⟨t⟩] + bc)    candidate
#   a⟨t⟩ = Γu * c̃⟨t⟩ + (1 - Γu) * a⟨t-1⟩
#
# Γu = 1 means "take the new candidate". Keras' GRUCell(reset_after=False) writes
# h = z * h_prev + (1 - z) * h̃, so its z is our 1 - Γu: z = σ(s) gives Γu = σ(-s), and
# gru_params_from_keras negates the z weights and bias. Everything else maps one to one
# (r = Γr, h̃ = c̃, h = a).

GRU_GATES = ("u", "r", "c")


def gru_cell_forward(xt: np.ndarray, a_prev: np.ndarray, parameters: Params) -> tuple:
    """One GRU step. Returns (a_next, cache)."""
    p = parameters
    concat = np.concatenate([a_prev, xt], axis=0)
    gu = sigmoid(p["Wu"] @ concat + p["bu"])
    gr = sigmoid(p["Wr"] @ concat + p["br"])
    concat_r = np.concatenate([gr * a_prev, xt], axis=0)
    cct = np.tanh(p["Wc"] @ concat_r + p["bc"])
    a_next = gu * cct + (1.0 - gu) * a_prev
    cache = (a_next, a_prev, gu, gr, cct, xt, parameters)
    return a_next, cache


def gru_cell_backward(da_next: np.ndarray, cache: tuple) -> Params:
    """Gradients of one GRU step given ∂J/∂a⟨t⟩ (gate gradients are w.r.t. pre-activations)."""
    a_next, a_prev, gu, gr, cct, xt, p = cache
    n_a = a_prev.shape[0]
    concat = np.concatenate([a_prev, xt], axis=0)
    concat_r = np.concatenate([gr * a_prev, xt], axis=0)
    d_cc = da_next * gu * (1.0 - cct**2)
    d_u = da_next * (cct - a_prev) * gu * (1.0 - gu)
    dconcat_r = p["Wc"].T @ d_cc  # gradient reaching [Γr * a⟨t-1⟩; x⟨t⟩]
    d_ra = dconcat_r[:n_a]  # ... and its top half, Γr * a⟨t-1⟩
    d_r = d_ra * a_prev * gr * (1.0 - gr)
    dconcat = p["Wu"].T @ d_u + p["Wr"].T @ d_r
    return {
        "dWu": d_u @ concat.T,
        "dbu": d_u.sum(axis=1, keepdims=True),
        "dWr": d_r @ concat.T,
        "dbr": d_r.sum(axis=1, keepdims=True),
        "dWc": d_cc @ concat_r.T,
        "dbc": d_cc.sum(axis=1, keepdims=True),
        "da_prev": da_next * (1.0 - gu) + d_ra * gr + dconcat[:n_a],
        "dxt": dconcat_r[n_a:] + dconcat[n_a:],
    }


def gru_forward(x: np.ndarray, a0: np.ndarray, parameters: Params) -> tuple:
    """Run the GRU over x (n_x, m, T_x) from a0. Returns (a, caches)."""
    n_a, m = a0.shape
    T_x = x.shape[2]
    a = np.zeros((n_a, m, T_x))
    caches = []
    a_next = a0
    for t in range(T_x):
        a_next, cache = gru_cell_forward(x[:, :, t], a_next, parameters)
        a[:, :, t] = a_next
        caches.append(cache)
    return a, caches


def gru_backward(da: np.ndarray, caches: list) -> Params:
    """Backpropagation through time for the GRU. Returns dx, da0 and dW*, db*."""
    grads = _zero_grads(caches[0][-1], [k + g for g in GRU_GATES for k in ("W", "b")])
    dx = np.zeros((caches[0][-2].shape[0],) + da.shape[1:])
    da_prev = np.zeros(da.shape[:2])
    for t in reversed(range(da.shape[2])):
        step = gru_cell_backward(da[:, :, t] + da_prev, caches[t])
        dx[:, :, t] = step["dxt"]
        da_prev = step["da_prev"]
        _accumulate(grads, step)
    return {"dx": dx, "da0": da_prev, **grads}


def _zero_grads(parameters: Params, names: list[str]) -> Params:
    return {"d" + name: np.zeros_like(parameters[name]) for name in names}


def _accumulate(total: Params, step: Params) -> None:
    """Add a step's parameter gradients into the running totals (shared weights over time)."""
    for key in total:
        total[key] += step[key]


# --- Keras weight layouts ------------------------------------------------------------------
#
# Keras computes x @ kernel + h @ recurrent_kernel + bias with row vectors, gates stacked
# along the last axis: kernel (n_x, k n_a), recurrent_kernel (n_a, k n_a), bias (k n_a,).
# Our W for a gate is [recurrent_kernelᵀ | kernelᵀ] for that gate's slice of columns.


def _keras_gate(kernel: np.ndarray, recurrent_kernel: np.ndarray, bias: np.ndarray, k: int) -> tuple:
    n_a = recurrent_kernel.shape[0]
    cols = slice(k * n_a, (k + 1) * n_a)
    W = np.concatenate([recurrent_kernel[:, cols].T, kernel[:, cols].T], axis=1)
    b = np.asarray(bias[cols], dtype=np.float64).reshape(n_a, 1)
    return W.astype(np.float64), b


def lstm_params_from_keras(kernel: np.ndarray, recurrent_kernel: np.ndarray, bias: np.ndarray) -> Params:
    """Parameters for lstm_forward from keras.layers.LSTMCell weights (gate order i, f, c, o)."""
    params: Params = {}
    for k, gate in enumerate(("u", "f", "c", "o")):  # Keras' input gate i is our update gate Γu
        params["W" + gate], params["b" + gate] = _keras_gate(kernel, recurrent_kernel, bias, k)
    return params


def gru_params_from_keras(kernel: np.ndarray, recurrent_kernel: np.ndarray, bias: np.ndarray) -> Params:
    """Parameters for gru_forward from keras.layers.GRUCell(reset_after=False) weights (order z, r, h).

    Keras' z keeps the old state where we keep the candidate, so Γu = 1 - z = σ(-s):
    the z weights and bias change sign.
    """
    params: Params = {}
    for k, gate in enumerate(("u", "r", "c")):
        params["W" + gate], params["b" + gate] = _keras_gate(kernel, recurrent_kernel, bias, k)
    params["Wu"], params["bu"] = -params["Wu"], -params["bu"]
    return params


# --- training helpers ----------------------------------------------------------------------


def clip(gradients: Params, max_value: float) -> Params:
    """A new dict with every gradient clipped elementwise to [-max_value, max_value]."""
    return {name: np.clip(g, -max_value, max_value) for name, g in gradients.items()}


def gradient_check(
    f: Callable[[Params], float], params: Params, grads: Params, epsilon: float = 1e-6
) -> dict[str, float]:
    """Compare analytic gradients with centred differences, (J(θ+ε) - J(θ-ε)) / 2ε.

    ``f`` maps the params dict to a scalar loss; ``grads`` holds the analytic gradient of
    each param under the name "d" + name. Returns, per param, the relative error
        ‖grad - approx‖ / (‖grad‖ + ‖approx‖)      (0 when both are zero).
    ``params`` may include inputs and initial states (x, a0, ...) as well as weights;
    the arrays are perturbed in place and restored.
    """
    errors = {}
    for name, theta in params.items():
        approx = np.zeros_like(theta, dtype=np.float64)
        for i in np.ndindex(theta.shape):
            saved = theta[i]
            theta[i] = saved + epsilon
            plus = f(params)
            theta[i] = saved - epsilon
            minus = f(params)
            theta[i] = saved
            approx[i] = (plus - minus) / (2 * epsilon)
        grad = grads["d" + name]
        denominator = np.linalg.norm(grad) + np.linalg.norm(approx)
        errors[name] = float(np.linalg.norm(grad - approx) / denominator) if denominator else 0.0
    return errors
