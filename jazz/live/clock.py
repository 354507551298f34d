"""Where the music is: a fixed tempo or a DAW's MIDI clock, and the time sources the session runs on.

A clock maps seconds to beats of the session and back. ``FixedTempo`` counts from a start time;
``MidiClock`` follows a DAW: 24 ``clock`` messages a beat, ``start`` (from the top), ``stop`` (pause) and
``continue``, with the tempo estimated from the spacing of the latest ticks and the position
interpolated between ticks (never more than one tick ahead of the last one heard).

A time source is where "now" comes from: ``RealTime`` for a live session, ``SimulatedTime`` for an
offline one. The simulated one jumps to the next thing to do, but every step of the session runs inside
its ``working()``, which moves it on by the CPU time the step took: a simulated session is late exactly
where a live one on a machine of its own would be (and not where a busy shared machine paused it).
"""

from __future__ import annotations

import time
from collections import deque
from contextlib import contextmanager

from jazz.files import UsageError

TICKS_PER_BEAT = 24
MIN_BPM, MAX_BPM = 20.0, 400.0
TEMPO_WINDOW = 96  # tick intervals the tempo is fitted over: four beats, long enough to outlast a burst
PHASE_WINDOW = TICKS_PER_BEAT  # the latest ticks the phase is taken from
SILENT_CLOCK_S = 2.0  # a running clock that has not ticked for this long is broken
POLL_S = 0.002  # longest sleep of a live loop between looks at the ports


class RealTime:
    """The wall clock (time.perf_counter), with short sleeps so that input is seen promptly."""

    simulated = False

    def now(self) -> float:
        return time.perf_counter()

    def wait_until(self, seconds: float) -> None:
        remaining = seconds - self.now()
        if remaining > 0:
            time.sleep(min(remaining, POLL_S))

    @contextmanager
    def working(self):
        """Real compute time passes by itself."""
        yield


class SimulatedTime:
    """Time that jumps to whatever comes next, and advances by the CPU time spent ``working()``."""

    simulated = True

    def __init__(self, start: float = 0.0):
        self.seconds = start

    def now(self) -> float:
        return self.seconds

    def wait_until(self, seconds: float) -> None:
        self.seconds = max(self.seconds, seconds)

    @contextmanager
    def working(self):
        """Time moves on by the CPU time (of every thread) spent inside."""
        started = time.process_time()
        try:
            yield
        finally:
            self.seconds += time.process_time() - started


class FixedTempo:
    """A steady tempo from ``start``: beat 0 at that moment."""

    def __init__(self, bpm: float):
        if not MIN_BPM <= bpm <= MAX_BPM:
            raise UsageError(f"--tempo must be between {MIN_BPM:.0f} and {MAX_BPM:.0f} beats per minute")
        self.bpm = bpm
        self.origin: float | None = None

    @property
    def running(self) -> bool:
        return self.origin is not None

    def start(self, seconds: float) -> None:
        self.origin = seconds

    def feed(self, message, seconds: float) -> str | None:
        """A steady tempo ignores MIDI clock messages."""
        return None

    def heard(self, seconds: float) -> float | None:
        return self.beat(seconds)

    def beat(self, seconds: float) -> float | None:
        return None if self.origin is None else (seconds - self.origin) * self.bpm / 60.0

    def seconds(self, beat: float) -> float | None:
        return None if self.origin is None else self.origin + beat * 60.0 / self.bpm

    def check(self, seconds: float) -> None:
        """A steady tempo cannot go wrong."""


class MidiClock:
    """Follows a DAW's MIDI clock; ``feed`` every message from its port, with its arrival time.

    Ticks arrive late by varying amounts (a JACK server hands them over once a period), so the clock is a
    line through the latest ticks rather than the last tick: its slope (the tempo) by least squares, and
    its phase from the tick that came soonest, the one that was least late.
    """

    def __init__(self, bpm_guess: float = 120.0):
        self.ticks = -1  # the latest tick's number since start; -1: started, waiting for the first tick
        self.running = False
        self.started_at: float | None = None
        self.last_tick: float | None = None
        self.recent: deque[tuple[int, float]] = deque(maxlen=TEMPO_WINDOW + 1)  # (tick, seconds) since a transport message
        self.guess = 60.0 / (TICKS_PER_BEAT * bpm_guess)
        self.interval, self.phase = self.guess, None
        self.off_tempo_since: float | None = None  # the tick when the tempo over the window left MIN_BPM-MAX_BPM
        self.off_tempo: float | None = None  # the tempo of a clock that stayed out of range

    @property
    def bpm(self) -> float:
        return 60.0 / (TICKS_PER_BEAT * self.interval)

    def feed(self, message, seconds: float) -> str | None:
        """Take a message; return "start", "stop" or "continue" when the transport changes."""
        kind = message.type
        if kind == "clock":
            self._tick(seconds)
            return None
        if kind == "start":
            self.ticks, self.running, self.started_at = -1, True, seconds
            self.recent.clear()
            return "start"
        if kind == "continue":
            self.running, self.started_at = True, seconds
            self.recent.clear()
            return "continue"
        if kind == "stop":
            self.running = False
            return "stop"
        if kind == "songpos":
            self.ticks = message.pos * TICKS_PER_BEAT // 4 - 1  # the next tick sounds at the new position
            self.recent.clear()
        return None

    def _tick(self, seconds: float) -> None:
        if self.recent and not 0 <= seconds - self.recent[-1][1] < SILENT_CLOCK_S:
            self.recent.clear()
        self.last_tick = seconds
        if not self.running:
            return
        self.ticks += 1
        self.started_at = None
        self.recent.append((self.ticks, seconds))
        self._fit()
        self._judge_tempo(seconds)

    def _judge_tempo(self, seconds: float) -> None:
        """Note a tempo outside MIN_BPM-MAX_BPM over a whole window that lasts SILENT_CLOCK_S of ticks: a
        burst of late ticks (a busy machine) passes, a clock of 48 or 96 ticks a beat does not."""
        if len(self.recent) <= TEMPO_WINDOW:
            return
        (first, start), (last, end) = self.recent[0], self.recent[-1]
        bpm = 60.0 * (last - first) / (TICKS_PER_BEAT * max(end - start, 1e-9))
        if MIN_BPM <= bpm <= MAX_BPM:
            self.off_tempo_since = None
        elif self.off_tempo_since is None:
            self.off_tempo_since = seconds
        elif seconds - self.off_tempo_since > SILENT_CLOCK_S:
            self.off_tempo = bpm

    def _fit(self) -> None:
        """The tempo by least squares over the recent ticks, and the phase from the least late of them."""
        if len(self.recent) >= 2:
            count = len(self.recent)
            mean_k = sum(k for k, _ in self.recent) / count
            mean_t = sum(t for _, t in self.recent) / count
            spread = sum((k - mean_k) ** 2 for k, _ in self.recent)
            slope = sum((k - mean_k) * (t - mean_t) for k, t in self.recent) / spread
            if slope > 0:
                self.interval = slope
        latest = list(self.recent)[-PHASE_WINDOW:]
        self.phase = min(t - k * self.interval for k, t in latest)

    def reached(self) -> float:
        """The beat a stop leaves the music at: the end of the last tick's step."""
        return (self.ticks + 1) / TICKS_PER_BEAT

    def beat(self, seconds: float) -> float | None:
        """The position at ``seconds``; None before the first tick after a start (0 for a player's message
        at the start: ``heard`` says so)."""
        if self.ticks < 0 or self.last_tick is None:
            return None
        if not self.running or self.phase is None:
            return self.ticks / TICKS_PER_BEAT
        ticks = (seconds - self.phase) / self.interval
        return min(max(ticks, self.ticks), self.ticks + 0.999) / TICKS_PER_BEAT

    def heard(self, seconds: float) -> float | None:
        """The beat of a player's message at ``seconds``: one between Start and the first tick is on beat 0."""
        beat = self.beat(seconds)
        return 0.0 if beat is None and self.running and self.ticks < 0 else beat

    def seconds(self, beat: float) -> float | None:
        """When the clock should reach ``beat``, at the current tempo."""
        if self.ticks < 0 or self.last_tick is None:
            return None
        if self.phase is None:
            return self.last_tick + (beat * TICKS_PER_BEAT - self.ticks) * self.interval
        return self.phase + beat * TICKS_PER_BEAT * self.interval

    def check(self, seconds: float) -> None:
        """Raise UsageError for a clock that cannot be followed: silent while running, or far off in tempo."""
        if self.off_tempo is not None:
            raise UsageError(f"the MIDI clock runs at {self.off_tempo:.0f} beats per minute, outside "
                             f"{MIN_BPM:.0f}-{MAX_BPM:.0f} (is it 24 ticks a beat?)")
        since = self.started_at if self.started_at is not None else self.last_tick
        if self.running and since is not None and seconds - since > SILENT_CLOCK_S:
            raise UsageError(f"the MIDI clock stopped ticking for {SILENT_CLOCK_S:.0f} s without a stop message")
