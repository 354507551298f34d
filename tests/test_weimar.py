"""jazz.midi.weimar: Weimar Jazz Database CSVs → beat-aligned MIDI files.

A tiny synthetic layout checks exact ticks, tempos, markers, skips, drops and the overwrite refusal without the
shared corpus; the whole corpus (410 solos, imported once per module) checks every note's bar and beat, every
chord change and the tempo map against the CSVs.
"""

from __future__ import annotations

import csv
import time
from bisect import bisect_right
from pathlib import Path

import mido
import pytest
from conftest import CORPUS, need

from jazz.files import UsageError
from jazz.midi.read import MidiContent, load_content, read_midi
from jazz.midi.weimar import (
    TICKS_PER_BEAT,
    import_weimar,
    midi_key,
    parse_signature,
    run,
)
from jazz.music.chord_parse import spelled_weimar_symbol
from jazz.music.labels import PROGRAMS

T = TICKS_PER_BEAT

# ------------------------------------------------------------------------------------ a synthetic layout

# (bar, beat, onset s, duration s, signature, chord): a pickup from bar -1 beat 3, a 3/4 bar, a slower bar 2
BEATS = [
    (-1, 3, 1.0, 0.5, "4/4", "NC"), (-1, 4, 1.5, 0.5, "4/4", "NC"),
    (0, 1, 2.0, 0.5, "4/4", "C-7"), (0, 2, 2.5, 0.5, "4/4", "C-7"),
    (0, 3, 3.0, 0.5, "4/4", "F7"), (0, 4, 3.5, 0.5, "4/4", "F7"),
    (1, 1, 4.0, 0.5, "3/4", "Bbj7"), (1, 2, 4.5, 0.5, "3/4", "Bbj7"), (1, 3, 5.0, 0.5, "3/4", "Bbj7"),
    (2, 1, 5.5, 1.0, "4/4", "G79b"), (2, 2, 6.5, 1.0, "4/4", "G79b"),
    (2, 3, 7.5, 1.0, "4/4", "C-7"), (2, 4, 8.5, 1.0, "4/4", "C-7"),
]  # fmt: skip
# (bar, beat, tatum, division, onset s, duration s, pitch) and the expected (start, end) ticks
NOTES = [
    ((-1, 4, 1, 1, 1.5, 0.25, 60), (3 * T, 3 * T + T // 2)),  # pickup note
    ((0, 1, 2, 3, 2.0 + 0.5 / 3, 0.1, 62), (4 * T + T // 3, 4 * T + T // 3 + T // 5)),  # triplet
    ((0, 2, 4, 11, 2.5 + 1.5 / 11, 0.05, 63), (5 * T + 1375, 5 * T + 1375 + T // 10)),  # 3/11 of 5040 = 1374.5
    ((0, 3, 1, 2, 3.0, 2.0, 65), (6 * T, 9 * T + T // 2)),  # 4 beats long: cut at the next onset
    ((1, 2, 3, 4, 4.75, 0.25, 67), (9 * T + T // 2, 10 * T)),
    ((2, 1, 1, 1, 5.5, 1.5, 68), (11 * T, 12 * T + T // 2)),  # 1.5 s at 1 s per beat
    ((2, 4, 1, 1, 8.5, 3.0, 70), (14 * T, 17 * T)),  # ends after the beat track: extrapolated, one bar added
]  # fmt: skip
MELODY_HEADER = "onset,duration,period,division,bar,beat,tatum,beat_duration,signature,pitch,chord"
BEATS_HEADER = "onset,duration,period,division,bar,beat,signature,chord,form,chorus_id,bass"


def write_solo(src: Path, name: str, beats=BEATS, notes=NOTES) -> None:
    """One solo in the export's own quoting: the signature in tripled double quotes in the melody, in single
    quotes in the beat track."""
    (src / "csv" / "melody").mkdir(parents=True, exist_ok=True)
    (src / "csv" / "beats").mkdir(parents=True, exist_ok=True)
    sig = {bar: s for bar, _, _, _, s, _ in beats}
    lines = [MELODY_HEADER] + [f'{on},{dur},4,{div},{bar},{beat},{tat},0.5,"""{sig[bar]}""",{p},X'
                               for (bar, beat, tat, div, on, dur, p), _ in notes]
    (src / "csv" / "melody" / f"{name}.csv").write_text("\n".join(lines) + "\n")
    lines = [BEATS_HEADER] + [f"{on},{dur},4,1,{bar},{beat},'{s}',{chord},A1,1,40"
                              for bar, beat, on, dur, s, chord in beats]
    (src / "csv" / "beats" / f"{name}_beattrack.csv").write_text("\n".join(lines) + "\n")


def write_meta(src: Path, rows: list[tuple[str, str, str]]) -> None:
    with open(src / "meta.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "filename_sv", "instrument", "key", "performer"])
        writer.writerows([f"{name}.sv", f"{name}.sv", instrument, key, "X"] for name, instrument, key in rows)


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    src = tmp_path / "wjazzd"
    write_solo(src, "Good_Solo")
    write_meta(src, [("Good_Solo", "tp", "G-min")])
    return src


def test_synthetic_solo_is_placed_exactly(layout: Path, tmp_path: Path):
    (report,) = import_weimar(layout, tmp_path / "out")
    assert report["status"] == "written" and report["reason"] == ""
    assert (report["notes"], report["bars"], report["clipped"], report["dropped"]) == (7, 5, 1, [])
    content = load_content(tmp_path / "out" / "Good_Solo.mid")
    assert content.ticks_per_beat == T and content.key == "Gm"
    (part,) = content.parts
    assert part.name == "Solo"
    assert [(s, e, p) for s, e, p, _ in sorted(part.notes)] == [(*ticks, n[6]) for n, ticks in NOTES]
    assert content.meters == [(0, 4, 4), (8 * T, 3, 4), (11 * T, 4, 4)]
    assert content.texts == [(2 * T, "N.C."), (4 * T, "Cm7"), (6 * T, "F7"), (8 * T, "Bbmaj7"),
                             (11 * T, "G7(b9)"), (13 * T, "Cm7")]
    midi = mido.MidiFile(tmp_path / "out" / "Good_Solo.mid")
    assert tempo_map(midi) == [(0, 500_000), (11 * T, 1_000_000)]
    assert [m.program for m in midi.tracks[1] if m.type == "program_change"] == [PROGRAMS["tp"]] == [56]
    assert sum(m.time for m in midi.tracks[0]) == 19 * T  # the conductor ends with the added bar 3


def test_unknown_chord_skips_that_solo_only(layout: Path, tmp_path: Path):
    bad = [b if b[:2] != (0, 2) else (*b[:5], "Cqq7") for b in BEATS]  # the 4th beat: spreadsheet row 5
    write_solo(layout, "Bad_Solo", beats=bad)
    reports = {r["name"]: r for r in import_weimar(layout, tmp_path / "out")}
    assert reports["Good_Solo"]["status"] == "written"
    assert reports["Bad_Solo"]["status"] == "skipped"
    assert reports["Bad_Solo"]["reason"] == "csv/beats/Bad_Solo_beattrack.csv row 5: unknown chord symbol 'Cqq7'"
    assert not (tmp_path / "out" / "Bad_Solo.mid").exists()
    assert (tmp_path / "out" / "Good_Solo.mid").exists()


def test_drops_are_reported_by_row(layout: Path, tmp_path: Path):
    notes = list(NOTES)
    notes.insert(2, ((0, 1, 2, 3, 2.2, 0.1, 90), None))  # the same position as the triplet before it: row 4
    notes.insert(5, ((0, 3, 1, 2, 3.0, 0.1, 200), None))  # no MIDI pitch: row 7
    write_solo(layout, "Odd_Solo", notes=notes)
    reports = {r["name"]: r for r in import_weimar(layout, tmp_path / "out")}
    odd = reports["Odd_Solo"]
    assert odd["status"] == "written" and odd["notes"] == len(NOTES)
    assert odd["dropped"] == ["row 4 (it does not start after the previous note)",
                              "row 7 (pitch 200 is outside MIDI's 0-127)"]
    assert odd["warnings"] == ["no meta.csv row: no key signature, tenor sax"]
    (part,) = load_content(tmp_path / "out" / "Odd_Solo.mid").parts
    assert sorted(part.notes)[:3] == sorted(load_content(tmp_path / "out" / "Good_Solo.mid").parts[0].notes)[:3]


def test_refuses_to_overwrite_unless_forced(layout: Path, tmp_path: Path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "Good_Solo.mid").write_bytes(b"old")
    with pytest.raises(UsageError, match=r"1 of the 1 MIDI files already exist .*Good_Solo\.mid.*--force"):
        import_weimar(layout, out)
    assert (out / "Good_Solo.mid").read_bytes() == b"old"
    import_weimar(layout, out, force=True)
    assert (out / "Good_Solo.mid").read_bytes()[:4] == b"MThd"
    assert sorted(p.name for p in out.iterdir()) == ["Good_Solo.mid", "labels.csv"]  # no temporary file left behind


def test_not_a_weimar_folder(tmp_path: Path):
    with pytest.raises(UsageError, match="not a Weimar Jazz Database folder"):
        import_weimar(tmp_path, tmp_path / "out")


def test_run_prints_a_summary_and_fails_on_skips(layout: Path, tmp_path: Path, capsys):
    assert run(layout, tmp_path / "a") == 0
    captured = capsys.readouterr()
    assert "wrote 1 MIDI files (7 notes)" in captured.out and "import-weimar: 1/1" in captured.err
    write_solo(layout, "Bad_Solo", beats=[(*b[:5], "H7") for b in BEATS])
    assert run(layout, tmp_path / "b") == 1
    captured = capsys.readouterr()
    assert "skipped 1" in captured.out and "skipped Bad_Solo: " in captured.err and "'H7'" in captured.err


@pytest.mark.parametrize("text, key", [
    ("Bb-maj", "Bb"), ("C-min", "Cm"), ("F#-min", "F#m"), ("Ab", "Ab"), ("Bb-blues", "Bb"), ("D#-maj", "Eb"),
    ("C#-maj", "C#"), ("Eb-min", "Ebm"), ("D-chrom", None), ("", None), ("H-maj", None),
])  # fmt: skip
def test_midi_key(text: str, key: str | None):
    assert midi_key(text) == key


def test_parse_signature():
    assert parse_signature('"""4/4"""') == (4, 4)
    assert parse_signature("'3/4'") == (3, 4) and parse_signature("6/8") == (6, 8)
    for bad in ("", "4/3", "0/4", "x"):
        with pytest.raises(ValueError):
            parse_signature(bad)


# ------------------------------------------------------------------------------------ the whole corpus


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> dict:
    """All shared solos imported once (module-scoped, so it reads the corpus path itself, as ``wjazzd`` does)."""
    src = need(CORPUS / "wjazzd")
    out = tmp_path_factory.mktemp("weimar")
    started = time.perf_counter()
    reports = import_weimar(src, out)
    print(f"\nimported {len(reports)} Weimar solos in {time.perf_counter() - started:.1f} s")
    return {"src": src, "out": out, "reports": {r["name"]: r for r in reports}}


@pytest.fixture(scope="module")
def solos(imported: dict) -> list[tuple[str, list[dict], list[dict], MidiContent]]:
    """(name, melody rows, beat rows, the written file's content) for every solo."""
    src, out = imported["src"], imported["out"]
    return [(name, read_csv(src / "csv" / "melody" / f"{name}.csv"),
             read_csv(src / "csv" / "beats" / f"{name}_beattrack.csv"), load_content(out / f"{name}.mid"))
            for name in sorted(imported["reports"])]


def bar_lines(meters: list[tuple[int, int, int]], end: int) -> list[tuple[int, int]]:
    """(start tick, ticks per beat) of every bar from tick 0 past ``end``, laid by the time signatures."""
    bars, tick, pending, beat, beats = [], 0, list(meters), T, 4
    while tick <= end:
        while pending and pending[0][0] <= tick:
            _, beats, denominator = pending.pop(0)
            beat = T * 4 // denominator
        bars.append((tick, beat))
        tick += beats * beat
    return bars


def position(tick: int, bars: list[tuple[int, int]], starts: list[int]) -> tuple[int, int, int]:
    """(bar index, 1-based beat, ticks into the beat) of a tick."""
    index = bisect_right(starts, tick) - 1
    start, beat = bars[index]
    return index, (tick - start) // beat + 1, (tick - start) % beat


def tempo_map(midi: mido.MidiFile) -> list[tuple[int, int]]:
    tick, tempos = 0, []
    for message in midi.tracks[0]:
        tick += message.time
        if message.type == "set_tempo":
            tempos.append((tick, message.tempo))
    return tempos


@pytest.mark.slow
def test_every_solo_is_written_with_every_note(imported: dict, solos):
    reports = imported["reports"]
    assert len(reports) == len(solos) == 410
    assert {r["status"] for r in reports.values()} == {"written"}
    for name, melody, _, content in solos:
        (part,) = content.parts
        assert part.name == "Solo" and content.ticks_per_beat == T
        assert reports[name]["dropped"] == []  # the shared corpus needs no drop
        assert reports[name]["notes"] == len(part.notes) == len(melody), name
        assert [n[2] for n in sorted(part.notes)] == [int(r["pitch"]) for r in melody], name
        ends = sorted(part.notes)
        assert all(a[1] <= b[0] for a, b in zip(ends, ends[1:])), f"{name}: overlapping notes"
    assert sum(r["clipped"] for r in reports.values()) < 0.25 * sum(r["notes"] for r in reports.values())


@pytest.mark.slow
def test_every_note_on_its_bar_and_beat(solos):
    for name, melody, beats, content in solos:
        first_bar = int(beats[0]["bar"])
        notes = sorted(content.parts[0].notes)
        bars = bar_lines(content.meters, notes[-1][0])
        starts = [b[0] for b in bars]
        for row, note in zip(melody, notes):
            beat_ticks = bars[position(note[0], bars, starts)[0]][1]
            expected = (int(row["bar"]) - first_bar, int(row["beat"]),
                        round((int(row["tatum"]) - 1) * beat_ticks / int(row["division"])))
            assert position(note[0], bars, starts) == expected, (name, row)


@pytest.mark.slow
def test_chord_markers_are_the_beat_tracks_changes(solos):
    for name, _, beats, content in solos:
        first_bar = int(beats[0]["bar"])
        bars = bar_lines(content.meters, content.texts[-1][0] if content.texts else 0)
        expected, previous = [], None
        for row in beats:
            symbol = spelled_weimar_symbol(row["chord"])
            if symbol != previous:
                start, beat = bars[int(row["bar"]) - first_bar]
                expected.append((start + (int(row["beat"]) - 1) * beat, symbol))
            previous = symbol
        assert content.texts == expected, name


@pytest.mark.slow
def test_tempo_map_puts_every_beat_at_its_recorded_time(imported: dict, solos):
    """Seconds of each beat in the file = seconds in the recording, shifted (to 2 ms) by one constant."""
    odd = ["CannonballAdderley_ThisHere_FINAL", "DonByas_OutOfNowhere_FINAL", "JohnColtrane_NatureBoy_FINAL",
           "MichaelBrecker_NeverAlone_FINAL", "SteveColeman_Segment_FINAL", "ArtPepper_Anthropology_FINAL"]
    for name, _, beats, content in [s for s in solos if s[0] in odd]:
        midi = mido.MidiFile(imported["out"] / f"{name}.mid")
        tempos = tempo_map(midi)
        bars = bar_lines(content.meters, sum(m.time for m in midi.tracks[0]))
        first_bar = int(beats[0]["bar"])
        shifts = []
        for row in beats:
            start, beat = bars[int(row["bar"]) - first_bar]
            shifts.append(float(row["onset"]) - seconds_at(start + (int(row["beat"]) - 1) * beat, tempos))
        assert max(shifts) - min(shifts) < 0.002, name


def seconds_at(tick: int, tempos: list[tuple[int, int]]) -> float:
    seconds = 0.0
    for (at, tempo), following in zip(tempos, tempos[1:] + [(None, None)]):
        stop = tick if following[0] is None else min(tick, following[0])
        if stop <= at:
            break
        seconds += (stop - at) * tempo / 1e6 / T
    return seconds


@pytest.mark.slow
def test_files_read_back_as_solos_with_chords(imported: dict):
    for name in imported["reports"]:
        solo, label = read_midi(imported["out"] / f"{name}.mid")
        assert label == "1:Solo" and solo.notes and solo.chords, name


@pytest.mark.slow
def test_refuses_to_overwrite_the_imported_corpus(imported: dict):
    with pytest.raises(UsageError, match="410 of the 410 MIDI files already exist"):
        import_weimar(imported["src"], imported["out"])


@pytest.mark.slow
def test_every_imported_solo_follows_its_beat(imported: dict):
    from jazz.midi.corpus import file_beat_fit

    fits = {path.stem: file_beat_fit(path) for path in sorted(imported["out"].glob("*.mid"))}
    assert fits and [name for name, fit in fits.items() if not fit.follows] == []
