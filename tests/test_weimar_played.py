"""The Weimar import as played: two small real solos imported from the shared CSVs sound at their real onsets and
loudness, read back onto exactly the grid (and tokens) of the import without played timing, through either reader
and the parse cache, and carry the played onsets the evaluation measures their eighth pairs from."""

from __future__ import annotations

import shutil
from pathlib import Path

import mido
import numpy as np
import pytest

from conftest import CORPUS, need

import jazz.midi.weimar as weimar
from jazz.measure.bands import eighth_ratios
from jazz.midi import events
from jazz.midi.corpus import load_corpus
from jazz.midi.read import load_content, read_solo
from jazz.midi.timing import read_shifts, shifts_of, timing_event, unshift
from jazz.model.tokens import Tokenizer
from jazz.music.feelfit import read_csv
from jazz.music.feelfit import read_solo as read_csv_solo
from jazz.music.feelfit import solo_pair_ratios

SOLOS = ("LouisArmstrong_CornetChopSuey_FINAL", "BennyGoodman_HandfulOfKeys_FINAL")  # 92 and 81 notes


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    """A Weimar folder holding only ``SOLOS`` (copied from the shared corpus)."""
    src = need(CORPUS / "wjazzd")
    out = tmp_path_factory.mktemp("wjazzd")
    for name in SOLOS:
        for part, file in (("melody", f"{name}.csv"), ("beats", f"{name}_beattrack.csv")):
            (out / "csv" / part).mkdir(parents=True, exist_ok=True)
            shutil.copy(src / "csv" / part / file, out / "csv" / part / file)
    shutil.copy(src / "meta.csv", out / "meta.csv")
    return out


@pytest.fixture(scope="module")
def imported(small: Path, tmp_path_factory) -> dict[str, Path]:
    """Both solos imported as played ("played") and as the import wrote them before, on the grid ("grid")."""
    played = tmp_path_factory.mktemp("played")
    assert {r["status"] for r in weimar.import_weimar(small, played)} == {"written"}
    grid = tmp_path_factory.mktemp("grid")
    with pytest.MonkeyPatch.context() as patch:  # every note played where it is written
        patch.setattr(weimar, "played_notes", lambda notes, onsets: (notes, [0] * len(notes), 0))
        weimar.import_weimar(small, grid)
    return {"played": played, "grid": grid, "src": small}


def seconds_at(ticks: np.ndarray, midi: mido.MidiFile) -> np.ndarray:
    """Seconds of ``ticks`` through the file's tempo map, as a DAW plays it."""
    tick, changes = 0, []
    for message in midi.tracks[0]:
        tick += message.time
        if message.type == "set_tempo":
            changes.append((tick, message.tempo))
    at = np.array([t for t, _ in changes])
    per_tick = np.array([tempo for _, tempo in changes]) / 1e6 / midi.ticks_per_beat
    elapsed = np.concatenate([[0.0], np.cumsum(np.diff(at) * per_tick[:-1])])
    index = np.searchsorted(at, ticks, side="right") - 1
    return elapsed[index] + (ticks - at[index]) * per_tick[index]


def test_a_daw_plays_each_note_at_its_real_onset_and_loudness(imported):
    for name in SOLOS:
        midi = mido.MidiFile(imported["played"] / f"{name}.mid")
        tick, ons = 0, []
        for message in midi.tracks[1]:
            tick += message.time
            if message.type == "note_on" and message.velocity > 0:
                ons.append((tick, message.velocity))
        rows = read_csv(imported["src"] / "csv" / "melody" / f"{name}.csv")
        real = np.array([float(r["onset"]) for r in rows])
        heard = seconds_at(np.array([t for t, _ in ons]), midi)
        # the file starts at the bar line before the first note: one constant offset, then every onset to 1 ms
        assert np.ptp(heard - real) < 0.001, name
        loud = np.array([float(r["loud_median"]) for r in rows])
        velocity = np.array([v for _, v in ons])
        assert len(set(velocity)) > 10 and np.corrcoef(loud, velocity)[0, 1] > 0.9, name


def test_both_readers_read_the_grid_of_the_import_without_played_timing(imported, monkeypatch):
    tok = Tokenizer()
    for name in SOLOS:
        played, grid = read_solo(imported["played"] / f"{name}.mid"), read_solo(imported["grid"] / f"{name}.mid")
        with monkeypatch.context() as patch:
            patch.setattr(events, "symusic_reads", lambda data: False)
            by_mido = read_solo(imported["played"] / f"{name}.mid")
        a, b = played.solo, grid.solo
        assert [n[:3] for n in a.notes] == [n[:3] for n in b.notes] and (a.bars, a.chords, a.tempi) == (
            b.bars, b.chords, b.tempi), name
        assert np.array_equal(tok.encode(a), tok.encode(b)), name  # the model's tokens do not change
        assert (by_mido.solo.notes, by_mido.solo.played) == (a.notes, a.played), name
        assert len(a.played) == len(a.notes) and all(at == onset for onset, at in b.played.items())
        shifted = [at - onset for onset, at in a.played.items()]
        assert np.abs(shifted).max() > 0.5  # played off the grid, by half a step and more
    data = (imported["played"] / f"{SOLOS[0]}.mid").read_bytes()
    assert events.symusic_reads(data) and events.symusic_content(data, lambda texts: False) is not None


def test_the_played_ratio_is_the_fits_ratio_of_the_csv(imported):
    """The eighth pairs the evaluation reads from the file are the fit's, from the CSV's onsets in seconds (the file's
    ticks through its tempo map give the same seconds, to the rounding of a tick)."""
    meta = {r["filename_sv"].strip().removesuffix(".sv"): r for r in read_csv(imported["src"] / "meta.csv")}
    for name in SOLOS:
        from_file = eighth_ratios(read_solo(imported["played"] / f"{name}.mid").solo)
        from_csv = solo_pair_ratios(read_csv_solo(imported["src"], name, meta[name]))
        assert len(from_file) == len(from_csv) >= 16
        assert from_file == pytest.approx(from_csv.tolist(), abs=0.002), name
        grid = eighth_ratios(read_solo(imported["grid"] / f"{name}.mid").solo)
        assert grid == pytest.approx([1.0] * len(grid))  # played where written: straight, as the grid is


def test_the_parse_cache_keeps_the_played_onsets(imported, tmp_path, monkeypatch):
    monkeypatch.setenv("JAZZ_CACHE_DIR", str(tmp_path / "cache"))
    first = load_corpus([imported["played"]]).solos
    again = load_corpus([imported["played"]]).solos  # from the cache
    assert [s.played for s in again] == [s.played for s in first] and all(s.played for s in first)
    assert [s.notes for s in again] == [s.notes for s in first]


def test_the_timing_event_has_a_one_byte_and_a_wide_form():
    narrow, wide = timing_event([0, -127, 127]), timing_event([0, -128, 5000, -32767])
    assert bytes(narrow.data) == bytes([0x7D, ord("j"), ord("t"), 128, 1, 255])  # as jazz has always written it
    assert read_shifts(narrow) == [0, -127, 127] and read_shifts(wide) == [0, -128, 5000, -32767]
    assert shifts_of(bytes([0x7D, ord("j"), ord("t")])) == [] and shifts_of(b"\x7dxy\x00") is None
    notes = [(5040 + 300, 7000, 60, 90), (0, 2520, 62, 90)]  # shifts in played order: 0, then 300 ticks
    back, played = unshift(notes, [0, 300])
    assert back == [(0, 2520, 62, 90), (5040, 6700, 60, 90)] and played == [0, 5340]
