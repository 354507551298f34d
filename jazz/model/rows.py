"""The rows of a sampling batch: each row draws one solo at a time and, when its solo ends, takes the next
solo waiting (continuous batching).

Solos end after different numbers of tokens (a dense line needs three times the tokens of a sparse one over
the same bars), so a batch that runs until its longest solo ends spends a third of its row-steps on rows
that have finished. Here a finished row is given the next waiting solo at the next call of the compiled
function, so all rows keep working while solos wait; only the last solos leave rows idle.

Every solo draws its uniform numbers from its own stream (seeded by the sampling seed and the solo's
index), so what a solo plays does not depend on which row drew it or on the other solos in the batch.
"""

from __future__ import annotations

import numpy as np
from keras import ops

from jazz.model.motifs import history_start
from jazz.model.tokens import END, grammar_start

SLOTS = 64  # most rows in one batch: solos beyond it wait for a row


class Rows:
    """Rows drawing ``n`` solos, one per row of the recurrent ``states`` (zeros) at a time. Per solo: the chord
    tables ``harmony`` and the per-row model inputs ``given`` (arrays with one row per solo). ``forced`` (token
    ids) starts every solo; ``limit`` is the most steps a solo may take."""

    def __init__(self, states: np.ndarray, n: int, seed: int, bos: int, harmony: dict, given: dict,
                 forced: np.ndarray, limit: int):
        self.n, self.bos, self.forced, self.limit = n, bos, forced, limit
        count = len(states)
        self.harmony_all, self.given_all = harmony, given
        self.streams = [np.random.default_rng([seed, k]) for k in range(n)]
        self.solo = np.arange(count)  # the solo each row draws (an idle row keeps its last one)
        self.active = np.ones(count, dtype=bool)
        self.steps = np.zeros(count, dtype=np.int64)  # steps each row's solo has taken
        self.waiting = count  # the next solo to start
        self.pieces: list[list[np.ndarray]] = [[np.array([bos], dtype=np.int32)] for _ in range(n)]
        self.bars_done = np.zeros(n, dtype=np.int64)
        self.tokens = np.full(count, bos, dtype=np.int32)
        self.states = states
        self.grammar, self.history = grammar_start(count), history_start(count)
        self._select()

    def _select(self):
        """The per-row inputs of the solos the rows now draw."""
        self.harmony = {k: v[self.solo] for k, v in self.harmony_all.items()}
        self.given = {k: v[self.solo] for k, v in self.given_all.items()}

    def chunk_inputs(self, chunk: int) -> tuple[np.ndarray, np.ndarray]:
        """(uniforms, forced ids) for the next ``chunk`` steps, (chunk, rows) each: every active row's from its
        own solo's stream and the steps its solo has reached; -1 where nothing is forced."""
        uniforms = np.zeros((chunk, len(self.solo)), dtype=np.float32)
        take = np.full((chunk, len(self.solo)), -1, dtype=np.int32)
        for row in np.flatnonzero(self.active):
            uniforms[:, row] = self.streams[self.solo[row]].random(chunk, dtype=np.float32)
            primed = self.forced[self.steps[row]:self.steps[row] + chunk]
            take[:len(primed), row] = primed
        return uniforms, take

    def advance(self, tokens, states, grammar, history, ids, chunk: int) -> bool:
        """Takes the compiled function's results for ``chunk`` steps (``ids``: (chunk, rows)); rows whose solo
        ended (or ran out of steps) take the next waiting solo. True while some row still draws a solo."""
        ids = np.asarray(ops.convert_to_numpy(ids)).T
        phase = np.asarray(ops.convert_to_numpy(grammar["phase"]))
        bars = np.asarray(ops.convert_to_numpy(grammar["bars"]))
        for row in np.flatnonzero(self.active):
            self.pieces[self.solo[row]].append(ids[row])
            self.bars_done[self.solo[row]] = bars[row]
        self.steps += chunk
        ended = self.active & ((phase == END) | (self.steps >= self.limit))
        self.tokens, self.states, self.grammar, self.history = tokens, states, grammar, history
        if ended.any():
            self._refill(np.flatnonzero(ended))
        return bool(self.active.any())

    def _refill(self, rows: np.ndarray):
        """Start the next waiting solos on ``rows``, from <bos> with fresh states; rows left without a solo go
        idle at the end phase (so the compiled loop need not run for them)."""
        to_numpy = lambda tree: {k: np.array(ops.convert_to_numpy(v)) for k, v in tree.items()}
        self.tokens = np.array(ops.convert_to_numpy(self.tokens))
        self.states = np.array(ops.convert_to_numpy(self.states))
        self.grammar, self.history = to_numpy(self.grammar), to_numpy(self.history)
        fresh_grammar, fresh_history = grammar_start(1), history_start(1)
        for row in rows:
            if self.waiting >= self.n:
                self.active[row] = False
                self.grammar["phase"][row] = END
                continue
            self.solo[row], self.steps[row] = self.waiting, 0
            self.waiting += 1
            self.tokens[row] = self.bos
            self.states[row] = 0.0
            for tree, fresh in ((self.grammar, fresh_grammar), (self.history, fresh_history)):
                for key in tree:
                    tree[key][row] = fresh[key][0]
        self._select()

    def bars_reached(self) -> int:
        """Bars drawn so far, on average over the solos (finished ones count in full)."""
        return int(self.bars_done.sum() // self.n)

    def sequences(self, eos: int) -> list[np.ndarray]:
        """Every solo's token ids from <bos> up to its <eos> (or as far as it got)."""
        out = []
        for pieces in self.pieces:
            row = np.concatenate(pieces)
            ends = np.flatnonzero(row == eos)
            out.append(row[: int(ends[0]) + 1] if len(ends) else row)
        return out


def row_count(n: int, slots: int | None = None) -> int:
    """Rows for ``n`` solos: all of them, up to ``slots`` (default ``SLOTS``)."""
    return max(1, min(n, slots or SLOTS))


def steps_per_call(rows: int, n: int, whole: int, refilling: int) -> int:
    """Steps per call of the compiled function: ``whole`` when every solo has its row, else ``refilling``
    (shorter, so a row whose solo has ended soon takes the next)."""
    return whole if rows >= n else refilling

