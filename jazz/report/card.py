"""The model card: what a trained model is, what it learnt from, and how well it did."""

from __future__ import annotations

import shlex
from pathlib import Path

from jazz.files import atomic_write_text

WEIMAR_ATTRIBUTION = (
    "Trained on solos of the **Weimar Jazz Database** (WJazzD), licensed under the Open Database License "
    "(ODbL 1.0). Pfleiderer, M., Frieler, K., Abeßer, J., Zaddach, W.-G., Burkhart, B. (Eds.) (2017). "
    "*Inside the Jazzomat — New Perspectives for Jazz Research.* Schott Campus. "
    "Data: the Weimar Jazz Database, https://jazzomat.hfm-weimar.de/ . "
    "This model is a Produced Work of that database."
)


def uses_weimar(corpus: list[str], solo_names: list[str]) -> bool:
    """Whether the training data looks like the Weimar Jazz Database (its folders or file names)."""
    text = " ".join(corpus).lower()
    return "wjazzd" in text or "weimar" in text or any(n.endswith("_FINAL") for n in solo_names)


def data_description(corpus: list[str], solo_names: list[str]) -> str:
    """The training data named by what it is, not by the folders of the machine that trained on it."""
    if uses_weimar(corpus, solo_names):
        return "the beat-aligned import of the Weimar Jazz Database (`jazz import-weimar`)"
    return ", ".join(f"`{Path(p).name or p}`" for p in corpus) or "n/a"


def rerunnable(command: str, root: Path | None = None) -> str:
    """A command line that a reader can run again: each path in it relative to ``root`` (the project folder the
    command was run in; default the current folder), and a path outside it named as what it is
    (``path/to/NAME``), never cut to a bare name that would point at the wrong folder."""
    root = (root or Path.cwd()).resolve()

    def local(word: str) -> str:
        if not word.startswith(("/", "~", "./", "../")) or word.startswith("//"):
            return word  # an option, a value or a path already relative to the project
        path = Path(word).expanduser()
        path = (path if path.is_absolute() else root / path).resolve()
        try:
            return str(path.relative_to(root)) if path != root else "."
        except ValueError:
            return f"path/to/{path.name}"

    try:
        words = shlex.split(command)
    except ValueError:
        return command
    return shlex.join(local(w) for w in words)


def _fmt(value, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def card_text(config: dict, parameters: int) -> str:
    model, train, result = config["model"], config["train"], config.get("result", {})
    split = config.get("split", {})
    names = split.get("train", []) + split.get("validation", [])
    base = config.get("base_model") or {}
    weimar = uses_weimar(train.get("corpus", []), names) or base.get("weimar")
    licence = WEIMAR_ATTRIBUTION if weimar else (
        "The training files were supplied by the user; check their licence before sharing this model.")
    lines = [
        f"# jazz model card: {model['cell']} × {model['layers']} layers of {model['hidden']} units",
        "",
        "A token-level recurrent model of monophonic jazz solos (jazz.model.tokens vocabulary), sampled by `jazz generate`.",
        "",
        "## Data",
        f"- Corpus: {data_description(train.get('corpus', []), names)}",
        f"- Solos: {result.get('train_solos', len(split.get('train', [])))} for training, "
        f"{result.get('val_solos', len(split.get('validation', [])))} held out for validation (split by solo, seed {train['seed']})",
        f"- Training notes: {result.get('train_notes', 'n/a')}; chords as input: {'yes' if model.get('condition') else 'no'}",
        f"- What the model hears besides the notes and chords: {_heard(model, config.get('labels') or {})}",
        f"- Augmentation: {'random transposition of every solo, every epoch' if train.get('augment') else 'none'}",
    ] + ([f"- Fine-tuned from: {_base_line(base)}"] if base else []) + [
        "",
        "## Licence and attribution",
        licence,
        "",
        "## Model",
        f"- Cell: `{model['cell']}`, layers: {model['layers']}, units: {model['hidden']}, embedding: {model['embedding']}, "
        f"dropout: {model['dropout']}, condition features: {model.get('condition', 0)}, "
        f"skip paths to the output: {_skips(model)}",
        f"- Parameters: {parameters:,}; vocabulary: {model['vocab_size']} tokens",
        f"- Training: {train['epochs']} epochs max (early stopping patience {train['patience']}"
        + (f", time budget {train['max_minutes']} min" if train.get("max_minutes") else "") + "), sequence length "
        f"{train['seq_len']}, batch {train['batch_size']}, Adam lr {train['lr']}, gradient clip norm {train['clipnorm']}",
        _distribution(config.get("distribution")),
        "",
        "## Results",
        f"- Epochs run: {result.get('epochs_run', 'n/a')}, {_kept(result)}",
        f"- Training loss: {_fmt(result.get('train_bits_per_note'))} bits per note",
        f"- Validation loss: {_fmt(result.get('val_bits_per_note'))} bits per note "
        f"({_fmt(result.get('val_bits_per_token'))} bits per token)" + (
            f"; the base model scored {_fmt(base['start_val_bits_per_note'])} on these solos before fine-tuning"
            if "start_val_bits_per_note" in base else "") + (f" (validation: {base['validation']})"
                                                             if base.get("validation") else ""),
        f"- Training time: {_fmt(result.get('train_seconds'), 1)} s on {result.get('hardware') or 'unrecorded hardware'}",
        "",
        "## How it was made",
        "```",
        rerunnable(train.get("command") or "n/a"),
        "```",
    ]
    for title, body in config.get("card_sections", {}).items():
        lines += ["", f"## {title}", body]
    return "\n".join(lines) + "\n"


def _distribution(spread: dict | None) -> str:
    """The card's line on devices and replicas."""
    if not spread or spread.get("replicas", 1) == 1 and spread.get("workers", 1) == 1:
        return "- Devices: one (no distribution)"
    return (f"- Distribution: {spread['replicas']} replicas over {spread['workers']} "
            f"worker{'s' * (spread['workers'] > 1)} with `{spread['engine']}`; "
            f"global batch {spread['global_batch']} ({spread['per_replica_batch']} per replica); "
            f"learning rate {spread['learning_rate']}")


def _base_line(base: dict) -> str:
    """The base model of a fine-tune: its folder's name and what it was trained on."""
    data = f"{base.get('train_solos', 'n/a')} solos, {base.get('train_notes') or 'n/a'} notes"
    corpus = ", ".join(base.get("corpus", [])) or "an unrecorded corpus"
    score = f"; {_fmt(base.get('val_bits_per_note'))} bits per note on its validation solos"
    return f"`{base.get('name', '?')}` ({data} of {corpus}{score if base.get('val_bits_per_note') else ''})"


def _heard(model: dict, labels: dict) -> str:
    """The context a model plays from: the tempo and which labels, with how many training solos had them."""
    if not model.get("context"):
        return "nothing else (no tempo, style, feel or instrument)"
    kinds = "; ".join(f"{kind} ({', '.join(values)})" for kind, values in labels.get("vocabularies", {}).items()
                      if kind != "performer")
    told = labels.get("labelled_solos")
    source = f" ({told} of the corpus's solos had labels; unknown for the rest)" if told is not None else ""
    held = labels.get("test_split_left_out")
    test = (f". {'One solo' if held == 1 else f'The {held} solos'} of the fixed test split "
            f"{'was' if held == 1 else 'were'} left out of training and validation") if held else ""
    return (f"the tempo at every step (from the tempo map, on a log scale), and each solo's {kinds or 'labels'}"
            f"{source}; generation names them with --tempo, --style, --feel and --program{test}"
            + _performers(labels.get("performer_solos") or {}))


def _performers(solos: dict[str, int]) -> str:
    """The players a model knows (--like), with how many solos of each it trained on."""
    if not solos:
        return ""
    named = ", ".join(f"{name} ({count} solos)" for name, count in solos.items())
    return f". It also hears who plays, and `jazz generate --like NAME` names one of its {len(solos)} performers: {named}"


def _skips(model: dict) -> str:
    paths = ["last pitch"] * bool(model.get("skip")) + ["chords"] * bool(model.get("skip") and model.get("condition"))
    paths += ["last interval"] * bool(model.get("intervals")) + ["register"] * bool(model.get("register"))
    paths += ["motif echoes"] * bool(model.get("echo"))
    return ", ".join(paths) or "none"


def write_card(out: Path, config: dict, parameters: int) -> None:
    atomic_write_text(out / "card.md", card_text(config, parameters))


def add_card_section(folder: Path, parameters: int, title: str, body: str) -> None:
    """Add (or replace) a section of a model folder's card, keeping it in config.json too."""
    import json

    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    config.setdefault("card_sections", {})[title] = body
    atomic_write_text(folder / "config.json", json.dumps(config, indent=1))
    write_card(folder, config, parameters)


def _kept(result: dict) -> str:
    """Which epoch's weights the model holds."""
    epoch = result.get("best_epoch", "n/a")
    if result.get("kept") == "last":
        return f"kept epoch: {epoch}, the last (--keep last: the validation loss was not the guide)"
    return f"best epoch: {epoch}"
