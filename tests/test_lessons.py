"""`jazz lesson`: the names RNN, the poems LSTM, the gradient curves, and the refusals of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import CORPUS, need
from midi_factory import make_midi, scale_notes

from jazz.cli import main
from jazz.lessons import gradients as jg
from jazz.lessons import reference as ref

VERSE = """Shall I compare thee to a summer's day?
Thou art more lovely and more temperate:
Rough winds do shake the darling buds of May,
And summer's lease hath all too short a date.
"""
NAMES = ["Bird", "Trane", "Dizzy", "Monk", "Bud", "Miles", "Mingus", "Dolphy", "Hawk", "Prez", "Duke", "Basie"]


def one_sentence_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


@pytest.fixture
def midi_file(tmp_path: Path) -> Path:
    return make_midi(tmp_path / "solo.mid", [scale_notes(8)])


# --- names ---------------------------------------------------------------------------------


def test_names_loss_falls_and_samples_are_marked(tmp_path: Path, capsys) -> None:
    path = tmp_path / "names.txt"
    path.write_text("\n".join(NAMES) + "\n", encoding="utf-8")
    out = tmp_path / "model"
    assert main(["lesson", "names", str(path), "--iterations", "1500", "--hidden", "16", "--samples", "8",
                 "--out", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    losses = [float(line.split()[-1]) for line in lines if line.startswith("iteration")]
    assert len(losses) == 11 and losses[-1] < 0.8 * losses[0], losses
    samples = lines[-8:]
    for line in samples:
        assert line[0] == ("=" if line[2:] in NAMES else " "), line
    saved = json.loads((out / "names.json").read_text())
    assert saved["loss"] == pytest.approx(losses, abs=1e-3) and saved["chars"][0] == "\n"
    assert set(np.load(out / "names.npz").files) == {"Wax", "Waa", "ba", "Wya", "by"}


def test_dinosaur_names_are_mostly_new() -> None:
    from jazz.lessons import names as jn

    dinos = jn.read_names(need(CORPUS / "text" / "dinos.txt"))
    params, vocab, history = jn.train(dinos, iterations=3000, seed=0, report_every=500)
    assert history[-1] < 0.6 * history[0], history
    rng = np.random.default_rng(0)
    samples = [jn.sample(params, vocab, rng) for _ in range(30)]
    assert sum(name not in set(dinos) for name in samples) >= 24, samples


@pytest.mark.parametrize("lesson", ["names", "poems"])
def test_lessons_refuse_empty_binary_and_missing_text(lesson: str, tmp_path: Path, midi_file: Path, capsys) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("\n \n", encoding="utf-8")
    extra = ["--out", str(tmp_path / "out")] if lesson == "poems" else []
    for path, words in ((empty, "empty"), (midi_file, "binary"), (tmp_path / "nowhere.txt", "nowhere.txt")):
        assert main(["lesson", lesson, str(path), *extra]) == 2
        err = one_sentence_error(capsys)
        assert words in err and str(path) in err, err
    assert not (tmp_path / "out").exists()


# --- poems ---------------------------------------------------------------------------------


def test_windows_predict_the_next_character() -> None:
    from jazz.lessons import poems

    ids = np.arange(50, dtype=np.int32)
    data = poems.Windows(ids, seq_len=8, stride=4, batch_size=3, steps=2, seed=0)
    x, y = data[0]
    assert x.shape == y.shape == (3, 8)
    np.testing.assert_array_equal(y, x + 1)  # y is x moved on by one character
    assert set(x[:, 0] % 4) == {0}  # windows start every `stride` characters
    with pytest.raises(ValueError, match="too short"):
        poems.split_text("a" * 50, seq_len=10)


def test_real_word_share() -> None:
    from jazz.lessons import poems

    assert poems.real_word_share("Thou art zxq, SUMMER's", VERSE) == pytest.approx(3 / 4)
    assert poems.real_word_share("!!", VERSE) == 0.0


@pytest.fixture
def short_epochs(monkeypatch):
    """Epochs of 20 batches instead of 50: the tests only need to see the loss fall."""
    from jazz.lessons import poems

    monkeypatch.setattr(poems, "STEPS_PER_EPOCH", 20)


def test_poems_train_then_continue_a_prompt(tmp_path: Path, capsys, short_epochs) -> None:
    text = tmp_path / "verse.txt"
    text.write_text(VERSE * 40, encoding="utf-8")
    out = tmp_path / "model"
    assert main(["lesson", "poems", str(text), "--out", str(out), "--hidden", "32", "--seq-len", "24",
                 "--epochs", "2", "--length", "40"]) == 0
    printed = capsys.readouterr().out
    assert "validation loss" in printed and "real words" in printed
    config = json.loads((out / "vocab.json").read_text(encoding="utf-8"))
    assert config["chars"] == "".join(sorted(set(VERSE)))
    assert 0.0 <= config["result"]["real_words"]["share"] <= 1.0
    history = [line.split(",") for line in (out / "history.csv").read_text().splitlines()]
    val = [float(row[history[0].index("val_loss")]) for row in history[1:]]
    assert len(val) == 2 and val[1] < val[0] < np.log(len(config["chars"])), val  # the loss falls
    assert (out / "curves.png").stat().st_size > 0

    assert main(["lesson", "poems", "--model", str(out), "--prompt", "Shall I", "--length", "60", "--seed", "3"]) == 0
    first = capsys.readouterr().out
    assert first.startswith("Shall I") and len(first.rstrip("\n")) >= len("Shall I") + 50
    assert set(first) <= set(VERSE)
    assert main(["lesson", "poems", "--model", str(out), "--prompt", "Shall I", "--length", "60", "--seed", "3"]) == 0
    assert capsys.readouterr().out == first  # the seed fixes the sample

    assert main(["lesson", "poems", "--model", str(out), "--prompt", "Zebra"]) == 2
    assert "never saw" in one_sentence_error(capsys)
    assert main(["lesson", "poems", str(text), "--out", str(out)]) == 2
    assert "already holds a model" in one_sentence_error(capsys)


def test_poems_with_the_hand_built_cell_saves_and_loads(tmp_path: Path, capsys, short_epochs) -> None:
    text = tmp_path / "verse.txt"
    text.write_text(VERSE * 20, encoding="utf-8")
    out = tmp_path / "hand"
    assert main(["lesson", "poems", str(text), "--out", str(out), "--cell", "hand-lstm", "--hidden", "16",
                 "--seq-len", "16", "--epochs", "1", "--length", "10"]) == 0
    capsys.readouterr()
    assert json.loads((out / "vocab.json").read_text())["cell"] == "hand-lstm"
    assert main(["lesson", "poems", "--model", str(out), "--prompt", "Thou", "--length", "20"]) == 0
    assert capsys.readouterr().out.startswith("Thou")


def test_poems_refuses_a_missing_or_broken_model(tmp_path: Path, capsys) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    for folder, words in ((tmp_path / "nowhere", "not a folder"), (broken, "vocab.json")):
        assert main(["lesson", "poems", "--model", str(folder)]) == 2
        assert words in one_sentence_error(capsys)
    (broken / "vocab.json").write_text(json.dumps({"chars": "abc"}), encoding="utf-8")
    (broken / "model.keras").write_bytes(b"not a zip file")
    assert main(["lesson", "poems", "--model", str(broken)]) == 2
    assert "model.keras" in one_sentence_error(capsys)
    assert main(["lesson", "poems"]) == 2
    assert "--model" in one_sentence_error(capsys)
    assert main(["lesson", "poems", "--model", str(broken), "--temperature", "0"]) == 2
    assert "--temperature" in one_sentence_error(capsys)


def test_poems_refuses_a_prompt_its_text_cannot_spell_before_training(tmp_path: Path, capsys) -> None:
    text = tmp_path / "verse.txt"
    text.write_text(VERSE * 20, encoding="utf-8")
    assert main(["lesson", "poems", str(text), "--out", str(tmp_path / "m"), "--prompt", "Zebra"]) == 2
    assert "does not" in one_sentence_error(capsys)
    assert not (tmp_path / "m").exists()


# --- gradients -----------------------------------------------------------------------------


def test_rnn_gradient_shrinks_at_least_like_a_power_of_waa() -> None:
    """‖∂a⟨t⟩/∂a⟨t−1⟩‖ = ‖diag(1 − a²) Waa‖ ≤ σmax(Waa), so k steps back: at most σmax(Waa)^k."""
    rng = np.random.default_rng(0)
    params = jg.init_params("rnn", 16, 8, 4, rng)
    for scale in (1.2, 1.0, 0.8):
        params["Waa"] = scale * np.linalg.qr(rng.normal(size=(16, 16)))[0]  # every singular value is `scale`
        x, _ = jg.key_task(rng, 32, 61, 4)
        curve = np.array(jg.reach("rnn", params, x, rng, 60)["a"])
        bound = np.linalg.norm(params["Waa"], 2) ** np.arange(61)
        assert np.all(curve <= bound * (1 + 1e-9)), scale


def test_lstm_cell_path_keeps_the_gradient_when_the_forget_gate_is_open() -> None:
    """With Γf = 1 and the output gate closed (no path through a), ∂J/∂c⟨t−k⟩ = ∂J/∂c⟨t⟩ for every k."""
    rng = np.random.default_rng(1)
    params = jg.init_params("lstm", 8, 8, 4, rng)
    params["Wf"][:] = 0.0
    params["bf"][:] = 40.0  # σ(40) = 1 in float64
    params["Wo"][:] = 0.0
    params["bo"][:] = -20.0
    x, _ = jg.key_task(rng, 16, 61, 4)
    cell = np.array(jg.reach("lstm", params, x, rng, 60)["c"])
    np.testing.assert_allclose(cell / cell[0], 1.0, rtol=1e-6)


def test_gradient_curves_start_at_one_and_come_in_the_expected_order() -> None:
    result = jg.measure(max_k=50, n_a=12, iterations=80, m=16)
    for curves in (result, result["at_init"]):
        for cell in jg.CELLS:
            assert len(curves[cell]) == 51 and curves[cell][0] == pytest.approx(1.0)
            assert curves[cell][50] < curves[cell][0]  # every cell loses some gradient over 50 steps
    assert result["lstm"][50] > result["rnn"][50] and result["gru"][50] > result["rnn"][50]
    assert result["ratio_at_50"] == pytest.approx(jg.ratio(result)) and result["ratio_at_50"] > 100


def test_gradients_command_writes_json_and_png(tmp_path: Path, capsys) -> None:
    out = tmp_path / "g"
    assert main(["lesson", "gradients", "--out", str(out), "--iterations", "20", "--hidden", "8"]) == 0
    assert "ratio at 50" in capsys.readouterr().out
    result = json.loads((out / "gradients.json").read_text(encoding="utf-8"))
    for cell in ("rnn", "lstm", "gru"):
        assert len(result[cell]) == 101 and result[cell][0] == pytest.approx(1.0)
    assert {"ratio_at_50", "setup", "at_init", "lstm_cell"} <= set(result)
    assert (out / "gradients.png").read_bytes()[:4] == b"\x89PNG"
    (tmp_path / "file").write_text("x")
    assert main(["lesson", "gradients", "--out", str(tmp_path / "file")]) == 2
    assert "is a file" in one_sentence_error(capsys)


def test_reach_uses_the_reference_backward_pass() -> None:
    """One step of the curve equals the gradient-checked cell backward: the GRU's da_prev, by hand."""
    rng = np.random.default_rng(2)
    params = jg.init_params("gru", 6, 8, 4, rng)
    x, _ = jg.key_task(rng, 1, 51, 4)
    _, caches = jg.forward("gru", x, params)
    curve = jg.reach("gru", params, x, np.random.default_rng(5), 50)["a"]
    g = np.random.default_rng(5).normal(size=(6, 1))
    g /= np.linalg.norm(g)
    assert curve[1] == pytest.approx(np.linalg.norm(ref.gru_cell_backward(g, caches[-1])["da_prev"]))


def test_lstm_gate_gradients_against_the_notes_formulas() -> None:
    """The gradient-checked backward pass is the judge of the notes' LSTM formulas (docs/lessons.md).

    With one example, db = dΓ (the gradient at each gate's pre-activation). The revised notes
    route da_next into c⟨t⟩ through a = Γo * tanh(c) in dc̃, dΓu and dΓf, and agree; the first
    edition's eq. (8), read as written, puts an extra c̃ and tanh' of c̃ on that path and misses
    (1 - c̃²) on the dc_next path, and does not.
    """
    rng = np.random.default_rng(4)
    params = {k: v for k, v in jg.init_params("lstm", 5, 3, 2, rng).items() if k not in ("Wya", "by")}
    xt, a_prev, c_prev = rng.normal(size=(3, 1)), rng.normal(size=(5, 1)), rng.normal(size=(5, 1))
    da_next, dc_next = rng.normal(size=(5, 1)), rng.normal(size=(5, 1))
    _, c_next, cache = ref.lstm_cell_forward(xt, a_prev, c_prev, params)
    gf, gu, cct, go = cache[4:8]
    grads = ref.lstm_cell_backward(da_next, dc_next, cache)
    through_a = go * (1 - np.tanh(c_next) ** 2) * da_next  # ∂J/∂c⟨t⟩ that comes through a⟨t⟩

    np.testing.assert_allclose(grads["dbo"], da_next * np.tanh(c_next) * go * (1 - go))  # dΓo, both editions
    np.testing.assert_allclose(grads["dbc"], (dc_next * gu + through_a * gu) * (1 - cct**2))  # dc̃, revised
    np.testing.assert_allclose(grads["dbu"], (dc_next * cct + through_a * cct) * gu * (1 - gu))  # dΓu, revised
    np.testing.assert_allclose(grads["dbf"], (dc_next * c_prev + through_a * c_prev) * gf * (1 - gf))  # dΓf
    np.testing.assert_allclose(grads["dc_prev"], dc_next * gf + through_a * gf)  # dc_prev, both editions
    first_edition = dc_next * gu + through_a * gu * cct * (1 - np.tanh(cct) ** 2)
    assert not np.allclose(grads["dbc"], first_edition)


def test_poems_time_budget_and_summary_give_the_same_minutes(tmp_path: Path, capsys, short_epochs) -> None:
    import re

    text = tmp_path / "verse.txt"
    text.write_text(VERSE * 20, encoding="utf-8")
    assert main(["lesson", "poems", str(text), "--out", str(tmp_path / "m"), "--hidden", "8", "--seq-len", "16",
                 "--epochs", "5", "--max-minutes", "0.0001", "--length", "10"]) == 0
    captured = capsys.readouterr()
    stopped = re.search(r"stopping after epoch 1 \(([\d.]+) min\)", captured.err)
    summary = re.search(r"trained 1 epoch in ([\d.]+) min", captured.out)
    assert stopped and summary and stopped.group(1) == summary.group(1)
