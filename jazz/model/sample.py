"""Sampling: the trained model, driven one token at a time with its recurrent state carried.

One compiled function runs up to ``CHUNK`` steps of the whole inner loop on the backend: look up the chord at
the grammar's moment, embed the last token, advance every recurrent cell by one step, compute logits,
mask the tokens the grammar forbids, apply the temperature (one for pitches, one for the rhythm tokens)
and, for pitches, the top-p (nucleus) cut, draw the next token by inverting the cumulative distribution at
a uniform number supplied from NumPy (so a seed gives the same solo on every backend), and advance the
grammar and the motif memory. Python only sees the sequences every ``CHUNK`` steps. N solos are sampled
as one batch of rows, and a row whose solo has ended takes the next waiting one (jazz.model.rows).

Why the nucleus cuts pitches only: the unlikely pitches are mostly wrong notes and wild leaps, while the
unlikely positions and durations are the rests and odd rhythms that make a line breathe. Cutting every
token made the bundled model's solos denser and rhythmically flatter than the real ones; cutting pitches
alone keeps their rhythm statistics inside the real range and their register narrower.

Why the cut works inside interval bands: one nucleus over all pitches removes the rare but right leaps
along with the wrong notes, since a leap is rarely the likeliest pitch; the solos then hardly leap and fill
their lines with chromatic steps. With ``banded`` on, the pitches are grouped by their interval from the
last note (``INTERVAL_BANDS``: unison, steps, thirds, fourths and fifths, sixths to octaves, wider; up and
down apart), each band keeps the mass the model gives it, and the nucleus cuts inside each band: how far
to move is drawn as the model says, and only the unlikely notes at that distance are dropped.

The pitch-class memory (``pitch_memory``, a weight) adds to every pitch's logit the weight times the share
of its pitch class among the last ``MEMORY_NOTES`` notes (jazz.model.motifs): a cache, as in language
models, that keeps a line inside the collection of notes it has been using. It leaves the last pitch itself
alone: lifting it too feeds on itself, and the solos got stuck on one note for dozens of repeats.

The motif memory (``motif_memory``, a weight) adds the weight to the pitch each order of jazz.model.motifs
echoes: where the line goes on as it did the last time the solo played its current figure. A model with an
echo path has learned such a bias, and scored with the true context it expects figures to come back as often
as players bring them back; sampled freely, its lines drift off their figures (exposure bias), and the solos
repeat a quarter fewer figures than the players. A small weight brings that back; a large one feeds on
itself (a run goes on up the keyboard, a riff comes back for ever).
jazz.measure.likelihood scores the same sums, so their effect on bits per note is measured.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from jazz.model.context import performance_context, unknown_context
from jazz.model.features import chord_condition, chord_tables, register_slot
from jazz.model.motifs import history_echo, history_pitch_classes, history_push
from jazz.model.network import Head, recurrent_cells
from jazz.model.rows import Rows, row_count, steps_per_call
from jazz.model.tokens import (
    BOS,
    END,
    EOS,
    POS,
    Tokenizer,
    grammar_advance,
    grammar_mask,
    grammar_tables,
    grammar_time,
)
from jazz.music.notes import LOWEST_PITCH, ChordChange
from jazz.progress import Progress
from jazz.settings import Sampling

CHUNK = 64  # steps per call of the compiled function
REFILL_CHUNK = 32  # steps per call while solos wait for a row: shorter calls cost more than the idle steps they save
NUCLEUS_ROUNDS = 20  # bisection steps for the top-p threshold
INTERVAL_BANDS = (0, 2, 4, 7, 12)  # upper ends of the interval sizes of each band; wider intervals form the last
BAND_COUNT = 2 * len(INTERVAL_BANDS) + 1  # unison, then each size band up and down, then wider up and down


def band_table(reach: int = 128) -> np.ndarray:
    """Band of every interval from -reach to reach (index: interval + reach): 0 for a repeat, then the
    size bands of ``INTERVAL_BANDS`` upward (odd) and downward (even)."""
    intervals = np.arange(-reach, reach + 1)
    size = np.searchsorted(np.array(INTERVAL_BANDS), np.abs(intervals))  # 0 for unison, 1.. for wider
    return np.where(intervals == 0, 0, 2 * size - (intervals > 0)).astype(np.int32)


def _state_sizes(cell) -> list[int]:
    size = cell.state_size
    return list(size) if isinstance(size, (list, tuple)) else [size]


def choose(logits, mask, u, temperature, top_p, cut: tuple[int, int] | None = None, bands=None):
    """Token ids drawn from softmax(logits / T) restricted to ``mask`` and to the top-p nucleus.

    ``temperature`` and ``top_p`` are numbers or one per row. ``cut`` (first, end) limits the nucleus search
    to those columns: exact where the mask allows no other token, and cheaper; rows whose ``top_p`` is 1 are
    not cut at all. ``bands`` (one band index per row and cut column) makes the cut ``banded_nucleus``.
    """
    temperature = ops.reshape(ops.convert_to_tensor(temperature, "float32"), (-1, 1))
    logits = ops.where(mask, ops.cast(logits, "float32"), -1e9) / temperature
    probs = ops.softmax(logits, axis=-1)
    if cut is None:
        probs = nucleus(probs, top_p)
    else:
        first, end = cut
        pitches = probs[:, first:end]
        kept = nucleus(pitches, top_p) if bands is None else banded_nucleus(pitches, top_p, bands)
        probs = ops.concatenate([probs[:, :first], kept, probs[:, end:]], axis=-1)
    # the first token whose cumulative probability passes u·total: a token of probability 0 never does, even
    # at u = 0; and at u·total = total (float rounding) the last token that may be drawn
    cumulative = ops.cumsum(probs, axis=-1)
    target = u[:, None] * cumulative[:, -1:]
    index = ops.sum(ops.cast(cumulative <= target, "int32"), axis=-1)
    last = ops.max(ops.where(probs > 0, ops.arange(ops.shape(probs)[-1]), 0), axis=-1)
    return ops.minimum(index, last)


def nucleus(probs, top_p, rounds: int = NUCLEUS_ROUNDS):
    """``probs`` with all but the most likely tokens holding ``top_p`` (a number, or one per row) of the mass
    set to zero.

    Instead of sorting the vocabulary (the slowest part of a step at batch 64), bisect for the highest
    threshold whose tokens still hold ``top_p``: after 20 halvings it is within a millionth of the largest
    probability, which keeps the tokens a sort keeps (tested).
    The most likely token always stays; tokens tied at the threshold stay together; top_p 1 keeps all.
    """
    def halve(_, bounds):
        low, high = bounds
        middle = (low + high) / 2
        kept = ops.sum(ops.where(probs >= middle[:, None], probs, 0.0), axis=-1)
        enough = kept >= ops.reshape(top_p, (-1,))
        return ops.where(enough, middle, low), ops.where(enough, high, middle)

    low, _ = ops.fori_loop(0, rounds, halve, (ops.zeros_like(probs[:, 0]), ops.max(probs, axis=-1)))
    keep_all = ops.reshape(top_p, (-1, 1)) >= 1.0  # 1: every token, however unlikely
    return ops.where((probs >= low[:, None]) | keep_all, probs, 0.0)


def banded_nucleus(probs, top_p, bands):
    """``probs`` cut to the top-p nucleus inside each band (``bands``: a band index per entry, below
    ``BAND_COUNT``), each band then scaled back to the mass it had: the bands keep their shares, and only
    the unlikely tokens inside a band are dropped. One band for every entry is ``nucleus``, up to scale.

    An entry stays where the entries of its band that are strictly more likely hold less than ``top_p`` of
    the band's mass: exactly the set a sort keeps, ties kept together. Comparing every pair of the few
    dozen pitch columns costs less than searching for a threshold band by band.
    """
    member = ops.one_hot(bands, BAND_COUNT)  # (batch, entry, band)
    mass = ops.einsum("bek,bk->be", member, ops.einsum("be,bek->bk", probs, member))  # each entry's band mass
    share = probs / ops.maximum(mass, 1e-30)
    likelier = (bands[:, :, None] == bands[:, None, :]) & (share[:, None, :] > share[:, :, None])
    above = ops.sum(ops.where(likelier, share[:, None, :], 0.0), axis=-1)  # (batch, entry)
    target = ops.reshape(top_p, (-1, 1))
    kept = ops.where((above < target) | (target >= 1.0), probs, 0.0)
    kept_mass = ops.einsum("bek,bk->be", member, ops.einsum("be,bek->bk", kept, member))
    return kept * (mass / ops.maximum(kept_mass, 1e-30))


class Sampler:
    """``CHUNK`` sampling steps of a model as one compiled function (see the module notes).

    The recurrent states of all layers travel side by side in one (batch, total) array.
    """

    def __init__(self, model: keras.Model, tokenizer: Tokenizer):
        self.pitch_columns = (tokenizer.first("pitch"), tokenizer.first("dur"))  # where the nucleus cuts
        reach = tokenizer.high - tokenizer.low
        self.bands = band_table(reach)
        # interval of each pitch column from the last pitch's slot (1 + pitch - LOWEST_PITCH), plus reach
        self.column_offsets = np.arange(tokenizer.low, tokenizer.high + 1) - LOWEST_PITCH + 1 + reach
        self.pitch_classes = np.arange(tokenizer.low, tokenizer.high + 1) % 12
        self.column_slots = np.arange(tokenizer.low, tokenizer.high + 1) - LOWEST_PITCH + 1
        self.embedding = model.get_layer("embedding")
        self.cells = recurrent_cells(model)
        self.head = Head.of(model)
        self.sizes = [_state_sizes(cell) for cell in self.cells]
        self.conditioned = "condition" in [t.name for t in model.inputs]
        self.echoes = "echo" in [t.name for t in model.inputs]
        self.contexts = model.get_layer("context_embedding") if "context" in [t.name for t in model.inputs] else None
        self._compiled = compile_function(self._run)

    def initial_states(self, batch: int) -> np.ndarray:
        return np.zeros((batch, sum(sum(sizes) for sizes in self.sizes)), dtype="float32")

    def pitch_bands(self, last_pitch, banded):
        """(batch, pitches) band of each pitch's interval from the last pitch; all 0 before the first note or
        when ``banded`` is 0 (a plain nucleus)."""
        interval = ops.convert_to_tensor(self.column_offsets, "int32")[None, :] - last_pitch[:, None]
        bands = ops.take(ops.convert_to_tensor(self.bands), ops.clip(interval, 0, self.bands.shape[0] - 1))
        return ops.where(((last_pitch > 0) & (banded > 0))[:, None], bands, 0)

    def pitch_bias(self, memory, echo, last_pitch, settings):
        """(batch, pitches): what the memories add to the pitches' logits. The pitch-class memory adds its
        weight times each pitch class's share of the recent notes (``memory``, (batch, 12)), but not to the
        last pitch (a slot, ``last_pitch``); the motif memory adds its weight once for every order that
        echoes the pitch (``echo``: (batch, orders) pitch slots, 0 for none)."""
        slots = ops.convert_to_tensor(self.column_slots, "int32")[None, :]
        shares = ops.take(memory, ops.convert_to_tensor(self.pitch_classes, "int32"), axis=1)
        recent = ops.where(slots == last_pitch[:, None], 0.0, settings[4] * shares)
        hits = ops.sum(ops.cast(ops.cast(echo, "int32")[:, :, None] == slots[:, None, :], "float32"), axis=1)
        return recent + settings[5] * hits

    def _step(self, tokens, inputs, grammar, states, mask, u, settings, top_p):
        """One token for every row: (next ids, new states). ``inputs``: the model's per-step inputs besides
        the tokens (the chord condition, the echo, and the per-row ones such as the register), and the
        pitch-class ``memory``."""
        x = self.embedding(tokens)
        if self.contexts is not None:
            x = x + ops.cast(self.contexts(inputs["context"]), x.dtype)
        if self.conditioned:
            x = ops.concatenate([x, ops.cast(inputs["condition"], x.dtype)], axis=-1)
        flat = [size for sizes in self.sizes for size in sizes]
        pieces = ops.split(states, list(np.cumsum(flat)[:-1]), axis=-1) if len(flat) > 1 else [states]
        new_states, i = [], 0
        for cell, sizes in zip(self.cells, self.sizes):
            x, updated = cell(x, list(pieces[i:i + len(sizes)]), training=False)
            new_states += list(updated) if isinstance(updated, (list, tuple)) else [updated]
            i += len(sizes)
        logits = ops.cast(self.head(x, {**inputs, "last_pitch": grammar["last_pitch"],
                                        "previous_pitch": grammar["previous_pitch"],
                                        "echo": inputs["echo"] if self.echoes else None}), "float32")
        first, end = self.pitch_columns
        bias = self.pitch_bias(inputs["memory"], inputs["echo"], grammar["last_pitch"], settings)
        logits = ops.concatenate([logits[:, :first], logits[:, first:end] + bias, logits[:, end:]], axis=-1)
        temperature = ops.where(grammar["phase"] == POS, settings[0], settings[2])  # POS: a pitch comes next
        bands = self.pitch_bands(grammar["last_pitch"], settings[3])
        ids = choose(logits, mask, u, temperature, top_p, self.pitch_columns, bands)
        return ids, ops.concatenate(new_states, axis=-1) if len(new_states) > 1 else new_states[0]

    def _run(self, tokens, states, grammar, history, tables, chords, rows, uniforms, forced, settings):
        """``len(uniforms)`` steps, or fewer once every row has ended; ``forced`` holds a token id to take
        instead of sampling, or -1. ``rows``: the model's inputs that are constant per row (the register, the
        context)."""
        def body(i, carry):
            tokens, states, grammar, history, out = carry
            condition = chord_condition(chords, grammar_time(grammar, ops), ops) if self.conditioned else None
            inputs = {**rows, "condition": condition, "echo": history_echo(history, ops),
                      "memory": history_pitch_classes(history, xp=ops)}
            mask = grammar_mask(grammar, tables, ops)
            top_p = ops.where(grammar["phase"] == POS, settings[1], 1.0)  # the cut applies to pitches only
            ids, states = self._step(tokens, inputs, grammar, states, mask, uniforms[i], settings, top_p)
            ids = ops.where(forced[i] >= 0, forced[i], ops.cast(ids, "int32"))
            grammar = grammar_advance(grammar, ids, tables, ops)
            history = history_push(history, ops.take(tables["pitch_slot"], ids), ops)
            return ids, states, grammar, history, ops.slice_update(out, [i, 0], ids[None])

        def running(i, tokens, states, grammar, history, out):
            return (i < forced.shape[0]) & ops.any(grammar["phase"] != END)

        def step(i, *carry):
            return (i + 1, *body(i, carry))

        out = ops.zeros(ops.shape(forced), dtype="int32")  # the steps not run, once every row has ended, stay 0
        return ops.while_loop(running, step, (0, tokens, states, grammar, history, out))[1:]

    def __call__(self, tokens, states, grammar, history, tables, chords, rows, uniforms, forced,
                 sampling: Sampling = Sampling()):
        settings = np.array(sampling.values(), dtype="float32")
        return self._compiled(tokens, states, grammar, history, tables, chords, rows, uniforms, forced, settings)


def compile_function(function):
    """The backend's compiler for an inference function (XLA on TensorFlow and JAX; torch runs eagerly)."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        return _ConcreteTF(function)
    if backend == "jax":
        import jax

        return jax.jit(function)
    if backend == "torch":
        import torch

        return torch.no_grad()(function)
    return function


class _ConcreteTF:
    """A tf.function (XLA) called through one concrete function per input shape: each call skips
    tf.function's argument matching, which costs more than the step itself at batch 1."""

    def __init__(self, function):
        import tensorflow as tf

        self.tf = tf
        self.function = tf.function(function, jit_compile=True)
        self.concrete: dict = {}

    def __call__(self, *args):
        tensors = self.tf.nest.map_structure(self.tf.convert_to_tensor, args)
        key = tuple((tuple(t.shape), t.dtype) for t in self.tf.nest.flatten(tensors))
        if key not in self.concrete:
            self.concrete[key] = self.function.get_concrete_function(*tensors)
        return self.concrete[key](*tensors)


def sample(model: keras.Model, tokenizer: Tokenizer, n: int, plan: list[str], sampling: Sampling = Sampling(),
           seed: int = 0, primer: np.ndarray | None = None, chords: list[list[ChordChange]] | None = None,
           progress: bool = False, sampler: Sampler | None = None,
           register: int | list[int | None] | None = None, context: np.ndarray | None = None,
           slots: int | None = None) -> list[np.ndarray]:
    """``n`` token sequences (from <bos> to <eos>) whose bars follow ``plan`` (a meter per bar), drawn with
    ``sampling`` (temperatures, nucleus, memories: see the module notes).

    ``chords`` gives every row its chord changes (for a chord-aware model). ``register`` is the centre
    pitch to play around (for a model with a register path), one for all rows or one per row; None leaves
    it open. ``context`` is what a model with a context path hears (jazz.model.context.performance_context:
    the tempo and labels), one row for all or one per row; None: 120 bpm, labels and performer unknown.
    ``primer`` (token ids after <bos>) is forced at the start of every sequence; the rest is sampled. At most
    ``slots`` solos (default jazz.model.rows.SLOTS) are drawn at once; the others wait for a row
    (jazz.model.rows).
    """
    chunks = sample_chunks(model, tokenizer, n, plan, sampling, seed, primer, chords, sampler, register,
                           context=context, slots=slots)
    bar = Progress(f"sampling {n} solo{'s' * (n > 1)}, bars", len(plan), enabled=progress)
    while True:
        try:
            bar.update(next(chunks))
        except StopIteration as finished:
            bar.close()
            return finished.value


def sample_chunks(model: keras.Model, tokenizer: Tokenizer, n: int, plan: list[str], sampling: Sampling = Sampling(),
                  seed: int = 0, primer: np.ndarray | None = None, chords: list[list[ChordChange]] | None = None,
                  sampler: Sampler | None = None, register: int | list[int | None] | None = None,
                  chunk: int | None = None, context: np.ndarray | None = None, slots: int | None = None):
    """``sample`` as a generator: it yields the bars the solos have reached on average after each call of the
    compiled function (``chunk`` steps: by default ``CHUNK``, or ``REFILL_CHUNK`` where solos wait for rows),
    and returns the sequences, so a caller can do other work in between."""
    sampler = sampler or Sampler(model, tokenizer)
    tables = grammar_tables(tokenizer, plan, plan_slots=_bucket(len(plan) + 1, 256))
    changes = chords if chords is not None else [[] for _ in range(n)]
    harmony = chord_tables(changes, slots=_bucket(max(len(c) for c in changes), 64))
    centres = list(register) if isinstance(register, (list, tuple, np.ndarray)) else [register] * n
    if len(centres) != n:
        raise ValueError(f"register: {len(centres)} centres for {n} rows")
    if context is None:  # every label unknown, as wide as the model's context (performers included)
        context = unknown_context(model)
    heard = performance_context(120.0) if context is None else np.asarray(context, dtype=np.float32)
    given = {"register": np.array([register_slot(c) for c in centres], dtype=np.int32),
             "context": np.ascontiguousarray(np.broadcast_to(heard.reshape(-1, heard.shape[-1]), (n, heard.shape[-1])))}
    forced = np.asarray(primer if primer is not None else [], dtype=np.int32)
    steps = sum(int(tokenizer.bar_steps[tokenizer.bar_id(m)]) for m in plan)
    limit = len(forced) + 2 + len(plan) + 3 * steps  # at most a note per grid step
    count = row_count(n, slots)
    chunk = chunk or steps_per_call(count, n, CHUNK, REFILL_CHUNK)
    rows = Rows(sampler.initial_states(count), n, seed, tokenizer.index[BOS], harmony, given, forced, limit)
    while True:
        uniforms, take = rows.chunk_inputs(chunk)
        results = sampler(rows.tokens, rows.states, rows.grammar, rows.history, tables, rows.harmony, rows.given,
                          uniforms, take, sampling)
        if not rows.advance(*results, chunk=chunk):
            return rows.sequences(tokenizer.index[EOS])
        yield rows.bars_reached()


def _bucket(size: int, least: int) -> int:
    """``size`` rounded up to a power of two (at least ``least``): most solos then share one compilation."""
    return max(least, 1 << (size - 1).bit_length())
