"""The rhythm section under a solo (issue 4): piano comping, a walking bass and a swing ride, as MIDI parts.

``band_parts(bars, chords)`` gives three :class:`~jazz.music.notes.Part` s on the solo's step grid, in this order
(channels counted from 0, as MIDI bytes do):

* **Comping** (piano, channel 1): close rootless voicings (:func:`jazz.music.voicings.voicing`) in a seeded choice of
  comping patterns per bar (Charleston, a push with an anticipation, a long held chord, off-beat stabs, 2 and 4,
  laying out). An off-beat hit right before a chord change is an anticipation: it voices the coming chord and may
  ring into it. A note never sounds past the end of the chord it voices, and every chord gets voiced at least once.
* **Bass** (acoustic bass, channel 2): a walking line, one note a beat, in E1-G3 (MIDI 28-55): the root (or slash
  bass) on each change, chord and scale tones between, and a chromatic or scale-step approach on the beat before
  a change. A change that falls between beats gets a note of its own.
* **Drums** (channel 9, General MIDI's drum channel 10; no program): the swing ride pattern (every beat, plus
  the "and" of every second beat, swung to 2/3 of the beat, or played at the tempo's ratio: see ``band_parts``)
  accented on the backbeats (2 and 4; 2 and 3 in 3/4),
  the hi-hat pedal on the backbeats, a feathered kick and a few ghosted snare notes; time goes on in N.C. bars.

Beats: a quarter note in x/4 and x/2 meters (so cut time walks in four); in x/8 and x/16 meters the pulses group into
dotted beats of three when the numerator allows (6/8, 9/8, 12/8: dotted quarters), else into twos with a final three
(5/8 = 2+3, 7/8 = 2+2+3). The "and" of a grouped beat is its last pulse (the third eighth of a dotted quarter,
which is where a swung eighth falls anyway), swing or not. The same seed always gives the same band.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from jazz.music.chord_parse import to_chord
from jazz.music.notes import DEFAULT_GRID, Bar, ChordChange, Note, Part, change_index
from jazz.music.scales import chord_scale
from jazz.music.voicings import voicing

__all__ = ["Beat", "Span", "band_parts", "bar_beats", "chord_spans", "comping", "drums", "walking_bass"]

PIANO, ACOUSTIC_BASS = 0, 32  # General MIDI programs, counted from 0
COMP_CHANNEL, BASS_CHANNEL, DRUM_CHANNEL = 1, 2, 9
RIDE, HIHAT_PEDAL, KICK, SNARE = 51, 44, 36, 38
BASS_LOW, BASS_HIGH, BASS_CENTER = 28, 55, 40  # E1, G3 and E2, where the roots gravitate
COMP_LOW, COMP_HIGH = 48, 72


# ------------------------------------------------------------------------------------------- time and harmony


@dataclass(frozen=True)
class Beat:
    """One beat of a bar, in grid steps."""

    onset: int
    length: int
    index: int  # 0-based position in its bar
    count: int  # beats in the bar
    pulses: int = 1  # eighth (or 16th) pulses grouped into the beat in x/8 meters; 1 for quarter beats

    @property
    def end(self) -> int:
        return self.onset + self.length

    @property
    def is_backbeat(self) -> bool:
        """2 and 4 (every second beat), and the last beat of an odd bar: 2 and 3 in 3/4."""
        return self.index % 2 == 1 or (self.count % 2 == 1 and self.count > 1 and self.index == self.count - 1)

    def offbeat(self, swing: bool) -> int:
        """The step of the beat's "and": swung to 2/3, straight at 1/2, the last pulse of a grouped beat."""
        if self.pulses > 1:
            return self.onset + self.length - self.length // self.pulses
        return self.onset + (2 * self.length // 3 if swing else self.length // 2)


def _beat_groups(bar: Bar, grid: int) -> tuple[int, list[int]]:
    """(steps per pulse, pulses in each beat) of a bar: see the module docstring."""
    n, d = bar.numerator, bar.denominator
    if d <= 4:
        return grid, [1] * (n * 4 // d)
    if (4 * grid) % d:
        raise ValueError(f"a grid of {grid} steps per quarter cannot hold {bar.meter} pulses")
    pulse = 4 * grid // d
    if n % 3 == 0:
        return pulse, [3] * (n // 3)
    if n == 1:
        return pulse, [1]
    return pulse, [2] * (n // 2 - 1) + [2 + n % 2]


def bar_beats(bar: Bar, grid: int = DEFAULT_GRID) -> list[Beat]:
    """The beats of ``bar`` in grid steps."""
    pulse, groups = _beat_groups(bar, grid)
    beats, onset = [], bar.start
    for index, pulses in enumerate(groups):
        length = pulse * pulses
        beats.append(Beat(onset, length, index, len(groups), pulses))
        onset += length
    return beats


@dataclass(frozen=True)
class Span:
    """Where one chord sounds: ``onset`` to ``end`` (exclusive)."""

    onset: int
    end: int
    symbol: str

    @property
    def is_chord(self) -> bool:
        return not to_chord(self.symbol).is_no_chord


def chord_spans(chords: list[ChordChange], start: int, end: int) -> list[Span]:
    """The chords as contiguous spans clipped to ``start``..``end`` (of two changes at one step the later wins)."""
    latest: dict[int, str] = {}
    for change in sorted(chords, key=lambda c: c.onset):
        latest[max(change.onset, start)] = change.symbol
    onsets = [o for o in sorted(latest) if o < end]
    return [Span(o, nxt, latest[o]) for o, nxt in zip(onsets, [*onsets[1:], end])]


def _span_at(spans: list[Span], step: int) -> int | None:
    """Index of the span sounding at ``step``, None before the first chord or after the last span."""
    index = change_index([s.onset for s in spans], step)
    return index if index >= 0 and step < spans[index].end else None


def _chord_index_at(spans: list[Span], step: int) -> int | None:
    """Like ``_span_at``, but None for an N.C. span too."""
    index = _span_at(spans, step)
    return index if index is not None and spans[index].is_chord else None


def _velocity(value: float) -> int:
    return max(1, min(127, round(value)))


# ---------------------------------------------------------------------------------------------------- comping


@dataclass(frozen=True)
class _Hit:
    onset: int
    span: int  # index of the chord it voices
    length: int  # wished length in steps, before cutting at the next hit or chord change
    anticipation: bool = False


# (beat index, on the "and"?, length in beats); a negative index counts from the end of the bar
_PATTERNS: dict[str, tuple[tuple[int, bool, float], ...]] = {
    "charleston": ((0, False, 1.5), (1, True, 1.0)),
    "push": ((1, False, 0.75), (-1, True, 1.5)),
    "held": ((0, False, 99.0),),  # to the end of the bar
    "stabs": ((0, True, 0.3), (2, True, 0.3)),
    "two-and-four": ((1, False, 0.5), (3, False, 0.5)),
    "lay-out": (),
}
_PATTERN_WEIGHTS = {"charleston": 4, "push": 3, "held": 2, "stabs": 2, "two-and-four": 2, "lay-out": 1}


def _bar_hits(beats: list[Beat], spans: list[Span], pattern: str, swing: bool) -> list[_Hit]:
    """The hits of one bar's comping pattern; an off-beat hit just before a change anticipates the next chord."""
    hits = []
    bar_end = beats[-1].end
    for index, off, beats_long in _PATTERNS[pattern]:
        if not -len(beats) <= index < len(beats):
            continue
        beat = beats[index]
        onset = beat.offbeat(swing) if off else beat.onset
        span = _chord_index_at(spans, onset)
        if span is None:
            continue
        length = max(1, round(beats_long * beat.length))
        following = span + 1 if span + 1 < len(spans) and spans[span].end == beat.end else None
        if off and following is not None and spans[following].is_chord:
            hits.append(_Hit(onset, following, length, anticipation=True))
        else:
            hits.append(_Hit(onset, span, min(length, bar_end - onset)))
    return hits


def _drop_restrikes(hits: list[_Hit]) -> list[_Hit]:
    """Hits in time order, without those that would re-strike a chord an anticipation is still holding."""
    kept: list[_Hit] = []
    held_span, held_until = None, -1
    for hit in sorted(hits, key=lambda h: h.onset):
        if (kept and hit.onset == kept[-1].onset) or (hit.span == held_span and hit.onset < held_until):
            continue
        kept.append(hit)
        if hit.anticipation:
            held_span, held_until = hit.span, hit.onset + hit.length
    return kept


def _comp_hits(bars: list[Bar], spans: list[Span], grid: int, rng: random.Random, swing: bool) -> list[_Hit]:
    """The hits of the whole form: a pattern a bar, plus a hit on every chord no pattern voiced."""
    names = list(_PATTERNS)
    weights = [_PATTERN_WEIGHTS[n] for n in names]
    hits = []
    for bar in bars:
        hits += _bar_hits(bar_beats(bar, grid), spans, rng.choices(names, weights)[0], swing)
    voiced = {hit.span for hit in hits}
    for index, span in enumerate(spans):
        if span.is_chord and index not in voiced:
            hits.append(_Hit(span.onset, index, min(grid, span.end - span.onset)))
    return _drop_restrikes(hits)


def _comp_velocity(hit: _Hit, grid: int, rng: random.Random) -> int:
    """A hit's loudness: varied, short stabs and anticipations punchier, long held chords softer."""
    short, long = hit.length <= grid // 2, hit.length > 2 * grid
    return rng.randint(60, 78) + 6 * short + 5 * hit.anticipation - 6 * long


def comping(
    bars: list[Bar], spans: list[Span], grid: int = DEFAULT_GRID, rng: random.Random | None = None, swing: bool = True
) -> list[Note]:
    """Piano voicings in comping rhythms (see the module docstring), sorted by onset."""
    rng = rng or random.Random(0)
    if not bars:
        return []
    form_end = bars[-1].start + bars[-1].length(grid)
    hits = _comp_hits(bars, spans, grid, rng, swing)
    notes = []
    for i, hit in enumerate(hits):
        next_onset = hits[i + 1].onset if i + 1 < len(hits) else form_end
        end = min(hit.onset + hit.length, next_onset, spans[hit.span].end, form_end)
        if end <= hit.onset:
            continue
        base = _comp_velocity(hit, grid, rng)
        pitches = voicing(spans[hit.span].symbol, COMP_LOW, COMP_HIGH)
        for k, pitch in enumerate(pitches):
            top = 5 if k == len(pitches) - 1 else 0  # the top voice sings a little
            notes.append(Note(pitch, hit.onset, end - hit.onset, _velocity(base + top + rng.randint(-3, 3))))
    return notes


# ------------------------------------------------------------------------------------------------------- bass


def _bass_slots(beats: list[Beat], spans: list[Span]) -> list[tuple[int, int]]:
    """(onset, end) of each bass note: the beats, split where a chord changes between beats."""
    slots = []
    for beat in beats:
        inner = [s.onset for s in spans if beat.onset < s.onset < beat.end]
        points = [beat.onset, *inner, beat.end]
        slots += list(zip(points, points[1:]))
    return slots


def _bass_pc(symbol: str) -> int:
    """The pitch class the bass plays for a chord: the slash bass, else the root."""
    pc = to_chord(symbol).bass_pc
    if pc is None:
        raise ValueError(f"{symbol!r} has no bass note")
    return pc


def _root_pitch(pc: int, ref: int | None) -> int:
    """The pitch of class ``pc`` in the bass range nearest ``ref``, drawn a little towards E2."""
    ref = BASS_CENTER if ref is None else ref
    candidates = [p for p in range(BASS_LOW, BASS_HIGH + 1) if p % 12 == pc]
    return min(candidates, key=lambda p: abs(p - ref) + 0.6 * abs(p - BASS_CENTER))


def _approach(target: int, prev: int, symbol: str, rng: random.Random) -> int:
    """A chromatic neighbour or a scale step (of ``symbol``'s scale) above or below ``target``."""
    scale = chord_scale(symbol)
    options: dict[int, float] = {target - 1: 3.0, target + 1: 2.0}
    for direction in (1, -1):
        step = next((target + direction * s for s in (1, 2) if (target + direction * s) % 12 in scale), None)
        if step is not None:
            options[step] = options.get(step, 0.0) + 2.0
    in_range = {p: w for p, w in options.items() if BASS_LOW <= p <= BASS_HIGH}
    usable = {p: w for p, w in in_range.items() if p != prev} or in_range
    pitches = list(usable)
    return rng.choices(pitches, [usable[p] / (1 + abs(p - prev) / 4) for p in pitches])[0]


def _walk_tone(prev: int, symbol: str, target: int, direction: int, rng: random.Random) -> int:
    """A chord or scale tone near ``prev``, leaning towards ``direction`` and the coming ``target``."""
    chord = to_chord(symbol)
    tones = chord.chord_tones | {_bass_pc(symbol)}
    scale = chord_scale(symbol)
    options, weights = [], []
    for pitch in range(max(BASS_LOW, prev - 7), min(BASS_HIGH, prev + 7) + 1):
        if pitch == prev or pitch % 12 not in scale:
            continue
        cost = 0.5 * abs(pitch - prev) + 0.25 * abs(pitch - target)
        cost += (0.0 if pitch % 12 in tones else 1.2) + (1.5 if (pitch - prev) * direction < 0 else 0.0)
        options.append(pitch)
        weights.append(math.exp(-cost))
    return rng.choices(options, weights)[0]


def _direction(root: int, rng: random.Random) -> int:
    """Which way to walk from a root: up from low roots, down from high ones, else either."""
    if root < BASS_CENTER - 4:
        return 1
    if root > BASS_CENTER + 7:
        return -1
    return rng.choice((1, -1))


def _coming_chord(spans: list[Span], index: int, starts: set[int]) -> Span | None:
    """The chord after span ``index`` when the bass plays into it (a slot starts there and it is no N.C.)."""
    if index + 1 < len(spans) and spans[index].end in starts and spans[index + 1].is_chord:
        return spans[index + 1]
    return None


def _bass_note(pitch: int, onset: int, end: int, accent: bool, swing: bool, rng: random.Random) -> Note:
    """A walking note: a little detached when swung, legato when straight; changes a little louder."""
    length = end - onset
    duration = length - max(1, length // 6) if swing and length > 1 else length
    return Note(pitch, onset, duration, _velocity(82 + 8 * accent + rng.randint(-4, 4)))


def walking_bass(
    beats: list[Beat], spans: list[Span], rng: random.Random | None = None, swing: bool = True
) -> list[Note]:
    """A walking bass line on ``beats`` through the chords of ``spans`` (see the module docstring)."""
    rng = rng or random.Random(0)
    slots = _bass_slots(beats, spans)
    starts = {onset for onset, _ in slots}
    notes: list[Note] = []
    prev: int | None = None
    planned: int | None = None  # the root pitch an approach note led to
    last_span, direction = None, 1
    for onset, end in slots:
        index = _chord_index_at(spans, onset)
        if index is None:
            last_span = planned = None
            continue
        span = spans[index]
        coming = _coming_chord(spans, index, starts)
        if index != last_span:
            pc = _bass_pc(span.symbol)
            pitch = planned if planned is not None and planned % 12 == pc else _root_pitch(pc, prev)
            planned, direction = None, _direction(pitch, rng)
        elif coming is not None and end == span.end:
            assert prev is not None
            planned = _root_pitch(_bass_pc(coming.symbol), prev)
            pitch = _approach(planned, prev, span.symbol, rng)
        else:
            assert prev is not None
            goal = _root_pitch(_bass_pc((coming or span).symbol), prev)
            pitch = _walk_tone(prev, span.symbol, goal, direction, rng)
        notes.append(_bass_note(pitch, onset, end, accent=onset == span.onset, swing=swing, rng=rng))
        prev, last_span = pitch, index
    return notes


# ------------------------------------------------------------------------------------------------------ drums


def _bar_drums(beats: list[Beat], swing: bool, rng: random.Random) -> list[Note]:
    """One bar of time: ride, hi-hat pedal on the backbeats, feathered kick, the odd ghosted snare."""
    bar_end = beats[-1].end
    ride: list[tuple[int, int]] = []  # (onset, velocity)
    notes = []
    for beat in beats:
        ride.append((beat.onset, 100 if beat.is_backbeat else 84))
        if beat.index % 2 == 1:
            ride.append((beat.offbeat(swing), 70))
        if beat.is_backbeat:
            notes.append(Note(HIHAT_PEDAL, beat.onset, max(1, beat.length // 2), _velocity(72 + rng.randint(-4, 4))))
        notes.append(Note(KICK, beat.onset, max(1, beat.length // 2), _velocity(34 + rng.randint(-4, 4))))
        if rng.random() < 0.12:
            ghost = beat.offbeat(swing)
            notes.append(Note(SNARE, ghost, max(1, beat.end - ghost), _velocity(40 + rng.randint(-8, 8))))
    ends = [onset for onset, _ in ride[1:]] + [bar_end]
    notes += [Note(RIDE, on, end - on, _velocity(vel + rng.randint(-3, 3))) for (on, vel), end in zip(ride, ends)]
    return notes


def drums(
    bars: list[Bar], grid: int = DEFAULT_GRID, rng: random.Random | None = None, swing: bool = True
) -> list[Note]:
    """Swing time on the ride for every bar (N.C. bars included), sorted by onset."""
    rng = rng or random.Random(0)
    notes = [n for bar in bars for n in _bar_drums(bar_beats(bar, grid), swing, rng)]
    return sorted(notes, key=lambda n: (n.onset, n.pitch))


# ------------------------------------------------------------------------------------------------------- band


def band_parts(
    bars: list[Bar], chords: list[ChordChange], grid: int = DEFAULT_GRID, seed: int = 0, swing: bool = True,
    ratio: float | None = None,
) -> list[Part]:
    """The rhythm section for a form: "Comping" (piano), "Bass" and "Drums" parts, all inside ``bars``.

    ``chords`` are the changes on the same grid (N.C. silences piano and bass); the same ``seed`` always gives
    the same parts. Without ``ratio`` a swung "and" is written at 2/3 of the beat, on the grid; with a beat-upbeat
    ``ratio`` (jazz.music.feel.band_ratio) it is written straight and played at that ratio (``Part.shifts``).
    ValueError for a grid below 1, a grid not divisible by 3 for swing on the grid, or a meter the grid cannot hold.
    """
    if grid < 1:
        raise ValueError(f"grid must be at least 1 step per quarter, not {grid}")
    if swing and ratio is None and grid % 3:
        raise ValueError(f"swing needs a grid divisible by 3 (a swung eighth is 2/3 of a beat), not {grid}")
    beats = [beat for bar in bars for beat in bar_beats(bar, grid)]
    spans = chord_spans(chords, bars[0].start, beats[-1].end) if bars else []
    placed = swing and ratio is None  # the "and" on the grid at 2/3
    parts = [
        Part("Comping", comping(bars, spans, grid, random.Random(f"{seed}/comping"), placed), COMP_CHANNEL, PIANO),
        Part("Bass", walking_bass(beats, spans, random.Random(f"{seed}/bass"), swing), BASS_CHANNEL,
             ACOUSTIC_BASS),
        Part("Drums", drums(bars, grid, random.Random(f"{seed}/drums"), placed), DRUM_CHANNEL, None),
    ]  # fmt: skip
    for part in parts if ratio is not None else ():
        part.shifts = offbeat_shifts(part.notes, beats, ratio)
    return parts


def offbeat_shifts(notes: list[Note], beats: list[Beat], ratio: float) -> list[float]:
    """Per note, the steps that play a straight "and" (the middle of a quarter beat) at ``ratio``; 0 elsewhere."""
    starts = [b.onset for b in beats]
    shifts = []
    for note in notes:
        index = change_index(starts, note.onset)
        beat = beats[index] if index >= 0 else None
        straight_and = beat is not None and beat.pulses == 1 and note.onset == beat.onset + beat.length // 2
        shifts.append((ratio / (1 + ratio) - 0.5) * beat.length if straight_and else 0.0)
    return shifts
