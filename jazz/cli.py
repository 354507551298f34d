"""The `jazz` command: corpus, changes, train, generate, evaluate, import-weimar, bench, lesson, live.
Each sub-command parses its arguments and calls one library function.

User mistakes end with one sentence on stderr and exit status 2; an unexpected error prints a short
message and the hint to rerun with --debug, which shows the traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shlex
import sys
from pathlib import Path

from jazz.files import UsageError, atomic_write_text, reader_gone
from jazz.lessons.commands import add_lesson
from jazz.live.command import add_live, run_live
from jazz.music.labels import FEELS, STYLES, instrument_of_program
from jazz.progress import import_keras_quietly
from jazz.settings import (EVALUATE_DRAWS, GenerateOptions, ModelConfig, Sampling, TrainConfig, checked_label,
                           checked_program, checked_strength)

EXIT_USAGE = 2
SAMPLING = tuple(f.name for f in dataclasses.fields(Sampling))  # the options evaluate shares with generate


class Parser(argparse.ArgumentParser):
    """argparse that reports mistakes in one sentence with exit status 2 (as argparse does) and no usage dump."""

    def error(self, message: str) -> None:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def add_options(parser, config: type, only: tuple[str, ...] | None = None) -> None:
    """One option per field of ``config`` that carries help text (of the fields ``only`` names), with the
    field's default."""
    for f in dataclasses.fields(config):
        meta = dict(f.metadata)
        if "help" not in meta or (only is not None and f.name not in only):
            continue
        flags, text = meta.pop("flag") or "--" + f.name.replace("_", "-"), meta.pop("help")
        flags = (flags,) if isinstance(flags, str) else flags
        if isinstance(f.default, bool):
            action = "store_false" if f.default else "store_true"
            parser.add_argument(*flags, dest=f.name, action=action, default=f.default, help=text)
            continue
        meta.setdefault("type", type(f.default))
        shown = "" if f.default is None else f" (default {f.default})"
        parser.add_argument(*flags, dest=f.name, default=f.default, help=text + shown, **meta)


def option_values(config: type, args: argparse.Namespace) -> dict:
    """The parsed values of the options ``add_options`` made for ``config``."""
    names = {f.name for f in dataclasses.fields(config) if "help" in f.metadata}
    return {k: v for k, v in vars(args).items() if k in names}


def build_parser() -> Parser:
    parser = Parser(prog="jazz", description="Learn to improvise jazz solos from MIDI, and generate new ones.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors")
    common = Parser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show tracebacks of unexpected errors")
    subparsers = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    def command(name: str, run, **kwargs) -> Parser:
        p = subparsers.add_parser(name, parents=[common], **kwargs)
        if run is not None:
            p.set_defaults(run=run)
        return p

    add_corpus(command("corpus", run_corpus, help="parse MIDI files and report which are usable"))
    add_changes(command("changes", run_changes, help="check chord charts (fake-book text files): which parse"))
    add_train(command("train", run_train, help="train a model on a folder of MIDI solos"))
    add_generate(command("generate", run_generate, help="generate solos as MIDI files"))
    add_evaluate(command("evaluate", run_evaluate, help="measure a model against real solos and an n-gram"))
    add_import_weimar(command("import-weimar", run_import_weimar,
                              help="turn the Weimar Jazz Database CSVs into beat-aligned MIDI files"))
    add_bench(command("bench", run_bench, help="measure parsing, training and sampling speed on this machine"))
    add_lesson(command("lesson", None, help="the notes' exercises: names, poems, gradients (docs/lessons.md)"),
               [common])
    add_live(command("live", run_live, help="trade bars with a player over MIDI ports, or with a MIDI file"))
    return parser


# -- corpus ----------------------------------------------------------------------------------------

def add_corpus(p: Parser) -> None:
    p.add_argument("paths", nargs="+", metavar="CORPUS", help="MIDI files and folders (searched recursively)")
    p.add_argument("--track", help="melody track by name or index (default: the most melody-like)")
    p.add_argument("--grid", type=positive_int, default=12, help="quantization steps per beat (default 12)")
    p.add_argument("--json", type=Path, metavar="FILE", help="also write the report as JSON")
    p.add_argument("--no-cache", action="store_true", help="parse every file again")
    p.add_argument("--labels", type=Path, metavar="FILE.csv",
                   help="each solo's style, feel and instrument (columns file, style, feel, instrument), after any "
                        "labels.csv in the corpus folders: what train would tell the model")


def run_corpus(args) -> int:
    from jazz.midi.corpus import load_corpus
    from jazz.midi.labels import corpus_labels, format_labels, heard, labels_report

    must_exist([args.labels] if args.labels else [])
    table = corpus_labels(args.paths, args.labels)  # a bad labels file is refused before the parse
    corpus = load_corpus(args.paths, grid=args.grid, track=args.track, cache=not args.no_cache, progress=True)
    names = [solo.name for solo in corpus.solos]
    labels = labels_report(table, names, [Path(r.path).stem for r in corpus.reports])
    print(corpus.table())
    print("\n".join(format_labels(labels)))
    if args.json:
        labels["heard"] = {name: heard(table.get(name, {})) for name in names}
        atomic_write_text(args.json, json.dumps(corpus.to_dict() | {"labels": labels}, indent=1))
    if not corpus.solos:
        raise UsageError("no usable MIDI file found")
    return 0


# -- changes ---------------------------------------------------------------------------------------

def add_changes(p: Parser) -> None:
    p.add_argument("paths", nargs="+", metavar="CHART", help="chart files, and folders of .txt or .chart charts")
    p.add_argument("--json", type=Path, metavar="FILE", help="also write the report as JSON")
    p.add_argument("--show", action="store_true", help="also print each chart's bars as parsed, four to a line")


def run_changes(args) -> int:
    import json

    from jazz.music.charts import chart_paths, check_chart, format_checks

    paths = chart_paths(args.paths)
    if not paths:
        raise UsageError(f"no .txt or .chart files in {', '.join(args.paths)}")
    results = [check_chart(path) for path in paths]
    for result in results:
        for warning in result["warnings"]:
            print(f"warning: {result['path']}: {warning}", file=sys.stderr)
        if args.show and result["changes"]:
            key = result["key"] or f"{result['estimated_key']}, estimated: the chart names none"
            print(f"{result['path']} ({result['meter']}, key {key}):\n{result['changes']}\n")
    print(format_checks(results))
    if args.json:
        atomic_write_text(args.json, json.dumps({"files": results}, indent=1) + "\n")
    failed = [r for r in results if r["status"] == "error"]
    if failed:
        raise UsageError(f"{len(failed)} of {len(results)} charts do not parse; the first: {failed[0]['error']}")
    return 0


# -- train -----------------------------------------------------------------------------------------

def add_train(p: Parser) -> None:
    p.add_argument("paths", nargs="*", metavar="CORPUS", help="MIDI files and folders (default data/midi/)")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="model folder to write")
    p.add_argument("--track", help="melody track by name or index")
    add_options(p, ModelConfig)
    add_options(p, TrainConfig)
    p.add_argument("--no-chords", action="store_true", help="ignore chord symbols in the files (a chord-free model)")
    p.add_argument("--resume", action="store_true",
                   help="continue the run in --out (interrupted, or finished with a larger --epochs); "
                        "starts one if there is none")
    p.add_argument("--force", action="store_true", help="replace a model already in --out")
    p.add_argument("--mixed-precision", action="store_true",
                   help="compute in float16 with float32 weights (for GPUs; slower on most CPUs)")
    p.add_argument("--card-note", metavar="TEXT", help="a paragraph for the model card (e.g. how the data was made)")
    p.add_argument("--labels", metavar="FILE.csv",
                   help="each solo's style, feel and instrument (columns file, style, feel, instrument), besides any "
                        "labels.csv in the corpus folders")
    p.add_argument("--distribute", action="store_true",
                   help="data parallel over every local accelerator, or over the machines in TF_CONFIG / "
                        "KERAS_DISTRIBUTION_* (see README); --batch-size is the global batch")


def run_train(args) -> int:
    if not 0 <= args.dropout < 1:
        raise UsageError("--dropout must be in [0, 1)")
    for name in ("embedding", "hidden", "layers"):
        if getattr(args, name) < 1:
            raise UsageError(f"--{name} must be at least 1")
    must_exist(args.paths)
    cfg = TrainConfig(**option_values(TrainConfig, args), command=shlex.join(["jazz"] + sys.argv[1:]))
    cfg.check()
    import_keras_quietly()
    from jazz.model.fit import fit

    if args.mixed_precision:
        import keras

        keras.mixed_precision.set_global_policy("mixed_float16")
    result = fit(args.paths, args.out, option_values(ModelConfig, args), cfg, track=args.track, chords=not args.no_chords,
                 resume=args.resume, force=args.force, card_note=args.card_note, distribute=args.distribute,
                 labels=args.labels)
    where = f"model in {args.out}" if not result.get("worker") else "the chief worker writes the model"
    print(f"trained in {result['train_seconds']} s: validation {result['val_bits_per_note']:.3f} bits per note "
          f"({'kept' if result.get('kept') == 'last' else 'best'} epoch {result['best_epoch']}); {where}")
    return 0


# -- generate --------------------------------------------------------------------------------------

def add_generate(p: Parser) -> None:
    p.add_argument("--model", type=Path, help="model folder (default: the bundled models/default)")
    p.add_argument("--out", type=Path, metavar="DIR", help="folder for solo_001.mid ... (required)")
    harmony = p.add_mutually_exclusive_group()
    harmony.add_argument("--chords", metavar="PROGRESSION",
                         help='chord changes, bars between |, e.g. "| Dm7 | G7 | Cmaj7 | %% |"')
    harmony.add_argument("--tune", metavar="NAME", help="a built-in form (see --list-tunes)")
    harmony.add_argument("--changes", type=Path, metavar="CHART",
                         help="a chord chart file (see `jazz changes`); its title, composer, meter and key go into "
                              "the files")
    p.add_argument("--list-tunes", action="store_true", help="show the built-in tunes and exit")
    p.add_argument("--choruses", type=int, default=1, help="times through the form (default 1)")
    p.add_argument("--register", metavar="NOTE",
                   help="centre pitch of the solo, e.g. Eb4 or 63 (default: the primer's, else typical for "
                        "--program, else the model's training solos')")
    add_options(p, GenerateOptions)


def run_generate(args) -> int:
    from jazz.music.tunes import list_tunes

    if args.list_tunes:
        print(list_tunes())
        return 0
    if args.out is None:
        raise UsageError("--out DIR is required (the folder for the solos)")
    opts = GenerateOptions(**option_values(GenerateOptions, args), progress=True)
    opts.check()
    from jazz.model.bundle import checked_performer

    opts.like = checked_performer(args.model, opts.like)
    from jazz.generate import generate_command  # loads Keras only once the arguments are checked

    written = generate_command(args.model, args.out, opts, chords=args.chords, tune=args.tune,
                               choruses=args.choruses, register=args.register, changes=args.changes)
    print(f"wrote {len(written)} solo{'s' * (len(written) > 1)} to {args.out}:")
    for solo in written:
        print(f"  {', '.join(p.name for p in solo.files)}  (--seed {solo.seed})")
    return 0


# -- evaluate, import-weimar, bench ----------------------------------------------------------------

def add_evaluate(p: Parser) -> None:
    p.add_argument("paths", nargs="+", metavar="CORPUS", help="held-out MIDI files and folders")
    p.add_argument("--model", type=Path, help="model folder (default: the bundled models/default)")
    p.add_argument("-n", type=positive_int, default=20, help="solos to generate for the statistics (default 20)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--draws", type=positive_int, default=EVALUATE_DRAWS, metavar="K",
                   help=f"solos generated over every real one for the two-sample test and the rhythm by tempo band, "
                        f"each draw tested on its own and the verdicts pooled (default {EVALUATE_DRAWS})")
    p.add_argument("--json", type=Path, metavar="FILE", help="also write the numbers as JSON")
    p.add_argument("--plots", type=Path, metavar="DIR", help="write PNG plots here")
    p.add_argument("--split", choices=("test", "validation"),
                   help="only the solos of the fixed test split, or of the model's validation split, found in CORPUS")
    sampling = p.add_argument_group("sampling of the generated solos (as in jazz generate)")
    add_options(sampling, GenerateOptions, only=SAMPLING)
    p.add_argument("--baseline", nargs="+", metavar="CORPUS",
                   help="the model's training solos, for the n-gram baseline (default: the corpus in config.json)")
    p.add_argument("--card", action="store_true", help="put the results table into the model's card.md")
    p.add_argument("--performers", action="store_true",
                   help="only the performer test: a classifier trained on the model's training solos names the "
                        "players of its validation solos, and of solos generated over them with --like")
    p.add_argument("--like-strength", type=float, metavar="W",
                   help="with --performers: how far the solos generated --like their player are pulled toward them "
                        "(as in jazz generate)")
    labels = p.add_argument_group("what the model is told of solos the corpus does not label (its labels.csv wins)")
    labels.add_argument("--labels", type=Path, metavar="FILE.csv",
                        help="each solo's style, feel and instrument (columns file, style, feel, instrument)")
    labels.add_argument("--style", help=f"the style of solos without one: {', '.join(STYLES)}")
    labels.add_argument("--feel", help=f"the rhythm feel of solos without one: {', '.join(FEELS)}")
    labels.add_argument("--program", type=int, metavar="N",
                        help="the General MIDI program (0-127) of solos without an instrument")


def assumed_labels(args) -> dict[str, str]:
    """The labels evaluate gives solos that lack them (--style, --feel, --program), checked: one sentence if the
    model knows no such value."""
    given = {"style": checked_label("style", args.style), "feel": checked_label("feel", args.feel),
             "instrument": None if args.program is None else instrument_of_program(checked_program(args.program))}
    return {kind: value for kind, value in given.items() if value is not None}


def run_evaluate(args) -> int:
    must_exist([*args.paths, *(args.baseline or [])] + ([args.labels] if args.labels else []))
    assumed = assumed_labels(args)
    if args.like_strength is not None and not args.performers:
        raise UsageError("--like-strength goes with --performers (the test of solos generated --like their player)")
    if args.performers:
        return run_performer_test(args)
    import_keras_quietly()
    from jazz.measure.evaluate import evaluate_command

    command = shlex.join(["jazz"] + sys.argv[1:]) if sys.argv[1:2] == ["evaluate"] else "jazz evaluate"
    print(evaluate_command(args.model, args.paths, n=args.n, seed=args.seed, json_path=args.json,
                           plots_dir=args.plots, baseline=args.baseline, card_command=command if args.card else None,
                           split=args.split, sampling=Sampling.of(args), labels_file=args.labels, assumed=assumed,
                           draws=args.draws))
    return 0


def run_performer_test(args) -> int:
    """`jazz evaluate --performers`: refused before Keras loads if the model knows no performers."""
    from jazz.model.bundle import default_model_dir, model_performers

    folder = args.model or default_model_dir()
    strength = checked_strength(args.like_strength, True)  # each held-out solo names its player
    if model_performers(folder) == ():
        raise UsageError(f"--performers: the model in {folder} knows no performers (train one with "
                         "`jazz train --performers`)")
    import_keras_quietly()
    from jazz.measure.evaluate import performers_command

    print(performers_command(args.model, args.paths, n=args.n, seed=args.seed, json_path=args.json, sampling=Sampling.of(args),
                             labels_file=args.labels, strength=strength))
    return 0


def add_import_weimar(p: Parser) -> None:
    p.add_argument("src", type=Path, metavar="DIR", help="folder with csv/melody, csv/beats and meta.csv")
    p.add_argument("--out", type=Path, required=True, metavar="OUTDIR", help="folder for <solo>.mid files")
    p.add_argument("--force", action="store_true", help="overwrite existing files")


def run_import_weimar(args) -> int:
    from jazz.midi.weimar import run

    if not args.src.is_dir():
        raise UsageError(f"{args.src} is not a folder")
    return run(args.src, args.out, force=args.force)


def add_bench(p: Parser) -> None:
    p.add_argument("--json", type=Path, metavar="FILE", help="also write the numbers as JSON")
    p.add_argument("--quick", action="store_true", help="fewer steps: under two minutes")
    p.add_argument("--corpus", type=Path, help="MIDI folder to parse and train on (default: the shared WJazzD, "
                                               "else data/midi, else random-walk solos it writes)")
    p.add_argument("--model", type=Path, help="model folder to sample from (default: the bundled model)")
    p.add_argument("--scale", type=positive_int, metavar="N",
                   help="instead: parse a synthetic corpus of N variants of real solos cold, and report files/s, "
                        "peak memory and the input pipeline's share of a training step")


def run_bench(args) -> int:
    must_exist([args.corpus] if args.corpus is not None else [])
    import_keras_quietly()
    from jazz.measure.bench import format_bench, run_bench

    if args.scale:
        from jazz.measure.scale import format_scale, run_scale

        print(format_scale(run_scale(args.scale, args.corpus, args.quick, args.json)))
        return 0
    print(format_bench(run_bench(args.corpus, args.model, args.quick, args.json)))
    return 0


def must_exist(paths: list) -> None:
    """A user error for the first of ``paths`` that does not exist (said before Keras loads)."""
    for path in paths:
        if not Path(path).exists():
            raise UsageError(f"{path} does not exist")


def main(argv: list[str] | None = None) -> int:
    """Run `jazz ARGV`. Keras and its backend load only in the commands that need them, after their
    arguments are checked, so that help, listings and mistakes answer at once."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except UsageError as error:
        print(f"jazz {args.command}: {error}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return reader_gone()
    except OSError as error:  # a path the user named that cannot be read or written
        where = f" {error.filename}" if error.filename else ""
        print(f"jazz {args.command}: cannot use{where}: {error.strerror or error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt as stop:  # its message, if any, says what was kept and how to go on
        print(f"jazz {args.command}: interrupted" + (f"; {stop}" if str(stop) else ""), file=sys.stderr)
        return 130
    except Exception as error:  # the last line of defence: no traceback unless asked for
        if args.debug:
            raise
        print(f"jazz {args.command}: internal error: {type(error).__name__}: {error} "
              f"(rerun with --debug for the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
