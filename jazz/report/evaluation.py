"""The evaluation for people: the terminal table and the PNG plots of ``jazz evaluate``."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from jazz.files import atomic_path
from jazz.measure.stats import STAT_KEYS, median
from jazz.measure.twosample import MIN_NOTES, TEST_BARS, TOLERANCE
from jazz.music.notes import Solo
from jazz.report.plots import plot_history, plot_piano_roll, read_history

MAX_BARS = 32  # bars of each real solo that generation follows (as jazz.measure.evaluate)
TUNE_SOLOS = 8


def _number(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def format_report(result: dict) -> str:
    """The result as a table for the terminal."""
    order = result["ngram_order"]
    bpn, bpt = result["bits_per_note"], result["bits_per_token"]
    lines = [
        _split_line(result.get("split")),
        f"{result['solos']} solos, {result['notes']} notes, {result['tokens']} tokens scored "
        "(the register input: what generation is given, the instrument's centre, never the solo's own median)",
        f"{'':<16}{'model':>10}{f'n-gram ({order})' if order else 'n-gram':>14}",
        f"{'bits per note':<16}{_number(bpn['model']):>10}{_number(bpn['ngram']):>14}",
        f"{'bits per token':<16}{_number(bpt['model']):>10}{_number(bpt['ngram']):>14}",
    ]
    if "bits_per_beat" in result:
        bpb, parts = result["bits_per_beat"], result["bits_per_note_parts"]
        lines += [
            f"{'bits per beat':<16}{_number(bpb['model']):>10}{_number(bpb['ngram']):>14}",
            "bits per note by part: " + ", ".join(f"{key} {value:.3f}" for key, value in parts.items()),
            f"pitch + duration given position: {result['bits_per_note_pitch_duration']:.3f} bits per note",
        ]
    if result["improvement_over_ngram"] is not None:
        change = result["improvement_over_ngram"]
        lines.append(f"the model needs {abs(change):.1%} {'fewer' if change >= 0 else 'more'} bits than the n-gram")
    lines.append(f"n-gram baseline: {result['baseline_data']}")
    if result["solos_in_training_split"]:
        lines.append(f"note: {result['solos_in_training_split']} of these solos were in the model's training split")
    lines += ["", "teacher-forced (true context), share of notes:", f"{'':<28}{'model':>12}{'real':>12}"]
    lines += [f"{key:<28}{_number(row['model']):>12}{_number(row['real']):>12}"
              for key, row in result["calibration"].items()]
    lines += ["", f"{'statistic':<28}{'real median':>12}{'generated':>12}{'in real 5-95%':>15}"]
    for key, row in result["stats"].items():
        share = "-" if row["in_range"] is None else f"{row['in_range']:.0%}"
        lines.append(f"{key:<28}{_number(row['real_median']):>12}{_number(row['generated_median']):>12}{share:>15}")
    lines.append(f"({result['generated']} generated solos over the first {MAX_BARS} bars of the real ones)")
    if result.get("tunes"):
        lines += ["", f"chord-tone share on beats, median of {TUNE_SOLOS} solos of {MAX_BARS} bars per built-in tune:"]
        lines += [f"  {name:<26}{_number(share):>8}" for name, share in result["tunes"].items()]
        every = [v for v in result["tunes"].values() if v is not None]
        lines.append(f"  {'median over the tunes':<26}{_number(median(every)):>8}")
    if result.get("two_sample"):
        lines += ["", *format_two_sample(result["two_sample"], result.get("sampling", {}))]
    if result.get("tempo_bands"):
        pooled = _pooled(result.get("two_sample"))
        lines += ["", "by tempo band (slow: under 140 bpm, medium: 140-220, fast: 220 and over), the same solos"
                      f"{pooled}:",
                  *format_breakdown(result["tempo_bands"])]
    if result.get("following"):
        lines += ["", *format_following(result["following"], _pooled(result.get("two_sample")))]
    if result.get("styles"):
        lines += ["", "by style (as the corpus labels the solos), the same solos:", *format_breakdown(result["styles"])]
    if "copying" in result and result["copying"] is None:
        lines += ["", "copying: not measured, since the model's training solos were not found "
                      "(name them with --baseline)"]
    if result.get("copying"):
        found = result["copying"]
        lines += ["", (f"copying: the longest stretch found verbatim (intervals and onset gaps, any key) in one of "
                       f"{found['training_solos']} training solos"),
                  (f"  generated: median {found['generated_median']:g} notes, at most {found['generated_max']}; "
                   f"real held-out solos: median {found['real_median']:g}, at most {found['real_max']}")]
    return "\n".join(lines)


def _split_line(split: dict | None) -> str:
    if split is None:
        return "solos: every one under the given folders"
    return f"solos: the {split['name']} split ({split['found']} of its {split['named']} solos found)"


def format_breakdown(rows: dict[str, dict]) -> list[str]:
    """A table of real against generated rhythm figures and the two-sample accuracy, one row per band or style."""
    head = f"  {'':<14}{'solos':>6}{'notes/beat':>16}{'fast gaps':>14}{'8th ratio':>14}{'accuracy':>10}{'silent':>13}"
    lines = [head, f"  {'':<20}{'real   gen':>16}{'real   gen':>14}{'real   gen':>14}{'':>10}{'real   gen':>13}"]
    for name, row in rows.items():
        pairs = [f"{_number(row[key]['real'], 2):>6}{_number(row[key]['generated'], 2):>6}"
                 for key in ("notes_per_beat", "fast_gap_share", "eighth_ratio")]
        silent = row["silent_share"]
        lines.append(f"  {name:<14}{row['solos']:>6}{pairs[0]:>16}{pairs[1]:>14}{pairs[2]:>14}"
                     f"{_number(row['accuracy']):>10}{_number(silent['real'], 2):>7}{_number(silent['generated'], 2):>6}")
    pairs = ", ".join(f"{name} {row['eighth_pairs']['real']}/{row['eighth_pairs']['generated']}" for name, row in rows.items()
                      if "eighth_pairs" in row)
    lines += [f"  eighth pairs behind each 8th ratio (real/generated): {pairs}"] if pairs else []
    return lines + [f"  (fast gaps: share of inter-onset intervals of at most 1/3 beat; 8th ratio: median beat-upbeat "
                    "ratio of eighth pairs as played, real from the onsets the files carry ('-': none), generated as "
                    f"`jazz generate` plays them; silent: share of windows with under {MIN_NOTES} notes)"]


def format_following(figures: dict, pooled: str = "") -> list[str]:
    """Solo by solo (jazz.measure.following): how the generated density follows each real solo and the tempo."""
    correlation, slope = figures["correlation"], figures["tempo_slope"]
    return [f"solo by solo, the same {figures['solos']} solos and the solos generated over them{pooled}:",
            (f"  correlation of real and generated: notes per beat {_number(correlation['notes_per_beat'], 2)}, "
             f"fast-gap share {_number(correlation['fast_gap_share'], 2)}"),
            (f"  notes per beat per doubling of tempo: real {_number(slope['real'], 2)}, "
             f"generated {_number(slope['generated'], 2)}")]


def format_two_sample(test: dict, sampling: dict) -> list[str]:
    """The two-sample test's lines of the report: accuracy, giveaways and targets."""
    lines = [(f"two-sample test: {test['window_bars']}-bar windows of the real solos against solos generated over "
              f"their changes and tempo, in their instrument's register (first {TEST_BARS} bars)")]
    if sampling:
        lines.append("  sampling: " + ", ".join(f"{key.replace('_', ' ')} {value}" for key, value in sampling.items()))
    if test["accuracy"] is None:
        return lines + [f"  too few windows to test ({test['windows']} from {test['solos']} solos)"]
    low, high = test["interval"]
    silent = test.get("silent_share") or {}
    lines += [(f"  a classifier tells them apart {test['accuracy']:.3f} of the time "
               f"(95% interval {low:.3f}-{high:.3f}; 0.5: indistinguishable)"),
              (f"  {test['windows'] // 2} windows of each side from {test['solos']} solos, {test['folds']} folds "
               "grouped by solo" + _draws(test)),
              (f"  near-silent windows (under {MIN_NOTES} notes, kept in the test): real {_number(silent.get('real'), 2)}, "
               f"generated {_number(silent.get('generated'), 2)}"),
              f"  {'giveaway':<28}{'real':>10}{'generated':>12}{'effect':>9}"]
    lines += [f"  {key:<28}{row['real']:>10.3f}{row['generated']:>12.3f}{row['effect']:>+9.2f}"
              for key, row in test["giveaways"].items()]
    heading = f"target (within {TOLERANCE:.0%} of real)"
    lines.append(f"  {heading:<28}{'real':>10}{'generated':>12}{'change':>9}")
    lines += [f"  {key:<28}{_number(row['real']):>10}{_number(row['generated']):>12}{_percent(row['relative']):>9}"
              f"{'  met' if row['met'] else ''}" for key, row in test["targets"].items()]
    return lines


def _draws(test: dict) -> str:
    """How many draws of generated solos the test pooled, and each one's accuracy (nothing for one draw)."""
    accuracies = test.get("by_draw") or []
    if len(accuracies) < 2:
        return ""
    return f"; {len(accuracies)} draws over each solo, each on its own " + " ".join(f"{a:.3f}" for a in accuracies)


def _pooled(test: dict | None) -> str:
    """Where the generated side pools several draws, a few words saying so."""
    draws = (test or {}).get("draws", 1)
    return f" (generated: {draws} draws pooled)" if draws > 1 else ""


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:+.0%}"


def write_plots(folder: Path, history: Path, real: list[dict], generated: list[dict], example: Solo) -> None:
    """stats.png (histograms), piano_roll.png (a generated solo) and curves.png (if the model has a history)."""

    plot_stat_histograms(real, generated, folder / "stats.png")
    plot_piano_roll(example, folder / "piano_roll.png", title=example.name)
    rows = read_history(history)
    if rows:
        plot_history(rows, folder / "curves.png")


def plot_stat_histograms(real: list[dict], generated: list[dict], path: Path) -> None:
    """One histogram per statistic, real and generated solos overlaid (each normalized to its own count)."""
    import matplotlib.pyplot as plt

    import jazz.report.plots  # noqa: F401  (chooses the Agg backend: no display needed)

    columns = 4
    rows = math.ceil(len(STAT_KEYS) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(4 * columns, 2.8 * rows))
    for axis, key in zip(axes.flat, STAT_KEYS):
        ours = [s[key] for s in real if s.get(key) is not None]
        theirs = [s[key] for s in generated if s.get(key) is not None]
        axis.set_title(key.replace("_", " "), fontsize=9)
        if not ours and not theirs:
            axis.text(0.5, 0.5, "no values", ha="center", va="center", transform=axis.transAxes)
            axis.axis("off")
            continue
        edges = np.histogram_bin_edges(ours + theirs, bins=15)
        for values, label in ((ours, "real"), (theirs, "generated")):
            if values:
                axis.hist(values, bins=edges, alpha=0.55, label=label, weights=np.full(len(values), 1 / len(values)))
        axis.tick_params(labelsize=7)
    for axis in list(axes.flat)[len(STAT_KEYS):]:
        axis.axis("off")
    axes.flat[0].legend(fontsize=8)
    figure.tight_layout()
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=100)
    plt.close(figure)
