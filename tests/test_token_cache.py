"""Big corpora: the incremental parse cache, and token records that give the windows of the Solo path."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest
from midi_factory import make_midi

from jazz.midi.corpus import load_corpus, scan_corpus
from jazz.model.features import CONDITION_SIZE, model_inputs
from jazz.model.token_cache import load_token_corpus, token_dir
from jazz.model.token_store import TokenCorpus, window_inputs
from jazz.model.tokens import Tokenizer
from jazz.model.train import WindowData
from jazz.music.chord_parse import transpose_solo
from jazz.music.notes import Bar, ChordChange, Note, Solo
from jazz.settings import ModelConfig

TOK = Tokenizer()
FULL = ModelConfig(TOK.size, condition=CONDITION_SIZE, skip=True, intervals=True, register=True, echo=True,
                   first_pitch=TOK.first("pitch"))
SYMBOLS = ["Dm7", "G7(b9)", "Cmaj7", "N.C.", "F#m7b5", "B7alt", "Ebm6", "C/E", "Bbmaj7", "Abdim7", "E7sus4"]


def random_solo(seed: int, name: str) -> Solo:
    """A random walk over 24 bars of 4/4 with a chord change every two beats or so."""
    rng = np.random.default_rng(seed)
    notes, onset, pitch = [], 0, int(rng.integers(55, 75))
    while onset < 24 * 48 - 12:
        duration = int(rng.choice([3, 6, 12, 12, 24]))
        pitch = int(np.clip(pitch + rng.integers(-5, 6), 40, 90))
        notes.append(Note(pitch, onset, duration))
        onset += duration + int(rng.choice([0, 0, 6]))
    chords = [ChordChange(step, SYMBOLS[int(rng.integers(len(SYMBOLS)))]) for step in range(12, 24 * 48, 24)]
    return Solo(notes, [Bar(48 * i) for i in range(24)], chords=chords, tempo=140.0, name=name)


def test_records_give_the_inputs_of_every_transposed_solo():
    solos = [random_solo(seed, f"s{seed}") for seed in range(4)]
    data = TokenCorpus.from_solos(TOK, solos)
    for row, solo in zip(data.solos, solos):
        records = data.records[row["start"]:row["start"] + row["length"]]
        for shift in TOK.transpositions(solo):
            expected = model_inputs(TOK, transpose_solo(solo, shift), FULL)
            got = window_inputs(TOK, records, np.full(len(records), shift), np.full(len(records), row["centre"]),
                                FULL.input_names)
            for name in FULL.input_names:
                np.testing.assert_array_equal(got[name], np.asarray(expected[name]).astype(got[name].dtype),
                                              err_msg=f"{solo.name} {shift:+d} {name}")


def chord_melodies(folder, count: int, first: int = 0) -> None:
    """``count`` small files with chord markers, old enough that their size and time can be trusted."""
    rng = np.random.default_rng(first)
    folder.mkdir(exist_ok=True)
    for k in range(first, first + count):
        pitch, notes = 60 + k % 7, []
        for i in range(40 + 5 * k):
            pitch = int(np.clip(pitch + rng.integers(-3, 4), 50, 80))
            notes.append((i * 48, i * 48 + 40, pitch, 0))
        texts = [(96 * j, SYMBOLS[(j + k) % len(SYMBOLS)]) for j in range(0, 20 + 2 * k, 2)]
        path = make_midi(folder / f"m{k:02d}.mid", [notes], texts=texts)
        os.utime(path, ns=(time.time_ns() - 60 * 10**9,) * 2)


def test_token_cache_windows_match_the_solo_path(tmp_path, monkeypatch):
    monkeypatch.setenv("JAZZ_CACHE_DIR", str(tmp_path / "cache"))
    chord_melodies(tmp_path / "midi", 6)
    cached = load_token_corpus(scan_corpus([tmp_path / "midi"], jobs=1), TOK, jobs=1)
    assert isinstance(cached.records, np.memmap)
    solos = load_corpus([tmp_path / "midi"], jobs=1).solos
    assert cached.names == [s.name for s in solos] and cached.chord_solos == 6
    windows = WindowData(cached, TOK, seq_len=40, batch_size=4, augment=True, seed=3, inputs=FULL.input_names)
    windows.on_epoch_end()  # a second epoch: fresh keys and offset
    moved = [model_inputs(TOK, transpose_solo(s, int(k)), FULL) for s, k in zip(solos, windows.shifts)]
    streams = {name: np.concatenate([m[name] for m in moved]) for name in FULL.input_names}
    for index in range(len(windows)):
        x, y = windows[index]
        for i, row in enumerate(windows.order[index * 4:(index + 1) * 4]):
            start = windows.offset + row * 40
            for name in FULL.input_names:
                np.testing.assert_array_equal(x[name][i], streams[name][start:start + 40].astype(x[name].dtype))
            np.testing.assert_array_equal(y[i], streams["tokens"][start + 1:start + 41])


def test_second_run_stats_and_only_changed_files_are_parsed(tmp_path, monkeypatch):
    monkeypatch.setenv("JAZZ_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "midi"
    chord_melodies(folder, 5)
    first = scan_corpus([folder], jobs=1)
    assert (first.parsed, first.hashed) == (5, 5) and len(first.used) == 5
    load_token_corpus(first, TOK, jobs=1)
    entries = {p: p.stat().st_mtime_ns for p in token_dir(TOK).glob("*/*.npz")}
    assert len(entries) == 5

    again = scan_corpus([folder], jobs=1)
    assert (again.parsed, again.hashed) == (0, 0), "an unchanged corpus is only stat'ed"
    assert [r.notes for r in again.reports] == [r.notes for r in first.reports]

    chord_melodies(folder, 1, first=9)  # one file added
    make_midi(folder / "m00.mid", [[(i * 48, i * 48 + 40, 64, 0) for i in range(30)]])  # one file changed
    os.utime(folder / "m00.mid", ns=(time.time_ns() - 30 * 10**9,) * 2)
    grown = scan_corpus([folder], jobs=1)
    assert (grown.parsed, grown.hashed) == (2, 2)
    data = load_token_corpus(grown, TOK, jobs=1)
    now = {p: p.stat().st_mtime_ns for p in token_dir(TOK).glob("*/*.npz")}
    assert len(now) == 7 and all(now[p] == t for p, t in entries.items()), "old entries are not encoded again"
    assert len(data) == 6 and data.notes == sum(r.notes for r in grown.used)


def test_load_corpus_still_gives_solos_after_a_scan(tmp_path, monkeypatch):
    monkeypatch.setenv("JAZZ_CACHE_DIR", str(tmp_path / "cache"))
    chord_melodies(tmp_path / "midi", 3)
    fresh = load_corpus([tmp_path / "midi"], cache=False)
    scan_corpus([tmp_path / "midi"], jobs=1)
    warm = load_corpus([tmp_path / "midi"])
    assert warm.parsed == 0 and [s.notes for s in warm.solos] == [s.notes for s in fresh.solos]
    assert [s.chords for s in warm.solos] == [s.chords for s in fresh.solos]


@pytest.mark.parametrize("augment", [False, True])
def test_window_data_from_solos_and_from_records_agree(augment):
    solos = [random_solo(seed, f"s{seed}") for seed in range(3)]
    a = WindowData(solos, TOK, 32, 8, augment, seed=1, inputs=FULL.input_names)
    b = WindowData(TokenCorpus.from_solos(TOK, solos), TOK, 32, 8, augment, seed=1, inputs=FULL.input_names)
    assert len(a) == len(b) and a.tokens_per_note == b.tokens_per_note
    for (xa, ya), (xb, yb) in zip((a[i] for i in range(len(a))), (b[i] for i in range(len(b)))):
        assert all(np.array_equal(xa[k], xb[k]) for k in FULL.input_names) and np.array_equal(ya, yb)
