"""Training: solos → windows of token ids → a fitted model in a folder with everything to sample from it.

The output folder gets ``model.keras``, ``tokenizer.json``, ``config.json``, ``history.csv``,
``curves.png`` and ``card.md``. Keras callbacks do the bookkeeping: best checkpoint on validation
loss, early stopping, a CSV log, NaN detection, and BackupAndRestore for ``--resume`` after a kill.
Windows are cut from token records (jazz.model.token_store), so a corpus from the token cache trains
without its solos in memory; ``distribute`` spreads a run over devices and machines (jazz.model.distribute).
"""

from __future__ import annotations

import json
import math
import shutil
import signal
import sys
import time
from dataclasses import asdict
from pathlib import Path

import keras
import numpy as np

from jazz.files import UsageError, atomic_path, atomic_write_text
from jazz.model.checkpoints import Backup, BestCheckpoint, HistoryLog
from jazz.model.context import hide_labels
from jazz.model.distribute import Plan, make_plan, writing_folder
from jazz.model.network import build_model
from jazz.model.split import split_names
from jazz.model.token_store import TokenCorpus, transposed_tokens, window_inputs
from jazz.model.tokens import TOKENS_PER_NOTE, Tokenizer
from jazz.music.notes import Solo
from jazz.report.plots import plot_history, read_history
from jazz.settings import ModelConfig, TrainConfig

LN2 = math.log(2.0)
GROWN_INPUTS = ("context_embedding", "context_logits")  # layers whose input may be wider than the base's


class WindowData(keras.utils.PyDataset):
    """Batches of (inputs, next tokens) windows cut from the solos laid end to end.

    ``data`` is a TokenCorpus (or solos, encoded here); ``inputs`` names the model's inputs ("tokens"
    first; see ModelConfig.input_names), all cut into the same windows. With ``augment`` every epoch
    transposes each solo by a fresh random interval (all 12 keys, pitches kept in range) and starts the
    windows at a fresh random offset. Batches are cut from the records when asked for, so an epoch never
    holds more than a batch. ``shard`` = (i, n): give only the i-th of n equal parts of every batch.
    ``multiple`` > 1 (the replicas of a distributed run): every batch splits evenly over them, the last one
    padded with repeated windows of weight 0 and the real windows weighted up by the epoch's padded rows over
    its windows, so that the epoch's loss is the mean over the same windows as on one device.
    """

    def __init__(self, data: TokenCorpus | list[Solo], tokenizer: Tokenizer, seq_len: int, batch_size: int,
                 augment: bool, seed: int, inputs: list[str] | None = None, shard: tuple[int, int] = (0, 1),
                 multiple: int = 1, performers: tuple[str, ...] = ()):
        super().__init__()
        self.data = data if isinstance(data, TokenCorpus) else TokenCorpus.from_solos(tokenizer, data)
        self.performers, self.codes = len(performers), self.data.codes(performers)
        self.tok, self.seq_len, self.batch_size, self.augment = tokenizer, seq_len, batch_size, augment
        self.inputs, self.shard, self.multiple = list(inputs or ["tokens"]), shard, multiple
        self.whole_batches = augment
        self.rng = np.random.default_rng(seed)
        self.notes, self.tokens_total = self.data.notes, self.data.tokens_total
        self.centres = self.data.solos["centre"].astype(np.int64)
        self._build()

    def _build(self) -> None:
        """This epoch's transpositions, window offset and window order."""
        self.shifts = self.data.random_shifts(self.rng, self.tok) if self.augment else np.zeros(len(self.data), int)
        self.labels = hide_labels(self.codes, self.rng) if self.augment else self.codes
        if not self.augment:  # a short validation set still gives one window
            self.seq_len = min(self.seq_len, self.tokens_total - 1)
        self.offset = int(self.rng.integers(self.seq_len)) if self.augment else 0
        self.windows = (self.tokens_total - 1 - self.offset) // self.seq_len
        if self.windows < 1:
            raise UsageError(f"too little music for windows of {self.seq_len} tokens; lower --seq-len")
        self.order = self.rng.permutation(self.windows) if self.augment else np.arange(self.windows)
        sizes = [min(self.batch_size, self.windows - i * self.batch_size) for i in range(len(self))]
        rows = sum(n + (-n) % self.multiple for n in sizes)
        self._weight = rows / sum(sizes)  # Keras averages batch means by rows, padding included

    @property
    def tokens_per_note(self) -> float:
        return self.tokens_total / max(self.notes, 1)

    def __len__(self) -> int:
        if self.whole_batches:
            return max(1, self.windows // self.batch_size)
        return math.ceil(self.windows / self.batch_size)

    def __getitem__(self, index: int):
        rows = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        real = len(rows)
        rows = np.resize(rows, real + (-real) % self.multiple)  # repeats the first windows as padding
        weights = np.where(np.arange(len(rows)) < real, self._weight, 0.0).astype(np.float32)
        part, parts = self.shard
        cut = slice(part * len(rows) // parts, (part + 1) * len(rows) // parts)
        rows, weights = rows[cut], weights[cut]
        positions = self.offset + rows[:, None] * self.seq_len + np.arange(self.seq_len + 1)
        records, solo = self.data.gather(positions)
        shift = self.shifts[solo]
        x = window_inputs(self.tok, records[:, :-1], shift[:, :-1], self.centres[solo[:, :-1]], self.inputs,
                          self.labels[solo[:, :-1]], self.performers)
        y = transposed_tokens(self.tok, records["token"][:, 1:], shift[:, 1:])
        if self.multiple > 1:
            return (x["tokens"] if len(x) == 1 else x), y, np.repeat(weights[:, None], y.shape[1], axis=1)
        return (x["tokens"] if len(x) == 1 else x), y

    def on_epoch_end(self) -> None:
        if self.augment:
            self._build()


class BitsPerNote(keras.callbacks.Callback):
    """Adds loss in bits per note (and per token) to the epoch logs, before they are logged; with ``rate``, also
    the learning rate the epoch ended at (a --decay run's history shows its schedule)."""

    def __init__(self, train_ratio: float, val_ratio: float, rate: bool = False):
        super().__init__()
        self.ratios, self.rate = {"": train_ratio, "val_": val_ratio}, rate

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is None:
            return
        for prefix, ratio in self.ratios.items():
            if f"{prefix}loss" in logs:
                logs[f"{prefix}bits_per_note"] = float(logs[f"{prefix}loss"]) / LN2 * ratio
        if self.rate:
            logs["learning_rate"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))


def learning_rate(cfg: TrainConfig, steps_per_epoch: int) -> float | keras.optimizers.schedules.LearningRateSchedule:
    """Adam's learning rate: ``cfg.lr`` throughout, or with ``cfg.decay`` falling along a cosine to zero by the
    end of ``cfg.epochs`` (the schedule reads the optimizer's step count, which a resumed run restores)."""
    if not cfg.decay:
        return cfg.lr
    return keras.optimizers.schedules.CosineDecay(cfg.lr, decay_steps=max(1, cfg.epochs * steps_per_epoch))


def compile_model(model: keras.Model, cfg: TrainConfig, steps_per_epoch: int = 1) -> None:
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate(cfg, steps_per_epoch),
                                        clipnorm=cfg.clipnorm),  # clipping: the seed's cure
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    # Adam's slots now, not in the first traced step: a step that makes variables is traced twice.
    model.optimizer.build(model.trainable_variables)


def train(data: TokenCorpus | list[Solo], out: Path, model_cfg: ModelConfig, cfg: TrainConfig, tokenizer: Tokenizer,
          resume: bool = False, extra_config: dict | None = None, distribute: bool = False,
          split: tuple[list[int], list[int]] | None = None, base_weights: Path | None = None) -> dict:
    """Fit a model on ``data`` and write the model folder ``out``; return the summary numbers.

    ``split`` gives the training and validation solos by index (default: a seeded share of whole solos).
    With ``distribute`` the run is data parallel over every device (and worker) the backend sees; only
    the chief writes ``out``. ``base_weights`` (a model.keras of the same layout) is the start of a
    fine-tune; on --resume the run's own checkpoint replaces it."""
    plan = make_plan(distribute)  # first: a multi-worker strategy must start before other backend work
    plan.check(cfg.batch_size)
    with writing_folder(plan, out, resume) as folder:
        return _train(data, folder, model_cfg, cfg, tokenizer, resume, extra_config or {}, plan, split,
                      base_weights) | {"worker": plan.worker}


def _train(data: TokenCorpus | list[Solo], out: Path, model_cfg: ModelConfig, cfg: TrainConfig,
           tokenizer: Tokenizer, resume: bool, extra_config: dict, plan: Plan,
           split: tuple[list[int], list[int]] | None = None, base_weights: Path | None = None) -> dict:
    keras.utils.set_random_seed(cfg.seed)
    data = data if isinstance(data, TokenCorpus) else TokenCorpus.from_solos(tokenizer, data)
    train_idx, val_idx = split or split_names(data.names, cfg.val_split, cfg.seed)
    windows = {"seq_len": cfg.seq_len, "batch_size": cfg.batch_size, "seed": cfg.seed,
               "inputs": model_cfg.input_names, "shard": plan.shard, "multiple": plan.replicas,
               "performers": model_cfg.performers}
    train_data = WindowData(data.subset(train_idx), tokenizer, augment=cfg.augment, **windows)
    val_data = WindowData(data.subset(val_idx), tokenizer, augment=False, **windows)
    out.mkdir(parents=True, exist_ok=True)
    config = {"model": model_cfg.to_dict(), "train": asdict(cfg), "tokenizer": "tokenizer.json",
              "tokens_per_note": TOKENS_PER_NOTE, "distribution": plan.record(cfg.batch_size),
              "split": {"train": train_data.data.names, "validation": val_data.data.names}}
    config |= extra_config
    earlier = _seconds_so_far(out) if resume else 0.0
    atomic_write_text(out / "tokenizer.json", tokenizer.to_json())
    atomic_write_text(out / "config.json", json.dumps(config, indent=1))

    with plan.scope():
        model = build_model(model_cfg)
        compile_model(model, cfg, len(train_data))
        if base_weights is not None:  # fine-tuning: BackupAndRestore loads the run's own checkpoint over these
            start_from(model, base_weights)
    plan.prepare(model)
    if base_weights is not None and not resume:
        _score_base(model, val_data, out)
    callbacks = make_callbacks(out, cfg, train_data, val_data, resume, plan)
    started = time.time()
    with CtrlC() as ctrl_c:
        history = model.fit(train_data, validation_data=val_data, epochs=cfg.epochs, callbacks=[*callbacks, ctrl_c],
                            verbose=(1 if sys.stderr.isatty() else 2) if plan.chief else 0)
    elapsed = time.time() - started + earlier
    diverged = any(not math.isfinite(v) for v in history.history.get("loss", []))
    if diverged:
        print("training stopped: the loss became NaN or infinite (try a lower --lr); "
              "keeping the last good checkpoint", file=sys.stderr)
    return finish(out, model, history, cfg, elapsed, train_data, val_data, diverged)


def start_from(model: keras.Model, base: Path) -> None:
    """Give ``model`` the weights of the trained model in ``base``, layer by layer by name; layers the base
    lacks (a path it was trained without) keep their initial weights, which start at zero, and so do the rows
    of context inputs it lacks (the performers: ``grown``)."""
    import jazz.model.cells  # noqa: F401  (registers the hand-built cells for deserialization)
    import jazz.model.paths  # noqa: F401  (and the output layers)

    trained = {layer.name: layer for layer in keras.saving.load_model(base, compile=False).layers}
    new = []
    for layer in model.layers:
        old = trained.get(layer.name)
        if old is None or not layer.weights:
            new += [layer.name] * bool(layer.weights)
            continue
        weights = old.get_weights()
        if layer.name in GROWN_INPUTS and [w.shape for w in weights] != [tuple(v.shape) for v in layer.weights]:
            weights = [grown(w, tuple(v.shape)) for w, v in zip(weights, layer.weights)]
            new.append(f"{layer.name} (its new inputs)")
        if [w.shape for w in weights] != [tuple(v.shape) for v in layer.weights]:
            raise UsageError(f"the base model's layer {layer.name} does not fit this layout")
        layer.set_weights(weights)
    if new:
        print(f"new paths, starting at zero: {', '.join(new)}", file=sys.stderr)


def grown(weight: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A base's input kernel with zero rows appended up to ``shape`` (new inputs that change nothing yet)."""
    if weight.ndim != 2 or len(shape) != 2 or shape[1] != weight.shape[1] or shape[0] < weight.shape[0]:
        return weight
    return np.concatenate([weight, np.zeros((shape[0] - weight.shape[0], shape[1]), weight.dtype)])


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
                   resume: bool, plan: Plan | None = None) -> list[keras.callbacks.Callback]:
    backup = out / "checkpoints" / "resume"
    if not resume and backup.exists():
        shutil.rmtree(backup)
    best_so_far = _best_val_loss(out / "history.csv") if resume else None
    keep_best = cfg.keep == "best"  # else every epoch replaces the kept weights, and nothing stops the run early
    callbacks = [
        BitsPerNote(train_data.tokens_per_note, val_data.tokens_per_note, rate=cfg.decay),
        Backup(str(backup), delete_checkpoint=False),  # kept: --resume can extend a run
        BestCheckpoint(str(out / "checkpoints" / "best.weights.h5"), monitor="val_loss", save_best_only=keep_best,
                       save_weights_only=True, initial_value_threshold=best_so_far if keep_best else None),
        keras.callbacks.TerminateOnNaN(),
        HistoryLog(str(out / "history.csv"), append=resume),
    ]
    if keep_best:
        callbacks.append(keras.callbacks.EarlyStopping(monitor="val_loss", patience=cfg.patience))
    if cfg.max_minutes:
        callbacks.append(TimeLimit(cfg.max_minutes * 60, plan))
    return callbacks


class CtrlC(keras.callbacks.Callback):
    """Ctrl-C (SIGINT) stops training at the end of the batch it arrives in, as KeyboardInterrupt. Python raises
    KeyboardInterrupt wherever the main thread is; where that is a finalizer or a callback inside the backend,
    it is lost and training goes on. So while training the signal only sets a flag, read after every batch; a
    second Ctrl-C acts at once. A no-op outside the main thread."""

    def __init__(self):
        super().__init__()
        self.asked, self.previous = False, None

    def __enter__(self) -> CtrlC:
        try:
            self.previous = signal.signal(signal.SIGINT, self._ask)
        except ValueError:  # not the main thread: signals stay as they are
            self.previous = None
        return self

    def __exit__(self, *exc) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)

    def _ask(self, *_) -> None:
        self.asked = True
        signal.signal(signal.SIGINT, self.previous)

    def on_train_batch_end(self, batch, logs=None) -> None:
        if self.asked:
            raise KeyboardInterrupt

    on_test_batch_end = on_train_batch_end


class TimeLimit(keras.callbacks.Callback):
    """Stops training after the first epoch that ends past ``seconds`` (the best checkpoint is kept);
    in a run over several workers all stop when any is past it."""

    def __init__(self, seconds: float, plan: Plan | None = None):
        super().__init__()
        self.seconds, self.plan = seconds, plan or Plan()
        self.started = time.time()

    def on_train_begin(self, logs=None) -> None:
        self.started = time.time()

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        if self.plan.agree(time.time() - self.started > self.seconds):
            if self.plan.chief:
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
    summary = summarize(rows, elapsed, train_data, val_data, cfg.keep)
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


def summarize(rows: list[dict], elapsed: float, train_data: WindowData, val_data: WindowData,
              keep: str = "best") -> dict:
    """The kept epoch's figures (``keep``: "best", the lowest validation loss, or "last") and the run's."""
    if not rows:
        kept = {}
    elif keep == "last":
        kept = rows[-1]
    else:
        kept = min(rows, key=lambda r: r.get("val_loss", math.inf))
    return {
        "epochs_run": len(rows),
        "best_epoch": int(kept.get("epoch", -1)) + 1,  # the kept epoch
        "kept": keep,
        "train_bits_per_note": kept.get("bits_per_note"),
        "val_bits_per_note": kept.get("val_bits_per_note"),
        "val_bits_per_token": kept.get("val_loss", math.nan) / LN2,
        "train_seconds": round(elapsed, 1),
        "hardware": hardware(),
        "train_solos": len(train_data.data),
        "val_solos": len(val_data.data),
        "train_notes": train_data.notes,
    }


def training_batches(solos, tokenizer, seq_len: int, batch: int, count: int, inputs: list[str] | None = None,
                     timed: int | None = None):
    """Real windows for the throughput runs, and the input pipeline's seconds per batch.

    ``solos``: a list of solos or a TokenCorpus. The pipeline cost is what an epoch of WindowData costs
    (drawing every solo's transposition, then cutting and transposing each batch's windows from the
    records), per batch; with ``timed`` only that many batches are cut and timed.
    """
    data = WindowData(solos, tokenizer, seq_len, batch, augment=True, seed=0, inputs=inputs)
    started = time.perf_counter()
    data.on_epoch_end()
    epoch_s = time.perf_counter() - started
    n = min(len(data), timed or len(data))
    started = time.perf_counter()
    batches = [data[i] for i in range(n)]
    per_batch = epoch_s / len(data) + (time.perf_counter() - started) / n
    return [batches[i % len(batches)] for i in range(count)], per_batch
