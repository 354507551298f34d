"""Every default in one place: the model's layout, training and sampling settings as dataclasses.

The command line builds its options from these fields (their ``help`` metadata), so a default is written
once. The module imports nothing heavy, so `jazz --help` stays fast.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from jazz.files import UsageError
from jazz.music.labels import FEELS, STYLES, checked, instrument_of_program
from jazz.music.notes import TENOR_SAX

CELL_KINDS: tuple[str, ...] = ("lstm", "hand-lstm", "gru", "hand-gru", "rnn")

# Sampling, chosen on the bundled model's validation solos with the two-sample test of `jazz evaluate`
# (docs/sampling.md); jazz.model.sample says what each does.
# Nucleus (top-p) mass for each pitch; rhythm tokens are always drawn from the whole distribution.
TOP_P = 0.93

# Whether that nucleus cuts inside interval bands, keeping each band's mass (so leaps survive).
BANDED = True
# Temperature of the pitches, and of the positions and durations.
TEMPERATURE = 0.95
RHYTHM_TEMPERATURE = 1.0
# Weight of the pitch-class memory of the last 16 notes (0: none).
PITCH_MEMORY = 1.5
# Weight added to the pitch that continues a figure the solo played before, per motif-memory order (0: none).
MOTIF_MEMORY = 0.2


@dataclass(frozen=True)
class Sampling:
    """How the sampler draws tokens, as one value for generate, live and evaluate (jazz.model.sample says what
    each setting does)."""

    temperature: float = TEMPERATURE
    top_p: float = TOP_P
    rhythm_temperature: float | None = RHYTHM_TEMPERATURE  # None: ``temperature``
    banded: bool = BANDED
    pitch_memory: float = PITCH_MEMORY
    motif_memory: float = MOTIF_MEMORY

    @classmethod
    def of(cls, options) -> Sampling:
        """The settings of anything that has them as attributes (GenerateOptions, parsed arguments)."""
        return cls(**{f.name: getattr(options, f.name) for f in fields(cls)})

    def values(self) -> tuple[float, ...]:
        """The numbers the compiled step reads: temperature, top_p, rhythm temperature, banded, the memories'
        weights (temperatures kept above zero, which would divide by it)."""
        rhythm = self.temperature if self.rhythm_temperature is None else self.rhythm_temperature
        return (max(self.temperature, 1e-4), self.top_p, max(rhythm, 1e-4), float(self.banded), self.pitch_memory,
                self.motif_memory)


# Adam's learning rate from scratch, and when fine-tuning a trained model: a quarter, so that a few new solos
# move the weights toward a player without washing out what the base model learnt.
LR, FINETUNE_LR = 2e-3, 5e-4
# `jazz train --performers` alone: the model learns to name the players with at least this many solos
PERFORMER_SOLOS = 8
# --like: how far the player's input is pulled past what training gave it (jazz.model.context.guided), chosen on the
# validation split with `jazz evaluate --performers --like-strength W` and the two-sample test (docs/evaluation.md)
LIKE_STRENGTH = 3.0
# `jazz evaluate`: solos generated over every real one for the two-sample test and the rhythm figures. One draw's
# accuracy moves by about 0.015 with the seed alone, a slow band's notes per beat by up to 12 points.
EVALUATE_DRAWS = 5


def checked_label(kind: str, value: str | None, extra: tuple[str, ...] = ()) -> str | None:
    """A --style, --feel or --instrument the user typed, normalized; one sentence if the model knows no such one
    (listing the known ones and the command's ``extra`` ones)."""
    try:
        return checked(kind, value, extra)
    except ValueError as error:
        raise UsageError(str(error)) from None


def checked_feel(feel: str | None) -> str:
    """A --feel the user typed (generate's and live's): one of the model's feels, or ``none`` (swing's notes on
    the grid); swing when not given; one sentence if it is neither."""
    if feel == "none":
        return feel
    return checked_label("feel", feel, ("none (on the grid)",)) or "swing"


def heard_feel(feel: str) -> str:
    """The feel the model is told for a --feel: ``none`` writes swing's notes on the grid, so it hears swing."""
    return "swing" if feel == "none" else feel


def checked_program(program: int) -> int:
    """A --program the user typed; one sentence if it is no General MIDI program."""
    if not 0 <= program <= 127:
        raise UsageError("--program must be a General MIDI program number from 0 to 127")
    return program


def checked_strength(strength: float | None, like: str | bool | None) -> float:
    """The --like-strength to play at: the one the user typed, else ``LIKE_STRENGTH``; one sentence if it is out of
    range or comes without a player to pull toward (``like``: the --like name, or True where every solo names one)."""
    if strength is None:
        return LIKE_STRENGTH
    if not 0 <= strength <= 10:
        raise UsageError("--like-strength must be between 0 and 10 (1: as the model learned the player)")
    if not like:
        raise UsageError("--like-strength needs --like NAME: the player to pull toward")
    return strength


def option(default, help: str, flag: str | tuple[str, ...] | None = None, **argparse_kwargs):
    """A dataclass field that is also a command-line option (``flag`` defaults to --field-name; a boolean
    that defaults to True becomes a --no-... switch)."""
    return field(default=default, metadata={"help": help, "flag": flag, **argparse_kwargs})


@dataclass
class ModelConfig:
    """The network's layout (jazz.model.network); saved in the model folder's config.json."""

    vocab_size: int
    embedding: int = option(64, "token embedding width")
    hidden: int = option(256, "units per recurrent layer")
    layers: int = option(2, "recurrent layers")
    dropout: float = option(0.2, "dropout after each recurrent layer")
    cell: str = option("lstm", "recurrent cell", choices=CELL_KINDS)
    condition: int = 0  # width of the per-step chord features; 0: tokens only
    skip: bool = option(True, "no direct paths from the last pitch and the chords to the output layer",
                        flag="--no-skip")
    intervals: bool = option(True, "no direct path from the last interval to the next (runs and trills)",
                             flag="--no-intervals")
    register: bool = option(True, "do not tell the model each solo's register (its median pitch)",
                            flag="--no-register")
    echo: bool = option(True, "no motif memory (where the current figure went the last time it was played)",
                        flag="--no-echo")
    context: int = 0  # width of the tempo and label features (jazz.model.context); 0: the model hears neither
    first_pitch: int = 0  # token id of the lowest pitch (the interval and register paths place scores from here)
    performers: tuple[str, ...] = ()  # the players the context names (jazz.model.context); (): none

    def __post_init__(self) -> None:
        self.performers = tuple(self.performers)
        if self.cell not in CELL_KINDS:
            raise ValueError(f"unknown cell {self.cell!r} (choose from {', '.join(CELL_KINDS)})")
        if (self.intervals or self.register or self.echo) and self.first_pitch <= 0:
            raise ValueError("the interval, register and echo paths need first_pitch, the token id of the lowest pitch")

    @property
    def input_names(self) -> list[str]:
        """The model's inputs, in order."""
        pitches = ["last_pitch"] * (self.skip or self.intervals) + ["previous_pitch"] * self.intervals
        extra = ["register"] * self.register + ["echo"] * self.echo + ["context"] * bool(self.context)
        return ["tokens"] + ["condition"] * bool(self.condition) + pitches + extra

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ModelConfig:
        """A saved layout; a path missing from an older config.json was off."""
        names = {f.name for f in fields(cls)}
        off = {"skip": False, "intervals": False, "register": False, "echo": False}
        return cls(**(off | {k: v for k, v in data.items() if k in names}))


@dataclass
class TrainConfig:
    """How a model is fitted (jazz.model.train); saved in config.json."""

    epochs: int = option(200, "most epochs; early stopping and --max-minutes usually end the run first")
    seq_len: int = option(128, "tokens per training window")
    batch_size: int = option(32, "windows per batch")
    lr: float | None = option(None, f"Adam learning rate (default {LR}, or {FINETUNE_LR} when fine-tuning with --from)",
                              type=float)
    val_split: float = option(0.1, "share of solos held out for validation (split by solo)")
    seed: int = option(0, "random seed")
    patience: int = option(4, "early stopping patience in epochs")
    keep: str = option("best", "which epoch's weights the model keeps: best (lowest validation loss) or last (for a "
                               "fine-tune whose validation solos its base already learned, where that loss misleads)",
                       choices=("best", "last"))
    decay: bool = option(False, "let the learning rate fall along a cosine to zero by the last of --epochs (for a run "
                                "of a set length, such as a fine-tune with --keep last)")
    clipnorm: float = 1.0
    augment: bool = option(True, "do not transpose solos during training", flag="--no-augment")
    max_files: int | None = option(None, "use only the first N usable files", type=int)
    corpus: list[str] = field(default_factory=list)
    command: str = ""
    max_minutes: float | None = option(
        30.0, "time budget: stop after the first epoch that ends past M minutes, keeping the best model",
        type=float, metavar="M")
    base: str | None = option(None, "fine-tune the trained model in DIR on these solos (its tokenizer and layout win)",
                              flag="--from", type=str, metavar="DIR")
    performers: int = option(0, "the model hears who plays: the performers with at least N solos in the corpus "
                                f"(--performers alone: {PERFORMER_SOLOS}); 0: none", nargs="?",
                             const=PERFORMER_SOLOS, metavar="N")

    def __post_init__(self) -> None:
        if self.lr is None:
            self.lr = FINETUNE_LR if self.base else LR

    def check(self) -> None:
        if not 0 < self.val_split < 1:
            raise UsageError("--val-split must be between 0 and 1")
        if self.max_minutes is not None and not (self.max_minutes == self.max_minutes and 0 < self.max_minutes
                                                 < float("inf")):
            raise UsageError("--max-minutes must be a positive number")
        if self.max_files is not None and self.max_files < 1:
            raise UsageError("--max-files must be at least 1")
        if self.performers < 0:
            raise UsageError("--performers must not be negative")
        for name in ("epochs", "seq_len", "batch_size", "patience"):
            if getattr(self, name) < 1:
                raise UsageError(f"--{name.replace('_', '-')} must be at least 1")


@dataclass
class GenerateOptions:
    """How solos are sampled and written (jazz.generate)."""

    n: int = option(1, "how many solos", flag=("-n", "--num-outputs"))
    bars: int = option(32, "bars per solo when no chords are given")
    tempo: float | None = option(None, "beats per minute (default: the tune's, else the model's training median)",
                                 type=float)
    temperature: float = option(TEMPERATURE, "sampling temperature of the pitches; lower is safer")
    rhythm_temperature: float = option(RHYTHM_TEMPERATURE, "sampling temperature of note positions and durations")
    top_p: float = option(TOP_P, "nucleus mass for each pitch, cut inside interval bands (rhythm always uses the "
                                 "whole distribution)")
    banded: bool = option(BANDED, "cut the nucleus over all pitches at once, not inside interval bands (fewer leaps)",
                          flag="--plain-nucleus")
    pitch_memory: float = option(PITCH_MEMORY, "weight of the pitch-class memory of the last 16 notes; 0 for none",
                                 metavar="W")
    motif_memory: float = option(MOTIF_MEMORY, "weight on going on as a figure the solo played before went on "
                                                "(the motif memory); 0 for none", metavar="W")
    seed: int | None = option(None, "random seed: solo i of -n gets seed + i (default: a fresh seed, printed and "
                                    "written into each file)", type=int)
    primer: str | None = option(None, "a MIDI file whose melody the solos continue", type=str, metavar="FILE.mid")
    program: int = option(TENOR_SAX, "General MIDI program of the solo, 0-127 (tenor sax); the model hears it as the "
                                     "instrument")
    style: str | None = option(None, f"the style the model plays in: {', '.join(STYLES)} (default: any)", type=str)
    feel: str = option("swing", f"the rhythm feel: {', '.join(FEELS)}, or none (the notes of the default swing, "
                                "written exactly on the grid: the same notes as --feel swing at the same --seed)")
    like: str | None = option(None, "play like this performer of the model's corpus (its card lists them), e.g. "
                                    '"Charlie Parker"', type=str, metavar="NAME")
    like_strength: float | None = option(None, "how far --like pulls toward the player: 1 as the model learned it, "
                                                "more goes further (guidance on the performer input; default "
                                                f"{LIKE_STRENGTH:g}; docs/evaluation.md measures it)", type=float,
                                         metavar="W")
    meter: str | None = option(None, "time signature, e.g. 4/4 or 3/4 (default 4/4, or the tune's)", type=str)
    force: bool = option(False, "overwrite existing files")
    band: bool = option(True, "write the solo alone (no comping, bass, drums)", flag="--no-band")
    musicxml: bool = option(False, "also write a MusicXML lead sheet per solo")
    transpose: str = option("concert", "write the lead sheet for a Bb, Eb or F instrument (the octave follows "
                                       "--program: a tenor sax reads a major ninth up)",
                            choices=("concert", "Bb", "Eb", "F"))
    score: str | None = option(None, "also render the lead sheet as a page through MuseScore (implies --musicxml)",
                               type=str, choices=("pdf", "png"))
    wav: bool = option(False, "also render each solo with its band to a WAV file (needs FluidSynth and a General "
                              "MIDI SoundFont)")
    soundfont: str | None = option(None, "the SoundFont for --wav (default: a General MIDI one where Linux "
                                         "packages put it); implies --wav", type=str, metavar="FILE.sf2")
    png: bool = option(False, "also draw each solo as a piano roll (PNG) with bar lines and chord symbols")
    progress: bool = False
    title: str = ""
    composer: str = ""  # the tune's, for the lead sheet and the MIDI file
    key: str | None = None  # MIDI key-signature spelling ("F", "Gm"), from a chart
    register: int | None = None  # centre pitch; None: the primer's, else typical for the program

    def heard(self) -> dict[str, str]:
        """The labels the model hears: the style and feel asked for (``none``: swing, whose notes it writes on the
        grid), and the instrument of ``program``."""
        labels = {"style": self.style, "feel": heard_feel(self.feel),
                  "instrument": instrument_of_program(self.program), "performer": self.like}
        return {kind: value for kind, value in labels.items() if value}

    def check(self) -> None:
        if self.n < 1:
            raise UsageError("--num-outputs must be at least 1")
        if self.bars < 1:
            raise UsageError("--bars must be at least 1")
        if self.temperature < 0 or self.rhythm_temperature < 0:
            raise UsageError("--temperature and --rhythm-temperature must not be negative")
        if self.pitch_memory < 0 or self.motif_memory < 0:
            raise UsageError("--pitch-memory and --motif-memory must not be negative")
        if not 0 < self.top_p <= 1:
            raise UsageError("--top-p must be in (0, 1]")
        if self.tempo is not None and not 20 <= self.tempo <= 400:
            raise UsageError("--tempo must be between 20 and 400 beats per minute")
        checked_program(self.program)
        checked_strength(self.like_strength, self.like)
        if self.score:
            self.musicxml = True
        self.style = checked_label("style", self.style)
        self.feel = checked_feel(self.feel)
        if self.soundfont is not None and not Path(self.soundfont).is_file():
            raise UsageError(f"--soundfont {self.soundfont} is not a file")
