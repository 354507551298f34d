"""Solo ↔ token ids: the "note values" the model learns, and the grammar the sampler obeys.

The vocabulary is REMI-like. A solo is written bar by bar::

    <bos> bar:4/4 pos:0 pitch:65 dur:6 pos:12 pitch:63 dur:7 ... bar:4/4 bar:4/4 pos:3 ... <eos>

Why this shape is easy to learn:
- Position-in-bar tokens (``pos:k``, steps from the bar line) name the metrical place of every onset, so
  "on the beat", "the and of 2" and "a triplet's last third" are single symbols whose meaning never drifts,
  unlike delta-time tokens, where one wrong step shifts everything after it.
- Pitch and duration are separate tokens, so what is learnt about a pitch is shared by all its lengths.
  Durations use a short list (jazz.music.notes.duration_values): fine below a beat, coarse for long notes.
- Rests are implicit (the gap to the next onset) and long silences are whole empty bars.
- Every note costs exactly three tokens (``TOKENS_PER_NOTE``), so loss converts to bits per note.
- Chords are not tokens: the model receives the sounding chord as an input feature at every step
  (jazz.music.chords), which keeps sequences short and lets the user choose the changes at generation time.

Decoding a sequence is exact: ``decode(encode(solo))`` equals the solo in pitches, onsets, durations,
bar positions and meters. ``Grammar`` gives, at every step, the tokens that keep the sequence
decodable as a monophonic solo; the sampler masks everything else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from jazz.music.notes import (
    DEFAULT_GRID,
    HIGHEST_PITCH,
    LOWEST_PITCH,
    METERS,
    Bar,
    Note,
    Solo,
    duration_values,
)

FORMAT_VERSION = 1
TOKENS_PER_NOTE = 3
PAD, BOS, EOS = "<pad>", "<bos>", "<eos>"


class TokenError(ValueError):
    """A token sequence or tokenizer file that cannot be used."""


@dataclass(frozen=True)
class Tokenizer:
    grid: int = DEFAULT_GRID
    low: int = LOWEST_PITCH
    high: int = HIGHEST_PITCH
    meters: tuple[str, ...] = METERS

    def __post_init__(self) -> None:
        vocab = [PAD, BOS, EOS]
        vocab += [f"bar:{m}" for m in self.meters]
        vocab += [f"pos:{k}" for k in range(self.max_bar_steps)]
        vocab += [f"pitch:{p}" for p in range(self.low, self.high + 1)]
        vocab += [f"dur:{d}" for d in self.durations]
        object.__setattr__(self, "vocab", tuple(vocab))
        object.__setattr__(self, "index", {token: i for i, token in enumerate(vocab)})

    # -- vocabulary layout -------------------------------------------------------------------
    @property
    def durations(self) -> tuple[int, ...]:
        return duration_values(self.grid)

    @property
    def max_bar_steps(self) -> int:
        return max(Bar(0, *_meter(m)).length(self.grid) for m in self.meters)

    @property
    def size(self) -> int:
        return len(self.vocab)

    @cached_property
    def bar_steps(self) -> np.ndarray:
        """For every token id: the length in grid steps of the bar it opens (0 for other tokens)."""
        return _read_only([Bar(0, *_meter(t[4:])).length(self.grid) if t.startswith("bar:") else 0
                           for t in self.vocab])

    @cached_property
    def pitch_slots(self) -> np.ndarray:
        """For every token id: the pitch as a model input slot (1 + pitch - LOWEST_PITCH; 0 for other tokens)."""
        return _read_only([1 + int(t[6:]) - LOWEST_PITCH if t.startswith("pitch:") else 0 for t in self.vocab])

    def first(self, kind: str) -> int:
        """Id of the first token of a kind ("bar", "pos", "pitch", "dur")."""
        return next(i for i, t in enumerate(self.vocab) if t.startswith(kind + ":"))

    def check_meter(self, meter: str) -> None:
        """UsageError, in one sentence, for a meter this tokenizer has no bar token for."""
        from jazz.files import UsageError

        if f"bar:{meter}" not in self.index:
            raise UsageError(f"this model cannot play {meter} (it knows {', '.join(self.meters)})")

    def bar_id(self, meter: str) -> int:
        try:
            return self.index[f"bar:{meter}"]
        except KeyError:
            raise TokenError(f"meter {meter} is not in the vocabulary ({', '.join(self.meters)})") from None

    # -- encode / decode ---------------------------------------------------------------------
    def encode(self, solo: Solo) -> np.ndarray:
        """Token ids of a quantized solo, from <bos> to <eos>."""
        if solo.grid != self.grid:
            raise TokenError(f"solo is on a grid of {solo.grid} steps per beat, the tokenizer on {self.grid}")
        ids, notes, i = [self.index[BOS]], solo.notes, 0
        for bar_number, bar in enumerate(solo.bars):
            ids.append(self.bar_id(bar.meter))
            end = solo.bars[bar_number + 1].start if bar_number + 1 < len(solo.bars) else solo.total_steps
            while i < len(notes) and notes[i].onset < end:
                ids += self.note_ids(notes[i], bar)
                i += 1
        if i < len(notes):
            raise TokenError(f"{len(notes) - i} notes start after the last bar")
        ids.append(self.index[EOS])
        return np.asarray(ids, dtype=np.int16)

    def note_ids(self, note: Note, bar: Bar) -> list[int]:
        try:
            return [
                self.index[f"pos:{note.onset - bar.start}"],
                self.index[f"pitch:{note.pitch}"],
                self.index[f"dur:{note.duration}"],
            ]
        except KeyError as error:
            raise TokenError(f"note {note} has no token {error.args[0]!r}") from None

    def decode(self, ids, tempo: float = 120.0, name: str = "") -> Solo:
        """The solo a token sequence describes (the inverse of ``encode``)."""
        bars: list[Bar] = []
        notes: list[Note] = []
        onset = pitch = None
        for token in (self.vocab[int(i)] for i in ids):
            kind, _, value = token.partition(":")
            if token in (BOS, PAD):
                continue
            if token == EOS:
                break
            if kind == "bar":
                start = bars[-1].start + bars[-1].length(self.grid) if bars else 0
                bars.append(Bar(start, *_meter(value)))
            elif kind == "pos" and bars:
                onset = bars[-1].start + int(value)
            elif kind == "pitch" and onset is not None:
                pitch = int(value)
            elif kind == "dur" and pitch is not None:
                notes.append(Note(pitch, onset, int(value)))
                onset = pitch = None
            else:
                raise TokenError(f"token {token!r} cannot come here")
        return Solo(notes=notes, bars=bars, grid=self.grid, tempo=tempo, name=name)

    # -- files -------------------------------------------------------------------------------
    def to_json(self) -> str:
        data = {"format_version": FORMAT_VERSION, "kind": "jazz-remi", "grid": self.grid,
                "low": self.low, "high": self.high, "meters": list(self.meters), "vocab": list(self.vocab)}
        return json.dumps(data, indent=1)

    @classmethod
    def from_json(cls, text: str) -> Tokenizer:
        try:
            data = json.loads(text)
            version = data.get("format_version")
            if version != FORMAT_VERSION:
                raise TokenError(f"tokenizer format version {version} is not supported (this jazz reads {FORMAT_VERSION})")
            tokenizer = cls(int(data["grid"]), int(data["low"]), int(data["high"]), tuple(data["meters"]))
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as error:
            raise TokenError(f"not a jazz tokenizer file ({type(error).__name__}: {error})") from None
        if list(tokenizer.vocab) != data.get("vocab"):
            raise TokenError("tokenizer vocabulary does not match its settings (file edited or from another version)")
        return tokenizer

    @classmethod
    def load(cls, path: str | Path) -> Tokenizer:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise TokenError(f"cannot read tokenizer {path}: {error.strerror or error}") from None
        return cls.from_json(text)

    # -- augmentation ------------------------------------------------------------------------
    def transpositions(self, solo: Solo, low: int = -6, high: int = 5) -> list[int]:
        """Intervals in [low, high] that keep every pitch of ``solo`` inside the vocabulary."""
        if not solo.notes:
            return [0]
        top = max(n.pitch for n in solo.notes)
        bottom = min(n.pitch for n in solo.notes)
        return [k for k in range(low, high + 1) if bottom + k >= self.low and top + k <= self.high]


def _read_only(values: list[int]) -> np.ndarray:
    """A per-token table, computed once per tokenizer and shared by every caller, so nobody may change it."""
    table = np.array(values, dtype=np.int64)
    table.setflags(write=False)
    return table


def _meter(text: str) -> tuple[int, int]:
    numerator, denominator = text.split("/")
    return int(numerator), int(denominator)


START, BAR, POS, PITCH, DUR, END = range(6)  # where a sequence is in ``bar (pos pitch dur)*``
GRAMMAR_STATE = ("phase", "bar_start", "bar_len", "bars", "earliest", "onset", "last_pitch", "previous_pitch")
NO_LIMIT = 2**30


def grammar_tables(tokenizer: Tokenizer, plan: list[str] | None = None, plan_slots: int = 0) -> dict:
    """The lookup tables of the grammar for a tokenizer and an optional plan of meters, as arrays.

    ``plan_ids`` (bar token per planned bar, then -1) is padded to ``plan_slots`` entries so that plans of
    different lengths share one compiled sampler.
    """
    ids = np.arange(tokenizer.size)
    first_pos, first_pitch = tokenizer.first("pos"), tokenizer.first("pitch")
    pos_k = np.where((ids >= first_pos) & (ids < first_pitch), ids - first_pos, -1)
    dur_v = np.full(tokenizer.size, -1)
    dur_v[tokenizer.first("dur"):] = tokenizer.durations
    is_bar = np.array([t.startswith("bar:") for t in tokenizer.vocab])
    is_pitch = np.array([t.startswith("pitch:") for t in tokenizer.vocab])
    planned = plan is not None
    lengths = [Bar(0, *_meter(m)).length(tokenizer.grid) for m in plan] if planned else []
    plan_ids = np.full(max(plan_slots, len(lengths) + 1), -1)
    plan_ids[:len(lengths)] = [tokenizer.bar_id(m) for m in plan or []]
    one_hot = np.eye(tokenizer.size, dtype=bool)
    tables = {
        "ids": ids, "pos_k": pos_k, "dur_v": dur_v, "is_bar": is_bar, "is_pitch": is_pitch,
        "bar_len": tokenizer.bar_steps,
        "pitch_slot": tokenizer.pitch_slots,
        "phase_after": np.select([ids == tokenizer.index[EOS], is_bar, pos_k >= 0, is_pitch, dur_v > 0],
                                 [END, BAR, POS, PITCH, DUR], default=-1),
        "eos": one_hot[tokenizer.index[EOS]], "pad": one_hot[tokenizer.index[PAD]],
        "plan_ids": plan_ids, "planned": np.array(planned), "plan_bars": np.array(len(lengths)),
        "total": np.array(sum(lengths) if planned else NO_LIMIT),
    }
    return {k: np.asarray(v, dtype=np.int32) if np.asarray(v).dtype != bool else np.asarray(v)
            for k, v in tables.items()}


def grammar_start(batch: int) -> dict:
    """The state of ``batch`` sequences before their first token (after <bos>)."""
    return {name: np.zeros(batch, dtype=np.int32) for name in GRAMMAR_STATE}


def grammar_time(state: dict, xp=np):
    """The grid step each sequence stands at: its last onset within the bar, else the bar line."""
    phase = state["phase"]
    in_note = (phase == POS) | (phase == PITCH) | (phase == DUR)
    return xp.where(in_note, state["onset"], state["bar_start"])


def col(values):
    """A (batch,) array as a (batch, 1) column, to broadcast against the vocabulary."""
    return values[:, None]


def grammar_mask(state: dict, tables: dict, xp=np):
    """Boolean (batch, vocab): True where a token may come next.

    ``xp`` is numpy or keras.ops: the same rules run in NumPy and inside the compiled sampler.
    """
    phase, bars, t = state["phase"], state["bars"], tables
    wanted = xp.take(t["plan_ids"], xp.minimum(bars, t["plan_ids"].shape[0] - 1))
    next_bar = xp.where(t["planned"], (col(wanted) == t["ids"]) & col(wanted >= 0), t["is_bar"])
    can_bar = ~t["planned"] | (bars < t["plan_bars"])
    can_end = xp.where(t["planned"], bars == t["plan_bars"], bars > 0)
    pos_k = t["pos_k"]
    pos_ok = (pos_k >= col(state["earliest"] - state["bar_start"])) & (pos_k >= 0) & (pos_k < col(state["bar_len"]))
    between = pos_ok | (next_bar & col(can_bar)) | (t["eos"] & col(can_end))
    dur_ok = (t["dur_v"] > 0) & (col(state["onset"]) + t["dur_v"] <= t["total"])
    mask = xp.where(col(phase == START), next_bar, t["pad"] & False)
    mask = xp.where(col((phase == BAR) | (phase == DUR)), between, mask)
    mask = xp.where(col(phase == POS), t["is_pitch"], mask)
    mask = xp.where(col(phase == PITCH), dur_ok, mask)
    return xp.where(col(phase == END), t["pad"], mask)


def grammar_advance(state: dict, ids, tables: dict, xp=np) -> dict:
    """The state of every sequence after the token it just took."""
    t, phase, bars = tables, state["phase"], state["bars"]
    is_bar = xp.take(t["is_bar"], ids) & (phase != END)
    bar_start = xp.where(is_bar & (bars > 0), state["bar_start"] + state["bar_len"], state["bar_start"])
    pos_k, dur_v = xp.take(t["pos_k"], ids), xp.take(t["dur_v"], ids)
    onset = xp.where(pos_k >= 0, bar_start + pos_k, state["onset"])
    after = xp.take(t["phase_after"], ids)  # -1 (<pad>, <bos>): the phase does not change
    is_pitch = xp.take(t["is_pitch"], ids)
    return {
        "phase": xp.where((phase == END) | (after < 0), phase, after),
        "bar_start": bar_start,
        "bar_len": xp.where(is_bar, xp.take(t["bar_len"], ids), state["bar_len"]),
        "bars": bars + xp.where(is_bar, 1, 0),
        "earliest": xp.where(dur_v > 0, onset + dur_v, state["earliest"]),
        "onset": onset,
        "last_pitch": xp.where(is_pitch, xp.take(t["pitch_slot"], ids), state["last_pitch"]),
        "previous_pitch": xp.where(is_pitch, state["last_pitch"], state["previous_pitch"]),
    }


class Grammar:
    """Which tokens may come next, for a batch of sequences being sampled (in NumPy).

    The state of each sequence is where it is in the pattern ``bar (pos pitch dur)*``, the current bar,
    the earliest step at which the next note may start (the end of the last note: monophony), and the
    latest pitch. ``plan`` optionally fixes the meter of every bar (and so the number of bars): <eos>
    then comes exactly after the last planned bar, and no note may sound past its end.
    The rules are the functions above, which the compiled sampler runs on the backend.
    """

    def __init__(self, tokenizer: Tokenizer, batch: int, plan: list[str] | None = None):
        self.tables = grammar_tables(tokenizer, plan)
        self.state = grammar_start(batch)

    def __getattr__(self, name: str):
        if name in GRAMMAR_STATE:
            return self.__dict__["state"][name]
        raise AttributeError(name)

    @property
    def done(self) -> np.ndarray:
        return self.state["phase"] == END

    @property
    def time(self) -> np.ndarray:
        return grammar_time(self.state)

    def mask(self) -> np.ndarray:
        return grammar_mask(self.state, self.tables)

    def advance(self, ids: np.ndarray) -> None:
        self.state = grammar_advance(self.state, np.asarray(ids), self.tables)
