"""Damaged MIDI files: what is intact is read, the damage is named, intact files are read as before."""

from __future__ import annotations

import io
import json
import re
import struct
from pathlib import Path

import mido
import pytest
from midi_factory import damaged_copies, make_midi, scale_notes

from jazz.midi.corpus import load_corpus
from jazz.midi.read import load_content, read_solo
from jazz.midi.salvage import salvage


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JAZZ_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def hostile(wjazzd_midi_module, tmp_path_factory) -> tuple[dict[str, list[Path]], dict]:
    """Six real solos, each intact, truncated, bit-flipped and with bytes inserted, and the corpus report."""
    sources = sorted(wjazzd_midi_module.glob("*.mid"))[::68][:6]
    folder = tmp_path_factory.mktemp("hostile")
    made = damaged_copies(sources, folder, seed=1)
    corpus = load_corpus([folder], jobs=1, cache=False)
    return made, {(Path(r.path).parent.name, Path(r.path).name): r for r in corpus.reports}


@pytest.fixture(scope="module")
def wjazzd_midi_module():
    from conftest import CORPUS, need

    return need(CORPUS / "wjazzd" / "midi")


def notes_of(path: Path) -> set[tuple]:
    return {note for part in load_content(path).parts for note in part.notes}


def test_truncated_files_keep_the_notes_before_the_cut(hostile):
    made, reports = hostile
    for path in made["truncated"]:
        report = reports["truncated", path.name]
        assert report.status == "used", report.reason
        assert report.damage == f"file ends inside track 0 (Melody) at byte {path.stat().st_size:,}"
        kept, whole = notes_of(path), notes_of(path.parent.parent / "intact" / path.name)
        assert kept < whole  # a note cut off at the end is left out, not made up
        assert max(kept) < min(whole - kept)  # the earliest notes, all of them


def test_inserted_bytes_end_the_track_without_made_up_notes(hostile):
    made, reports = hostile
    for path in made["inserted"]:
        report = reports["inserted", path.name]
        assert report.status == "used", report.reason
        assert re.fullmatch(r"garbage inside track 0 \(Melody\) at byte [\d,]+ \(.+\)", report.damage), report.damage
        assert notes_of(path) <= notes_of(path.parent.parent / "intact" / path.name)


def test_intact_files_are_read_by_mido_and_the_walker_agrees(hostile):
    made, reports = hostile
    for path in made["intact"]:
        assert reports["intact", path.name].status == "used" and not reports["intact", path.name].damage
        data = path.read_bytes()
        salvaged = salvage(data)
        assert salvaged.damage == ""
        strict = mido.MidiFile(file=io.BytesIO(data))
        assert [list(t) for t in salvaged.midi.tracks] == [list(t) for t in strict.tracks]


def test_no_reason_ends_in_an_empty_exception_message(hostile):
    _, reports = hostile
    for report in reports.values():
        text = report.reason or report.damage
        assert not re.search(r"(\(\)|: \)|:)$", text) and "Error" not in text, text


# -- hand-made damage ------------------------------------------------------------------------

def chunk(kind: bytes, data: bytes) -> bytes:
    return kind + struct.pack(">I", len(data)) + data


def header(ntracks: int, division: int = 96) -> bytes:
    return chunk(b"MThd", struct.pack(">HHH", 1, ntracks, division))


def notes(n: int, pitch: int = 60) -> bytes:
    """``n`` eighth notes at 96 ticks per beat, with explicit status bytes."""
    return b"".join(bytes([0, 0x90, pitch + i % 12, 80, 48, 0x80, pitch + i % 12, 0]) for i in range(n))


END = b"\x00\xff\x2f\x00"
NAME = b"\x00\xff\x03\x04Solo"


def outcome(tmp_path, data: bytes):
    path = tmp_path / "damaged.mid"
    path.write_bytes(data)
    return read_solo(path)


def test_a_chunk_length_that_lies_is_read_past(tmp_path):
    body = NAME + notes(12) + END
    data = header(1) + b"MTrk" + struct.pack(">I", len(body) - 10) + body
    reading = outcome(tmp_path, data)
    assert len(reading.solo.notes) == 12
    assert reading.damage == f"track 0 (Solo)'s chunk length says {len(body) - 10} bytes but its events take {len(body)}"


def test_garbage_in_one_track_does_not_lose_the_next(tmp_path):
    accompaniment = notes(4, pitch=48) + b"\x00\xf4\x01\x02" + notes(4, pitch=48) + END
    data = header(2) + chunk(b"MTrk", accompaniment) + chunk(b"MTrk", NAME + notes(12) + END)
    start = len(header(2)) + 8 + 4 * 8
    reading = outcome(tmp_path, data)
    assert reading.track == "1:Solo" and len(reading.solo.notes) == 12
    assert reading.damage == (f"garbage inside track 0 at byte {start:,} "
                              "(a status byte 0xF4 that has no place in a MIDI file)")


def test_bytes_inserted_between_tracks_are_passed_over(tmp_path):
    data = header(2) + chunk(b"MTrk", notes(2, pitch=36) + END) + b"\x17\xee\x00" + chunk(b"MTrk", notes(10) + END)
    reading = outcome(tmp_path, data)
    assert len(reading.solo.notes) == 10 and reading.damage == "3 bytes of garbage after track 0 were passed over"


def test_a_damaged_chunk_name_and_a_missing_track(tmp_path):
    data = header(3) + chunk(b"MTrj", NAME + notes(9) + END)
    reading = outcome(tmp_path, data)
    assert len(reading.solo.notes) == 9
    assert reading.damage == "track 0's chunk is named 'MTrj', not 'MTrk'"
    reading = outcome(tmp_path, header(3) + chunk(b"MTrk", notes(9) + END))
    assert reading.damage == "the header promises 3 tracks but the file holds 1"


def test_too_little_before_the_damage_is_a_skip_that_says_where(tmp_path):
    data = (header(1) + chunk(b"MTrk", NAME + notes(12) + END))[:len(header(1)) + 8 + len(NAME) + 5 * 8 + 3]
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "cut.mid").write_bytes(data)
    make_midi(folder / "good.mid", [scale_notes(16)])
    corpus = load_corpus([folder])
    cut = next(r for r in corpus.reports if r.path.endswith("cut.mid"))
    assert cut.status == "skipped"
    assert cut.reason == (f"file ends inside track 0 (Solo) at byte {len(data)}; "
                          "in what could be read: only 5 notes in the melody part '0:Solo' (need 8)")


def test_corpus_table_and_json_show_the_salvage(tmp_path):
    whole = header(1) + chunk(b"MTrk", NAME + notes(12) + END)
    (tmp_path / "cut.mid").write_bytes(whole[:-21])  # inside the tenth note-off: nine notes and a half
    corpus = load_corpus([tmp_path])
    sentence = f"file ends inside track 0 (Solo) at byte {len(whole) - 21}"
    assert f"0:Solo (salvaged: {sentence})" in corpus.table()
    (entry,) = json.loads(corpus.to_json())["files"]
    assert entry["status"] == "used" and entry["damage"] == sentence and entry["notes"] == 9


def test_bit_flipped_files_are_still_used(hostile):
    made, reports = hostile
    assert all(reports["flipped", path.name].status == "used" for path in made["flipped"])


def test_a_meta_event_that_says_it_is_megabytes_long_is_garbage(tmp_path):
    data = header(1) + chunk(b"MTrk", NAME + notes(9) + b"\x00\xff\x01\x8f\xff\xff\x7f" + b"x" * 20 + END)
    reading = outcome(tmp_path, data)
    assert len(reading.solo.notes) == 9
    assert reading.damage.startswith("garbage inside track 0 (Solo) at byte ")
    assert reading.damage.endswith("(a meta event 33,554,431 bytes long, with 24 bytes left in the file)")
