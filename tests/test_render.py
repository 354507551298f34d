"""Solos to see and hear without a DAW: `jazz generate --png` (a piano roll) and `--wav` (FluidSynth)."""

from __future__ import annotations

import shutil
import struct
import wave

import mido
import pytest
from midi_factory import untrained_model

from jazz.cli import main
from jazz.music.notes import Bar, ChordChange, Note, Solo
from jazz.report.audio import find_soundfont
from jazz.report.plots import piano_roll


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """An untrained chord-aware model folder: enough to write files from."""
    return untrained_model(tmp_path_factory.mktemp("model"))


def generate(model, out, *options: str) -> int:
    return main(["generate", "--model", str(model), "--tune", "blues-f", "-n", "2", "--seed", "1", "--tempo", "240",
                 "--out", str(out), *options])


def png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_png_draws_every_solo(model, tmp_path):
    assert generate(model, tmp_path, "--png") == 0
    for name in ("solo_001", "solo_002"):
        width, height = png_size(tmp_path / f"{name}.png")
        assert width > 600 and height > 200
    assert not list(tmp_path.glob(".*tmp*"))


def test_piano_roll_has_a_row_per_eight_bars_and_the_chords(tmp_path):
    import matplotlib.pyplot as plt

    bars = [Bar(i * 48) for i in range(12)]
    notes = [Note(60 + i % 12, i * 24, 24) for i in range(24)]  # a half note each, through all 12 bars
    chords = [ChordChange(0, "F7"), ChordChange(48, "Bb7"), ChordChange(96, "Bb7"), ChordChange(240, "Cm7")]
    figure = piano_roll(Solo(notes, bars, chords=chords, name="test"))
    rows = figure.axes
    assert len(rows) == 2  # 12 bars: 8 + 4
    symbols = [[t.get_text() for t in axis.texts if not t.get_text().isdigit()] for axis in rows]
    assert symbols == [["F7", "Bb7", "Cm7"], ["Cm7"]]  # a repeated chord once; the sounding one opens a row
    numbers = [t.get_text() for axis in rows for t in axis.texts if t.get_text().isdigit()]
    assert numbers == [str(i) for i in range(1, 13)]
    assert sum(len(axis.patches) for axis in rows) == len(notes)
    plt.close(figure)


def test_wav_without_fluidsynth_says_how_to_install_it_and_writes_the_midi(model, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    assert generate(model, tmp_path / "out", "--wav") == 0
    err = [line for line in capsys.readouterr().err.splitlines() if "WAV" in line]
    assert len(err) == 1 and "FluidSynth is not installed" in err[0] and "apt-get install fluidsynth" in err[0]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["solo_001.mid", "solo_002.mid"]


def test_missing_soundfont_is_a_usage_error_before_sampling(model, tmp_path, capsys):
    assert generate(model, tmp_path / "out", "--wav", "--soundfont", str(tmp_path / "no.sf2")) == 2
    err = capsys.readouterr().err.strip()
    assert "--soundfont" in err and "is not a file" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "out" / "solo_001.mid").exists()


def test_wav_never_overwrites_a_file_it_did_not_write(model, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))  # no FluidSynth needed: the numbering is the point
    (tmp_path / "solo_002.wav").write_bytes(b"kept")
    assert generate(model, tmp_path, "--wav") == 0
    assert (tmp_path / "solo_002.wav").read_bytes() == b"kept"
    assert sorted(p.name for p in tmp_path.glob("*.mid")) == ["solo_003.mid", "solo_004.mid"]


@pytest.mark.skipif(shutil.which("fluidsynth") is None or find_soundfont() is None,
                    reason="FluidSynth or a General MIDI SoundFont is not installed "
                           "(apt-get install fluidsynth fluid-soundfont-gm)")
def test_wav_renders_the_solo_with_its_band(model, tmp_path):
    assert generate(model, tmp_path, "--wav") == 0
    for name in ("solo_001", "solo_002"):
        midi_seconds = mido.MidiFile(tmp_path / f"{name}.mid").length
        with wave.open(str(tmp_path / f"{name}.wav")) as audio:
            seconds = audio.getnframes() / audio.getframerate()
            assert audio.getframerate() == 44100 and audio.getnchannels() == 2
        assert midi_seconds - 0.5 <= seconds <= midi_seconds + 6  # the music, then the last notes ringing out
        assert midi_seconds > 10  # 12 bars of the blues at 240 beats per minute
