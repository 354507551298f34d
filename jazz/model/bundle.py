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
    import jazz.model.paths  # noqa: F401  (and the output layers: IntervalLogits, ...)

    try:
        model = keras.saving.load_model(folder / "model.keras", compile=False)
    except Exception as error:  # Keras raises many kinds on a damaged archive
        raise UsageError(f"cannot load {folder / 'model.keras'} ({type(error).__name__}: {str(error)[:200]})") from None
    return Bundle(folder, model, tokenizer, config)


def checked_performer(path: str | Path | None, name: str | None) -> str | None:
    """The performer ``name`` (--like) as the model in ``path`` spells it, read from its config.json alone
    (before Keras loads); one sentence listing the model's performers if it knows no such one. A folder that
    is no model is left for load_bundle to refuse."""
    if name is None:
        return None
    from jazz.model.context import performer_key

    folder = Path(path) if path is not None else default_model_dir()
    performers = model_performers(folder)
    if performers is None:
        return name
    if not performers:
        raise UsageError(f"--like {name!r}: the model in {folder} knows no performers (train one with "
                         "`jazz train --performers`)")
    known = {performer_key(p): p for p in performers}
    if performer_key(name) not in known:
        raise UsageError(f"--like {name!r} is not a performer the model knows (choose from {', '.join(performers)})")
    return known[performer_key(name)]


def model_performers(folder: Path) -> tuple[str, ...] | None:
    """The performers the model in ``folder`` knows, from its config.json alone; None if it is no model."""
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        return ModelConfig.from_dict(config["model"]).performers
    except (OSError, ValueError, KeyError, TypeError):
        return None
