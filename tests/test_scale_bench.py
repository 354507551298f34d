"""jazz bench --scale: a small synthetic corpus gives every number under its key, with sane values."""

from __future__ import annotations

import json
import os
import tempfile

import pytest

from jazz.cli import main
from jazz.measure.scale import write_variants
from jazz.midi.corpus import find_midi_files, scan_corpus


@pytest.mark.slow
def test_scale_40_reports_its_keys(wjazzd_midi, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("JAZZ_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the synthetic corpus goes
    assert main(["bench", "--scale", "40", "--quick", "--json", str(tmp_path / "scale.json")]) == 0
    result = json.loads((tmp_path / "scale.json").read_text())
    scale, details = result["scale"], result["scale_details"]
    assert set(scale) == {"files", "parse_files_per_s", "peak_rss_mb", "input_pipeline_share"}
    assert scale["files"] == 40 and scale["parse_files_per_s"] > 0
    machine_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20
    assert 50 < scale["peak_rss_mb"] < machine_mb  # measured in the test's own process, which holds the suite's models
    assert 0 < scale["input_pipeline_share"] < 0.5
    assert details["rescan_parsed"] == 0 and details["added_parsed"] == details["added_files"] == 1
    assert 0 < details["usable"] <= 40 and details["tokens"] > 0
    assert "files/s" in capsys.readouterr().out
    assert not list(tmp_path.glob("jazz-scale-*")), "the synthetic corpus is deleted"


def test_variants_are_transposed_and_cut_real_solos(wjazzd_midi, tmp_path, monkeypatch):
    monkeypatch.setenv("JAZZ_CACHE_DIR", str(tmp_path / "cache"))
    sources = find_midi_files([wjazzd_midi])[:3]
    write_variants(sources, 6, tmp_path / "v")
    variants = scan_corpus([tmp_path / "v"], jobs=1)
    originals = scan_corpus(sources, jobs=1)
    assert len(variants.reports) == 6
    for k, report in enumerate(variants.reports):
        assert report.path.endswith(f"{k:06d}_{sources[k % 3].stem}.mid")
        assert report.status == "skipped" or report.notes <= originals.reports[k % 3].notes
