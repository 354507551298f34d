"""The one loop that drives a session: live (real time, ports) or offline (simulated time, a file).

Each turn reads what the player sent (stamped with its arrival time), lets the clock see transport
messages, steps the session to the clock's beat and sleeps until the next thing is due. Every step runs
inside the time source's ``working()``, so a simulated run pays for its compute as a live one does.
Whatever ends the loop (the end of the session, Ctrl-C, a clock or port error), every sounding note is
switched off on the way out.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from typing import Callable, Protocol

import mido

from jazz.files import UsageError
from jazz.live.clock import SILENT_CLOCK_S
from jazz.live.sender import LOOKAHEAD_S, Sender, lateness

MIN_SIMULATED_STEP = 1e-4  # seconds: a simulated loop always moves on
EAR_WAIT_S = 0.02  # for the loopback port to receive the last notes sent

Send = Callable[[float, mido.Message], None]  # (due beat, message)


class Session(Protocol):
    """The step function a driver drives (jazz.live.engine.Session): beats in, messages out."""

    now: float  # the beat of the latest step; -inf before the first
    done: bool

    def step(self, beat: float, send: Send, ahead: float | None = None) -> None: ...

    def hear(self, beat: float, message: mido.Message) -> None: ...

    def next_due(self) -> float | None: ...

    def silence(self) -> list[mido.Message]: ...


class Player(Protocol):
    def poll(self, now: float) -> list[tuple[float, mido.Message]]: ...

    def next_time(self) -> float | None: ...


class Output(Protocol):
    def send(self, message: mido.Message) -> None: ...


@dataclass
class Outcome:
    """Why the loop ended ("end", "interrupted", "restart"), how late each note-on was (ms), and where that
    was measured: "received" at a loopback port on our own output, "sent" by the sender, or "simulated"."""

    reason: str = "end"
    late_ms: list[float] = field(default_factory=list)
    measured: str = "simulated"


def drive(session: Session, time, clock, player: Player, output: Output, watch=None, ear=None) -> Outcome:
    """Run ``session`` until it ends or is interrupted.

    In real time, messages go to a Sender ``LOOKAHEAD_S`` before they are due; ``ear`` is a loopback input
    on ``output`` (or None) that stamps what really went out. ``watch(room)`` is told how many seconds
    there are until the next thing is due, and may raise UsageError (a lost port).
    """
    outcome = Outcome()
    quiet_collector()
    sender = None if time.simulated else Sender(output, time)
    heard: list = []
    lookahead = 0.0 if sender is None else LOOKAHEAD_S
    began = time.now()

    def send(due: float, message: mido.Message) -> None:
        planned = clock.seconds(due)
        if sender is not None:
            try:
                sender.at(time.now() if planned is None else planned, message)
            except OSError as error:  # the sender thread lost the port
                raise UsageError(f"lost the MIDI output port ({error})") from None
            return
        _send(output, message)
        if message.type == "note_on" and planned is not None:
            outcome.late_ms.append((time.now() - planned) * 1000)

    try:
        while not session.done:
            over = False
            for seconds, message in player.poll(time.now()):
                over = _take(session, clock, sender or output, seconds, message, over)
            if over:  # the DAW started again from the top: the next session begins in step with its clock
                outcome.reason = "restart"
                return outcome
            if time.now() - began > SILENT_CLOCK_S:  # a Start kept from while the model loaded is not a silence
                clock.check(time.now())
            if watch:
                watch(_room(session, clock, time.now()))
            if ear is not None:
                heard += ear.poll(time.now())
            beat = clock.beat(time.now()) if clock.running else None
            if beat is not None:
                with time.working():
                    session.step(beat, send, _ahead(clock, time.now(), beat, lookahead))
            wake = _wake(session, clock, player, time)
            if wake is None:  # a simulated run with nothing left to wait for (the input ran out)
                break
            time.wait_until(wake)
    except KeyboardInterrupt:
        outcome.reason = "interrupted"
    finally:
        if sender is not None:
            _finish(sender, outcome, time, ear, heard)
        for message in session.silence():
            try:
                output.send(message)
            except Exception:  # a lost port cannot be silenced; the other messages still go
                pass
    return outcome


def _ahead(clock, now: float, beat: float, lookahead: float) -> float:
    """The beat up to which messages are handed over: ``lookahead`` seconds after ``beat``, at the tempo."""
    return beat + lookahead * clock.bpm / 60.0


def _finish(sender: Sender, outcome: Outcome, time, ear, heard: list) -> None:
    """Let what is due go out (cut short by Ctrl-C or an error), then measure what was received."""
    if outcome.reason == "end":
        _sleep(time, 2 * LOOKAHEAD_S, lambda: not sender.queue)
    sender.cancel()
    sender.close()
    if ear is not None:
        _sleep(time, EAR_WAIT_S)
        heard += ear.poll(time.now())
    outcome.late_ms = lateness(sender.sent, heard if ear is not None else None)
    outcome.measured = "received" if ear is not None else "sent"


def _sleep(time, seconds: float, until=lambda: False) -> None:
    deadline = time.now() + seconds
    while time.now() < deadline and not until():
        time.wait_until(deadline)


def quiet_collector() -> None:
    """Collect now and freeze what is alive (TensorFlow's and the model's objects), so that the garbage
    collector's full passes during a session look at the session's own objects only: well under a
    millisecond, where a pass over a process with TensorFlow loaded takes a quarter of a second.
    Cheap when called again."""
    gc.collect()
    gc.freeze()


def _take(session: Session, clock, output: Output, seconds: float, message: mido.Message, over: bool) -> bool:
    """One message from the player's side: transport to the clock, the rest to the session. True once a
    start in mid-session has ended the session (``over``): what follows goes to the clock alone."""
    event = clock.feed(message, seconds)
    if over or (event == "start" and session.now > float("-inf")):
        return True
    if event == "stop":
        cancel = getattr(output, "cancel", None)
        if cancel:
            cancel()  # what was handed over for after the stop
        if session.end_beat is not None and clock.reached() >= session.end_beat - 1e-6:
            session.step(session.end_beat, lambda due, message: None)  # a stop at the end of the form ends it
        for silent in session.silence():
            _send(output, silent)
    if not message.is_realtime:
        beat = clock.heard(seconds)
        if beat is not None:
            session.hear(beat, message)
    return False


def _wake(session: Session, clock, player: Player, time) -> float | None:
    """When to look again: the next due event, the player's next message, or soon (live)."""
    now = time.now()
    due = session.next_due()
    planned = clock.seconds(due) if due is not None and clock.running else None
    upcoming = player.next_time()
    times = [t for t in (planned, upcoming) if t is not None]
    if not time.simulated:
        return min(times, default=now + 1.0) - LOOKAHEAD_S
    if not times:
        return None
    return max(min(times), now + MIN_SIMULATED_STEP)  # what fell due while working comes first


def _room(session: Session, clock, now: float) -> float:
    """Seconds until the session's next event or work (infinite when nothing is planned)."""
    due = session.next_due()
    planned = clock.seconds(due) if due is not None and clock.running else None
    return float("inf") if planned is None else planned - now


def _send(output: Output, message: mido.Message) -> None:
    try:
        output.send(message)
    except OSError as error:  # rtmidi's errors are OSErrors
        raise UsageError(f"lost the MIDI output port ({error})") from None

