"""Shakespeare-like text from a character-level LSTM: the seed's poetry exercise, on any running text.

Training cuts the text into windows of Tx characters, a new one every ``stride`` characters
(the classic exercise used Tx = 40 and a stride of 3). The model reads a window one character
at a time, x⟨t⟩ → embedding → recurrent cell → softmax over the characters, and learns to
predict the character that follows: at every position of the window, not only after its
last one, so that one pass over a window gives Tx predictions to learn from instead of one.
The last tenth of the text is held out for the validation loss.

Sampling feeds the user's line through the cell to set its state, then draws a character
from softmax(logits / temperature), feeds it back in, and so on: one step function (the
cell), one driver (the loop in `generate`).
"""

from __future__ import annotations

import json
import math
import re
import sys
import time
from pathlib import Path

import keras
import numpy as np

from jazz.files import atomic_path, atomic_write_text
from jazz.model.cells import recurrent_layer

SEQ_LEN = 100  # Tx, characters per training window
STRIDE = 25  # characters between the starts of two windows
BATCH_SIZE = 64
EMBEDDING = 32  # size of each character's vector x⟨t⟩
UNITS = 256  # n_a
STEPS_PER_EPOCH = 50  # batches of random windows between two validations (and time checks)
VAL_SHARE = 0.1  # the held-out tail of the text
MAX_VAL_WINDOWS = 256  # enough for a steady validation loss, few enough to be quick
PATIENCE = 5  # epochs without a better validation loss before stopping
LEARNING_RATE = 3e-3
VOCAB_FILE = "vocab.json"
MODEL_FILE = "model.keras"


def split_text(text: str, seq_len: int) -> tuple[str, str]:
    """Training text and the held-out tail; ValueError when either is too short for one window."""
    cut = int(len(text) * (1 - VAL_SHARE))
    need = math.ceil((seq_len + 1) / VAL_SHARE)
    if len(text) - cut <= seq_len or cut <= seq_len:
        raise ValueError(f"it is too short ({len(text)} characters; windows of {seq_len} need at least {need})")
    return text[:cut], text[cut:]


class Windows(keras.utils.PyDataset):
    """Batches of (x, y) windows drawn in a shuffled order that runs on across epochs; y is x moved by one."""

    def __init__(self, ids: np.ndarray, seq_len: int, stride: int, batch_size: int, steps: int, seed: int):
        super().__init__()
        self.ids, self.seq_len, self.batch_size, self.steps = ids, seq_len, batch_size, steps
        self.order = np.random.default_rng(seed).permutation(np.arange(0, len(ids) - seq_len, stride))
        self.epoch = 0

    def __len__(self) -> int:
        return self.steps

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        first = (self.epoch * self.steps + index) * self.batch_size
        starts = self.order.take(range(first, first + self.batch_size), mode="wrap")
        rows = self.ids[starts[:, None] + np.arange(self.seq_len + 1)]
        return rows[:, :-1], rows[:, 1:]

    def on_epoch_end(self) -> None:
        self.epoch += 1


def held_out(ids: np.ndarray, seq_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Non-overlapping validation windows from the held-out ids, at most MAX_VAL_WINDOWS of them."""
    n = min((len(ids) - 1) // seq_len, MAX_VAL_WINDOWS)
    starts = np.arange(n) * seq_len
    rows = ids[starts[:, None] + np.arange(seq_len + 1)]
    return rows[:, :-1], rows[:, 1:]


def build_model(vocab_size: int, cell: str = "lstm", units: int = UNITS) -> keras.Model:
    """Characters → embedding → one recurrent layer of ``cell`` → logits over the characters."""
    chars = keras.Input(shape=(None,), dtype="int32", name="chars")
    x = keras.layers.Embedding(vocab_size, EMBEDDING, name="embedding")(chars)
    a = recurrent_layer(cell, units, name="recurrent")(x)
    logits = keras.layers.Dense(vocab_size, name="logits")(a)
    return keras.Model(chars, logits, name=f"poems_{cell.replace('-', '_')}")


class Budget(keras.callbacks.Callback):
    """Adds bits per character to the logs, and stops before an epoch that would end past ``seconds``. Its clock
    starts when it is made (just before fitting) and ``minutes`` is the training time at the last epoch's end:
    the one number the stop message and the summary both give."""

    def __init__(self, seconds: float | None):
        super().__init__()
        self.seconds, self.started, self.minutes = seconds, time.time(), 0.0

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        for key in ("loss", "val_loss"):
            if logs is not None and key in logs:
                logs[key.replace("loss", "bits_per_char")] = logs[key] / math.log(2)
        elapsed = time.time() - self.started
        self.minutes = round(elapsed / 60, 2)
        if self.seconds is not None and elapsed * (epoch + 2) / (epoch + 1) > self.seconds:
            print(f"time budget: stopping after epoch {epoch + 1} ({self.minutes} min)", file=sys.stderr)
            self.model.stop_training = True


def train(text: str, out: Path, cell: str = "lstm", units: int = UNITS, seq_len: int = SEQ_LEN,
          epochs: int = 50, max_minutes: float | None = None, seed: int = 0) -> tuple[keras.Model, dict]:
    """Fit a model to ``text``; write model.keras, vocab.json, history.csv and curves.png into ``out``.

    Returns the model with its best weights (by validation loss) and the contents of vocab.json.
    """
    train_text, _ = split_text(text, seq_len)
    vocab = sorted(set(text))
    index = {ch: i for i, ch in enumerate(vocab)}
    ids = np.array([index[ch] for ch in text], dtype=np.int32)
    cut = len(train_text)
    stride = max(1, min(STRIDE, seq_len // 2))
    data = Windows(ids[:cut], seq_len, stride, BATCH_SIZE, STEPS_PER_EPOCH, seed)
    keras.utils.set_random_seed(seed)
    model = build_model(len(vocab), cell, units)
    model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE, clipnorm=1.0),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    out.mkdir(parents=True, exist_ok=True)
    best = out / "checkpoints" / "best.weights.h5"
    best.unlink(missing_ok=True)  # a checkpoint of an earlier run must not pass for this one's
    budget = Budget(max_minutes * 60 if max_minutes else None)
    callbacks = [
        budget,
        keras.callbacks.ModelCheckpoint(str(best), monitor="val_loss", save_best_only=True, save_weights_only=True),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=PATIENCE),
        keras.callbacks.TerminateOnNaN(),
        keras.callbacks.CSVLogger(str(out / "history.csv")),
    ]
    history = model.fit(data, validation_data=held_out(ids[cut:], seq_len), epochs=epochs, callbacks=callbacks,
                        verbose=1 if sys.stderr.isatty() else 2).history
    if not best.exists():
        raise ValueError("training produced no finite validation loss, so no model was saved")
    model.load_weights(best)
    val = float(np.nanmin(history["val_loss"]))
    config = {"chars": "".join(vocab), "cell": cell, "units": units, "seq_len": seq_len, "stride": stride,
              "result": {"minutes": budget.minutes, "epochs": len(history["val_loss"]),
                         "steps_per_epoch": STEPS_PER_EPOCH, "batch_size": BATCH_SIZE,
                         "val_loss": round(val, 4), "val_bits_per_char": round(val / math.log(2), 4)}}
    save(model, config, out)
    _plot(history, out / "curves.png")
    return model, config


def save(model: keras.Model, config: dict, out: Path) -> None:
    """model.keras (weights and layout, no optimizer state) and vocab.json beside it, each written atomically."""
    clean = keras.Model(model.inputs, model.outputs, name=model.name)
    with atomic_path(out / MODEL_FILE) as tmp:
        keras.saving.save_model(clean, tmp)
    write_config(config, out)


def write_config(config: dict, out: Path) -> None:
    """vocab.json: the characters in the order of the model's outputs (one string), the settings, the results."""
    atomic_write_text(out / VOCAB_FILE, json.dumps(config, indent=1, ensure_ascii=False))


def _plot(history: dict, path: Path) -> None:
    from jazz.report.plots import plot_history

    rows = [{"epoch": i, "bits_per_char": loss / math.log(2), "val_bits_per_char": val / math.log(2)}
            for i, (loss, val) in enumerate(zip(history["loss"], history["val_loss"]))]
    plot_history(rows, path, unit="char")


def load(folder: Path) -> tuple[keras.Model, dict]:
    """The model and its vocab.json from a folder written by `train`; ValueError saying what is wrong."""
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder")
    try:
        config = json.loads((folder / VOCAB_FILE).read_text(encoding="utf-8"))
        chars = config["chars"]
        if not (isinstance(chars, str) and chars and len(set(chars)) == len(chars)):
            raise TypeError("chars must be a string of distinct characters")
    except (OSError, ValueError, KeyError, TypeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        raise ValueError(f"{folder} has no usable {VOCAB_FILE} ({reason})") from None
    try:
        model = keras.saving.load_model(folder / MODEL_FILE, compile=False)
        shape = tuple(model.output_shape)
    except Exception as error:  # noqa: BLE001 - whatever is wrong with the file, the user hears it in one line
        raise ValueError(f"{folder} has no usable {MODEL_FILE} ({type(error).__name__})") from None
    if shape[-1] != len(chars):
        raise ValueError(f"{folder}: the model has {shape[-1]} outputs but {VOCAB_FILE} lists {len(chars)} characters")
    return model, config


def generate(model: keras.Model, chars: str, prompt: str, length: int, temperature: float,
             rng: np.random.Generator, n: int = 1) -> list[str]:
    """``n`` continuations of ``prompt``, ``length`` characters each, drawn a character at a time side by side.

    Raises ValueError when the prompt uses characters the model does not know.
    """
    index = {ch: i for i, ch in enumerate(chars)}
    unknown = sorted(set(prompt) - set(index))
    if unknown:
        raise ValueError(f"the prompt uses characters the model never saw: {''.join(unknown)!r}")
    embedding, dense = model.get_layer("embedding"), model.get_layer("logits")
    cell = model.get_layer("recurrent").cell
    states = [keras.ops.zeros((n, size)) for size in np.atleast_1d(cell.state_size)]
    feed = [np.full(n, index[ch]) for ch in prompt] or [np.full(n, index.get("\n", 0))]
    drawn: list[np.ndarray] = []
    while True:
        for ids in feed:
            a, states = cell(embedding(ids), states, training=False)
            states = list(states) if isinstance(states, (list, tuple)) else [states]
        if len(drawn) == length:
            return ["".join(chars[i] for i in row) for row in np.array(drawn, dtype=int).reshape(length, n).T]
        logits = keras.ops.convert_to_numpy(dense(a)).astype(np.float64) / temperature
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        ids = (p.cumsum(axis=1) < rng.random((n, 1))).sum(axis=1).clip(max=len(chars) - 1)  # one draw per row
        drawn.append(ids)
        feed = [ids]


WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*")


def real_word_share(generated: str, text: str) -> float:
    """The share of the generated words (letters and inner apostrophes) that ``text`` uses too, ignoring case."""
    known = {w.lower() for w in WORD.findall(text)}
    words = [w.lower() for w in WORD.findall(generated)]
    return sum(w in known for w in words) / len(words) if words else 0.0
