"""Chord charts: the fake-book file format, its errors, and `jazz changes`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jazz.cli import main
from jazz.music.charts import (
    Chart,
    ChartError,
    chart_paths,
    check_chart,
    format_checks,
    parse_chart,
    parse_key,
    read_chart,
)
from jazz.music.tunes import parse_progression

CHARTS = Path(__file__).parent / "charts"
FIXTURES = sorted(CHARTS.glob("*.txt"))


def test_there_are_enough_fixtures() -> None:
    assert len(FIXTURES) >= 25


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_every_fixture_chart_parses(path: Path) -> None:
    chart = read_chart(path)
    assert chart.title and chart.bars and chart.meter in ("4/4", "3/4", "6/4")
    assert len(chart.bars) == int(chart.header.get("bars", len(chart.bars)))  # the header's count, repeats played
    assert parse_progression(chart.changes, chart.meter) == chart.bars  # the changes text reads back the same


def test_header_and_bars() -> None:
    chart = read_chart(CHARTS / "HaveYouMetMissJones.txt")
    assert (chart.title, chart.composer, chart.key, chart.meter) == (
        "Have You Met Miss Jones", "Richard Rodgers", "F", "4/4")
    assert chart.bars[:4] == [["Fmaj7"], ["F#dim"], ["Gm7"], ["C7"]]
    assert chart.bars[17] == ["Abm7", "Db7"]
    assert chart.changes.splitlines()[0] == "| Fmaj7 | F#dim | Gm7 | C7 |"
    tune = chart.as_tune()
    assert (tune.name, tune.title, tune.meter, tune.tempo) == ("have-you-met-miss-jones", chart.title, "4/4", None)


def test_real_files_windows_line_endings_byte_order_mark_and_latin_1(tmp_path: Path) -> None:
    assert b"\r\n" in (CHARTS / "TakeTheATrain.txt").read_bytes()
    assert read_chart(CHARTS / "TakeTheATrain.txt").bars[2] == ["D7(b5)"]
    prince = read_chart(CHARTS / "SomedayMyPrinceWillCome.txt")  # BOM, 3/4, C°7 with a degree sign
    assert prince.title == "Someday My Prince Will Come" and prince.meter == "3/4" and prince.bars[9] == ["Dbdim7"]
    latin = tmp_path / "cafe.txt"
    latin.write_bytes("Title = Café Society\nTimeSig = 3/4\nKey = A#\n| C | G7 |".encode("latin-1"))
    chart = read_chart(latin)
    assert (chart.title, chart.meter, chart.key, chart.bars) == ("Café Society", "3/4", "Bb", [["C"], ["G7"]])


def test_comments_blank_lines_labels_repeats_and_endings() -> None:
    text = """
    # my chart
    Title = Practice
    // comments and blank lines are skipped

    A: |: C7 | F7 | 1. G7 | C7 :| 2. G7 | C6 ||
    B: | Dm7 G7 | % | Cmaj7 | C7 / F7 / |
    """
    chart = parse_chart(text)
    assert chart.bars == [["C7"], ["F7"], ["G7"], ["C7"], ["C7"], ["F7"], ["G7"], ["C6"],
                          ["Dm7", "G7"], ["Dm7", "G7"], ["Cmaj7"], ["C7", "C7", "F7", "F7"]]  # fmt: skip
    twice = [["C"], ["F"], ["C"], ["F"], ["G"], ["D7"], ["G"], ["D7"], ["C"]]
    assert parse_chart("| C | F :|: G | D7 :| C").bars == twice


def test_chords_faster_than_the_beat_and_fake_book_spellings() -> None:
    chart = read_chart(CHARTS / "BebopBluesTurnaround.txt")
    assert chart.bars[-1] == ["F7", "E7", "Eb7", "D7", "Db7", "C7", "B7", "C7"]
    assert read_chart(CHARTS / "AllTheThingsYouAre.txt").bars[23] == ["C+7"]  # C7+
    assert read_chart(CHARTS / "MyFunnyValentine.txt").bars[25] == ["Cm(#5)"]  # Cm+
    assert read_chart(CHARTS / "PastelVamp.txt").bars[:2] == [["Cadd9"], ["Csus2"]]  # C2


@pytest.mark.parametrize("text, key", [("F", "F"), ("Bb", "Bb"), ("Gm", "Gm"), ("Eb minor", "Ebm"), ("A#", "Bb"),
                                       ("D#m", "D#m"), ("Gb", "Gb"), ("C#", "C#"), ("Dbm", "C#m"), ("", None),
                                       ("H", None), ("f", None)])
def test_keys_in_midi_spelling(text: str, key: str | None) -> None:
    assert parse_key(text) == key


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("text, message", [
    ("Title = x\n| Dm7 | G7 |\n| Cmaj7 | Hm7 |", r"bad\.txt: bar 4: unknown chord symbol 'Hm7'"),
    ("| C7 | F7(b9 |", r"bad\.txt: bar 2: unknown chord symbol 'F7\(b9'"),
    ("TimeSig = 4\n| C |", r"bad\.txt: TimeSig '4' is not a time signature"),
    ("Title = Nothing\n", r"bad\.txt: empty progression"),
    ("| % | C |", r"bad\.txt: bar 1: '%' repeats a previous bar"),
    ("| " + "C " * 17 + "|", r"bad\.txt: bar 1: 17 chords do not fit in a 4/4 bar"),
])  # fmt: skip
def test_errors_name_the_file_bar_and_symbol_in_one_sentence(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ChartError, match=message) as info:
        read_chart(_write(tmp_path, "bad.txt", text))
    assert "\n" not in str(info.value)


def test_missing_file_is_a_chart_error(tmp_path: Path) -> None:
    with pytest.raises(ChartError, match="missing.txt: cannot read it"):
        read_chart(tmp_path / "missing.txt")


def test_check_chart_and_report(tmp_path: Path) -> None:
    good = check_chart(CHARTS / "Solar.txt")
    assert good == {"path": str(CHARTS / "Solar.txt"), "status": "ok", "bars": 12, "meter": "4/4", "error": None,
                    "warnings": [], "key": "Cm", "changes": read_chart(CHARTS / "Solar.txt").changes,
                    "estimated_key": None}
    bad = check_chart(_write(tmp_path, "bad.txt", "| C | Xm7 |"))
    assert bad["status"] == "error" and bad["bars"] is None and "bar 2" in bad["error"] and "'Xm7'" in bad["error"]
    report = format_checks([good, bad])
    assert "12 bars of 4/4" in report and "'Xm7'" in report and report.splitlines()[-1] == "1 of 2 charts parse (50.0%)"


def test_chart_paths_search_folders(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / ".hidden").mkdir()
    for name in ("a.txt", "sub/b.chart", "sub/notes.md", ".hidden/c.txt"):
        _write(tmp_path, name, "| C |")
    assert chart_paths([tmp_path]) == [tmp_path / "a.txt", tmp_path / "sub" / "b.chart"]
    assert chart_paths([tmp_path / "sub" / "notes.md"]) == [tmp_path / "sub" / "notes.md"]


def test_changes_command_reports_every_chart(tmp_path: Path, capsys) -> None:
    report = tmp_path / "report.json"
    assert main(["changes", str(CHARTS), "--json", str(report)]) == 0
    out = capsys.readouterr().out
    assert f"{len(FIXTURES)} of {len(FIXTURES)} charts parse (100.0%)" in out
    files = json.loads(report.read_text())["files"]
    assert len(files) == len(FIXTURES) and {f["status"] for f in files} == {"ok"}
    assert set(files[0]) == {"path", "status", "bars", "meter", "error", "warnings", "key", "changes",
                                "estimated_key"}


def test_changes_command_fails_naming_the_bad_chart(tmp_path: Path, capsys) -> None:
    bad = _write(tmp_path, "bad.txt", "Title = Bad\n| C | G7 | Cxyz |")
    report = tmp_path / "report.json"
    assert main(["changes", str(CHARTS / "Solar.txt"), str(bad), "--json", str(report)]) == 2
    captured = capsys.readouterr()
    assert "1 of 2 charts parse" in captured.out
    err = captured.err.strip()
    assert len(err.splitlines()) == 1 and "bad.txt: bar 3: unknown chord symbol 'Cxyz'" in err
    files = json.loads(report.read_text())["files"]
    assert [f["status"] for f in files] == ["ok", "error"] and files[1]["bars"] is None


def test_changes_command_without_charts(tmp_path: Path, capsys) -> None:
    assert main(["changes", str(tmp_path)]) == 2
    assert "no .txt or .chart files" in capsys.readouterr().err


def test_chart_dataclass_defaults() -> None:
    chart = Chart("Blues", [["F7"], ["Bb7"]])
    assert chart.meter == "4/4" and chart.key is None and chart.changes == "| F7 | Bb7 |"
