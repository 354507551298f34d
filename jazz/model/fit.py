"""`jazz train` from the files a user names to a model folder: find the solos, lay out the model, train it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from jazz.files import UsageError
from jazz.midi.corpus import load_corpus, scan_corpus
from jazz.model.distribute import configure_cpu_devices
from jazz.model.features import CONDITION_SIZE, solo_centre
from jazz.model.split import hold_out_end
from jazz.model.token_cache import load_token_corpus
from jazz.model.token_store import TokenCorpus
from jazz.model.tokens import Tokenizer
from jazz.model.train import train
from jazz.music.notes import Solo
from jazz.settings import ModelConfig, TrainConfig

DEFAULT_CORPUS = Path("data") / "midi"


def fit(paths: list, out: Path, layout: dict, cfg: TrainConfig, track: str | None = None,
        chords: bool = True, resume: bool = False, force: bool = False, card_note: str | None = None,
        distribute: bool = False) -> dict:
    """Train a model on the MIDI files under ``paths`` (default data/midi) into ``out``; return the summary.

    ``layout`` holds the ModelConfig fields the user chose; the vocabulary, chord width and first pitch come
    from the tokenizer and the solos. ``resume`` continues the run in ``out`` (its saved layout wins), or
    starts one if there is none. One long solo trains on its start and is validated on its end.
    """
    cfg.check()
    if (out / "model.keras").exists() and not (resume or force):
        raise UsageError(f"{out} already holds a model (use --resume to continue it or --force to replace it)")
    if resume and not (out / "config.json").exists():
        print(f"nothing to resume in {out}: starting a new run", file=sys.stderr)
        resume = False
    configure_cpu_devices()  # JAZZ_CPU_DEVICES, before the backend starts its devices
    tokenizer = Tokenizer()
    data, cfg.corpus = training_data(paths, track, tokenizer, cfg.max_files)
    split = None
    if len(data) == 1:
        start, end = hold_out_end(load_corpus(cfg.corpus, grid=tokenizer.grid, track=track).solos[0], cfg.val_split)
        data, split = start + end, ([0], [1])
    with_count = data.chord_solos if isinstance(data, TokenCorpus) else sum(bool(s.chords) for s in data)
    with_chords = chords and with_count > 0
    print(f"chords: given to the model ({with_count} solos have them)" if with_chords else "chords: none",
          file=sys.stderr)
    model_cfg = ModelConfig(**layout, vocab_size=tokenizer.size, condition=CONDITION_SIZE if with_chords else 0,
                            first_pitch=tokenizer.first("pitch"))
    saved = saved_config(out) if resume else {}
    if saved:  # the checkpoint's layout, whatever today's defaults are; the card keeps its sections
        model_cfg = ModelConfig.from_dict(saved["model"])
    sections = dict(saved.get("card_sections") or {}) | ({"Notes": card_note} if card_note else {})
    return train(data, out, model_cfg, cfg, tokenizer, resume=resume, split=split, distribute=distribute,
                 extra_config=defaults_for_sampling(data) | {"card_sections": sections})


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
    return load_token_corpus(corpus, tokenizer, track, max_files, progress=True), [str(p) for p in paths]


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
