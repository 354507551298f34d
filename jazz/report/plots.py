"""Pictures for people: training curves and piano rolls, as PNG (matplotlib, no display needed)."""

from __future__ import annotations

import csv
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from jazz.files import atomic_path  # noqa: E402
from jazz.music.notes import Solo  # noqa: E402


def _save(figure, path: Path) -> None:
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)


def plot_history(rows: list[dict], path: Path, unit: str = "note") -> None:
    """Training and validation loss in bits per ``unit`` (the logs' bits_per_<unit> columns) against epochs."""
    figure, axis = plt.subplots(figsize=(7, 4))
    epochs = [int(r.get("epoch", i)) + 1 for i, r in enumerate(rows)]
    for key, label in ((f"bits_per_{unit}", "training"), (f"val_bits_per_{unit}", "validation")):
        values = [r.get(key) for r in rows]
        if any(v is not None for v in values):
            axis.plot(epochs, values, marker="o", label=label)
    axis.set_xlabel("epoch")
    axis.set_ylabel(f"loss (bits per {unit})")
    axis.set_title("Training curves")
    axis.grid(alpha=0.3)
    axis.legend()
    _save(figure, path)


def plot_piano_roll(solo: Solo, path: Path, title: str = "") -> None:
    """The solo's notes as bars on a pitch/time grid, with bar lines and chord symbols."""
    figure, axis = plt.subplots(figsize=(max(8, len(solo.bars) * 0.6), 4))
    beat = solo.grid
    for note in solo.notes:
        axis.add_patch(matplotlib.patches.Rectangle((note.onset / beat, note.pitch - 0.4), note.duration / beat, 0.8,
                                                    color=plt.cm.viridis(note.velocity / 127)))
    pitches = [n.pitch for n in solo.notes] or [60]
    low, high = min(pitches) - 3, max(pitches) + 3
    for bar in solo.bars:
        axis.axvline(bar.start / beat, color="0.8", lw=0.6)
    for change in solo.chords:
        axis.text(change.onset / beat, high + 0.5, change.symbol, fontsize=7, rotation=30)
    axis.set_xlim(0, max(solo.total_steps / beat, 1))
    axis.set_ylim(low, high + 3)
    axis.set_xlabel("beats")
    axis.set_ylabel("MIDI pitch")
    axis.set_title(title or solo.name)
    _save(figure, path)


def read_history(path: Path) -> list[dict[str, float]]:
    """The rows of a CSVLogger file as floats ([] if there is none)."""
    try:
        with open(path, newline="") as handle:
            return [{k: float(v) for k, v in row.items() if v not in ("", None)} for row in csv.DictReader(handle)]
    except (OSError, ValueError):
        return []
