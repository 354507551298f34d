"""What the model hears besides the notes: the tempo at each step, and the solo's style, feel and instrument."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from midi_factory import make_midi, random_walks

from jazz.cli import main
from jazz.files import UsageError
from jazz.midi.labels import corpus_labels, labels_summary, read_labels
from jazz.midi.read import read_midi
from jazz.model.context import (
    CONTEXT_GAIN,
    CONTEXT_SIZE,
    TEMPO_FEATURES,
    context_features,
    local_tempo,
    performance_context,
    tempo_features,
)
from jazz.model.features import model_inputs
from jazz.model import split as splits
from jazz.model.token_store import TokenCorpus, window_inputs
from jazz.model.tokens import Tokenizer
from jazz.music.labels import checked, codes, instrument_of_program, normalize
from jazz.music.notes import Bar, Note, Solo
from jazz.settings import ModelConfig


@pytest.mark.parametrize("kind, value, label", [
    ("style", "POSTBOP", "postbop"), ("style", "Hard-Bop", "hardbop"), ("feel", "TWOBEAT", "two-beat"),
    ("feel", "LATIN/FUNK", "latin"), ("instrument", "cor", "tp"), ("instrument", "bcl", "cl"),
    ("style", "polka", "unknown"), ("feel", "", "unknown"), ("instrument", None, "unknown"),
    ("instrument", "Tenor Sax", "ts"), ("instrument", "alto saxophone", "as"), ("instrument", "violin", "unknown")])
def test_labels_are_spelt_as_the_vocabulary_spells_them(kind, value, label):
    assert normalize(kind, value) == label


def test_codes_give_unknown_zero_and_each_label_its_own_slot():
    assert codes({}) == (0, 0, 0)
    assert codes({"feel": "swing", "style": "traditional", "instrument": "ts"}) == (1, 1, 1)
    assert codes({"feel": "BALLAD", "style": "FREE", "instrument": "g"}) == (5, 8, 10)


def test_an_unknown_label_the_user_typed_lists_the_known_ones():
    assert checked("style", "BeBop") == "bebop" and checked("style", None) is None
    with pytest.raises(ValueError, match="choose from traditional, swing, bebop"):
        checked("style", "bepop")


@pytest.mark.parametrize("program, instrument", [(66, "ts"), (65, "as"), (64, "ss"), (67, "bs"), (56, "tp"),
                                                 (57, "tb"), (71, "cl"), (11, "vib"), (0, "p"), (26, "g"),
                                                 (40, "unknown")])
def test_the_instrument_comes_from_the_general_midi_program(program, instrument):
    assert instrument_of_program(program) == instrument


def test_a_labels_file_is_read_by_stem_and_a_bad_one_is_one_sentence(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("file,style,feel,instrument\nsolos/a.mid,BEBOP,SWING,as\nb,,BALLAD,\n")
    assert read_labels(path) == {"a": {"style": "BEBOP", "feel": "SWING", "instrument": "as"}, "b": {"feel": "BALLAD"}}
    assert corpus_labels([tmp_path]) == read_labels(path)  # a labels.csv in a corpus folder is found
    (tmp_path / "bad.csv").write_text("name,style\na,BEBOP\n")
    with pytest.raises(UsageError, match="no 'file' column"):
        read_labels(tmp_path / "bad.csv")


def test_a_spreadsheets_labels_file_is_read_and_what_it_says_is_summed_up(tmp_path):
    """A byte-order mark, capitals and spaces around the column names (as spreadsheets and README-style headers
    write them) still find the columns; the summary counts what the model will hear and names what it won't."""
    path = tmp_path / "sheet.csv"
    path.write_bytes("\ufeffFile, Style , feel,instrument\r\na.mid, bopp, swing, tenor sax\r\nb.mid,bebop,,\r\n"
                     "gone.mid,cool,,\r\nheld.mid,,ballad\r\nb.mid,,,as\r\n".encode("utf-8"))
    table = read_labels(path)
    assert table == {"a": {"style": "bopp", "feel": "swing", "instrument": "tenor sax"},
                     "b": {"style": "bebop", "instrument": "as"},  # a second row adds to the first, field by field
                     "gone": {"style": "cool"}, "held": {"feel": "ballad"}}
    lines = labels_summary(table, ["a", "b", "c"], found=["a", "b", "c", "held"])  # held: left out by a split
    assert lines[0] == "labels: 2 of 3 solos say their style, feel or instrument"
    assert "  style: bebop 1, unknown 2" in lines and "  instrument: ts 1, as 1, unknown 1" in lines
    assert "  1 row of the labels names no file found here: gone" in lines  # not the held-out solo
    assert any(line.startswith("  style 'bopp': not one the model knows") for line in lines)
    assert "  named in more than one row (the last row's values count): b" in lines
    assert labels_summary({}, ["a"]) == ["labels: 0 of 1 solos say their style, feel or instrument "
                                         "(no labels file: give --labels FILE.csv)"]
    (tmp_path / "header.csv").write_text("file,style\n")
    assert labels_summary(read_labels(tmp_path / "header.csv"), ["a"])[0].endswith("instrument")  # a file was given
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(UsageError, match="empty.csv is empty"):
        read_labels(tmp_path / "empty.csv")


def test_labels_files_below_the_corpus_folder_are_found_and_the_nearest_wins(tmp_path):
    (tmp_path / "import" / "sub").mkdir(parents=True)
    (tmp_path / "labels.csv").write_text("file,style,instrument\na.mid,cool,tp\nb.mid,swing,\n")
    (tmp_path / "import" / "sub" / "labels.csv").write_text("file,style\na.mid,bebop\n")
    (tmp_path / "extra.csv").write_text("file,feel\nb.mid,ballad\n")
    table = corpus_labels([tmp_path], tmp_path / "extra.csv")
    assert table == {"a": {"style": "bebop", "instrument": "tp"}, "b": {"style": "swing", "feel": "ballad"}}
    assert [Path(f).name for f in table.files] == ["labels.csv", "labels.csv", "extra.csv"]


def test_jazz_corpus_says_what_the_labels_tell_the_model(tmp_path, capsys):
    (tmp_path / "corpus").mkdir()
    corpus = random_walks(tmp_path / "corpus", 3, 40)
    labels = tmp_path / "labels.csv"
    labels.write_text("file,style,feel,instrument\nwalk_00.mid,bebop,ballad,as\nwalk_01.mid,grunge,,\n")
    assert main(["corpus", str(corpus), "--labels", str(labels), "--json", str(tmp_path / "c.json")]) == 0
    out = capsys.readouterr().out
    assert "labels: 1 of 3 solos say their style" in out and "feel: ballad 1, unknown 2" in out
    report = json.loads((tmp_path / "c.json").read_text())["labels"]
    heard = report["heard"]
    assert heard["walk_00"] == {"style": "bebop", "feel": "ballad", "instrument": "as"} and heard["walk_02"] == {}
    assert report["unknown_values"] == {"style": {"grunge": 1}} and report["labelled"] == 1 and report["solos"] == 3
    assert report["counts"]["feel"] == {"ballad": 1, "unknown": 2} and report["files"] == [str(labels)]
    assert main(["corpus", str(corpus), "--labels", str(tmp_path / "none.csv")]) == 2


def test_tempo_features_are_log_tempo_then_overlapping_bands():
    features = tempo_features(np.array([60.0, 160.0, 320.0]))
    assert features.shape == (3, TEMPO_FEATURES)
    assert features[1, 0] == pytest.approx(0.0) and features[2, 0] == pytest.approx(1.0)
    assert np.argmax(features[0, 1:]) < np.argmax(features[1, 1:]) < np.argmax(features[2, 1:])
    assert performance_context(120.0).shape == (CONTEXT_SIZE,)
    assert context_features(np.float32(120.0), (0, 0, 0)).max() <= CONTEXT_GAIN


def tempo_file(path: Path, tempi: list[tuple[int, float]], tpb: int = 96) -> Path:
    """Two bars of eighth notes under a tempo map of (tick, bpm) changes."""
    notes = [(i * tpb // 2, (i + 1) * tpb // 2, 60 + i % 5, 0) for i in range(16)]
    return make_midi(path, [notes], tpb=tpb, tempo_bpm=tempi[0][1], tempi=tempi)


def test_the_tempo_map_is_read_onto_the_grid_and_smoothed(tmp_path):
    jitter = [(i * 96, bpm) for i, bpm in enumerate([200, 210, 190, 205, 195, 200, 260, 200])]
    solo, _ = read_midi(tempo_file(tmp_path / "t.mid", jitter))
    assert solo.tempi[:3] == [(0, 200.0), (12, 210.0), (24, 190.0)]
    heard = local_tempo(solo, np.array([0, 12, 24, 72, 95]))
    assert np.all(np.abs(heard - 200) <= 5)  # the 260-bpm beat is a slip of the beat track, not a new tempo


def labelled_solo() -> Solo:
    notes = [Note(60 + (i * 5) % 12, i * 6, 6) for i in range(24)]
    return Solo(notes, [Bar(0), Bar(48), Bar(96)], tempi=[(0, 80.0), (48, 82.0), (96, 240.0)],
                labels={"style": "BEBOP", "feel": "BALLAD", "instrument": "tp"}, name="x")


def test_records_give_the_same_context_as_the_solo():
    tok, solo = Tokenizer(), labelled_solo()
    config = ModelConfig(tok.size, context=CONTEXT_SIZE, skip=False, intervals=False, register=False, echo=False)
    direct = model_inputs(tok, solo, config)["context"]
    corpus = TokenCorpus.from_solos(tok, [solo])
    shift = np.zeros(len(corpus.records), np.int64)
    via_records = window_inputs(tok, corpus.records, shift, np.full(len(shift), -1), ["tokens", "context"],
                                corpus.labels[np.zeros(len(shift), int)])["context"]
    assert np.allclose(direct, via_records)
    assert not np.allclose(direct[1], direct[-2])  # the tempo changed under the solo


def test_a_fine_tune_given_a_context_path_starts_where_its_base_was(tmp_path):
    """The new maps start at zero: before any step the fine-tune's predictions are the base's."""
    import keras

    from jazz.model.network import build_model
    from jazz.model.train import publish_model, start_from

    tok = Tokenizer()
    plain = ModelConfig(tok.size, embedding=8, hidden=8, layers=1, first_pitch=tok.first("pitch"))
    base = build_model(plain)
    publish_model(base, tmp_path / "base.keras")
    heard = build_model(ModelConfig(**(plain.to_dict() | {"context": CONTEXT_SIZE})))
    start_from(heard, tmp_path / "base.keras")
    inputs = model_inputs(tok, labelled_solo(), ModelConfig(**(plain.to_dict() | {"context": CONTEXT_SIZE})))
    batch = {k: v[None] for k, v in inputs.items()}
    without = {k: v for k, v in batch.items() if k != "context"}
    assert np.allclose(heard.predict(batch, verbose=0), base.predict(without, verbose=0), atol=1e-5)
    assert np.abs(keras.ops.convert_to_numpy(heard.get_layer("context_logits").kernel)).max() == 0


def test_the_sampler_plays_what_the_context_says(tmp_path):
    """A model whose context path favours short notes at fast tempi and long ones at slow tempi."""
    from jazz.model.network import build_model
    from jazz.model.sample import sample

    tok = Tokenizer()
    config = ModelConfig(tok.size, embedding=8, hidden=8, layers=1, skip=False, intervals=False, register=False,
                         echo=False, context=CONTEXT_SIZE, first_pitch=tok.first("pitch"))
    model = build_model(config)
    kernel = np.zeros((CONTEXT_SIZE, tok.size), np.float32)
    short, long = tok.index["dur:3"], tok.index["dur:24"]
    kernel[0, short], kernel[0, long] = 2.0, -2.0  # the log-tempo feature (times the gain)
    model.get_layer("context_logits").kernel.assign(kernel)
    plan = ["4/4"] * 4
    fast, slow = (sample(model, tok, 8, plan, seed=3, context=performance_context(bpm)) for bpm in (320.0, 60.0))

    def share_of(rows, token):
        durations = np.concatenate([row[(row >= tok.first("dur"))] for row in rows])
        return float(np.mean(durations == token))

    assert share_of(fast, short) > 0.5 > share_of(slow, short)
    assert share_of(slow, long) > 0.5 > share_of(fast, long)


def test_an_unknown_style_or_feel_is_one_sentence(capsys, tmp_path):
    assert main(["generate", "--out", str(tmp_path / "s"), "--style", "bepop"]) == 2
    assert "choose from traditional" in capsys.readouterr().err
    assert main(["generate", "--out", str(tmp_path / "s"), "--feel", "tango"]) == 2
    assert "--feel 'tango'" in capsys.readouterr().err
    assert main(["live", "--input", str(tmp_path / "none.mid"), "--style", "bepop"]) == 2
    assert not (tmp_path / "s").exists()


def test_training_hears_the_labels_and_leaves_out_the_test_split(tmp_path, capsys):
    (tmp_path / "corpus").mkdir()
    corpus = random_walks(tmp_path / "corpus", 5, 60)
    held = sorted(splits.test_names())[0]
    shutil.copy(corpus / "walk_00.mid", corpus / f"{held}.mid")
    with open(corpus / "labels.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerows([("file", "style", "feel", "instrument"), ("walk_00.mid", "BEBOP", "SWING", "as"),
                          ("walk_01.mid", "COOL", "BALLAD", "tp")])
    out = tmp_path / "model"
    assert main(["train", str(corpus), "--out", str(out), "--epochs", "1", "--seq-len", "32", "--batch-size", "4",
                 "--hidden", "8", "--embedding", "8", "--layers", "1"]) == 0
    err = capsys.readouterr().err
    assert "1 solo of the fixed test split left out" in err and "labels: 2 of 5 solos" in err
    assert "style: bebop 1, cool 1, unknown 3" in err
    config = json.loads((out / "config.json").read_text())
    assert config["model"]["context"] == CONTEXT_SIZE
    assert held not in config["split"]["train"] + config["split"]["validation"]
    card = (out / "card.md").read_text()
    assert "tempo" in card and "style" in card and "One solo of the fixed test split was left out" in card
    assert main(["generate", "--model", str(out), "--out", str(tmp_path / "solos"), "--bars", "2", "--tempo", "70",
                 "--style", "cool", "--feel", "ballad", "--program", "56"]) == 0
    assert (tmp_path / "solos" / "solo_001.mid").exists()
    assert "none of the corpus's instruments" not in capsys.readouterr().err
    violin = ["generate", "--model", str(out), "--out", str(tmp_path / "violin"), "--bars", "2", "--program", "40"]
    assert main(violin) == 0
    assert "program 40 is none of the corpus's instruments" in capsys.readouterr().err


def test_the_weimar_import_writes_the_labels_beside_its_files(tmp_path):
    from jazz.midi.weimar import import_weimar

    source = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "wjazzd"
    if not source.is_dir():
        pytest.skip(f"the shared corpus is not at {source}")
    subset = tmp_path / "wjazzd"
    for part in ("csv/melody", "csv/beats"):
        (subset / part).mkdir(parents=True)
    names = ["ArtPepper_Anthropology_FINAL", "ChetBaker_Let'sGetLost_FINAL"]
    for name in names:
        shutil.copy(source / "csv/melody" / f"{name}.csv", subset / "csv/melody")
        shutil.copy(source / "csv/beats" / f"{name}_beattrack.csv", subset / "csv/beats")
    shutil.copy(source / "meta.csv", subset / "meta.csv")
    import_weimar(subset, tmp_path / "out")
    labels = read_labels(tmp_path / "out" / "labels.csv")
    assert labels["ArtPepper_Anthropology_FINAL"] == {"style": "COOL", "feel": "SWING", "instrument": "cl",
                                                      "performer": "Art Pepper"}
    assert codes(labels["ChetBaker_Let'sGetLost_FINAL"])[2] == 1 + ("ts", "as", "ss", "bs", "tp").index("tp")
