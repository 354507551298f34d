"""`jazz generate`: a model folder → sampled token sequences → solos → .mid files (and lead sheets)."""

from __future__ import annotations

import os
import re
import secrets
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from jazz.files import UsageError, check_writable, output_lock
from jazz.midi.read import MidiError, read_midi
from jazz.midi.write import write_midi
from jazz.model.bundle import Bundle
from jazz.model.context import performance_context
from jazz.model.features import solo_centre
from jazz.music.form import Form, chord_form, plain_form
from jazz.music.notes import ChordChange, Part, Solo
from jazz.music.feel import band_ratio
from jazz.music.labels import UNKNOWN
from jazz.music.performance import add_velocities, timing_shifts
from jazz.music.registers import default_centre
from jazz.progress import import_keras_quietly
from jazz.report.audio import Renderer, find_renderer, render_wav
from jazz.settings import GenerateOptions, Sampling, checked_strength


SOLO_NAME = re.compile(r"solo_(\d+)$")
SEED_RANGE = 10**9  # a fresh seed is drawn below this: short enough to type back


@dataclass
class Written:
    """One generated solo: the seed that makes it again, and its files (.mid first)."""

    seed: int
    files: list[Path]


def next_number(out: Path) -> int:
    """The number after the highest solo_NNN file already in ``out`` (1 in an empty or missing folder)."""
    if not out.is_dir():
        return 1
    numbers = [int(m.group(1)) for p in out.iterdir() if (m := SOLO_NAME.match(p.stem))]
    return max(numbers, default=0) + 1


def output_paths(out: Path, n: int, force: bool, beside: tuple[str, ...] = ()) -> list[Path]:
    """The .mid files to write: numbered on from the solos already in ``out``, or from solo_001 with ``force``
    (which overwrites). Refuses a file that exists (without ``force``), with the suffixes ``beside`` too."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} exists and is not a folder")
    first = 1 if force else next_number(out)
    paths = [out / f"solo_{i:03d}.mid" for i in range(first, first + n)]
    written = paths + [p.with_suffix(suffix) for suffix in beside for p in paths]
    existing = [p for p in written if p.exists()]
    if existing and not force:
        raise UsageError(f"{existing[0]} already exists (use --force to overwrite)")
    return paths


def solo_seeds(seed: int | None, n: int) -> list[int]:
    """Each solo's own seed: ``seed``, ``seed + 1``, ... (a fresh ``seed`` when none is given, said on stderr), so
    that `--seed S` alone makes any one of them again."""
    if seed is None:
        seed = secrets.randbelow(SEED_RANGE)
        print(f"seed {seed} (--seed {seed} makes {'these solos' if n > 1 else 'this solo'} again)", file=sys.stderr)
    return [seed + i for i in range(n)]


def files_beside(opts: GenerateOptions) -> tuple[str, ...]:
    """The suffixes of the files written beside each .mid: lead sheet, engraved page, audio, piano roll."""
    return ((".musicxml",) * opts.musicxml + (f".sheet.{opts.score}",) * bool(opts.score)
            + (".wav",) * (opts.wav or bool(opts.soundfont)) + (".png",) * opts.png)


def load_primer(bundle: Bundle, path: str) -> Solo:
    try:
        primer, _ = read_midi(path, bundle.tokenizer.grid)
    except MidiError as error:
        raise UsageError(f"primer {path}: {error}") from None
    return primer


def generate(bundle: Bundle, out: Path, opts: GenerateOptions, form: Form | None = None) -> list[Written]:
    """Sample ``opts.n`` solos, each alone on its own seed (so one seed makes one solo, whatever the batch), and
    write them to ``out``; return what was written."""
    opts.check()
    tok = bundle.tokenizer
    paths = output_paths(out, opts.n, opts.force, files_beside(opts))
    renderer = find_renderer(opts.soundfont) if ".wav" in files_beside(opts) else None  # said before sampling
    if opts.score:
        from jazz.report.score import find_musescore

        find_musescore()
    form = form or plain_form(opts.bars, opts.meter, tok.grid)
    primer = load_primer(bundle, opts.primer) if opts.primer else None
    primer_ids = tok.encode(primer)[1:-1] if primer else None
    plan = [b.meter for b in (primer.bars if primer else [])] + [b.meter for b in form.bars]
    for meter in plan:
        tok.bar_id(meter)  # an unknown meter is a clear error before sampling
    chords = (primer.chords if primer else []) + _shift(form.chords, primer)
    register = opts.register
    if register is None:  # the primer's register, else the instrument's
        register = (primer and solo_centre(primer)) or default_centre(opts.program, bundle.config)
    tempo = opts.tempo or bundle.config.get("default_tempo", 160.0)
    from jazz.model.sample import Sampler, sample

    sampler, written = Sampler(bundle.model, tok), []
    context = performance_context(tempo, opts.heard(), bundle.model_config.performers,
                                  checked_strength(opts.like_strength, opts.like))
    for path, seed in zip(paths, solo_seeds(opts.seed, opts.n)):
        [ids] = sample(bundle.model, tok, 1, plan, Sampling.of(opts), seed, primer_ids, chords=[chords],
                       progress=opts.progress, sampler=sampler, register=register, context=context)
        solo = tok.decode(ids, tempo=tempo, name=path.stem)
        solo = add_velocities(replace(solo, chords=chords, key=opts.key), seed=seed)
        out.mkdir(parents=True, exist_ok=True)
        written.append(Written(seed, write_solo(path, solo, opts, seed=seed, renderer=renderer)))
    return written


def write_solo(path: Path, solo: Solo, opts: GenerateOptions, seed: int,
               renderer: Renderer | None = None) -> list[Path]:
    """The .mid file (solo, and the band when there are chords; its seed in a text event and the track name) and,
    if asked, the lead sheet, the piano roll (.png) and, with a ``renderer``, the audio of the .mid (.wav).
    Returns the files written."""
    parts = [Part("Solo", solo.notes, channel=0, program=opts.program, shifts=timing_shifts(solo, opts.feel, seed))]
    if opts.band and solo.chords:
        from jazz.music.band import band_parts

        ratio = band_ratio(solo.tempo, opts.feel) if opts.feel != "none" else None
        parts += band_parts(solo.bars, solo.chords, solo.grid, seed=seed, ratio=ratio)
    write_midi(path, solo, parts, title=f"{opts.title or 'jazz solo'}, seed {seed}", composer=opts.composer, seed=seed)
    if opts.musicxml:
        from jazz.music.leadsheet import write_lead_sheet

        write_lead_sheet(path.with_suffix(".musicxml"), solo, title=opts.title or path.stem, composer=opts.composer,
                         program=opts.program, transpose=opts.transpose)
    pages = []
    if opts.musicxml and opts.score:
        from jazz.report.score import render_score

        pages = render_score(path.with_suffix(".musicxml"), opts.score)
    if opts.png:
        from jazz.report.plots import plot_piano_roll

        plot_piano_roll(solo, path.with_suffix(".png"), title=" · ".join(filter(None, (path.stem, opts.title))))
    rendered = renderer is not None and render_wav(renderer, path, path.with_suffix(".wav"))
    made = []
    for suffix in (".mid", *files_beside(opts)):
        if suffix.startswith(".sheet."):
            made += pages  # MuseScore numbers PNG pages (solo_001.sheet-1.png ...)
        elif suffix != ".wav" or rendered:
            made.append(path.with_suffix(suffix))
    return [p for p in made if p.exists()]  # an engraving MuseScore could not make is not listed


def _shift(chords: list[ChordChange], primer: Solo | None) -> list[ChordChange]:
    """The form's chord changes moved after the primer's bars."""
    offset = primer.total_steps if primer else 0
    return [ChordChange(c.onset + offset, c.symbol) for c in chords]


DEFAULT_TUNE = "blues-bb"  # what a chord-aware model plays when the user names no changes


def generate_command(model: Path | None, out: Path, opts: GenerateOptions, chords: str | None = None,
                     tune: str | None = None, choruses: int = 1, register: str | None = None,
                     changes: Path | None = None) -> list[Written]:
    """`jazz generate`: choose the form (the changes given, a tune, a chart, or a default for a chord-aware
    model), the tempo and the register, check the destination, then sample and write the solos."""
    from jazz.model.bundle import load_bundle
    from jazz.music.charts import ChartError, read_chart
    from jazz.music.registers import parse_register
    from jazz.music.tunes import TuneError, get_tune, parse_meter

    try:
        chosen = get_tune(tune) if tune else None
        chart = read_chart(changes) if changes else None
    except (TuneError, ChartError) as error:
        raise UsageError(str(error)) from None
    for warning in chart.warnings if chart else []:
        print(f"warning: {changes}: {warning}", file=sys.stderr)
    if chart:  # the chart plays as a tune; its composer and key go into the files
        chosen, opts.composer, opts.key = chart.as_tune(), chart.composer, chart.key or _estimated_key(chart)
    opts.key = opts.key or (chosen.key if chosen else None)
    if chosen and opts.meter and opts.meter != chosen.meter:
        print(f"note: {chosen.title} is written in {chosen.meter}; playing each of its bars as a bar of "
              f"{opts.meter}, as --meter asks", file=sys.stderr)
    opts.meter = opts.meter or (chosen.meter if chosen else None)
    try:
        parse_meter(opts.meter or "4/4")
    except ValueError:
        raise UsageError(f"--meter {opts.meter!r} is not a time signature like 4/4 or 3/4") from None
    opts.check()
    if register is not None:
        opts.register = parse_register(register)
    if opts.primer and not Path(opts.primer).is_file():
        raise UsageError(f"primer {opts.primer} does not exist")
    check_destination(out)
    import_keras_quietly()
    bundle = load_bundle(model)
    progression = chords or (chosen.changes if chosen else None)
    if chosen:
        opts.tempo, opts.title = opts.tempo or chosen.tempo, opts.title or chosen.title
    if progression is None and bundle.conditioned:
        progression, choruses = _default_changes(opts)
    _say_what_the_model_ignores(bundle, opts, progression)
    meter = opts.meter or "4/4"
    bundle.tokenizer.check_meter(meter)
    grid = bundle.tokenizer.grid
    form = chord_form(progression, meter, choruses, grid) if progression else plain_form(opts.bars, meter, grid)
    if not (chords or tune or changes):
        form = form.first(opts.bars)
    with output_lock(out):
        return generate(bundle, out, opts, form)


def _estimated_key(chart) -> str | None:
    """The key of a chart that names none, estimated from its chords, said on stderr."""
    from jazz.music.key_estimate import estimate_key

    key = estimate_key(chart.bars)
    if key:
        print(f"note: chart {chart.title!r} names no key; its key signature is {key}, estimated from its chords "
              "(add 'Key = ...' to the chart to choose it)", file=sys.stderr)
    return key


def _default_changes(opts: GenerateOptions) -> tuple[str, int]:
    """The built-in tune a chord-aware model plays without --chords or --tune: the blues, or a tune in the
    user's --meter; enough choruses for --bars (the form is cut to --bars)."""
    from jazz.music.tunes import TUNES, get_tune

    tune = get_tune(DEFAULT_TUNE)
    if opts.meter and opts.meter != tune.meter:
        tune = next((t for t in TUNES.values() if t.meter == opts.meter), None)
        if tune is None:
            raise UsageError(f"no built-in tune is in {opts.meter}; give the changes with --chords")
    opts.meter, opts.title = tune.meter, opts.title or tune.title
    opts.tempo = opts.tempo or tune.tempo
    print(f"no --chords or --tune given: playing {opts.bars} bars of {tune.name} (see --list-tunes)", file=sys.stderr)
    return tune.changes, -(-opts.bars // len(tune.bars))


def _say_what_the_model_ignores(bundle: Bundle, opts: GenerateOptions, progression: str | None) -> None:
    if opts.register is not None and not bundle.model_config.register:
        print("note: this model was trained without registers; --register does not change its solos",
              file=sys.stderr)
    if (opts.style or opts.feel not in ("swing", "none")) and not bundle.model_config.context:
        print("note: this model was trained without styles and feels; --style and --feel do not change its solos",
              file=sys.stderr)
    if bundle.model_config.context and opts.heard().get("instrument", UNKNOWN) == UNKNOWN:
        print(f"note: General MIDI program {opts.program} is none of the corpus's instruments; the model plays as "
              "for an unknown one", file=sys.stderr)
    if progression is not None and not bundle.conditioned:
        print("note: this model was trained without chords; the changes go into the file and the band only",
              file=sys.stderr)


def check_destination(out: Path) -> None:
    """Refuse a destination that cannot take the files, before any sampling (nothing is created here)."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} exists and is not a folder")
    check_writable(out, "solos")
