"""Train on a few real solos, save, reload, generate: the whole path, through the command line."""

from __future__ import annotations

import json
import shutil

import mido
import music21
import pytest

from jazz.cli import main

SMALL = ["--epochs", "2", "--seq-len", "32", "--batch-size", "8", "--hidden", "32", "--embedding", "16",
         "--layers", "1"]


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory, request):
    from conftest import CORPUS, need

    midi = need(CORPUS / "wjazzd" / "midi")
    folder = tmp_path_factory.mktemp("corpus")
    for path in sorted(midi.glob("*.mid"))[:4]:
        shutil.copy(path, folder / path.name)  # a temporary copy, so the test can add bad files beside them
    (folder / "broken.mid").write_bytes(b"MThd\x00\x00\x00\x06\x00\x01")
    return folder


@pytest.fixture(scope="module")
def trained(small_corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("model") / "m"
    assert main(["train", str(small_corpus), "--out", str(out), *SMALL]) == 0
    return out


def test_training_writes_a_complete_model_folder(trained):
    for name in ("model.keras", "tokenizer.json", "config.json", "history.csv", "curves.png", "card.md"):
        assert (trained / name).stat().st_size > 0, name
    config = json.loads((trained / "config.json").read_text())
    assert len(config["split"]["train"]) == 3 and len(config["split"]["validation"]) == 1
    assert not set(config["split"]["train"]) & set(config["split"]["validation"])
    assert config["result"]["epochs_run"] == 2
    card = (trained / "card.md").read_text()
    assert "Weimar Jazz Database" in card and "ODbL" in card and "bits per note" in card
    assert (trained / "curves.png").read_bytes()[:4] == b"\x89PNG"


def test_generated_files_are_playable_and_reproducible(trained, tmp_path):
    args = ["generate", "--model", str(trained), "-n", "2", "--bars", "8", "--seed", "3", "--tempo", "150"]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    assert main([*args, "--out", str(tmp_path / "b")]) == 0
    for name in ("solo_001.mid", "solo_002.mid"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    midi = mido.MidiFile(tmp_path / "a" / "solo_001.mid")
    assert midi.type == 1 and [t.name for t in midi.tracks][1] == "Solo"
    meta = {m.type: m for m in midi.tracks[0] if m.is_meta}
    assert round(mido.tempo2bpm(meta["set_tempo"].tempo)) == 150
    assert (meta["time_signature"].numerator, meta["time_signature"].denominator) == (4, 4)
    assert any(m.type == "program_change" and m.program == 66 for m in midi.tracks[1])
    assert midi.length <= 8 * 4 * 60 / 150 + 1e-6
    score = music21.converter.parse(tmp_path / "a" / "solo_001.mid", quantizePost=False)  # as played, not snapped
    notes = list(score.flatten().notes)
    assert notes and all(len(n.pitches) == 1 for n in notes)  # monophonic
    played, now, sounding = [], 0, {}
    for message in midi.tracks[1]:  # and played so: no note starts before the last one has ended
        now += message.time
        if message.type == "note_on" and message.velocity:
            sounding[message.note] = now
        elif message.type in ("note_on", "note_off") and message.note in sounding:
            played.append((sounding.pop(message.note), now))
    played.sort()
    assert all(later[0] >= earlier[1] for earlier, later in zip(played, played[1:]))
    velocities = {n.volume.velocity for n in notes}
    assert len(velocities) > 3 or len(notes) <= 3
    assert (tmp_path / "a" / "solo_001.mid").read_bytes() != (tmp_path / "a" / "solo_002.mid").read_bytes()


def test_generate_numbers_on_and_force_overwrites(trained, tmp_path):
    args = ["generate", "--model", str(trained), "--bars", "2", "--out", str(tmp_path)]
    assert main(args) == 0 and main(args) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["solo_001.mid", "solo_002.mid"]
    first = (tmp_path / "solo_001.mid").read_bytes()
    assert main([*args, "--force", "--seed", "1"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["solo_001.mid", "solo_002.mid"]
    assert (tmp_path / "solo_001.mid").read_bytes() != first


def test_primer_is_continued(trained, small_corpus, tmp_path):
    primer = sorted(small_corpus.glob("*_FINAL.mid"))[0]
    assert main(["generate", "--model", str(trained), "--bars", "4", "--primer", str(primer),
                 "--out", str(tmp_path)]) == 0
    from jazz.midi.read import read_midi

    original, _ = read_midi(primer)
    continued, _ = read_midi(tmp_path / "solo_001.mid")
    assert [n.pitch for n in continued.notes[:10]] == [n.pitch for n in original.notes[:10]]


def test_resume_extends_a_finished_run(trained, small_corpus, tmp_path):
    from jazz.report.plots import read_history

    out = tmp_path / "copy"
    shutil.copytree(trained, out)
    first = json.loads((out / "config.json").read_text())["result"]
    longer = [a if a != "2" else "3" for a in SMALL]  # --epochs 3 instead of 2
    assert main(["train", str(small_corpus), "--out", str(out), *longer, "--resume"]) == 0
    assert [int(r["epoch"]) for r in read_history(out / "history.csv")] == [0, 1, 2]
    result = json.loads((out / "config.json").read_text())["result"]
    assert result["epochs_run"] == 3
    assert result["train_seconds"] > first["train_seconds"]  # the card counts both runs


def test_resume_keeps_the_saved_layout_and_card_note(small_corpus, tmp_path):
    """Resuming without the original flags uses the checkpoint's layout, and the card keeps its note."""
    out = tmp_path / "plain"
    first = ["train", str(small_corpus), "--out", str(out), *SMALL, "--no-skip", "--no-intervals",
             "--card-note", "Made for the resume test."]
    assert main(first) == 0
    longer = [a if a != "2" else "3" for a in SMALL]
    assert main(["train", str(small_corpus), "--out", str(out), *longer, "--resume"]) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["model"]["skip"] is False and config["model"]["intervals"] is False
    assert config["result"]["epochs_run"] == 3
    assert "Made for the resume test." in (out / "card.md").read_text()


def test_model_folder_without_tokenizer(trained, tmp_path, capsys):
    broken = tmp_path / "broken"
    shutil.copytree(trained, broken)
    (broken / "tokenizer.json").unlink()
    assert main(["generate", "--model", str(broken), "--out", str(tmp_path / "o")]) == 2
    assert "no tokenizer.json" in capsys.readouterr().err
