"""MIDI write → read is lossless for any quantized monophonic solo: everything else builds on this pair."""

from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from jazz.midi.read import read_midi
from jazz.midi.write import write_midi
from jazz.music.notes import DEFAULT_GRID, Bar, ChordChange, Note, Solo, duration_values

METERS = [(4, 4), (3, 4), (5, 4), (6, 8), (2, 2)]
SYMBOLS = ["Dm7", "G7", "Cmaj7", "F#m7b5", "B7(b9)", "Ebmaj7(#11)", "Ab7", "N.C."]


@st.composite
def solos(draw) -> Solo:
    """A solo of 2-10 bars whose every bar has a note (the reader drops empty bars at the ends)."""
    numerator, denominator = draw(st.sampled_from(METERS))
    length = Bar(0, numerator, denominator).length(DEFAULT_GRID)
    count = draw(st.integers(2, 10))
    bars = [Bar(i * length, numerator, denominator) for i in range(count)]
    notes, cursor = [], 0
    for bar in bars:
        cursor = max(cursor, bar.start)
        for _ in range(draw(st.integers(1, 4))):
            end = bar.start + length
            if cursor >= end:
                break
            onset = draw(st.integers(cursor, end - 1))
            fits = [d for d in duration_values(DEFAULT_GRID) if onset + d <= count * length]
            duration = draw(st.sampled_from(fits))
            notes.append(Note(draw(st.integers(36, 96)), onset, duration, draw(st.integers(1, 127))))
            cursor = onset + duration
    changes = sorted({draw(st.integers(0, count * length - 1)) for _ in range(draw(st.integers(1, 4)))} | {0})
    chords = [ChordChange(step, draw(st.sampled_from(SYMBOLS))) for step in changes]
    chords = [c for i, c in enumerate(chords) if i == 0 or c.symbol != chords[i - 1].symbol]
    tempo = draw(st.integers(40, 320))
    return Solo(notes=notes, bars=bars, tempo=float(tempo), chords=chords, name="round_trip")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(solo=solos())
def test_write_then_read_gives_the_same_solo(solo, tmp_path):
    assume(len(solo.notes) >= 8)  # the reader needs eight notes to call a part a solo
    path = tmp_path / "round_trip.mid"
    write_midi(path, solo)
    back, track = read_midi(path)
    assert track.endswith("Solo")
    assert back.notes == solo.notes
    assert back.bars == solo.bars
    assert back.chords == solo.chords
    assert abs(back.tempo - solo.tempo) < 0.01
