"""Output on time: messages handed over ahead of time and sent by a thread of their own, and what a loopback
port on our own output heard of them.

The session's loop hands each message over a little before it is due (``LOOKAHEAD_S``), with the time it is
due on the clock; the sender thread sleeps until then and sends it, so that a step of sampling on the
main thread cannot hold a note up. ``lateness`` matches the note-ons a loopback input received to the
ones planned, which is what the outside world got, not what the scheduler meant.
"""

from __future__ import annotations

import heapq
import sys
import threading
from collections import defaultdict, deque
from dataclasses import dataclass, field

import mido

from jazz.live.ports import real_time_priority

LOOKAHEAD_S = 0.25  # how far ahead of its time a message is handed to the sender thread (outlasts a starved main loop)
SWITCH_INTERVAL_S = 0.0005  # how soon the main thread gives the interpreter lock to a sender that woke up


@dataclass
class Sent:
    """Every note-on: when it was due and when it went out (seconds), and its channel and pitch."""

    notes: list[tuple[float, float, int, int]] = field(default_factory=list)


class Sender:
    """Sends messages at their times (``at``) from a thread of its own, or at once (``send``)."""

    def __init__(self, output, time):
        self.output, self.time = output, time
        self.queue: list[tuple[float, int, mido.Message]] = []
        self.count = 0
        self.sent = Sent()
        self.error: OSError | None = None
        self.closed = False
        self.wake = threading.Condition()
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        self.thread = threading.Thread(target=self._run, name="jazz-sender", daemon=True)
        self.thread.start()

    def at(self, seconds: float, message: mido.Message) -> None:
        self.check()
        with self.wake:
            self.count += 1
            heapq.heappush(self.queue, (seconds, self.count, message))
            self.wake.notify()

    def send(self, message: mido.Message) -> None:
        """Now, from the caller's thread (after anything already due)."""
        self.check()
        self.output.send(message)

    def cancel(self) -> None:
        """Drop what is waiting; note-offs among it go out at once, so that nothing is left sounding."""
        with self.wake:
            waiting, self.queue = self.queue, []
        for _, _, message in sorted(waiting):
            if message.type == "note_off" or (message.type == "note_on" and message.velocity == 0):
                self._send(message)

    def check(self) -> None:
        """Raise the sender thread's OSError (a lost port) in the caller's thread."""
        if self.error is not None:
            raise self.error

    def close(self) -> None:
        with self.wake:
            self.closed = True
            self.wake.notify()
        self.thread.join(1.0)

    def _run(self) -> None:
        real_time_priority()
        while True:
            with self.wake:
                while not self.closed and (not self.queue or self.queue[0][0] > self.time.now()):
                    self.wake.wait(self.queue[0][0] - self.time.now() if self.queue else None)
                if self.closed:
                    return
                seconds, _, message = heapq.heappop(self.queue)
            self._send(message, seconds)

    def _send(self, message: mido.Message, due: float | None = None) -> None:
        try:
            self.output.send(message)
        except OSError as error:
            self.error = error
            return
        if due is not None and message.type == "note_on" and message.velocity > 0:
            self.sent.notes.append((due, self.time.now(), message.channel, message.note))


def lateness(sent: Sent, heard: list[tuple[float, mido.Message]] | None) -> list[float]:
    """Milliseconds from each note-on's due time to its arrival at the loopback port (``heard``, matched
    by channel and pitch in order), or to its sending where there is no loopback."""
    if heard is None:
        return [(out - due) * 1000 for due, out, _, _ in sent.notes]
    arrivals: dict[tuple[int, int], deque[float]] = defaultdict(deque)
    for seconds, message in heard:
        if message.type == "note_on" and message.velocity > 0:
            arrivals[(message.channel, message.note)].append(seconds)
    late = []
    for due, out, channel, note in sent.notes:
        waiting = arrivals[(channel, note)]
        while waiting and waiting[0] < out - 0.001:  # an arrival before the send is another note's
            waiting.popleft()
        if waiting:
            late.append((waiting.popleft() - due) * 1000)
    return late
