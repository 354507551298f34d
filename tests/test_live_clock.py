"""`jazz live`'s sense of time without a model: the MIDI clock follower and the form repeated in blocks."""

from __future__ import annotations

import mido
import pytest

from jazz.files import UsageError
from jazz.live.clock import TICKS_PER_BEAT, MidiClock
from jazz.live.timeline import Timeline, Trading
from jazz.music.notes import ChordChange
from jazz.music.tunes import get_tune, parse_progression, progression_changes

GRID = 12


def blues() -> Timeline:
    tune = get_tune("blues-bb")
    bars, changes = progression_changes(parse_progression(tune.changes, tune.meter), tune.meter, GRID)
    return Timeline(tuple(bars), tuple(changes), GRID)


# -- the MIDI clock --------------------------------------------------------------------------------


def test_midi_clock_follows_ticks_tempo_start_stop_and_continue():
    clock = MidiClock()
    tick = 60 / (150 * TICKS_PER_BEAT)
    assert clock.feed(mido.Message("start"), 0.0) == "start" and clock.beat(0.0) is None
    for k in range(4 * TICKS_PER_BEAT):
        clock.feed(mido.Message("clock"), 0.001 + k * tick + (0.0004 if k % 2 else -0.0004))  # jitter
    assert clock.bpm == pytest.approx(150, abs=0.5)
    last = 0.001 + (4 * TICKS_PER_BEAT - 1) * tick
    assert clock.beat(last) == pytest.approx(4 - 1 / TICKS_PER_BEAT, abs=1e-3)
    assert clock.beat(last + tick / 2) == pytest.approx(4 - 0.5 / TICKS_PER_BEAT, abs=0.01)
    assert clock.beat(last + 10) < 4  # never more than a tick ahead of the last tick heard
    assert clock.seconds(4.0) == pytest.approx(last + tick, abs=1e-3)
    assert clock.feed(mido.Message("stop"), last + 0.01) == "stop" and not clock.running
    clock.feed(mido.Message("clock"), last + 0.02)  # DAWs keep ticking while stopped: the position stays
    assert clock.beat(last + 0.5) == pytest.approx(4 - 1 / TICKS_PER_BEAT)
    assert clock.feed(mido.Message("continue"), last + 1.0) == "continue"
    clock.feed(mido.Message("clock"), last + 1.0 + tick)
    assert clock.beat(last + 1.0 + tick) == pytest.approx(4.0)
    clock.feed(mido.Message("songpos", pos=16), last + 1.1)  # four beats of 16ths
    clock.feed(mido.Message("clock"), last + 1.1 + tick)
    assert clock.beat(last + 1.1 + tick) == pytest.approx(4.0)
    clock.feed(mido.Message("start"), last + 2.0)
    clock.feed(mido.Message("clock"), last + 2.0 + tick)
    assert clock.beat(last + 2.0 + tick) == 0.0


def test_a_bad_clock_is_refused():
    fast = MidiClock()
    fast.feed(mido.Message("start"), 0.0)
    for k in range(1000):
        fast.feed(mido.Message("clock"), k * 0.001)  # 2500 bpm, for a second: a burst of late ticks passes
    fast.check(1.0)
    for k in range(1000, 2200):
        fast.feed(mido.Message("clock"), k * 0.001)  # for over two: that is not a burst
    with pytest.raises(UsageError, match="2500 beats per minute"):
        fast.check(2.2)
    silent = MidiClock()
    silent.feed(mido.Message("start"), 0.0)
    silent.check(1.0)
    with pytest.raises(UsageError, match="stopped ticking"):
        silent.check(2.5)


# -- the form --------------------------------------------------------------------------------------


def test_timeline_repeats_the_form_and_its_chords():
    timeline = blues()
    assert timeline.bar(12).start == timeline.chorus_steps == 12 * 48
    assert timeline.bar_at(12 * 48 + 47) == 12 and timeline.bar_at(-5) == 0
    across = timeline.chords_between(10 * 48, 14 * 48)  # bars 11-14: the turnaround into chorus 2
    assert across[0].onset == 10 * 48 and across[-1].onset < 14 * 48
    assert ChordChange(12 * 48, blues().chords[0].symbol) in across
    assert Trading(4).end_bar(11) == 16 and Trading(4).end_bar(5) == 8 and Trading(4, solo=True).end_bar(5) == 8
