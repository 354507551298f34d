"""`jazz evaluate`: how well a model predicts held-out solos, against an n-gram baseline, and how its solos
compare with real ones over the same chord changes.

Three measurements on the solos under ``paths``:

1. **Likelihood.** Every solo is tokenized as for training (no transposition) and run through the model
   whole (a few solos of similar length per call, padded at the end); every token after ``<bos>`` is scored
   once. Reported in bits per token and bits per note. The same pass measures calibration: how much
   probability the model gives, with the true context, to four melodic events against how often the
   soloists play them (``melodic_expectations``). A model with a register path is told each solo's median
   pitch, one number per solo that the n-gram does not get.
2. **Baseline.** An interpolated Kneser–Ney n-gram (jazz.measure.ngram) trained on the model's own training solos
   (``config.json`` ``split.train``, looked up in ``paths`` and in the training corpus), its order chosen on
   a tenth of them, scored on the same tokens. Without those solos, each evaluated solo is scored by an
   n-gram fitted on the other folds of the evaluated solos (cross-fitting); ``baseline_data`` says which.
3. **Music.** ``n`` solos sampled over the first ``MAX_BARS`` bars of real solos (their meters and, for a
   chord-aware model, their chords, and for a model with a register path, their median pitch), compared
   statistic by statistic (jazz.measure.stats) with those real bars.
   A chord-aware model also plays ``TUNE_SOLOS`` solos of ``MAX_BARS`` bars over each built-in tune
   (jazz.music.tunes); their chord-tone share on beats is reported per tune.
"""

from __future__ import annotations

import json
import math
import random
from bisect import bisect_right
from collections import Counter
from dataclasses import replace
from pathlib import Path

import keras
import numpy as np

from jazz.files import UsageError, atomic_path, atomic_write_text
from jazz.measure.ngram import NGram, choose_order
from jazz.measure.stats import (
    STAT_KEYS,
    chord_pitch_classes,
    compare,
    median,
    solo_stats,
)
from jazz.midi.corpus import load_corpus
from jazz.model.bundle import Bundle
from jazz.model.features import model_inputs, pitch_memory, solo_centre, token_times
from jazz.model.motifs import ECHO_ORDERS, echo_inputs
from jazz.model.sample import Sampler, sample
from jazz.model.tokens import TokenError, Tokenizer
from jazz.model.train import split_by_solo
from jazz.music.notes import Solo
from jazz.progress import Progress
from jazz.settings import TOP_P

LN2 = math.log(2.0)
MAX_BARS = 32  # bars of each real solo that generation follows (and the statistics see)
NGRAM_ORDERS = range(1, 9)
FOLDS = 5
SCORE_BATCH = 16  # solos per forward call when scoring
TUNE_SOLOS = 8  # solos per built-in tune


# -- the solos -------------------------------------------------------------------------------------

def load_solos(paths: list, tokenizer: Tokenizer, progress: bool = False) -> list[Solo]:
    """The solos under ``paths`` that have notes and fit the tokenizer."""
    corpus = load_corpus(paths, grid=tokenizer.grid, progress=progress)
    if not corpus.reports:
        raise UsageError(f"no .mid or .midi files in {', '.join(map(str, paths))}")
    solos = [s for s in corpus.solos if s.notes and _encodable(tokenizer, s)]
    if not solos:
        raise UsageError(f"none of the {len(corpus.reports)} MIDI files has a solo this model can read")
    return solos


def _encodable(tokenizer: Tokenizer, solo: Solo) -> bool:
    try:
        tokenizer.encode(solo)
    except TokenError:
        return False
    return True


def first_bars(solo: Solo, bars: int = MAX_BARS) -> Solo:
    """The solo's first ``bars`` bars (notes cut at the end, later chords dropped)."""
    if len(solo.bars) <= bars:
        return solo
    end = solo.bars[bars].start
    notes = [n._replace(duration=min(n.duration, end - n.onset)) for n in solo.notes if n.onset < end]
    return replace(solo, notes=notes, bars=solo.bars[:bars], chords=[c for c in solo.chords if c.onset < end])


# -- likelihood ------------------------------------------------------------------------------------

def encode(bundle: Bundle, solo: Solo) -> dict[str, np.ndarray]:
    """The model's inputs for ``solo`` as in training (no transposition), by input name."""
    return model_inputs(bundle.tokenizer, solo, bundle.model_config)


def forward_function(model: keras.Model):
    """The model's forward pass; on TensorFlow a graph traced once for every batch size and length."""
    def forward(inputs):
        return model(inputs, training=False)

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return tf.function(forward, reduce_retracing=True)
    return forward


def batch_logits(forward, encoded: list[dict[str, np.ndarray]]) -> list[np.ndarray]:
    """Each sequence's logits (float64, one row per token but the last), from one forward call.

    Shorter sequences are padded at the end; the network is causal, so padding never changes a real step.
    """
    length = max(len(e["tokens"]) for e in encoded)
    inputs = {}
    for name, first in encoded[0].items():
        dtype = "float32" if first.dtype.kind == "f" else "int32"
        batch = np.zeros((len(encoded), length, *first.shape[1:]), dtype=dtype)
        for row, e in enumerate(encoded):
            batch[row, :len(e[name])] = e[name]
        inputs[name] = batch
    logits = keras.ops.convert_to_numpy(forward(inputs if len(inputs) > 1 else inputs["tokens"]))
    return [logits[row, :len(e["tokens"]) - 1].astype(np.float64) for row, e in enumerate(encoded)]


def batch_nats(forward, encoded: list[dict[str, np.ndarray]]) -> list[float]:
    """Negative log-likelihood (nats) of each sequence's tokens after the first, in one forward call."""
    return [_nats(logits, e["tokens"][1:]) for logits, e in zip(batch_logits(forward, encoded), encoded)]


def _nats(logits: np.ndarray, targets: np.ndarray) -> float:
    top = logits.max(axis=-1, keepdims=True)
    log_z = top[:, 0] + np.log(np.exp(logits - top).sum(axis=-1))
    return float((log_z - logits[np.arange(len(targets)), targets.astype(np.int64)]).sum())


def model_likelihood(bundle: Bundle, solos: list[Solo], progress: bool = False) -> tuple[float, dict]:
    """Total negative log-likelihood in nats of all the solos under the model (batched by similar length),
    and the teacher-forced calibration of four melodic events (see ``melodic_expectations``)."""
    forward = forward_function(bundle.model)
    encoded = [encode(bundle, s) for s in solos]
    order = sorted(range(len(solos)), key=lambda i: len(encoded[i]["tokens"]))
    total, sums = 0.0, {key: np.zeros(3) for key in CALIBRATION_KEYS}
    bar = Progress("scoring solos with the model", len(solos), enabled=progress)
    for start in range(0, len(order), SCORE_BATCH):
        rows = order[start:start + SCORE_BATCH]
        for i, logits in zip(rows, batch_logits(forward, [encoded[i] for i in rows])):
            total += _nats(logits, encoded[i]["tokens"][1:])
            for key, values in melodic_expectations(bundle.tokenizer, solos[i], encoded[i]["tokens"], logits).items():
                sums[key] += values
        bar.update(min(start + SCORE_BATCH, len(order)))
    bar.close()
    calibration = {key: {"model": s[0] / s[2] if s[2] else None, "real": s[1] / s[2] if s[2] else None}
                   for key, s in sums.items()}
    return total, calibration


CALIBRATION_KEYS = ("repeated_pitch", "chord_tone_on_beats", "interval_continued", "motif_echoed")


def melodic_expectations(tok: Tokenizer, solo: Solo, ids: np.ndarray, logits: np.ndarray) -> dict:
    """Per event, [the model's expected count, the real count, the chances] over the solo's notes, with the
    true context (teacher forcing): the next pitch repeats the last one; an on-beat note under a chord is a
    chord tone; the last interval (not a repeat) is played again; the last three intervals continue as they
    did the latest time they were played (jazz.model.motifs, order 3). The model's probabilities are its
    pitch-token probabilities renormalized over the pitches."""
    first = tok.first("pitch")
    count = tok.high - tok.low + 1
    steps = np.flatnonzero((ids[1:] >= first) & (ids[1:] < first + count))  # predictions of a pitch
    pitch_logits = logits[steps, first:first + count]
    probs = np.exp(pitch_logits - pitch_logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    played = ids[steps + 1] - first  # pitch index of each note
    latest, before = pitch_memory(tok, ids)
    echoes = echo_inputs(tok.pitch_slots[ids])[:, ECHO_ORDERS.index(3)]
    offset = tok.pitch_slots[first]  # pitch index = slot - offset
    out = {key: np.zeros(3) for key in CALIBRATION_KEYS}
    times = token_times(tok, ids)
    changes = sorted(solo.chords, key=lambda c: c.onset)
    onsets = [c.onset for c in changes]
    for row, (t, note) in enumerate(zip(steps, played)):
        last, prev = latest[t] - offset, before[t] - offset
        if latest[t]:
            out["repeated_pitch"] += (probs[row, last], note == last, 1)
        if latest[t] and before[t] and last != prev and 0 <= 2 * last - prev < count:
            out["interval_continued"] += (probs[row, 2 * last - prev], note == 2 * last - prev, 1)
        echo = echoes[t] - offset
        if echoes[t] and 0 <= echo < count:
            out["motif_echoed"] += (probs[row, echo], note == echo, 1)
        onset = int(times[t])
        if changes and (onset - solo.bars[solo.bar_index(onset)].start) % tok.grid == 0:
            index = bisect_right(onsets, onset) - 1
            tones = chord_pitch_classes(changes[index].symbol) if index >= 0 else frozenset()
            if tones:
                member = np.isin((tok.low + np.arange(count)) % 12, list(tones))
                out["chord_tone_on_beats"] += (probs[row, member].sum(), member[note], 1)
    return out


# -- the n-gram baseline ---------------------------------------------------------------------------

def training_solos(bundle: Bundle, solos: list[Solo], progress: bool = False) -> tuple[list[Solo], int]:
    """The model's training solos found among ``solos`` or in its training corpus; and how many it names."""
    names = list((bundle.config.get("split") or {}).get("train") or [])
    wanted = set(names)
    found = {s.name: s for s in solos if s.name in wanted}
    missing = wanted - set(found)
    corpus = [p for p in (bundle.config.get("train") or {}).get("corpus") or [] if Path(p).exists()]
    if missing and corpus:
        for solo in load_corpus(corpus, grid=bundle.tokenizer.grid, progress=progress).solos:
            if solo.name in missing and solo.notes and _encodable(bundle.tokenizer, solo):
                found.setdefault(solo.name, solo)
    return [found[name] for name in dict.fromkeys(names) if name in found], len(names)


def fit_ngram(tokenizer: Tokenizer, train: list[Solo], seed: int) -> tuple[NGram, dict[int, float]]:
    """An n-gram of the order that does best on a tenth of ``train``, refitted on all of it."""
    fit_part, val_part = split_by_solo(train, 0.1, seed)
    encode = tokenizer.encode
    best, bits = choose_order([encode(s) for s in fit_part], [encode(s) for s in val_part], NGRAM_ORDERS,
                              tokenizer.size)
    return NGram(best, tokenizer.size).fit([encode(s) for s in train]), bits


def ngram_baseline(bundle: Bundle, solos: list[Solo], seed: int, progress: bool = False) -> dict:
    """Negative log-likelihood (nats) of ``solos`` under the n-gram, its order, and what it was trained on."""
    tok = bundle.tokenizer
    train, named = training_solos(bundle, solos, progress)
    if len(train) >= 2:
        model, bits = fit_ngram(tok, train, seed)
        nats = -model.token_logprobs([tok.encode(s) for s in solos]).sum()
        data = f"the model's training split ({len(train)} of its {named} training solos found)"
        return {"nats": float(nats), "order": model.order, "validation_bits": bits, "data": data}
    if len(solos) < 3:
        return {"nats": None, "order": None, "validation_bits": {},
                "data": "none: the model's training solos were not found and there are too few solos to cross-fit"}
    return cross_fitted(tok, solos, seed)


def cross_fitted(tokenizer: Tokenizer, solos: list[Solo], seed: int) -> dict:
    """Each solo scored by an n-gram trained on the other folds of ``solos``."""
    folds = min(FOLDS, len(solos))
    order = sorted(range(len(solos)), key=lambda i: solos[i].name)
    random.Random(seed).shuffle(order)
    nats, orders = 0.0, []
    for fold in range(folds):
        held = set(order[fold::folds])
        model, _ = fit_ngram(tokenizer, [s for i, s in enumerate(solos) if i not in held], seed)
        nats -= model.token_logprobs([tokenizer.encode(solos[i]) for i in sorted(held)]).sum()
        orders.append(model.order)
    common = Counter(orders).most_common(1)[0][0]
    data = (f"cross-fitted on the evaluated solos ({folds} folds, orders {sorted(orders)}): "
            "the model's training solos were not found")
    return {"nats": float(nats), "order": common, "validation_bits": {}, "data": data}


# -- generation ------------------------------------------------------------------------------------

def pick_forms(real: list[Solo], n: int) -> list[Solo]:
    """The real solo each of ``n`` generated solos follows: spread over all of them, in turn."""
    if n <= len(real):
        return [real[i * len(real) // n] for i in range(n)]
    return [real[i % len(real)] for i in range(n)]


def generate_over(bundle: Bundle, forms: list[Solo], seed: int, progress: bool = False,
                  temperature: float = 1.0, top_p: float = TOP_P) -> list[Solo]:
    """One sampled solo over each form's meters (and chords), batched by identical meters; in the form's
    register (its median pitch) where it has notes, else the model's default register."""
    tok, sampler = bundle.tokenizer, Sampler(bundle.model, bundle.tokenizer)
    centres = [solo_centre(form) or bundle.config.get("default_register") for form in forms]
    groups: dict[tuple[str, ...], list[int]] = {}
    for i, form in enumerate(forms):
        groups.setdefault(tuple(b.meter for b in form.bars), []).append(i)
    out: list[Solo | None] = [None] * len(forms)
    for g, (plan, rows) in enumerate(groups.items()):
        sequences = sample(bundle.model, tok, len(rows), list(plan), temperature, top_p, seed=seed + g,
                           chords=[forms[i].chords for i in rows], progress=progress, sampler=sampler,
                           register=[centres[i] for i in rows])
        for i, ids in zip(rows, sequences):
            solo = tok.decode(ids, tempo=forms[i].tempo, name=f"generated over {forms[i].name}")
            out[i] = replace(solo, chords=list(forms[i].chords))
    return out


def tune_forms(grid: int, bars: int = MAX_BARS) -> list[Solo]:
    """Every built-in tune as an empty solo of ``bars`` bars: its changes, repeated as needed."""
    from jazz.generate import chord_form
    from jazz.music.tunes import TUNES, parse_progression

    forms = []
    for name, tune in TUNES.items():
        choruses = math.ceil(bars / len(parse_progression(tune.changes, tune.meter)))
        form = chord_form(tune.changes, tune.meter, choruses, grid).first(bars)
        forms.append(Solo([], form.bars, grid=grid, tempo=tune.tempo, chords=form.chords, name=name))
    return forms


def over_tunes(bundle: Bundle, seed: int, progress: bool = False, temperature: float = 1.0,
               top_p: float = TOP_P) -> dict[str, float | None]:
    """Median chord-tone share on beats of ``TUNE_SOLOS`` generated solos over each built-in tune."""
    forms = [form for form in tune_forms(bundle.tokenizer.grid) for _ in range(TUNE_SOLOS)]
    generated = generate_over(bundle, forms, seed, progress, temperature, top_p)
    shares: dict[str, list[float]] = {}
    for form, solo in zip(forms, generated):
        value = solo_stats(solo)["chord_tone_share_on_beats"]
        shares.setdefault(form.name, []).extend([] if value is None else [value])
    return {name: median(values) for name, values in shares.items()}


# -- the whole evaluation --------------------------------------------------------------------------

def evaluate(bundle: Bundle, paths: list, n: int = 20, seed: int = 0, json_path: str | Path | None = None,
             plots_dir: str | Path | None = None, progress: bool = True, temperature: float = 1.0,
             top_p: float = TOP_P) -> dict:
    """Measure ``bundle`` on the solos under ``paths``; optionally write JSON and plots. Returns the result."""
    if n < 1:
        raise UsageError("-n must be at least 1")
    tok = bundle.tokenizer
    solos = load_solos(paths, tok, progress)
    tokens = sum(len(tok.encode(s)) - 1 for s in solos)
    notes = sum(len(s.notes) for s in solos)
    model_nats, calibration = model_likelihood(bundle, solos, progress)
    model_bits = model_nats / LN2
    baseline = ngram_baseline(bundle, solos, seed, progress)
    ngram_bits = None if baseline["nats"] is None else baseline["nats"] / LN2
    real = [first_bars(s) for s in solos]
    generated = generate_over(bundle, pick_forms(real, n), seed, progress, temperature, top_p)
    real_stats, generated_stats = [solo_stats(s) for s in real], [solo_stats(s) for s in generated]
    train_names = set((bundle.config.get("split") or {}).get("train") or [])
    result = {
        "solos": len(solos),
        "notes": notes,
        "tokens": tokens,
        "bits_per_note": {"model": model_bits / notes, "ngram": _per(ngram_bits, notes)},
        "bits_per_token": {"model": model_bits / tokens, "ngram": _per(ngram_bits, tokens)},
        "ngram_order": baseline["order"],
        "ngram_validation_bits_per_token": {str(k): v for k, v in baseline["validation_bits"].items()},
        "baseline_data": baseline["data"],
        "improvement_over_ngram": None if ngram_bits is None else 1.0 - model_bits / ngram_bits,
        "calibration": calibration,
        "solos_in_training_split": sum(s.name in train_names for s in solos),
        "generated": n,
        "sampling": {"temperature": temperature, "top_p": top_p},
        "stats": compare(real_stats, generated_stats),
        "tunes": over_tunes(bundle, seed, progress, temperature, top_p) if bundle.conditioned else {},
    }
    if json_path is not None:
        atomic_write_text(json_path, json.dumps(result, indent=1))
    if plots_dir is not None:
        write_plots(Path(plots_dir), bundle, real_stats, generated_stats, generated[0])
    return result


def _per(bits: float | None, count: int) -> float | None:
    return None if bits is None else bits / count


# -- the report ------------------------------------------------------------------------------------

def _number(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def format_report(result: dict) -> str:
    """The result as a table for the terminal."""
    order = result["ngram_order"]
    bpn, bpt = result["bits_per_note"], result["bits_per_token"]
    lines = [
        f"{result['solos']} solos, {result['notes']} notes, {result['tokens']} tokens scored",
        f"{'':<16}{'model':>10}{f'n-gram ({order})' if order else 'n-gram':>14}",
        f"{'bits per note':<16}{_number(bpn['model']):>10}{_number(bpn['ngram']):>14}",
        f"{'bits per token':<16}{_number(bpt['model']):>10}{_number(bpt['ngram']):>14}",
    ]
    if result["improvement_over_ngram"] is not None:
        change = result["improvement_over_ngram"]
        lines.append(f"the model needs {abs(change):.1%} {'fewer' if change >= 0 else 'more'} bits than the n-gram")
    lines.append(f"n-gram trained on {result['baseline_data']}")
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
    return "\n".join(lines)


# -- plots -----------------------------------------------------------------------------------------

def write_plots(folder: Path, bundle: Bundle, real: list[dict], generated: list[dict], example: Solo) -> None:
    """stats.png (histograms), piano_roll.png (a generated solo) and curves.png (if the model has a history)."""
    from jazz.model.train import read_history
    from jazz.report.plots import plot_history, plot_piano_roll

    plot_stat_histograms(real, generated, folder / "stats.png")
    plot_piano_roll(example, folder / "piano_roll.png", title=example.name)
    rows = read_history(Path(bundle.path) / "history.csv")
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
