"""`evaluate` end to end on a few real solos with a tiny untrained chord-aware model, and its parts."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import keras
import numpy as np
import pytest

from jazz.files import UsageError
from jazz.measure.evaluate import (
    baseline_hint,
    evaluate,
    evaluate_command,
    first_bars,
    pick_forms,
    plan_groups,
    split_files,
    split_names,
)
from jazz.measure.likelihood import batch_nats, encode, forward_function
from jazz.measure.stats import STAT_KEYS
from jazz.midi.read import read_midi
from jazz.midi.write import write_midi
from jazz.model.bundle import load_bundle
from jazz.model.features import (
    CONDITION_SIZE,
    ChordTimeline,
    chord_condition,
    chord_tables,
)
from jazz.model.network import build_model
from jazz.model.tokens import Grammar, Tokenizer
from jazz.model.train import publish_model
from jazz.music.notes import Bar, ChordChange, Note, Part, Solo
from jazz.report.evaluation import format_report
from jazz.settings import (
    BANDED,
    EVALUATE_DRAWS,
    MOTIF_MEMORY,
    PITCH_MEMORY,
    RHYTHM_TEMPERATURE,
    TEMPERATURE,
    TOP_P,
    ModelConfig,
)

TOK = Tokenizer()
EVALUATED = ["ArtPepper_Anthropology_FINAL", "ArtPepper_InAMellowTone_FINAL", "BenWebster_ByeByeBlackbird_FINAL"]
TRAINING = ["ArtPepper_BluesForBlanche_FINAL", "ArtPepper_Desafinado_FINAL"]


def model_folder(path, split: dict | None, corpus: list[str], condition: int = CONDITION_SIZE):
    """A tiny untrained model folder (chord-aware unless ``condition`` is 0), its skip paths not zero."""
    config = ModelConfig(TOK.size, embedding=8, hidden=16, layers=1, dropout=0.0, condition=condition, skip=True, intervals=False, register=False, echo=False)
    keras.utils.set_random_seed(0)
    model = build_model(config)
    for name in ("pitch_logits", "chord_logits")[:1 + bool(condition)]:
        layer = model.get_layer(name)
        layer.set_weights([np.random.default_rng(1).normal(scale=0.1, size=w.shape) for w in layer.get_weights()])
    publish_model(model, path / "model.keras")
    (path / "tokenizer.json").write_text(TOK.to_json())
    settings = {"model": config.to_dict(), "train": {"corpus": corpus}}
    if split is not None:
        settings["split"] = split
    (path / "config.json").write_text(json.dumps(settings))
    (path / "history.csv").write_text("epoch,bits_per_note,loss,val_bits_per_note,val_loss\n"
                                      "0,12.0,2.8,12.5,2.9\n1,11.0,2.6,11.9,2.75\n")
    return path


@pytest.fixture
def corpora(wjazzd_midi, tmp_path_factory):
    """An evaluation folder (three solos and one with chord markers) and a training folder (two solos)."""
    root = tmp_path_factory.mktemp("corpora")
    evaluated, training = root / "eval", root / "train"
    evaluated.mkdir()
    training.mkdir()
    for name in EVALUATED:
        shutil.copy(wjazzd_midi / f"{name}.mid", evaluated)
    for name in TRAINING:
        shutil.copy(wjazzd_midi / f"{name}.mid", training)
    solo, _ = read_midi(wjazzd_midi / f"{EVALUATED[0]}.mid")
    solo = first_bars(solo, 12)
    chords = [ChordChange(bar.start, "Bb7" if i % 2 else "Cm7") for i, bar in enumerate(solo.bars)]
    solo = Solo(solo.notes, solo.bars, solo.grid, solo.tempo, chords)
    write_midi(evaluated / "WithChords.mid", solo, [Part("Solo", solo.notes, channel=0, program=66)])
    return evaluated, training


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JAZZ_CACHE_DIR", str(tmp_path / "cache"))


def test_evaluate_writes_every_key_and_plot(corpora, tmp_path, cache):
    evaluated, training = corpora
    split = {"train": TRAINING, "validation": [EVALUATED[0]]}
    bundle = load_bundle(model_folder(tmp_path / "model", split, [str(training)]))
    result = evaluate(bundle, [evaluated], n=3, seed=1, json_path=tmp_path / "out" / "eval.json",
                      plots_dir=tmp_path / "plots", progress=False)
    written = json.loads((tmp_path / "out" / "eval.json").read_text())
    assert written == json.loads(json.dumps(result))
    for key in ("bits_per_note", "bits_per_token", "ngram_order", "stats", "solos", "notes", "tokens",
                "baseline_data"):
        assert key in written
    assert written["solos"] == 4
    assert set(written["bits_per_note"]) == {"model", "ngram"} == set(written["bits_per_token"])
    assert 7.0 < written["bits_per_token"]["model"] < 8.5  # an untrained model is near uniform over 240 tokens
    bpt, bpn = written["bits_per_token"], written["bits_per_note"]
    for side in ("model", "ngram"):
        assert bpn[side] == pytest.approx(bpt[side] * written["tokens"] / written["notes"])
    assert written["bits_per_token"]["ngram"] < written["bits_per_token"]["model"]
    assert 1 <= written["ngram_order"] <= 8
    assert "training split (2 of its 2" in written["baseline_data"]
    assert list(written["stats"]) == list(STAT_KEYS)
    for row in written["stats"].values():
        assert set(row) == {"real_median", "generated_median", "in_range"}
    assert written["stats"]["max_polyphony"]["real_median"] == 1.0
    assert written["stats"]["chord_tone_share_on_beats"]["real_median"] is not None  # WithChords.mid
    for name in ("stats.png", "piano_roll.png", "curves.png"):
        assert (tmp_path / "plots" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from jazz.music.tunes import TUNES

    assert set(written["calibration"]) == {"repeated_pitch", "chord_tone_on_beats", "interval_continued", "motif_echoed"}
    assert all(0 <= v <= 1 for row in written["calibration"].values() for v in row.values() if v is not None)
    assert list(written["tunes"]) == list(TUNES)  # a chord-aware model plays every built-in tune
    assert all(0.0 <= share <= 1.0 for share in written["tunes"].values())
    parts = written["bits_per_note_parts"]
    assert set(parts) == {"position", "pitch", "duration"} and all(v > 0 for v in parts.values())
    assert sum(parts.values()) == pytest.approx(bpn["model"])
    assert written["bits_per_note_pitch_duration"] == pytest.approx(parts["pitch"] + parts["duration"])
    bpb = written["bits_per_beat"]
    assert bpb["model"] == pytest.approx(bpn["model"] * written["notes"] / written["beats"])
    test = written["two_sample"]
    assert test["solos"] == 4 and test["window_bars"] == 8 and test["windows"] > 0
    assert 0 <= test["interval"][0] <= test["accuracy"] <= test["interval"][1] <= 1
    assert 0 < len(test["giveaways"]) <= 8
    assert set(test["targets"]) == {"leap_share", "chord_tone_share_on_beats", "pitch_class_entropy",
                                    "repeated_figure_share"}
    assert written["sampling"] == {"temperature": TEMPERATURE, "top_p": TOP_P, "rhythm_temperature": RHYTHM_TEMPERATURE,
                                   "banded": BANDED, "pitch_memory": PITCH_MEMORY, "motif_memory": MOTIF_MEMORY}
    copied = written["copying"]
    assert copied["training_solos"] == 2 and 1 <= copied["real_median"] <= copied["real_max"]
    assert 1 <= copied["generated_median"] <= copied["generated_max"]
    report = format_report(result)
    assert "bits per note" in report and "pitch_class_entropy" in report and "n-gram" in report
    assert "copying: the longest stretch" in report
    assert "median over the tunes" in report and "coltrane-cycle" in report
    assert "bits per beat" in report and "pitch + duration given position" in report
    assert "two-sample test" in report and "a classifier tells them apart" in report
    assert written["split"] is None and "every one under the given folders" in report
    assert set(test["silent_share"]) == {"real", "generated"} and "near-silent windows" in report
    assert test["draws"] == EVALUATE_DRAWS and len(test["by_draw"]) == EVALUATE_DRAWS > 1
    assert min(test["by_draw"]) <= test["accuracy"] <= max(test["by_draw"])
    assert f"{EVALUATE_DRAWS} draws over each solo" in report and f"{EVALUATE_DRAWS} draws pooled" in report
    bands = written["tempo_bands"]
    assert list(bands) == ["slow", "medium", "fast"] and sum(row["solos"] for row in bands.values()) == 4
    for row in bands.values():
        assert set(row) == {"solos", "notes_per_beat", "fast_gap_share", "eighth_ratio", "eighth_pairs", "accuracy",
                            "windows", "silent_share"}
        if row["solos"]:
            assert row["notes_per_beat"]["real"] > 0 and 0 <= row["fast_gap_share"]["generated"] <= 1
            assert row["eighth_ratio"]["real"] is None  # these files carry no played timing: no ratio, not 1.0
            assert row["eighth_pairs"]["real"] == 0
    follows = written["following"]
    assert follows["solos"] == 4 and -1 <= follows["correlation"]["fast_gap_share"] <= 1
    assert follows["tempo_slope"]["real"] is not None and "notes per beat per doubling of tempo" in report
    assert written["styles"] == {}  # these files carry no style labels: no table
    assert "by tempo band" in report and "by style" not in report
    assert "MINGUS" not in report and "BebopNet" not in report  # other papers' figures are not measured here


def test_a_split_picks_its_solos_from_the_folder_by_name(corpora, tmp_path, cache, monkeypatch):
    """... and where the corpus labels the solos' styles, the report has a table by style."""
    import jazz.measure.evaluate as module

    unlabelled = module.load_solos
    def labelled(solos, corpus):
        return [replace(s, labels={"style": "cool", "instrument": "tp"}) for s in solos], corpus

    monkeypatch.setattr(module, "load_solos", lambda *args: labelled(*unlabelled(*args)))
    evaluated, _ = corpora
    assert [f.name for f in split_files([evaluated], split_names(None, "test"))] == [f"{EVALUATED[2]}.mid"]
    bare = load_bundle(model_folder(tmp_path / "bare", None, [], condition=0))
    with pytest.raises(UsageError, match="no validation split"):
        split_names(bare, "validation")
    with pytest.raises(UsageError, match="none of the 1 solos"):
        split_files([evaluated], ["NotThere"])
    folder = model_folder(tmp_path / "model", {"train": [], "validation": [EVALUATED[1]]}, [], condition=0)
    config = json.loads((folder / "config.json").read_text())  # what the card names of the training
    config["train"].update(seed=0, epochs=1, patience=1, seq_len=64, batch_size=8, lr=0.001, clipnorm=1.0)
    (folder / "config.json").write_text(json.dumps(config))
    report = evaluate_command(folder, [evaluated], n=1, split="validation", json_path=tmp_path / "e.json",
                              card_command="jazz evaluate --split validation")
    result = json.loads((tmp_path / "e.json").read_text())
    assert result["solos"] == 1 and result["split"] == {"name": "validation", "named": 1, "found": 1}
    assert "solos: the validation split (1 of its 1 solos found)" in report
    assert list(result["styles"]) == ["cool"] and result["styles"]["cool"]["solos"] == 1 and "by style" in report
    card = (folder / "card.md").read_text()
    assert report in card and "by tempo band" in card and "jazz evaluate --split validation" in card


def test_a_split_finds_the_training_solos_in_the_folder_it_was_given(corpora, tmp_path, cache):
    """The recorded training corpus is not on this machine, but the folder given to evaluate holds the training
    solos beside the validation one: --split leaves them out of the evaluation, not out of the baseline."""
    evaluated, _ = corpora
    split = {"train": [EVALUATED[0], EVALUATED[2]], "validation": [EVALUATED[1]]}
    folder = model_folder(tmp_path / "model", split, [str(tmp_path / "gone")], condition=0)
    result = evaluate(load_bundle(folder), [evaluated], n=1, split="validation", progress=False, draws=1)
    assert result["solos"] == 1 and result["baseline_data"].startswith("trained on the model's training split (2 of")
    assert result["copying"]["training_solos"] == 2


def test_without_the_training_solos_the_ngram_is_cross_fitted(corpora, tmp_path, cache):
    evaluated, _ = corpora
    folder = model_folder(tmp_path / "model", {"train": ["NotThere"]}, [str(tmp_path / "gone")], condition=0)
    bundle = load_bundle(folder)
    assert not bundle.conditioned
    report = evaluate_command(folder, [evaluated], n=2, json_path=tmp_path / "eval.json")
    result = json.loads((tmp_path / "eval.json").read_text())
    assert result["baseline_data"].startswith("cross-fitted")
    assert "give their folder with --baseline CORPUS" in result["baseline_data"]  # what to do about it
    assert result["bits_per_note"]["ngram"] > 0 and result["ngram_order"] >= 1
    assert "n-gram baseline: cross-fitted on the evaluated solos" in report and "--baseline" in report
    assert result["copying"] is None and "copying: not measured, since the model's training solos were not" in report
    # the database's own MIDI files are off their beat, and snapping one to a grid of twelfths does not mend it
    assert sorted(Path(p).stem for p in result["off_beat_files"]) == sorted([*EVALUATED, "WithChords"])
    assert "4 of 4 files are off the beat" in report and "jazz import-weimar" in report


def test_the_baseline_hint_names_the_weimar_import():
    bundle = type("B", (), {"config": {"train": {"corpus": ["data/midi/wjazzd-import"]},
                                       "split": {"train": ["A_FINAL"] * 4}}})()
    hint = baseline_hint(bundle, found=0, named=369)
    assert "369 training solos" in hint and "--baseline CORPUS" in hint and "data/midi/wjazzd-import" in hint
    assert "jazz import-weimar" in hint
    assert baseline_hint(bundle, found=300, named=369) == ""


def test_baseline_option_finds_the_training_solos_elsewhere(corpora, tmp_path, cache):
    """A model trained on another machine names a corpus that is not here; --baseline says where it is."""
    evaluated, training = corpora
    folder = model_folder(tmp_path / "model", {"train": list(TRAINING)}, ["/elsewhere/train"], condition=0)
    bundle = load_bundle(folder)
    result = evaluate(bundle, [evaluated], n=1, progress=False, baseline_paths=[training])
    assert result["baseline_data"].startswith(f"trained on the model's training split ({len(TRAINING)} of its")
    assert evaluate(bundle, [evaluated], n=1, progress=False)["baseline_data"].startswith("cross-fitted")


def test_batched_nats_match_keras_cross_entropy_per_solo(corpora, tmp_path, cache):
    evaluated, _ = corpora
    bundle = load_bundle(model_folder(tmp_path / "model", None, []))
    files = (("WithChords.mid", 6), (f"{EVALUATED[1]}.mid", 9))
    solos = [_bars(read_midi(evaluated / name)[0], bars) for name, bars in files]
    encoded = [encode(bundle, s) for s in solos]
    assert len(encoded[0]["tokens"]) < len(encoded[1]["tokens"])  # the first is padded in the batch
    assert sorted(encoded[0]) == ["condition", "last_pitch", "tokens"]
    nats = batch_nats(forward_function(bundle.model), encoded)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="sum")
    for value, inputs in zip(nats, encoded):
        ids = inputs["tokens"]
        logits = bundle.model({name: array[None, :-1] for name, array in inputs.items()})
        assert value == pytest.approx(float(loss(ids[None, 1:], logits)), rel=1e-4)


def _bars(solo: Solo, count: int) -> Solo:
    """The first ``count`` bars, without the notes that would sound past them (so it still encodes)."""
    end = solo.bars[count].start
    return replace(solo, notes=[n for n in solo.notes if n.end <= end], bars=solo.bars[:count],
                   chords=[c for c in solo.chords if c.onset < end])


def test_no_usable_solo_is_a_usage_error(tmp_path, cache):
    bundle = load_bundle(model_folder(tmp_path / "model", None, []))
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="no .mid"):
        evaluate(bundle, [tmp_path / "empty"], progress=False)
    with pytest.raises(UsageError, match="-n"):
        evaluate(bundle, [tmp_path / "empty"], n=0, progress=False)


def test_forms_spread_over_the_real_solos_and_bars_are_cut():
    real = [Solo([], [Bar(0)], name=str(i)) for i in range(10)]
    assert [s.name for s in pick_forms(real, 4)] == ["0", "2", "5", "7"]
    assert [s.name for s in pick_forms(real[:3], 5)] == ["0", "1", "2", "0", "1"]
    long = Solo([Note(60, 0, 12), Note(62, 90, 20), Note(64, 200, 4)], [Bar(48 * i) for i in range(5)],
                chords=[ChordChange(0, "C7"), ChordChange(96, "F7")])
    cut = first_bars(long, 2)
    assert len(cut.bars) == 2 and [n.duration for n in cut.notes] == [12, 6]
    assert [c.symbol for c in cut.chords] == ["C7"]


def test_forms_whose_meters_begin_another_form_share_its_batch():
    def form(meters: list[str]) -> Solo:
        return Solo([], [Bar(48 * i, int(m[0]), int(m[2])) for i, m in enumerate(meters)])

    forms = [form(["4/4"] * 3), form(["4/4"] * 8), form(["3/4"] * 4), form(["4/4", "3/4"]), form(["3/4"] * 2)]
    groups = plan_groups(forms)
    assert sorted(sorted(rows) for _, rows in groups) == [[0, 1], [2, 4], [3]]
    for plan, rows in groups:
        assert all(plan[:len(forms[i].bars)] == [b.meter for b in forms[i].bars] for i in rows)


def test_each_row_gets_its_own_chords():
    changes = [[ChordChange(0, "C7")], [ChordChange(0, "F7"), ChordChange(24, "Bb7")]]
    grammar = Grammar(TOK, 2, ["4/4", "4/4"])
    grammar.advance(np.array([TOK.bar_id("4/4")] * 2))
    grammar.advance(np.array([TOK.index["pos:30"]] * 2))
    rows = chord_condition(chord_tables(changes, slots=4), grammar.time)
    assert rows.shape == (2, CONDITION_SIZE)
    assert [int(r[:12].argmax()) for r in rows] == [0, 10]  # C7 still sounds in row 0; Bb7 at step 30 in row 1
    for row, chords in zip(rows, changes):
        assert np.array_equal(row, ChordTimeline(chords).condition(grammar.time[:1])[0])


def test_tune_forms_fill_the_bars_with_each_tunes_changes():
    from jazz.measure.evaluate import MAX_BARS, tune_forms
    from jazz.music.tunes import TUNES

    forms = tune_forms(TOK.grid)
    assert [f.name for f in forms] == list(TUNES)
    for form in forms:
        assert len(form.bars) == MAX_BARS and form.chords and form.chords[0].onset == 0
        assert form.chords[-1].onset < form.bars[-1].start + form.bars[-1].length(TOK.grid)
        assert {b.meter for b in form.bars} == {TUNES[form.name].meter}


def test_teacher_forced_calibration_counts_each_event():
    from jazz.measure.likelihood import melodic_expectations

    solo = Solo([Note(p, 12 * i, 12) for i, p in enumerate([60, 62, 64, 64, 62])], [Bar(0), Bar(48)],
                chords=[ChordChange(0, "C7")])
    ids = TOK.encode(solo)
    found = melodic_expectations(TOK, solo, ids, np.zeros((len(ids) - 1, TOK.size)))  # a uniform model
    pitches = np.arange(TOK.low, TOK.high + 1)
    c7 = np.isin(pitches % 12, [0, 4, 7, 10]).mean()
    assert np.allclose(found["repeated_pitch"], [4 / 88, 1, 4])  # 64 -> 64
    assert np.allclose(found["interval_continued"], [2 / 88, 1, 2])  # 60 62 [64]; 62 64 [66, not played]
    assert np.allclose(found["chord_tone_on_beats"], [5 * c7, 3, 5])  # C, E, E of C D E E D


def test_the_scored_pitch_memory_lifts_the_pitches_of_recent_classes_only():
    from jazz.measure.likelihood import remembered

    solo = Solo([Note(p, 12 * i, 12) for i, p in enumerate([60, 64, 72])], [Bar(0)])
    ids = TOK.encode(solo)
    logits = np.zeros((len(ids) - 1, TOK.size))
    lifted = remembered(TOK, ids, logits, 2.0)
    assert np.array_equal(remembered(TOK, ids, logits, 0.0), logits)
    changed = np.flatnonzero((lifted != logits).any(axis=1))
    first = TOK.first("pitch")
    assert [TOK.vocab[ids[t + 1]] for t in changed] == ["pitch:64", "pitch:72"]  # rows predicting pitches 2 and 3
    row = lifted[changed[1], first:first + TOK.high - TOK.low + 1]
    pitches = np.arange(TOK.low, TOK.high + 1)
    assert np.allclose(row[(pitches % 12 == 0) | ((pitches % 12 == 4) & (pitches != 64))], 1.0)
    assert row[64 - TOK.low] == 0.0  # the last pitch itself is not lifted
    assert np.allclose(row[(pitches % 12 != 0) & (pitches % 12 != 4)], 0.0)
    assert np.array_equal(lifted[:, :first], logits[:, :first])


def test_teacher_forced_calibration_counts_motif_echoes():
    from jazz.measure.likelihood import melodic_expectations

    # +2 +2 -4 comes back after three notes, and goes on with +2 as it did the first time
    solo = Solo([Note(p, 12 * i, 12) for i, p in enumerate([60, 62, 64, 60, 62, 64, 60, 62])], [Bar(0), Bar(48)])
    ids = TOK.encode(solo)
    found = melodic_expectations(TOK, solo, ids, np.zeros((len(ids) - 1, TOK.size)))
    assert np.allclose(found["motif_echoed"], [1 / 88, 1, 1])


def test_solos_the_corpus_does_not_label_get_the_assumed_labels(tmp_path, cache):
    """evaluate's --style/--feel/--program fill what a solo's labels lack; a labels file, and the folder's
    labels.csv, say more about the solos they name."""
    from midi_factory import make_midi

    from jazz.measure.evaluate import load_solos
    from jazz.midi.labels import write_labels

    line = [(96 * k, 96 * k + 48, 60 + k % 5, 0) for k in range(16)]
    for name in ("mine", "theirs", "other"):
        make_midi(tmp_path / f"{name}.mid", [line])
    write_labels(tmp_path / "labels.csv", [{"file": "theirs.mid", "style": "bebop", "feel": "", "instrument": "tp",
                                            "performer": ""}])
    extra = tmp_path / "more.csv"
    extra.write_text("file,style,feel,instrument\nother,cool,ballad,as\n")
    assumed = {"style": "postbop", "feel": "latin", "instrument": "ts"}
    solos, _ = load_solos([tmp_path], TOK, labels_file=extra, assumed=assumed)
    labels = {s.name: s.labels for s in solos}
    assert labels["mine"] == assumed
    assert labels["theirs"] == {"style": "bebop", "feel": "latin", "instrument": "tp"}
    assert labels["other"] == {"style": "cool", "feel": "ballad", "instrument": "as"}


@pytest.mark.parametrize("argv", [["--style", "bop"], ["--feel", "shuffle"], ["--program", "128"]])
def test_an_unknown_assumed_label_is_one_sentence_and_exit_2(argv, tmp_path, capsys):
    from jazz.cli import main

    assert main(["evaluate", str(tmp_path), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("jazz evaluate: ") and err.count("\n") == 1 and "Traceback" not in err
