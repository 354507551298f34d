"""The rhythm section: comping voicings and rhythms, the walking bass, the ride pattern, N.C. bars, MIDI output."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import mido
import pytest

from jazz.midi.write import write_midi
from jazz.music.band import band_parts
from jazz.music.chord_parse import to_chord
from jazz.music.notes import Bar, ChordChange, Note, Part, Solo
from jazz.music.scales import chord_scale
from jazz.music.tunes import get_tune, parse_progression, progression_changes
from jazz.music.voicings import voicing

GRID = 12
WALTZ = "| Cmaj7 | C/E | Fmaj7 | Dm7 G7 | Em7 | A7(b9) | N.C. | Dm7 G7 | C6 | Bb/C |"

Form = tuple[list[Bar], list[ChordChange]]


def blues() -> Form:
    return progression_changes(get_tune("blues-f").bars, "4/4", GRID, choruses=2)


def waltz() -> Form:
    return progression_changes(parse_progression(WALTZ, "3/4"), "3/4", GRID)


def form_of(name: str) -> Form:
    return blues() if name == "blues" else waltz()


def parts(form: Form, **kwargs: object) -> dict[str, Part]:
    bars, changes = form
    return {part.name: part for part in band_parts(bars, changes, GRID, **kwargs)}  # type: ignore[arg-type]


def form_end(bars: list[Bar]) -> int:
    return bars[-1].start + bars[-1].length(GRID)


def spans(form: Form) -> list[tuple[int, int, str]]:
    """(onset, end, symbol) of each chord."""
    bars, changes = form
    ends = [c.onset for c in changes[1:]] + [form_end(bars)]
    return [(c.onset, end, c.symbol) for c, end in zip(changes, ends)]


def span_at(form: Form, step: int) -> int:
    return max(i for i, (onset, _, _) in enumerate(spans(form)) if onset <= step)


def by_onset(notes: list[Note]) -> dict[int, list[Note]]:
    groups: dict[int, list[Note]] = defaultdict(list)
    for note in notes:
        groups[note.onset].append(note)
    return dict(groups)


# ------------------------------------------------------------------------------------------------- the parts


def test_three_parts_in_order_with_channels_and_programs() -> None:
    bars, changes = blues()
    band = band_parts(bars, changes, GRID)
    assert [(p.name, p.channel, p.program) for p in band] == [("Comping", 1, 0), ("Bass", 2, 32), ("Drums", 9, None)]
    assert all(p.notes for p in band)


@pytest.mark.parametrize("name", ["blues", "waltz"])
@pytest.mark.parametrize("swing", [True, False])
def test_every_note_lies_inside_the_form(name: str, swing: bool) -> None:
    form = form_of(name)
    end = form_end(form[0])
    for part in parts(form, swing=swing).values():
        for note in part.notes:
            assert 0 <= note.onset and note.duration >= 1 and note.end <= end, (part.name, note)
            assert 1 <= note.velocity <= 127 and 0 <= note.pitch <= 127


@pytest.mark.parametrize("meter", ["4/4", "3/4", "2/4", "6/8", "5/8", "2/2"])
@pytest.mark.parametrize("grid", [12, 24])
def test_any_meter_and_grid_stays_inside_the_form(meter: str, grid: int) -> None:
    bars, changes = progression_changes(parse_progression("| Dm7 | G7 | Cmaj7 | A7 |", meter), meter, grid, 2)
    end = bars[-1].start + bars[-1].length(grid)
    band = band_parts(bars, changes, grid, seed=3)
    assert all(p.notes for p in band)
    assert all(0 <= n.onset < n.end <= end for p in band for n in p.notes)


def test_same_seed_same_band_other_seed_other_band() -> None:
    form = blues()
    first, again, other = parts(form, seed=7), parts(form, seed=7), parts(form, seed=8)
    assert first == again
    assert first["Comping"].notes != other["Comping"].notes
    assert first["Bass"].notes != other["Bass"].notes


def test_empty_form_gives_empty_parts_and_bad_grids_are_refused() -> None:
    assert [p.notes for p in band_parts([], [], GRID)] == [[], [], []]
    bars, changes = progression_changes([["C7"]], "4/4", 4)
    with pytest.raises(ValueError, match="divisible by 3"):
        band_parts(bars, changes, grid=4)
    assert band_parts(bars, changes, grid=4, swing=False)[1].notes


# ------------------------------------------------------------------------------------------------------ bass


@pytest.mark.parametrize("name", ["blues", "waltz"])
def test_bass_plays_root_or_slash_bass_on_every_change(name: str) -> None:
    form = form_of(name)
    bass = {n.onset: n for n in parts(form)["Bass"].notes}
    for onset, _, symbol in spans(form):
        chord = to_chord(symbol)
        if chord.is_no_chord:
            assert onset not in bass
        else:
            assert bass[onset].pitch % 12 == chord.bass_pc, symbol
    if name == "waltz":
        assert {"C/E", "Bb/C"} <= {symbol for _, _, symbol in spans(form)}  # slash basses are checked too


@pytest.mark.parametrize("name", ["blues", "waltz"])
def test_bass_walks_quarters_in_range(name: str) -> None:
    form = form_of(name)
    bars, _ = form
    notes = parts(form)["Bass"].notes
    assert all(28 <= n.pitch <= 55 for n in notes)
    assert all(n.onset % GRID == 0 for n in notes)  # every bar starts on a beat in 4/4 and 3/4
    per_bar = defaultdict(int)
    for note in notes:
        per_bar[max(i for i, bar in enumerate(bars) if bar.start <= note.onset)] += 1
    no_chord_bars = {i for i, bar in enumerate(bars) if to_chord(spans(form)[span_at(form, bar.start)][2]).is_no_chord}
    assert all(per_bar[i] == bar.numerator for i, bar in enumerate(bars) if i not in no_chord_bars)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bass_is_smooth_and_never_repeats_a_note(seed: int) -> None:
    pitches = [n.pitch for n in parts(blues(), seed=seed)["Bass"].notes]
    leaps = [abs(b - a) for a, b in zip(pitches, pitches[1:])]
    assert max(leaps) <= 12
    assert sum(leaps) / len(leaps) <= 4.5
    assert 0 not in leaps


@pytest.mark.parametrize("name", ["blues", "waltz"])
def test_bass_approaches_each_change_by_a_step(name: str) -> None:
    form = form_of(name)
    bass = {n.onset: n.pitch for n in parts(form)["Bass"].notes}
    checked = 0
    for (before_onset, before_end, before), (onset, _, symbol) in zip(spans(form), spans(form)[1:]):
        long_enough = before_end - before_onset >= 2 * GRID
        if long_enough and not to_chord(before).is_no_chord and not to_chord(symbol).is_no_chord:
            assert abs(bass[onset - GRID] - bass[onset]) in (1, 2), (before, symbol)
            checked += 1
    assert checked >= 5


def test_bass_is_detached_when_swung_and_legato_when_straight() -> None:
    form = blues()
    assert all(n.duration == 10 for n in parts(form, swing=True)["Bass"].notes)
    assert all(n.duration == GRID for n in parts(form, swing=False)["Bass"].notes)


def test_bass_walks_dotted_quarters_in_six_eight() -> None:
    bars, changes = progression_changes([["Dm7"], ["G7"], ["C6"]], "6/8", GRID)
    notes = band_parts(bars, changes, GRID)[1].notes
    assert [n.onset for n in notes] == [0, 18, 36, 54, 72, 90]
    assert [notes[i].pitch % 12 for i in (0, 2, 4)] == [2, 7, 0]


# ----------------------------------------------------------------------------------------------------- drums


def ride_by_bar(part: Part, bars: list[Bar]) -> list[list[tuple[int, int]]]:
    """(offset in the bar, velocity) of each ride note, bar by bar."""
    out: list[list[tuple[int, int]]] = [[] for _ in bars]
    for note in part.notes:
        if note.pitch == 51:
            index = max(i for i, bar in enumerate(bars) if bar.start <= note.onset)
            out[index].append((note.onset - bars[index].start, note.velocity))
    return out


@pytest.mark.parametrize(
    "name, swing, pattern, hihat",
    [
        ("blues", True, [0, 12, 20, 24, 36, 44], [12, 36]),
        ("blues", False, [0, 12, 18, 24, 36, 42], [12, 36]),
        ("waltz", True, [0, 12, 20, 24], [12, 24]),
    ],
)
def test_ride_pattern_and_hihat_on_the_backbeats(name: str, swing: bool, pattern: list[int], hihat: list[int]) -> None:
    form = form_of(name)
    bars, _ = form
    drums = parts(form, swing=swing)["Drums"]
    assert drums.channel == 9 and drums.program is None
    for bar, ride in zip(bars, ride_by_bar(drums, bars)):
        assert [offset for offset, _ in ride] == pattern
        velocity = dict(ride)
        assert velocity[12] > velocity[0]  # 2 is accented over 1
        bar_end = bar.start + bar.length(GRID)
        hits = sorted(n.onset - bar.start for n in drums.notes if n.pitch == 44 and bar.start <= n.onset < bar_end)
        assert hits == hihat
    if name == "blues":
        assert all(dict(ride)[36] > dict(ride)[24] for ride in ride_by_bar(drums, bars))


def test_ride_in_six_eight_swings_on_the_third_eighth() -> None:
    bars, changes = progression_changes([["Dm7"], ["G7"]], "6/8", GRID)
    drums = band_parts(bars, changes, GRID)[2]
    assert [[o for o, _ in ride] for ride in ride_by_bar(drums, bars)] == [[0, 18, 30]] * 2


# --------------------------------------------------------------------------------------------------- comping


@pytest.mark.parametrize("name", ["blues", "waltz"])
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_comping_voices_the_sounding_chord_or_anticipates_the_next(name: str, seed: int) -> None:
    form = form_of(name)
    chords = spans(form)
    anticipations = 0
    for onset, notes in by_onset(parts(form, seed=seed)["Comping"].notes).items():
        index = span_at(form, onset)
        pitches = sorted(n.pitch for n in notes)
        if pitches != voicing(chords[index][2]):
            index += 1  # an anticipation: an off-beat hit less than a beat before the next change
            anticipations += 1
            assert pitches == voicing(chords[index][2]) and 0 < chords[index][0] - onset < GRID
        assert {p % 12 for p in pitches} <= chord_scale(chords[index][2])
        assert {n.end for n in notes} == {notes[0].end} and notes[0].end <= chords[index][1]
    assert anticipations > 0 or name == "waltz"


@pytest.mark.parametrize("name", ["blues", "waltz"])
@pytest.mark.parametrize("seed", range(6))
def test_comping_hits_never_overlap_and_every_chord_is_voiced(name: str, seed: int) -> None:
    form = form_of(name)
    comping = parts(form, seed=seed)["Comping"].notes
    hits = by_onset(comping)
    onsets = sorted(hits)
    assert all(hits[a][0].end <= b for a, b in zip(onsets, onsets[1:]))
    for start, end, symbol in spans(form):
        if not to_chord(symbol).is_no_chord:  # a hit inside the chord, or an anticipation of it
            near = [sorted(n.pitch for n in hits[o]) for o in onsets if start - GRID < o < end]
            assert voicing(symbol) in near, (start, symbol)
    assert len({n.velocity for n in comping}) > 5


def test_no_chord_bars_are_silent_for_piano_and_bass_but_drums_keep_time() -> None:
    form = waltz()
    band = parts(form)
    (start, end, _), = [s for s in spans(form) if s[2] == "N.C."]
    for name in ("Comping", "Bass"):
        assert all(n.end <= start or n.onset >= end for n in band[name].notes), name
    assert end in {n.onset for n in band["Bass"].notes}  # the walk picks up again after the break
    ride = sorted(n.onset - start for n in band["Drums"].notes if n.pitch == 51 and start <= n.onset < end)
    assert ride == [0, 12, 20, 24]


# ------------------------------------------------------------------------------------------------------- MIDI


def test_midi_file_holds_conductor_and_band_tracks(tmp_path: Path) -> None:
    bars, changes = blues()
    solo = Solo(notes=[], bars=bars, grid=GRID, tempo=132.0, chords=changes, name="blues")
    path = tmp_path / "band.mid"
    band = band_parts(bars, changes, GRID)
    write_midi(path, solo, band)
    midi = mido.MidiFile(path)
    assert len(midi.tracks) == 4
    names = [next(m.name for m in track if m.type == "track_name") for track in midi.tracks[1:]]
    assert names == ["Comping", "Bass", "Drums"]
    for track, part in zip(midi.tracks[1:], band):
        ons = [m for m in track if m.type == "note_on" and m.velocity > 0]
        assert len(ons) == len(part.notes) and {m.channel for m in ons} == {part.channel}
    assert not [m for m in midi.tracks[3] if m.type == "program_change"]
    assert [m.program for m in midi.tracks[2] if m.type == "program_change"] == [32]
