"""`jazz live`'s timing parts without a MIDI system or a model: the clock through late, bunched ticks at
40-400 bpm, the transport, stamping from rtmidi's delta times, the sender thread and the lateness match."""

from __future__ import annotations

import math
import time

import mido
import pytest

from jazz.live.clock import TICKS_PER_BEAT, MidiClock, RealTime
from jazz.live.ports import StampedInput
from jazz.live.sender import Sender, Sent, lateness

PERIOD = 256 / 48000  # a JACK period: the server hands MIDI over once per period


def jack_like(seconds: float) -> float:
    """When a message sent at ``seconds`` is read: at the start of the next period."""
    return math.ceil(seconds / PERIOD) * PERIOD


@pytest.mark.parametrize("bpm", [40, 120, 300, 400])
def test_the_clock_is_a_line_through_late_bunched_ticks(bpm):
    clock, tick = MidiClock(), 60.0 / (bpm * TICKS_PER_BEAT)
    origin = 0.0123
    clock.feed(mido.Message("start"), origin - tick / 2)
    count = 8 * TICKS_PER_BEAT
    for k in range(count):
        clock.feed(mido.Message("clock"), jack_like(origin + k * tick))
    assert clock.bpm == pytest.approx(bpm, rel=0.005)
    for beat in (8.0, 8.5):  # what is planned ahead of the last tick lands within a millisecond
        assert clock.seconds(beat) == pytest.approx(origin + beat * 60.0 / bpm, abs=0.001)
    last = jack_like(origin + (count - 1) * tick)
    assert clock.beat(last) == pytest.approx((count - 1) / TICKS_PER_BEAT, abs=0.03 * bpm / 60)


@pytest.mark.parametrize("bpm", [40, 400])
def test_start_stop_continue_and_song_position_at_the_tempo_limits(bpm):
    clock, tick = MidiClock(), 60.0 / (bpm * TICKS_PER_BEAT)
    assert clock.feed(mido.Message("start"), 0.0) == "start"
    assert clock.heard(0.0) == 0.0  # a note with Start, before the first tick, is on beat 0
    at = 0.001
    for _ in range(2 * TICKS_PER_BEAT):
        clock.feed(mido.Message("clock"), at)
        at += tick
    assert clock.feed(mido.Message("stop"), at) == "stop"
    assert clock.reached() == 2.0 and clock.beat(at + 5) == pytest.approx(2 - 1 / TICKS_PER_BEAT)
    clock.feed(mido.Message("songpos", pos=4 * 8), at + 1)  # bar 3: eight beats of 16ths
    assert clock.feed(mido.Message("continue"), at + 2) == "continue"
    clock.feed(mido.Message("clock"), at + 2 + tick)
    assert clock.beat(at + 2 + tick) == 8.0
    assert clock.seconds(9.0) == pytest.approx(at + 2 + tick + 60.0 / bpm, rel=0.01)


def test_a_message_before_start_has_no_beat():
    clock = MidiClock()
    assert clock.heard(0.0) is None


class QueuedPort:
    """rtmidi's MidiIn in queue mode: (bytes, delta seconds) pairs, all waiting when first read."""

    def __init__(self, events):
        self.events = list(events)

    def get_message(self):
        return self.events.pop(0) if self.events else None

    def close_port(self):
        pass


class FrozenTime:
    def __init__(self, now: float):
        self.seconds = now

    def now(self) -> float:
        return self.seconds


def test_input_is_stamped_from_rtmidi_deltas_however_late_it_is_read():
    ticks = [([0xF8], 0.0)] + [([0xF8], 0.02)] * 9 + [([0x90, 60, 90], 0.005)]
    port = StampedInput(QueuedPort(ticks), FrozenTime(100.0))  # read long after, all at once
    deadline = time.monotonic() + 2
    stamped = []
    while len(stamped) < 11 and time.monotonic() < deadline:
        time.sleep(0.005)
        stamped += port.poll(0.0)
    port.close()
    times = [at for at, _ in stamped]
    assert times[-1] == pytest.approx(100.0) and times[-2] == pytest.approx(99.995)
    assert [round(b - a, 6) for a, b in zip(times, times[1:-1])] == [0.02] * 9
    assert stamped[-1][1].type == "note_on"


class Recorder:
    def __init__(self):
        self.sent = []

    def send(self, message):
        self.sent.append((time.perf_counter(), message))


def test_the_sender_sends_at_the_time_never_early_and_cancel_keeps_note_offs():
    out, now = Recorder(), RealTime()
    sender = Sender(out, now)
    start = now.now() + 0.05
    for k in range(4):
        sender.at(start + 0.02 * k, mido.Message("note_on", note=60 + k, velocity=90))
    sender.at(start + 5.0, mido.Message("note_on", note=70, velocity=90))
    sender.at(start + 5.0, mido.Message("note_off", note=60))
    while len(out.sent) < 4 and now.now() < start + 3:
        time.sleep(0.01)
    sender.cancel()
    sender.close()
    notes = [m.note for _, m in out.sent]
    assert notes == [60, 61, 62, 63, 60] and out.sent[-1][1].type == "note_off"  # the far note-on dropped
    for (at, _), (due, sent, _, _) in zip(out.sent, sender.sent.notes):
        assert at >= due - 0.0005 and sent >= due - 0.0005


def test_lateness_matches_what_a_loopback_port_received():
    sent = Sent([(1.0, 1.001, 3, 60), (1.5, 1.5005, 3, 62), (2.0, 2.001, 3, 60)])
    heard = [(1.004, mido.Message("note_on", channel=3, note=60, velocity=1)),
             (1.503, mido.Message("note_on", channel=3, note=62, velocity=1)),
             (2.0, mido.Message("note_off", channel=3, note=60)),
             (2.006, mido.Message("note_on", channel=3, note=60, velocity=1))]
    assert lateness(sent, heard) == pytest.approx([4.0, 3.0, 6.0])
    assert lateness(sent, None) == pytest.approx([1.0, 0.5, 1.0])  # as sent, without a loopback port
    assert lateness(sent, []) == []
