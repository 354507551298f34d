"""jazz bench: one quick run writes every number under its stable key."""

from __future__ import annotations

import json

import pytest
from midi_factory import make_midi, scale_notes

from jazz.cli import main


@pytest.mark.slow
def test_quick_bench_writes_all_keys(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("JAZZ_CACHE_DIR", str(tmp_path / "cache"))
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for k in range(6):
        make_midi(corpus / f"s{k}.mid", [scale_notes(40, start_pitch=50 + k)])
    model = tmp_path / "model"
    from jazz.model.network import build_model
    from jazz.model.tokens import Tokenizer
    from jazz.model.train import publish_model
    from jazz.settings import ModelConfig

    tok = Tokenizer()
    config = ModelConfig(tok.size, embedding=8, hidden=16, layers=1, dropout=0.0, skip=False, intervals=False, register=False, echo=False)
    publish_model(build_model(config), model / "model.keras")
    (model / "tokenizer.json").write_text(tok.to_json())
    (model / "config.json").write_text(json.dumps({"model": config.to_dict()}))
    assert main(["bench", "--quick", "--corpus", str(corpus), "--model", str(model),
                 "--json", str(tmp_path / "bench.json")]) == 0
    result = json.loads((tmp_path / "bench.json").read_text())
    assert result["parse_files"] == 6 and result["parse_cold_s"] > 0 and result["parse_warm_s"] > 0
    assert set(result["train_tokens_per_s"]) == {"lstm", "hand-lstm", "gru"}
    assert all(v > 0 for v in result["train_tokens_per_s"].values())
    assert set(result["sample_tokens_per_s"]) == {"batch1", "batch64", "naive"}
    assert result["sample_tokens_per_s"]["batch64"] > result["sample_tokens_per_s"]["naive"]
    assert 0 < result["input_pipeline_share"] < 1
    assert result["live_answer_ms"] > 0 and result["live_answer_cpu_ms"] > 0
    assert result["peak_rss_mb"] > 0 and result["machine"]["backend"] == "tensorflow"
    assert "hand-lstm/lstm" in capsys.readouterr().out
