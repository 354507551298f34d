"""`jazz train` from the files a user names to a model folder: find the solos, lay out the model, train it."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

from jazz.files import UsageError
from jazz.midi.corpus import load_corpus
from jazz.model.bundle import Bundle, load_bundle
from jazz.model.features import CONDITION_SIZE, solo_centre
from jazz.model.tokens import Tokenizer
from jazz.model.train import train
from jazz.music.notes import Solo
from jazz.settings import ModelConfig, TrainConfig

DEFAULT_CORPUS = Path("data") / "midi"


def fit(paths: list, out: Path, layout: dict, cfg: TrainConfig, track: str | None = None,
        chords: bool = True, resume: bool = False, force: bool = False, card_note: str | None = None) -> dict:
    """Train a model on the MIDI files under ``paths`` (default data/midi) into ``out``; return the summary.

    ``layout`` holds the ModelConfig fields the user chose; the vocabulary, chord width and first pitch come
    from the tokenizer and the solos. With ``cfg.base`` (--from) the run fine-tunes that trained model: its
    tokenizer, layout and weights are the start, and validation is on the new solos. ``resume`` continues
    the run in ``out`` from its own checkpoint (its saved layout wins), or starts one if there is none.
    """
    cfg.check()
    if (out / "model.keras").exists() and not (resume or force):
        raise UsageError(f"{out} already holds a model (use --resume to continue it or --force to replace it)")
    if resume and not (out / "config.json").exists():
        print(f"nothing to resume in {out}: starting a new run", file=sys.stderr)
        resume = False
    saved = saved_config(out) if resume else {}
    if saved and bool(saved.get("base_model")) != bool(cfg.base):
        raise UsageError(f"{out} was fine-tuned with --from: resume it with the same --from" if cfg.base is None
                         else f"{out} was trained from scratch: resume it without --from")
    base = load_base(Path(cfg.base)) if cfg.base else None
    tokenizer = base.tokenizer if base else Tokenizer()
    solos, cfg.corpus = training_solos(paths, track, tokenizer, cfg.max_files)
    if base:
        model_cfg, solos = base_layout(base, solos, chords, cfg.lr)
    else:
        model_cfg = new_layout(layout, tokenizer, solos, chords)
    if saved:  # the checkpoint's layout, whatever today's defaults are; the card keeps its sections
        model_cfg = ModelConfig.from_dict(saved["model"])
    sections = dict(saved.get("card_sections") or {}) | ({"Notes": card_note} if card_note else {})
    extra = defaults_for_sampling(solos) | {"card_sections": sections}
    if base:  # a resumed fine-tune keeps the base's score before fine-tuning
        started = {k: v for k, v in (saved.get("base_model") or {}).items() if k == "start_val_bits_per_note"}
        extra["base_model"] = describe_base(base) | started
    return train(solos, out, model_cfg, cfg, tokenizer, resume=resume, extra_config=extra,
                 base_weights=base.path / "model.keras" if base else None)


def new_layout(layout: dict, tokenizer: Tokenizer, solos: list[Solo], chords: bool) -> ModelConfig:
    """The user's layout, with the vocabulary, chord width and first pitch of the tokenizer and the solos."""
    with_chords = chords and any(s.chords for s in solos)
    print(f"chords: given to the model ({sum(bool(s.chords) for s in solos)} solos have them)" if with_chords
          else "chords: none", file=sys.stderr)
    return ModelConfig(**layout, vocab_size=tokenizer.size, condition=CONDITION_SIZE if with_chords else 0,
                       first_pitch=tokenizer.first("pitch"))


def load_base(folder: Path) -> Bundle:
    """The trained model a fine-tune starts from; one sentence if ``folder`` is not a model folder."""
    try:
        return load_bundle(folder)
    except UsageError as error:
        raise UsageError(f"--from {folder} is not a model to fine-tune: {error}") from None


def base_layout(base: Bundle, solos: list[Solo], chords: bool, lr: float) -> tuple[ModelConfig, list[Solo]]:
    """The base model's layout (it must be, for its weights to fit), and the solos as it will hear them."""
    layout = base.model_config
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


def training_solos(paths: list, track: str | None, tokenizer: Tokenizer,
                   max_files: int | None) -> tuple[list[Solo], list[str]]:
    """The usable solos under ``paths`` (skipped files are listed on stderr), and the paths as given."""
    paths = paths or [DEFAULT_CORPUS]
    corpus = load_corpus(paths, grid=tokenizer.grid, track=track, progress=True)
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


def defaults_for_sampling(solos: list[Solo]) -> dict:
    """The training solos' median tempo and register, which generation uses when the user names neither."""
    tempi = sorted(s.tempo for s in solos)
    centres = sorted(c for c in map(solo_centre, solos) if c is not None)
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
