"""What the model is told at every step besides the tokens: the harmony around the current moment.

After each token the sequence stands at a moment in the music (a bar line after ``bar:``, a note's
onset after ``pos:``/``pitch:``/``dur:``). The condition at that step is the chord sounding then and the
chord of the next change (so a line can lead into it), each as ``chord_features`` (root,
pitch-class set, bass, no-chord flag). Training computes it from the solo's chord changes; sampling
computes the same thing from the grammar's position over the chosen changes, so both see one quantity.
A model with skip paths also gets the latest pitch (and the one before) at every step (``pitch_memory``;
the grammar tracks the same values while sampling), and a model with a register path the solo's centre
(``register_slot``: its median pitch; when sampling, the register the user asks for), and a model with a
motif path the echoes of earlier figures (jazz.model.motifs), and a model with a context path the tempo and
the solo's labels (jazz.model.context).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np

from jazz.model.context import context_features, local_tempo, solo_codes
from jazz.model.motifs import echo_inputs
from jazz.model.tokens import Tokenizer
from jazz.music.chord_parse import to_chord
from jazz.music.chords import NO_CHORD
from jazz.music.notes import HIGHEST_PITCH, LOWEST_PITCH, ChordChange, Solo
from jazz.settings import ModelConfig

CHORD_FEATURES = 37  # root one-hot (12) + pitch-class set (12) + bass one-hot (12) + no-chord flag (1)
CONDITION_SIZE = 2 * CHORD_FEATURES


@lru_cache(maxsize=4096)
def _features(symbol: str | None) -> np.ndarray:
    vector = np.zeros(CHORD_FEATURES, dtype=np.float32)
    chord = NO_CHORD if symbol is None else to_chord(symbol)
    if chord.root is None:
        vector[36] = 1.0
    else:
        vector[chord.root] = 1.0
        vector[[12 + pc for pc in chord.pitch_classes]] = 1.0
        vector[24 + chord.bass_pc] = 1.0
    vector.flags.writeable = False
    return vector


def chord_features(symbol: str | None) -> np.ndarray:
    """Model input for a chord: root one-hot, pitch-class set, bass one-hot (the root without a slash), no-chord
    flag; ``CHORD_FEATURES`` float32 values. None or N.C. sets only the flag. The array is cached: read-only."""
    return _features(symbol)


def token_times(tokenizer: Tokenizer, ids: np.ndarray) -> np.ndarray:
    """The grid step each token leaves the sequence at (what ``Grammar`` calls the current moment)."""
    ids = np.asarray(ids, dtype=np.int64)
    first_pos = tokenizer.first("pos")
    bar_lengths = tokenizer.bar_steps
    is_bar = bar_lengths[ids] > 0
    is_pos = (ids >= first_pos) & (ids < tokenizer.first("pitch"))
    lengths_before = np.concatenate([[0], np.cumsum(bar_lengths[ids])[:-1]])
    bar_start = np.maximum.accumulate(np.where(is_bar, lengths_before, 0))
    onset = np.where(is_pos, bar_start + ids - first_pos, -1)
    last_onset = np.maximum.accumulate(np.where(is_pos, np.arange(len(ids)), -1))
    after_note = (~is_bar) & (last_onset > np.maximum.accumulate(np.where(is_bar, np.arange(len(ids)), -1)))
    return np.where(after_note, onset[np.maximum(last_onset, 0)], bar_start)


class ChordTimeline:
    """Chord changes as arrays, to look up the sounding and the next chord at many moments at once."""

    def __init__(self, changes: list[ChordChange]):
        self.onsets = np.array([c.onset for c in changes], dtype=np.int64)
        table = [chord_features(None)] + [chord_features(c.symbol) for c in changes] + [chord_features(None)]
        self.table = np.stack(table).astype(np.float32)  # row 0: before the first change; last row: after the last

    def condition(self, times: np.ndarray) -> np.ndarray:
        """(len(times), CONDITION_SIZE): features of the chord sounding at each time and of the next change."""
        current = np.searchsorted(self.onsets, times, side="right")  # 0 before the first change
        following = np.minimum(current + 1, len(self.table) - 1) if len(self.onsets) else current
        return np.concatenate([self.table[current], self.table[following]], axis=-1)


def pitch_memory(tokenizer: Tokenizer, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For every token, the latest pitch at or before it and the one before that, as the ``last_pitch`` and
    ``previous_pitch`` inputs (slots: 0 for none yet, else 1 + pitch - LOWEST_PITCH)."""
    slots = tokenizer.pitch_slots[np.asarray(ids, dtype=np.int64)]
    played = np.concatenate([[0, 0], slots[slots > 0]])
    count = np.cumsum(slots > 0)  # pitches so far
    return played[count + 1].astype(np.int32), played[count].astype(np.int32)


def solo_centre(solo: Solo) -> int | None:
    """The solo's register: the median pitch of its notes, rounded down (None without notes)."""
    if not solo.notes:
        return None
    return int(np.median([n.pitch for n in solo.notes]))


def register_slot(centre: int | None) -> int:
    """A centre pitch as the ``register`` input: 0 for unknown, else 1 + pitch - LOWEST_PITCH."""
    if centre is None:
        return 0
    return 1 + min(max(int(centre), LOWEST_PITCH), HIGHEST_PITCH) - LOWEST_PITCH


def encode_with_condition(tokenizer: Tokenizer, solo: Solo) -> tuple[np.ndarray, np.ndarray]:
    """Token ids of ``solo`` and the condition row of every token."""
    ids = tokenizer.encode(solo)
    return ids, ChordTimeline(solo.chords).condition(token_times(tokenizer, ids))


def model_inputs(tokenizer: Tokenizer, solo: Solo, config: ModelConfig,
                 centre: Callable[[Solo], int | None] = solo_centre) -> dict[str, np.ndarray]:
    """Every per-token input ``config``'s model takes for ``solo``, by input name ("tokens" first); ``centre``
    gives the register input (training: the solo's median; scoring: what generation is given)."""
    if config.condition:
        ids, condition = encode_with_condition(tokenizer, solo)
        inputs = {"tokens": ids, "condition": condition}
    else:
        inputs = {"tokens": tokenizer.encode(solo)}
    latest, before = pitch_memory(tokenizer, inputs["tokens"])
    memory = {"last_pitch": latest, "previous_pitch": before,
              "register": np.full(len(latest), register_slot(centre(solo)), dtype=np.int32)}
    if config.echo:
        memory["echo"] = echo_inputs(tokenizer.pitch_slots[inputs["tokens"]])
    if config.context:
        bpm = local_tempo(solo, token_times(tokenizer, inputs["tokens"]))
        memory["context"] = context_features(bpm, solo_codes(solo.labels, config.performers), len(config.performers))
    return inputs | {name: memory[name] for name in config.input_names if name in memory}


def chord_tables(changes: list[list[ChordChange]], slots: int = 0) -> dict[str, np.ndarray]:
    """Every row's chord changes as padded arrays for ``chord_condition`` (at least ``slots`` changes wide).

    ``onsets`` (rows, C) is padded with a step no solo reaches; ``features`` (rows, C + 2, CHORD_FEATURES)
    holds no-chord rows before the first change, after the last and in the padding.
    """
    width = max([slots, 1] + [len(c) for c in changes])
    onsets = np.full((len(changes), width), 2**30, dtype=np.int32)
    features = np.tile(chord_features(None), (len(changes), width + 2, 1)).astype(np.float32)
    for row, row_changes in enumerate(changes):
        onsets[row, :len(row_changes)] = [c.onset for c in row_changes]
        for i, change in enumerate(row_changes):
            features[row, i + 1] = chord_features(change.symbol)
    return {"onsets": onsets, "features": features}


def chord_condition(tables: dict, times, xp=np):
    """(rows, CONDITION_SIZE): each row's sounding and next chord at its time, as ``ChordTimeline`` gives
    them; ``xp`` is numpy or keras.ops, so the compiled sampler runs the same lookup."""
    current = xp.sum(xp.where(tables["onsets"] <= times[:, None], 1, 0), axis=1)  # 0 before the first change
    now = xp.take_along_axis(tables["features"], current[:, None, None], axis=1)[:, 0]
    following = xp.take_along_axis(tables["features"], current[:, None, None] + 1, axis=1)[:, 0]
    return xp.concatenate([now, following], axis=-1)
