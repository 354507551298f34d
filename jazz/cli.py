"""The `jazz` command: train | generate | evaluate | corpus | import-weimar | bench.

User mistakes end with one sentence on stderr and exit status 2; an unexpected error prints a short
message and the hint to rerun with --debug, which shows the traceback.
"""

from __future__ import annotations

import argparse
import math
import os
import shlex
import sys
from pathlib import Path

from jazz.files import UsageError
from jazz.progress import import_keras_quietly
from jazz.settings import PITCH_MEMORY, RHYTHM_TEMPERATURE, TEMPERATURE, TOP_P

EXIT_USAGE = 2
KERAS_COMMANDS = {"train", "generate", "evaluate", "bench"}
DEFAULT_CORPUS = Path("data") / "midi"


class Parser(argparse.ArgumentParser):
    """argparse that reports mistakes in one sentence with exit status 2 (as argparse does) and no usage dump."""

    def error(self, message: str) -> None:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def build_parser() -> Parser:
    parser = Parser(prog="jazz", description="Learn to improvise jazz solos from MIDI, and generate new ones.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors")
    common = Parser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show tracebacks of unexpected errors")
    commands = _Commands(parser.add_subparsers(dest="command", required=True, parser_class=Parser), common)
    add_corpus(commands)
    add_train(commands)
    add_generate(commands)
    add_evaluate(commands)
    add_import_weimar(commands)
    add_bench(commands)
    return parser


class _Commands:
    """Adds sub-commands that all accept --debug after their name too."""

    def __init__(self, subparsers, common: Parser):
        self.subparsers, self.common = subparsers, common

    def add_parser(self, name: str, **kwargs) -> Parser:
        return self.subparsers.add_parser(name, parents=[self.common], **kwargs)


def add_corpus(commands) -> None:
    p = commands.add_parser("corpus", help="parse MIDI files and report which are usable")
    p.add_argument("paths", nargs="+", metavar="CORPUS", help="MIDI files and folders (searched recursively)")
    p.add_argument("--track", help="melody track by name or index (default: the most melody-like)")
    p.add_argument("--grid", type=positive_int, default=12, help="quantization steps per beat (default 12)")
    p.add_argument("--json", type=Path, metavar="FILE", help="also write the report as JSON")
    p.add_argument("--no-cache", action="store_true", help="parse every file again")
    p.set_defaults(run=run_corpus)


def add_train(commands) -> None:
    p = commands.add_parser("train", help="train a model on a folder of MIDI solos")
    p.add_argument("paths", nargs="*", metavar="CORPUS", help=f"MIDI files and folders (default {DEFAULT_CORPUS}/)")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="model folder to write")
    p.add_argument("--track", help="melody track by name or index")
    p.add_argument("--cell", default="lstm", help="lstm | hand-lstm | gru | hand-gru | rnn (default lstm)")
    p.add_argument("--epochs", type=positive_int, default=20)
    p.add_argument("--seq-len", type=positive_int, default=128, help="tokens per training window")
    p.add_argument("--batch-size", type=positive_int, default=32)
    p.add_argument("--hidden", type=positive_int, default=256, help="units per recurrent layer")
    p.add_argument("--layers", type=positive_int, default=2)
    p.add_argument("--embedding", type=positive_int, default=64)
    p.add_argument("--dropout", type=float, default=0.2)
    p.add_argument("--lr", type=float, default=2e-3, help="Adam learning rate")
    p.add_argument("--val-split", type=float, default=0.1, help="share of solos held out (split by solo)")
    p.add_argument("--max-files", type=positive_int, help="use only the first N usable files")
    p.add_argument("--patience", type=positive_int, default=4, help="early stopping patience in epochs")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-augment", action="store_true", help="do not transpose solos during training")
    p.add_argument("--no-chords", action="store_true", help="ignore chord symbols in the files (a chord-free model)")
    p.add_argument("--no-skip", action="store_true",
                   help="no direct paths from the last pitch and the chords to the output layer")
    p.add_argument("--no-intervals", action="store_true",
                   help="no direct path from the last interval to the next (runs and trills)")
    p.add_argument("--no-register", action="store_true",
                   help="do not tell the model each solo's register (its median pitch)")
    p.add_argument("--no-echo", action="store_true",
                   help="no motif memory (where the current figure went the last time it was played)")
    p.add_argument("--max-minutes", type=float, metavar="M",
                   help="stop after the first epoch that ends past M minutes of this run, keeping the best model")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run in --out")
    p.add_argument("--force", action="store_true", help="replace a model already in --out")
    p.add_argument("--mixed-precision", action="store_true",
                   help="compute in float16 with float32 weights (for GPUs; slower on most CPUs)")
    p.add_argument("--card-note", metavar="TEXT", help="a paragraph for the model card (e.g. how the data was made)")
    p.set_defaults(run=run_train)


def add_generate(commands) -> None:
    p = commands.add_parser("generate", help="generate solos as MIDI files")
    p.add_argument("--model", type=Path, help="model folder (default: the bundled models/default)")
    p.add_argument("--out", type=Path, metavar="DIR", help="folder for solo_001.mid ... (required)")
    p.add_argument("-n", "--num-outputs", type=int, default=1, help="how many solos")
    harmony = p.add_mutually_exclusive_group()
    harmony.add_argument("--chords", metavar="PROGRESSION",
                         help='chord changes, bars between |, e.g. "| Dm7 | G7 | Cmaj7 | %% |"')
    harmony.add_argument("--tune", metavar="NAME", help="a built-in form (see --list-tunes)")
    p.add_argument("--list-tunes", action="store_true", help="show the built-in tunes and exit")
    p.add_argument("--choruses", type=int, default=1, help="times through the form (default 1)")
    p.add_argument("--bars", type=int, default=32, help="bars per solo when no chords are given (default 32)")
    p.add_argument("--meter", help="time signature, e.g. 4/4 or 3/4 (default 4/4, or the tune's)")
    p.add_argument("--tempo", type=float, help="beats per minute (default 160)")
    add_sampling(p)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--primer", help="a MIDI file whose melody the solos continue")
    p.add_argument("--program", type=int, default=66, help="General MIDI program of the solo, 0-127 (66: tenor sax)")
    p.add_argument("--register", metavar="NOTE",
                   help="centre pitch of the solo, e.g. Eb4 or 63 (default: the primer's, else typical for "
                        "--program, else the model's training solos')")
    p.add_argument("--no-band", action="store_true", help="write the solo alone (no comping, bass, drums)")
    p.add_argument("--musicxml", action="store_true", help="also write a MusicXML lead sheet per solo")
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    p.set_defaults(run=run_generate)


# -- sampling options of generate and evaluate (begin) --
def add_sampling(p) -> None:
    p.add_argument("--temperature", type=float, default=TEMPERATURE,
                   help=f"sampling temperature of the pitches; lower is safer (default {TEMPERATURE})")
    p.add_argument("--rhythm-temperature", type=float, default=RHYTHM_TEMPERATURE,
                   help=f"sampling temperature of note positions and durations (default {RHYTHM_TEMPERATURE})")
    p.add_argument("--top-p", type=float, default=TOP_P,
                   help=f"nucleus mass for each pitch, cut inside interval bands (default {TOP_P})")
    p.add_argument("--plain-nucleus", action="store_true",
                   help="cut the nucleus over all pitches at once, not inside interval bands (fewer leaps)")
    p.add_argument("--pitch-memory", type=float, default=PITCH_MEMORY, metavar="W",
                   help=f"weight of the pitch-class memory of the last 16 notes; 0 for none (default {PITCH_MEMORY})")


def sampling_options(args) -> dict:
    return {"temperature": args.temperature, "top_p": args.top_p, "rhythm_temperature": args.rhythm_temperature,
            "banded": not args.plain_nucleus, "pitch_memory": args.pitch_memory}
# -- sampling options (end) --


def add_evaluate(commands) -> None:
    p = commands.add_parser("evaluate", help="measure a model against real solos and an n-gram baseline")
    p.add_argument("paths", nargs="+", metavar="CORPUS", help="held-out MIDI files and folders")
    p.add_argument("--model", type=Path, help="model folder (default: the bundled models/default)")
    p.add_argument("-n", type=positive_int, default=20, help="solos to generate for the statistics (default 20)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", type=Path, metavar="FILE", help="also write the numbers as JSON")
    p.add_argument("--plots", type=Path, metavar="DIR", help="write PNG plots here")
    add_sampling(p)
    p.add_argument("--card", action="store_true", help="put the results table into the model's card.md")
    p.set_defaults(run=run_evaluate)


def add_import_weimar(commands) -> None:
    p = commands.add_parser("import-weimar", help="turn the Weimar Jazz Database CSVs into beat-aligned MIDI files")
    p.add_argument("src", type=Path, metavar="DIR", help="folder with csv/melody, csv/beats and meta.csv")
    p.add_argument("--out", type=Path, required=True, metavar="OUTDIR", help="folder for <solo>.mid files")
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    p.set_defaults(run=run_import_weimar)


def add_bench(commands) -> None:
    p = commands.add_parser("bench", help="measure parsing, training and sampling speed on this machine")
    p.add_argument("--json", type=Path, metavar="FILE", help="also write the numbers as JSON")
    p.add_argument("--quick", action="store_true", help="fewer steps: under two minutes")
    p.add_argument("--corpus", type=Path, help="MIDI folder to parse and train on (default: the shared WJazzD)")
    p.add_argument("--model", type=Path, help="model folder to sample from (default: the bundled model)")
    p.set_defaults(run=run_bench)


def run_bench(args) -> int:
    from jazz.measure.bench import format_bench
    from jazz.measure.bench import run_bench as bench

    if args.corpus is not None and not args.corpus.exists():
        raise UsageError(f"{args.corpus} does not exist")
    print(format_bench(bench(args.corpus, args.model, args.quick, args.json)))
    return 0


def run_evaluate(args) -> int:
    from jazz.measure.evaluate import evaluate
    from jazz.model.bundle import load_bundle
    from jazz.report.evaluation import format_report

    for path in args.paths:
        if not Path(path).exists():
            raise UsageError(f"{path} does not exist")
    bundle = load_bundle(args.model)
    result = evaluate(bundle, args.paths, n=args.n, seed=args.seed, json_path=args.json, plots_dir=args.plots,
                      **sampling_options(args))
    report = format_report(result)
    print(report)
    if args.card:
        from jazz.report.card import add_card_section

        command = shlex.join(["jazz"] + sys.argv[1:]) if sys.argv[1:2] == ["evaluate"] else "jazz evaluate"
        add_card_section(bundle.path, bundle.model.count_params(), "Evaluation",
                         f"```\n{report}\n```\nMeasured with `{command}`.")
    return 0


def run_import_weimar(args) -> int:
    from jazz.midi.weimar import run

    if not args.src.is_dir():
        raise UsageError(f"{args.src} is not a folder")
    return run(args.src, args.out, force=args.force)


def run_corpus(args) -> int:
    from jazz.files import atomic_write_text
    from jazz.midi.corpus import load_corpus

    corpus = load_corpus(args.paths, grid=args.grid, track=args.track, cache=not args.no_cache, progress=True)
    print(corpus.table())
    if args.json:
        atomic_write_text(args.json, corpus.to_json())
    if not corpus.solos:
        raise UsageError("no usable MIDI file found")
    return 0


def load_training_corpus(paths: list, track: str | None, grid: int, max_files: int | None):
    from jazz.midi.corpus import load_corpus

    paths = paths or [DEFAULT_CORPUS]
    corpus = load_corpus(paths, grid=grid, track=track, progress=True)
    if not corpus.reports:
        raise UsageError(f"no .mid or .midi files in {', '.join(map(str, paths))}")
    if not corpus.solos:
        raise UsageError(f"none of the {len(corpus.reports)} MIDI files is usable (see `jazz corpus`)")
    s = corpus.summary()
    print(f"corpus: {s['used']} of {s['files']} files usable, {s['notes']} notes", file=sys.stderr)
    for report in corpus.reports:
        if report.status == "skipped":
            print(f"  skipped {report.path}: {report.reason}", file=sys.stderr)
    return corpus.solos[:max_files] if max_files else corpus.solos, [str(p) for p in paths]


def run_train(args) -> int:
    from jazz.model.cells import CELL_KINDS

    if args.cell not in CELL_KINDS:
        raise UsageError(f"unknown --cell {args.cell!r} (choose from {', '.join(CELL_KINDS)})")
    if not 0 < args.val_split < 1:
        raise UsageError("--val-split must be between 0 and 1")
    if not 0 <= args.dropout < 1:
        raise UsageError("--dropout must be in [0, 1)")
    if args.max_minutes is not None and not (math.isfinite(args.max_minutes) and args.max_minutes > 0):
        raise UsageError("--max-minutes must be a positive number")
    if (args.out / "model.keras").exists() and not (args.resume or args.force):
        raise UsageError(f"{args.out} already holds a model (use --resume to continue it or --force to replace it)")
    if args.resume and not (args.out / "config.json").exists():
        raise UsageError(f"nothing to resume in {args.out} (no config.json)")

    from jazz.model.features import CONDITION_SIZE
    from jazz.model.network import ModelConfig
    from jazz.model.tokens import Tokenizer
    from jazz.model.train import TrainConfig, train

    if args.mixed_precision:
        import keras

        keras.mixed_precision.set_global_policy("mixed_float16")
    tokenizer = Tokenizer()
    solos, corpus = load_training_corpus(args.paths, args.track, tokenizer.grid, args.max_files)
    with_chords = not args.no_chords and any(s.chords for s in solos)
    with_count = sum(bool(s.chords) for s in solos)
    print(f"chords: given to the model ({with_count} solos have them)" if with_chords else "chords: none",
          file=sys.stderr)
    model_cfg = ModelConfig(tokenizer.size, args.embedding, args.hidden, args.layers, args.dropout, args.cell,
                            condition=CONDITION_SIZE if with_chords else 0, skip=not args.no_skip,
                            intervals=not args.no_intervals, register=not args.no_register, echo=not args.no_echo,
                            first_pitch=tokenizer.first("pitch"))
    saved = _saved_config(args.out) if args.resume else {}
    if saved:  # the checkpoint's layout, whatever today's defaults are; the card keeps its sections
        model_cfg = ModelConfig.from_dict(saved["model"])
    sections = dict(saved.get("card_sections") or {}) | ({"Notes": args.card_note} if args.card_note else {})
    cfg = TrainConfig(epochs=args.epochs, seq_len=args.seq_len, batch_size=args.batch_size, lr=args.lr,
                      val_split=args.val_split, seed=args.seed, patience=args.patience,
                      augment=not args.no_augment, max_files=args.max_files, corpus=corpus,
                      max_minutes=args.max_minutes,
                      command=shlex.join(["jazz"] + sys.argv[1:]))
    from jazz.model.features import solo_centre

    tempi = sorted(s.tempo for s in solos)
    centres = sorted(c for c in map(solo_centre, solos) if c is not None)
    result = train(solos, args.out, model_cfg, cfg, tokenizer, resume=args.resume,
                   extra_config={"default_tempo": round(tempi[len(tempi) // 2]),
                                 "default_register": centres[len(centres) // 2] if centres else None,
                                 "card_sections": sections})
    print(f"trained in {result['train_seconds']} s: validation {result['val_bits_per_note']:.3f} bits per note "
          f"(best epoch {result['best_epoch']}); model in {args.out}")
    return 0


def _saved_config(folder: Path) -> dict:
    """The config.json of a model folder being resumed (its model layout must match the checkpoint)."""
    import json

    try:
        saved = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        saved["model"]["vocab_size"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise UsageError(f"cannot resume {folder}: its config.json is not a jazz model config ({error})") from None
    return saved


DEFAULT_TUNE = "blues-bb"


def run_generate(args) -> int:
    from jazz.generate import GenerateOptions, chord_form, generate, plain_form
    from jazz.model.bundle import load_bundle
    from jazz.music.tunes import TuneError, get_tune, list_tunes

    if args.list_tunes:
        print(list_tunes())
        return 0
    if args.out is None:
        raise UsageError("--out DIR is required (the folder for the solos)")
    try:
        tune = get_tune(args.tune) if args.tune else None
    except TuneError as error:
        raise UsageError(str(error)) from None
    meter = args.meter or (tune.meter if tune else "4/4")
    _check_meter(meter)
    opts = GenerateOptions(n=args.num_outputs, bars=args.bars, tempo=args.tempo or (tune.tempo if tune else None),
                           seed=args.seed, primer=args.primer,
                           program=args.program, meter=meter, force=args.force, band=not args.no_band,
                           musicxml=args.musicxml, progress=True, title=tune.title if tune else "",
                           **sampling_options(args))
    opts.check()
    if args.register is not None:
        from jazz.music.registers import parse_register

        opts.register = parse_register(args.register)
    if args.primer and not Path(args.primer).is_file():
        raise UsageError(f"primer {args.primer} does not exist")
    bundle = load_bundle(args.model)
    progression = args.chords or (tune.changes if tune else None)
    if progression is None and bundle.conditioned:
        tune = get_tune(DEFAULT_TUNE)
        progression, opts.title = tune.changes, tune.title
        opts.tempo, meter = opts.tempo or tune.tempo, tune.meter
        args.choruses = -(-args.bars // len(tune.bars))  # enough choruses, cut to --bars below
        print(f"no --chords or --tune given: playing {args.bars} bars of {DEFAULT_TUNE} (see --list-tunes)",
              file=sys.stderr)
    if opts.register is not None and not bundle.model_config.register:
        print("note: this model was trained without registers; --register does not change its solos",
              file=sys.stderr)
    if progression is not None and not bundle.conditioned:
        print("note: this model was trained without chords; the changes go into the file and the band only",
              file=sys.stderr)
    grid = bundle.tokenizer.grid
    form = chord_form(progression, meter, args.choruses, grid) if progression else plain_form(args.bars, meter, grid)
    if not (args.chords or args.tune):
        form = form.first(args.bars)
    paths = generate(bundle, args.out, opts, form)
    print(f"wrote {len(paths)} solo{'s' if len(paths) > 1 else ''} ({len(form.bars)} bars) to {args.out}: "
          + ", ".join(p.name for p in paths))
    return 0


def _check_meter(meter: str) -> None:
    from jazz.music.tunes import parse_meter

    try:
        parse_meter(meter)
    except ValueError:
        raise UsageError(f"--meter {meter!r} is not a time signature like 4/4 or 3/4") from None


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    args = build_parser().parse_args(argv)
    try:
        if args.command in KERAS_COMMANDS:
            import_keras_quietly()
        return args.run(args)
    except UsageError as error:
        print(f"jazz {args.command}: {error}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:  # a path the user named that cannot be read or written
        where = f" {error.filename}" if error.filename else ""
        print(f"jazz {args.command}: cannot use{where}: {error.strerror or error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"jazz {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # the last line of defence: no traceback unless asked for
        if args.debug:
            raise
        print(f"jazz {args.command}: internal error: {type(error).__name__}: {error} "
              f"(rerun with --debug for the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
