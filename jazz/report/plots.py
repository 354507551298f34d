"""Pictures for people: training curves and piano rolls, as PNG (matplotlib, no display needed)."""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from jazz.files import atomic_path  # noqa: E402
from jazz.music.chord_parse import to_chord  # noqa: E402
from jazz.music.chords import ChordError  # noqa: E402
from jazz.music.notes import ChordChange, Solo, change_index  # noqa: E402


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


BARS_PER_ROW = 8  # a row of the piano roll is a line of a lead sheet
COLOURS = {True: "#1f77b4", False: "#ff7f0e", None: "0.45"}  # chord tone, other note, no chord sounding


def plot_piano_roll(solo: Solo, path: Path, title: str = "", bars_per_row: int = BARS_PER_ROW) -> None:
    """The solo as a piano roll (see ``piano_roll``), as a PNG file."""
    _save(piano_roll(solo, title, bars_per_row), path)


def piano_roll(solo: Solo, title: str = "", bars_per_row: int = BARS_PER_ROW):
    """A figure of the solo, ``bars_per_row`` bars to a row like a lead sheet: notes as bars on a pitch/time
    grid (blue: a tone of the sounding chord, orange: another note, darker: louder), bar lines and numbers,
    and the chord symbols above the bars."""
    rows = [(i, solo.bars[i:i + bars_per_row]) for i in range(0, len(solo.bars), bars_per_row)]
    pitches = [n.pitch for n in solo.notes] or [60]
    low, high = min(pitches) - 2, max(pitches) + 2
    width = max((sum(b.length(solo.grid) for b in row) for _, row in rows), default=solo.grid) / solo.grid
    figure, axes = plt.subplots(max(len(rows), 1), 1, figsize=(12, 0.8 + 2.0 * max(len(rows), 1)), squeeze=False)
    for axis, (first, row) in zip(axes[:, 0], rows):
        _draw_row(axis, solo, first, row, (low, high), width)
    axes[0, 0].set_title(title or solo.name, pad=18, loc="left")
    handles = [matplotlib.patches.Patch(color=COLOURS[k], label=text) for k, text in
               ((True, "chord tone"), (False, "other note"))] if solo.chords else []
    if handles:
        axes[0, 0].legend(handles=handles, loc="lower right", bbox_to_anchor=(1.0, 1.08), ncol=2, fontsize=8,
                          frameon=False)
    figure.tight_layout()
    return figure


def _draw_row(axis, solo: Solo, first: int, row: list, pitches: tuple[int, int], width: float) -> None:
    """One row of bars: its notes, bar and beat lines, C lines, bar numbers and chord symbols."""
    beat, start = solo.grid, row[0].start
    end = row[-1].start + row[-1].length(beat)
    onsets = [c.onset for c in solo.chords]
    for note in solo.notes:
        if note.end > start and note.onset < end:
            sounding = change_index(onsets, note.onset)
            tones = _chord_tones(solo.chords[sounding].symbol) if sounding >= 0 else None
            colour = COLOURS[None if not tones else note.pitch % 12 in tones]
            axis.add_patch(matplotlib.patches.Rectangle(
                ((note.onset - start) / beat, note.pitch - 0.45), note.duration / beat, 0.9, lw=0, color=colour,
                alpha=0.35 + 0.65 * note.velocity / 127))
    for step in range(start, end + 1, beat):
        axis.axvline((step - start) / beat, color="0.92", lw=0.5, zorder=0)
    for number, bar in enumerate(row, start=first + 1):
        axis.axvline((bar.start - start) / beat, color="0.35", lw=0.9, zorder=1)
        axis.text((bar.start - start) / beat + 0.08, 0.03, str(number), transform=axis.get_xaxis_transform(),
                  fontsize=6, color="0.5")
    axis.axvline((end - start) / beat, color="0.35", lw=0.9)
    _chord_symbols(axis, solo, start, end)
    low, high = pitches
    axis.set_yticks([p for p in range(low, high + 1) if p % 12 == 0])
    axis.set_yticklabels([f"C{p // 12 - 1}" for p in range(low, high + 1) if p % 12 == 0], fontsize=7)
    axis.grid(axis="y", color="0.85", lw=0.5)
    axis.set_xticks([(bar.start - start) / beat for bar in row] + [(end - start) / beat], labels=[])
    axis.set_xlim(0, width)
    axis.set_ylim(low, high)


def _chord_symbols(axis, solo: Solo, start: int, end: int) -> None:
    """Above the row: the chord sounding where it begins, then each change to another chord inside it."""
    sounding = [ChordChange(start, c.symbol) for c in solo.chords if c.onset <= start][-1:]
    last = None
    for change in sounding + [c for c in solo.chords if start < c.onset < end]:
        if change.symbol != last:
            axis.text((change.onset - start) / solo.grid + 0.05, 1.02, change.symbol, fontsize=8.5, ha="left",
                      va="bottom", fontweight="bold", transform=axis.get_xaxis_transform())
        last = change.symbol


@lru_cache(maxsize=None)
def _chord_tones(symbol: str) -> frozenset[int]:
    """The pitch classes of a chord symbol (empty for N.C. or a symbol that does not parse)."""
    try:
        return to_chord(symbol).pitch_classes
    except ChordError:
        return frozenset()


def read_history(path: Path) -> list[dict[str, float]]:
    """The rows of a CSVLogger file as floats ([] if there is none)."""
    try:
        with open(path, newline="") as handle:
            return [{k: float(v) for k, v in row.items() if v not in ("", None)} for row in csv.DictReader(handle)]
    except (OSError, ValueError):
        return []
