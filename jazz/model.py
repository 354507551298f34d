"""The network: Embedding → stacked recurrent layers → Dense logits over the token vocabulary.

Written with ``keras.layers`` and ``keras.ops`` only, so the TensorFlow, JAX and torch backends all run it.
An optional per-step "condition" input (the chord sounding and the place in the bar, see jazz.features)
is concatenated with the token embedding.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import keras

from jazz.cells import CELL_KINDS, recurrent_layer


@dataclass
class ModelConfig:
    vocab_size: int
    embedding: int = 64
    hidden: int = 256
    layers: int = 2
    dropout: float = 0.2
    cell: str = "lstm"
    condition: int = 0  # width of the per-step condition features; 0: tokens only

    def __post_init__(self) -> None:
        if self.cell not in CELL_KINDS:
            raise ValueError(f"unknown cell {self.cell!r} (choose from {', '.join(CELL_KINDS)})")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ModelConfig:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


def build_model(config: ModelConfig) -> keras.Model:
    """The token model; its layers are named so that the sampler can drive them step by step."""
    tokens = keras.Input(shape=(None,), dtype="int32", name="tokens")
    inputs = [tokens]
    x = keras.layers.Embedding(config.vocab_size, config.embedding, name="embedding")(tokens)
    if config.condition:
        condition = keras.Input(shape=(None, config.condition), name="condition")
        inputs.append(condition)
        x = keras.layers.Concatenate(name="with_condition")([x, condition])
    for i in range(config.layers):
        x = recurrent_layer(config.cell, config.hidden, name=f"rnn_{i}")(x)
        x = keras.layers.Dropout(config.dropout, name=f"dropout_{i}")(x)
    logits = keras.layers.Dense(config.vocab_size, name="logits", dtype="float32")(x)  # float32 under mixed precision
    return keras.Model(inputs, logits, name=f"jazz_{config.cell.replace('-', '_')}")


def recurrent_cells(model: keras.Model) -> list:
    """The cells of the stacked recurrent layers, bottom first."""
    layers = [layer for layer in model.layers if layer.name.startswith("rnn_")]
    return [layer.cell for layer in sorted(layers, key=lambda layer: int(layer.name.split("_")[1]))]
