"""How well a model predicts real solos: every token scored with the true context (teacher forcing).

Each solo is tokenized as for training (no transposition) and run through the model whole, a few solos of
similar length per call, padded at the end; every token after ``<bos>`` is scored once. The same pass
measures calibration: how much probability the model gives to four melodic events against how often the
soloists play them (``melodic_expectations``), and splits the total by what each token says
(``PARTS``): when the next note starts (``pos:`` tokens, and the ``bar:`` and ``<eos>`` tokens that say
"no more notes in this bar"), its pitch, and its duration.
"""

from __future__ import annotations

from typing import NamedTuple

import keras
import numpy as np

from jazz.measure.givens import given_register
from jazz.measure.stats import chord_pitch_classes
from jazz.model.bundle import Bundle
from jazz.model.features import model_inputs, pitch_memory, token_times
from jazz.model.motifs import ECHO_ORDERS, echo_inputs, pitch_class_shares
from jazz.model.tokens import Tokenizer
from jazz.music.notes import LOWEST_PITCH, Solo, change_index
from jazz.progress import Progress

SCORE_BATCH = 16  # solos per forward call when scoring
PARTS = ("position", "pitch", "duration")


class Likelihood(NamedTuple):
    nats: float  # of every token after <bos>, all solos
    calibration: dict  # per event of CALIBRATION_KEYS: {"model": share, "real": share}
    parts: dict[str, float]  # nats by PARTS; they sum to ``nats``


def token_parts(tok: Tokenizer) -> np.ndarray:
    """For every token id, the index in ``PARTS`` of what it says (bar, pos and <eos>: position)."""
    kinds = [token.partition(":")[0] for token in tok.vocab]
    return np.array([PARTS.index({"pitch": "pitch", "dur": "duration"}.get(k, "position")) for k in kinds])


def encode(bundle: Bundle, solo: Solo) -> dict[str, np.ndarray]:
    """The model's inputs for ``solo`` as in training (no transposition), by input name; the register input is
    the one generation is given (jazz.measure.givens), not the solo's own median."""
    return model_inputs(bundle.tokenizer, solo, bundle.model_config, lambda s: given_register(s, bundle.config))


def forward_function(model: keras.Model):
    """The model's forward pass; on TensorFlow a graph traced once for every batch size and length."""
    def forward(inputs):
        return model(inputs, training=False)

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return tf.function(forward, reduce_retracing=True)
    return forward


def batch_logits(forward, encoded: list[dict[str, np.ndarray]]) -> list[np.ndarray]:
    """Each sequence's logits (float64, one row per token but the last), from one forward call.

    Shorter sequences are padded at the end; the network is causal, so padding never changes a real step.
    """
    length = max(len(e["tokens"]) for e in encoded)
    inputs = {}
    for name, first in encoded[0].items():
        dtype = "float32" if first.dtype.kind == "f" else "int32"
        batch = np.zeros((len(encoded), length, *first.shape[1:]), dtype=dtype)
        for row, e in enumerate(encoded):
            batch[row, :len(e[name])] = e[name]
        inputs[name] = batch
    logits = keras.ops.convert_to_numpy(forward(inputs if len(inputs) > 1 else inputs["tokens"]))
    return [logits[row, :len(e["tokens"]) - 1].astype(np.float64) for row, e in enumerate(encoded)]


def batch_nats(forward, encoded: list[dict[str, np.ndarray]]) -> list[float]:
    """Negative log-likelihood (nats) of each sequence's tokens after the first, in one forward call."""
    return [_nats(logits, e["tokens"][1:]) for logits, e in zip(batch_logits(forward, encoded), encoded)]


def token_nats(logits: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Negative log-likelihood (nats) of each target token under its row of logits."""
    top = logits.max(axis=-1, keepdims=True)
    log_z = top[:, 0] + np.log(np.exp(logits - top).sum(axis=-1))
    return log_z - logits[np.arange(len(targets)), targets.astype(np.int64)]


def _nats(logits: np.ndarray, targets: np.ndarray) -> float:
    return float(token_nats(logits, targets).sum())


def remembered(tok: Tokenizer, ids: np.ndarray, logits: np.ndarray, weight: float, motif: float = 0.0) -> np.ndarray:
    """``logits`` (one row per token of ``ids`` but the last) with the sampler's memories added
    (jazz.model.sample) where the next token is a pitch, which the grammar knows from the token before: the
    pitch-class memory of weight ``weight``, not to the last pitch played, and the motif memory of weight
    ``motif``, once at each pitch an order echoes."""
    if not weight and not motif:
        return logits
    first, count = tok.first("pitch"), tok.high - tok.low + 1
    slots = tok.pitch_slots[np.asarray(ids, dtype=np.int64)]
    steps = np.flatnonzero(slots[1:] > 0)
    played = slots[slots > 0]
    bias = weight * pitch_class_shares(played)[:, (tok.low + np.arange(count)) % 12]
    last = played[:-1] - 1 + LOWEST_PITCH - tok.low  # the column of the note before each note
    bias[np.arange(1, len(played)), last] = 0.0
    if motif:
        columns = echo_inputs(slots)[steps] - 1 + LOWEST_PITCH - tok.low  # (notes, orders); no echo: below 0
        for order in columns.T:
            rows = np.flatnonzero((order >= 0) & (order < count))
            bias[rows, order[rows]] += motif
    out = logits.copy()
    out[steps, first:first + count] += bias
    return out


def model_likelihood(bundle: Bundle, solos: list[Solo], progress: bool = False,
                     pitch_memory: float = 0.0, motif_memory: float = 0.0) -> Likelihood:
    """Total negative log-likelihood in nats of all the solos under the model (batched by similar length),
    split by ``PARTS``, and the teacher-forced calibration of four melodic events (``melodic_expectations``);
    with the sampler's pitch-class and motif memories of weights ``pitch_memory`` and ``motif_memory``
    (``remembered``)."""
    forward = forward_function(bundle.model)
    encoded = [encode(bundle, s) for s in solos]
    order = sorted(range(len(solos)), key=lambda i: len(encoded[i]["tokens"]))
    part_of = token_parts(bundle.tokenizer)
    parts, sums = np.zeros(len(PARTS)), {key: np.zeros(3) for key in CALIBRATION_KEYS}
    bar = Progress("scoring solos with the model", len(solos), enabled=progress)
    for start in range(0, len(order), SCORE_BATCH):
        rows = order[start:start + SCORE_BATCH]
        for i, logits in zip(rows, batch_logits(forward, [encoded[i] for i in rows])):
            logits = remembered(bundle.tokenizer, encoded[i]["tokens"], logits, pitch_memory, motif_memory)
            targets = encoded[i]["tokens"][1:].astype(np.int64)
            parts += np.bincount(part_of[targets], weights=token_nats(logits, targets), minlength=len(PARTS))
            for key, values in melodic_expectations(bundle.tokenizer, solos[i], encoded[i]["tokens"], logits).items():
                sums[key] += values
        bar.update(min(start + SCORE_BATCH, len(order)))
    bar.close()
    calibration = {key: {"model": s[0] / s[2] if s[2] else None, "real": s[1] / s[2] if s[2] else None}
                   for key, s in sums.items()}
    return Likelihood(float(parts.sum()), calibration, dict(zip(PARTS, map(float, parts))))


CALIBRATION_KEYS = ("repeated_pitch", "chord_tone_on_beats", "interval_continued", "motif_echoed")


def melodic_expectations(tok: Tokenizer, solo: Solo, ids: np.ndarray, logits: np.ndarray) -> dict:
    """Per event, [the model's expected count, the real count, the chances] over the solo's notes, with the
    true context (teacher forcing): the next pitch repeats the last one; an on-beat note under a chord is a
    chord tone; the last interval (not a repeat) is played again; the last three intervals continue as they
    did the latest time they were played (jazz.model.motifs, order 3). The model's probabilities are its
    pitch-token probabilities renormalized over the pitches."""
    first = tok.first("pitch")
    count = tok.high - tok.low + 1
    steps = np.flatnonzero((ids[1:] >= first) & (ids[1:] < first + count))  # predictions of a pitch
    pitch_logits = logits[steps, first:first + count]
    probs = np.exp(pitch_logits - pitch_logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    played = ids[steps + 1] - first  # pitch index of each note
    latest, before = pitch_memory(tok, ids)
    echoes = echo_inputs(tok.pitch_slots[ids])[:, ECHO_ORDERS.index(3)]
    offset = tok.pitch_slots[first]  # pitch index = slot - offset
    out = {key: np.zeros(3) for key in CALIBRATION_KEYS}
    times = token_times(tok, ids)
    changes = sorted(solo.chords, key=lambda c: c.onset)
    onsets = [c.onset for c in changes]
    for row, (t, note) in enumerate(zip(steps, played)):
        last, prev = latest[t] - offset, before[t] - offset
        if latest[t]:
            out["repeated_pitch"] += (probs[row, last], note == last, 1)
        if latest[t] and before[t] and last != prev and 0 <= 2 * last - prev < count:
            out["interval_continued"] += (probs[row, 2 * last - prev], note == 2 * last - prev, 1)
        echo = echoes[t] - offset
        if echoes[t] and 0 <= echo < count:
            out["motif_echoed"] += (probs[row, echo], note == echo, 1)
        onset = int(times[t])
        if changes and (onset - solo.bars[solo.bar_index(onset)].start) % tok.grid == 0:
            index = change_index(onsets, onset)
            tones = chord_pitch_classes(changes[index].symbol) if index >= 0 else frozenset()
            if tones:
                member = np.isin((tok.low + np.arange(count)) % 12, list(tones))
                out["chord_tone_on_beats"] += (probs[row, member].sum(), member[note], 1)
    return out
