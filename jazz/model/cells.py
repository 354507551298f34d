"""Hand-built recurrent cells: the seed's equations, written out in `keras.ops`.

Three cells, each a `keras.layers.Layer` that `keras.layers.RNN` can drive:

* `LSTMCell`      forget, update and output gates, candidate memory.
* `GRUCell`       update and relevance gates (the classic GRU, reset before the matmul).
* `SimpleRNNCell` a = tanh(Wax x + Waa a_prev + ba).

Notation (the seed's): ``x`` is the step input, ``a`` the hidden state (also the output),
``c`` the LSTM memory cell, ``Γ`` a gate, ``σ`` the logistic sigmoid, ``*`` element-wise.
Every cell keeps ``x``-weights and ``a_prev``-weights apart, so ``W·[a_prev, x]`` in the
seed is ``a_prev·W_a + x·W_x`` here, and the gates of one cell share one matmul each.

Each cell's ``call(inputs, states, training=False)`` returns ``(a, new_states)`` with the
states in Keras' order (``[a, c]`` for the LSTM, ``[a]`` otherwise), so a sampler can
drive a hand cell and a built-in cell with the same code. `load_keras_weights` copies the
weights of the matching built-in Keras cell, after which both give the same outputs.

`recurrent_layer` is the model builder's factory over `CELL_KINDS`.

Backends: the cells use only `keras.ops`, `keras.random` and `keras.layers`. Input dropout
draws a fresh mask at every step from a `keras.random.SeedGenerator`, which needs a backend
that allows stateful random draws inside the recurrence loop (TensorFlow, torch); on JAX,
use ``dropout=0`` in the cell (or the built-in kinds, which pre-draw their masks).
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from jazz.settings import CELL_KINDS

State = list[Any]  # a list of (batch, units) tensors


def _as_list(states: Any) -> State:
    """Keras passes a single state either bare or in a list; always give a list."""
    return list(states) if isinstance(states, (list, tuple)) else [states]


def _activation_name(layer: keras.layers.Layer, attribute: str) -> str:
    return keras.activations.serialize(getattr(layer, attribute))


class _SeedCell(keras.layers.Layer):
    """What the three cells share: ``units``, input dropout, zero initial state, config,
    and the checks before `load_keras_weights`."""

    builtin: type = keras.layers.Layer  # the Keras cell whose weights a cell can load
    n_states: int = 1

    def __init__(self, units: int, dropout: float = 0.0, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if int(units) <= 0:
            raise ValueError(f"units must be a positive integer, got {units!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
        self.units = int(units)
        self.dropout = float(dropout)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed) if self.dropout > 0 else None

    @property
    def state_size(self) -> int | list[int]:
        return self.units if self.n_states == 1 else [self.units] * self.n_states

    @property
    def output_size(self) -> int:
        return self.units

    def get_initial_state(self, batch_size: int | None = None) -> State:
        return [ops.zeros((batch_size, self.units), dtype=self.compute_dtype) for _ in range(self.n_states)]

    def drop_inputs(self, x: Any, training: bool | None) -> Any:
        """Inverted dropout on the step input, in training only (a new mask every step)."""
        if not training or self.dropout == 0.0:
            return x
        return keras.random.dropout(x, self.dropout, seed=self.seed_generator)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "units": self.units, "dropout": self.dropout, "seed": self.seed}

    def _builtin_cell(self, builtin: Any) -> keras.layers.Layer:
        """The built-in cell behind ``builtin`` (a cell or a built-in layer), checked and built."""
        cell = getattr(builtin, "cell", builtin)
        if not isinstance(cell, self.builtin):
            raise TypeError(
                f"{type(self).__name__}.load_keras_weights needs a "
                f"keras.layers.{self.builtin.__name__} (or its layer), got {type(cell).__name__}"
            )
        if cell.units != self.units:
            raise ValueError(f"units differ: built-in cell has {cell.units}, this cell has {self.units}")
        if not cell.built:
            raise ValueError("the built-in cell has no weights yet: build it (call it once) first")
        for attribute, expected in (("activation", "tanh"), ("recurrent_activation", "sigmoid")):
            if hasattr(cell, attribute) and _activation_name(cell, attribute) != expected:
                raise ValueError(f"the built-in cell's {attribute} must be {expected!r} to match this cell")
        if not self.built:
            self.build((None, cell.kernel.shape[0]))
        elif self.kernel.shape[0] != cell.kernel.shape[0]:
            raise ValueError(f"input sizes differ: built-in {cell.kernel.shape[0]}, this cell {self.kernel.shape[0]}")
        return cell

    @staticmethod
    def _builtin_bias(cell: keras.layers.Layer, size: int) -> Any:
        return cell.bias if cell.use_bias else ops.zeros((size,))


@keras.saving.register_keras_serializable(package="jazz")
class LSTMCell(_SeedCell):
    """Long short-term memory cell, the seed's equations:

        Γf = σ(Wf·[a_prev, x] + bf)        forget gate
        Γu = σ(Wu·[a_prev, x] + bu)        update gate (Keras' "input" gate i)
        Γo = σ(Wo·[a_prev, x] + bo)        output gate
        c̃  = tanh(Wc·[a_prev, x] + bc)     candidate memory
        c  = Γf * c_prev + Γu * c̃
        a  = Γo * tanh(c)

    Weights: ``kernel`` (n_x, 4n) and ``recurrent_kernel`` (n, 4n) hold the four gates side
    by side, columns Γu | Γf | c̃ | Γo (Keras' order i | f | c | o, so weights copy across
    as they are), and ``bias`` (4n,), whose Γf part starts at 1 (as Keras'
    ``unit_forget_bias``). States: ``[a, c]``.

    Args:
        units: n, the size of ``a`` and ``c``.
        dropout: fraction of the step input ``x`` dropped in training.
        seed: seed of the dropout masks.
    """

    builtin = keras.layers.LSTMCell
    n_states = 2

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        n_x, n = input_shape[-1], self.units
        self.kernel = self.add_weight(shape=(n_x, 4 * n), initializer="glorot_uniform", name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(n, 4 * n), initializer="orthogonal", name="recurrent_kernel")
        self.bias = self.add_weight(shape=(4 * n,), initializer=self._bias_initializer, name="bias")

    def _bias_initializer(self, shape: tuple[int, ...], dtype: Any = None) -> Any:
        """bf = 1 so the cell remembers by default; bu = bc = bo = 0."""
        n = self.units
        ones, zeros = ops.ones((n,), dtype=dtype), ops.zeros((n,), dtype=dtype)
        return ops.concatenate([zeros, ones, zeros, zeros])

    def call(self, inputs: Any, states: Any, training: bool | None = False) -> tuple[Any, State]:
        a_prev, c_prev = _as_list(states)
        x = self.drop_inputs(inputs, training)

        # One matmul for x and one for a_prev give all four pre-activations at once.
        # (ops.split, not slicing: the gradient of a slice costs a full-size scatter.)
        z = ops.matmul(x, self.kernel) + ops.matmul(a_prev, self.recurrent_kernel) + self.bias
        z_u, z_f, z_c, z_o = ops.split(z, 4, axis=-1)
        gamma_f = ops.sigmoid(z_f)
        gamma_u = ops.sigmoid(z_u)
        gamma_o = ops.sigmoid(z_o)
        c_tilde = ops.tanh(z_c)

        c = gamma_f * c_prev + gamma_u * c_tilde
        a = gamma_o * ops.tanh(c)
        return a, [a, c]

    def load_keras_weights(self, builtin: keras.layers.Layer) -> None:
        """Copy a `keras.layers.LSTMCell`'s weights: its i, f, c, o are Γu, Γf, c̃, Γo."""
        cell = self._builtin_cell(builtin)
        self.kernel.assign(cell.kernel)
        self.recurrent_kernel.assign(cell.recurrent_kernel)
        self.bias.assign(self._builtin_bias(cell, 4 * self.units))


@keras.saving.register_keras_serializable(package="jazz")
class GRUCell(_SeedCell):
    """Gated recurrent unit, the classic form (the relevance gate acts before the matmul):

        Γu = σ(Wu·[a_prev, x] + bu)              update gate
        Γr = σ(Wr·[a_prev, x] + br)              relevance (reset) gate
        c̃  = tanh(Wc·[Γr * a_prev, x] + bc)      candidate
        a  = Γu * c̃ + (1 - Γu) * a_prev

    Against ``keras.layers.GRUCell(reset_after=False)``, whose gates are z, r, h with
    ``h = z * h_prev + (1 - z) * hh``: Γr = r, c̃ = hh, and Γu = 1 - z. Since
    1 - σ(p) = σ(-p), Γu's weights and bias are exactly z's, negated; `load_keras_weights`
    does that. (Keras' default ``reset_after=True`` multiplies Γr after the matmul,
    ``Γr * (a_prev·Wca + bca)``: a different function, which this cell does not compute.)

    Weights: ``kernel`` (n_x, 3n) with columns Γu | Γr | c̃, ``bias`` (3n,) likewise,
    ``recurrent_kernel`` (n, 2n) with columns Γu | Γr, and ``recurrent_candidate_kernel``
    (n, n), which multiplies Γr * a_prev. States: ``[a]``.

    Args:
        units: n, the size of ``a``.
        dropout: fraction of the step input ``x`` dropped in training.
        seed: seed of the dropout masks.
    """

    builtin = keras.layers.GRUCell

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        n_x, n = input_shape[-1], self.units
        self.kernel = self.add_weight(shape=(n_x, 3 * n), initializer="glorot_uniform", name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(n, 2 * n), initializer="orthogonal", name="recurrent_kernel")
        self.recurrent_candidate_kernel = self.add_weight(
            shape=(n, n), initializer="orthogonal", name="recurrent_candidate_kernel"
        )
        self.bias = self.add_weight(shape=(3 * n,), initializer="zeros", name="bias")

    def call(self, inputs: Any, states: Any, training: bool | None = False) -> tuple[Any, State]:
        (a_prev,) = _as_list(states)
        x = self.drop_inputs(inputs, training)

        # x feeds all three pre-activations in one matmul, a_prev the two gates in another.
        x_u, x_r, x_c = ops.split(ops.matmul(x, self.kernel) + self.bias, 3, axis=-1)
        a_u, a_r = ops.split(ops.matmul(a_prev, self.recurrent_kernel), 2, axis=-1)
        gamma_u = ops.sigmoid(x_u + a_u)
        gamma_r = ops.sigmoid(x_r + a_r)
        c_tilde = ops.tanh(x_c + ops.matmul(gamma_r * a_prev, self.recurrent_candidate_kernel))

        a = gamma_u * c_tilde + (1.0 - gamma_u) * a_prev
        return a, [a]

    def load_keras_weights(self, builtin: keras.layers.Layer) -> None:
        """Copy a `keras.layers.GRUCell(reset_after=False)`'s weights: Γu = -z, Γr = r, c̃ = h."""
        cell = self._builtin_cell(builtin)
        if cell.reset_after:
            raise ValueError("GRUCell.load_keras_weights needs keras.layers.GRUCell(reset_after=False)")

        def gates(w: Any) -> Any:
            z, r, h = ops.split(ops.convert_to_tensor(w), 3, axis=-1)
            return ops.concatenate([-z, r, h], axis=-1)

        self.kernel.assign(gates(cell.kernel))
        self.bias.assign(gates(self._builtin_bias(cell, 3 * self.units)))
        r_u, r_r, r_c = ops.split(gates(cell.recurrent_kernel), 3, axis=-1)
        self.recurrent_kernel.assign(ops.concatenate([r_u, r_r], axis=-1))
        self.recurrent_candidate_kernel.assign(r_c)


@keras.saving.register_keras_serializable(package="jazz")
class SimpleRNNCell(_SeedCell):
    """The basic RNN cell of the seed:

        a = tanh(Wax·x + Waa·a_prev + ba)

    Weights: ``kernel`` = Wax (n_x, n), ``recurrent_kernel`` = Waa (n, n), ``bias`` = ba (n,),
    laid out as in ``keras.layers.SimpleRNNCell``. States: ``[a]``.

    Args:
        units: n, the size of ``a``.
        dropout: fraction of the step input ``x`` dropped in training.
        seed: seed of the dropout masks.
    """

    builtin = keras.layers.SimpleRNNCell

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        n_x, n = input_shape[-1], self.units
        self.kernel = self.add_weight(shape=(n_x, n), initializer="glorot_uniform", name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(n, n), initializer="orthogonal", name="recurrent_kernel")
        self.bias = self.add_weight(shape=(n,), initializer="zeros", name="bias")

    def call(self, inputs: Any, states: Any, training: bool | None = False) -> tuple[Any, State]:
        (a_prev,) = _as_list(states)
        x = self.drop_inputs(inputs, training)
        a = ops.tanh(ops.matmul(x, self.kernel) + ops.matmul(a_prev, self.recurrent_kernel) + self.bias)
        return a, [a]

    def load_keras_weights(self, builtin: keras.layers.Layer) -> None:
        """Copy a `keras.layers.SimpleRNNCell(activation="tanh")`'s weights (same layout)."""
        cell = self._builtin_cell(builtin)
        self.kernel.assign(cell.kernel)
        self.recurrent_kernel.assign(cell.recurrent_kernel)
        self.bias.assign(self._builtin_bias(cell, self.units))


_HAND_CELLS: dict[str, type[_SeedCell]] = {"hand-lstm": LSTMCell, "hand-gru": GRUCell, "rnn": SimpleRNNCell}


def recurrent_layer(kind: str, units: int, dropout: float = 0.0, name: str | None = None) -> keras.layers.Layer:
    """A recurrent layer of ``kind`` (one of `CELL_KINDS`) returning the whole sequence.

    ``"lstm"`` and ``"gru"`` are Keras' built-in layers; ``"hand-lstm"``, ``"hand-gru"`` and
    ``"rnn"`` wrap this module's cells in ``keras.layers.RNN``. Every layer has ``.cell``
    with ``call(inputs, states, training=False) -> (output, new_states)``.

    The built-in ``"gru"`` keeps Keras' default ``reset_after=True`` (Γr applied after the
    recurrent matmul): the variant with a cuDNN kernel on GPUs, and on a CPU about 1.5x
    faster in training than ``reset_after=False``. It is therefore not the same function as
    ``"hand-gru"`` (the classic form), and its weights do not load into `GRUCell`; that
    needs ``keras.layers.GRUCell(reset_after=False)``.
    ``dropout`` is on the layer's inputs, in training only; the built-in layers reuse one
    mask for a whole sequence, the hand cells draw a new one every step.
    """
    if kind == "lstm":
        return keras.layers.LSTM(units, dropout=dropout, return_sequences=True, name=name)
    if kind == "gru":
        return keras.layers.GRU(units, dropout=dropout, return_sequences=True, name=name)
    if kind in _HAND_CELLS:
        return keras.layers.RNN(_HAND_CELLS[kind](units, dropout=dropout), return_sequences=True, name=name)
    raise ValueError(f"unknown cell kind {kind!r}; expected one of {', '.join(CELL_KINDS)}")
