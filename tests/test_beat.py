"""The beat check: whether a file's onsets gather on its beat's subdivisions (jazz.midi.beat), in `jazz corpus`."""

from __future__ import annotations

import json

import numpy as np
import pytest
from midi_factory import make_midi

from jazz.cli import main
from jazz.midi.beat import FOLLOWS_BEAT, beat_fit, grid_concentration
from jazz.midi.corpus import file_beat_fit
from jazz.midi.read import load_content

TPB = 480


def notes_at(beats: np.ndarray) -> list[tuple[int, int, int, int]]:
    """A melody with a note starting at each of ``beats`` (an eighth long, a scale up and down)."""
    return [(round(b * TPB), round(b * TPB) + TPB // 2, 60 + (i % 8), 0) for i, b in enumerate(beats)]


def swung(count: int = 120) -> np.ndarray:
    """Swung eighths: on the beat and two thirds of the way through it."""
    return np.array([i // 2 + (2 / 3) * (i % 2) for i in range(count)], dtype=float)


def drifting(count: int = 400, seed: int = 0) -> np.ndarray:
    """The same eighths played against a file that keeps one average tempo while the band's beat drifts (a slow
    random walk of the beat's length, as in a recording made without a click)."""
    rng = np.random.default_rng(seed)
    beat = 1.0 + np.cumsum(rng.normal(0, 0.02, count // 2))
    starts = np.concatenate([[0], np.cumsum(beat)[:-1]])
    return 1 + np.sort(np.concatenate([starts, starts + beat * 2 / 3]) + rng.normal(0, 0.03, count))


def test_onsets_on_the_grid_score_one_and_an_even_spread_scores_nothing():
    assert grid_concentration(np.arange(32) / 4, 4) == pytest.approx(1.0)
    assert grid_concentration(np.arange(32) / 4 + 1 / 8, 4) == pytest.approx(-1.0)  # steady, between the points
    assert abs(grid_concentration(np.random.default_rng(0).uniform(0, 100, 4000), 2)) < 0.05


def test_swing_follows_its_beat_and_a_drifting_beat_does_not():
    fit = beat_fit(swung())
    assert fit.follows and fit.subdivision in (3, 6) and fit.best > 0.9
    assert not beat_fit(drifting()).follows
    assert beat_fit(np.arange(8) / 2) is None  # too few onsets to say


def test_corpus_flags_the_file_off_its_beat_in_the_table_and_the_json(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("JAZZ_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "midi"
    folder.mkdir()
    make_midi(folder / "on_grid.mid", [notes_at(swung())], tpb=TPB)
    make_midi(folder / "drifting.mid", [notes_at(drifting())], tpb=TPB)
    assert main(["corpus", str(folder), "--json", str(tmp_path / "report.json")]) == 0
    table = capsys.readouterr().out
    line = {row.split()[0]: row for row in table.splitlines()}
    assert "off the beat" in line["drifting.mid"] and "off the beat" not in line["on_grid.mid"]
    assert "1 of them off the beat" in table and "jazz import-weimar" in table and "tempo map" in table
    report = json.loads((tmp_path / "report.json").read_text())
    files = {r["path"].rsplit("/", 1)[-1]: r for r in report["files"]}
    assert files["drifting.mid"]["on_beat"] is False and files["drifting.mid"]["beat"] < FOLLOWS_BEAT
    assert files["on_grid.mid"]["on_beat"] is True and files["on_grid.mid"]["beat_subdivision"] in (3, 6)
    assert report["summary"]["off_beat"] == 1


def test_the_weimar_databases_own_midi_files_are_off_their_beat(wjazzd_midi):
    fits = [file_beat_fit(path) for path in sorted(wjazzd_midi.glob("*.mid"))]
    flagged = sum(not fit.follows for fit in fits)
    print(f"\n{flagged} of {len(fits)} raw WJazzD files off the beat; median score "
          f"{np.median([f.best for f in fits]):.3f}")
    assert flagged >= 0.95 * len(fits)  # the few that pass drift by less than a beat over the whole solo


def test_a_sequenced_band_follows_its_beat(metheny):
    assert file_beat_fit(metheny).follows  # the guitar melody, the track jazz reads
    content = load_content(metheny)
    onsets = {p.name: np.array([n[0] for n in p.notes], dtype=float) / content.ticks_per_beat for p in content.parts}
    guitar, cymbals = beat_fit(onsets["Guitar"]), beat_fit(onsets["Cymbales"])
    assert 0.15 < guitar.scores[2] < 0.35 and guitar.follows  # weak at the eighth, strong at the sixteenth
    assert cymbals.scores[4] > 0.95 and cymbals.scores[2] < 0.1  # only the sixteenth finds the cymbals' beat

