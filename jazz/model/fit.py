"""`jazz train` from the files a user names to a model folder: find the solos, lay out the model, train it."""

from __future__ import annotations

import json
import random
import sys
from collections import Counter
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path

from jazz.files import DiskFull, UsageError, check_writable, output_lock
from jazz.midi.beat import off_beat_warning
from jazz.midi.corpus import find_midi_files, load_corpus, scan_corpus
from jazz.model.bundle import Bundle, load_bundle
from jazz.model.checkpoints import last_epoch
from jazz.model.context import context_size
from jazz.model.distribute import configure_cpu_devices, is_chief_process
from jazz.model.features import CONDITION_SIZE, solo_centre
from jazz.model.split import hold_out_end, test_names
from jazz.model.token_cache import load_token_corpus
from jazz.model.token_store import TokenCorpus
from jazz.model.tokens import Tokenizer
from jazz.model.train import train
from jazz.midi.labels import corpus_labels, labels_summary
from jazz.music.labels import VOCABULARIES
from jazz.music.notes import Solo
from jazz.settings import ModelConfig, TrainConfig

DEFAULT_CORPUS = Path("data") / "midi"


def fit(paths: list, out: Path, layout: dict, cfg: TrainConfig, track: str | None = None,
        chords: bool = True, resume: bool = False, force: bool = False, card_note: str | None = None,
        distribute: bool = False, labels: str | None = None) -> dict:
    """Train a model on the MIDI files under ``paths`` (default data/midi) into ``out``; return the summary.

    ``layout`` holds the ModelConfig fields the user chose; the vocabulary, chord width and first pitch come
    from the tokenizer and the solos. With ``cfg.base`` (--from) the run fine-tunes that trained model: its
    tokenizer, layout and weights are the start, and validation is on the new solos. ``resume`` continues
    the run in ``out`` from its own checkpoint (its saved layout wins), or starts one if there is none.
    One long solo trains on its start and is validated on its end. Solos of the fixed test split
    (jazz.model.split.test_names) are left out; ``labels`` names a labels CSV besides the corpus folders' own.
    The chief holds ``out``'s lock throughout.
    """
    chief = is_chief_process()
    if chief:
        check_writable(out, "a model")
    with output_lock(out) if chief else nullcontext():
        check_resume(out, cfg, resume, force)
        try:
            return _fit(paths, out, layout, cfg, track, chords, resume, force, card_note, distribute, labels)
        except KeyboardInterrupt:
            raise KeyboardInterrupt(resume_hint(out)) from None
        except DiskFull as error:
            raise DiskFull(error.path, f"{error.kept}; {resume_hint(out, after='free some space, then')}") from None


def check_resume(out: Path, cfg: TrainConfig, resume: bool, force: bool) -> None:
    """Refuse to restart over an interrupted run unless told to (--force), and a --resume with nothing to do."""
    done = last_epoch(out / "checkpoints" / "resume")
    finished = (out / "model.keras").exists()
    if done and not finished and not (resume or force):
        raise UsageError(f"{out} holds an interrupted run (checkpointed after epoch {done}): add --resume to "
                         "continue it, or --force to start again from epoch 1")
    if resume and done and done >= cfg.epochs:  # finished or interrupted, no epoch is left to train
        raise UsageError(f"nothing to resume: the run in {out} has already trained {done} epochs; give --epochs "
                         f"more than {done} to train it further")


def resume_hint(out: Path, after: str = "") -> str:
    """What a stopped run left to continue from, and how (``after``: what to do first)."""
    done = last_epoch(out / "checkpoints" / "resume")
    if not done:
        return f"no epoch had finished, so {out} holds nothing to resume"
    go_on = f"{after} continue with the same command and --resume".strip()
    return go_on if after else f"the checkpoint after epoch {done} is kept: {go_on}"


def _fit(paths: list, out: Path, layout: dict, cfg: TrainConfig, track: str | None, chords: bool,
         resume: bool, force: bool, card_note: str | None, distribute: bool, labels: str | None) -> dict:
    cfg.check()
    if cfg.command:  # the card's "How it was made", with the paths as they are from this folder
        from jazz.report.card import rerunnable

        cfg.command = rerunnable(cfg.command)
    if (out / "model.keras").exists() and not (resume or force):
        raise UsageError(f"{out} already holds a model (use --resume to continue it or --force to replace it)")
    if resume and not (out / "config.json").exists():
        print(f"nothing to resume in {out}: starting a new run", file=sys.stderr)
        resume = False
    saved = saved_config(out) if resume else {}
    if saved and bool(saved.get("base_model")) != bool(cfg.base):
        raise UsageError(f"{out} was fine-tuned with --from: resume it with the same --from" if cfg.base is None
                         else f"{out} was trained from scratch: resume it without --from")
    configure_cpu_devices()  # JAZZ_CPU_DEVICES, before the backend starts its devices
    base = load_base(Path(cfg.base)) if cfg.base else None
    tokenizer = base.tokenizer if base else Tokenizer()
    data, cfg.corpus = training_data(paths, track, tokenizer, cfg.max_files)
    before = len(data)
    data = leave_out_test_split(data)
    table = corpus_labels(cfg.corpus, labels)
    labelled = data.label(table)
    found = [path.stem for path in find_midi_files(cfg.corpus)]  # the test split's solos are found, not strays
    print("\n".join(labels_summary(table, list(data.names), found)), file=sys.stderr)
    heard = {"labelled_solos": labelled, "vocabularies": {k: list(v) for k, v in VOCABULARIES.items()},
             "test_split_left_out": before - len(data)}
    solos_by = performer_solos(data.players, cfg.performers)
    split = None
    if len(data) == 1 or base:  # a fine-tune's few solos, or one long solo, are read as solos
        keep = set(data.names)  # the solos the token corpus took (it skips what the tokenizer cannot encode)
        data = [replace(s, labels=table.get(s.name, {}))
                for s in load_corpus(cfg.corpus, grid=tokenizer.grid, track=track).solos if s.name in keep]
    if len(data) == 1:  # one long solo: its start for training, its end for validation
        start, end = hold_out_end(data[0], cfg.val_split)
        data, split = start + end, ([0], [1])
    validation = ""  # for a fine-tune: how its validation solos were drawn
    if base:
        model_cfg, data = base_layout(base, data, chords, cfg.lr, tuple(solos_by))
        if split is None:
            split, validation = outside_base(base, [s.name for s in data], cfg.val_split, cfg.seed)
    else:
        model_cfg = new_layout(layout | {"performers": tuple(solos_by)}, tokenizer, data, chords)
    if saved:  # the checkpoint's layout, whatever today's defaults are; the card keeps its sections
        model_cfg = ModelConfig.from_dict(saved["model"])
    if model_cfg.performers:
        heard["vocabularies"]["performer"] = list(model_cfg.performers)
        heard["performer_solos"] = {p: solos_by.get(p, 0) for p in model_cfg.performers}
    sections = dict(saved.get("card_sections") or {}) | ({"Notes": card_note} if card_note else {})
    extra = defaults_for_sampling(data) | {"card_sections": sections, "labels": heard}
    if base:  # a resumed fine-tune keeps the base's score before fine-tuning
        started = {k: v for k, v in (saved.get("base_model") or {}).items() if k == "start_val_bits_per_note"}
        extra["base_model"] = describe_base(base) | started | ({"validation": validation} if validation else {})
    return train(data, out, model_cfg, cfg, tokenizer, resume=resume, split=split, distribute=distribute,
                 extra_config=extra, base_weights=base.path / "model.keras" if base else None)


def outside_base(base: Bundle, names: list[str], val_split: float,
                 seed: int) -> tuple[tuple[list[int], list[int]] | None, str]:
    """A fine-tune's validation solos, drawn from those outside the base model's training split where the new
    solos overlap it (so that the base's score before fine-tuning is a fair number to beat); and a line saying
    how they were drawn. None: the usual split (no overlap, or no solo outside it)."""
    seen = set((base.config.get("split") or {}).get("train") or [])
    inside = [i for i, name in enumerate(names) if name in seen]
    if not inside:
        return None, "drawn from the new solos (none was in the base model's training split)"
    outside = sorted(set(range(len(names))) - set(inside), key=names.__getitem__)
    if not outside:
        line = (f"all {len(names)} solos were in the base model's training split, so none could be held out from "
                "it: the base's score on the validation solos flatters it")
        print(f"note: {line}", file=sys.stderr)
        return None, line
    random.Random(seed).shuffle(outside)
    val = sorted(outside[:min(max(1, round(len(names) * val_split)), len(outside), len(names) - 1)])
    line = f"{len(val)} of the {len(outside)} solos outside the base model's training split ({len(inside)} were in it)"
    print(f"validation: {line}", file=sys.stderr)
    return (sorted(set(range(len(names))) - set(val)), val), line


def training_data(paths: list, track: str | None, tokenizer: Tokenizer,
                  max_files: int | None) -> tuple[TokenCorpus, list[str]]:
    """The usable solos under ``paths`` as a memory-mapped token corpus (jazz.model.token_cache); skipped and
    salvaged files are listed on stderr. Also the paths as given."""
    paths = paths or [DEFAULT_CORPUS]
    corpus = scan_corpus(paths, grid=tokenizer.grid, track=track, progress=True)
    if not corpus.reports:
        raise UsageError(f"no .mid or .midi files in {', '.join(map(str, paths))}")
    if not corpus.used:
        raise UsageError(f"none of the {len(corpus.reports)} MIDI files is usable (see `jazz corpus`)")
    s = corpus.summary()
    print(f"corpus: {s['used']} of {s['files']} files usable, {s['notes']} notes", file=sys.stderr)
    for report in corpus.reports:
        if report.status == "skipped":
            print(f"  skipped {report.path}: {report.reason}", file=sys.stderr)
        elif report.damage:
            print(f"  salvaged {report.path}: {report.damage}", file=sys.stderr)
    warning = off_beat_warning([r.path for r in corpus.off_beat], len(corpus.used))
    if warning:
        print(warning, file=sys.stderr)
    return load_token_corpus(corpus, tokenizer, track, max_files, progress=True), [str(p) for p in paths]


def leave_out_test_split(data: TokenCorpus) -> TokenCorpus:
    """The corpus without the solos of the fixed test split (if it holds any, and not only those)."""
    held = test_names()
    keep = [i for i, name in enumerate(data.names) if name not in held]
    if len(keep) in (0, len(data)):
        return data
    left = len(data) - len(keep)
    print(f"test split: {left} {'solo' if left == 1 else 'solos'} of the fixed test split left out of training and "
          f"validation", file=sys.stderr)
    return data.subset(keep)


def new_layout(layout: dict, tokenizer: Tokenizer, data: TokenCorpus | list[Solo], chords: bool) -> ModelConfig:
    """The user's layout, with the vocabulary, chord width and first pitch of the tokenizer and the solos."""
    count = data.chord_solos if isinstance(data, TokenCorpus) else sum(bool(s.chords) for s in data)
    with_chords = chords and count > 0
    print(f"chords: given to the model ({count} solos have them)" if with_chords else "chords: none",
          file=sys.stderr)
    return ModelConfig(**layout, vocab_size=tokenizer.size, condition=CONDITION_SIZE if with_chords else 0,
                       first_pitch=tokenizer.first("pitch"), context=context_size(layout.get("performers", ())))


def load_base(folder: Path) -> Bundle:
    """The trained model a fine-tune starts from; one sentence if ``folder`` is not a model folder."""
    try:
        return load_bundle(folder)
    except UsageError as error:
        raise UsageError(f"--from {folder} is not a model to fine-tune: {error}") from None


def base_layout(base: Bundle, solos: list[Solo], chords: bool, lr: float,
                performers: tuple[str, ...] = ()) -> tuple[ModelConfig, list[Solo]]:
    """The base model's layout (it must be, for its weights to fit), and the solos as it will hear them. A base
    that never heard the tempo and labels, or the ``performers``, learns to, from zero (train.start_from)."""
    layout = base.model_config
    if layout.performers and performers:
        print(f"performers: the base model's {len(layout.performers)} (it already knows performers)", file=sys.stderr)
    elif performers:
        layout = replace(layout, performers=performers)
    layout = replace(layout, context=context_size(layout.performers))
    print(f"fine-tuning {base.path.resolve().name}: its tokenizer and layout ({layout.cell}, {layout.layers} × "
          f"{layout.hidden} units), learning rate {lr}", file=sys.stderr)
    if layout.condition and not chords:  # the base hears chords; --no-chords tells it none is sounding
        solos = [replace(s, chords=[]) for s in solos]
    with_chords = sum(bool(s.chords) for s in solos)
    if not layout.condition:
        heard = "none (the base model was trained without them)"
    elif with_chords:
        heard = f"given to the model ({with_chords} solos have them)"
    else:
        heard = "none sounding (the base model hears chords; these solos have none)"
    print(f"chords: {heard}", file=sys.stderr)
    return layout, solos


def describe_base(base: Bundle) -> dict:
    """What config.json and the card say about the base model: the names of its folder and its corpus (no
    paths), and its data."""
    from jazz.report.card import uses_weimar

    config, result = base.config, base.config.get("result", {})
    split = config.get("split", {})
    corpus = config.get("train", {}).get("corpus", [])
    about = {"name": base.path.resolve().name, "corpus": [Path(c).name for c in corpus],
             "train_solos": result.get("train_solos", len(split.get("train", []))),
             "train_notes": result.get("train_notes"), "chords": bool(base.model_config.condition),
             "val_bits_per_note": result.get("val_bits_per_note"),
             "weimar": uses_weimar(corpus, split.get("train", []) + split.get("validation", []))
             or bool(config.get("base_model", {}).get("weimar"))}
    return about | ({"base_model": config["base_model"]} if config.get("base_model") else {})


def performer_solos(players: list[str], minimum: int) -> dict[str, int]:
    """The performers a model learns to name: those with at least ``minimum`` solos (0: none), most solos first,
    with their counts; said on stderr."""
    counts = Counter(p for p in players if p)
    chosen = {p: n for p, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if n >= minimum > 0}
    if minimum > 0:
        print(f"performers: {len(chosen)} with at least {minimum} solos"
              + (f" ({', '.join(f'{p} {n}' for p, n in chosen.items())})" if chosen else
                 " (none: the labels name too few solos of any one player)"), file=sys.stderr)
    return chosen


def defaults_for_sampling(data: TokenCorpus | list[Solo]) -> dict:
    """The training solos' median tempo and register, which generation uses when the user names neither."""
    if isinstance(data, TokenCorpus):
        return {"default_tempo": round(data.median_tempo()), "default_register": data.median_centre()}
    tempi = sorted(s.tempo for s in data)
    centres = sorted(c for c in map(solo_centre, data) if c is not None)
    return {"default_tempo": round(tempi[len(tempi) // 2]),
            "default_register": centres[len(centres) // 2] if centres else None}


def saved_config(folder: Path) -> dict:
    """The config.json of a model folder being resumed (its model layout must match the checkpoint)."""
    try:
        saved = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        saved["model"]["vocab_size"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise UsageError(f"cannot resume {folder}: its config.json is not a jazz model config ({error})") from None
    return saved
