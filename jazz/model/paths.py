"""The direct paths to the output: learned logit biases from the last interval, the solo's register and the
motif memory's echoes, placed at the pitch tokens. Keras layers, registered so that saved models load them."""

from __future__ import annotations

import keras
from keras import ops

from jazz.music.notes import HIGHEST_PITCH, LOWEST_PITCH

PITCH_SLOTS = 1 + HIGHEST_PITCH - LOWEST_PITCH + 1  # last_pitch: 0 (no note yet), 1 + pitch - LOWEST_PITCH


@keras.saving.register_keras_serializable(package="jazz")
class IntervalLogits(keras.layers.Layer):
    """Logit biases for the next pitch from the interval just played: a learned table of
    (last interval, next interval) scores, placed at the pitch tokens around the latest pitch.

    Soloists continue a direction (scale and chromatic runs, trills) far more often than a model that
    must reconstruct the last interval from its memory predicts; the table states it directly.
    Intervals beyond ``reach`` semitones share the outermost row; next intervals beyond it get no bias.
    """

    def __init__(self, vocab_size: int, first_pitch: int, reach: int = 12, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size, self.first_pitch, self.reach = vocab_size, first_pitch, reach

    def build(self, input_shape):
        width = 2 * self.reach + 1
        self.table = self.add_weight(shape=(width + 1, width), initializer="zeros", name="table")  # last row: unknown

    def call(self, inputs):
        last, previous = (ops.cast(v, "int32") for v in inputs)
        known = (last > 0) & (previous > 0)
        played = ops.clip(last - previous, -self.reach, self.reach) + self.reach
        rows = ops.take(self.table, ops.where(known, played, 2 * self.reach + 1), axis=0)  # (..., width)
        slots = ops.arange(1, PITCH_SLOTS, dtype="int32")  # the pitch of each pitch token, as a slot
        offset = slots - last[..., None] + self.reach
        inside = (offset >= 0) & (offset <= 2 * self.reach) & (last[..., None] > 0)
        scores = ops.take_along_axis(rows, ops.clip(offset, 0, 2 * self.reach), axis=-1)
        return at_pitch_tokens(ops.where(inside, scores, 0.0), self.vocab_size, self.first_pitch)

    def compute_output_shape(self, input_shape):
        return (*input_shape[0], self.vocab_size)

    def get_config(self) -> dict:
        return {**super().get_config(), "vocab_size": self.vocab_size, "first_pitch": self.first_pitch,
                "reach": self.reach}


@keras.saving.register_keras_serializable(package="jazz")
class RegisterLogits(keras.layers.Layer):
    """Logit biases for every pitch from its distance to the solo's centre (both as pitch slots): one
    learned score per distance, shared by all solos, so it says "stay near your register" once for every
    instrument. Distances beyond ``reach`` semitones share the outermost score; centre 0 (unknown) gets none.
    """

    def __init__(self, vocab_size: int, first_pitch: int, reach: int = 30, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size, self.first_pitch, self.reach = vocab_size, first_pitch, reach

    def build(self, input_shape):
        self.table = self.add_weight(shape=(2 * self.reach + 1,), initializer="zeros", name="table")

    def call(self, centre):
        centre = ops.cast(centre, "int32")[..., None]
        slots = ops.arange(1, PITCH_SLOTS, dtype="int32")
        distance = ops.clip(slots - centre, -self.reach, self.reach) + self.reach
        scores = ops.where(centre > 0, ops.take(self.table, distance), 0.0)
        return at_pitch_tokens(scores, self.vocab_size, self.first_pitch)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.vocab_size)

    def get_config(self) -> dict:
        return {**super().get_config(), "vocab_size": self.vocab_size, "first_pitch": self.first_pitch,
                "reach": self.reach}


@keras.saving.register_keras_serializable(package="jazz")
class EchoLogits(keras.layers.Layer):
    """Logit biases for the pitches the motif memory echoes (jazz.model.motifs): one learned weight per order,
    added at the echoed pitch of that order (slot 0: no echo, no bias)."""

    def __init__(self, vocab_size: int, first_pitch: int, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size, self.first_pitch = vocab_size, first_pitch

    def build(self, input_shape):
        self.weight = self.add_weight(shape=(input_shape[-1],), initializer="zeros", name="weight")

    def call(self, echo):
        slots = ops.arange(1, PITCH_SLOTS, dtype="int32")
        hits = ops.cast(ops.expand_dims(ops.cast(echo, "int32"), -1) == slots, "float32")  # (..., orders, slots)
        scores = ops.sum(hits * ops.expand_dims(self.weight, -1), axis=-2)
        return at_pitch_tokens(scores, self.vocab_size, self.first_pitch)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.vocab_size)

    def get_config(self) -> dict:
        return {**super().get_config(), "vocab_size": self.vocab_size, "first_pitch": self.first_pitch}


def at_pitch_tokens(scores, vocab_size: int, first_pitch: int):
    """Scores for the pitch tokens, one per pitch slot (..., PITCH_SLOTS - 1), padded with zeros to the
    whole vocabulary (the pitch tokens start at id ``first_pitch``)."""
    after = vocab_size - first_pitch - (PITCH_SLOTS - 1)
    return ops.pad(scores, [(0, 0)] * (len(scores.shape) - 1) + [(first_pitch, after)])
