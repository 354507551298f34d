"""Playing like a performer: the model's own vocabulary of players, `--like NAME`, and the performer classifier
that checks whose windows a solo's are."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT
from midi_factory import random_walks

from jazz.cli import main
from jazz.model.context import (
    CONTEXT_GAIN,
    CONTEXT_SIZE,
    context_size,
    performance_context,
    performer_code,
)
from jazz.model.features import model_inputs
from jazz.model.token_store import TokenCorpus, window_inputs
from jazz.model.tokens import Tokenizer
from jazz.music.notes import Bar, Note, Solo
from jazz.settings import PERFORMER_SOLOS, ModelConfig, TrainConfig

PLAYERS = ("Charlie Parker", "Miles Davis")
TINY = ["--epochs", "1", "--seq-len", "32", "--batch-size", "4", "--hidden", "8", "--embedding", "8", "--layers", "1"]


def played_by(performer: str) -> Solo:
    notes = [Note(60 + (i * 5) % 12, i * 6, 6) for i in range(24)]
    return Solo(notes, [Bar(0), Bar(48), Bar(96)], tempo=200.0,
                labels={"style": "bebop", "instrument": "as", "performer": performer}, name="x")


def test_a_performer_is_named_loosely_and_unknown_otherwise():
    assert performer_code("Charlie Parker", PLAYERS) == 1
    assert performer_code("charlieparker", PLAYERS) == 1
    assert performer_code("MILES  davis", PLAYERS) == 2
    assert performer_code("John Coltrane", PLAYERS) == 0
    assert performer_code(None, PLAYERS) == 0
    heard = performance_context(160.0, {"performer": "miles davis"}, PLAYERS)
    assert heard.shape == (context_size(PLAYERS),) == (CONTEXT_SIZE + 3,)
    assert list(heard[-3:]) == [0.0, 0.0, CONTEXT_GAIN]
    assert list(performance_context(160.0, {}, PLAYERS)[-3:]) == [CONTEXT_GAIN, 0.0, 0.0]


def test_a_model_without_performers_hears_what_it_heard_before():
    """An old config.json (no performers) reads as a model without them, and its context is unchanged."""
    tok = Tokenizer()
    old = ModelConfig(tok.size, context=CONTEXT_SIZE, first_pitch=tok.first("pitch")).to_dict()
    del old["performers"]
    assert ModelConfig.from_dict(old).performers == ()
    heard = performance_context(160.0, {"style": "bebop", "performer": "Charlie Parker"})
    assert heard.shape == (CONTEXT_SIZE,)
    assert np.array_equal(heard, performance_context(160.0, {"style": "bebop"}))


def test_training_windows_and_scoring_hear_the_same_performer():
    tok, solo = Tokenizer(), played_by("Miles Davis")
    config = ModelConfig(tok.size, context=context_size(PLAYERS), skip=False, intervals=False, register=False,
                         echo=False, performers=PLAYERS)
    direct = model_inputs(tok, solo, config)["context"]
    corpus = TokenCorpus.from_solos(tok, [solo])
    shift = np.zeros(len(corpus.records), np.int64)
    codes = corpus.codes(PLAYERS)
    assert codes.tolist() == [[0, 3, 2, 2]]  # feel unknown, bebop, alto, the second performer
    via_records = window_inputs(tok, corpus.records, shift, np.full(len(shift), -1), ["tokens", "context"],
                                codes[np.zeros(len(shift), int)], len(PLAYERS))["context"]
    assert np.allclose(direct, via_records)


def test_training_hides_the_performer_as_often_as_the_labels():
    from jazz.model.context import LABEL_DROPOUT
    from jazz.model.train import WindowData

    tok = Tokenizer()
    windows = WindowData([played_by("Miles Davis")] * 400, tok, 32, 8, augment=True, seed=0,
                         inputs=["tokens", "context"], performers=PLAYERS)
    heard = windows.labels[:, -1]
    assert set(heard.tolist()) == {0, 2}
    assert abs(np.mean(heard == 0) - LABEL_DROPOUT) < 0.06
    x, _ = windows[0]
    assert x["context"].shape[-1] == CONTEXT_SIZE + 3


def test_the_performer_default_lives_in_settings():
    from jazz.cli import build_parser

    args = build_parser().parse_args(["train", "--out", "x", "--performers"])
    assert args.performers == PERFORMER_SOLOS == 8
    assert build_parser().parse_args(["train", "--out", "x"]).performers == TrainConfig().performers == 0


def test_a_fine_tune_that_learns_performers_starts_where_its_base_was(tmp_path):
    """The base's context rows are kept and the performer rows start at zero: before any step the fine-tune
    predicts what the base predicted, whoever it is told plays."""
    import keras

    from jazz.model.network import build_model
    from jazz.model.train import publish_model, start_from

    tok = Tokenizer()
    plain = ModelConfig(tok.size, embedding=8, hidden=8, layers=1, first_pitch=tok.first("pitch"),
                        context=CONTEXT_SIZE)
    base = build_model(plain)
    rng = np.random.default_rng(0)
    for name in ("context_embedding", "context_logits"):  # a base that has learnt from its context
        layer = base.get_layer(name)
        layer.kernel.assign(rng.normal(0, 0.05, tuple(layer.kernel.shape)).astype(np.float32))
    publish_model(base, tmp_path / "base.keras")
    layout = replace(plain, performers=PLAYERS, context=context_size(PLAYERS))
    grown = build_model(layout)
    start_from(grown, tmp_path / "base.keras")
    solo = played_by("Charlie Parker")
    batch = {k: v[None] for k, v in model_inputs(tok, solo, layout).items()}
    before = {k: v[None] for k, v in model_inputs(tok, solo, plain).items()}
    assert batch["context"].shape[-1] == CONTEXT_SIZE + 3 and batch["context"][0, 0, -2] == CONTEXT_GAIN
    assert np.allclose(grown.predict(batch, verbose=0), base.predict(before, verbose=0), atol=1e-5)
    kernel = keras.ops.convert_to_numpy(grown.get_layer("context_logits").kernel)
    assert np.abs(kernel[CONTEXT_SIZE:]).max() == 0 < np.abs(kernel[:CONTEXT_SIZE]).max()


def labelled_walks(folder: Path, players: dict[str, int]) -> Path:
    """Random walks, ``players[name]`` of them labelled as that player's (the rest by nobody)."""
    count = sum(players.values()) + 1
    folder.mkdir()
    random_walks(folder, count, 60)
    names = [name for name, k in players.items() for _ in range(k)] + [""]
    with open(folder / "labels.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("file", "style", "feel", "instrument", "performer"))
        writer.writerows((f"walk_{k:02d}.mid", "bebop", "swing", "as", name) for k, name in enumerate(names))
    return folder


def test_a_model_learns_its_performers_and_plays_like_one(tmp_path, capsys):
    corpus = labelled_walks(tmp_path / "corpus", {"Charlie Parker": 4, "Miles Davis": 3, "Lester Young": 1})
    out = tmp_path / "model"
    assert main(["train", str(corpus), "--out", str(out), "--performers", "3", *TINY]) == 0
    assert "performers: 2 with at least 3 solos (Charlie Parker 4, Miles Davis 3)" in capsys.readouterr().err
    config = json.loads((out / "config.json").read_text())
    assert config["model"]["performers"] == list(PLAYERS)
    assert config["model"]["context"] == CONTEXT_SIZE + 3
    assert config["labels"]["vocabularies"]["performer"] == list(PLAYERS)
    assert config["labels"]["performer_solos"] == {"Charlie Parker": 4, "Miles Davis": 3}
    assert "Charlie Parker (4 solos), Miles Davis (3 solos)" in (out / "card.md").read_text()
    assert main(["generate", "--model", str(out), "--out", str(tmp_path / "solos"), "--bars", "2",
                 "--like", "charlieparker", "--seed", "1"]) == 0
    assert (tmp_path / "solos" / "solo_001.mid").exists()
    capsys.readouterr()
    assert main(["generate", "--model", str(out), "--out", str(tmp_path / "other"), "--like", "Lester Young"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "choose from Charlie Parker, Miles Davis" in err
    assert not (tmp_path / "other").exists()


def test_a_fine_tune_from_a_model_without_performers_learns_them(tmp_path, capsys):
    """The bundled model's path: a context-33 base, fine-tuned with --performers; the base still generates."""
    corpus = labelled_walks(tmp_path / "corpus", {"Charlie Parker": 4, "Miles Davis": 3})
    base = tmp_path / "base"
    assert main(["train", str(corpus), "--out", str(base), *TINY]) == 0
    assert json.loads((base / "config.json").read_text())["model"]["performers"] == []
    assert main(["generate", "--model", str(base), "--out", str(tmp_path / "old"), "--bars", "2", "--seed", "1"]) == 0
    capsys.readouterr()
    assert main(["generate", "--model", str(base), "--out", str(tmp_path / "old"), "--like", "Miles Davis"]) == 2
    assert "knows no performers" in capsys.readouterr().err
    assert main(["live", "--model", str(base), "--input", str(corpus / "walk_00.mid"), "--like", "Miles Davis"]) == 2
    assert "knows no performers" in capsys.readouterr().err
    tuned = tmp_path / "tuned"
    assert main(["train", str(corpus), "--from", str(base), "--out", str(tuned), "--performers", "3",
                 "--keep", "last", *TINY]) == 0
    assert "starting at zero: context_embedding (its new inputs), context_logits (its new inputs)" in \
        capsys.readouterr().err
    config = json.loads((tuned / "config.json").read_text())
    assert config["model"]["performers"] == list(PLAYERS) and config["model"]["context"] == CONTEXT_SIZE + 3
    assert main(["generate", "--model", str(tuned), "--out", str(tmp_path / "like"), "--bars", "2",
                 "--like", "MILES DAVIS", "--seed", "1"]) == 0
    capsys.readouterr()
    assert main(["live", "--model", str(tuned), "--input", str(corpus / "walk_00.mid"), "--like", "Dizzy"]) == 2
    assert "choose from Charlie Parker, Miles Davis" in capsys.readouterr().err


def test_an_unknown_performer_is_refused_before_keras_loads(tmp_path):
    """Only config.json is read: the sentence comes without loading the model (or Keras)."""
    folder = tmp_path / "model"
    folder.mkdir()
    tok = Tokenizer()
    config = ModelConfig(tok.size, first_pitch=tok.first("pitch"), context=context_size(PLAYERS), performers=PLAYERS)
    (folder / "config.json").write_text(json.dumps({"model": config.to_dict()}))
    script = ("import sys; from jazz.cli import main; "
              f"code = main(['generate', '--model', {str(folder)!r}, '--out', {str(tmp_path / 'o')!r}, "
              "'--like', 'Bird']); print(code, 'keras' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.stdout.split() == ["2", "False"]
    assert done.stderr.strip().endswith("--like 'Bird' is not a performer the model knows (choose from Charlie "
                                        "Parker, Miles Davis)")


def test_the_performer_test_runs_on_a_model_with_performers(tmp_path, capsys):
    """`jazz evaluate --performers` on a tiny model: the table, the JSON; refused for a model without performers."""
    corpus = labelled_walks(tmp_path / "corpus", {"Charlie Parker": 5, "Miles Davis": 5})
    out = tmp_path / "model"
    assert main(["train", str(corpus), "--out", str(out), "--performers", "3", "--val-split", "0.3", *TINY]) == 0
    capsys.readouterr()
    report = tmp_path / "performers.json"
    assert main(["evaluate", str(corpus), "--model", str(out), "--performers", "--json", str(report)]) == 0
    table = capsys.readouterr().out
    assert "generated --like X" in table and "real held-out" in table
    result = json.loads(report.read_text())["performer_attribution"]
    validation = json.loads((out / "config.json").read_text())["split"]["validation"]
    assert result["held_solos"] == len([n for n in validation if n != "walk_10"])
    assert result["like"]["windows"] > 0 and 0 <= result["like"]["share"] <= 1
    assert result["chance"] >= 0.5
    plain = tmp_path / "plain"  # a model without performers: refused from its config.json, before Keras
    plain.mkdir()
    tok = Tokenizer()
    (plain / "config.json").write_text(json.dumps({"model": ModelConfig(tok.size, first_pitch=tok.first("pitch"),
                                                                         context=CONTEXT_SIZE).to_dict()}))
    assert main(["evaluate", str(corpus), "--model", str(plain), "--performers"]) == 2
    assert "knows no performers" in capsys.readouterr().err
    assert main(["evaluate", str(corpus), "--performers"]) == 2  # the bundled model's players made none of these
    assert "none of the model's validation solos by its performers" in capsys.readouterr().err


def test_real_players_are_told_apart_on_held_out_solos(wjazzd, tmp_path):
    """The classifier itself, on real WJazzD solos of four players: trained on two thirds of each one's solos,
    it names the players of the other third's windows well above chance."""
    from jazz.measure.performers import format_performer_table, performer_test
    from jazz.midi.corpus import load_corpus
    from jazz.midi.labels import read_labels
    from jazz.midi.weimar import import_weimar, read_meta
    from jazz.model.split import test_names

    players, per = ("Miles Davis", "Charlie Parker", "John Coltrane", "Sonny Rollins"), 12
    meta, held_back = read_meta(wjazzd / "meta.csv"), test_names()
    chosen = {p: [n for n, row in sorted(meta.items()) if row["performer"] == p and n not in held_back
                  and (wjazzd / "csv" / "melody" / f"{n}.csv").exists()][:per] for p in players}
    subset = tmp_path / "wjazzd"
    for part in ("csv/melody", "csv/beats"):
        (subset / part).mkdir(parents=True)
    for name in (n for names in chosen.values() for n in names):
        shutil.copy(wjazzd / "csv" / "melody" / f"{name}.csv", subset / "csv" / "melody")
        shutil.copy(wjazzd / "csv" / "beats" / f"{name}_beattrack.csv", subset / "csv" / "beats")
    shutil.copy(wjazzd / "meta.csv", subset / "meta.csv")
    import_weimar(subset, tmp_path / "midi")
    labels = read_labels(tmp_path / "midi" / "labels.csv")
    solos = {s.name: replace(s, labels=labels[s.name]) for s in load_corpus([tmp_path / "midi"], grid=12).solos}
    train = [solos[n] for names in chosen.values() for n in names[:per * 2 // 3] if n in solos]
    held = [solos[n] for names in chosen.values() for n in names[per * 2 // 3:] if n in solos]
    result = performer_test(train, held, players)
    print(format_performer_table(result))
    assert result["held_solos"] == len(held) >= 12
    assert result["chance"] >= 0.25
    assert result["real"]["share"] > result["chance"] + 0.1
    assert sum(c["share"] > 0.25 for c in result["real"]["by_performer"].values()) >= 3



def test_bench_and_the_sampler_give_a_performer_model_its_whole_context(tmp_path):
    """A model that knows performers samples with every label unknown where nothing is named (jazz bench)."""
    from jazz.measure.bench import bench_sample, naive_tokens_per_s
    from jazz.model.context import unknown_context
    from jazz.model.network import build_model

    tok = Tokenizer()
    layout = ModelConfig(tok.size, embedding=8, hidden=8, layers=1, first_pitch=tok.first("pitch"),
                         context=context_size(PLAYERS), performers=PLAYERS)
    model = build_model(layout)
    heard = unknown_context(model)
    assert heard.shape == (CONTEXT_SIZE + 3,) and heard[-3] == CONTEXT_GAIN and not heard[-2:].any()
    assert np.array_equal(heard, performance_context(120.0, {}, PLAYERS))
    rates, _ = bench_sample(model, tok, quick=True)
    assert rates["batch1"] > 0
    assert naive_tokens_per_s(model, tok, 4) > 0
    from jazz.model.sample import sample

    [ids] = sample(model, tok, 1, ["4/4"] * 2, seed=0)  # no context named: the model's own width, all unknown
    assert len(tok.decode(ids).bars) == 2


def test_like_strength_weighs_the_named_performer_and_nothing_else():
    """--like-strength W: the player's slot at W and "unknown" at 1 - W (times the gain), everything else as heard
    at strength 1; a context that names no player, or a model that knows none, is left alone."""
    plain = performance_context(180.0, {"style": "bebop", "performer": "Miles Davis"}, PLAYERS)
    pulled = performance_context(180.0, {"style": "bebop", "performer": "Miles Davis"}, PLAYERS, strength=3.0)
    np.testing.assert_array_equal(pulled[:-3], plain[:-3])
    np.testing.assert_allclose(pulled[-3:], CONTEXT_GAIN * np.array([-2.0, 0.0, 3.0]))
    anyone = performance_context(180.0, {"style": "bebop"}, PLAYERS)
    np.testing.assert_array_equal(performance_context(180.0, {"style": "bebop"}, PLAYERS, strength=3.0), anyone)
    no_players = performance_context(180.0, {"performer": "Miles Davis"})
    np.testing.assert_array_equal(performance_context(180.0, {"performer": "Miles Davis"}, strength=3.0), no_players)


def test_like_strength_moves_the_direct_scores_that_many_times_as_far():
    """On the bundled model's direct path from the context to the scores (a linear map), the step from "unknown"
    to a player at strength W is W times the step at strength 1."""
    from jazz.model.bundle import load_bundle

    bundle = load_bundle(ROOT / "models" / "default")
    players, direct = bundle.model_config.performers, bundle.model.get_layer("context_logits")
    labels = {"style": "hardbop", "instrument": "ts"}
    scores = {w: np.asarray(direct(performance_context(150.0, labels | {"performer": players[0]}, players, w)[None]))
              for w in (1.0, 2.5)}
    unknown = np.asarray(direct(performance_context(150.0, labels, players)[None]))
    assert np.abs(scores[1.0] - unknown).max() > 1e-3  # the player moves the scores at all
    np.testing.assert_allclose(scores[2.5] - unknown, 2.5 * (scores[1.0] - unknown), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("argv, message", [
    (["generate", "--like-strength", "2", "--out", "{tmp}"], "--like-strength needs --like NAME"),
    (["generate", "--like", "Miles Davis", "--like-strength", "-1", "--out", "{tmp}"], "between 0 and 10"),
    (["live", "--like-strength", "2"], "--like-strength needs --like NAME"),
    (["evaluate", "{tmp}", "--like-strength", "2"], "goes with --performers"),
])
def test_a_like_strength_without_a_player_or_out_of_range_is_one_sentence(argv, message, tmp_path, capsys):
    assert main([a.replace("{tmp}", str(tmp_path)) for a in argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_like_pulls_at_the_settings_strength_unless_told():
    from jazz.settings import LIKE_STRENGTH, checked_strength

    assert checked_strength(None, "Miles Davis") == LIKE_STRENGTH and checked_strength(None, None) == LIKE_STRENGTH
    assert checked_strength(1.0, "Miles Davis") == 1.0
