"""MIDI → Solo: melody choice, monophony, bars and meters, quantization, and per-file reasons."""

from __future__ import annotations

import json

import pytest
from midi_factory import make_midi, scale_notes

from jazz.midi.corpus import cache_dir, load_corpus
from jazz.midi.read import MidiError, read_midi


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JAZZ_CACHE_DIR", str(tmp_path / "cache"))


def test_scale_is_quantized_to_bars_and_steps(tmp_path):
    solo, track = read_midi(make_midi(tmp_path / "s.mid", [scale_notes(16)]))
    assert [n.onset for n in solo.notes] == [6 * i for i in range(16)]  # eighths on a 12-step grid
    assert all(n.duration == 6 for n in solo.notes)
    assert [n.pitch for n in solo.notes[:8]] == [60, 62, 64, 65, 67, 69, 71, 72]
    assert len(solo.bars) == 2 and solo.bars[1].start == 48
    assert solo.tempo == pytest.approx(120.0)


def test_overlaps_are_cut_and_chords_keep_the_top_note(tmp_path):
    notes = [(0, 96, 60, 0), (0, 96, 64, 0), (0, 96, 67, 0),  # a triad: keep G
             (48, 200, 62, 0), (96, 150, 65, 0)] + [(192 + 24 * i, 216 + 24 * i, 70, 0) for i in range(8)]
    solo, _ = read_midi(make_midi(tmp_path / "p.mid", [notes]))
    assert [(n.pitch, n.onset, n.duration) for n in solo.notes[:3]] == [(67, 0, 6), (62, 6, 6), (65, 12, 7)]
    ends = [n.end for n in solo.notes]
    assert all(end <= nxt.onset for end, nxt in zip(ends, solo.notes[1:]))


def test_three_four_and_meter_change(tmp_path):
    notes = [(i * 96, i * 96 + 90, 60 + i % 5, 0) for i in range(12)]
    solo, _ = read_midi(make_midi(tmp_path / "m.mid", [notes], meters=[(0, 3, 4), (6 * 96, 4, 4)]))
    assert [b.meter for b in solo.bars] == ["3/4", "3/4", "4/4", "4/4"]
    assert [b.start for b in solo.bars] == [0, 36, 72, 120]


def test_melody_choice_skips_drums_and_chords(tmp_path):
    chords = [(i * 96, (i + 1) * 96, p, 1) for i in range(8) for p in (48, 52, 55)]
    drums = [(i * 48, i * 48 + 10, 42, 9) for i in range(32)]
    path = make_midi(tmp_path / "band.mid", [chords, scale_notes(16, channel=0), drums], names=["Piano", "Sax", "Drums"])
    solo, track = read_midi(path)
    assert track == "1:Sax"
    solo, track = read_midi(path, track="piano")
    assert track == "0:Piano"
    with pytest.raises(MidiError, match="no track 'Trumpet'"):
        read_midi(path, track="Trumpet")


def test_type_0_file_splits_channels(tmp_path):
    mixed = scale_notes(16, channel=3) + [(i * 48, i * 48 + 10, 36, 9) for i in range(32)]
    solo, track = read_midi(make_midi(tmp_path / "t0.mid", [mixed], midi_type=0))
    assert len(solo.notes) == 16 and solo.notes[0].pitch == 60


def test_long_silences_are_shortened(tmp_path):
    notes = scale_notes(8) + [(96 * 40 + i * 48, 96 * 40 + i * 48 + 40, 65, 0) for i in range(8)]
    solo, _ = read_midi(make_midi(tmp_path / "gap.mid", [notes]))
    empty = [i for i, b in enumerate(solo.bars) if not any(b.start <= n.onset < b.start + 48 for n in solo.notes)]
    assert len(empty) == 2  # ten silent bars became two
    assert solo.notes[8].onset - solo.notes[7].onset < 4 * 48


def test_bad_files_get_one_line_reasons(tmp_path):
    (tmp_path / "text.mid").write_text("hello, I am not MIDI")
    make_midi(tmp_path / "drums.mid", [[(i * 48, i * 48 + 10, 42, 9) for i in range(32)]])
    make_midi(tmp_path / "empty.MID", [[]])
    make_midi(tmp_path / "few.midi", [scale_notes(3)])
    (tmp_path / "sub").mkdir()
    make_midi(tmp_path / "sub" / "good.mid", [scale_notes(16)])
    corpus = load_corpus([tmp_path])
    reasons = {r.path.split("/")[-1]: (r.status, r.reason) for r in corpus.reports}
    assert reasons["good.mid"] == ("used", "")
    assert "not a valid MIDI file" in reasons["text.mid"][1]
    assert reasons["drums.mid"][1].startswith("drums only")
    assert reasons["empty.MID"][1] == "no notes"
    assert "only 3 notes" in reasons["few.midi"][1]
    assert all("\n" not in reason for _, reason in reasons.values())
    data = json.loads(corpus.to_json())
    assert data["summary"] == {"files": 5, "used": 1, "skipped": 4, "notes": 16, "bars": 2, "off_beat": 0}
    assert set(data["files"][0]) == {"path", "status", "reason", "notes", "bars", "track", "damage", "beat",
                                     "beat_subdivision", "on_beat"}


def test_cache_gives_the_same_solos(tmp_path):
    for i in range(3):
        make_midi(tmp_path / f"s{i}.mid", [scale_notes(10 + i)])
    cold = load_corpus([tmp_path])
    warm = load_corpus([tmp_path])
    assert [s.notes for s in cold.solos] == [s.notes for s in warm.solos]
    assert [s.bars for s in cold.solos] == [s.bars for s in warm.solos]
    make_midi(tmp_path / "s0.mid", [scale_notes(20)])  # a changed file is parsed again
    assert len(load_corpus([tmp_path]).solos[0].notes) == 20


def test_metheny_guitar_track(metheny):
    solo, track = read_midi(metheny, track="Guitar")
    assert track == "11:Guitar"
    assert len(solo.notes) > 1000
    assert all(a.end <= b.onset for a, b in zip(solo.notes, solo.notes[1:]))
    auto, auto_track = read_midi(metheny)
    assert auto_track == "11:Guitar"


def test_whole_weimar_midi_folder_parses(wjazzd_midi):
    corpus = load_corpus([wjazzd_midi])
    assert len(corpus.reports) == 407
    assert corpus.summary()["used"] == 407
    for solo in corpus.solos:
        assert all(a.end <= b.onset for a, b in zip(solo.notes, solo.notes[1:])), solo.name


def test_cache_round_trips_every_field(metheny):
    """Notes, bars, chords, key, tempo and name come back from the cache exactly as parsed."""
    cold = load_corpus([metheny], track="Guitar", progress=False)
    assert len(list(cache_dir().rglob("*.parse"))) == 1
    warm = load_corpus([metheny], track="Guitar", progress=False)
    assert len(cold.solos) == 1 and cold.solos[0].chords and len({b.meter for b in cold.solos[0].bars}) >= 1
    assert warm.solos == cold.solos
    assert warm.reports == cold.reports


def test_names_come_from_paths_not_from_the_cache(tmp_path):
    make_midi(tmp_path / "beta.mid", [scale_notes(12)])
    (tmp_path / "gamma.mid").write_bytes((tmp_path / "beta.mid").read_bytes())
    for _ in range(2):  # cold, then warm: one cache entry serves both files
        assert [s.name for s in load_corpus([tmp_path]).solos] == ["beta", "gamma"]
    (tmp_path / "gamma.mid").rename(tmp_path / "delta.mid")
    assert [s.name for s in load_corpus([tmp_path]).solos] == ["beta", "delta"]
    assert len(list(cache_dir().rglob("*.parse"))) == 1


def meter_files(folder) -> None:
    """Three usable solos and four in meters the model has no token for (one changes meter in its third bar)."""
    folder.mkdir(exist_ok=True)
    for i in range(3):
        make_midi(folder / f"good{i}.mid", [scale_notes(40, start_pitch=40 + i)])
    for n, d in ((4, 8), (6, 16), (4, 2)):
        make_midi(folder / f"in_{n}_{d}.mid", [scale_notes(24)], meters=[(0, n, d)])
    make_midi(folder / "to_10_8.mid", [scale_notes(24)], meters=[(0, 4, 4), (2 * 4 * 96, 10, 8)])


def test_meters_the_model_does_not_know_are_skipped_with_a_reason(tmp_path):
    meter_files(tmp_path)
    reasons = {r.path.split("/")[-1]: r.reason for r in load_corpus([tmp_path]).reports if r.status == "skipped"}
    assert sorted(reasons) == ["in_4_2.mid", "in_4_8.mid", "in_6_16.mid", "to_10_8.mid"]
    assert reasons["to_10_8.mid"].startswith("meter 10/8 in bar 3 is not one the model knows (it knows 4/4, 3/4,")
    assert reasons["in_6_16.mid"].startswith("meter 6/16 in bar 1 is not one")


def test_training_on_a_folder_with_unknown_meters_uses_the_rest(tmp_path, capsys):
    from jazz.cli import main

    meter_files(tmp_path / "corpus")
    args = ["--epochs", "1", "--seq-len", "16", "--batch-size", "4", "--hidden", "8", "--embedding", "4",
            "--layers", "1"]
    assert main(["train", str(tmp_path / "corpus"), "--out", str(tmp_path / "model"), *args]) == 0
    assert "skipped" in capsys.readouterr().err and (tmp_path / "model" / "tokenizer.json").exists()


def test_rehearsal_marks_and_lyrics_are_not_chords(tmp_path):
    """Markers "A"/"B" and a lyric "Go" parse as chord symbols, but they are no chord track: the chords
    are estimated from the accompaniment (C, then F)."""
    bar = 4 * 96
    piano = [(b * bar, (b + 1) * bar, p, 1) for b in range(4) for p in ((48, 52, 55) if b % 2 == 0 else (53, 57, 60))]
    path = make_midi(tmp_path / "marks.mid", [scale_notes(32, start_pitch=64), piano], names=["Sax", "Piano"],
                     texts=[(0, "A"), (2 * bar, "B")], lyrics=[(0, "Go"), (bar, "Intro")])
    solo, track = read_midi(path)
    assert track == "0:Sax"
    assert [c.symbol for c in solo.chords] == ["C", "F", "C", "F"]


def test_chord_markers_written_by_jazz_are_read_back(tmp_path):
    from jazz.midi.write import write_midi
    from jazz.music.notes import Bar, ChordChange, Note, Solo

    changes = [ChordChange(0, "Dm7"), ChordChange(48, "G7"), ChordChange(96, "Cmaj7"), ChordChange(144, "A")]
    solo = Solo([Note(60 + i % 5, 12 * i, 12) for i in range(16)], [Bar(48 * b) for b in range(4)], chords=changes)
    write_midi(tmp_path / "written.mid", solo)
    assert read_midi(tmp_path / "written.mid")[0].chords == changes
