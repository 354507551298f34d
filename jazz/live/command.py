"""`jazz live`: the sub-command's options, and the wiring of form, model, ports or file, clock and recording."""

from __future__ import annotations

import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

from jazz.files import UsageError
from jazz.music.notes import DEFAULT_GRID
from jazz.settings import TEMPERATURE, checked_label

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
    p.add_argument("--list-ports", action="store_true", help="show the MIDI ports and exit")
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
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--temperature", type=float, default=TEMPERATURE,
                   help=f"sampling temperature of the pitches; lower is safer (default {TEMPERATURE})")
    p.add_argument("--choruses", type=int,
                   help="stop after this many choruses (default: when stopped, or when --input ends)")
    p.add_argument("--style", help="the style jazz answers in (see jazz generate --help; default: any)")
    p.add_argument("--feel", help="the rhythm feel jazz answers in (default: swing)")
    p.add_argument("--program", type=int, default=66,
                   help="General MIDI program of jazz's part, 0-127 (66: tenor sax)")


def run_live(args) -> int:
    if args.list_ports:
        return list_ports()
    _check(args)
    from jazz.live.offline import read_performance
    from jazz.model.bundle import load_bundle
    from jazz.model.sample import Sampler  # noqa: F401  (before load_bundle: it registers the model's layers)

    tune = _tune(args)
    _timeline(tune.changes, tune.meter, DEFAULT_GRID)  # bad chords are reported before the model loads
    performance = read_performance(args.input) if args.input else None
    ports = _resolve_ports(args, offline=performance is not None)
    bundle = load_bundle(args.model)
    timeline = _timeline(tune.changes, tune.meter, bundle.tokenizer.grid)
    tempo = (args.tempo or (performance.tempo if performance else tune.tempo)
             or bundle.config.get("default_tempo", DEFAULT_TEMPO))
    setup = Setup(args, bundle, timeline, tempo, performance, ports)
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


def _record(path: Path, take: int, session, tempo: float, title: str) -> None:
    from jazz.live.record import write_session

    path = path if take == 1 else path.with_stem(f"{path.stem}-{take}")
    write_session(path, session, tempo, title)
    print(f"recorded {path}", file=sys.stderr)


def list_ports() -> int:
    from jazz.live.ports import backend, port_names

    inputs, outputs = port_names(backend())
    for title, names in (("inputs", inputs), ("outputs", outputs)):
        print(f"{title}:" + "".join(f"\n  {name}" for name in names))
    return 0


def _check(args) -> None:
    if args.trade < 1:
        raise UsageError("--trade must be at least 1 bar")
    if args.choruses is not None and args.choruses < 1:
        raise UsageError("--choruses must be at least 1")
    if args.temperature < 0:
        raise UsageError("--temperature must not be negative")
    if not 0 <= args.program <= 127:
        raise UsageError("--program must be a General MIDI program number from 0 to 127")
    if args.tempo is not None and not 20 <= args.tempo <= 400:
        raise UsageError("--tempo must be between 20 and 400 beats per minute")
    checked_label("style", args.style), checked_label("feel", args.feel)  # before the model loads
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
    from jazz.live.ports import backend, find_port, port_names

    midi = backend()
    inputs, outputs = port_names(midi)
    out_virtual = args.virtual is not None and args.out_port is None
    out_name = args.virtual if out_virtual else find_port(args.out_port, outputs, "output")
    if offline:
        return Ports(midi, None, out_name, out_virtual=out_virtual)
    in_virtual = args.virtual is not None and args.in_port is None
    in_name = args.virtual if in_virtual else find_port(args.in_port, inputs, "input")
    return Ports(midi, in_name, out_name, in_virtual, out_virtual)


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
    late = [abs(x) for x in outcome.late_ms]
    return line + f"\ntiming: {len(late)} notes, the furthest {max(late, default=0.0):.1f} ms from the grid"


class Setup:
    """Everything a session is built from; ``play`` builds one and drives it to the end."""

    def __init__(self, args, bundle, timeline, tempo: float, performance, ports: Ports | None):
        from jazz.live.answer import Answerer
        from jazz.live.timeline import Trading
        from jazz.model.context import performance_context
        from jazz.model.sample import Sampler, sample_chunks
        from jazz.music.labels import instrument_of_program

        self.args, self.timeline, self.tempo, self.performance, self.ports = args, timeline, tempo, performance, ports
        self.trading = Trading(args.trade, args.solo)
        sampler = Sampler(bundle.model, bundle.tokenizer)
        heard = {"style": checked_label("style", args.style), "feel": checked_label("feel", args.feel),
                 "instrument": instrument_of_program(args.program)}
        self.answerer = Answerer(bundle, sampler, sample_chunks, args.temperature, program=args.program,
                                 context=performance_context(tempo, {k: v for k, v in heard.items() if v}))
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
                          count_in=self.performance is None and not self.args.clock)
        session.prepare()
        quiet_collector()  # before the clock starts: the first full collection takes a while
        if self.time is None:
            self._connect()
        return session, drive(session, self.time, self.clock, self.player, self.output, self._watch())

    def _connect(self) -> None:
        from jazz.live.clock import FixedTempo, MidiClock, RealTime, SimulatedTime
        from jazz.live.offline import Discard, FilePlayer, daw_clock, timed

        args, ports = self.args, self.ports
        self.time = SimulatedTime() if ports is None else RealTime()
        self.clock = MidiClock(self.tempo) if args.clock else FixedTempo(self.tempo)
        origin = self.time.now() + (0.0 if ports is None else LEAD_IN_S)
        if self.performance is not None:
            events = timed(self.performance.events, self.tempo, origin)
            if args.clock:
                events += daw_clock(self.tempo, self.timeline.bar(self.end_bar()).start / self.timeline.grid, origin)
            self.player = FilePlayer(events)
        if ports is not None:
            self._open_ports()
        self.output = self.output or Discard()
        if not args.clock:
            self.clock.start(origin + (self._count_in_s() if self.performance is None else 0.0))
        elif self.performance is None:
            print(f"waiting for the DAW to start (MIDI clock on {self.ports.in_name!r})", file=sys.stderr)

    def _open_ports(self) -> None:
        from jazz.live.ports import PortPlayer, open_output

        ports = self.ports
        self.output = open_output(ports.midi, ports.out_name, ports.out_virtual)
        if ports.in_name is not None:
            self.player = PortPlayer(ports.midi, ports.in_name, self.time, ports.in_virtual)
        print(f"playing to {ports.out_name!r}" + (f", listening to {ports.in_name!r}" if ports.in_name else ""),
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
        for port in (self.player, self.output):
            close = getattr(port, "close", None)
            if close:
                close()
