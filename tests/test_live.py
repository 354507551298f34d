"""`jazz live`: offline sessions on a simulated clock, stopping, the command, ports and errors.

One small untrained chord-aware model serves the whole module (its sampler is compiled once); a fake
MIDI system stands in for python-rtmidi, so nothing here needs MIDI hardware or a MIDI system.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import mido
import numpy as np
import pytest

from jazz.cli import main
from jazz.live import ports as live_ports
from jazz.live.answer import Answerer
from jazz.live.clock import TICKS_PER_BEAT, FixedTempo, MidiClock, SimulatedTime
from jazz.live.drive import drive
from jazz.live.engine import ALL_NOTES_OFF, JAZZ_CHANNEL, Session
from jazz.live.offline import FilePlayer, daw_clock, read_performance, timed
from jazz.live.timeline import Timeline, Trading
from jazz.midi.write import write_midi
from jazz.model.bundle import load_bundle
from jazz.model.features import CONDITION_SIZE
from jazz.model.network import build_model
from jazz.model.sample import Sampler, sample_chunks
from jazz.model.tokens import Tokenizer
from jazz.model.train import publish_model
from jazz.music.notes import Bar, Note, Part, Solo
from jazz.music.tunes import get_tune, parse_progression, progression_changes
from jazz.settings import ModelConfig

TOK = Tokenizer()
BPM = 160.0
GRID = TOK.grid
BLUES = get_tune("blues-bb")
TOLERANCE_MS = 5.0


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("live_model")
    config = ModelConfig(TOK.size, embedding=8, hidden=16, layers=1, dropout=0.0, condition=CONDITION_SIZE,
                         first_pitch=TOK.first("pitch"))  # every path the bundled model has
    publish_model(build_model(config), out / "model.keras")
    (out / "tokenizer.json").write_text(TOK.to_json())
    (out / "config.json").write_text(json.dumps({"model": config.to_dict()}))
    return out


@pytest.fixture(scope="module")
def answerer(model_dir):
    bundle = load_bundle(model_dir)
    return Answerer(bundle, Sampler(bundle.model, bundle.tokenizer), sample_chunks)


@pytest.fixture
def shared_sampler(monkeypatch, answerer):
    """CLI runs reuse the module's compiled sampler (same model folder, same weights)."""
    monkeypatch.setattr("jazz.model.sample.Sampler", lambda model, tokenizer: answerer.sampler)


def blues() -> Timeline:
    bars, changes = progression_changes(parse_progression(BLUES.changes, BLUES.meter), BLUES.meter, GRID)
    return Timeline(tuple(bars), tuple(changes), GRID)


def call_notes(bars: range) -> list[Note]:
    """Eighth notes, a rest, and a long note from the "and" of 3 over each bar's last beat."""
    notes = []
    for bar in bars:
        start = bar * 4 * GRID
        for eighth, pitch in zip((0, 1, 2, 3, 5), (60, 62, 63, 65, 67)):
            length = GRID // 2 if eighth < 5 else GRID * 3 // 2
            notes.append(Note(pitch + bar % 3, start + eighth * GRID // 2, length, 90))
    return notes


@pytest.fixture(scope="module")
def player_file(tmp_path_factory):
    """A player who plays bars 1-4 and 9-12 (blocks 0 and 2 of a 4-bar trade) at 160 bpm."""
    path = tmp_path_factory.mktemp("player") / "player.mid"
    notes = call_notes(range(0, 4)) + call_notes(range(8, 12))
    bars = [Bar(i * 4 * GRID) for i in range(12)]
    write_midi(path, Solo(notes, bars, GRID, tempo=BPM), [Part("Player", notes)])
    return path


class FakeOut:
    """An output port that keeps every message with the (simulated or real) time it was sent."""

    def __init__(self, time_source=None):
        self.time_source = time_source
        self.sent: list[tuple[float, mido.Message]] = []

    def send(self, message: mido.Message) -> None:
        self.sent.append((self.time_source.now() if self.time_source else time.perf_counter(), message))

    def close(self) -> None:
        pass


def offline_session(answerer, player_file, trading=Trading(4), end_bar=None, **options):
    performance = read_performance(player_file)
    timeline = blues()
    last = timeline.bar_at(round(performance.last_onset * GRID))
    session = Session(timeline, answerer, trading, end_bar=end_bar or trading.end_bar(last), **options)
    session.prepare()
    clock, now = FixedTempo(BPM), SimulatedTime()
    clock.start(0.0)
    return session, now, clock, FilePlayer(timed(performance.events, BPM))


def sounding_after(sent: list[tuple[float, mido.Message]]) -> set[tuple[int, int]]:
    on = set()
    for _, m in sent:
        if m.type == "note_on" and m.velocity > 0:
            on.add((m.channel, m.note))
        elif m.type in ("note_on", "note_off"):
            on.discard((m.channel, m.note))
    return on


def notes_of(track: mido.MidiTrack, tpb: int) -> list[tuple[float, int]]:
    tick, out = 0, []
    for message in track:
        tick += message.time
        if message.type == "note_on" and message.velocity > 0:
            out.append((tick / tpb, message.note))
    return out


# -- timing ----------------------------------------------------------------------------------------


def test_answers_land_on_the_downbeat_and_every_note_within_5_ms(answerer, player_file):
    session, now, clock, player = offline_session(answerer, player_file)
    port = FakeOut(now)
    outcome = drive(session, now, clock, player, port)
    assert outcome.reason == "end" and session.end_bar == 16
    assert [a.block for a in session.answers] == [1, 3]
    for answer in session.answers:
        last_beat = session.beat_of(session.last_beat(4 * answer.block - 1))
        assert answer.started == pytest.approx(last_beat)  # sampling began as the call's last beat began
        assert answer.started < answer.ready < answer.downbeat  # and was done before the answer's downbeat
    jazz = [(t, m) for t, m in port.sent if m.type == "note_on" and m.channel == JAZZ_CHANNEL]
    assert jazz
    for answer in session.answers:
        downbeat_s = answer.downbeat * 60 / BPM
        first = min(t for t, _ in jazz if t >= downbeat_s - 0.001)
        assert abs(first - downbeat_s) * 1000 <= TOLERANCE_MS  # the answer comes in on the downbeat
        inside = [t * BPM / 60 for t, _ in jazz if 0 <= t - downbeat_s < 16 * 60 / BPM]
        assert len(inside) == answer.notes
    notes = [(t, m) for t, m in port.sent if m.type == "note_on" and m.velocity > 0]
    for sent, _ in notes:  # every note of jazz and the band on a grid step, give or take 5 ms
        steps = sent * BPM / 60 * GRID
        assert abs(steps - round(steps)) * 60 / BPM / GRID * 1000 <= TOLERANCE_MS
    assert len(outcome.late_ms) == len(notes) and max(abs(x) for x in outcome.late_ms) <= TOLERANCE_MS
    assert not sounding_after(port.sent)


def test_the_answer_continues_the_call_as_heard_up_to_its_last_beat(answerer, player_file, monkeypatch):
    heard = []
    steps = answerer.steps

    def spy(notes, window, bars, chords, seed, downbeat=True):
        heard.append((notes, window, bars))
        return steps(notes, window, bars, chords, seed, downbeat)

    monkeypatch.setattr(answerer, "steps", spy)
    session, now, clock, player = offline_session(answerer, player_file)
    drive(session, now, clock, player, FakeOut(now))
    notes, window, bars = heard[1]  # heard[0] is the warm-up
    assert [b.start for b in window] == [i * 48 for i in range(4)] and bars[0].start == 4 * 48
    cut = 3 * 48 + 3 * GRID  # the start of bar 4's last beat
    expected = [n for n in call_notes(range(4)) if n.onset < cut]
    assert [(n.pitch, n.onset) for n in notes] == [(n.pitch, n.onset) for n in expected]
    assert all(n.end <= cut for n in notes)  # the note sounding over the last beat is cut there
    assert notes[-1].end == cut


def test_solo_plays_every_block_continuing_itself(answerer, player_file):
    session, now, clock, player = offline_session(answerer, player_file, Trading(4, solo=True), end_bar=12)
    port = FakeOut(now)
    drive(session, now, clock, player, port)
    assert [a.block for a in session.answers] == [0, 1, 2]
    starts = sorted(t * BPM / 60 for t, m in port.sent if m.type == "note_on" and m.channel == JAZZ_CHANNEL)
    assert {int(beat // 16) for beat in starts} == {0, 1, 2}
    assert all(a.ready < a.downbeat for a in session.answers[1:])


# -- stopping --------------------------------------------------------------------------------------


class Interrupted(FilePlayer):
    """The player presses Ctrl-C at ``at`` seconds."""

    def __init__(self, events, at: float, port: FakeOut):
        super().__init__(events)
        self.at, self.port, self.sent_before = at, port, None

    def poll(self, now):
        if now >= self.at:
            self.sent_before = len(self.port.sent)
            raise KeyboardInterrupt
        return super().poll(now)


def test_ctrl_c_sends_note_offs_and_all_notes_off(answerer, player_file):
    session, now, clock, player = offline_session(answerer, player_file)
    port = FakeOut(now)
    ctrl_c = Interrupted(player.events, 16 * 60 / BPM + 0.001, port)  # as jazz's answer comes in
    outcome = drive(session, now, clock, ctrl_c, port)
    assert outcome.reason == "interrupted"
    before, after = port.sent[:ctrl_c.sent_before], [m for _, m in port.sent[ctrl_c.sent_before:]]
    sounding = sounding_after(before)
    assert sounding and any(channel == JAZZ_CHANNEL for channel, _ in sounding)
    assert {(m.channel, m.note) for m in after if m.type == "note_off"} == sounding
    used = {m.channel for _, m in before if hasattr(m, "channel")}
    assert {m.channel for m in after if m.type == "control_change" and m.control == ALL_NOTES_OFF} == used
    assert {JAZZ_CHANNEL, 1, 2, 9} <= used and not sounding_after(port.sent)


def test_a_clock_stop_silences_and_continue_picks_up(answerer, player_file):
    performance = read_performance(player_file)
    session = Session(blues(), answerer, Trading(4), end_bar=8)
    session.prepare()
    now, clock = SimulatedTime(), MidiClock(BPM)
    tick = 60 / BPM / TICKS_PER_BEAT
    daw = daw_clock(BPM, 6, 0.0)[:-1]  # six beats, then the DAW stops for a second and continues
    stop_at = daw[-1][0] + tick
    daw += [(stop_at, mido.Message("stop")), (stop_at + 1.0, mido.Message("continue"))]
    daw += [(stop_at + 1.0 + k * tick, mido.Message("clock")) for k in range(1, 27 * TICKS_PER_BEAT)]
    port = FakeOut(now)
    drive(session, now, clock, FilePlayer(daw + timed(performance.events, BPM)), port)
    at_stop = [m for t, m in port.sent if stop_at <= t < stop_at + 1.0]
    assert at_stop and all(m.type in ("note_off", "control_change") for m in at_stop)
    assert {m.channel for m in at_stop if m.type == "control_change"} >= {1, 2, 9}
    resumed = [t for t, m in port.sent if t > stop_at + 1.0 and m.type == "note_on"]
    assert resumed and session.done and session.answers[0].block == 1


def test_a_stop_at_the_end_of_the_form_ends_the_session(answerer, player_file):
    performance = read_performance(player_file)  # the player goes on into bars 9-12
    session = Session(blues(), answerer, Trading(4), end_bar=8)
    session.prepare()
    now, clock = SimulatedTime(), MidiClock(BPM)
    tick, ticks = 60 / BPM / TICKS_PER_BEAT, 8 * 4 * TICKS_PER_BEAT  # eight bars of ticks, none at bar 9
    daw = [(-tick / 2, mido.Message("start"))] + [(k * tick, mido.Message("clock")) for k in range(ticks)]
    daw += [(ticks * tick, mido.Message("stop"))]
    outcome = drive(session, now, clock, FilePlayer(daw + timed(performance.events, BPM)), FakeOut(now))
    assert outcome.reason == "end" and session.done


def test_a_start_in_mid_session_begins_a_new_take_in_step_with_the_clock(answerer):
    tick = 60 / BPM / TICKS_PER_BEAT
    first = daw_clock(BPM, 6, 0.0)[:-1]
    again = first[-1][0] + 5 * tick  # the DAW jumps back to the top without a stop
    daw = FilePlayer(first + daw_clock(BPM, 10, again + tick)[:-1])
    now, clock = SimulatedTime(), MidiClock(BPM)
    takes = []
    for _ in range(2):
        session = Session(blues(), answerer, Trading(4), end_bar=2)
        session.prepare()
        port = FakeOut(now)
        takes.append((session, drive(session, now, clock, daw, port), port))
    (_, first_take, _), (second, second_take, port) = takes
    assert first_take.reason == "restart" and second_take.reason == "end" and second.done
    downbeat = min(t for t, m in port.sent if m.type == "note_on")
    assert downbeat == pytest.approx(again + tick, abs=0.001)  # bar 1 again, on the first tick after start
    assert max(abs(x) for x in second_take.late_ms) <= TOLERANCE_MS


# -- the command -----------------------------------------------------------------------------------


def test_offline_recording_has_player_jazz_and_band_with_chord_markers(tmp_path, model_dir, player_file,
                                                                       shared_sampler, capsys):
    out = tmp_path / "session.mid"
    code = main(["live", "--model", str(model_dir), "--input", str(player_file), "--record", str(out),
                 "--tempo", "160"])
    assert code == 0
    midi = mido.MidiFile(out)
    names = [t.name for t in midi.tracks]
    assert names[1:] == ["Player", "jazz", "Comping", "Bass", "Drums"]
    markers = [m.text for m in midi.tracks[0] if m.type == "marker"]
    assert markers[:3] == ["Bb7", "Eb7", "Bb7"] and len(markers) > 8
    tpb = midi.ticks_per_beat
    player = notes_of(midi.tracks[1], tpb)
    assert player == [(n.onset / GRID, n.pitch) for n in call_notes(range(4)) + call_notes(range(8, 12))]
    jazz = notes_of(midi.tracks[2], tpb)
    assert {int(beat // 16) for beat, _ in jazz} == {1, 3}  # jazz answers blocks 2 and 4 only
    for downbeat in (16, 48):  # the answer comes in on its downbeat, as played (a few hundredths of a beat off)
        assert min(b for b, _ in jazz if b >= downbeat - 0.25) == pytest.approx(downbeat, abs=0.25)
    assert all(notes_of(t, tpb) for t in midi.tracks[3:])
    report = capsys.readouterr().out
    assert "2 answers" in report and "end after 16 bars" in report


@pytest.mark.parametrize("tempo, feel", [(280, "swing"), (120, "swing"), (160, "latin"), (160, "none")])
def test_jazz_and_the_band_play_with_the_feel_of_the_tempo(tmp_path, model_dir, player_file, shared_sampler, tempo,
                                                           feel):
    """The band's "ands" fall where `jazz generate` plays them at this tempo and feel (not the ride's 2:1 at every
    tempo); jazz's notes are placed against the beat, and with --feel none everything stays on the grid."""
    from jazz.music.feel import band_ratio

    out = tmp_path / f"{tempo}{feel}.mid"
    assert main(["live", "--model", str(model_dir), "--input", str(player_file), "--record", str(out),
                 "--tempo", str(tempo), "--feel", feel]) == 0
    midi = mido.MidiFile(out)
    tpb = midi.ticks_per_beat
    drums = [beat % 1 for beat, _ in notes_of(midi.tracks[5], tpb)]
    ands = [x for x in drums if 0.3 < x < 0.8]
    assert len(ands) > 10
    expected = 2 / 3 if feel == "none" else band_ratio(tempo, feel) / (1 + band_ratio(tempo, feel))
    assert sorted(ands)[len(ands) // 2] == pytest.approx(expected, abs=0.01)
    jazz = [beat * GRID for beat, _ in notes_of(midi.tracks[2], tpb)]
    off_grid = [abs(step - round(step)) > 0.05 for step in jazz]
    assert jazz and (not any(off_grid) if feel == "none" else sum(off_grid) > len(jazz) / 2)
    from jazz.measure.swing import file_ratios
    from jazz.midi.read import read_midi

    if feel != "none":  # (with none the ride is written swung, at 2/3 of the beat: it has no straight eighths)
        ratios = file_ratios(out, "Drums")  # the recording carries the grid it was played from, as a generated file
        assert len(ratios) > 10 and np.median(ratios) == pytest.approx(expected / (1 - expected), abs=0.03)
    answer, _ = read_midi(out, track="jazz")
    assert len(answer.notes) == len(jazz) and bool(answer.played) == (feel != "none")


def test_live_feel_none_and_an_unknown_feel(tmp_path, model_dir, player_file, shared_sampler, capsys):
    assert main(["live", "--model", str(model_dir), "--input", str(player_file), "--feel", "bossa"]) == 2
    assert "ballad, none (on the grid))" in capsys.readouterr().err


def test_offline_clock_and_no_band(tmp_path, model_dir, player_file, shared_sampler):
    out = tmp_path / "solo.mid"
    assert main(["live", "--model", str(model_dir), "--input", str(player_file), "--record", str(out),
                 "--clock", "--no-band", "--solo", "--choruses", "1"]) == 0
    midi = mido.MidiFile(out)
    assert [len(notes_of(t, midi.ticks_per_beat)) > 0 for t in midi.tracks[1:]] == [True, True, False, False, False]
    beats = [b for b, _ in notes_of(midi.tracks[2], midi.ticks_per_beat)]
    assert {int(b // 16) for b in beats} == {0, 1, 2}  # every block of the 12 bars


def test_a_chord_chart_gives_the_form_and_the_title(tmp_path, model_dir, player_file, shared_sampler):
    chart = Path(__file__).parent / "charts" / "AutumnLeaves.txt"
    out = tmp_path / "autumn.mid"
    assert main(["live", "--model", str(model_dir), "--input", str(player_file), "--record", str(out),
                 "--changes", str(chart), "--no-band"]) == 0
    conductor = mido.MidiFile(out).tracks[0]
    assert conductor.name == "jazz live: Autumn Leaves"
    assert [m.text for m in conductor if m.type == "marker"][:4] == ["Cm7", "F7", "Bbmaj7", "Ebmaj7"]


def test_wjazzd_solo_as_the_player(tmp_path, model_dir, wjazzd_midi, shared_sampler):
    solo = sorted(wjazzd_midi.glob("*.mid"))[0]
    out = tmp_path / "wjazzd.mid"
    assert main(["live", "--model", str(model_dir), "--input", str(solo), "--record", str(out),
                 "--choruses", "2"]) == 0
    midi = mido.MidiFile(out)
    assert [t.name for t in midi.tracks[1:3]] == ["Player", "jazz"]
    assert notes_of(midi.tracks[1], midi.ticks_per_beat) and notes_of(midi.tracks[2], midi.ticks_per_beat)


# -- ports and errors ------------------------------------------------------------------------------


class ScriptedInput:
    """An input port that plays ``script`` ((delay s, message) pairs) in real time from when it opens."""

    def __init__(self, script):
        at, self.events = time.perf_counter(), []
        for delay, message in script:
            at += delay
            self.events.append((at, message))

    def poll(self, now):
        due = [e for e in self.events if e[0] <= time.perf_counter()]
        self.events = self.events[len(due):]
        return due

    def next_time(self):
        return None

    def close(self):
        pass


class FakeSystem:
    """jazz.live.ports.MidiSystem with ports that exist only here; the input plays ``script`` in real time."""

    api = "fake"

    def __init__(self, inputs=("Keys",), outputs=("Synth",), script=()):
        self.inputs, self.outputs, self.script = list(inputs), list(outputs), script
        self.out = FakeOut()

    def names(self):
        return list(self.inputs), self.output_names()

    def output_names(self):
        return list(self.outputs)

    def open_output(self, name, virtual=False):
        return self.out

    def open_input(self, name, time_source, virtual=False):
        return ScriptedInput(self.script)

    def open_loopback(self, time_source):
        return None


def one_sentence_exit_2(capsys, argv, *needles):
    assert main(argv) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("jazz live:")]
    assert len(err) == 1
    for needle in needles:
        assert needle in err[0]


def test_no_midi_backend_is_one_sentence(monkeypatch, capsys):
    monkeypatch.setitem(__import__("sys").modules, "rtmidi", None)
    one_sentence_exit_2(capsys, ["live", "--list-ports"], "pip install -e '.[live]'")


def test_list_ports_of_each_api_and_a_missing_port(monkeypatch, capsys):
    monkeypatch.setattr(live_ports, "systems", lambda: [("jack", ["Keys 1", "Keys 2"], ["Synth"]), ("alsa", None, None)])
    assert main(["live", "--list-ports"]) == 0
    assert capsys.readouterr().out.split() == ["jack:", "inputs:", "Keys", "1", "Keys", "2", "outputs:", "Synth",
                                               "alsa:", "not", "available", "(no", "server", "or", "driver)"]
    monkeypatch.setattr(live_ports, "system", lambda api: FakeSystem(["Keys 1", "Keys 2"], ["Synth"]))
    one_sentence_exit_2(capsys, ["live", "--in", "Piano"], "'Piano' matches none", "'Keys 1'")
    one_sentence_exit_2(capsys, ["live", "--in", "keys"], "matches several")
    monkeypatch.setattr(live_ports, "system", lambda api: FakeSystem([], []))
    one_sentence_exit_2(capsys, ["live"], "no MIDI output port")


def test_a_live_bad_clock_ends_in_silence_and_one_sentence(monkeypatch, capsys, model_dir, shared_sampler):
    steady = [(60 / (120 * TICKS_PER_BEAT), mido.Message("clock"))] * 2 * TICKS_PER_BEAT  # two beats at 120
    script = [(0.05, mido.Message("start"))] + steady + [(0.001, mido.Message("clock"))] * 2500
    fake = FakeSystem(script=script)
    monkeypatch.setattr(live_ports, "system", lambda api: fake)
    one_sentence_exit_2(capsys, ["live", "--model", str(model_dir), "--clock", "--in", "Keys", "--out", "Synth"],
                        "beats per minute")
    sent = [m for _, m in fake.out.sent]
    assert sent and sent[-1].type == "control_change" and sent[-1].control == ALL_NOTES_OFF


class Unplugged(FakeSystem):
    """The synth disappears once 30 messages have gone to it."""

    def output_names(self):
        return [] if len(self.out.sent) >= 30 else list(self.outputs)


def test_a_lost_port_ends_in_silence_and_one_sentence(monkeypatch, capsys, model_dir, shared_sampler):
    fake = Unplugged()
    monkeypatch.setattr(live_ports, "system", lambda api: fake)
    monkeypatch.setattr(live_ports, "WATCH_EVERY_S", 0.0)
    monkeypatch.setattr(live_ports, "WATCH_ROOM_S", 0.0)
    one_sentence_exit_2(capsys, ["live", "--model", str(model_dir), "--tempo", "400"], "lost the MIDI port 'Synth'")
    sent = [m for _, m in fake.out.sent]
    assert any(m.type == "note_on" for m in sent)  # the count-in and the band had begun
    assert not sounding_after(fake.out.sent)
    assert {m.channel for m in sent if m.type == "control_change" and m.control == ALL_NOTES_OFF} >= {JAZZ_CHANNEL, 9}


def test_bench_reports_the_live_answer_time(model_dir, shared_sampler):
    from jazz.measure.bench import bench_live

    live = bench_live(load_bundle(model_dir), quick=True)
    assert 0 < live["live_answer_cpu_ms"] and 0 < live["live_answer_ms"] < 5000
