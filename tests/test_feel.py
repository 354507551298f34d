"""Timing and dynamics learnt from WJazzD: the fitted model, the played solo, the band's swing, the round trip."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import mido
import numpy as np
import pytest

from jazz.generate import write_solo
from jazz.midi.read import read_midi
from jazz.midi.write import played_ticks
from jazz.measure.swing import eighth_pair_ratios, file_ratios, solo_onsets
from jazz.music import feelfit
from jazz.music.band import band_parts
from jazz.music.feel import FEEL_FILE, band_ratio, check_feel, load_model, swing_ratio
from jazz.music.notes import Note, Part, Solo
from jazz.music.performance import add_velocities, phrases, timing_shifts
from jazz.music.tunes import get_tune, progression_changes
from jazz.settings import GenerateOptions

GRID = 12
# a line of eighths, then 16ths, then eighth triplets, a rest of a beat after every bar (so, phrases)
RHYTHM = [0, 6, 12, 18, 24, 30, 36, 42, 48, 51, 54, 57, 60, 64, 68, 72, 76, 80]


def line_solo(tempo: float, choruses: int = 2) -> Solo:
    """A blues-f solo of a steady rhythm: eighth pairs, 16ths, triplets; rests between phrases."""
    bars, chords = progression_changes(get_tune("blues-f").bars, "4/4", GRID, choruses=choruses)
    notes, pitch = [], 60
    for bar in bars[::2]:
        for k, step in enumerate(RHYTHM):
            following = RHYTHM[k + 1] if k + 1 < len(RHYTHM) else step + 4
            pitch = 60 + (pitch - 58) % 14
            notes.append(Note(pitch, bar.start + step, following - step))
    return Solo(notes=notes, bars=bars, grid=GRID, tempo=tempo, chords=chords, name="line")


def write(tmp_path: Path, solo: Solo, feel: str, seed: int = 3) -> Path:
    path = tmp_path / f"{feel}_{solo.tempo:.0f}.mid"
    write_solo(path, add_velocities(solo, seed), GenerateOptions(feel=feel), seed=seed)
    return path


def note_on_ticks(path: Path, name: str) -> list[int]:
    track = next(t for t in mido.MidiFile(path).tracks if t.name == name)
    ticks, now = [], 0
    for message in track:
        now += message.time
        if message.type == "note_on" and message.velocity > 0:
            ticks.append(now)
    return ticks


# ------------------------------------------------------------------------------------------------- the fit


def test_shipped_model_is_what_its_command_makes_without_the_test_split(wjazzd):
    from jazz.model.split import test_names

    shipped = json.loads(FEEL_FILE.read_text())
    assert shipped["command"] == feelfit.COMMAND
    refit = feelfit.fit(wjazzd, test_names())
    assert refit == shipped
    assert shipped["solos"] + shipped["excluded"] == len(list((wjazzd / "csv" / "melody").glob("*.csv")))


def plain_ratios(path: Path, beat_track: Path) -> list[float]:
    """Eighth-pair ratios read straight from a melody CSV: beat, its "and", the next beat of the beat track."""
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    with open(beat_track, newline="") as handle:
        beats = [(b["bar"], b["beat"]) for b in csv.DictReader(handle)]
    following = dict(zip(beats, beats[1:]))
    ratios = []
    for a, b, c in zip(rows, rows[1:], rows[2:]):
        where = (a["bar"], a["beat"])
        same_beat = (b["bar"], b["beat"]) == where and 2 * (int(b["tatum"]) - 1) == int(b["division"])
        if a["tatum"] == "1" and same_beat and c["tatum"] == "1" and following.get(where) == (c["bar"], c["beat"]):
            first, second = float(b["onset"]) - float(a["onset"]), float(c["onset"]) - float(b["onset"])
            if 0.25 < first / second < 4:
                ratios.append(first / second)
    return ratios


@pytest.mark.parametrize("name", ["JohnColtrane_Impressions_1961_FINAL", "MiltJackson_BemshaSwing_FINAL",
                                  "CliffordBrown_Jordu_FINAL"])  # fast, medium, slow
def test_fitted_ratios_are_the_data_medians_of_real_files(wjazzd, name):
    path = wjazzd / "csv" / "melody" / f"{name}.csv"
    if not path.exists():
        pytest.skip(f"{name} is not in this corpus")
    meta = feelfit.read_csv(wjazzd / "meta.csv")
    solo = feelfit.read_solo(wjazzd, name, next(r for r in meta if r["filename_sv"].startswith(name)))
    plain = plain_ratios(path, wjazzd / "csv" / "beats" / f"{name}_beattrack.csv")
    assert len(plain) >= 10
    table = feelfit.fit_ratios([solo])["all"]
    entry = table[feelfit.band_of(solo.tempo)]
    assert entry["pairs"] == len(plain)
    assert entry["median"] == pytest.approx(np.median(plain), abs=1e-3)


def test_tables_have_counts_and_ratios_near_straight():
    model = load_model()
    for band in ("slow", "medium", "fast"):
        entry = model["ratio"]["swing"][band]
        assert entry["pairs"] >= 100 and entry["solos"] >= 20
        assert 1.0 < entry["median"] < 1.4  # near straight, nothing like the ride's 2:1
        assert model["lag"][band]["downbeat"]["notes"] > 1000 and model["lag"][band]["downbeat"]["beats"] > 0
    assert model["loudness"]["contour"]["0"]["db"] > model["loudness"]["contour"]["4"]["db"]


def test_unknown_feel_is_named_with_the_known_ones():
    with pytest.raises(ValueError, match="known: none, swing"):
        check_feel("bossa")
    with pytest.raises(Exception, match="--feel 'bossa' is not one the model knows"):
        GenerateOptions(feel="bossa").check()


def test_unknown_feel_exits_2(tmp_path, capsys):
    from jazz.cli import main

    assert main(["generate", "--model", str(tmp_path), "--feel", "bossa", "--out", str(tmp_path / "o")]) == 2
    error = capsys.readouterr().err
    assert "--feel 'bossa' is not one the model knows" in error
    assert "ballad, none (on the grid))" in error  # generate's own --feel none is offered too


# --------------------------------------------------------------------------------------------- the playing


def test_feel_none_writes_every_note_on_the_grid(tmp_path):
    solo = line_solo(160)
    path = write(tmp_path, solo, "none")
    assert note_on_ticks(path, "Solo") == [n.onset * 40 for n in solo.notes]
    ride = note_on_ticks(path, "Drums")
    assert all(t % 40 == 0 for t in ride)


def test_the_swing_measure_names_a_missing_track_and_goes_on(tmp_path, capsys):
    from jazz.measure.swing import main as swing_main
    from jazz.midi.write import write_midi

    solo = line_solo(160)
    lead = tmp_path / "lead.mid"
    write_midi(lead, solo, [Part("Lead", solo.notes)])
    played = write(tmp_path, solo, "swing")
    assert swing_main([str(lead), str(played), str(tmp_path / "none.mid")]) == 0  # the others are still measured
    captured = capsys.readouterr()
    assert "lead.mid: skipped: no track named 'Solo' or 'jazz' (its tracks: " in captured.err
    assert "'Lead'" in captured.err and "choose one with --track" in captured.err
    assert "none.mid: skipped" in captured.err
    assert "swing_160.mid: 160 bpm (medium)" in captured.out
    assert swing_main([str(lead)]) == 2
    assert swing_main([str(lead), "--track", "Lead"]) == 0 and "lead.mid: 160 bpm" in capsys.readouterr().out


def test_feel_none_writes_the_notes_of_the_default_swing_on_the_grid(tmp_path):
    """With the bundled model (which hears the feel), --feel none at a seed is the grid of the swing solo at that
    seed: read back, the played file lands on its twin's grid steps, and the twin's file is on the grid."""
    from jazz.cli import main

    common = ["generate", "--tune", "blues-f", "--tempo", "160", "--choruses", "1", "--seed", "5", "--no-band"]
    assert main([*common, "--out", str(tmp_path / "swing")]) == 0
    assert main([*common, "--feel", "none", "--out", str(tmp_path / "none")]) == 0
    played, _ = read_midi(tmp_path / "swing" / "solo_001.mid")
    grid, _ = read_midi(tmp_path / "none" / "solo_001.mid")
    assert len(grid.notes) > 20
    assert [(n.pitch, n.onset) for n in played.notes] == [(n.pitch, n.onset) for n in grid.notes]
    ticks = note_on_ticks(tmp_path / "none" / "solo_001.mid", "Solo")
    assert ticks == [n.onset * 40 for n in grid.notes]  # exactly on the grid (40 ticks a step)
    assert note_on_ticks(tmp_path / "swing" / "solo_001.mid", "Solo") != ticks  # the twin is played off it


@pytest.mark.parametrize("tempo", [70, 100, 160, 280])
def test_played_solo_swings_at_the_data_ratio(tmp_path, tempo):
    path = write(tmp_path, line_solo(tempo, choruses=4), "swing")
    ratios = file_ratios(path)
    assert len(ratios) >= 50
    assert np.median(ratios) == pytest.approx(swing_ratio(tempo), abs=0.1)
    played = note_on_ticks(path, "Solo")
    assert played != sorted(n.onset * 40 for n in line_solo(tempo, 4).notes)  # it is not on the grid
    assert played == sorted(played) and len(set(played)) == len(played)


@pytest.mark.parametrize("tempo", [70, 160, 280])
@pytest.mark.parametrize("feel", ["swing", "latin", "ballad"])
def test_played_file_reads_back_onto_its_grid(tmp_path, tempo, feel):
    solo = line_solo(tempo)
    path = write(tmp_path, solo, feel)
    back, track = read_midi(path, GRID, track="Solo")
    assert [(n.pitch, n.onset) for n in back.notes] == [(n.pitch, n.onset) for n in solo.notes]
    assert [n.duration for n in back.notes[:-1]] == [n.duration for n in solo.notes[:-1]]
    assert back.notes[-1].duration <= solo.notes[-1].duration  # a late last note ends with the form
    grid, played, _ = solo_onsets(path)
    assert max(abs(p - g) for p, g in zip(played, grid)) > 20  # more than half a step: the reader was told


def test_without_the_timing_event_the_reader_would_miss_the_grid(tmp_path):
    solo = line_solo(160)
    path = write(tmp_path, solo, "swing")
    midi = mido.MidiFile(path)
    for track in midi.tracks:
        for i, message in enumerate(track):
            if message.type == "sequencer_specific":
                track[i] = mido.MetaMessage("text", text="-", time=message.time)
    midi.save(tmp_path / "stripped.mid")
    back, _ = read_midi(tmp_path / "stripped.mid", GRID, track="Solo")
    assert [n.onset for n in back.notes] != [n.onset for n in solo.notes]


def test_timing_is_seeded_and_keeps_the_order():
    solo = line_solo(280)
    a, b = timing_shifts(solo, "swing", 1), timing_shifts(solo, "swing", 1)
    assert a == b != timing_shifts(solo, "swing", 2)
    played = [n.onset + s for n, s in zip(solo.notes, a)]
    assert all(x < y for x, y in zip(played, played[1:]))
    assert timing_shifts(solo, "none", 1) == []


def test_velocities_follow_the_data_contour_and_are_seeded():
    solo = line_solo(160, choruses=8)
    a, b = add_velocities(solo, 4), add_velocities(solo, 4)
    assert a.notes == b.notes != add_velocities(solo, 5).notes
    velocities = np.array([n.velocity for n in a.notes])
    assert velocities.min() >= 24 and velocities.max() <= 124 and velocities.std() > 5
    firsts = [a.notes[first].velocity for first, end in phrases(a)]
    lasts = [a.notes[end - 1].velocity for first, end in phrases(a)]
    assert len(firsts) == 8 * 6 and np.mean(firsts) > np.mean(lasts)


def test_repeated_pitches_never_overlap_and_nothing_starts_before_the_file():
    part = Part("x", [Note(60, 0, 6), Note(60, 6, 6), Note(60, 12, 6), Note(62, 0, 1)], shifts=[2.0, -1.5, 0.0, -1])
    ticks = played_ticks(part, 40)
    assert [on for on, _, _ in ticks] == [80, 180, 480, 0]
    assert all(off <= nxt for (_, off, _), (nxt, _, _) in zip(ticks[:3], ticks[1:3]))


# ------------------------------------------------------------------------------------------------ the band


def test_band_swing_follows_the_tempo():
    ratios = [band_ratio(t) for t in (70, 120, 160, 200, 240, 280, 320)]
    assert ratios[0] == 2.0 and all(x >= y for x, y in zip(ratios, ratios[1:]))
    assert all(band_ratio(t) >= swing_ratio(t) for t in (70, 160, 280, 320))
    assert band_ratio(160, "latin") == 1.0


@pytest.mark.parametrize("tempo", [100, 240])
def test_ride_plays_its_and_at_the_band_ratio(tmp_path, tempo):
    path = write(tmp_path, line_solo(tempo), "swing")
    grid, played, tpb = solo_onsets(path, track="Drums")
    ratio = band_ratio(tempo)
    ands = [(g, p) for g, p in zip(grid, played) if g % tpb == tpb // 2]
    assert ands and all(p - g == round((ratio / (1 + ratio) - 0.5) * tpb) for g, p in ands)
    back, _ = read_midi(path, GRID, track="Drums")
    assert all(n.onset % GRID in (0, GRID // 2) for n in back.notes)


def test_band_without_ratio_is_unchanged():
    bars, chords = progression_changes(get_tune("blues-f").bars, "4/4", GRID)
    assert all(not p.shifts for p in band_parts(bars, chords, GRID, seed=1))
    swung = band_parts(bars, chords, GRID, seed=1, ratio=1.5)
    assert all(len(p.shifts) == len(p.notes) for p in swung)


# -------------------------------------------------------------------------------------------- measurement


def test_eighth_pair_ratio_of_ticks():
    grid = [0, 240, 480, 720, 960, 1200, 1320, 1440]  # two pairs, then 16ths
    played = [10, 280, 490, 770, 970, 1210, 1330, 1450]
    ratios = eighth_pair_ratios(grid, played, 480)
    assert ratios == pytest.approx([270 / 210, 280 / 200])


def test_the_swing_measure_piped_into_head_ends_quietly(tmp_path):
    """A reader that stops early (`| head -1`) is no error: exit 0 and nothing on standard error."""
    import os
    import subprocess
    import sys

    tiny = tmp_path / "tiny.mid"
    midi = mido.MidiFile()
    midi.tracks.append(mido.MidiTrack([mido.MetaMessage("track_name", name="Solo")]))
    for k in range(8):
        midi.tracks[0] += [mido.Message("note_on", note=60 + k, velocity=80, time=240),
                           mido.Message("note_off", note=60 + k, velocity=0, time=240)]
    midi.save(tiny)
    files = " ".join(["tiny.mid"] * 3000)
    command = f"{sys.executable} -m jazz.measure.swing {files} | head -1; exit ${{PIPESTATUS[0]}}"
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=60, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert done.returncode == 0 and done.stderr == "" and done.stdout.startswith("tiny.mid: 120 bpm")
