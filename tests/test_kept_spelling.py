"""The writer's chord roots survive every trip: MIDI markers read back, a primer's chords through generation,
the Weimar import, the piano roll and the lead sheet (C#m7b5 is never Dbm7b5, Gbmaj7 never F#maj7)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import mido
import pytest

from jazz.midi.read import read_midi
from jazz.midi.weimar import import_weimar
from jazz.midi.write import write_midi
from jazz.music.chord_parse import spelled_weimar_symbol
from jazz.music.leadsheet import write_lead_sheet
from jazz.music.notes import Note, Solo
from jazz.music.tunes import parse_progression, parse_weimar_changes, progression_changes
from test_weimar import BEATS, NOTES, write_meta, write_solo

CHART = "| C#m7b5 F#7alt | Bm7 | G#m7 | A#7 | Gbmaj7 | Cbmaj7 | Db/F | Fb7 |"
WRITTEN = ["C#m7b5", "F#7alt", "Bm7", "G#m7", "A#7", "Gbmaj7", "Cbmaj7", "Db/F", "Fb7"]


def _chart_solo() -> Solo:
    """A solo of a quarter note a beat over the chart with sharp and flat roots, in D."""
    bars, changes = progression_changes(parse_progression(CHART))
    notes = [Note(62 + (beat % 5), beat * 12, 12) for beat in range(4 * len(bars))]
    return Solo(notes, bars, chords=changes, key="D")


def _markers(path: Path) -> list[str]:
    return [m.text for track in mido.MidiFile(path).tracks for m in track if m.type == "marker"]


def test_markers_read_back_as_written_and_write_again_unchanged(tmp_path: Path) -> None:
    write_midi(tmp_path / "chart.mid", _chart_solo())
    assert _markers(tmp_path / "chart.mid") == WRITTEN
    solo, _ = read_midi(tmp_path / "chart.mid")
    assert [c.symbol for c in solo.chords] == WRITTEN
    write_midi(tmp_path / "again.mid", solo)
    assert _markers(tmp_path / "again.mid") == WRITTEN
    write_lead_sheet(tmp_path / "again.musicxml", solo)
    kinds = [h.find("kind").get("text") for h in ET.parse(tmp_path / "again.musicxml").getroot().iter("harmony")]
    steps = [h.findtext("root/root-step") + {"1": "#", "-1": "b"}.get(h.findtext("root/root-alter"), "")
             for h in ET.parse(tmp_path / "again.musicxml").getroot().iter("harmony")]
    assert steps == ["C#", "F#", "B", "G#", "A#", "Gb", "Cb", "Db", "Fb"] and kinds[0] == "m7b5"


def test_the_piano_roll_labels_the_bars_as_written(tmp_path: Path) -> None:
    from jazz.report.plots import piano_roll, plot_piano_roll

    solo, _ = read_midi(_write(tmp_path))
    figure = piano_roll(solo)
    assert [t.get_text() for axis in figure.axes for t in axis.texts if t.get_text() in WRITTEN] == WRITTEN
    plot_piano_roll(solo, tmp_path / "roll.png")
    assert (tmp_path / "roll.png").read_bytes().startswith(b"\x89PNG")


def _write(tmp_path: Path) -> Path:
    write_midi(tmp_path / "chart.mid", _chart_solo())
    return tmp_path / "chart.mid"


def test_the_weimar_import_keeps_the_transcribers_roots(tmp_path: Path) -> None:
    spellings = ["C#-7", "C#-7", "A#79b", "A#79b", "Gb/Bb", "Gb/Bb", "Gb/Bb", "Cbj7", "Cbj7", "G#m7b5", "G#m7b5"]
    beats = [row[:5] + (chord,) for row, chord in zip(BEATS, ["NC", "NC", *spellings])]
    src = tmp_path / "wjazzd"
    notes = NOTES[:4] + [((1, 1, 1, 1, 4.0, 0.25, 66), None)] + NOTES[4:]  # eight notes, enough to read back
    write_solo(src, "Sharp_Solo", beats=beats, notes=notes)
    write_meta(src, [("Sharp_Solo", "ts", "C#-min")])
    (report,) = import_weimar(src, tmp_path / "out")
    assert report["status"] == "written", report
    expected = ["N.C.", "C#m7", "A#7(b9)", "Gb/Bb", "Cbmaj7", "G#m7b5"]
    assert _markers(tmp_path / "out" / "Sharp_Solo.mid") == expected
    solo, _ = read_midi(tmp_path / "out" / "Sharp_Solo.mid")
    assert [c.symbol for c in solo.chords] == expected


@pytest.mark.parametrize(("weimar", "written"), [("C#-7", "C#m7"), ("Cbj7", "Cbmaj7"), ("D#o7", "D#dim7"),
                                                  ("Gb-69/Db", "Gbm69/Db"), ("F#7913", "F#13"), ("NC", "N.C.")])
def test_weimar_spellings_keep_their_roots(weimar: str, written: str) -> None:
    assert spelled_weimar_symbol(weimar) == written


def test_weimar_changes_keep_their_roots() -> None:
    assert parse_weimar_changes("A1: ||C#-7 F#7 |Gbj7 ||") == [("A1", [["C#m7", "F#7"], ["Gbmaj7"]])]
