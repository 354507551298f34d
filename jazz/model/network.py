"""The network: Embedding → stacked recurrent layers → Dense logits over the token vocabulary.

Written with ``keras.layers`` and ``keras.ops`` only, so the TensorFlow, JAX and torch backends all run it.
Besides the tokens, a model may take per-step inputs (computed by jazz.model.features):

* ``condition``: the chord sounding and the next chord, concatenated with the token embedding;
* ``last_pitch``: the pitch of the latest note (0 before the first), with ``skip`` or ``intervals`` on;
* ``previous_pitch``: the pitch of the note before it, with ``intervals`` on;
* ``register``: the solo's centre (its median pitch), the same at every step, with ``register`` on;
* ``echo``: where the current figure went the last time it was played (jazz.model.motifs), with ``echo`` on;
* ``context``: the tempo at the step and the solo's style, feel and instrument (jazz.model.context), with
  ``context`` set. It is mapped into the token embedding's space and added to it (``context_embedding``), and
  scores the tokens directly (``context_logits``): a ballad's double-time runs and a burner's long lines
  are decided by the tempo before any token is seen. Both maps start at zero, so a trained model given a
  context path begins exactly where it was, and a fine-tune learns what the tempo changes.

With ``skip`` the output layer also gets direct paths around the recurrent stack: a learned table of
biases from the latest pitch to every token, and a linear map from the chord features. A soloist's next
pitch depends sharply on the last one (steps are common, an exact repeat is rare), and an absolute-pitch
vocabulary makes that a different pattern for every pitch; the table states it once per pitch instead of
asking the recurrent memory to carry it. Likewise chord tones get their lift without passing through it.
With ``intervals`` a third path scores the next interval given the last one (``IntervalLogits``), and
with ``register`` a fourth scores each pitch by its distance from the solo's centre (``RegisterLogits``):
a trumpet and a baritone sax play the same lines an octave apart, and a model that is told which register
it plays in stops wandering out of it. With ``echo`` a fifth path lifts the pitch that repeats an earlier
figure (``EchoLogits``): riffs and sequences come back, which a recurrent memory that forgets after a few
bars rarely reproduces.
"""

from __future__ import annotations

import keras

from jazz.model.cells import recurrent_layer
from jazz.model.motifs import ECHO_ORDERS
from jazz.model.paths import PITCH_SLOTS, EchoLogits, IntervalLogits, RegisterLogits
from jazz.settings import ModelConfig


def build_model(config: ModelConfig) -> keras.Model:
    """The token model; its layers are named so that the sampler can drive them step by step."""
    inputs = {"tokens": keras.Input(shape=(None,), dtype="int32", name="tokens")}
    if config.condition:
        inputs["condition"] = keras.Input(shape=(None, config.condition), name="condition")
    for name in ("last_pitch", "previous_pitch", "register"):
        if name in config.input_names:
            inputs[name] = keras.Input(shape=(None,), dtype="int32", name=name)
    if config.echo:
        inputs["echo"] = keras.Input(shape=(None, len(ECHO_ORDERS)), dtype="int32", name="echo")
    if config.context:
        inputs["context"] = keras.Input(shape=(None, config.context), name="context")
    x = keras.layers.Embedding(config.vocab_size, config.embedding, name="embedding")(inputs["tokens"])
    if config.context:
        heard = context_embedding(config)(inputs["context"])
        x = keras.layers.Add(name="with_context")([x, heard])
    if config.condition:
        x = keras.layers.Concatenate(name="with_condition")([x, inputs["condition"]])
    for i in range(config.layers):
        x = recurrent_layer(config.cell, config.hidden, name=f"rnn_{i}")(x)
        x = keras.layers.Dropout(config.dropout, name=f"dropout_{i}")(x)
    logits = Head.new(config)(x, inputs)
    return keras.Model([inputs[name] for name in config.input_names], logits,
                       name=f"jazz_{config.cell.replace('-', '_')}")


def context_embedding(config: ModelConfig) -> keras.layers.Layer:
    """The map from the context features into the token embedding's space (zero at first)."""
    return keras.layers.Dense(config.embedding, use_bias=False, kernel_initializer="zeros", name="context_embedding")


SKIP_INPUTS = {"pitch_logits": ("last_pitch",), "chord_logits": ("condition",),
               "interval_logits": ("last_pitch", "previous_pitch"), "register_logits": ("register",),
               "echo_logits": ("echo",), "context_logits": ("context",)}


class Head:
    """The output: logits from the top recurrent layer, plus the skip paths where the model has them.

    Logits are float32 even under mixed precision. The skip layers start at zero, so a new model with
    skips begins exactly where one without them would.
    """

    def __init__(self, dense, skips: dict | None = None, total=None):
        self.dense, self.skips = dense, skips or {}
        self.total = total or (keras.layers.Add(name="with_skips", dtype="float32") if self.skips else None)

    @classmethod
    def new(cls, config: ModelConfig) -> Head:
        dense = keras.layers.Dense(config.vocab_size, name="logits", dtype="float32")
        skips = {}
        if config.skip:
            skips["pitch_logits"] = keras.layers.Embedding(PITCH_SLOTS, config.vocab_size, name="pitch_logits",
                                                           dtype="float32", embeddings_initializer="zeros")
        if config.skip and config.condition:
            skips["chord_logits"] = keras.layers.Dense(config.vocab_size, use_bias=False, name="chord_logits",
                                                       dtype="float32", kernel_initializer="zeros")
        if config.intervals:
            skips["interval_logits"] = IntervalLogits(config.vocab_size, config.first_pitch,
                                                      name="interval_logits", dtype="float32")
        if config.register:
            skips["register_logits"] = RegisterLogits(config.vocab_size, config.first_pitch,
                                                      name="register_logits", dtype="float32")
        if config.echo:
            skips["echo_logits"] = EchoLogits(config.vocab_size, config.first_pitch, name="echo_logits",
                                              dtype="float32")
        if config.context:
            skips["context_logits"] = keras.layers.Dense(config.vocab_size, use_bias=False, name="context_logits",
                                                         dtype="float32", kernel_initializer="zeros")
        return cls(dense, skips)

    @classmethod
    def of(cls, model: keras.Model) -> Head:
        """The head of a built (or loaded) model, to call one step at a time."""
        names = {layer.name for layer in model.layers}
        skips = {name: model.get_layer(name) for name in SKIP_INPUTS if name in names}
        return cls(model.get_layer("logits"), skips, model.get_layer("with_skips") if skips else None)

    def __call__(self, x, inputs: dict):
        """Logits from the recurrent output ``x`` and the per-step ``inputs`` the skip paths read."""
        logits = self.dense(x)
        if not self.skips:
            return logits
        parts = [logits]
        for name, layer in self.skips.items():
            wanted = [inputs[key] for key in SKIP_INPUTS[name]]
            parts.append(layer(wanted if len(wanted) > 1 else wanted[0]))
        return self.total(parts)


def recurrent_cells(model: keras.Model) -> list:
    """The cells of the stacked recurrent layers, bottom first."""
    layers = [layer for layer in model.layers if layer.name.startswith("rnn_")]
    return [layer.cell for layer in sorted(layers, key=lambda layer: int(layer.name.split("_")[1]))]
