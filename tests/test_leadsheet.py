"""Lead sheets: the notation quantizer (swing eighths, triplets, sixteenths) and the MusicXML a musician reads."""

from __future__ import annotations

import random
import shutil
import subprocess
import xml.etree.ElementTree as ET
from fractions import Fraction
from itertools import pairwise
from pathlib import Path

import pytest

from jazz.midi.read import read_midi
from jazz.music.leadsheet import write_lead_sheet
from jazz.music.notation import notate, triplet_beats, tuplet_share
from jazz.music.notes import Bar, ChordChange, Note, Solo

SOLO = Path(__file__).parent / "solos" / "bundled_model_blues_f.mid"  # the bundled model over blues-f, 24 bars


def written(notes: list[Note], bars: int = 1) -> list[tuple[Fraction, Fraction, int | None]]:
    """(onset, length, pitch) of the written events, in quarter notes."""
    return [(e.onset, e.length, e.pitch) for e in notate(notes, [Bar(48 * i) for i in range(bars)], 12)]


def F(text: str) -> Fraction:
    return Fraction(text)


def test_swung_eighths_are_written_as_plain_eighths() -> None:
    pairs = [Note(60 + i, 12 * (i // 2) + 8 * (i % 2), 8 - 4 * (i % 2)) for i in range(8)]  # long-short pairs
    assert written(pairs) == [(F(k) / 2, F("1/2"), 60 + k) for k in range(8)]


def test_detached_swing_eighths_stay_eighths() -> None:
    staccato = [Note(60, 0, 3), Note(62, 8, 2), Note(64, 12, 3), Note(65, 20, 2)]
    assert [e[:2] for e in written(staccato) if e[2] is not None] == [
        (F("0"), F("1/2")), (F("1/2"), F("1/2")), (F("1"), F("1/2")), (F("3/2"), F("1/2"))]  # fmt: skip


def test_triplets_only_where_three_notes_fill_a_beat() -> None:
    triplet = [Note(60, 0, 4), Note(62, 4, 4), Note(64, 8, 4), Note(65, 12, 12)]
    assert written(triplet)[:3] == [(F("0"), F("1/3"), 60), (F("1/3"), F("1/3"), 62), (F("2/3"), F("1/3"), 64)]
    assert triplet_beats(triplet, 12) == {0}
    partial = [Note(62, 4, 4), Note(64, 8, 4)]  # two triplets with a rest before them: sixteenths, no tuplet
    assert triplet_beats(partial, 12) == set() and tuplet_share(notate(partial, [Bar(0)], 12)) == 0


def test_sixteenths_and_the_late_note() -> None:
    run = [Note(60 + i, 3 * i, 3) for i in range(4)] + [Note(70, 23, 13)]  # a note a step before beat 3
    assert written(run)[:5] == [(F(i) / 4, F("1/4"), 60 + i) for i in range(4)] + [(F("1"), F("1"), None)]
    assert written(run)[5] == (F("2"), F("1"), 70)


def test_dense_beats_keep_order_and_nothing_finer_than_sixteenths() -> None:
    sextuplets = [Note(60 + i, 2 * i, 2) for i in range(12)]  # sixteenth-note triplets: six a beat
    events = notate(sextuplets, [Bar(0)], 12)
    notes = [e for e in events if e.pitch is not None]
    assert [e.pitch for e in notes] == sorted(e.pitch for e in notes) and len(notes) >= 8
    assert all(e.length >= Fraction(1, 4) for e in events)


def test_written_events_tile_the_bars_in_allowed_values() -> None:
    rng = random.Random(3)
    notes, step = [], 0
    while step < 8 * 48:
        step += rng.choice([0, 1, 2, 3, 4, 6, 8, 12])
        length = rng.choice([2, 3, 4, 5, 6, 8, 12, 18, 30])
        notes.append(Note(rng.randint(55, 80), step, length))
        step += length
    notes = [n._replace(duration=min(n.duration, 8 * 48 - n.onset)) for n in notes if n.onset < 8 * 48]
    bars = [Bar(48 * i) for i in range(8)]
    events = notate(notes, bars, 12)
    assert events[0].onset == 0 and sum(e.length for e in events) == 32
    assert all(a.end == b.onset for a, b in pairwise(events))
    assert all(e.onset // 4 == (e.end - Fraction(1, 96)) // 4 for e in events)  # no event crosses a bar line
    allowed = {Fraction(k, 4) for k in range(1, 17)} | {Fraction(1, 3), Fraction(2, 3)}
    assert {e.length for e in events} <= allowed


def _tuplets(root: ET.Element) -> tuple[float, int]:
    """Share of notes inside tuplets, and the largest tuplet, of a MusicXML tree."""
    notes = [n for n in root.iter("note") if n.find("rest") is None]
    sizes = [int(n.findtext("time-modification/actual-notes")) for n in notes if n.find("time-modification")]
    return len(sizes) / len(notes), max(sizes, default=0)


def test_the_bundled_models_solo_reads_like_a_lead_sheet(tmp_path: Path) -> None:
    solo, _ = read_midi(SOLO)
    path = tmp_path / "solo.musicxml"
    write_lead_sheet(path, solo, title="Jazz Blues in F", composer="Traditional", program=66)
    root = ET.parse(path).getroot()
    share, largest = _tuplets(root)
    assert share <= 0.25 and largest <= 6  # it was 71% of the notes, in tuplets up to 12
    assert [(c.findtext("sign"), c.findtext("line")) for c in root.iter("clef")] == [("G", "2")]
    assert all(int(v.text) >= 1 for v in root.iter("voice"))
    assert root.findtext("work/work-title") == "Jazz Blues in F"
    assert [(c.get("type"), c.text) for c in root.iter("creator")] == [("composer", "Traditional")]
    assert any(w.text == "Swing" for w in root.iter("words"))
    assert len(root.findall("part/measure")) == 24 and len(list(root.iter("harmony"))) == len(solo.chords)
    written_notes = [n for n in root.iter("note") if n.find("rest") is None and n.find("tie[@type='stop']") is None]
    assert len(written_notes) >= 0.9 * len(solo.notes)  # few notes left out of the densest beats
    assert len(root.findall(".//tie[@type='start']")) == len(root.findall(".//tie[@type='stop']")) > 0


def _sheet(tmp_path: Path, program: int, key: str | None = None, pitches=range(60, 72)) -> ET.Element:
    notes = [Note(p, 12 * i, 12) for i, p in enumerate(pitches)]
    solo = Solo(notes, [Bar(48 * i) for i in range(3)], chords=[ChordChange(0, "C")], key=key, name="scale")
    write_lead_sheet(tmp_path / "s.musicxml", solo, program=program)
    return ET.parse(tmp_path / "s.musicxml").getroot()


@pytest.mark.parametrize("program, sign", [(66, "G"), (0, "G"), (56, "G"), (32, "F"), (57, "F"), (58, "F")])
def test_treble_clef_except_for_bass_instruments(tmp_path: Path, program: int, sign: str) -> None:
    assert _sheet(tmp_path, program).find("part/measure/attributes/clef/sign").text == sign


def test_key_signature_spelling_title_and_no_composer(tmp_path: Path) -> None:
    root = _sheet(tmp_path, 66, key="Bb", pitches=[58, 60, 62, 63, 65, 67, 69, 70])  # the Bb major scale
    assert root.findtext("part/measure/attributes/key/fifths") == "-2"
    assert not list(root.iter("accidental"))  # every note in the key: no accidentals written
    assert [p.findtext("step") for p in root.iter("pitch")][:4] == ["B", "C", "D", "E"]
    assert root.findtext("work/work-title") == "scale" and not list(root.iter("creator"))
    sharp = _sheet(tmp_path, 66, key="E", pitches=[61, 63, 66, 68])
    assert [p.findtext("alter") for p in sharp.iter("pitch")] == ["1", "1", "1", "1"]


def test_ties_join_a_note_across_the_bar_line_under_a_chord_change(tmp_path: Path) -> None:
    solo = Solo([Note(67, 36, 24)], [Bar(0), Bar(48)], chords=[ChordChange(0, "C"), ChordChange(48, "F")])
    write_lead_sheet(tmp_path / "tie.musicxml", solo)
    root = ET.parse(tmp_path / "tie.musicxml").getroot()
    ties = [(n.findtext("type"), t.get("type")) for n in root.iter("note") for t in n.findall("tie")]
    assert ties == [("quarter", "start"), ("quarter", "stop")]


@pytest.mark.parametrize("key, first, altered", [(None, "E7", "1"), (None, "F7", "-1"), (None, "Em7", "1"),
                                                  ("F", "E7", "-1"), ("D", "F7", "1")])
def test_black_keys_follow_the_key_or_the_first_chord(tmp_path: Path, key, first, altered) -> None:
    solo = Solo([Note(61, 0, 12), Note(66, 12, 12)], [Bar(0)], chords=[ChordChange(0, first)], key=key)
    write_lead_sheet(tmp_path / "k.musicxml", solo)
    root = ET.parse(tmp_path / "k.musicxml").getroot()
    assert {p.findtext("alter") for p in root.iter("pitch")} == {altered}


def test_chord_tones_on_black_keys_are_spelled_as_their_chord_spells_them(tmp_path: Path) -> None:
    # in F (flats): F# is D7's third, Eb over D7 is no chord tone and follows the key; in E (sharps): Bb is
    # C7's seventh, and Ab over it follows the key as G#
    changes = [ChordChange(0, "D7"), ChordChange(48, "C7")]
    notes = [Note(66, 0, 12), Note(63, 12, 12), Note(70, 48, 12), Note(68, 60, 12)]
    names = {}
    for key in ("F", "E"):
        write_lead_sheet(tmp_path / f"{key}.musicxml", Solo(notes, [Bar(0), Bar(48)], chords=changes, key=key))
        root = ET.parse(tmp_path / f"{key}.musicxml").getroot()
        names[key] = [p.findtext("step") + {"1": "#", "-1": "b"}.get(p.findtext("alter"), "")
                      for p in root.iter("pitch")]
    assert names == {"F": ["F#", "Eb", "Bb", "Ab"], "E": ["F#", "D#", "Bb", "G#"]}


def test_a_note_tied_into_the_next_chord_keeps_its_spelling(tmp_path: Path) -> None:
    solo = Solo([Note(66, 24, 48)], [Bar(0), Bar(48)], chords=[ChordChange(0, "D7"), ChordChange(48, "Ab7")])
    write_lead_sheet(tmp_path / "tie.musicxml", solo)  # F# (D7's third) held into Ab7, whose seventh is Gb
    root = ET.parse(tmp_path / "tie.musicxml").getroot()
    assert [(p.findtext("step"), p.findtext("alter")) for p in root.iter("pitch")] == [("F", "1"), ("F", "1")]


@pytest.mark.skipif(shutil.which("mscore3") is None, reason="MuseScore 3 (mscore3) is not installed")
def test_musescore_renders_it(tmp_path: Path) -> None:
    solo, _ = read_midi(SOLO)
    write_lead_sheet(tmp_path / "solo.musicxml", solo, title="Jazz Blues in F", program=66)
    done = subprocess.run(["mscore3", "-o", str(tmp_path / "solo.pdf"), str(tmp_path / "solo.musicxml")],
                          env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"}, capture_output=True,
                          timeout=120, check=False)
    assert done.returncode == 0 and (tmp_path / "solo.pdf").stat().st_size > 10_000
