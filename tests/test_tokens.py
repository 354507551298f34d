"""Solo ↔ tokens: lossless round trips, the sampling grammar, and the tokenizer file."""

from __future__ import annotations

import numpy as np
import pytest

from jazz.midi.corpus import load_corpus
from jazz.model.tokens import (
    EOS,
    FORMAT_VERSION,
    TOKENS_PER_NOTE,
    Grammar,
    TokenError,
    Tokenizer,
)
from jazz.music.chord_parse import transpose_solo
from jazz.music.notes import Bar, Note, Solo

TOK = Tokenizer()


def key(solo: Solo):
    return [(n.pitch, n.onset, n.duration) for n in solo.notes], solo.bars


def test_round_trip_of_every_weimar_solo(wjazzd_midi, tmp_path, monkeypatch):
    monkeypatch.setenv("JAZZ_CACHE_DIR", str(tmp_path))
    corpus = load_corpus([wjazzd_midi])
    assert len(corpus.solos) == 407
    for solo in corpus.solos:
        ids = TOK.encode(solo)
        assert key(TOK.decode(ids)) == key(solo), solo.name
        assert len(ids) == 2 + len(solo.bars) + TOKENS_PER_NOTE * len(solo.notes)


def test_grammar_accepts_real_solos(wjazzd_midi, tmp_path, monkeypatch):
    monkeypatch.setenv("JAZZ_CACHE_DIR", str(tmp_path))
    corpus = load_corpus(sorted(wjazzd_midi.iterdir())[:12])
    for solo in corpus.solos:
        ids = TOK.encode(solo)
        grammar = Grammar(TOK, 1)
        for token in ids[1:]:
            assert grammar.mask()[0, token], (solo.name, TOK.vocab[token])
            grammar.advance(np.array([token]))
        assert grammar.done.all()


def test_round_trip_meter_changes_empty_bars_and_long_notes():
    bars = [Bar(0, 3, 4), Bar(36, 3, 4), Bar(72, 5, 4), Bar(132, 4, 4), Bar(180, 6, 8)]
    notes = [Note(60, 0, 5), Note(62, 9, 96), Note(70, 140, 1), Note(71, 150, 30), Note(21, 180, 36)]
    solo = Solo(notes, bars)
    assert key(TOK.decode(TOK.encode(solo))) == key(solo)


def test_every_sequence_the_grammar_allows_decodes_to_a_monophonic_solo():
    rng = np.random.default_rng(0)
    plan = ["4/4"] * 6 + ["3/4"] * 2
    grammar = Grammar(TOK, 64, plan)
    rows = [[TOK.index["<bos>"]] * 64]
    while not grammar.done.all():
        mask = grammar.mask()
        assert mask.any(axis=1).all()
        scores = np.where(mask, rng.random(mask.shape), -1)
        ids = scores.argmax(axis=1)
        grammar.advance(ids)
        rows.append(ids)
    total = 6 * 48 + 2 * 36
    for row in np.array(rows).T:
        solo = TOK.decode(row)
        assert [b.meter for b in solo.bars] == plan
        assert all(a.end <= b.onset for a, b in zip(solo.notes, solo.notes[1:]))
        assert all(n.end <= total for n in solo.notes)
        assert row[list(row).index(TOK.index[EOS]) + 1:].tolist() == [0] * (len(row) - list(row).index(TOK.index[EOS]) - 1)


def test_tokenizer_file_round_trip_and_version_check(tmp_path):
    assert Tokenizer.from_json(TOK.to_json()).vocab == TOK.vocab
    bad = TOK.to_json().replace(f'"format_version": {FORMAT_VERSION}', '"format_version": 999')
    with pytest.raises(TokenError, match="version 999"):
        Tokenizer.from_json(bad)
    with pytest.raises(TokenError, match="not a jazz tokenizer"):
        Tokenizer.from_json("[1, 2")
    with pytest.raises(TokenError, match="cannot read"):
        Tokenizer.load(tmp_path / "missing.json")


def test_transpositions_keep_pitches_in_range():
    solo = Solo([Note(100, 0, 6), Note(30, 6, 6)], [Bar(0)])
    shifts = TOK.transpositions(solo)
    assert shifts == [k for k in range(-6, 6) if 30 + k >= 21 and 100 + k <= 108]
    assert max(n.pitch for n in transpose_solo(solo, max(shifts)).notes) <= TOK.high


def test_decode_rejects_a_broken_sequence():
    with pytest.raises(TokenError):
        TOK.decode([TOK.index["<bos>"], TOK.index["pitch:60"]])
