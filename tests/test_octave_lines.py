"""8va and 8vb lines: every written note within two ledger lines of the staff, the pitches true in MusicXML, in
music21 and in MuseScore."""

from __future__ import annotations

import random
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from jazz.midi.read import read_midi
from jazz.music.leadsheet import write_lead_sheet
from jazz.music.notation import notate
from jazz.music.octave_lines import MIN_NOTES, OCTAVE, Passage, octave_passages, staff_range

SOLOS = Path(__file__).parent / "solos"
# The bundled model over blues-f, 36 bars at 160 bpm with seeds 4 and 9: a B♭ tenor part written up to F7 and down to G3
BLUES_F = ["bundled_model_blues_f_160_seed4.mid", "bundled_model_blues_f_160_seed9.mid"]
MSCORE = shutil.which("mscore3")
TREBLE, BASS = 31, 19  # music21's diatonic note numbers of the bottom lines (E4, G2)
STEPS = "CDEFGAB"
SHIFT = {"8va": 1, "15ma": 2, "8vb": -1, "15mb": -2}


def _positions(names: str) -> list[int]:
    """Staff positions (music21 diatonic note numbers) of note names such as 'C5 E6'."""
    return [int(n[-1]) * OCTAVE + STEPS.index(n[0]) + 1 for n in names.split()]


def _check(positions: list[int], starts: set[int], bottom: int) -> list[Passage]:
    """The passages, checked: in order, apart, inside a phrase, and every note read within two ledger lines."""
    low, high = staff_range(bottom)
    passages = octave_passages(positions, starts, bottom)
    shifts = [0] * len(positions)
    for before, after in zip(passages, passages[1:]):
        assert before.last < after.first
    for passage in passages:
        assert not any(passage.first < s <= passage.last for s in starts), passage
        shifts[passage.first : passage.last + 1] = [passage.shift] * (passage.last - passage.first + 1)
    shown = [p - OCTAVE * s for p, s in zip(positions, shifts)]
    assert all(low <= p <= high for p in shown), list(zip(positions, shown))
    return passages


def test_the_treble_staff_reads_from_a3_to_c6_and_the_bass_staff_from_c2_to_e4() -> None:
    assert staff_range(TREBLE) == tuple(_positions("A3 C6"))
    assert staff_range(BASS) == tuple(_positions("C2 E4"))


def test_a_run_that_climbs_gets_one_line_from_where_it_leaves_the_staff() -> None:
    line = _positions("C5 E5 G5 B5 D6 F6 E6 C6 A5 F5 D5 B4")
    assert _check(line, set(), TREBLE) == [Passage(1, 9, 1)]  # E5..F5 go under it, C5 and B4 read as they are
    assert _check(line, {6}, TREBLE) == [Passage(1, 5, 1), Passage(6, 9, 1)]  # a rest of a beat ends the line


def test_the_line_comes_down_for_a_passage_back_on_the_staff() -> None:
    line = _positions("G5 A5 C6 E6 D6 B5 G5 E5 C5 A4 G4 A4 C5 E5 G5 B5 D6 E6")
    assert _check(line, set(), TREBLE) == [Passage(0, 7, 1), Passage(13, 17, 1)]


def test_a_short_excursion_takes_its_neighbours_and_a_leap_alone_is_shifted_alone() -> None:
    passages = _check(_positions("C5 D5 E6 D5 C5 B4"), set(), TREBLE)
    assert [p.last - p.first + 1 for p in passages] == [MIN_NOTES]
    assert _check(_positions("E4 F6 E4 G4"), set(), TREBLE) == [Passage(1, 1, 1)]


def test_two_octaves_up_and_low_lines_below() -> None:
    assert _check(_positions("F5 A5 C6 E6 G6 B6 D7 F7 E7 C7 A6 F6 D6 B5 G5"), set(), TREBLE) == [
        Passage(3, 11, 2), Passage(12, 14, 1)]
    assert _check(_positions("C4 A3 F3 D3 B2 D3 F3 A3 C4"), set(), TREBLE) == [Passage(0, 8, -1)]
    assert _check(_positions("D6 B4 B4 B4 G3"), set(), TREBLE) == [Passage(0, 0, 1), Passage(4, 4, -1)]
    assert _check(_positions("E4 C2 A1 F1 D2 G2"), set(), BASS) == [Passage(1, 5, -1)]  # E4 would go too high


def test_random_lines_always_read_within_two_ledger_lines() -> None:
    chance = random.Random(7)
    for _ in range(500):
        bottom = chance.choice([TREBLE, BASS])
        low, high = staff_range(bottom)
        position, line = chance.randint(low, high), []
        for _ in range(chance.randint(1, 40)):  # anywhere two octaves can bring within reach
            position = min(max(position + chance.choice([-3, -2, -1, 1, 2, 3, 5, -5]), low - 2 * OCTAVE), high + 2 * OCTAVE)
            line.append(position)
        _check(line, {i for i in range(len(line)) if chance.random() < 0.1}, bottom)


def _displayed(musicxml: Path) -> list[int]:
    """The staff position of every note of a MusicXML part as shown, under its <octave-shift> lines."""
    shift, shown = 0, []
    for measure in ET.parse(musicxml).getroot().iter("measure"):
        for element in measure:
            for octave in element.iter("octave-shift"):
                size = {"8": 1, "15": 2}[octave.get("size", "8")]
                shift = {"down": -size, "up": size, "stop": 0}[octave.get("type")]
            if element.tag == "note" and element.find("pitch") is not None:
                step, number = element.findtext("pitch/step"), int(element.findtext("pitch/octave"))
                shown.append(number * OCTAVE + STEPS.index(step) + 1 + shift * OCTAVE)
    return shown


@pytest.mark.parametrize("name", BLUES_F)
def test_a_bb_tenor_part_of_the_blues_in_f_reads_within_two_ledger_lines_at_its_true_pitch(
    name: str, tmp_path: Path
) -> None:
    from music21 import converter, note

    solo, _ = read_midi(SOLOS / name)
    sheet = tmp_path / "tenor.musicxml"
    write_lead_sheet(sheet, solo, program=66, transpose="Bb")
    low, high = staff_range(TREBLE)
    shown = _displayed(sheet)
    assert shown and all(low <= p <= high for p in shown), (min(shown), max(shown))
    read = converter.parse(sheet)
    written = [n.pitch.midi for n in read.recurse().getElementsByClass(note.Note)]
    sounding = [n.pitch.midi for n in read.toSoundingPitch().recurse().getElementsByClass(note.Note)]
    played = [piece.pitch for piece in notate(solo.notes, solo.bars, solo.grid) if piece.pitch is not None]
    assert sounding == played and written == [p + 14 for p in played]  # a major ninth up, whatever the lines
    assert max(written) > 86 or min(written) < 57  # there was something to shift


@pytest.mark.skipif(MSCORE is None, reason="MuseScore 3 (mscore3) is not installed")
def test_musescore_shows_the_lines_and_plays_the_true_pitch(tmp_path: Path) -> None:
    solo, _ = read_midi(SOLOS / BLUES_F[0])
    sheet = tmp_path / "tenor.musicxml"
    write_lead_sheet(sheet, solo, program=66, transpose="Bb")
    mscx = tmp_path / "tenor.mscx"
    subprocess.run([MSCORE, "-o", str(mscx), str(sheet)], env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
                   capture_output=True, timeout=120, check=True)
    shift, played, lines = 0, [], []
    for voice in ET.parse(mscx).getroot().iter("voice"):
        for element in voice:
            if element.tag == "Spanner" and element.get("type") == "Ottava":
                kind = element.findtext("Ottava/subtype")
                shift = SHIFT[kind] if kind else 0
                lines += [kind] if kind else []
            elif element.tag == "Chord":  # MuseScore keeps the pitch as shown under a line, at concert pitch
                played += [int(n.findtext("pitch")) + 12 * shift for n in element.iter("Note")]
    assert played == [piece.pitch for piece in notate(solo.notes, solo.bars, solo.grid) if piece.pitch is not None]
    assert "8va" in lines and "15ma" in lines
