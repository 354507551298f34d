"""The `jazz lesson` command: names | poems | gradients, the exercises that go with the notes (docs/lessons.md)."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from jazz.files import UsageError

WORDS_SAMPLE = 2000  # characters generated after training (10 samples of 200) to count real words in


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def add_lesson(lesson: argparse.ArgumentParser, common: list[argparse.ArgumentParser]) -> None:
    """The three lessons under the `lesson` parser, each with its own options (``common``: shared options)."""
    lessons = lesson.add_subparsers(dest="lesson", required=True, metavar="LESSON")

    p = lessons.add_parser("names", parents=common, help="a NumPy character RNN that makes up new names")
    p.add_argument("text", type=Path, metavar="TEXT", help="text file, one name per line")
    p.add_argument("--out", type=Path, metavar="DIR", help="also write the weights and the losses here")
    p.add_argument("--iterations", type=_positive_int, default=5000, help="names to train on (default 5000)")
    p.add_argument("--hidden", type=_positive_int, default=50, help="hidden units n_a (default 50)")
    p.add_argument("--samples", type=_positive_int, default=10, help="names to sample at the end (default 10)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(run=run_names)

    p = lessons.add_parser("poems", parents=common, help="a Keras character LSTM that writes like its text")
    p.add_argument("text", type=Path, nargs="?", metavar="TEXT", help="running text to train on (with --out)")
    p.add_argument("--out", type=Path, metavar="DIR", help="model folder to write")
    p.add_argument("--model", type=Path, metavar="DIR", help="a trained model folder: continue --prompt with it")
    p.add_argument("--cell", default="lstm", help="lstm | hand-lstm | gru | hand-gru | rnn (default lstm)")
    p.add_argument("--hidden", type=_positive_int, default=256, help="units n_a (default 256)")
    p.add_argument("--seq-len", type=_positive_int, default=100, help="characters per training window (default 100)")
    p.add_argument("--epochs", type=_positive_int, default=50,
                   help="at most this many epochs of 50 batches of 64 windows (default 50)")
    p.add_argument("--max-minutes", type=float, metavar="M", help="stop before an epoch that would end past M minutes")
    p.add_argument("--force", action="store_true", help="replace a model already in --out")
    p.add_argument("--prompt", default="", help="the line to continue, \\n for a new line (default: a new line)")
    p.add_argument("--length", type=_positive_int, default=400, help="characters to generate (default 400)")
    p.add_argument("--temperature", type=float, default=0.7, help="sampling temperature; lower is safer (default 0.7)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(run=run_poems)

    p = lessons.add_parser("gradients", parents=common, help="how far back gradients reach in the RNN, LSTM and GRU")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder for gradients.png and .json")
    p.add_argument("--iterations", type=_positive_int, default=500, help="training steps on the memory task")
    p.add_argument("--hidden", type=_positive_int, default=32, help="units n_a (default 32)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(run=run_gradients)


def _read(path: Path, reader):
    """``reader(path)``, with a missing or unreadable file or a ValueError turned into one sentence."""
    try:
        return reader(path)
    except OSError as error:
        raise UsageError(f"cannot use {path}: {error.strerror or error}") from None
    except ValueError as error:
        raise UsageError(f"cannot use {path}: {error}") from None


def _folder(path: Path | None) -> None:
    """Make the output folder before any work, so that a bad --out fails at once."""
    if path is None:
        return
    if path.exists() and not path.is_dir():
        raise UsageError(f"--out {path} is a file, not a folder")
    path.mkdir(parents=True, exist_ok=True)


def run_names(args) -> int:
    from jazz.lessons import names

    names_list = _read(args.text, names.read_names)
    _folder(args.out)
    names.run(names_list, str(args.text), args.iterations, args.hidden, args.samples,
              args.seed, args.out)
    return 0


def run_poems(args) -> int:
    if not (math.isfinite(args.temperature) and args.temperature > 0):
        raise UsageError("--temperature must be a positive number")
    if args.model is not None:
        if args.text is not None or args.out is not None:
            raise UsageError("give either TEXT --out DIR (to train) or --model DIR (to generate), not both")
        return _continue_prompt(args)
    if args.text is None or args.out is None:
        raise UsageError("poems needs TEXT and --out DIR to train, or --model DIR to generate")
    if args.max_minutes is not None and not (math.isfinite(args.max_minutes) and args.max_minutes > 0):
        raise UsageError("--max-minutes must be a positive number")
    if (args.out / "model.keras").exists() and not args.force:
        raise UsageError(f"{args.out} already holds a model (use --force to replace it)")
    from jazz.lessons.text import read_text

    text = _read(args.text, read_text)
    from jazz.progress import import_keras_quietly

    import_keras_quietly()
    import numpy as np

    from jazz.lessons import poems
    from jazz.model.cells import CELL_KINDS

    if args.cell not in CELL_KINDS:
        raise UsageError(f"unknown --cell {args.cell!r} (choose from {', '.join(CELL_KINDS)})")
    try:
        poems.split_text(text, args.seq_len)
    except ValueError as error:
        raise UsageError(f"cannot use {args.text}: {error}") from None
    unknown = sorted(set(_prompt(args)) - set(text))
    if unknown:
        raise UsageError(f"the prompt uses characters that {args.text} does not: {''.join(unknown)!r}")
    _folder(args.out)
    try:
        model, config = poems.train(text, args.out, args.cell, args.hidden, args.seq_len, args.epochs,
                                    args.max_minutes, args.seed)
    except ValueError as error:  # no finite validation loss: nothing worth saving
        raise UsageError(str(error)) from None
    result = config["result"]
    samples = poems.generate(model, config["chars"], "\n", WORDS_SAMPLE // 10, args.temperature,
                             np.random.default_rng(0), n=10)
    share = poems.real_word_share(" ".join(samples), text)
    result["real_words"] = {"share": round(share, 4), "characters": WORDS_SAMPLE, "temperature": args.temperature}
    poems.write_config(config, args.out)
    print(f"trained {result['epochs']} epoch{'s' * (result['epochs'] != 1)} in {result['minutes']} min: validation loss {result['val_loss']:.3f} "
          f"({result['val_bits_per_char']:.3f} bits per character); model in {args.out}")
    print(f"real words: {share:.1%} of the words in {WORDS_SAMPLE} generated characters (temperature "
          f"{args.temperature}) appear in {args.text}\n")
    print(_continuation(model, config, args))
    return 0


def _continue_prompt(args) -> int:
    from jazz.progress import import_keras_quietly

    import_keras_quietly()
    from jazz.lessons import poems

    try:
        model, config = poems.load(args.model)
    except ValueError as error:
        raise UsageError(str(error)) from None
    print(_continuation(model, config, args))
    return 0


def _continuation(model, config: dict, args) -> str:
    """The prompt and what the model writes after it."""
    import numpy as np

    from jazz.lessons import poems

    prompt = _prompt(args)
    try:
        more = poems.generate(model, config["chars"], prompt, args.length, args.temperature,
                              np.random.default_rng(args.seed))[0]
    except ValueError as error:
        raise UsageError(str(error)) from None
    return prompt + more


def _prompt(args) -> str:
    """--prompt with each typed \\n as a new line."""
    return args.prompt.replace("\\n", "\n")


def run_gradients(args) -> int:
    from jazz.lessons import gradients

    _folder(args.out)
    result = gradients.run(args.out, n_a=args.hidden, iterations=args.iterations, seed=args.seed)
    print(gradients.summary(result))
    print(f"wrote {args.out / 'gradients.json'} and {args.out / 'gradients.png'}")
    return 0
