"""Keras's checkpoint and log callbacks, writing each file whole or not at all.

Keras writes checkpoints and the CSV log in place, so a kill or a full disk mid-write leaves a file that no
longer loads (and h5py crashes the process when the disk fills under it). These write a temporary file
and rename it over the old one, after checking that the disk has room for it: the previous checkpoint
stays loadable until the new one is complete.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import keras

from jazz.files import DiskFull, atomic_path, atomic_write_text, ensure_room

OVERHEAD = 1.25  # an HDF5 weights file's size over its raw arrays, with room to spare


def save_weights(model: keras.Model, path: str | Path, kept: str) -> None:
    """``model.save_weights(path)``, atomically, refused (DiskFull, naming ``kept``) where the disk lacks room."""
    path = Path(path)
    ensure_room(path, _weights_bytes(model, path), kept)
    try:
        with atomic_path(path, suffix=".weights.h5") as tmp:
            model.save_weights(str(tmp), overwrite=True)
    except DiskFull as error:
        raise DiskFull(path, kept) from error
    except OSError as error:  # h5py reports a full disk in its message only
        if "errno = 28" in str(error):
            raise DiskFull(path, kept) from None
        raise


def _weights_bytes(model: keras.Model, path: Path) -> int:
    """What a weights file of ``model`` (with its optimizer's state) takes on disk."""
    if path.exists():
        return path.stat().st_size
    variables = list(model.weights) + (list(model.optimizer.variables) if model.optimizer else [])
    return int(OVERHEAD * sum(int(v.numpy().nbytes) for v in variables))


def last_epoch(backup: Path) -> int:
    """How many epochs the checkpoint in ``backup`` (a BackupAndRestore folder) holds; 0 without one."""
    try:
        return int(json.loads((backup / "training_metadata.json").read_text())["epoch"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0


class Backup(keras.callbacks.BackupAndRestore):
    """BackupAndRestore (for --resume) whose checkpoint is replaced whole after each epoch."""

    def _save_model(self):
        done = last_epoch(Path(self.backup_dir))
        kept = (f"the checkpoint after epoch {done} is kept" if done else "no epoch was checkpointed")
        save_weights(self.model, self._weights_path, kept)
        atomic_write_text(self._training_metadata_path,
                          json.dumps({"epoch": self._current_epoch, "batch": self._last_batch_seen}))


class BestCheckpoint(keras.callbacks.ModelCheckpoint):
    """ModelCheckpoint of the weights only, each replaced whole."""

    def _save_model(self, epoch, batch, logs):
        filepath = self._get_file_path(epoch, batch, logs)
        if self._should_save_model(epoch, batch, logs, filepath):
            save_weights(self.model, filepath, "the best weights so far are kept")


class HistoryLog(keras.callbacks.CSVLogger):
    """CSVLogger's rows, the whole file rewritten after each epoch (it is small): a full disk or a kill
    leaves the rows written before, never a half row or an emptied file."""

    def on_train_begin(self, logs=None):
        earlier = ""
        if self.append and os.path.exists(self.filename):
            with open(self.filename, encoding="utf-8") as handle:
                earlier = handle.read()
        self.append_header = not earlier.strip()
        self.csv_file = io.StringIO()
        self.csv_file.write(earlier)
        self.writer, self.keys = None, None

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        atomic_write_text(self.filename, self.csv_file.getvalue())

    def on_train_end(self, logs=None):
        self.writer = None
