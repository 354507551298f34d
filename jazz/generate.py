"""`jazz generate`: a model folder → sampled token sequences → solos → .mid files (and lead sheets)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from jazz.files import UsageError
from jazz.midi.read import MidiError, read_midi
from jazz.midi.write import write_midi
from jazz.model.bundle import Bundle
from jazz.model.features import solo_centre
from jazz.model.sample import sample
from jazz.music.notes import TENOR_SAX, Bar, ChordChange, Part, Solo
from jazz.music.performance import add_velocities
from jazz.music.registers import default_centre
from jazz.settings import BANDED, PITCH_MEMORY, RHYTHM_TEMPERATURE, TEMPERATURE, TOP_P


@dataclass
class GenerateOptions:
    n: int = 1
    bars: int = 32
    tempo: float | None = None
    temperature: float = TEMPERATURE  # of the pitches
    top_p: float = TOP_P
    rhythm_temperature: float | None = RHYTHM_TEMPERATURE  # of positions and durations (None: temperature)
    banded: bool = BANDED  # top-p cut inside interval bands
    pitch_memory: float = PITCH_MEMORY  # weight of the pitch-class memory
    seed: int = 0
    primer: str | None = None
    program: int = TENOR_SAX
    meter: str = "4/4"
    force: bool = False
    band: bool = True
    musicxml: bool = False
    progress: bool = False
    title: str = ""
    register: int | None = None  # centre pitch; None: typical for the program (jazz.music.registers)

    def check(self) -> None:
        if self.n < 1:
            raise UsageError("--num-outputs must be at least 1")
        if self.bars < 1:
            raise UsageError("--bars must be at least 1")
        if self.temperature < 0 or (self.rhythm_temperature or 0) < 0:
            raise UsageError("--temperature and --rhythm-temperature must not be negative")
        if self.pitch_memory < 0:
            raise UsageError("--pitch-memory must not be negative")
        if not 0 < self.top_p <= 1:
            raise UsageError("--top-p must be in (0, 1]")
        if self.tempo is not None and not 20 <= self.tempo <= 400:
            raise UsageError("--tempo must be between 20 and 400 beats per minute")
        if not 0 <= self.program <= 127:
            raise UsageError("--program must be a General MIDI program number from 0 to 127")


@dataclass
class Form:
    """What to play over: a meter per bar and the chord changes (empty without chords)."""

    bars: list[Bar]
    chords: list[ChordChange]

    def first(self, count: int) -> Form:
        """The form cut after ``count`` bars."""
        if count >= len(self.bars):
            return self
        end = self.bars[count].start
        return Form(self.bars[:count], [c for c in self.chords if c.onset < end])


def chord_form(progression: str, meter: str, choruses: int, grid: int) -> Form:
    """The form of a progression text (bars between |), repeated ``choruses`` times."""
    from jazz.music.chords import ChordError
    from jazz.music.tunes import parse_progression, progression_changes

    if choruses < 1:
        raise UsageError("--choruses must be at least 1")
    try:
        bars, changes = progression_changes(parse_progression(progression, meter), meter, grid, choruses)
    except ChordError as error:
        raise UsageError(str(error)) from None
    except ValueError as error:
        raise UsageError(f"bad --chords: {error}") from None
    return Form(bars, changes)


def plain_form(bars: int, meter: str, grid: int) -> Form:
    numerator, denominator = (int(x) for x in meter.split("/"))
    length = Bar(0, numerator, denominator).length(grid)
    return Form([Bar(i * length, numerator, denominator) for i in range(bars)], [])


def output_paths(out: Path, n: int, force: bool, musicxml: bool = False) -> list[Path]:
    """The .mid files to write; refuses (without ``force``) if any of them, or their lead sheets, exist."""
    paths = [out / f"solo_{i:03d}.mid" for i in range(1, n + 1)]
    written = paths + ([p.with_suffix(".musicxml") for p in paths] if musicxml else [])
    existing = [p for p in written if p.exists()]
    if existing and not force:
        raise UsageError(f"{existing[0]} already exists (use --force to overwrite)")
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} exists and is not a folder")
    return paths


def load_primer(bundle: Bundle, path: str) -> Solo:
    try:
        primer, _ = read_midi(path, bundle.tokenizer.grid)
    except MidiError as error:
        raise UsageError(f"primer {path}: {error}") from None
    return primer


def generate(bundle: Bundle, out: Path, opts: GenerateOptions, form: Form | None = None) -> list[Path]:
    """Sample ``opts.n`` solos and write them to ``out``; return the files written."""
    opts.check()
    tok = bundle.tokenizer
    paths = output_paths(out, opts.n, opts.force, opts.musicxml)
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
    sequences = sample(bundle.model, tok, opts.n, plan, opts.temperature, opts.top_p, opts.seed,
                       primer_ids, chords=[chords] * opts.n, progress=opts.progress, register=register,
                       rhythm_temperature=opts.rhythm_temperature, banded=opts.banded, pitch_memory=opts.pitch_memory)
    tempo = opts.tempo or bundle.config.get("default_tempo", 160.0)
    out.mkdir(parents=True, exist_ok=True)
    for i, (ids, path) in enumerate(zip(sequences, paths)):
        solo = tok.decode(ids, tempo=tempo, name=path.stem)
        solo = add_velocities(replace(solo, chords=chords, key=None), seed=opts.seed * 1000 + i)
        write_solo(path, solo, opts, seed=opts.seed * 1000 + i)
    return paths


def write_solo(path: Path, solo: Solo, opts: GenerateOptions, seed: int) -> None:
    """The .mid file (solo, and the band when there are chords) and, if asked, the lead sheet."""
    parts = [Part("Solo", solo.notes, channel=0, program=opts.program)]
    if opts.band and solo.chords:
        from jazz.music.band import band_parts

        parts += band_parts(solo.bars, solo.chords, solo.grid, seed=seed)
    write_midi(path, solo, parts, title=opts.title)
    if opts.musicxml:
        from jazz.music.leadsheet import write_lead_sheet

        write_lead_sheet(path.with_suffix(".musicxml"), solo, title=opts.title or path.stem)


def _shift(chords: list[ChordChange], primer: Solo | None) -> list[ChordChange]:
    """The form's chord changes moved after the primer's bars."""
    offset = primer.total_steps if primer else 0
    return [ChordChange(c.onset + offset, c.symbol) for c in chords]
