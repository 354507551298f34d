"""Solos as flat token records: a corpus's training data in every key, without Solo objects.

Every token of every solo is one ``RECORD``; the records of all solos lie end to end (in memory, or
memory-mapped from the token cache, jazz.model.token_cache). A record keeps what the model's inputs are
computed from in a form that a transposition moves by arithmetic: the token id, the sounding and the next
chord as packed codes (root, pitch-class set, bass), the latest two pitch slots, and the motif memory's
intervals, and the tempo at the token (the solo's labels are kept per solo, beside the records, since a
labels file may change without the MIDI). ``window_inputs`` turns windows of records, each token moved by its solo's interval, into what
jazz.model.features.model_inputs gives for the transposed solo (tested equal).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from jazz.model.context import context_features, local_tempo, performer_code
from jazz.model.features import CHORD_FEATURES, pitch_memory, solo_centre, token_times
from jazz.model.motifs import (
    ECHO_ORDERS,
    NO_ECHO,
    echo_intervals,
    echoes_from_intervals,
)
from jazz.model.tokens import Tokenizer
from jazz.music.chord_parse import to_chord
from jazz.music.labels import LABEL_KINDS, codes
from jazz.music.notes import HIGHEST_PITCH, LOWEST_PITCH, Solo

RECORD = np.dtype([("token", "<i2"), ("now", "<i4"), ("next", "<i4"), ("last", "u1"), ("previous", "u1"),
                   ("echo", "i1", (len(ECHO_ORDERS),)), ("tempo", "<f4")])
SOLO = np.dtype([("start", "<i8"), ("length", "<i8"), ("notes", "<i4"), ("low", "<i2"), ("high", "<i2"),
                 ("centre", "<i2"), ("tempo", "<f4"), ("chords", "?")])
NO_CHORD_CODE = -1
TRANSPOSE_LOW, TRANSPOSE_HIGH = -6, 5  # as Tokenizer.transpositions


@lru_cache(maxsize=8192)
def chord_code(symbol: str | None) -> int:
    """A chord as one int: root | pitch-class mask << 4 | bass << 16 (NO_CHORD_CODE without a root)."""
    chord = to_chord(symbol) if symbol is not None else None
    if chord is None or chord.root is None:
        return NO_CHORD_CODE
    mask = sum(1 << pc for pc in chord.pitch_classes)
    return chord.root | mask << 4 | chord.bass_pc << 16


def code_features(codes: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """``chord_features`` of packed chord codes moved by ``shift`` semitones: (..., CHORD_FEATURES) float32."""
    none = codes < 0
    twelve = np.arange(12)
    root = ((codes & 15) + shift) % 12
    bass = (((codes >> 16) & 15) + shift) % 12
    mask = np.where(none, 0, (codes >> 4) & 0xFFF)
    out = np.zeros(codes.shape + (CHORD_FEATURES,), dtype=np.float32)
    out[..., :12] = (root[..., None] == twelve) & ~none[..., None]
    out[..., 12:24] = (mask[..., None] >> ((twelve - shift[..., None]) % 12)) & 1
    out[..., 24:36] = (bass[..., None] == twelve) & ~none[..., None]
    out[..., 36] = none
    return out


def encode_records(tokenizer: Tokenizer, solo: Solo) -> np.ndarray:
    """Every token of ``solo`` as a RECORD (untransposed)."""
    ids = tokenizer.encode(solo)
    records = np.zeros(len(ids), dtype=RECORD)
    records["token"] = ids
    onsets = np.array([c.onset for c in solo.chords], dtype=np.int64)
    table = np.array([NO_CHORD_CODE] + [chord_code(c.symbol) for c in solo.chords] + [NO_CHORD_CODE])
    times = token_times(tokenizer, ids)
    current = np.searchsorted(onsets, times, side="right")
    records["now"] = table[current]
    records["next"] = table[np.minimum(current + 1, len(table) - 1) if len(onsets) else current]
    records["last"], records["previous"] = pitch_memory(tokenizer, ids)
    slots = tokenizer.pitch_slots[ids]
    per_note = np.concatenate([np.full((1, len(ECHO_ORDERS)), NO_ECHO, np.int8), echo_intervals(slots[slots > 0])])
    records["echo"] = per_note[np.cumsum(slots > 0)]
    records["tempo"] = local_tempo(solo, times)
    return records


def solo_row(solo: Solo, length: int, start: int = 0) -> np.ndarray:
    """The SOLO row of a solo whose records are ``length`` long and begin at ``start``."""
    pitches = [n.pitch for n in solo.notes] or [0]
    centre = solo_centre(solo)
    return np.array((start, length, len(solo.notes), min(pitches), max(pitches), -1 if centre is None else centre,
                     solo.tempo, bool(solo.chords)), dtype=SOLO)


class TokenCorpus:
    """Solos as records end to end (``records``, maybe memory-mapped), a SOLO row and a name per solo.

    A subset keeps the records and lists fewer solos; windows run through its solos in order, as if
    their records were laid end to end.
    """

    def __init__(self, records: np.ndarray, solos: np.ndarray, names: list[str], labels: np.ndarray | None = None,
                 players: list[str] | None = None):
        self.records, self.solos, self.names = records, solos, list(names)
        self.labels = np.zeros((len(solos), len(LABEL_KINDS)), np.int64) if labels is None else labels  # codes
        self.players = list(players) if players is not None else [""] * len(solos)  # each solo's performer
        self.virtual_starts = np.concatenate([[0], np.cumsum(solos["length"])[:-1]]).astype(np.int64)

    @classmethod
    def from_solos(cls, tokenizer: Tokenizer, solos: list[Solo]) -> TokenCorpus:
        parts = [encode_records(tokenizer, solo) for solo in solos]
        starts = np.concatenate([[0], np.cumsum([len(p) for p in parts])[:-1]]).astype(np.int64)
        rows = np.array([solo_row(s, len(p), int(a)) for s, p, a in zip(solos, parts, starts)], dtype=SOLO)
        records = np.concatenate(parts) if parts else np.zeros(0, RECORD)
        labels = np.array([codes(s.labels) for s in solos], dtype=np.int64).reshape(len(solos), len(LABEL_KINDS))
        return cls(records, rows, [s.name for s in solos], labels, [s.labels.get("performer", "") for s in solos])

    def subset(self, indices) -> TokenCorpus:
        indices = list(indices)
        return TokenCorpus(self.records, self.solos[indices], [self.names[i] for i in indices], self.labels[indices],
                           [self.players[i] for i in indices])

    def label(self, table: dict[str, dict[str, str]]) -> int:
        """Take each solo's labels from ``table`` ({name: {kind: value}}); return how many solos it labels with a
        value the model knows."""
        found = [table.get(name) for name in self.names]
        self.labels = np.array([codes(row or {}) for row in found], dtype=np.int64).reshape(len(self.names), -1)
        self.players = [(row or {}).get("performer", "") for row in found]
        return int((self.labels > 0).any(axis=1).sum())

    def codes(self, performers: tuple[str, ...] = ()) -> np.ndarray:
        """(solos, kinds [+ 1]) label codes as a model that knows ``performers`` hears them (the performer's
        last)."""
        if not performers:
            return self.labels
        heard = np.array([performer_code(p, performers) for p in self.players], dtype=np.int64).reshape(-1, 1)
        return np.concatenate([self.labels, heard], axis=1)

    def __len__(self) -> int:
        return len(self.solos)

    @property
    def tokens_total(self) -> int:
        return int(self.solos["length"].sum())

    @property
    def notes(self) -> int:
        return int(self.solos["notes"].sum())

    @property
    def chord_solos(self) -> int:
        """How many solos have chord changes."""
        return int(self.solos["chords"].sum())

    def median_tempo(self) -> float | None:
        tempi = np.sort(self.solos["tempo"])
        return float(tempi[len(tempi) // 2]) if len(tempi) else None

    def median_centre(self) -> int | None:
        centres = np.sort(self.solos["centre"][self.solos["centre"] >= 0])
        return int(centres[len(centres) // 2]) if len(centres) else None

    def random_shifts(self, rng: np.random.Generator, tokenizer: Tokenizer) -> np.ndarray:
        """A transposition per solo, drawn from those that keep its pitches in the vocabulary."""
        silent = self.solos["notes"] == 0  # nothing to keep in range: stays in its key, as Tokenizer.transpositions
        low = np.where(silent, 0, np.maximum(TRANSPOSE_LOW, tokenizer.low - self.solos["low"].astype(np.int64)))
        high = np.where(silent, 0, np.minimum(TRANSPOSE_HIGH, tokenizer.high - self.solos["high"].astype(np.int64)))
        return rng.integers(low, high + 1).astype(np.int64)

    def gather(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The records at positions of the end-to-end stream, and the solo each belongs to."""
        solo = np.searchsorted(self.virtual_starts, positions, side="right") - 1
        at = self.solos["start"][solo] + positions - self.virtual_starts[solo]
        return self.records[at], solo


def transposed_tokens(tokenizer: Tokenizer, tokens: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Token ids with every pitch token moved by ``shift`` semitones (int32)."""
    tokens = tokens.astype(np.int32)
    return tokens + np.where(tokenizer.pitch_slots[tokens] > 0, shift, 0).astype(np.int32)


def window_inputs(tokenizer: Tokenizer, records: np.ndarray, shift: np.ndarray, centre: np.ndarray,
                  names: list[str], labels: np.ndarray | None = None, performers: int = 0) -> dict[str, np.ndarray]:
    """The model inputs ``names`` of records moved by ``shift`` (per record); ``centre``: each record's
    solo centre pitch (-1: none); ``labels``: each record's solo label codes (..., kinds [+ performer, for a model
    that knows ``performers`` > 0]; None: unknown)."""
    inputs = {"tokens": transposed_tokens(tokenizer, records["token"], shift)}
    if "context" in names:
        inputs["context"] = context_features(records["tempo"], 0 if labels is None else labels, performers)
    last = np.where(records["last"] > 0, records["last"] + shift, 0).astype(np.int32)
    if "condition" in names:
        inputs["condition"] = np.concatenate([code_features(records["now"], shift),
                                              code_features(records["next"], shift)], axis=-1)
    if "last_pitch" in names:
        inputs["last_pitch"] = last
    if "previous_pitch" in names:
        inputs["previous_pitch"] = np.where(records["previous"] > 0, records["previous"] + shift, 0).astype(np.int32)
    if "register" in names:
        moved = np.clip(centre + shift, LOWEST_PITCH, HIGHEST_PITCH)
        inputs["register"] = np.where(centre >= 0, 1 + moved - LOWEST_PITCH, 0).astype(np.int32)
    if "echo" in names:
        inputs["echo"] = echoes_from_intervals(last, records["echo"].astype(np.int32))
    return {name: inputs[name] for name in names}
