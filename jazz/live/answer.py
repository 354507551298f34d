"""The model's side of a session: bars of solo sampled with the compiled Sampler, continuing what came before.

An answer is sampled over a window: the bars just heard (the primer, forced token by token) and the bars
to fill, with the chord changes of both and the primer's register. Times are moved so that the window
starts at step 0, which keeps every call the same size for the compiled sampler (one compilation, done by
``warm_up`` before the session starts). ``steps`` samples ``LIVE_CHUNK`` tokens at a time, so that the
session can send the notes that fall due while an answer is being sampled, a few milliseconds late at most.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from jazz.files import UsageError
from jazz.model.features import solo_centre
from jazz.model.tokens import TokenError
from jazz.music.notes import TENOR_SAX, Bar, ChordChange, Note, Solo
from jazz.music.performance import add_velocities
from jazz.music.registers import default_centre
from jazz.settings import TEMPERATURE, TOP_P

# Tokens per call of the compiled sampler: 3-5 ms a call on a busy 2-core CPU, which bounds how late a note
# due during an answer can go out; 16 costs half as much again in calls, 64 saves only a few percent.
LIVE_CHUNK = 32


class Answerer:
    """Samples the solo's next bars for a session, with one warm Sampler.

    ``bundle`` is a jazz.model.bundle.Bundle, ``sampler`` its jazz.model.sample.Sampler and
    ``sample_chunks`` the loop that drives it (jazz.model.sample.sample_chunks): passed in, so that this
    module stands below the model's sampling code in the imports and the session's modules stay low.
    """

    def __init__(self, bundle, sampler, sample_chunks, temperature: float = TEMPERATURE, top_p: float = TOP_P,
                 program: int = TENOR_SAX, context=None):
        self.bundle, self.sampler, self.sample_chunks = bundle, sampler, sample_chunks
        self.context = context  # the tempo and labels the model hears (jazz.model.context), None: unknown
        self.temperature, self.top_p = temperature, top_p
        self.tokenizer = bundle.tokenizer
        self.centre = default_centre(program, bundle.config)

    def check_meters(self, bars: list[Bar]) -> None:
        for bar in bars:
            try:
                self.tokenizer.bar_id(bar.meter)
            except TokenError as error:
                raise UsageError(str(error)) from None

    def warm_up(self, window: list[Bar], bars: list[Bar], chords: list[ChordChange]) -> None:
        """Compile the sampler (the first call of each shape is slow) before anything is due."""
        self.answer([], window, bars, chords, seed=0)

    def answer(self, heard: list[Note], window: list[Bar], bars: list[Bar], chords: list[ChordChange],
               seed: int, downbeat: bool = True) -> list[Note]:
        """``steps`` run to the end."""
        steps = self.steps(heard, window, bars, chords, seed, downbeat)
        while True:
            try:
                next(steps)
            except StopIteration as finished:
                return finished.value

    def steps(self, heard: list[Note], window: list[Bar], bars: list[Bar], chords: list[ChordChange], seed: int,
              downbeat: bool = True):
        """A generator that samples notes for ``bars`` continuing ``heard`` (notes inside ``window``, the bars
        just before), yielding after every call of the sampler and returning the notes.

        Steps are the session's; ``chords`` cover the window and the bars, led by the one sounding at
        the window's start. With ``downbeat`` the first note is on the first bar's downbeat (an answer
        that comes in on time); the model chooses its pitch and length.
        """
        tok = self.tokenizer
        origin = (window or bars)[0].start
        primer = Solo(notes=self._fit(heard, origin), bars=_moved(window, -origin), grid=tok.grid)
        ids = list(tok.encode(primer)[1:-1]) + [tok.bar_id(bars[0].meter)]
        ids += [tok.index["pos:0"]] if downbeat else []
        plan = [b.meter for b in window + bars]
        moved = [ChordChange(max(c.onset - origin, 0), c.symbol) for c in chords]
        register = solo_centre(primer) or self.centre
        rows = yield from self.sample_chunks(self.bundle.model, tok, 1, plan, self.temperature, self.top_p, seed,
                                        np.asarray(ids, dtype=np.int32), chords=[moved], sampler=self.sampler,
                                        register=register, chunk=LIVE_CHUNK, context=self.context)
        start = bars[0].start - origin
        notes = [n._replace(onset=n.onset + origin) for n in tok.decode(rows[0]).notes if n.onset >= start]
        return add_velocities(Solo(notes=notes, bars=bars, grid=tok.grid), seed=seed).notes

    def _fit(self, heard: list[Note], origin: int) -> list[Note]:
        """``heard`` moved to the window and folded by octaves into the vocabulary's pitch range."""
        low, high = self.tokenizer.low, self.tokenizer.high
        notes = []
        for note in heard:
            pitch = note.pitch
            while pitch < low:
                pitch += 12
            while pitch > high:
                pitch -= 12
            notes.append(note._replace(pitch=pitch, onset=note.onset - origin))
        return notes


def _moved(bars: list[Bar], steps: int) -> list[Bar]:
    return [Bar(b.start + steps, b.numerator, b.denominator) for b in bars]


def answer_ms(answerer: Answerer, runs: int = 5, bars: int = 4) -> tuple[float, float]:
    """Median wall-clock and CPU time (ms) of a ``bars``-bar answer to a ``bars``-bar call over a Bb blues,
    warm. The CPU time is what the answer costs on a machine of its own; on a busy one the wall time is more.

    The call is the model's own first ``bars`` bars (a dense, realistic primer); the timing covers
    everything the session does at the last beat of a call: the primer, sampling and decoding.
    """
    from jazz.music.tunes import get_tune, parse_progression, progression_changes

    tune = get_tune("blues-bb")
    form, changes = progression_changes(parse_progression(tune.changes, tune.meter), tune.meter,
                                        answerer.tokenizer.grid)
    call, reply = form[:bars], form[bars:2 * bars]
    chords = [c for c in changes if c.onset < reply[-1].start + reply[-1].length(answerer.tokenizer.grid)]
    heard = answerer.answer([], [], call, chords, seed=1)
    answerer.warm_up(call, reply, chords)
    wall, cpu = [], []
    for run in range(runs):
        started, used = time.perf_counter(), time.process_time()
        answerer.answer(heard, call, reply, chords, seed=run)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - used) * 1000)
    return statistics.median(wall), statistics.median(cpu)
