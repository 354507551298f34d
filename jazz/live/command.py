"""`jazz live`: the sub-command's options, and the wiring of form, model, ports or file, clock and recording."""

from __future__ import annotations

import signal
import statistics
import sys
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from jazz.files import UsageError, check_writable, output_lock
from jazz.music.labels import FEELS, STYLES
from jazz.music.notes import DEFAULT_GRID
from jazz.progress import import_keras_quietly
from jazz.settings import (TEMPERATURE, Sampling, checked_feel, checked_label, checked_program, checked_strength,
                           heard_feel)

DEFAULT_TUNE = "blues-bb"
DEFAULT_TEMPO = 160.0
LEAD_IN_S = 0.2  # between the end of the warm-up and the first beat of a live session


def add_live(p) -> None:
    """The options of `jazz live` (jazz.cli makes the sub-command and points it at ``run_live``)."""
    p.add_argument("--model", type=Path, help="model folder (default: the bundled models/default)")
    p.add_argument("--in", dest="in_port", metavar="NAME",
                   help="MIDI input port the player plays into (default: the first)")
    p.add_argument("--out", dest="out_port", metavar="NAME",
                   help="MIDI output port for jazz and the band (default: the first)")
    p.add_argument("--list-ports", action="store_true", help="show the MIDI ports of each API and exit")
    p.add_argument("--api", choices=("auto", "jack", "alsa", "coremidi", "windows"), default="auto",
                   help="the MIDI system (default auto: the first that has ports)")
    p.add_argument("--virtual", metavar="NAME",
                   help="make virtual ports called NAME (for the ones --in/--out do not name) for a DAW to connect to")
    harmony = p.add_mutually_exclusive_group()
    harmony.add_argument("--tune", metavar="NAME",
                         help=f"a built-in form (default {DEFAULT_TUNE}; see jazz generate --list-tunes)")
    harmony.add_argument("--chords", metavar="PROGRESSION",
                         help='chord changes in 4/4, bars between |, e.g. "| Dm7 | G7 | Cmaj7 | %% |"')
    harmony.add_argument("--changes", type=Path, metavar="CHART",
                         help="a chord chart file (see `jazz changes`); its meter and tempo too")
    p.add_argument("--tempo", type=float,
                   help="beats per minute (default: the --input file's, else the tune's or chart's, else the "
                        "model's training median)")
    p.add_argument("--clock", action="store_true",
                   help="follow the MIDI clock on the input port: a DAW's tempo, start, stop and continue")
    p.add_argument("--trade", type=int, default=4, metavar="N",
                   help="the player plays N bars, jazz answers the next N (default 4)")
    p.add_argument("--solo", action="store_true", help="jazz plays every bar")
    p.add_argument("--no-band", action="store_true", help="no comping, bass or drums")
    p.add_argument("--input", type=Path, metavar="FILE.mid",
                   help="a recorded performance plays the player's part (offline: no ports needed)")
    p.add_argument("--record", type=Path, metavar="FILE.mid",
                   help="write the session: the player, jazz, the band and chord markers")
    p.add_argument("--force", action="store_true", help="let --record overwrite an existing file")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--temperature", type=float, default=TEMPERATURE,
                   help=f"sampling temperature of the pitches; lower is safer (default {TEMPERATURE})")
    p.add_argument("--choruses", type=int,
                   help="stop after this many choruses (default: when stopped, or when --input ends)")
    p.add_argument("--style", help=f"the style jazz answers in: {', '.join(STYLES)} (default: any)")
    p.add_argument("--feel", default="swing",
                   help=f"the rhythm feel jazz answers in and the band plays: {', '.join(FEELS)}, or none (swing's "
                        "notes, jazz and the band on the grid) (default swing)")
    p.add_argument("--like", metavar="NAME", help="answer like this performer of the model's corpus (see jazz "
                                                  "generate --help)")
    p.add_argument("--like-strength", type=float, metavar="W",
                   help="how far --like pulls toward the player (see jazz generate --help)")
    p.add_argument("--program", type=int, default=66,
                   help="General MIDI program of jazz's part, 0-127 (66: tenor sax)")


def run_live(args) -> int:
    if args.list_ports:
        return list_ports()
    _check(args)
    _check_record(args.record, args.force)  # before the session: a take must never be lost at its end
    with _signals_interrupt():
        return _run(args)


@contextmanager
def _signals_interrupt():
    """SIGTERM and SIGHUP end a session as Ctrl-C does: notes off, and the record written."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt

    caught = [s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s is not None]
    saved = {s: signal.signal(s, interrupt) for s in caught}
    try:
        yield
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)


def _run(args) -> int:
    from jazz.live.offline import read_performance

    tune = _tune(args)
    _timeline(tune.changes, tune.meter, DEFAULT_GRID)  # bad chords are reported before the model loads
    performance = read_performance(args.input) if args.input else None
    ports = _resolve_ports(args, offline=performance is not None)
    connection = _open_ports(ports)  # before the model loads: a DAW's Start meanwhile is kept
    import_keras_quietly()
    from jazz.model.bundle import load_bundle
    from jazz.model.sample import Sampler  # noqa: F401  (before load_bundle: it registers the model's layers)

    bundle = load_bundle(args.model)
    timeline = _timeline(tune.changes, tune.meter, bundle.tokenizer.grid)
    tempo = (args.tempo or (performance.tempo if performance else tune.tempo)
             or bundle.config.get("default_tempo", DEFAULT_TEMPO))
    with ExitStack() as claim:  # --record's lock, held while the session runs
        if args.record:
            claim.enter_context(output_lock(args.record, folder=False))
        setup = Setup(args, bundle, timeline, tempo, performance, ports, connection)
        title = f"jazz live: {tune.title}" if tune.title else "jazz live"
        try:
            for take in range(1, sys.maxsize):  # a DAW's start in mid-session begins a new take
                session, outcome = setup.play()
                if args.record:
                    _record(args.record, take, session, tempo, title)
                print(summary(session, outcome, tempo))
                if outcome.reason != "restart":
                    return 0
        finally:
            setup.close()
    return 0


def _check_record(path: Path | None, force: bool) -> None:
    """Refuse a --record file that cannot be written or (without --force) exists already."""
    if path is None:
        return
    if path.is_dir():
        raise UsageError(f"--record {path} is a folder; name a .mid file")
    if path.exists() and not force:
        raise UsageError(f"{path} already exists (use --force to overwrite)")
    check_writable(path, "the recording")


def _record(path: Path, take: int, session, tempo: float, title: str) -> None:
    from jazz.live.record import write_session

    path = path if take == 1 else path.with_stem(f"{path.stem}-{take}")
    write_session(path, session, tempo, title)
    print(f"recorded {path}", file=sys.stderr)


def list_ports() -> int:
    from jazz.live.ports import systems

    for api, inputs, outputs in systems():
        if inputs is None:
            print(f"{api}: not available (no server or driver)")
            continue
        print(f"{api}:")
        for title, names in (("inputs", inputs), ("outputs", outputs)):
            print(f"  {title}:" + "".join(f"\n    {name}" for name in names))
    return 0


def _check(args) -> None:
    if args.trade < 1:
        raise UsageError("--trade must be at least 1 bar")
    if args.choruses is not None and args.choruses < 1:
        raise UsageError("--choruses must be at least 1")
    if args.temperature < 0:
        raise UsageError("--temperature must not be negative")
    checked_program(args.program)
    if args.tempo is not None and not 20 <= args.tempo <= 400:
        raise UsageError("--tempo must be between 20 and 400 beats per minute")
    checked_label("style", args.style)  # before the model loads
    args.feel = checked_feel(args.feel)
    from jazz.model.bundle import checked_performer

    args.like = checked_performer(args.model, args.like)
    checked_strength(args.like_strength, args.like)
    if args.input is not None and not args.input.is_file():
        raise UsageError(f"--input {args.input} does not exist")
    if args.input is not None and args.in_port is not None:
        raise UsageError("--input replaces the player's port: give --in or --input, not both")


def _tune(args):
    """The form to play over as a jazz.music.tunes.Tune: --chords (in 4/4), a --changes chart or a --tune."""
    from jazz.music.charts import ChartError, read_chart
    from jazz.music.tunes import Tune, TuneError, get_tune

    if args.chords:
        return Tune("chords", "", "4/4", None, args.chords, "--chords")
    try:
        return read_chart(args.changes).as_tune() if args.changes else get_tune(args.tune or DEFAULT_TUNE)
    except (TuneError, ChartError) as error:
        raise UsageError(str(error)) from None


def _timeline(text: str, meter: str, grid: int):
    """One chorus of the form on the model's grid, to be repeated (UsageError for bad chords)."""
    from jazz.live.timeline import Timeline
    from jazz.music.form import chord_form

    form = chord_form(text, meter, 1, grid)
    return Timeline(tuple(form.bars), tuple(form.chords), grid)


@dataclass
class Ports:
    midi: object  # mido.Backend
    in_name: str | None  # None: no input port (offline)
    out_name: str | None  # None: nothing to play to (offline, recorded only)
    in_virtual: bool = False
    out_virtual: bool = False


def _resolve_ports(args, offline: bool) -> Ports | None:
    """The ports to open (checked to exist before the model loads); None for a silent offline run."""
    wants_out = not offline or args.out_port is not None or args.virtual is not None
    if not wants_out:
        return None
    from jazz.live.ports import find_port, system

    midi = system(args.api)
    inputs, outputs = midi.names()
    out_virtual = args.virtual is not None and args.out_port is None
    out_name = args.virtual if out_virtual else find_port(args.out_port, outputs, "output")
    if offline:
        return Ports(midi, None, out_name, out_virtual=out_virtual)
    in_virtual = args.virtual is not None and args.in_port is None
    in_name = args.virtual if in_virtual else find_port(args.in_port, inputs, "input")
    return Ports(midi, in_name, out_name, in_virtual, out_virtual)


@dataclass
class Connection:
    """The open ports and the time they stamp with (all None offline)."""

    time: object = None
    player: object = None
    output: object = None
    ear: object = None  # a loopback input on our own output, for the timing report


def _open_ports(ports: Ports | None) -> Connection:
    if ports is None:
        return Connection()
    from jazz.live.clock import RealTime

    time, midi = RealTime(), ports.midi
    output = midi.open_output(ports.out_name, ports.out_virtual)
    player = None if ports.in_name is None else midi.open_input(ports.in_name, time, ports.in_virtual)
    print(f"{midi.api}: playing to {ports.out_name!r}" + (f", listening to {ports.in_name!r}" if ports.in_name else ""),
          file=sys.stderr)
    return Connection(time, player, output, midi.open_loopback(time))


def summary(session, outcome, tempo: float) -> str:
    """What happened, in two lines: the bars and answers, and how close to the grid the notes went out."""
    bars = session.timeline.bar_at(round(max(session.now, 0.0) * session.timeline.grid))
    answers = session.answers
    line = f"jazz live: {outcome.reason} after {bars} bars; {len(answers)} answer{'s' * (len(answers) != 1)}"
    if answers:
        ms = [a.ms for a in answers]
        line += f" sampled in {statistics.median(ms):.0f} ms (median; at most {max(ms):.0f})"
        spares = [(a.downbeat - a.ready) * 60000 / tempo for a in answers if a.ready > float("-inf")]
        if spares:
            line += f", each ready at least {min(spares):.0f} ms before its downbeat"
    return line + "\n" + timing_line(outcome)


def timing_line(outcome) -> str:
    """How late the note-ons were: as a loopback port received them, as sent, or in simulated time."""
    late = sorted(outcome.late_ms)
    where = {"received": "as received at a loopback port", "sent": "as sent (no loopback port on this system)",
             "simulated": "in simulated time"}[outcome.measured]
    if not late:
        return f"timing: no notes {where}"
    p99 = late[min(len(late) - 1, round(0.99 * (len(late) - 1)))]
    return (f"timing: {len(late)} notes {where}: median {statistics.median(late):.1f} ms late, p99 {p99:.1f}, "
            f"max {late[-1]:.1f}, the furthest {max(abs(x) for x in late):.1f} ms from when it was due")


class Setup:
    """Everything a session is built from; ``play`` builds one and drives it to the end."""

    def __init__(self, args, bundle, timeline, tempo: float, performance, ports: Ports | None,
                 connection: Connection):
        from jazz.live.answer import Answerer
        from jazz.live.timeline import Trading
        from jazz.model.context import performance_context
        from jazz.model.sample import Sampler, sample_chunks
        from jazz.music.labels import instrument_of_program

        self.args, self.timeline, self.tempo, self.performance, self.ports = args, timeline, tempo, performance, ports
        self.trading = Trading(args.trade, args.solo)
        sampler = Sampler(bundle.model, bundle.tokenizer)
        heard = {"style": checked_label("style", args.style), "feel": heard_feel(args.feel),
                 "instrument": instrument_of_program(args.program), "performer": args.like}
        context = performance_context(tempo, {k: v for k, v in heard.items() if v}, bundle.model_config.performers,
                                      checked_strength(args.like_strength, args.like))
        self.answerer = Answerer(bundle, sampler, sample_chunks, Sampling(temperature=args.temperature),
                                 program=args.program, context=context)
        self.connection = connection
        self.player = self.output = self.time = self.clock = None

    def end_bar(self) -> int | None:
        limit = self.args.choruses * len(self.timeline.bars) if self.args.choruses else None
        if self.performance is None:
            return limit
        last = self.timeline.bar_at(round(self.performance.last_onset * self.timeline.grid))
        end = self.trading.end_bar(last)
        return end if limit is None else min(end, limit)

    def play(self):
        from jazz.live.drive import drive, quiet_collector
        from jazz.live.engine import Session

        session = Session(self.timeline, self.answerer, self.trading, band=not self.args.no_band, seed=self.args.seed,
                          program=self.args.program, end_bar=self.end_bar(),
                          count_in=self.performance is None and not self.args.clock, tempo=self.tempo,
                          feel=self.args.feel)
        session.prepare()
        quiet_collector()  # before the clock starts: the first full collection takes a while
        if self.time is None:
            self._connect()
        return session, drive(session, self.time, self.clock, self.player, self.output, self._watch(),
                              self.connection.ear)

    def _connect(self) -> None:
        from jazz.live.clock import FixedTempo, MidiClock, SimulatedTime
        from jazz.live.offline import Discard, FilePlayer, daw_clock, timed

        args, ports, connection = self.args, self.ports, self.connection
        self.time = connection.time or SimulatedTime()
        self.clock = MidiClock(self.tempo) if args.clock else FixedTempo(self.tempo)
        origin = self.time.now() + (0.0 if ports is None else LEAD_IN_S)
        if self.performance is not None:
            events = timed(self.performance.events, self.tempo, origin)
            if args.clock:
                events += daw_clock(self.tempo, self.timeline.bar(self.end_bar()).start / self.timeline.grid, origin)
            self.player = FilePlayer(events)
        self.player = self.player or connection.player
        self.output = connection.output or Discard()
        if not args.clock:
            self.clock.start(origin + (self._count_in_s() if self.performance is None else 0.0))
        elif self.performance is None:
            print(f"ready: following the MIDI clock on {self.ports.in_name!r} (a Start already sent counts)",
                  file=sys.stderr)

    def _count_in_s(self) -> float:
        bar = self.timeline.bar(0)
        return bar.length(self.timeline.grid) / self.timeline.grid * 60.0 / self.tempo

    def _watch(self):
        if self.ports is None:
            return None
        from jazz.live.ports import PortWatch

        ports = self.ports
        inputs = [ports.in_name] if ports.in_name and not ports.in_virtual else []
        outputs = [ports.out_name] if not ports.out_virtual else []
        return PortWatch(ports.midi, self.time, inputs, outputs)

    def close(self) -> None:
        for port in (self.player, self.output, self.connection.ear):
            close = getattr(port, "close", None)
            if close:
                close()
