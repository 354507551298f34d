"""`jazz evaluate`: how well a model predicts held-out solos, against an n-gram baseline, and how its solos
compare with real ones over the same chord changes.

1. **Likelihood** (jazz.measure.likelihood): bits per token, per note (split into the note's position,
   pitch and duration) and per beat, and teacher-forced calibration.
2. **Baseline** (jazz.measure.baseline): an interpolated Kneser-Ney n-gram scored on the same tokens.
3. **Music**: ``n`` solos sampled over the first ``MAX_BARS`` bars of real solos (their meters and, for a
   chord-aware model, their chords, and for a model with a register path, their instrument's register), compared
   statistic by statistic (jazz.measure.stats) with those real bars. A chord-aware model also plays
   ``TUNE_SOLOS`` solos over each built-in tune; their chord-tone share on beats is reported per tune.
4. **Two-sample test** (jazz.measure.twosample): ``draws`` solos sampled over the first ``TEST_BARS`` bars of
   every real solo (its meters, chords, tempo, and the register its instrument gives); can a classifier tell
   their 8-bar windows apart? Each draw is tested on its own and the verdicts pooled. Overall, by tempo band
   and by style (jazz.measure.bands), beside rhythm figures of both sides, the eighth-pair ratio as played (a
   generated solo played as `jazz generate` plays it).
5. **Copying** (jazz.measure.copying): the longest stretch of the first draw's solos found verbatim in a
   training solo, against the same for the real solos.

With ``--performers`` (``performers_command``) only the performer test runs (jazz.measure.performers): does
`--like X` play like X, as a classifier trained on real solos hears it?

The solos are every one under the given folders, or with ``split`` only those of the fixed test split
(jazz.model.split.test_names) or of the model's validation split found there.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from jazz.files import UsageError, atomic_write_text
from jazz.measure.bands import TEMPO_BANDS, band_labels, breakdown, performed, solo_tempo, style_labels
from jazz.measure.baseline import encodable, ngram_baseline
from jazz.measure.copying import copying
from jazz.measure.following import following
from jazz.measure.givens import given_context, given_register
from jazz.measure.performers import format_performer_table, performer_of, performer_test
from jazz.measure.likelihood import model_likelihood
from jazz.measure.stats import compare, median, solo_stats
from jazz.measure.twosample import TEST_BARS, two_sample_draws
from jazz.midi.beat import off_beat_warning
from jazz.midi.corpus import Corpus, find_midi_files, load_corpus
from jazz.midi.labels import LabelTable, corpus_labels, labels_summary
from jazz.model.bundle import Bundle, load_bundle
from jazz.model.sample import Sampler, sample
from jazz.model.split import test_names
from jazz.model.tokens import Tokenizer
from jazz.music.notes import Solo
from jazz.report.card import add_card_section, rerunnable, uses_weimar
from jazz.report.evaluation import MAX_BARS, TUNE_SOLOS, format_report, write_plots
from jazz.settings import EVALUATE_DRAWS, Sampling

LN2 = math.log(2.0)
SPLITS = ("test", "validation")


def split_names(bundle: Bundle, split: str) -> list[str]:
    """The names of the solos of ``split``: the fixed test split, or the model's validation split."""
    if split == "test":
        return sorted(test_names())
    if split == "validation":
        names = (bundle.config.get("split") or {}).get("validation")
        if not names:
            raise UsageError(f"the model in {bundle.path} names no validation split in its config.json")
        return list(names)
    raise UsageError(f"--split {split!r} is not one of: {', '.join(SPLITS)}")


def split_files(paths: list, names: list[str]) -> list:
    """The MIDI files under ``paths`` named (by file stem) in ``names``; a usage error if none is."""
    wanted = set(names)
    files = [f for f in find_midi_files(paths) if f.stem in wanted]
    if not files:
        raise UsageError(f"none of the {len(wanted)} solos of the split is in {', '.join(map(str, paths))}")
    return files


def load_solos(paths: list, tokenizer: Tokenizer, progress: bool = False, labels_file: str | Path | None = None,
               assumed: dict[str, str] | None = None, found: list[str] | None = None) -> tuple[list[Solo], Corpus]:
    """The solos under ``paths`` (folders or files) that have notes and fit the tokenizer, with their labels
    (the labels.csv of their folders, then ``labels_file``; ``assumed`` gives any kind a solo's labels lack);
    and the corpus report they come from. With ``progress`` the labels are summed up, rows naming none of the
    solos ``found`` (default: those under ``paths``) counted as strays."""
    corpus = load_corpus(paths, grid=tokenizer.grid, progress=progress)
    table = corpus_labels(paths, labels_file)
    if not corpus.reports:
        raise UsageError(f"no .mid or .midi files in {', '.join(map(str, paths))}")
    solos = [replace(s, labels=(assumed or {}) | table.get(s.name, s.labels))
             for s in corpus.solos if s.notes and encodable(tokenizer, s)]
    if not solos:
        raise UsageError(f"none of the {len(corpus.reports)} MIDI files has a solo this model can read")
    if progress:
        heard = LabelTable(table | {s.name: s.labels for s in solos}, table.files, table.repeated)  # + assumed
        print("\n".join(labels_summary(heard, [s.name for s in solos], found)), file=sys.stderr)
    return solos, corpus


def baseline_hint(bundle: Bundle, found: int, named: int) -> str:
    """How to give the n-gram the model's training solos, where fewer than half of them were found ("" if not)."""
    if not named or found >= named / 2:
        return ""
    corpus = (bundle.config.get("train") or {}).get("corpus") or []
    source = f"this model was trained on {', '.join(map(str, corpus))}" if corpus else "its corpus is not recorded"
    if uses_weimar(corpus, list((bundle.config.get("split") or {}).get("train") or [])):
        source += ", the beat-aligned Weimar import that `jazz import-weimar path/to/wjazzd --out DIR` makes"
    return (f"; to train the n-gram on the model's {named} training solos, give their folder with "
            f"--baseline CORPUS ({source})")


def first_bars(solo: Solo, bars: int = MAX_BARS) -> Solo:
    """The solo's first ``bars`` bars (notes cut at the end, later chords dropped)."""
    if len(solo.bars) <= bars:
        return solo
    end = solo.bars[bars].start
    notes = [n._replace(duration=min(n.duration, end - n.onset)) for n in solo.notes if n.onset < end]
    return replace(solo, notes=notes, bars=solo.bars[:bars], chords=[c for c in solo.chords if c.onset < end])


def training_solos(bundle: Bundle, solos: list[Solo], baseline: list | None = None, progress: bool = False,
                   given: list | None = None) -> tuple[list[Solo], int]:
    """The model's training solos found among ``solos``, in the ``baseline`` folders (else the training corpus
    named in config.json, where it exists on this machine, then the folders ``given`` to evaluate, whose other
    files a --split leaves out); and how many the model names."""
    names = list((bundle.config.get("split") or {}).get("train") or [])
    wanted = set(names)
    found = {s.name: s for s in solos if s.name in wanted}
    corpus = baseline or [p for p in (bundle.config.get("train") or {}).get("corpus") or [] if Path(p).exists()]
    for source in [corpus] if baseline else [corpus, given or []]:
        missing = wanted - set(found)
        files = [f for f in find_midi_files(source) if f.stem in missing] if missing and source else []
        for solo in load_corpus(files, grid=bundle.tokenizer.grid, progress=progress).solos if files else []:
            if solo.notes and encodable(bundle.tokenizer, solo):
                found.setdefault(solo.name, solo)
    return [found[name] for name in dict.fromkeys(names) if name in found], len(names)


def pick_forms(real: list[Solo], n: int) -> list[Solo]:
    """The real solo each of ``n`` generated solos follows: spread over all of them, in turn."""
    if n <= len(real):
        return [real[i * len(real) // n] for i in range(n)]
    return [real[i % len(real)] for i in range(n)]


def plan_groups(forms: list[Solo]) -> list[tuple[list[str], list[int]]]:
    """The forms in batches that can be sampled together: (the batch's meters, its forms' indices). A form
    joins a batch whose meters begin with its own (it is sampled as long, then cut)."""
    groups: list[tuple[list[str], list[int]]] = []
    for i in sorted(range(len(forms)), key=lambda i: -len(forms[i].bars)):
        plan = [b.meter for b in forms[i].bars]
        batch = next((rows for longest, rows in groups if longest[:len(plan)] == plan), None)
        if batch is None:
            groups.append((plan, [i]))
        else:
            batch.append(i)
    return groups


def generate_over(bundle: Bundle, forms: list[Solo], seed: int, progress: bool = False,
                  sampling: Sampling = Sampling(), strength: float = 1.0) -> list[Solo]:
    """One sampled solo over each form's meters (and chords), batched by shared meters (``plan_groups``); in
    the register its instrument gives (jazz.measure.givens: what scoring is given too), at its tempo and with its
    labels (what a model with a context path hears; its performer at --like-strength ``strength``), drawn with
    ``sampling``."""
    tok, sampler = bundle.tokenizer, Sampler(bundle.model, bundle.tokenizer)
    centres = [given_register(form, bundle.config) for form in forms]
    out: list[Solo | None] = [None] * len(forms)
    for g, (plan, rows) in enumerate(plan_groups(forms)):
        context = np.stack([given_context(forms[i], bundle.model_config.performers, strength) for i in rows])
        sequences = sample(bundle.model, tok, len(rows), plan, seed=seed + g, chords=[forms[i].chords for i in rows],
                           progress=progress, sampler=sampler, register=[centres[i] for i in rows], context=context,
                           sampling=sampling)
        for i, ids in zip(rows, sequences):
            solo = tok.decode(ids, tempo=forms[i].tempo, name=f"generated over {forms[i].name}")
            out[i] = first_bars(replace(solo, chords=list(forms[i].chords)), len(forms[i].bars))
    return out


def generated_draws(bundle: Bundle, forms: list[Solo], draws: int, seed: int, progress: bool = False,
                    sampling: Sampling = Sampling()) -> list[list[Solo]]:
    """``draws`` lists of one solo generated over each form (sampled together, one batch per meter plan), each
    played as `jazz generate` plays it at the form's tempo and feel (jazz.measure.bands.performed)."""
    solos = generate_over(bundle, forms * draws, seed, progress, sampling)
    played = [performed(solo, solo_tempo(form), form.labels.get("feel"), seed + i)
              for i, (solo, form) in enumerate(zip(solos, forms * draws))]
    return [played[k * len(forms):(k + 1) * len(forms)] for k in range(draws)]


def tune_forms(grid: int, bars: int = MAX_BARS) -> list[Solo]:
    """Every built-in tune as an empty solo of ``bars`` bars: its changes, repeated as needed."""
    from jazz.music.form import chord_form
    from jazz.music.tunes import TUNES, parse_progression

    forms = []
    for name, tune in TUNES.items():
        choruses = math.ceil(bars / len(parse_progression(tune.changes, tune.meter)))
        form = chord_form(tune.changes, tune.meter, choruses, grid).first(bars)
        forms.append(Solo([], form.bars, grid=grid, tempo=tune.tempo, chords=form.chords, name=name))
    return forms


def over_tunes(bundle: Bundle, seed: int, progress: bool = False,
               sampling: Sampling = Sampling()) -> dict[str, float | None]:
    """Median chord-tone share on beats of ``TUNE_SOLOS`` generated solos over each built-in tune, drawn with
    ``sampling``."""
    forms = [form for form in tune_forms(bundle.tokenizer.grid) for _ in range(TUNE_SOLOS)]
    generated = generate_over(bundle, forms, seed, progress, sampling)
    shares: dict[str, list[float]] = {}
    for form, solo in zip(forms, generated):
        value = solo_stats(solo)["chord_tone_share_on_beats"]
        shares.setdefault(form.name, []).extend([] if value is None else [value])
    return {name: median(values) for name, values in shares.items()}


def evaluate(bundle: Bundle, paths: list, n: int = 20, seed: int = 0, json_path: str | Path | None = None,
             plots_dir: str | Path | None = None, progress: bool = True, sampling: Sampling = Sampling(),
             baseline_paths: list | None = None, split: str | None = None, labels_file: str | Path | None = None,
             assumed: dict[str, str] | None = None, draws: int = EVALUATE_DRAWS) -> dict:
    """Measure ``bundle`` on the solos under ``paths`` (with ``split``, only those of the test or the model's
    validation split), with ``draws`` solos generated over each for the two-sample test and the rhythm figures;
    optionally write JSON and plots. Returns the result. The likelihood is scored with the
    pitch-class and motif memories the solos are sampled with; ``baseline_paths`` name where the model's
    training solos are, for the n-gram baseline; ``labels_file`` and ``assumed`` label the solos (``load_solos``)."""
    if n < 1 or draws < 1:
        raise UsageError("-n and --draws must be at least 1")
    tok = bundle.tokenizer
    chosen = split_names(bundle, split) if split else None
    files = split_files(paths, chosen) if chosen else list(find_midi_files(paths)) or paths
    solos, corpus = load_solos(files, tok, progress, labels_file, assumed,
                               [f.stem for f in find_midi_files(paths)])  # a split's others are found, not strays
    tokens = sum(len(tok.encode(s)) - 1 for s in solos)
    notes = sum(len(s.notes) for s in solos)
    beats = sum(s.total_steps for s in solos) / tok.grid
    likelihood = model_likelihood(bundle, solos, progress, sampling.pitch_memory, sampling.motif_memory)
    model_bits = likelihood.nats / LN2
    parts = {key: nats / LN2 / notes for key, nats in likelihood.parts.items()}
    train, named = training_solos(bundle, solos, baseline_paths, progress, paths)
    baseline = ngram_baseline(tok, solos, train, named, seed)
    ngram_bits = None if baseline["nats"] is None else baseline["nats"] / LN2
    real = [first_bars(s) for s in solos]
    generated = generate_over(bundle, pick_forms(real, n), seed, progress, sampling)
    real_stats, generated_stats = [solo_stats(s) for s in real], [solo_stats(s) for s in generated]
    tested = [first_bars(s, TEST_BARS) for s in solos]
    over_tested = generated_draws(bundle, tested, draws, seed, progress, sampling)
    bands, styles = band_labels(solos), style_labels(solos)
    two_sample = two_sample_draws(tested, over_tested, seed, {"tempo_bands": bands, "styles": styles})
    by_test = two_sample.get("by", {})
    train_names = set((bundle.config.get("split") or {}).get("train") or [])
    result = {
        "split": None if split is None else {"name": split, "named": len(chosen), "found": len(solos)},
        "solos": len(solos),
        "notes": notes,
        "tokens": tokens,
        "beats": beats,
        "bits_per_note": {"model": model_bits / notes, "ngram": _per(ngram_bits, notes)},
        "bits_per_note_parts": parts,
        "bits_per_note_pitch_duration": parts["pitch"] + parts["duration"],
        "bits_per_beat": {"model": model_bits / beats, "ngram": _per(ngram_bits, beats)},
        "bits_per_token": {"model": model_bits / tokens, "ngram": _per(ngram_bits, tokens)},
        "ngram_order": baseline["order"],
        "ngram_validation_bits_per_token": {str(k): v for k, v in baseline["validation_bits"].items()},
        "baseline_data": baseline["data"] + baseline_hint(bundle, len(train), named),
        "improvement_over_ngram": None if ngram_bits is None else 1.0 - model_bits / ngram_bits,
        "calibration": likelihood.calibration,
        "solos_in_training_split": sum(s.name in train_names for s in solos),
        "generated": n,
        "sampling": asdict(sampling),
        "stats": compare(real_stats, generated_stats),
        "tunes": over_tunes(bundle, seed, progress, sampling) if bundle.conditioned else {},
        "two_sample": two_sample,
        "tempo_bands": breakdown(tested, over_tested, bands, by_test.get("tempo_bands", {}),
                                 tuple(name for name, _ in TEMPO_BANDS)),
        "following": following(tested, over_tested),
        "styles": breakdown(tested, over_tested, styles, by_test.get("styles", {})),
        "copying": copying(over_tested[0], tested, train) if train else None,
        "off_beat_files": [r.path for r in corpus.off_beat],
    }
    if json_path is not None:
        atomic_write_text(json_path, json.dumps(result, indent=1))
    if plots_dir is not None:
        write_plots(Path(plots_dir), Path(bundle.path) / "history.csv", real_stats, generated_stats, generated[0])
    return result


def _per(bits: float | None, count: int) -> float | None:
    return None if bits is None else bits / count


def evaluate_command(model: Path | None, paths: list, n: int = 20, seed: int = 0, json_path: Path | None = None,
                     plots_dir: Path | None = None, baseline: list | None = None, card_command: str | None = None,
                     split: str | None = None, sampling: Sampling = Sampling(), labels_file: Path | None = None,
                     assumed: dict[str, str] | None = None, draws: int = EVALUATE_DRAWS) -> str:
    """`jazz evaluate`: the report as text; with ``card_command`` also a section of the model card."""
    for path in [*paths, *(baseline or [])]:
        if not Path(path).exists():
            raise UsageError(f"{path} does not exist")
    bundle = load_bundle(model)
    result = evaluate(bundle, paths, n=n, seed=seed, json_path=json_path, plots_dir=plots_dir,
                      baseline_paths=baseline, split=split, sampling=sampling, labels_file=labels_file,
                      assumed=assumed, draws=draws)
    report = format_report(result)
    warning = off_beat_warning(result["off_beat_files"], result["solos"])
    report += f"\n{warning}" if warning else ""
    if card_command:
        add_card_section(bundle.path, bundle.model.count_params(), "Evaluation",
                         f"```\n{report}\n```\nMeasured with `{rerunnable(card_command)}`.")
    return report


def performers_command(model: Path | None, paths: list, n: int = 20, seed: int = 0, json_path: Path | None = None,
                       sampling: Sampling = Sampling(), labels_file: Path | None = None, progress: bool = True,
                       strength: float = 1.0) -> str:
    """`jazz evaluate --performers`: the performer test of the model in ``model`` over the solos under ``paths``
    (its training split trains the classifier, its validation split is held out; at least ``n`` solos are
    generated each way, as many over every held-out solo, the --like ones at ``strength``); the table as text."""
    bundle = load_bundle(model)
    performers = bundle.model_config.performers
    split = bundle.config.get("split") or {}
    solos, _ = load_solos(paths, bundle.tokenizer, progress, labels_file)
    trained, validation = set(split.get("train") or []), set(split.get("validation") or [])
    train = [s for s in solos if s.name in trained]
    held = [first_bars(s, TEST_BARS) for s in solos if s.name in validation and performer_of(s, performers) is not None]
    if not held:
        raise UsageError(f"none of the model's validation solos by its performers is in {', '.join(map(str, paths))}")
    forms = held * math.ceil(n / len(held))  # more solos over few held-out ones: less sampling noise
    unnamed = [replace(s, labels={k: v for k, v in s.labels.items() if k != "performer"}) for s in forms]
    generated = {"like": generate_over(bundle, forms, seed, progress, sampling, strength),
                 "unnamed": generate_over(bundle, unnamed, seed, progress, sampling)}
    result = performer_test(train, held, performers, generated) | {"like_strength": strength}
    if json_path is not None:
        atomic_write_text(json_path, json.dumps({"performer_attribution": result}, indent=1))
    return format_performer_table(result)
