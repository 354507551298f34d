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
TEMPO_WINDOW = 24  # tick intervals averaged for the tempo: one beat
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

    def beat(self, seconds: float) -> float | None:
        return None if self.origin is None else (seconds - self.origin) * self.bpm / 60.0

    def seconds(self, beat: float) -> float | None:
        return None if self.origin is None else self.origin + beat * 60.0 / self.bpm

    def check(self, seconds: float) -> None:
        """A steady tempo cannot go wrong."""


class MidiClock:
    """Follows a DAW's MIDI clock; ``feed`` every message from its port, with its arrival time."""

    def __init__(self, bpm_guess: float = 120.0):
        self.ticks = -1  # the latest tick's number since start; -1: started, waiting for the first tick
        self.running = False
        self.started_at: float | None = None
        self.last_tick: float | None = None
        self.previous: float | None = None  # the tick before, for the tempo; None after a transport message
        self.intervals: deque[float] = deque(maxlen=TEMPO_WINDOW)
        self.guess = 60.0 / (TICKS_PER_BEAT * bpm_guess)

    @property
    def interval(self) -> float:
        """Seconds per tick: the mean of the latest spacings (the guess until two ticks have come)."""
        return sum(self.intervals) / len(self.intervals) if self.intervals else self.guess

    @property
    def bpm(self) -> float:
        return 60.0 / (TICKS_PER_BEAT * self.interval)

    def feed(self, message, seconds: float) -> str | None:
        """Take a message; return "start", "stop" or "continue" when the transport changes."""
        kind = message.type
        if kind == "clock":
            self._tick(seconds)
            return None
        self.previous = None  # no tempo is measured across a transport message
        if kind == "start":
            self.ticks, self.running, self.started_at = -1, True, seconds
            return "start"
        if kind == "continue":
            self.running, self.started_at = True, seconds
            return "continue"
        if kind == "stop":
            self.running = False
            return "stop"
        if kind == "songpos":
            self.ticks = message.pos * TICKS_PER_BEAT // 4 - 1  # the next tick sounds at the new position
        return None

    def _tick(self, seconds: float) -> None:
        if self.previous is not None and 0 < seconds - self.previous < SILENT_CLOCK_S:
            self.intervals.append(seconds - self.previous)
        self.previous = self.last_tick = seconds
        if self.running:
            self.ticks += 1
            self.started_at = None

    def beat(self, seconds: float) -> float | None:
        """The position at ``seconds``; None before the first tick after a start."""
        if self.ticks < 0 or self.last_tick is None:
            return None
        if not self.running:
            return self.ticks / TICKS_PER_BEAT
        ahead = min(max(seconds - self.last_tick, 0.0) / self.interval, 0.999)
        return (self.ticks + ahead) / TICKS_PER_BEAT

    def seconds(self, beat: float) -> float | None:
        """When the clock should reach ``beat``, at the current tempo."""
        if self.ticks < 0 or self.last_tick is None:
            return None
        return self.last_tick + (beat * TICKS_PER_BEAT - self.ticks) * self.interval

    def check(self, seconds: float) -> None:
        """Raise UsageError for a clock that cannot be followed: silent while running, or far off in tempo."""
        since = self.started_at if self.started_at is not None else self.last_tick
        if self.running and since is not None and seconds - since > SILENT_CLOCK_S:
            raise UsageError(f"the MIDI clock stopped ticking for {SILENT_CLOCK_S:.0f} s without a stop message")
        if len(self.intervals) == TEMPO_WINDOW and not MIN_BPM <= self.bpm <= MAX_BPM:
            raise UsageError(f"the MIDI clock runs at {self.bpm:.0f} beats per minute, outside "
                             f"{MIN_BPM:.0f}-{MAX_BPM:.0f} (is it 24 ticks a beat?)")
