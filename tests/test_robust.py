"""Hostile input: damaged and strange MIDI files, fuzzed bytes, link loops, and paths that cannot be used."""

from __future__ import annotations

import os
import struct
import time

import mido
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from midi_factory import make_midi, scale_notes

from jazz.cli import main
from jazz.midi.corpus import load_corpus
from jazz.midi.read import MidiError, read_midi


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JAZZ_CACHE_DIR", str(tmp_path / "cache"))


def chunk(kind: bytes, data: bytes) -> bytes:
    return kind + struct.pack(">I", len(data)) + data


def header(fmt: int = 1, ntracks: int = 1, division: int = 96) -> bytes:
    return chunk(b"MThd", struct.pack(">HHH", fmt, ntracks, division))


NOTES = b"".join(b"\x00\x90" + bytes([60 + i, 80]) + b"\x30\x80" + bytes([60 + i, 0]) for i in range(10))
TRACK = chunk(b"MTrk", NOTES + b"\x00\xff\x2f\x00")


def parse_outcome(path) -> str:
    """'ok' or the one-line reason; anything else (an exception) fails the test."""
    try:
        read_midi(path)
        return "ok"
    except MidiError as error:
        reason = str(error)
        assert reason and "\n" not in reason
        return reason


@pytest.mark.parametrize("name, data, expected", [
    ("truncated.mid", (header() + TRACK)[:40], "file ends inside track 0 at byte 40; in what could be read: only 2 notes"),
    ("wrong_header.mid", b"RIFF" + (header() + TRACK)[4:], "not a valid MIDI file: it does not start with a MIDI header"),
    ("type2.mid", header(fmt=2) + TRACK, "type 2"),
    ("smpte.mid", header(division=0xE728) + TRACK, "SMPTE"),
    ("text.mid", b"just some text\n", "not a valid MIDI file: it does not start"),
    ("empty.mid", b"", "not a valid MIDI file: it is empty"),
    ("no_notes.mid", header() + chunk(b"MTrk", b"\x00\xff\x2f\x00"), "no notes"),
    ("bad_running_status.mid", header() + chunk(b"MTrk", b"\x00\x3c\x50" + NOTES + b"\x00\xff\x2f\x00"),
     "garbage inside track 0 at byte 22 (a data byte 0x3C where an event should start); in what could be read: no notes"),
    ("huge_delta.mid", header() + chunk(b"MTrk", b"\x00\x90\x3c\x50\x8f\xff\xff\x7f\x80\x3c\x00" + NOTES + b"\x00\xff\x2f\x00"),
     "more than"),
])
def test_damaged_files_have_one_line_reasons(tmp_path, name, data, expected):
    path = tmp_path / name
    path.write_bytes(data)
    assert expected in parse_outcome(path)


def test_zero_and_absurd_tempos_still_parse(tmp_path):
    for tempo in (0, 1, 16_777_215):
        path = make_midi(tmp_path / f"t{tempo}.mid", [scale_notes(12)])
        midi = mido.MidiFile(path)
        midi.tracks[0].insert(0, mido.MetaMessage("set_tempo", tempo=tempo))
        midi.save(path)
        solo, _ = read_midi(path)
        assert 20 <= solo.tempo <= 400 and len(solo.notes) == 12


def test_huge_polyphonic_piano_file_is_fast_and_monophonic(tmp_path):
    notes = [(i * 12, i * 12 + 200, 40 + (i * 7) % 48, 0) for i in range(100_000)]
    path = make_midi(tmp_path / "piano.mid", [notes])
    started = time.process_time()
    solo, _ = read_midi(path)
    assert time.process_time() - started < 60  # linear work: a few seconds here; quadratic would be hours
    assert all(a.end <= b.onset for a, b in zip(solo.notes, solo.notes[1:]))


def test_symlink_loop_and_unreadable_entries_do_not_stop_the_corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    make_midi(folder / "good.mid", [scale_notes(16)])
    os.symlink(folder, folder / "loop")  # a folder link to itself
    os.symlink(folder / "self.mid", folder / "self.mid")  # a file link to itself
    corpus = load_corpus([folder])
    status = {os.path.basename(r.path): r for r in corpus.reports}
    assert status["good.mid"].status == "used"
    assert status["self.mid"].status == "skipped" and "cannot read" in status["self.mid"].reason


def test_corpus_command_reports_bad_files_and_goes_on(tmp_path, capsys):
    make_midi(tmp_path / "good.mid", [scale_notes(16)])
    (tmp_path / "bad.mid").write_bytes(b"MThd garbage")
    assert main(["corpus", str(tmp_path), "--json", str(tmp_path / "report.json")]) == 0
    out = capsys.readouterr().out
    assert "bad.mid" in out and "skipped" in out and "1 of 2 files used" in out
    (tmp_path / "good.mid").unlink()
    assert main(["corpus", str(tmp_path)]) == 2


def test_output_under_a_file_is_a_usage_error(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["corpus", str(tmp_path), "--json", str(blocker / "report.json")]) == 2
    assert "cannot use" in capsys.readouterr().err


REAL = None


def real_bytes() -> bytes:
    from conftest import CORPUS

    global REAL
    if REAL is None:
        path = CORPUS / "wjazzd" / "midi" / "ArtPepper_Anthropology_FINAL.mid"
        REAL = path.read_bytes() if path.exists() else header() + TRACK
    return REAL


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300))
def test_random_bytes_never_raise(tmp_path, data):
    path = tmp_path / "fuzz.mid"
    path.write_bytes(header() + data if data[:1] == b"\x00" else data)
    parse_outcome(path)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=8),
       st.integers(0, 10**6))
def test_mutated_real_files_never_raise(tmp_path, edits, cut):
    data = bytearray(real_bytes())
    for position, value in edits:
        data[position % len(data)] = value
    data = data[: max(14, cut % (len(data) + 1))]
    path = tmp_path / "mutant.mid"
    path.write_bytes(bytes(data))
    parse_outcome(path)
