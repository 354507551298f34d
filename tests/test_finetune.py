"""Fine-tuning: `jazz train --from MODEL` starts from a trained model's tokenizer, layout and weights."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from midi_factory import make_midi

from jazz.cli import main
from jazz.report.plots import read_history

TINY = ["--seq-len", "32", "--batch-size", "8", "--hidden", "32", "--layers", "1", "--embedding", "16"]
CHANGES = ("Dm7", "G7", "Cmaj7", "A7")


def walks(folder, count: int, seed: int, start: int = 62):
    """``count`` random-walk melodies with a chord marker every two beats."""
    rng = np.random.default_rng(seed)
    for k in range(count):
        pitch, tick, notes = start, 0, []
        for _ in range(120):
            length = int(rng.choice([24, 48, 48, 96]))
            pitch = int(np.clip(pitch + rng.integers(-4, 5), 50, 80))
            notes.append((tick, tick + length, pitch, 0))
            tick += length + int(rng.choice([0, 0, 48]))
        chords = [(t, CHANGES[(t // 192) % 4]) for t in range(0, tick, 192)]
        make_midi(folder / f"walk_{seed}_{k:02d}.mid", [notes], texts=chords)
    return folder


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A tiny chord-aware model trained for two epochs: the model to fine-tune."""
    corpus = walks(tmp_path_factory.mktemp("base_corpus"), 8, seed=1)
    out = tmp_path_factory.mktemp("models") / "base"
    assert main(["train", str(corpus), "--out", str(out), "--epochs", "2", *TINY]) == 0
    return out


@pytest.fixture(scope="module")
def new_solos(tmp_path_factory):
    return walks(tmp_path_factory.mktemp("new_corpus"), 5, seed=2, start=70)


@pytest.fixture(scope="module")
def finetuned(base, new_solos, tmp_path_factory):
    out = tmp_path_factory.mktemp("finetuned") / "mine"
    argv = ["train", str(new_solos), "--from", str(base), "--out", str(out), "--epochs", "2", "--seq-len", "32",
            "--batch-size", "8", "--hidden", "64", "--cell", "gru"]  # layout options the base overrules
    assert main(argv) == 0
    return out


def config_of(folder) -> dict:
    return json.loads((folder / "config.json").read_text())


def test_fine_tune_keeps_the_base_tokenizer_and_layout_and_names_it(base, finetuned, new_solos, tmp_path_factory):
    config, base_config = config_of(finetuned), config_of(base)
    assert config["model"] == base_config["model"]  # not --hidden 64 --cell gru
    assert (finetuned / "tokenizer.json").read_text() == (base / "tokenizer.json").read_text()
    assert config["train"]["lr"] == 5e-4 and config["train"]["corpus"] == [str(new_solos)]
    named = config["base_model"]
    assert named["name"] == "base" and named["train_solos"] == base_config["result"]["train_solos"]
    assert str(tmp_path_factory.getbasetemp()) not in json.dumps(named)  # a name, not a machine path
    validation = config["split"]["validation"]
    assert validation and all(name.startswith("walk_2_") for name in validation)  # validated on the new solos
    card = (finetuned / "card.md").read_text()
    assert "Fine-tuned from: `base`" in card
    assert named["start_val_bits_per_note"] > 0 and "scored" in card and "before fine-tuning" in card


def test_fine_tune_starts_from_the_base_weights_within_the_time_budget(base, new_solos, tmp_path, capsys):
    import keras

    out = tmp_path / "still"
    assert main(["train", str(new_solos), "--from", str(base), "--out", str(out), "--epochs", "5", "--seq-len", "32",
                 "--lr", "1e-9", "--max-minutes", "0.0001"]) == 0
    assert "time limit: stopping after epoch 1" in capsys.readouterr().err
    assert config_of(out)["result"]["epochs_run"] == 1
    before = keras.saving.load_model(base / "model.keras", compile=False).get_weights()
    after = keras.saving.load_model(out / "model.keras", compile=False).get_weights()
    assert all(np.allclose(a, b, atol=1e-6) for a, b in zip(before, after))


def test_resume_continues_the_fine_tune_from_its_own_checkpoint(base, finetuned, new_solos, tmp_path, capsys):
    out = tmp_path / "longer"
    shutil.copytree(finetuned, out)
    argv = ["train", str(new_solos), "--out", str(out), "--epochs", "3", "--seq-len", "32", "--batch-size", "8",
            "--resume"]
    assert main(argv) == 2  # a fine-tune resumes with its --from
    assert "resume it with the same --from" in capsys.readouterr().err
    assert main([*argv, "--from", str(base)]) == 0
    assert [int(r["epoch"]) for r in read_history(out / "history.csv")] == [0, 1, 2]
    config, first = config_of(out), config_of(finetuned)
    assert config["result"]["epochs_run"] == 3 and config["base_model"]["name"] == "base"
    assert config["base_model"]["start_val_bits_per_note"] == first["base_model"]["start_val_bits_per_note"]


@pytest.mark.parametrize("make", ["missing", "empty", "corpus"])
def test_from_a_folder_that_is_not_a_model_is_one_sentence(make, new_solos, tmp_path, capsys):
    folder = {"missing": tmp_path / "nothing", "empty": tmp_path, "corpus": new_solos}[make]
    assert main(["train", str(new_solos), "--from", str(folder), "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err.strip()
    assert "is not a model to fine-tune" in err and len(err.splitlines()) == 1


def test_fine_tune_validates_outside_the_base_training_split(base, tmp_path, capsys):
    base_train = set(config_of(base)["split"]["train"])
    (tmp_path / "mixed").mkdir()
    mixed = walks(tmp_path / "mixed", 8, seed=1)  # the base's own solos (same names) ...
    walks(mixed, 4, seed=3)  # ... and four it never saw
    out = tmp_path / "mixed_model"
    assert main(["train", str(mixed), "--from", str(base), "--out", str(out), "--epochs", "1", *TINY[:4]]) == 0
    config = config_of(out)
    validation = config["split"]["validation"]
    assert validation and not set(validation) & base_train
    assert "outside the base model's training split" in config["base_model"]["validation"]
    assert "outside the base model's training split" in (out / "card.md").read_text()


def test_fine_tune_on_the_base_solos_alone_says_it_could_not_hold_them_out(base, tmp_path, capsys):
    same = tmp_path / "same"
    same.mkdir()
    for name in config_of(base)["split"]["train"]:
        shutil.copy(next((base.parent.parent).glob(f"base_corpus*/{name}.mid")), same)
    out = tmp_path / "same_model"
    assert main(["train", str(same), "--from", str(base), "--out", str(out), "--epochs", "1", *TINY[:4]]) == 0
    assert "none could be held out" in capsys.readouterr().err
    assert "flatters" in config_of(out)["base_model"]["validation"]


def test_keep_last_publishes_the_last_epoch_and_never_stops_early(base, new_solos, tmp_path):
    """A fine-tune whose validation solos its base already learned keeps its last epoch (--keep last): the
    validation loss may rise all run, yet every epoch runs and the model holds the last one's weights."""
    import keras

    out = tmp_path / "last"
    argv = ["train", str(new_solos), "--from", str(base), "--out", str(out), "--epochs", "3", "--patience", "1",
            "--keep", "last", "--lr", "0.05", "--seq-len", "32", "--batch-size", "8"]
    assert main(argv) == 0
    result = config_of(out)["result"]
    assert result["epochs_run"] == 3 and result["best_epoch"] == 3 and result["kept"] == "last"
    assert result["val_bits_per_note"] == pytest.approx(read_history(out / "history.csv")[-1]["val_bits_per_note"])
    assert "kept epoch: 3, the last" in (out / "card.md").read_text()
    published = keras.saving.load_model(out / "model.keras", compile=False)
    last = keras.saving.load_model(out / "model.keras", compile=False)
    last.load_weights(out / "checkpoints" / "best.weights.h5")  # the checkpoint every epoch replaced
    for mine, theirs in zip(published.weights, last.weights):
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())


def test_keep_best_is_the_default_and_stops_early():
    from jazz.model.train import summarize

    rows = [{"epoch": 0, "val_loss": 2.0}, {"epoch": 1, "val_loss": 1.0}, {"epoch": 2, "val_loss": 3.0}]
    data = type("Data", (), {"data": [], "notes": 0})()
    assert summarize(rows, 1.0, data, data)["best_epoch"] == 2
    assert summarize(rows, 1.0, data, data, keep="last")["best_epoch"] == 3


def test_decay_lets_the_learning_rate_fall_to_zero_by_the_last_epoch(base, finetuned, new_solos, tmp_path):
    """--decay: the rate each epoch ends at falls along a cosine from --lr to zero at the end of --epochs, and the
    history records it; without it the rate stays at --lr (no column)."""
    out = tmp_path / "decayed"
    argv = ["train", str(new_solos), "--from", str(base), "--out", str(out), "--epochs", "3", "--keep", "last",
            "--lr", "0.004", "--seq-len", "32", "--batch-size", "8", "--decay"]
    assert main(argv) == 0
    rates = [row["learning_rate"] for row in read_history(out / "history.csv")]
    assert len(rates) == 3 and 0.004 > rates[0] > rates[1] > rates[2]
    assert rates[0] == pytest.approx(0.004 * (1 + np.cos(np.pi / 3)) / 2, rel=0.1)  # a third of the way down
    assert rates[2] < 1e-6
    assert config_of(out)["train"]["decay"] is True
    assert "learning_rate" not in read_history(finetuned / "history.csv")[0]
