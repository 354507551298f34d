"""Training: solos → windows of token ids → a fitted model in a folder with everything to sample from it.

The output folder gets ``model.keras``, ``tokenizer.json``, ``config.json``, ``history.csv``,
``curves.png`` and ``card.md``. Keras callbacks do the bookkeeping: best checkpoint on validation
loss, early stopping, a CSV log, NaN detection, and BackupAndRestore for ``--resume`` after a kill.
"""

from __future__ import annotations

import json
import math
import shutil
import sys
import time
from dataclasses import asdict
from functools import partial
from pathlib import Path

import keras
import numpy as np

from jazz.files import UsageError, atomic_path, atomic_write_text
from jazz.model.features import model_inputs
from jazz.model.network import build_model
from jazz.model.split import split_by_solo
from jazz.model.tokens import TOKENS_PER_NOTE, Tokenizer
from jazz.music.chord_parse import transpose_solo
from jazz.music.notes import Solo
from jazz.report.plots import plot_history, read_history
from jazz.settings import ModelConfig, TrainConfig

LN2 = math.log(2.0)


class WindowData(keras.utils.PyDataset):
    """Batches of (inputs, next tokens) windows cut from the solos laid end to end.

    ``encode(solo)`` gives the model's per-token inputs by name ("tokens" first; see
    jazz.model.features.model_inputs); every input is cut into the same windows. With ``augment`` every epoch
    transposes each solo by a fresh random interval (all 12 keys, pitches kept in range) and starts the
    windows at a fresh random offset.
    """

    def __init__(self, solos: list[Solo], tokenizer: Tokenizer, seq_len: int, batch_size: int,
                 augment: bool, seed: int, encode=None):
        super().__init__()
        self.solos, self.tok, self.seq_len, self.batch_size = solos, tokenizer, seq_len, batch_size
        self.augment = augment
        self.encode = encode or (lambda solo: {"tokens": tokenizer.encode(solo)})
        self.rng = np.random.default_rng(seed)
        self.notes = sum(len(s.notes) for s in solos)
        self._build()

    def _build(self) -> None:
        encoded = []
        for solo in self.solos:
            if self.augment:
                solo = transpose_solo(solo, int(self.rng.choice(self.tok.transpositions(solo))))
            encoded.append(self.encode(solo))
        streams = {name: np.concatenate([e[name] for e in encoded]) for name in encoded[0]}
        tokens = streams["tokens"].astype(np.int32)
        self.tokens_total = len(tokens)
        if not self.augment:  # a short validation set still gives one window
            self.seq_len = min(self.seq_len, len(tokens) - 1)
        offset = int(self.rng.integers(self.seq_len)) if self.augment else 0
        n = (len(tokens) - 1 - offset) // self.seq_len
        if n < 1:
            raise UsageError(f"too little music for windows of {self.seq_len} tokens; lower --seq-len")
        cut = slice(offset, offset + n * self.seq_len)
        self.x = {name: _windows(stream[cut], n) for name, stream in streams.items()}
        self.y = tokens[offset + 1: offset + 1 + n * self.seq_len].reshape(n, self.seq_len)
        self.order = self.rng.permutation(n) if self.augment else np.arange(n)

    @property
    def tokens_per_note(self) -> float:
        return self.tokens_total / max(self.notes, 1)

    def __len__(self) -> int:
        return max(1, len(self.y) // self.batch_size) if self.augment else math.ceil(len(self.y) / self.batch_size)

    def __getitem__(self, index: int):
        rows = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        inputs = {name: windows[rows] for name, windows in self.x.items()}
        return (inputs["tokens"] if len(inputs) == 1 else inputs), self.y[rows]

    def on_epoch_end(self) -> None:
        if self.augment:
            self._build()


def _windows(stream: np.ndarray, n: int) -> np.ndarray:
    """``n`` consecutive windows of a per-token stream (tokens as int32, features as float32)."""
    dtype = np.float32 if stream.dtype.kind == "f" else np.int32
    return stream.astype(dtype).reshape(n, -1, *stream.shape[1:])


class BitsPerNote(keras.callbacks.Callback):
    """Adds loss in bits per note (and per token) to the epoch logs, before they are logged."""

    def __init__(self, train_ratio: float, val_ratio: float):
        super().__init__()
        self.ratios = {"": train_ratio, "val_": val_ratio}

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is None:
            return
        for prefix, ratio in self.ratios.items():
            if f"{prefix}loss" in logs:
                logs[f"{prefix}bits_per_note"] = float(logs[f"{prefix}loss"]) / LN2 * ratio


def compile_model(model: keras.Model, cfg: TrainConfig) -> None:
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=cfg.lr, clipnorm=cfg.clipnorm),  # clipping: the seed's cure
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )


def train(solos: list[Solo], out: Path, model_cfg: ModelConfig, cfg: TrainConfig, tokenizer: Tokenizer,
          resume: bool = False, extra_config: dict | None = None, base_weights: Path | None = None) -> dict:
    """Fit a model on ``solos`` and write the model folder ``out``; return the summary numbers.

    ``base_weights`` (a model.keras of the same layout) is the start of a fine-tune; on --resume the run's
    own checkpoint replaces it."""
    keras.utils.set_random_seed(cfg.seed)
    encode = partial(model_inputs, tokenizer, config=model_cfg)
    train_solos, val_solos = split_by_solo(solos, cfg.val_split, cfg.seed)
    train_data = WindowData(train_solos, tokenizer, cfg.seq_len, cfg.batch_size, cfg.augment, cfg.seed, encode)
    val_data = WindowData(val_solos, tokenizer, cfg.seq_len, cfg.batch_size, False, cfg.seed, encode)
    out.mkdir(parents=True, exist_ok=True)
    config = {"model": model_cfg.to_dict(), "train": asdict(cfg), "tokenizer": "tokenizer.json",
              "tokens_per_note": TOKENS_PER_NOTE, "split": {"train": [s.name for s in train_solos],
                                                            "validation": [s.name for s in val_solos]}}
    config |= extra_config or {}
    earlier = _seconds_so_far(out) if resume else 0.0
    atomic_write_text(out / "tokenizer.json", tokenizer.to_json())
    atomic_write_text(out / "config.json", json.dumps(config, indent=1))

    model = build_model(model_cfg)
    compile_model(model, cfg)
    if base_weights is not None:  # fine-tuning: BackupAndRestore loads the run's own checkpoint over these
        model.load_weights(base_weights)
        if not resume:
            _score_base(model, val_data, out)
    callbacks = make_callbacks(out, cfg, train_data, val_data, resume)
    started = time.time()
    history = model.fit(train_data, validation_data=val_data, epochs=cfg.epochs, callbacks=callbacks,
                        verbose=1 if sys.stderr.isatty() else 2)
    elapsed = time.time() - started + earlier
    diverged = any(not math.isfinite(v) for v in history.history.get("loss", []))
    if diverged:
        print("training stopped: the loss became NaN or infinite (try a lower --lr); "
              "keeping the last good checkpoint", file=sys.stderr)
    return finish(out, model, history, cfg, elapsed, train_data, val_data, diverged)


def _score_base(model: keras.Model, val_data: WindowData, out: Path) -> None:
    """Say, and note in config.json, how a fine-tune's base model scores on the validation solos before it
    learns from them: the number each epoch is to beat."""
    bits = float(model.evaluate(val_data, verbose=0)) / LN2 * val_data.tokens_per_note
    print(f"the base model, before fine-tuning: {bits:.3f} bits per note on the validation solos", file=sys.stderr)
    config = json.loads((out / "config.json").read_text())
    config["base_model"]["start_val_bits_per_note"] = bits
    atomic_write_text(out / "config.json", json.dumps(config, indent=1))


def _seconds_so_far(out: Path) -> float:
    """Training seconds a resumed run already spent (from its config.json), so the card shows the total."""
    try:
        return float(json.loads((out / "config.json").read_text())["result"]["train_seconds"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0.0


def make_callbacks(out: Path, cfg: TrainConfig, train_data: WindowData, val_data: WindowData,
                   resume: bool) -> list[keras.callbacks.Callback]:
    backup = out / "checkpoints" / "resume"
    if not resume and backup.exists():
        shutil.rmtree(backup)
    best_so_far = _best_val_loss(out / "history.csv") if resume else None
    return [
        BitsPerNote(train_data.tokens_per_note, val_data.tokens_per_note),
        keras.callbacks.BackupAndRestore(str(backup), delete_checkpoint=False),  # kept: --resume can extend a run
        keras.callbacks.ModelCheckpoint(str(out / "checkpoints" / "best.weights.h5"), monitor="val_loss",
                                        save_best_only=True, save_weights_only=True,
                                        initial_value_threshold=best_so_far),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=cfg.patience),
        keras.callbacks.TerminateOnNaN(),
        keras.callbacks.CSVLogger(str(out / "history.csv"), append=resume),
    ] + ([TimeLimit(cfg.max_minutes * 60)] if cfg.max_minutes else [])


class TimeLimit(keras.callbacks.Callback):
    """Stops training after the first epoch that ends past ``seconds`` (the best checkpoint is kept)."""

    def __init__(self, seconds: float):
        super().__init__()
        self.seconds = seconds
        self.started = time.time()

    def on_train_begin(self, logs=None) -> None:
        self.started = time.time()

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        if time.time() - self.started > self.seconds:
            print(f"time limit: stopping after epoch {epoch + 1}", file=sys.stderr)
            self.model.stop_training = True


def _best_val_loss(history_csv: Path) -> float | None:
    rows = read_history(history_csv)
    values = [r["val_loss"] for r in rows if math.isfinite(r.get("val_loss", math.nan))]
    return min(values) if values else None


def finish(out: Path, model: keras.Model, history, cfg: TrainConfig, elapsed: float,
           train_data: WindowData, val_data: WindowData, diverged: bool = False) -> dict:
    """Publish the best checkpoint as model.keras, draw the curves, and write the card."""
    rows = read_history(out / "history.csv")
    best = out / "checkpoints" / "best.weights.h5"
    if not best.exists() or _best_val_loss(out / "history.csv") is None:
        why = "the loss became NaN or infinite before an epoch finished" if diverged else "no finite validation loss"
        raise UsageError(f"training produced {why}, so no model was saved")
    model.load_weights(best)
    publish_model(model, out / "model.keras")
    plot_history(rows, out / "curves.png")
    summary = summarize(rows, elapsed, train_data, val_data)
    config = json.loads((out / "config.json").read_text())
    config["result"] = summary
    atomic_write_text(out / "config.json", json.dumps(config, indent=1))
    from jazz.report.card import write_card

    write_card(out, config, model.count_params())
    return summary


def publish_model(model: keras.Model, path: Path) -> None:
    """Save the weights and architecture for inference (no optimizer state), atomically."""
    clean = keras.Model(model.inputs, model.outputs, name=model.name)  # an uncompiled twin sharing the layers
    with atomic_path(path) as tmp:
        keras.saving.save_model(clean, tmp)


def hardware() -> str:
    """What trained the model: the accelerator the backend used (else the CPU cores), Keras and its backend."""
    import os
    import platform

    backend = keras.backend.backend()
    device = None
    try:
        if backend == "jax":
            import jax

            first = jax.devices()[0]
            device = first.device_kind if first.platform != "cpu" else None
        elif backend == "tensorflow":
            import tensorflow as tf

            gpus = tf.config.list_physical_devices("GPU")
            device = tf.config.experimental.get_device_details(gpus[0]).get("device_name") if gpus else None
        elif backend == "torch":
            import torch

            device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    except Exception:  # noqa: BLE001 - a device query must never fail a finished training run
        device = None
    where = device or f"{os.cpu_count()} CPU cores ({platform.machine()})"
    return f"{where}, Keras {keras.__version__} with the {backend} backend"


def summarize(rows: list[dict], elapsed: float, train_data: WindowData, val_data: WindowData) -> dict:
    best = min(rows, key=lambda r: r.get("val_loss", math.inf)) if rows else {}
    return {
        "epochs_run": len(rows),
        "best_epoch": int(best.get("epoch", -1)) + 1,
        "train_bits_per_note": best.get("bits_per_note"),
        "val_bits_per_note": best.get("val_bits_per_note"),
        "val_bits_per_token": best.get("val_loss", math.nan) / LN2,
        "train_seconds": round(elapsed, 1),
        "hardware": hardware(),
        "train_solos": len(train_data.solos),
        "val_solos": len(val_data.solos),
        "train_notes": train_data.notes,
    }
