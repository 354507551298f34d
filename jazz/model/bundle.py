"""A trained model folder: model.keras + tokenizer.json + config.json (+ history, curves, card)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from jazz.files import UsageError
from jazz.model.tokens import TokenError, Tokenizer
from jazz.settings import ModelConfig

DEFAULT_MODEL = Path(__file__).resolve().parents[2] / "models" / "default"


@dataclass
class Bundle:
    path: Path
    model: object  # keras.Model
    tokenizer: Tokenizer
    config: dict

    @property
    def model_config(self) -> ModelConfig:
        return ModelConfig.from_dict(self.config["model"])

    @property
    def conditioned(self) -> bool:
        return bool(self.config["model"].get("condition"))


def default_model_dir() -> Path:
    return Path(os.environ.get("JAZZ_MODEL", DEFAULT_MODEL))


def load_bundle(path: str | Path | None = None) -> Bundle:
    """Load a model folder, checking that every part is there and fits together."""
    folder = Path(path) if path is not None else default_model_dir()
    if folder.is_file():
        raise UsageError(f"{folder} is a file; a model is a folder with model.keras, tokenizer.json and config.json")
    if not folder.is_dir():
        raise UsageError(f"model folder {folder} does not exist")
    for name in ("model.keras", "tokenizer.json", "config.json"):
        if not (folder / name).is_file():
            raise UsageError(f"model folder {folder} has no {name} (train one with `jazz train --out {folder}`)")
    try:
        tokenizer = Tokenizer.load(folder / "tokenizer.json")
    except TokenError as error:
        raise UsageError(f"{folder / 'tokenizer.json'}: {error}") from None
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        vocab = config["model"]["vocab_size"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise UsageError(f"{folder / 'config.json'} is not a jazz model config ({error})") from None
    if vocab != tokenizer.size:
        raise UsageError(f"{folder}: the model has {vocab} tokens but the tokenizer {tokenizer.size}")
    import keras

    import jazz.model.cells  # noqa: F401  (registers the hand-built cells for deserialization)

    try:
        model = keras.saving.load_model(folder / "model.keras", compile=False)
    except Exception as error:  # Keras raises many kinds on a damaged archive
        raise UsageError(f"cannot load {folder / 'model.keras'} ({type(error).__name__}: {str(error)[:200]})") from None
    return Bundle(folder, model, tokenizer, config)
