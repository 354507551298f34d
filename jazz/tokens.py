"""Solo ↔ token ids: the "note values" the model learns, and the grammar the sampler obeys.

The vocabulary is REMI-like. A solo is written bar by bar::

    <bos> bar:4/4 pos:0 pitch:65 dur:6 pos:12 pitch:63 dur:7 ... bar:4/4 bar:4/4 pos:3 ... <eos>

Why this shape is easy to learn:
- Position-in-bar tokens (``pos:k``, steps from the bar line) name the metrical place of every onset, so
  "on the beat", "the and of 2" and "a triplet's last third" are single symbols whose meaning never drifts,
  unlike delta-time tokens, where one wrong step shifts everything after it.
- Pitch and duration are separate tokens, so what is learnt about a pitch is shared by all its lengths.
  Durations use a short list (jazz.notes.duration_values): fine below a beat, coarse for long notes.
- Rests are implicit (the gap to the next onset) and long silences are whole empty bars.
- Every note costs exactly three tokens (``TOKENS_PER_NOTE``), so loss converts to bits per note.
- Chords are not tokens: the model receives the sounding chord as an input feature at every step
  (jazz.chords), which keeps sequences short and lets the user choose the changes at generation time.

Decoding a sequence is exact: ``decode(encode(solo))`` equals the solo in pitches, onsets, durations,
bar positions and meters. ``Grammar`` gives, at every step, the tokens that keep the sequence
decodable as a monophonic solo; the sampler masks everything else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from jazz.midi_read import HIGHEST_PITCH, LOWEST_PITCH
from jazz.notes import DEFAULT_GRID, Bar, Note, Solo, duration_values

FORMAT_VERSION = 1
TOKENS_PER_NOTE = 3
METERS = ("4/4", "3/4", "2/4", "1/4", "5/4", "6/4", "7/4", "8/4", "9/4", "2/2", "3/2",
          "3/8", "5/8", "6/8", "7/8", "9/8", "12/8")
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

    @property
    def bar_steps(self) -> np.ndarray:
        """For every token id: the length in grid steps of the bar it opens (0 for other tokens)."""
        return np.array([Bar(0, *_meter(t[4:])).length(self.grid) if t.startswith("bar:") else 0
                         for t in self.vocab], dtype=np.int64)

    def first(self, kind: str) -> int:
        """Id of the first token of a kind ("bar", "pos", "pitch", "dur")."""
        return next(i for i, t in enumerate(self.vocab) if t.startswith(kind + ":"))

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


def _meter(text: str) -> tuple[int, int]:
    numerator, denominator = text.split("/")
    return int(numerator), int(denominator)


class Grammar:
    """Which tokens may come next, for a batch of sequences being sampled.

    The state of each sequence is where it is in the pattern ``bar (pos pitch dur)*``, the current bar,
    and the earliest step at which the next note may start (the end of the last note: monophony).
    ``plan`` optionally fixes the meter of every bar (and so the number of bars): <eos> then comes
    exactly after the last planned bar, and no note may sound past its end.
    """

    START, BAR, POS, PITCH, DUR, END = range(6)

    def __init__(self, tokenizer: Tokenizer, batch: int, plan: list[str] | None = None):
        self.tok = tokenizer
        self.plan = plan
        self.lengths = [Bar(0, *_meter(m)).length(tokenizer.grid) for m in plan] if plan else None
        self.total = sum(self.lengths) if plan else None
        self.phase = np.full(batch, self.START)
        self.bar_start = np.zeros(batch, dtype=np.int64)
        self.bar_len = np.zeros(batch, dtype=np.int64)
        self.bars = np.zeros(batch, dtype=np.int64)  # bars begun so far
        self.earliest = np.zeros(batch, dtype=np.int64)
        self.onset = np.zeros(batch, dtype=np.int64)
        self.last_pitch = np.zeros(batch, dtype=np.int32)  # as jazz.features.last_pitches: 0 before any note
        ids = np.arange(tokenizer.size)
        self._pos_k = np.where((ids >= tokenizer.first("pos")) & (ids < tokenizer.first("pitch")), ids - tokenizer.first("pos"), -1)
        self._dur_v = np.full(tokenizer.size, -1)
        self._dur_v[tokenizer.first("dur"):] = tokenizer.durations
        self._is_bar = np.array([t.startswith("bar:") for t in tokenizer.vocab])
        self._is_pitch = np.array([t.startswith("pitch:") for t in tokenizer.vocab])
        self._pitch_slot = np.where(self._is_pitch, 1 + tokenizer.low + ids - tokenizer.first("pitch") - LOWEST_PITCH, 0)
        self._phase_after = np.select(
            [ids == tokenizer.index[EOS], self._is_bar, self._pos_k >= 0, self._is_pitch, self._dur_v > 0],
            [self.END, self.BAR, self.POS, self.PITCH, self.DUR], default=-1)
        self._bar_len = tokenizer.bar_steps
        self._plan_ids = np.array([tokenizer.bar_id(m) for m in plan] + [-1]) if plan else None

    @property
    def done(self) -> np.ndarray:
        return self.phase == self.END

    @property
    def time(self) -> np.ndarray:
        """The grid step each sequence stands at: its last onset within the bar, else the bar line."""
        in_note = (self.phase == self.POS) | (self.phase == self.PITCH) | (self.phase == self.DUR)
        return np.where(in_note, self.onset, self.bar_start)

    def mask(self) -> np.ndarray:
        """Boolean (batch, vocab): True where a token may come next."""
        tok, n = self.tok, len(self.phase)
        mask = np.zeros((n, tok.size), dtype=bool)
        can_bar = self._bar_allowed()
        bar_mask = self._next_bar_mask()
        at_start = self.phase == self.START
        mask[at_start] = bar_mask[at_start]
        between = (self.phase == self.BAR) | (self.phase == self.DUR)
        lo = (self.earliest - self.bar_start)[:, None]
        pos_ok = (self._pos_k[None, :] >= lo) & (self._pos_k[None, :] >= 0) & (self._pos_k[None, :] < self.bar_len[:, None])
        mask[between] = pos_ok[between] | (bar_mask[between] & can_bar[between, None])
        mask[between, tok.index[EOS]] = self._eos_allowed()[between]
        mask[self.phase == self.POS] = self._is_pitch
        after_pitch = self.phase == self.PITCH
        mask[after_pitch] = self._dur_ok()[after_pitch]
        mask[self.phase == self.END, tok.index[PAD]] = True
        return mask

    def _next_bar_mask(self) -> np.ndarray:
        n = len(self.phase)
        if self.plan is None:
            return np.broadcast_to(self._is_bar, (n, self.tok.size)).copy()
        mask = np.zeros((n, self.tok.size), dtype=bool)
        wanted = self._plan_ids[np.minimum(self.bars, len(self.plan))]  # -1 once the plan is complete
        rows = np.flatnonzero(wanted >= 0)
        mask[rows, wanted[rows]] = True
        return mask

    def _bar_allowed(self) -> np.ndarray:
        if self.plan is None:
            return np.ones(len(self.phase), dtype=bool)
        return self.bars < len(self.plan)

    def _eos_allowed(self) -> np.ndarray:
        if self.plan is None:
            return self.bars > 0
        return self.bars == len(self.plan)

    def _dur_ok(self) -> np.ndarray:
        ok = self._dur_v[None, :] > 0
        if self.total is not None:
            ok = ok & (self.onset[:, None] + self._dur_v[None, :] <= self.total)
        return ok  # a note starts before the end, so a duration of one step always fits

    def advance(self, ids: np.ndarray) -> None:
        """Move every sequence past the token it just took."""
        ids = np.asarray(ids)
        is_bar = self._is_bar[ids] & (self.phase != self.END)
        self.bar_start = np.where(is_bar & (self.bars > 0), self.bar_start + self.bar_len, self.bar_start)
        self.bar_len = np.where(is_bar, self._bar_len[ids], self.bar_len)
        self.bars = self.bars + is_bar
        is_pos = self._pos_k[ids] >= 0
        self.onset = np.where(is_pos, self.bar_start + self._pos_k[ids], self.onset)
        self.last_pitch = np.where(self._is_pitch[ids], self._pitch_slot[ids], self.last_pitch).astype(np.int32)
        is_dur = self._dur_v[ids] > 0
        self.earliest = np.where(is_dur, self.onset + self._dur_v[ids], self.earliest)
        phase = self._phase_after[ids]  # -1 (<pad>, <bos>): the phase does not change
        self.phase = np.where((self.phase == self.END) | (phase < 0), self.phase, phase)
