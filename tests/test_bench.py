"""jazz bench: one quick run writes every number under its stable key, on solos it makes when there is no corpus."""

from __future__ import annotations

import json

import pytest
from jazz.cli import main
from jazz.measure.synthetic import SYNTHETIC_SOLOS, random_walk_solo, write_synthetic_corpus


@pytest.mark.slow
def test_quick_bench_writes_all_keys_without_a_corpus(tmp_path, monkeypatch, capsys):
    """No shared folder and no data/midi: it parses and trains on random-walk solos it writes."""
    monkeypatch.setenv("JAZZ_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr("jazz.measure.sources.SHARED_WJAZZD", tmp_path / "no-shared")
    monkeypatch.chdir(tmp_path)
    model = tmp_path / "model"
    from jazz.model.network import build_model
    from jazz.model.tokens import Tokenizer
    from jazz.model.train import publish_model
    from jazz.settings import ModelConfig

    tok = Tokenizer()
    from jazz.model.context import CONTEXT_SIZE
    from jazz.model.features import CONDITION_SIZE

    config = ModelConfig(tok.size, embedding=8, hidden=16, layers=1, dropout=0.0, condition=CONDITION_SIZE,
                         context=CONTEXT_SIZE, first_pitch=tok.first("pitch"))  # every input the bundled model has
    publish_model(build_model(config), model / "model.keras")
    (model / "tokenizer.json").write_text(tok.to_json())
    (model / "config.json").write_text(json.dumps({"model": config.to_dict()}))
    assert main(["bench", "--quick", "--model", str(model), "--json", str(tmp_path / "bench.json")]) == 0
    result = json.loads((tmp_path / "bench.json").read_text())
    assert result["corpus"].endswith("random-walks") and result["parse_files"] == SYNTHETIC_SOLOS
    assert result["parse_cold_s"] > 0 and result["parse_cold_s"] > 0 and result["parse_warm_s"] > 0
    assert set(result["train_tokens_per_s"]) == {"lstm", "hand-lstm", "gru"}
    assert all(v > 0 for v in result["train_tokens_per_s"].values())
    assert set(result["train_step_ms"]) == set(result["train_tokens_per_s"])
    assert set(result["idle_row_share"]) == {"batch64", "batch64_one_wave"}
    assert all(0 <= share < 1 for share in result["idle_row_share"].values())
    assert set(result["sample_tokens_per_s"]) == {"batch1", "batch64", "batch64_one_wave", "naive"}
    assert result["sample_tokens_per_s"]["batch64"] > result["sample_tokens_per_s"]["naive"]
    assert 0 < result["input_pipeline_share"] < 1
    assert result["live_answer_ms"] > 0 and result["live_answer_cpu_ms"] > 0
    assert result["peak_rss_mb"] > 0 and result["machine"]["backend"] == "tensorflow"
    assert "hand-lstm/lstm" in capsys.readouterr().out


def test_random_walk_solos_are_usable_solos_over_the_tunes_changes(tmp_path):
    import numpy as np

    from jazz.midi.corpus import load_corpus

    solo = random_walk_solo("blues-bb", 2, np.random.default_rng(0))
    assert len(solo.bars) == 24 and solo.chords and len(solo.notes) > 100
    assert all(a.end <= b.onset for a, b in zip(solo.notes, solo.notes[1:]))
    assert len({b.pitch - a.pitch for a, b in zip(solo.notes, solo.notes[1:])}) > 6
    write_synthetic_corpus(tmp_path / "walks", 5)
    corpus = load_corpus([tmp_path / "walks"], cache=False)
    assert len(corpus.solos) == 5 and all(s.chords for s in corpus.solos)


def test_scale_without_a_corpus_makes_variants_of_random_walks(tmp_path, monkeypatch):
    from jazz.measure.scale import scale_sources

    monkeypatch.setattr("jazz.measure.sources.SHARED_WJAZZD", tmp_path / "no-shared")
    monkeypatch.chdir(tmp_path)
    sources = scale_sources(None, tmp_path / "sources")
    assert len(sources) == SYNTHETIC_SOLOS and all(p.parent == tmp_path / "sources" for p in sources)
