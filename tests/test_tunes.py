"""Progressions: the bar-line parser, the layout on the step grid, the built-in tunes, Weimar meta changes."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from jazz.music.chord_parse import parse_chord
from jazz.music.chords import ChordError
from jazz.music.notes import Bar, ChordChange, Solo
from jazz.music.tunes import (
    TUNES,
    TuneError,
    get_tune,
    list_tunes,
    parse_meter,
    parse_progression,
    parse_weimar_changes,
    progression_changes,
)

# ------------------------------------------------------------------------------------------ parsing


def test_parse_progression_basic() -> None:
    assert parse_progression("| Dm7 | G7 | Cmaj7 | Cmaj7 |") == [["Dm7"], ["G7"], ["Cmaj7"], ["Cmaj7"]]


def test_bar_lines_are_optional_at_the_ends_and_double_bars_are_bar_lines() -> None:
    expected = [["Dm7", "G7"], ["Cmaj7"], ["F7"]]
    assert parse_progression("Dm7 G7 | Cmaj7 || F7") == expected
    assert parse_progression("||Dm7 G7|Cmaj7||F7||") == expected
    assert parse_progression("\n  |  Dm7\tG7 |\n Cmaj7 ||  F7   \n") == expected


def test_percent_repeats_the_previous_bar() -> None:
    assert parse_progression("| C7 F7 | % | % | G7 |") == [["C7", "F7"], ["C7", "F7"], ["C7", "F7"], ["G7"]]
    with pytest.raises(ValueError, match="bar 1"):
        parse_progression("| % | C7 |")


def test_section_labels_are_ignored() -> None:
    assert parse_progression("A: | C6 | % | B: | F7 |\nA2: | C6 |") == [["C6"], ["C6"], ["F7"], ["C6"]]


def test_symbols_come_back_in_lead_sheet_spelling() -> None:
    assert parse_progression("| C-7 F7 | Bbj7 | Bø E7b9 |") == [["Cm7", "F7"], ["Bbmaj7"], ["Bm7b5", "E7(b9)"]]


def test_bad_chord_names_symbol_and_bar() -> None:
    with pytest.raises(ChordError, match=r"bar 3: .*'Hm7'"):
        parse_progression("| Dm7 | G7 | Hm7 | C |")
    with pytest.raises(ChordError, match=r"bar 2: .*'%'"):
        parse_progression("| Dm7 | G7 % |")


@pytest.mark.parametrize("empty", ["", "   ", "|", "|| ||", "A: |  |"])
def test_empty_progression(empty: str) -> None:
    with pytest.raises(ValueError, match="empty"):
        parse_progression(empty)


def test_more_chords_than_beats_split_the_bar() -> None:
    assert len(parse_progression("| C D E F |")[0]) == 4
    quarters = parse_progression("| C | C D E F |", meter="3/4")
    assert quarters == [["C"], ["C", "D", "E", "F"]]
    assert onsets(quarters, meter="3/4") == [(0, "C"), (45, "D"), (54, "E"), (63, "F")]  # dotted eighths
    assert len(parse_progression("| " + "C7 F7 " * 8 + "|")[0]) == 16  # sixteenth notes: the fastest
    with pytest.raises(ValueError, match=r"bar 2: 17 chords .* \(at most 16"):
        parse_progression("| C | " + "C " * 17 + "|")
    with pytest.raises(ValueError, match="cannot hold"):
        progression_changes([["C", "D", "E", "F", "G"]], grid=1)


def test_slash_repeats_the_chord_before_it() -> None:
    assert parse_progression("| C7 / F7 / | / Gm7 |") == [["C7", "C7", "F7", "F7"], ["F7", "Gm7"]]
    assert onsets(parse_progression("| C7 / / F7 |")) == [(0, "C7"), (36, "F7")]
    with pytest.raises(ChordError, match="bar 1: '/'"):
        parse_progression("| / C7 |")


def test_spaces_inside_parentheses_stay_in_the_chord() -> None:
    assert parse_progression("| C7(b9 #11) F7( #9 ) |") == [["C7(b9,#11)", "F7(#9)"]]


@pytest.mark.parametrize("meter, expected", [("4/4", (4, 4)), ("3/4", (3, 4)), ("6/8", (6, 8)), (" 5 / 4 ", (5, 4))])
def test_parse_meter(meter: str, expected: tuple[int, int]) -> None:
    assert parse_meter(meter) == expected


@pytest.mark.parametrize("bad", ["4", "4/3", "0/4", "four/four", ""])
def test_bad_meter(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_meter(bad)


# ------------------------------------------------------------------------------------------- layout


def onsets(bars: list[list[str]], **kwargs) -> list[tuple[int, str]]:
    return [(c.onset, c.symbol) for c in progression_changes(bars, **kwargs)[1]]


def test_one_chord_per_bar_4_4() -> None:
    bars, changes = progression_changes([["Dm7"], ["G7"], ["Cmaj7"]])
    assert bars == [Bar(0), Bar(48), Bar(96)]
    assert changes == [ChordChange(0, "Dm7"), ChordChange(48, "G7"), ChordChange(96, "Cmaj7")]


def test_chords_share_the_bar_by_beats() -> None:
    assert onsets([["Dm7", "G7"]]) == [(0, "Dm7"), (24, "G7")]  # beats 1 and 3
    assert onsets([["C", "Am7", "Dm7"]]) == [(0, "C"), (24, "Am7"), (36, "Dm7")]  # 2 + 1 + 1 beats
    assert onsets([["C", "D", "E", "F"]]) == [(0, "C"), (12, "D"), (24, "E"), (36, "F")]
    assert onsets([["C", "G7"]], grid=4) == [(0, "C"), (8, "G7")]
    eight = "C D E F G A B C7".split()  # more chords than beats: even grid steps
    assert onsets([eight]) == [(6 * i, s) for i, s in enumerate(eight)]


def test_other_meters() -> None:
    bars, _ = progression_changes([["C"], ["F"]], meter="3/4")
    assert [b.start for b in bars] == [0, 36] and bars[0].meter == "3/4" and bars[0].length(12) == 36
    assert onsets([["C", "G7"]], meter="3/4") == [(0, "C"), (24, "G7")]  # 2 + 1 beats
    bars, changes = progression_changes([["C", "G7"], ["C"]], meter="6/8")
    assert [b.start for b in bars] == [0, 36] and bars[0].length(12) == 36
    assert [c.onset for c in changes] == [0, 18, 36]


def test_identical_neighbours_merge() -> None:
    assert onsets([["C7"], ["C7"], ["F7", "F7"], ["C7"]]) == [(0, "C7"), (96, "F7"), (144, "C7")]
    assert onsets([["C7"], ["F7"], ["C7"]], choruses=2) == [(0, "C7"), (48, "F7"), (96, "C7"), (192, "F7"), (240, "C7")]


def test_choruses_repeat_the_form() -> None:
    blues = get_tune("blues-f").bars
    bars, changes = progression_changes(blues, choruses=3)
    assert len(bars) == 36
    assert [b.start for b in bars] == [48 * i for i in range(36)]
    once = progression_changes(blues)[1]
    chorus_steps = 12 * 48
    for chorus in (1, 2):
        repeated = [c for c in changes if chorus * chorus_steps <= c.onset < (chorus + 1) * chorus_steps]
        assert [(c.onset - chorus * chorus_steps, c.symbol) for c in repeated] == [(c.onset, c.symbol) for c in once]


def test_layout_feeds_a_solo() -> None:
    bars, changes = progression_changes(parse_progression("| Dm7 G7 | Cmaj7 |"))
    solo = Solo(notes=[], bars=bars, chords=changes)
    assert solo.total_steps == 96
    assert [solo.chord_at(s) for s in (0, 23, 24, 47, 48, 95)] == ["Dm7", "Dm7", "G7", "G7", "Cmaj7", "Cmaj7"]


def test_layout_errors() -> None:
    with pytest.raises(ValueError):
        progression_changes([["C"]], choruses=0)
    with pytest.raises(ValueError):
        progression_changes([])
    with pytest.raises(ValueError):
        progression_changes([["C"]], meter="7/16", grid=2)


# -------------------------------------------------------------------------------------------- library

BAR_COUNTS = {
    "blues-f": 12, "blues-bb": 12, "minor-blues-c": 12, "rhythm-changes-bb": 32, "ii-v-i-c": 4,
    "minor-ii-v-i-c": 4, "ii-v-i-keys": 48, "minor-ii-v-i-keys": 48, "modal-d-dorian": 32, "standard-eb": 32,
    "coltrane-cycle": 16, "minor-ii-v-d": 16, "waltz-bb": 16,
}  # fmt: skip


@pytest.mark.parametrize("name", TUNES)
def test_every_tune_parses(name: str) -> None:
    tune = TUNES[name]
    assert tune.name == name and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name)
    assert tune.title and tune.description
    assert 40 <= tune.tempo <= 320
    bars = tune.bars
    assert len(bars) == BAR_COUNTS[name]
    for bar in bars:
        for symbol in bar:
            assert parse_chord(symbol).symbol == symbol
    layout, changes = progression_changes(bars, tune.meter)
    assert len(layout) == len(bars) and changes[0].onset == 0


def test_expected_tunes_are_there() -> None:
    assert set(BAR_COUNTS) <= set(TUNES)


def test_tune_harmony() -> None:
    f_blues = get_tune("blues-f").bars
    assert f_blues[0] == ["F7"] and f_blues[1] == ["Bb7"] and f_blues[4] == ["Bb7"] and f_blues[9] == ["C7"]
    assert get_tune("blues-bb").bars[0] == ["Bb7"]
    assert get_tune("minor-blues-c").bars[0] == ["Cm7"]
    rhythm = get_tune("rhythm-changes-bb").bars
    assert [bar[0] for bar in rhythm[16:24]] == ["D7", "D7", "G7", "G7", "C7", "C7", "F7", "F7"]
    assert rhythm[0][0] == "Bb6" and rhythm[31] == ["Bb6"]
    modal = [bar[0] for bar in get_tune("modal-d-dorian").bars]
    assert modal == ["Dm7"] * 16 + ["Ebm7"] * 8 + ["Dm7"] * 8
    tonics = [bar[0] for bar in get_tune("ii-v-i-keys").bars[2::4]]
    assert len({parse_chord(t).root for t in tonics}) == 12 and all(t.endswith("maj7") for t in tonics)
    minor_tonics = [bar[0] for bar in get_tune("minor-ii-v-i-keys").bars[2::4]]
    assert len({parse_chord(t).root for t in minor_tonics}) == 12 and all(t.endswith("m6") for t in minor_tonics)
    assert get_tune("standard-eb").bars[2] == ["Ebmaj7"] and get_tune("standard-eb").bars[-1] == ["Eb6"]
    coltrane_roots = {parse_chord(s).root for bar in get_tune("coltrane-cycle").bars[:4] for s in bar if "maj7" in s}
    assert coltrane_roots == {0, 8, 4}  # C, Ab, E: major thirds apart


def test_get_tune() -> None:
    assert get_tune("blues-f") is TUNES["blues-f"]
    assert get_tune("  Blues_F ") is TUNES["blues-f"]
    with pytest.raises(TuneError) as info:
        get_tune("giant-stepz")
    message = str(info.value)
    assert "giant-stepz" in message and "blues-f" in message and "rhythm-changes-bb" in message
    assert isinstance(info.value, KeyError)


def test_list_tunes() -> None:
    table = list_tunes()
    lines = table.splitlines()
    assert lines[0].split()[:4] == ["name", "bars", "meter", "tempo"]
    assert len(lines) == len(TUNES) + 2
    for tune in TUNES.values():
        row = next(line for line in lines if line.startswith(tune.name + " "))
        assert row.split()[1] == str(BAR_COUNTS[tune.name]) and tune.meter in row and tune.description in row


# ----------------------------------------------------------------------------------- Weimar meta.csv


def test_parse_weimar_changes() -> None:
    parts = parse_weimar_changes("A1: ||Bb6 G7 |C-7 F7 ||\nB1: ||F7NC |NC |Db-69/AbDb-69/Db ||")
    assert parts == [
        ("A1", [["Bb6", "G7"], ["Cm7", "F7"]]),
        ("B1", [["F7", "N.C."], ["N.C."], ["Dbm69/Ab", "Dbm69"]]),
    ]
    with pytest.raises(ChordError, match=r"part A1, bar 2: .*'Cx7'"):
        parse_weimar_changes("A1: ||C7 |Cx7 ||")


def test_every_meta_changes_parse(wjazzd: Path) -> None:
    with (wjazzd / "meta.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) > 300
    for row in rows:
        parts = parse_weimar_changes(row["chord_changes"])
        assert parts, row["id"]
        expected_bars = sum(
            len([s for s in line.split(":")[-1].split("|") if s.strip()]) for line in row["chord_changes"].splitlines()
        )
        assert sum(len(bars) for _, bars in parts) == expected_bars
