"""A live session as one step function, whatever drives it (jazz.live.drive).

The session holds the form, who plays each block of bars, and a queue of MIDI events in beats. A driver
hands it what the player plays (``hear``) and, again and again, the current beat (``step``): the session
sends every event that is due and then does any work that has fallen due, which is of two kinds.

* **Answers.** Jazz's block is sampled from the start of the last beat of the block before it, from
  what was heard up to then (the player's call, or in ``--solo`` jazz's own previous block), so the
  whole answer is queued while that beat still sounds and its first note lands on the downbeat. The
  sampler runs a few milliseconds per step, and events that fall due in between go out in between.
* **The band.** Each chorus of comping, bass and drums is made at the downbeat of the chorus before.

Given the session's ``tempo``, jazz's answers and the band are played as `jazz generate` plays them: jazz's notes
placed against the beat as the recordings place them (jazz.music.performance, at ``feel``), the band's eighths at the
ratio of that tempo and feel (jazz.music.feel.band_ratio). Feel ``none``, or no tempo, keeps everything on the grid.

``silence`` ends every sounding note and sends All Notes Off on every channel used.
"""

from __future__ import annotations

import heapq
import math
import time
from dataclasses import dataclass, field
from typing import Callable, Generator, Protocol

import mido

from jazz.live.record import JAZZ, PLAYER
from jazz.live.timeline import Timeline, Trading
from jazz.midi.read import monophonic
from jazz.midi.write import TICKS_PER_BEAT, played_ticks
from jazz.music.band import DRUM_CHANNEL, HIHAT_PEDAL, band_parts, bar_beats
from jazz.music.feel import band_ratio
from jazz.music.notes import TENOR_SAX, Bar, ChordChange, Note, Part, Solo
from jazz.music.performance import timing_shifts

JAZZ_CHANNEL = 3  # channel 4: leaves channel 1 to the player's keyboard; the band has 2, 3 and 10
ALL_NOTES_OFF = 123
EPSILON = 1e-6  # beats: float slack when comparing due times

Send = Callable[[float, mido.Message], None]  # (due beat, message), as jazz.live.drive sends them


class Answers(Protocol):
    """What the session needs from the model's side (jazz.live.answer.Answerer)."""

    def check_meters(self, bars: list[Bar]) -> None: ...

    def warm_up(self, window: list[Bar], bars: list[Bar], chords: list[ChordChange]) -> None: ...

    def steps(self, heard: list[Note], window: list[Bar], bars: list[Bar], chords: list[ChordChange], seed: int,
              downbeat: bool) -> Generator: ...


@dataclass
class AnswerLog:
    """When an answer began and finished sampling (the beats of those steps; -inf before the session
    started), the downbeat it starts on, and its compute time."""

    block: int
    started: float
    ready: float
    downbeat: float
    ms: float = 0.0
    notes: int = 0


@dataclass
class _Thinking:
    steps: Generator  # jazz.live.answer.Answerer.steps
    log: AnswerLog
    bars: list[Bar] = field(default_factory=list)  # the bars the answer fills


@dataclass
class _Heard:
    pitch: int
    start: float  # beats
    end: float | None
    velocity: int


@dataclass
class Session:
    timeline: Timeline
    answerer: Answers
    trading: Trading = field(default_factory=Trading)
    band: bool = True
    seed: int = 0
    program: int = TENOR_SAX
    end_bar: int | None = None  # None: until stopped
    count_in: bool = False
    tempo: float | None = None  # bpm: jazz and the band play with the feel of this tempo (None: on the grid)
    feel: str = "swing"  # as `jazz generate --feel`; "none": on the grid

    def __post_init__(self) -> None:
        self.queue: list[tuple[float, int, int, str, mido.Message]] = []
        self.sequence = 0
        self.now = -math.inf
        self.sounding: set[tuple[int, int]] = set()
        self.channels: dict[int, str] = {}
        self.log: list[tuple[float, str, mido.Message]] = []  # everything heard and sent, for the recording
        self.shift_ticks: dict[int, int] = {}  # id of a note-on played off the grid -> its shift (TICKS_PER_BEAT)
        self.heard: list[_Heard] = []
        self.open: dict[tuple[int, int], _Heard] = {}
        self.played: dict[int, list[Note]] = {}  # jazz's notes per block
        self.answers: list[AnswerLog] = []
        self.next_block = 0 if self.trading.solo else 1
        self.next_chorus = 0
        self.thinking: _Thinking | None = None
        self.answerer.check_meters(self.timeline.span(0, len(self.timeline.bars)))

    # -- time ------------------------------------------------------------------------------------
    def beat_of(self, step: int) -> float:
        return step / self.timeline.grid

    def last_beat(self, index: int) -> int:
        """The step where the last beat of bar ``index`` begins (a dotted quarter in 6/8, as the band counts)."""
        return bar_beats(self.timeline.bar(index), self.timeline.grid)[-1].onset

    @property
    def end_beat(self) -> float | None:
        return None if self.end_bar is None else self.beat_of(self.timeline.bar(self.end_bar).start)

    @property
    def done(self) -> bool:
        return self.end_beat is not None and self.now >= self.end_beat - EPSILON

    def next_due(self) -> float | None:
        """The beat of the next event or piece of work (or the end)."""
        if self.thinking is not None:
            return self.now
        times = [self.queue[0][0]] if self.queue else []
        times += [t for t in (self._answer_due(), self._band_due(), self.end_beat) if t is not None]
        return min(times) if times else None

    # -- the step function -----------------------------------------------------------------------
    def prepare(self) -> None:
        """Everything due before the first beat: programs, the count-in, the first band and solo bars."""
        first = -self._count_in_beats()
        self._schedule(first, JAZZ, [mido.Message("program_change", channel=JAZZ_CHANNEL, program=self.program)])
        if self.count_in:
            self._schedule_count_in(first)
        self.answerer.warm_up(*self._warm_up_window())
        self._work(0.0)
        while self.thinking is not None:
            self._think()

    def step(self, beat: float, send: Send, ahead: float | None = None) -> None:
        """Send what is due by ``ahead`` (default ``beat``; a live driver sends ahead of time, each message
        with its due beat), then do the work that is due at ``beat``."""
        self.now = beat
        ahead = beat if ahead is None else ahead
        while self.queue and self.queue[0][0] <= ahead + EPSILON:
            due, _, _, track, message = heapq.heappop(self.queue)
            self._dispatch(due, track, message, send)
        self._work(beat)

    def _work(self, beat: float) -> None:
        """Make the band that is due, then take one step of the answer under way (or start the one due)."""
        while (due := self._band_due()) is not None and due <= beat + EPSILON:
            self._make_band(self.next_chorus)
        if self.thinking is not None:
            self._think()
        elif (due := self._answer_due()) is not None and due <= beat + EPSILON:
            self._start_answer(self.next_block)

    def hear(self, beat: float, message: mido.Message) -> None:
        """A message from the player at ``beat``: kept for the recording, and notes for the next answer."""
        if message.is_realtime or message.type in ("sysex", "songpos", "song_select"):
            return
        self.log.append((beat, PLAYER, message))
        key = (getattr(message, "channel", 0), getattr(message, "note", 0))
        if message.type == "note_on" and message.velocity > 0:
            self._close(key, beat)
            self.open[key] = _Heard(message.note, beat, None, message.velocity)
            self.heard.append(self.open[key])
        elif message.type in ("note_on", "note_off"):
            self._close(key, beat)

    def silence(self) -> list[mido.Message]:
        """Note-offs for every sounding note and All Notes Off on every channel used (logged, not queued)."""
        messages = [mido.Message("note_off", channel=c, note=n, velocity=0) for c, n in sorted(self.sounding)]
        messages += [mido.Message("control_change", channel=c, control=ALL_NOTES_OFF, value=0)
                     for c in sorted(self.channels)]
        beat = max(self.now, 0.0)
        self.log += [(beat, self.channels.get(m.channel, JAZZ), m) for m in messages]
        self.sounding.clear()
        return messages

    # -- events ----------------------------------------------------------------------------------
    def _schedule(self, beat: float, track: str, messages: list[mido.Message]) -> None:
        for message in messages:
            order = 0 if message.type == "note_off" else 2 if message.type == "note_on" else 1
            self.sequence += 1
            heapq.heappush(self.queue, (beat, order, self.sequence, track, message))

    def _schedule_notes(self, track: str, channel: int, notes: list[Note], shifts: list[float] | None = None) -> None:
        """Queue the notes, each played ``shifts`` steps off its grid onset (as a MIDI file plays them:
        jazz.midi.write.played_ticks, so a shifted line stays monophonic)."""
        scale = TICKS_PER_BEAT // self.timeline.grid
        played = played_ticks(Part(track, notes, channel, shifts=list(shifts or [])), scale)
        for note, (on, off, shift) in zip(notes, played):
            start = mido.Message("note_on", channel=channel, note=note.pitch, velocity=note.velocity)
            if shifts:
                self.shift_ticks[id(start)] = shift  # the recording tells jazz's reader the grid (jazz.midi.timing)
            self._schedule(on / TICKS_PER_BEAT, track, [start])
            self._schedule(off / TICKS_PER_BEAT, track,
                           [mido.Message("note_off", channel=channel, note=note.pitch, velocity=0)])

    @property
    def played_feel(self) -> bool:
        """Whether jazz and the band play with a feel (a tempo is given and the feel is not ``none``)."""
        return self.tempo is not None and self.feel != "none"

    def _dispatch(self, due: float, track: str, message: mido.Message, send: Send) -> None:
        if hasattr(message, "channel"):
            self.channels.setdefault(message.channel, track)
        if message.type == "note_on" and message.velocity > 0:
            self.sounding.add((message.channel, message.note))
        elif message.type in ("note_on", "note_off"):
            self.sounding.discard((message.channel, message.note))
        if due >= 0 or message.type == "program_change":
            self.log.append((max(due, 0.0), track, message))
        send(due, message)

    def _count_in_beats(self) -> float:
        return self.beat_of(self.timeline.bar(0).length(self.timeline.grid)) if self.count_in else 0.0

    def _schedule_count_in(self, first: float) -> None:
        """A click a beat on the hi-hat pedal before bar 1 (not recorded: it comes before beat 0)."""
        for beat in range(int(-first)):
            self._schedule(first + beat, "Drums", [
                mido.Message("note_on", channel=DRUM_CHANNEL, note=HIHAT_PEDAL, velocity=100)])
            self._schedule(first + beat + 0.5, "Drums", [
                mido.Message("note_off", channel=DRUM_CHANNEL, note=HIHAT_PEDAL, velocity=0)])

    # -- the band ------------------------------------------------------------------------------------
    def _band_due(self) -> float | None:
        chorus = self.next_chorus
        size = len(self.timeline.bars)
        if not self.band or (self.end_bar is not None and chorus * size >= self.end_bar):
            return None
        return self.beat_of(self.timeline.bar(max(chorus - 1, 0) * size).start)

    def _make_band(self, chorus: int) -> None:
        size = len(self.timeline.bars)
        count = size if self.end_bar is None else min(size, self.end_bar - chorus * size)
        bars = self.timeline.span(chorus * size, count)
        end = self.timeline.end(chorus * size + count - 1)
        chords = self.timeline.chords_between(bars[0].start, end)
        ratio = band_ratio(self.tempo, self.feel) if self.played_feel else None
        for part in band_parts(bars, chords, self.timeline.grid, seed=self.seed * 1000 + chorus, ratio=ratio):
            if part.program is not None:
                self._schedule(self.beat_of(bars[0].start), part.name, [
                    mido.Message("program_change", channel=part.channel, program=part.program)])
            self._schedule_notes(part.name, part.channel, part.notes, part.shifts)
        self.next_chorus += 1

    # -- jazz ------------------------------------------------------------------------------------
    def _answer_due(self) -> float | None:
        block, trading = self.next_block, self.trading
        first = trading.first_bar(block)
        if self.end_bar is not None and first >= self.end_bar:
            return None
        return 0.0 if first == 0 else self.beat_of(self.last_beat(first - 1))

    def _start_answer(self, block: int) -> None:
        trading, timeline = self.trading, self.timeline
        first = trading.first_bar(block)
        count = trading.trade if self.end_bar is None else min(trading.trade, self.end_bar - first)
        bars = timeline.span(first, count)
        window = timeline.span(first - trading.trade, trading.trade) if block > 0 else []
        chords = timeline.chords_between((window or bars)[0].start, timeline.end(first + count - 1))
        if trading.solo:
            heard = self.played.get(block - 1, [])
        else:
            heard = self._call(window, self.last_beat(first - 1))
        steps = self.answerer.steps(heard, window, bars, chords, self.seed * 1000 + block, not trading.solo)
        self.thinking = _Thinking(steps, AnswerLog(block, self.now, self.now, self.beat_of(bars[0].start)), bars)
        self._think()

    def _think(self) -> None:
        """One call of the sampler for the answer under way; when it is done, its notes are queued."""
        thinking, started = self.thinking, time.perf_counter()
        try:
            next(thinking.steps)
        except StopIteration as finished:
            self.played[thinking.log.block] = finished.value
            self._schedule_notes(JAZZ, JAZZ_CHANNEL, finished.value, self._shifts(finished.value, thinking))
            thinking.log.ready, thinking.log.notes = self.now, len(finished.value)
            self.answers.append(thinking.log)
            self.thinking = None
            self.next_block += 1 if self.trading.solo else 2
        thinking.log.ms += (time.perf_counter() - started) * 1000

    def _shifts(self, notes: list[Note], thinking: _Thinking) -> list[float]:
        """Where jazz plays each note of an answer against the beat (none on the grid)."""
        if not self.played_feel or not notes:
            return []
        answer = Solo(notes=notes, bars=thinking.bars, grid=self.timeline.grid, tempo=self.tempo)
        return timing_shifts(answer, self.feel, self.seed * 1000 + thinking.log.block)

    def _call(self, window: list, cut: int) -> list[Note]:
        """The player's notes in ``window`` before ``cut`` (its last beat), on the grid, one at a time."""
        grid, start = self.timeline.grid, window[0].start
        raw = []
        for note in self.heard:
            onset = round(note.start * grid)
            end = cut if note.end is None else min(round(note.end * grid), cut)
            if start <= onset < cut:
                raw.append((onset, max(end, onset + 1), note.pitch, note.velocity))
        return monophonic(raw, grid)

    def _close(self, key: tuple[int, int], beat: float) -> None:
        note = self.open.pop(key, None)
        if note is not None:
            note.end = beat

    def _warm_up_window(self):
        size = self.trading.trade
        window, bars = self.timeline.span(0, size), self.timeline.span(size, size)
        return window, bars, self.timeline.chords_between(0, self.timeline.end(2 * size - 1))
