"""MIDI ports through python-rtmidi: choosing the API (JACK, ALSA, CoreMIDI, Windows), listing, opening.

Input is read in rtmidi's queue mode, never through a callback: with JACK a Python callback runs on the
server's process thread and must wait for the interpreter lock, which the session's sampling holds, so
whole cycles of clock ticks were stamped late or lost. In queue mode the server's thread only queues each
message with rtmidi's delta time, and ``StampedInput`` turns those deltas into arrival times on the
session's clock, however late the main loop gets round to reading them.

Everything that can go wrong here (no python-rtmidi, no MIDI system, no such port, no virtual ports on
this system, a port that disappears) becomes a one-sentence UsageError.
"""

from __future__ import annotations

import math
import os
import queue
import threading
from contextlib import contextmanager

import mido

from jazz.files import UsageError

APIS = {"jack": "UNIX_JACK", "alsa": "LINUX_ALSA", "coremidi": "MACOSX_CORE", "windows": "WINDOWS_MM"}
CLIENT = "jazz"  # the MIDI client names are CLIENT-in, CLIENT-out and CLIENT-ear (the loopback)
QUEUE_SIZE = 1 << 15  # messages rtmidi keeps for us: minutes of 24-a-beat clock while the model loads
READ_EVERY_S = 0.001  # how often the input thread reads rtmidi's queue
PRIORITY = 10  # the input and sender threads' real-time priority, where permitted (as JACK's own threads)
WATCH_EVERY_S = 2.0  # how often a live session checks that its ports are still there
WATCH_ROOM_S = 0.05  # and only when nothing is due sooner: listing ports takes a few milliseconds


def _rtmidi():
    try:
        import rtmidi
    except ImportError:
        raise UsageError("jazz live needs python-rtmidi for MIDI ports (pip install -e '.[live]')") from None
    return rtmidi


def compiled_apis() -> list[str]:
    """The APIs this python-rtmidi was built with, by our names (jack, alsa, coremidi, windows)."""
    rtmidi = _rtmidi()
    compiled = {getattr(rtmidi, f"API_{constant}", None) for constant in APIS.values()} & set(rtmidi.get_compiled_api())
    return [name for name, constant in APIS.items() if getattr(rtmidi, f"API_{constant}", None) in compiled]


def system(api: str = "auto") -> MidiSystem:
    """The MIDI system ``api`` names; ``auto``: the first compiled one that has ports, else the first that works."""
    names = compiled_apis()
    if api != "auto":
        if api not in names:
            raise UsageError(f"--api {api}: this python-rtmidi has {', '.join(names) or 'no MIDI API'}")
        return MidiSystem(api)
    working = []
    for name in names:
        try:
            inputs, outputs = MidiSystem(name).names()
        except UsageError:
            continue
        if inputs or outputs:
            return MidiSystem(name)
        working.append(name)
    if not working:
        raise UsageError(f"no MIDI system to connect to (tried {', '.join(names) or 'none'}; is a JACK server running?)")
    return MidiSystem(working[0])


def systems() -> list[tuple[str, list[str], list[str] | None]]:
    """(api, inputs, outputs) of every compiled API, for --list-ports; None in place of the lists where one fails."""
    found = []
    for name in compiled_apis():
        try:
            found.append((name, *MidiSystem(name).names()))
        except UsageError:
            found.append((name, None, None))
    return found


@contextmanager
def _quiet_stderr():
    """Keep the C libraries' own complaints (ALSA's, JACK's) off the terminal: our message says it in one line."""
    saved = os.dup(2)
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


class MidiSystem:
    """One rtmidi API: its port names, and ports opened on it."""

    def __init__(self, api: str):
        self.rtmidi = _rtmidi()
        self.api = api
        self.constant = getattr(self.rtmidi, f"API_{APIS[api]}")
        self.listers: dict[str, object] = {}  # one client per kind for listing: a new JACK client upsets the graph

    def _port(self, kind: str, client: str):
        try:
            with _quiet_stderr():
                if kind == "in":
                    return self.rtmidi.MidiIn(self.constant, f"{CLIENT}-{client}", QUEUE_SIZE)
                return self.rtmidi.MidiOut(self.constant, f"{CLIENT}-{client}")
        except Exception as error:  # rtmidi's errors derive from Exception only
            raise UsageError(f"no {self.api} MIDI system to connect to ({_first_line(error)})") from None

    def names(self) -> tuple[list[str], list[str]]:
        """The (input, output) port names the system offers (ours excepted)."""
        listing = []
        for kind in ("in", "out"):
            port = self.listers.get(kind) or self.listers.setdefault(kind, self._port(kind, "list"))
            with _quiet_stderr():
                listing.append([n for n in port.get_ports() if not n.startswith(f"{CLIENT}-")])
        return listing[0], listing[1]

    def open_output(self, name: str, virtual: bool = False) -> Output:
        port = self._port("out", "out")
        _open(port, name, virtual, "out")
        return Output(port)

    def open_input(self, name: str, time, virtual: bool = False) -> StampedInput:
        port = self._port("in", "in")
        _open(port, name, virtual, "in")
        return StampedInput(port, time)

    def open_loopback(self, time) -> StampedInput | None:
        """An input on our own output port, to stamp what it really sent; None where the system will not."""
        try:
            port = self._port("in", "ear")
            ours = [n for n in port.get_ports() if n.startswith(f"{CLIENT}-out:")]
            if not ours:
                port.delete()
                return None
            with _quiet_stderr():
                port.open_port(port.get_ports().index(ours[0]), "loopback")
            port.ignore_types(True, True, True)
            return StampedInput(port, time)
        except Exception:  # a measurement we cannot make is reported as such, never fatal
            return None


def _open(port, name: str, virtual: bool, kind: str) -> None:
    try:
        with _quiet_stderr():
            if virtual:
                port.open_virtual_port(name)
            else:
                port.open_port(port.get_ports().index(name), kind)
    except Exception as error:  # rtmidi's errors, or no port of that name
        if virtual:
            raise UsageError(f"this system cannot make a virtual MIDI port ({_first_line(error)})") from None
        raise UsageError(f"cannot open MIDI port {name!r} ({_first_line(error)})") from None
    if kind == "in":
        port.ignore_types(False, False, True)  # keep sysex and the clock; drop active sensing


class Output:
    """An output port that takes mido messages."""

    def __init__(self, port):
        self.port = port

    def send(self, message: mido.Message) -> None:
        try:
            self.port.send_message(message.bytes())
        except Exception as error:  # rtmidi's errors; the session's loop expects OSError for a lost port
            raise OSError(_first_line(error)) from None

    def close(self) -> None:
        self.port.close_port()


class StampedInput:
    """An input port's messages, each stamped with the time it arrived, from rtmidi's delta times.

    The deltas give the spacing exactly; where the whole run of them sits on our clock is the smallest
    ``now - elapsed`` seen so far: the offset of the message read soonest after it came. A thread of its
    own (at real-time priority where permitted) reads every READ_EVERY_S, so that some read is prompt
    however busy the session's main thread or the machine is.
    """

    def __init__(self, port, time):
        self.port, self.time = port, time
        self.parser = mido.Parser()
        self.elapsed = 0.0  # seconds from the first message to the latest, by rtmidi's deltas
        self.offset = math.inf
        self.taken: queue.SimpleQueue = queue.SimpleQueue()
        self.closed = threading.Event()
        self.thread = threading.Thread(target=self._read, name="jazz-input", daemon=True)
        self.thread.start()

    def _read(self) -> None:
        real_time_priority()
        while not self.closed.wait(READ_EVERY_S):
            while (event := self.port.get_message()) is not None:
                data, delta = event
                self.elapsed += delta
                self.offset = min(self.offset, self.time.now() - self.elapsed)
                self.parser.feed(data)
                for message in self.parser:
                    self.taken.put((self.elapsed, message))

    def poll(self, now: float) -> list[tuple[float, mido.Message]]:
        """What came since the last poll, stamped with the best offset known now."""
        taken = []
        while not self.taken.empty():
            elapsed, message = self.taken.get_nowait()
            taken.append((self.offset + elapsed, message))
        return taken

    def next_time(self) -> None:
        return None  # nobody knows when a live player plays

    def close(self) -> None:
        self.closed.set()
        self.thread.join(1.0)
        self.port.close_port()


def real_time_priority(priority: int = PRIORITY) -> None:
    """Run the calling thread at SCHED_FIFO ``priority`` where permitted (root, or a user with an rtprio
    limit, as JACK's setup gives audio users); otherwise leave it to the ordinary scheduler."""
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(priority))
    except (AttributeError, OSError):
        pass


class PortWatch:
    """Raises UsageError when a named (not virtual) port has disappeared; looks every WATCH_EVERY_S, when
    there are WATCH_ROOM_S seconds to spare."""

    def __init__(self, midi: MidiSystem, time, inputs: list[str], outputs: list[str]):
        self.midi, self.time, self.inputs, self.outputs = midi, time, inputs, outputs
        self.last = time.now()

    def __call__(self, room: float) -> None:
        if self.time.now() - self.last < WATCH_EVERY_S or room < WATCH_ROOM_S:
            return
        self.last = self.time.now()
        inputs, outputs = self.midi.names()
        for name, present in [(n, inputs) for n in self.inputs] + [(n, outputs) for n in self.outputs]:
            if name not in present:
                raise UsageError(f"lost the MIDI port {name!r}")


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


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
