"""MIDI ports through mido's python-rtmidi backend: listing, opening by name, virtual ports, the live player.

Everything that can go wrong here (no python-rtmidi, no MIDI system, no such port, no virtual ports on
this system, a port that disappears) becomes a one-sentence UsageError.
"""

from __future__ import annotations

import os
import queue
from contextlib import contextmanager

import mido

from jazz.files import UsageError

BACKEND = "mido.backends.rtmidi"
WATCH_EVERY_S = 2.0  # how often a live session checks that its ports are still there
WATCH_ROOM_S = 0.05  # and only when nothing is due sooner: listing ports takes a few milliseconds


def backend() -> mido.Backend:
    """mido's rtmidi backend, loaded (without changing mido's global choice)."""
    try:
        import rtmidi  # noqa: F401
    except ImportError:
        raise UsageError("jazz live needs python-rtmidi for MIDI ports (pip install -e '.[live]')") from None
    return mido.Backend(BACKEND, load=True)


@contextmanager
def _quiet_stderr():
    """Keep the C libraries' own complaints (ALSA's) off the terminal: our message says it in one line."""
    saved = os.dup(2)
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def port_names(midi: mido.Backend) -> tuple[list[str], list[str]]:
    """The (input, output) port names the system offers."""
    try:
        with _quiet_stderr():
            return midi.get_input_names(), midi.get_output_names()
    except OSError as error:
        raise UsageError(f"no MIDI system to connect to ({_first_line(error)})") from None


def find_port(name: str | None, names: list[str], kind: str) -> str:
    """The port ``name`` means: exact, else the one port whose name contains it (any case); the first without a name."""
    if name is None:
        if not names:
            raise UsageError(f"there is no MIDI {kind} port (connect one, or make one with --virtual NAME)")
        return names[0]
    if name in names:
        return name
    matches = [n for n in names if name.lower() in n.lower()]
    if len(matches) == 1:
        return matches[0]
    known = ", ".join(repr(n) for n in names) or "none"
    what = "matches several" if matches else "matches none"
    raise UsageError(f"--{'in' if kind == 'input' else 'out'} {name!r} {what} of the MIDI {kind} ports ({known})")


def open_output(midi: mido.Backend, name: str, virtual: bool = False):
    return _open(midi.open_output, name, virtual)


def open_input(midi: mido.Backend, name: str, callback, virtual: bool = False):
    return _open(midi.open_input, name, virtual, callback=callback)


def _open(opener, name: str, virtual: bool, **kwargs):
    try:
        with _quiet_stderr():
            return opener(name, virtual=virtual, **kwargs)
    except (NotImplementedError, RuntimeError) as error:  # rtmidi on systems without virtual ports
        if virtual:
            raise UsageError(f"this system cannot make a virtual MIDI port ({_first_line(error)})") from None
        raise UsageError(f"cannot open MIDI port {name!r} ({_first_line(error)})") from None
    except OSError as error:
        raise UsageError(f"cannot open MIDI port {name!r} ({_first_line(error)})") from None


class PortPlayer:
    """The live player: an input port's messages, stamped with ``time.now()`` as they arrive."""

    def __init__(self, midi: mido.Backend, name: str, time, virtual: bool = False):
        self.messages: queue.SimpleQueue = queue.SimpleQueue()
        self.port = open_input(midi, name, lambda message: self.messages.put((time.now(), message)), virtual)

    def poll(self, now: float) -> list:
        taken = []
        while not self.messages.empty():
            taken.append(self.messages.get_nowait())
        return taken

    def next_time(self) -> None:
        return None  # nobody knows when a live player plays

    def close(self) -> None:
        self.port.close()


class PortWatch:
    """Raises UsageError when a named (not virtual) port has disappeared; looks every WATCH_EVERY_S, when
    there are WATCH_ROOM_S seconds to spare."""

    def __init__(self, midi: mido.Backend, time, inputs: list[str], outputs: list[str]):
        self.midi, self.time, self.inputs, self.outputs = midi, time, inputs, outputs
        self.last = time.now()

    def __call__(self, room: float) -> None:
        if self.time.now() - self.last < WATCH_EVERY_S or room < WATCH_ROOM_S:
            return
        self.last = self.time.now()
        inputs, outputs = port_names(self.midi)
        for name, present in [(n, inputs) for n in self.inputs] + [(n, outputs) for n in self.outputs]:
            if name not in present:
                raise UsageError(f"lost the MIDI port {name!r}")


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
