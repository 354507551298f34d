"""Generation over chord changes: forms, markers, the band, lead sheets, and the condition features."""

from __future__ import annotations

import json
from pathlib import Path

import mido
import music21
import numpy as np
import pytest

from jazz.cli import main
from jazz.midi.read import read_midi
from jazz.model.features import CONDITION_SIZE, encode_with_condition, token_times
from jazz.model.network import build_model
from jazz.model.tokens import Grammar, Tokenizer
from jazz.model.train import publish_model
from jazz.music.notes import ChordChange
from jazz.music.tunes import get_tune, parse_progression
from jazz.settings import ModelConfig

TOK = Tokenizer()


@pytest.fixture(scope="module")
def chord_model(tmp_path_factory):
    """An untrained chord-aware model folder: enough to test everything but musical quality."""
    out = tmp_path_factory.mktemp("chord_model")
    config = ModelConfig(TOK.size, embedding=8, hidden=16, layers=1, dropout=0.0, condition=CONDITION_SIZE, skip=False, intervals=False, register=False, echo=False)
    publish_model(build_model(config), out / "model.keras")
    (out / "tokenizer.json").write_text(TOK.to_json())
    (out / "config.json").write_text(json.dumps({"model": config.to_dict(), "default_tempo": 140}))
    return out


@pytest.fixture(scope="module")
def register_model(tmp_path_factory):
    """An untrained model whose register path alone decides the pitch: a steep pull to the centre."""
    out = tmp_path_factory.mktemp("register_model")
    config = ModelConfig(TOK.size, embedding=8, hidden=16, layers=1, dropout=0.0, condition=CONDITION_SIZE,
                         skip=True, register=True, first_pitch=TOK.first("pitch"), intervals=False, echo=False)
    model = build_model(config)
    reach = model.get_layer("register_logits").reach
    model.get_layer("register_logits").set_weights([-2.0 * np.abs(np.arange(-reach, reach + 1, dtype="float32"))])
    publish_model(model, out / "model.keras")
    (out / "tokenizer.json").write_text(TOK.to_json())
    (out / "config.json").write_text(json.dumps({"model": config.to_dict(), "default_register": 65}))
    return out


@pytest.mark.parametrize("argv, centre", [
    (["--register", "C3"], 48), (["--register", "84"], 84), (["--register", "Bb4"], 70),
    (["--program", "56"], 70), (["--program", "67"], 55), (["--program", "40"], 65),  # violin: the model's own
    (["--program", "56", "--register", "C3"], 48),
])
def test_solos_play_around_the_asked_register(register_model, tmp_path, argv, centre):
    assert main(["generate", "--model", str(register_model), "--tune", "blues-f", "--seed", "2", "--no-band",
                 "--out", str(tmp_path), *argv]) == 0
    solo, _ = read_midi(tmp_path / "solo_001.mid")
    assert len(solo.notes) > 10 and abs(np.median([n.pitch for n in solo.notes]) - centre) <= 1


@pytest.mark.parametrize("value, message", [("Eb", "needs an octave"), ("H2", "note name"), ("120", "range")])
def test_bad_register_is_one_sentence(register_model, tmp_path, capsys, value, message):
    assert main(["generate", "--model", str(register_model), "--register", value, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def markers(path) -> list[tuple[int, str]]:
    midi, now, found = mido.MidiFile(path), 0, []
    for message in midi.tracks[0]:
        now += message.time
        if message.type == "marker":
            found.append((now, message.text))
    return found


def test_solo_over_a_tune_with_band(chord_model, tmp_path):
    assert main(["generate", "--model", str(chord_model), "--tune", "blues-f", "--choruses", "2", "-n", "2",
                 "--seed", "5", "--out", str(tmp_path), "--musicxml"]) == 0
    path = tmp_path / "solo_001.mid"
    midi = mido.MidiFile(path)
    assert [t.name for t in midi.tracks[1:]] == ["Solo", "Comping", "Bass", "Drums"]
    drums = [m for m in midi.tracks[4] if m.type == "note_on"]
    assert drums and all(m.channel == 9 for m in drums)
    tune = get_tune("blues-f")
    form = [chord for bar in tune.bars for chord in bar]
    texts = [t for _, t in markers(path)]
    assert texts[: 3] == [c for i, c in enumerate(form) if i == 0 or form[i - 1] != c][:3]
    solo, _ = read_midi(path, track="Solo")
    assert len(mido.MidiFile(path).tracks) == 5
    bar_ticks = 4 * 480
    assert max(t for t, _ in markers(path)) < 24 * bar_ticks
    assert midi.length == pytest.approx(24 * 4 * 60 / tune.tempo, rel=1e-6)
    assert all(a.end <= b.onset for a, b in zip(solo.notes, solo.notes[1:]))
    sheet = music21.converter.parse(tmp_path / "solo_001.musicxml")
    symbols = list(sheet.recurse().getElementsByClass("ChordSymbol"))
    assert len(symbols) >= len(texts) - 1 and sheet.recurse().getElementsByClass("Measure")


def test_chords_option_with_repeat_and_three_four(chord_model, tmp_path):
    assert main(["generate", "--model", str(chord_model), "--chords", "| Dm7 | G7 | Cmaj7 | % |", "--meter", "3/4",
                 "--choruses", "3", "--no-band", "--out", str(tmp_path)]) == 0
    midi = mido.MidiFile(tmp_path / "solo_001.mid")
    assert [t.name for t in midi.tracks[1:]] == ["Solo"]
    signature = next(m for m in midi.tracks[0] if m.type == "time_signature")
    assert (signature.numerator, signature.denominator) == (3, 4)
    assert [t for _, t in markers(tmp_path / "solo_001.mid")][:4] == ["Dm7", "G7", "Cmaj7", "Dm7"]
    ends = [m.time for m in midi.tracks[0] if m.type == "end_of_track"]
    assert sum(m.time for m in midi.tracks[0]) == 12 * 3 * 480 and ends


def test_same_seed_same_bytes_with_chords(chord_model, tmp_path):
    for folder in ("a", "b"):
        assert main(["generate", "--model", str(chord_model), "--tune", "ii-v-i-c", "--seed", "9",
                     "--out", str(tmp_path / folder)]) == 0
    assert (tmp_path / "a" / "solo_001.mid").read_bytes() == (tmp_path / "b" / "solo_001.mid").read_bytes()


def test_solo_over_a_chart_carries_its_title_composer_key_and_meter(chord_model, tmp_path):
    chart = Path(__file__).parent / "charts" / "SomedayMyPrinceWillCome.txt"
    assert main(["generate", "--model", str(chord_model), "--changes", str(chart), "--no-band", "--musicxml",
                 "--seed", "3", "--out", str(tmp_path)]) == 0
    midi = mido.MidiFile(tmp_path / "solo_001.mid")
    conductor = {m.type: m for m in midi.tracks[0]}
    assert conductor["track_name"].name == "Someday My Prince Will Come, seed 3"
    assert conductor["key_signature"].key == "Bb" and conductor["text"].text == "Composer: Frank Churchill"
    assert (conductor["time_signature"].numerator, conductor["time_signature"].denominator) == (3, 4)
    texts = [t for _, t in markers(tmp_path / "solo_001.mid")]
    assert texts[:4] == ["Bbmaj7", "D+7", "Ebmaj7", "G+7"]  # D7+ and G7+: augmented sevenths
    solo, _ = read_midi(tmp_path / "solo_001.mid")
    assert len(solo.bars) == 32 and solo.key == "Bb" and solo.chords[1].symbol == "D+7"
    sheet = music21.converter.parse(tmp_path / "solo_001.musicxml")
    assert sheet.metadata.bestTitle == "Someday My Prince Will Come" and sheet.metadata.composer == "Frank Churchill"
    assert sheet.recurse().getElementsByClass("KeySignature")[0].sharps == -2


def test_bad_chart_is_one_sentence(chord_model, tmp_path, capsys):
    chart = tmp_path / "bad.txt"
    chart.write_text("Title = Bad\n| C | G7 Hm7 |\n")
    assert main(["generate", "--model", str(chord_model), "--changes", str(chart), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "bad.txt: bar 2: unknown chord symbol 'Hm7'" in err and len(err.splitlines()) == 1
    with pytest.raises(SystemExit):  # one source of changes at a time
        main(["generate", "--model", str(chord_model), "--changes", str(chart), "--tune", "blues-f"])


@pytest.mark.parametrize("argv, message", [
    (["--chords", "| Dm7 | Gx7 |"], "Gx7"),
    (["--tune", "no-such-tune"], "unknown tune"),
    (["--tune", "blues-f", "--choruses", "0"], "--choruses must be at least 1"),
    (["--meter", "four"], "--meter"),
])
def test_bad_changes_are_one_sentence(chord_model, tmp_path, capsys, argv, message):
    assert main(["generate", "--model", str(chord_model), "--out", str(tmp_path), *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_list_tunes(capsys):
    assert main(["generate", "--list-tunes"]) == 0
    out = capsys.readouterr().out
    for name in ("blues-f", "blues-bb", "rhythm-changes-bb", "modal-d-dorian", "coltrane-cycle"):
        assert name in out


def test_condition_follows_the_grammar_moment(wjazzd_midi):
    solo, _ = read_midi(wjazzd_midi / "ArtPepper_Anthropology_FINAL.mid")
    ids = TOK.encode(solo)
    grammar, times = Grammar(TOK, 1), [0]
    for token in ids[1:-1]:
        grammar.advance(np.array([token]))
        times.append(int(grammar.time[0]))
    assert token_times(TOK, ids)[:-1].tolist() == times


def test_condition_rows_name_the_sounding_and_next_chord():
    from jazz.music.notes import Bar, Note, Solo

    solo = Solo([Note(60, 0, 12), Note(62, 48, 12), Note(64, 60, 12)], [Bar(0), Bar(48)],
                chords=[ChordChange(0, "C7"), ChordChange(60, "F7")])
    ids, condition = encode_with_condition(TOK, solo)
    assert condition.shape == (len(ids), CONDITION_SIZE)
    roots_now = condition[:, :12].argmax(axis=1)
    roots_next = condition[:, 37:49].argmax(axis=1)
    times = token_times(TOK, ids)
    assert all(r == (5 if t >= 60 else 0) for r, t in zip(roots_now, times))
    assert roots_next[times < 60].tolist() == [5] * int((times < 60).sum())


def test_metheny_melody_and_estimated_chords(metheny):
    solo, track = read_midi(metheny, track="Guitar")
    assert track == "11:Guitar" and len(solo.chords) > 50
    first_bars = {c.symbol for c in solo.chords if c.onset < 8 * 48}
    assert first_bars & {"Fmaj7", "Dm7", "Gm7", "C7"}


def test_progression_text_matches_the_form():
    assert len(parse_progression(get_tune("rhythm-changes-bb").changes)) == 32


@pytest.mark.parametrize("cell", ["lstm", "hand-lstm", "gru", "hand-gru", "rnn"])
def test_generate_works_with_every_cell(cell, tmp_path):
    out = tmp_path / cell
    config = ModelConfig(TOK.size, embedding=8, hidden=8, layers=2, dropout=0.0, cell=cell, condition=CONDITION_SIZE, skip=False, intervals=False, register=False, echo=False)
    publish_model(build_model(config), out / "model.keras")
    (out / "tokenizer.json").write_text(TOK.to_json())
    (out / "config.json").write_text(json.dumps({"model": config.to_dict()}))
    assert main(["generate", "--model", str(out), "--tune", "ii-v-i-c", "--out", str(tmp_path / "o"), "-n", "2"]) == 0
    assert len(mido.MidiFile(tmp_path / "o" / "solo_002.mid").tracks) == 5


def test_incompatible_tokenizer_is_a_usage_error(chord_model, tmp_path, capsys):
    import shutil

    broken = tmp_path / "old"
    shutil.copytree(chord_model, broken)
    text = (broken / "tokenizer.json").read_text().replace('"format_version": 1', '"format_version": 0')
    (broken / "tokenizer.json").write_text(text)
    assert main(["generate", "--model", str(broken), "--out", str(tmp_path / "o")]) == 2
    assert "format version 0 is not supported" in capsys.readouterr().err


def test_internal_errors_are_short_unless_debug(chord_model, tmp_path, monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise RuntimeError("something inside broke")

    monkeypatch.setattr("jazz.model.sample.sample", broken)  # generate imports it when it samples
    args = ["generate", "--model", str(chord_model), "--out", str(tmp_path / "o")]
    assert main(args) == 1
    err = capsys.readouterr().err.strip()
    assert "internal error" in err and "--debug" in err and "Traceback" not in err
    with pytest.raises(RuntimeError):
        main([*args, "--debug"])


def test_chord_model_without_chords_plays_the_asked_bars_of_a_blues(chord_model, tmp_path, capsys):
    assert main(["generate", "--model", str(chord_model), "--bars", "16", "--out", str(tmp_path)]) == 0
    assert "16 bars of blues-bb" in capsys.readouterr().err
    midi = mido.MidiFile(tmp_path / "solo_001.mid")
    assert sum(m.time for m in midi.tracks[0]) == 16 * 4 * 480
    assert [t for _, t in markers(tmp_path / "solo_001.mid")][0] == "Bb7"


def notes_of(path: Path) -> list:
    """The solo track's note events with their times (an untrained model may play too few notes for read_midi)."""
    return [(m.time, m.note, m.velocity) for m in mido.MidiFile(path).tracks[1] if m.type.startswith("note")]


def test_two_runs_give_new_solos_each_with_the_seed_that_makes_it_again(chord_model, tmp_path, capsys):
    from jazz.midi.write import read_seed

    args = ["generate", "--model", str(chord_model), "--tune", "ii-v-i-c", "-n", "3", "--out", str(tmp_path / "s")]
    assert main(args) == 0 and main(args) == 0
    out = capsys.readouterr().out
    files = sorted((tmp_path / "s").glob("*.mid"))
    assert [f.name for f in files] == [f"solo_{i:03d}.mid" for i in range(1, 7)]
    assert len({tuple(notes_of(f)) for f in files}) == 6  # six different solos, not six names for one
    seeds = [read_seed(mido.MidiFile(f)) for f in files]
    assert len(set(seeds)) == 6 and all(f"{f.name}  (--seed {s})" in out for f, s in zip(files, seeds))
    assert all(f"seed {s}" in mido.MidiFile(f).tracks[0][0].name for f, s in zip(files, seeds))
    # any one solo of a batch, made again from its seed alone: the same bytes
    again = tmp_path / "again"
    assert main(["generate", "--model", str(chord_model), "--tune", "ii-v-i-c", "--seed", str(seeds[4]),
                 "--out", str(again)]) == 0
    assert (again / "solo_001.mid").read_bytes() == files[4].read_bytes()
    assert notes_of(again / "solo_001.mid") == notes_of(files[4])


def test_a_given_seed_numbers_the_batch_from_it(chord_model, tmp_path):
    from jazz.midi.write import read_seed

    assert main(["generate", "--model", str(chord_model), "--tune", "ii-v-i-c", "-n", "2", "--seed", "40",
                 "--out", str(tmp_path)]) == 0
    assert [read_seed(mido.MidiFile(tmp_path / f"solo_00{i}.mid")) for i in (1, 2)] == [40, 41]


def test_wrote_lists_every_file(chord_model, tmp_path, capsys):
    assert main(["generate", "--model", str(chord_model), "--tune", "ii-v-i-c", "--seed", "1", "--musicxml", "--png",
                 "--out", str(tmp_path)]) == 0
    listed = capsys.readouterr().out.splitlines()[1]
    assert listed.split("  (")[0].strip().split(", ") == ["solo_001.mid", "solo_001.musicxml", "solo_001.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["solo_001.mid", "solo_001.musicxml", "solo_001.png"]


def test_numbering_goes_on_after_any_solo_file(chord_model, tmp_path):
    (tmp_path / "solo_007.png").write_bytes(b"")  # a piano roll whose .mid was deleted
    assert main(["generate", "--model", str(chord_model), "--tune", "ii-v-i-c", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "solo_008.mid").exists()
