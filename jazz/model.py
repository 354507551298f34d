"""The network: Embedding → stacked recurrent layers → Dense logits over the token vocabulary.

Written with ``keras.layers`` and ``keras.ops`` only, so the TensorFlow, JAX and torch backends all run it.
Besides the tokens, a model may take two per-step inputs (computed by jazz.features):

* ``condition``: the chord sounding and the next chord, concatenated with the token embedding;
* ``last_pitch``: the pitch of the latest note (0 before the first), with ``skip`` on.

With ``skip`` the output layer also gets direct paths around the recurrent stack: a learned table of
biases from the latest pitch to every token, and a linear map from the chord features. A soloist's next
pitch depends sharply on the last one (steps are common, an exact repeat is rare), and an absolute-pitch
vocabulary makes that a different pattern for every pitch; the table states it once per pitch instead of
asking the recurrent memory to carry it. Likewise chord tones get their lift without passing through it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import keras

from jazz.cells import CELL_KINDS, recurrent_layer
from jazz.midi_read import HIGHEST_PITCH, LOWEST_PITCH

PITCH_SLOTS = 1 + HIGHEST_PITCH - LOWEST_PITCH + 1  # last_pitch: 0 (no note yet), 1 + pitch - LOWEST_PITCH


@dataclass
class ModelConfig:
    vocab_size: int
    embedding: int = 64
    hidden: int = 256
    layers: int = 2
    dropout: float = 0.2
    cell: str = "lstm"
    condition: int = 0  # width of the per-step condition features; 0: tokens only
    skip: bool = False  # direct paths from the latest pitch (and the condition) to the logits

    def __post_init__(self) -> None:
        if self.cell not in CELL_KINDS:
            raise ValueError(f"unknown cell {self.cell!r} (choose from {', '.join(CELL_KINDS)})")

    @property
    def input_names(self) -> list[str]:
        """The model's inputs, in order."""
        return ["tokens"] + ["condition"] * bool(self.condition) + ["last_pitch"] * self.skip

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ModelConfig:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


def build_model(config: ModelConfig) -> keras.Model:
    """The token model; its layers are named so that the sampler can drive them step by step."""
    inputs = {"tokens": keras.Input(shape=(None,), dtype="int32", name="tokens")}
    if config.condition:
        inputs["condition"] = keras.Input(shape=(None, config.condition), name="condition")
    if config.skip:
        inputs["last_pitch"] = keras.Input(shape=(None,), dtype="int32", name="last_pitch")
    x = keras.layers.Embedding(config.vocab_size, config.embedding, name="embedding")(inputs["tokens"])
    if config.condition:
        x = keras.layers.Concatenate(name="with_condition")([x, inputs["condition"]])
    for i in range(config.layers):
        x = recurrent_layer(config.cell, config.hidden, name=f"rnn_{i}")(x)
        x = keras.layers.Dropout(config.dropout, name=f"dropout_{i}")(x)
    logits = Head.new(config)(x, inputs.get("condition"), inputs.get("last_pitch"))
    return keras.Model([inputs[name] for name in config.input_names], logits,
                       name=f"jazz_{config.cell.replace('-', '_')}")


class Head:
    """The output: logits from the top recurrent layer, plus the skip paths where the model has them.

    Logits are float32 even under mixed precision. The skip layers start at zero, so a new model with
    skips begins exactly where one without them would.
    """

    def __init__(self, dense, pitch=None, chord=None):
        self.dense, self.pitch, self.chord = dense, pitch, chord
        self.total = keras.layers.Add(name="with_skips", dtype="float32") if pitch is not None else None

    @classmethod
    def new(cls, config: ModelConfig) -> Head:
        dense = keras.layers.Dense(config.vocab_size, name="logits", dtype="float32")
        if not config.skip:
            return cls(dense)
        pitch = keras.layers.Embedding(PITCH_SLOTS, config.vocab_size, name="pitch_logits", dtype="float32",
                                       embeddings_initializer="zeros")
        chord = keras.layers.Dense(config.vocab_size, use_bias=False, name="chord_logits", dtype="float32",
                                   kernel_initializer="zeros") if config.condition else None
        return cls(dense, pitch, chord)

    @classmethod
    def of(cls, model: keras.Model) -> Head:
        """The head of a built (or loaded) model, to call one step at a time."""
        names = {layer.name for layer in model.layers}
        head = cls(model.get_layer("logits"),
                   model.get_layer("pitch_logits") if "pitch_logits" in names else None,
                   model.get_layer("chord_logits") if "chord_logits" in names else None)
        if head.total is not None:
            head.total = model.get_layer("with_skips")
        return head

    def __call__(self, x, condition=None, last_pitch=None):
        logits = self.dense(x)
        if self.pitch is None:
            return logits
        parts = [logits, self.pitch(last_pitch)]
        if self.chord is not None:
            parts.append(self.chord(condition))
        return self.total(parts)


def recurrent_cells(model: keras.Model) -> list:
    """The cells of the stacked recurrent layers, bottom first."""
    layers = [layer for layer in model.layers if layer.name.startswith("rnn_")]
    return [layer.cell for layer in sorted(layers, key=lambda layer: int(layer.name.split("_")[1]))]
