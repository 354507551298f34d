"""A rehearsal through a real JACK server: a script plays the DAW and the player, and times jazz's answer.

A dummy-driver ``jackd`` (no sound card) is started under a name of its own. ``jazz live`` runs in a child
process on virtual ports; the DAW side sends Start, then 24 clock ticks a beat from a busy-wait loop and a
call of eighth notes, and a listener in a process of its own (so that nothing holds its GIL) stamps every
note jazz sends as it arrives. Each answer note's lateness is its arrival minus the time jazz's own
``--record`` gives it, on the DAW's clock; the note-ons are matched pitch by pitch, in order.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import mido

TICKS_PER_BEAT = 24
PORT_WAIT_S = 120.0  # for jazz to load its model and show its ports
CALL_PITCHES = (65, 67, 69, 70, 72, 70, 69, 67)  # eighth notes, one bar of them, played four times
FORM = "| F7 | Bb7 | F7 | F7 | Bb7 | Bb7 | F7 | C7 |"  # a call of 4 bars and an answer of 4


class NoServer(RuntimeError):
    """No JACK server can be started here (no jackd, no python-rtmidi with JACK)."""


def missing() -> str | None:
    """Why a rehearsal cannot run here, or None."""
    try:
        import rtmidi
    except ImportError:
        return "python-rtmidi is not installed (pip install -e '.[live]')"
    if rtmidi.API_UNIX_JACK not in rtmidi.get_compiled_api():
        return "this python-rtmidi is built without JACK"
    if shutil.which("jackd") is None:
        return "jackd is not installed (apt-get install jackd2)"
    return None


@contextmanager
def jack_server(period: int = 256, rate: int = 48000):
    """A dummy-driver JACK server of its own for the duration; JACK_DEFAULT_SERVER names it meanwhile."""
    reason = missing()
    if reason:
        raise NoServer(reason)
    name = f"jazz-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "JACK_NO_AUDIO_RESERVATION": "1"}
    log = tempfile.TemporaryFile()
    server = subprocess.Popen(["jackd", "-n", name, "-d", "dummy", "-r", str(rate), "-p", str(period)],
                              stdout=log, stderr=subprocess.STDOUT, env=env)
    previous = os.environ.get("JACK_DEFAULT_SERVER")
    os.environ["JACK_DEFAULT_SERVER"] = name
    try:
        _wait_for_server(server, log)
        yield name
    finally:
        server.terminate()
        try:
            server.wait(5)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        if previous is None:
            os.environ.pop("JACK_DEFAULT_SERVER", None)
        else:
            os.environ["JACK_DEFAULT_SERVER"] = previous


def _wait_for_server(server: subprocess.Popen, log) -> None:
    import rtmidi

    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log.seek(0)
            raise NoServer(f"jackd exited: {log.read().decode(errors='replace').strip().splitlines()[-1:]}")
        try:
            rtmidi.MidiOut(rtapi=rtmidi.API_UNIX_JACK, name="probe").delete()
            return
        except Exception:  # the server is not up yet
            time.sleep(0.1)
    raise NoServer("jackd did not start within 10 s")


@dataclass
class Take:
    """One rehearsal: the tempo, each answer note's lateness (ms), and what jazz printed."""

    bpm: float
    late_ms: list[float] = field(default_factory=list)
    unmatched: int = 0
    output: str = ""
    record: Path | None = None


def _listen(ready, stop, results, port_hint: str) -> None:
    """The listener's process: stamp every note-on from the port named like ``port_hint`` as it arrives."""
    import rtmidi

    heard = []
    port = rtmidi.MidiIn(rtapi=rtmidi.API_UNIX_JACK, name="ear")
    port.ignore_types(True, True, True)
    port.set_callback(lambda event, _: heard.append((time.perf_counter(), event[0])))
    port.open_port(_port_index(port, port_hint), "in")
    ready.set()
    stop.wait()
    port.close_port()
    results.send(heard)


def _port_index(port, hint: str, process: subprocess.Popen | None = None, timeout: float = PORT_WAIT_S) -> int:
    """The index of the first port whose name holds ``hint``, waiting for it (while ``process`` runs)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and (process is None or process.poll() is None):
        names = port.get_ports()
        for index, name in enumerate(names):
            if hint in name:
                return index
        time.sleep(0.05)
    ended = "" if process is None or process.poll() is None else f" (jazz live ended: {process.stdout.read()!r})"
    raise TimeoutError(f"no JACK MIDI port named like {hint!r}{ended}")


def rehearse(command: list[str], bpm: float, workdir: Path, bars: int = 8, call_bars: int = 4,
             start_early: bool = True, ready_line: str = "ready", hints: tuple[str, str] = ("jazz-in:", "jazz-out:")
             ) -> Take:
    """Run ``command`` (``jazz live ... --virtual jazz --clock``, recording to workdir/take.mid) through the
    current JACK server and play the DAW at ``bpm`` for ``bars`` bars of 4/4.

    ``start_early`` sends Start as soon as jazz's ports appear (before it may be ready); the ticks begin
    when jazz prints ``ready_line`` on its standard error (right away when empty). ``hints`` pick jazz's
    input and output ports by name.
    """
    import rtmidi

    record = workdir / f"take-{bpm:g}.mid"
    take = Take(bpm, record=record)
    jazz = subprocess.Popen(command + ["--record", str(record)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    context = multiprocessing.get_context("spawn")
    ready, stop = context.Event(), context.Event()
    receive, send = context.Pipe(duplex=False)
    listener = context.Process(target=_listen, args=(ready, stop, send, hints[1]), daemon=True)
    daw = rtmidi.MidiOut(rtapi=rtmidi.API_UNIX_JACK, name="daw")
    try:
        daw.open_port(_port_index(daw, hints[0], jazz), "out")
        listener.start()
        if not ready.wait(PORT_WAIT_S):
            raise TimeoutError("the listener did not connect")
        if start_early:
            daw.send_message([0xFA])
        _wait_for_line(jazz, ready_line, take)
        if not start_early:
            daw.send_message([0xFA])
        origin = _play(daw, bpm, bars, call_bars)
        try:
            take.output += jazz.communicate(timeout=15)[0]
        except subprocess.TimeoutExpired:
            jazz.terminate()
            take.output += jazz.communicate(timeout=15)[0]
        stop.set()
        heard = receive.recv() if receive.poll(10) else []
    finally:
        if jazz.poll() is None:
            jazz.kill()
        stop.set()
        if listener.is_alive():
            listener.join(5)
        daw.close_port()
        daw.delete()  # leave the server with no client of ours, before it may be stopped
    if record.exists():
        _match(take, heard, record, origin, bpm)
    return take


def _wait_for_line(jazz: subprocess.Popen, line: str, take: Take) -> None:
    if not line:
        return
    for text in jazz.stdout:
        take.output += text
        if line in text:
            return
    raise RuntimeError(f"jazz live ended before {line!r}:\n{take.output}")


def _play(daw, bpm: float, bars: int, call_bars: int) -> float:
    """The DAW's clock and the player's call, busy-waiting for each send; the time of beat 0."""
    tick = 60.0 / (bpm * TICKS_PER_BEAT)
    events = [(k * tick, [0xF8]) for k in range(bars * 4 * TICKS_PER_BEAT)]
    for k in range(call_bars * 8):  # eighth notes, half a beat long, on channel 1
        pitch = CALL_PITCHES[k % len(CALL_PITCHES)]
        events.append((k * 12 * tick, [0x90, pitch, 90]))
        events.append(((k * 12 + 11) * tick, [0x80, pitch, 0]))
    events.sort(key=lambda e: (e[0], e[1][0] != 0xF8))
    origin = time.perf_counter() + 0.05
    for at, message in events:
        while time.perf_counter() < origin + at:
            pass
        daw.send_message(message)
    while time.perf_counter() < origin + bars * 4 * 60.0 / bpm:
        pass
    daw.send_message([0xFC])
    return origin


def _match(take: Take, heard: list, record: Path, origin: float, bpm: float) -> None:
    """Each of jazz's recorded note-ons against the arrival of the same pitch nearest to it."""
    arrivals = [(at, data[1]) for at, data in heard if len(data) == 3 and data[0] & 0xF0 == 0x90 and data[2] > 0]
    midi = mido.MidiFile(record)
    track = next(t for t in midi.tracks if any(m.type == "track_name" and m.name == "jazz" for m in t))
    planned, tick = [], 0
    for message in track:
        tick += message.time
        if message.type == "note_on" and message.velocity > 0:
            planned.append((origin + tick / midi.ticks_per_beat * 60.0 / bpm, message.note))
    for at, pitch in planned:
        candidates = [a for a in arrivals if a[1] == pitch and abs(a[0] - at) < 60.0 / bpm]
        if not candidates:
            take.unmatched += 1
            continue
        best = min(candidates, key=lambda a: abs(a[0] - at))
        arrivals.remove(best)
        take.late_ms.append((best[0] - at) * 1000)


def jazz_command(model: Path | None, bpm: float, extra: tuple[str, ...] = ()) -> list[str]:
    """The `jazz live` command of a rehearsal: the 8-bar form once, trading fours, no band."""
    command = [sys.executable, "-m", "jazz.cli", "live", "--api", "jack", "--virtual", "jazz", "--clock", "--chords", FORM,
               "--trade", "4", "--choruses", "1", "--no-band", "--tempo", f"{bpm:g}", *extra]
    return command + (["--model", str(model)] if model else [])
