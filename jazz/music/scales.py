"""Chord-scales: the pitch classes a soloist or a walking bass draws on over a chord (modes from music21)."""

from __future__ import annotations

from functools import lru_cache

from jazz.music.chord_parse import to_chord
from jazz.music.chords import DEGREE_GROUPS, Chord

_MODES = {
    "ionian": "MajorScale", "mixolydian": "MixolydianScale", "dorian": "DorianScale",
    "locrian": "LocrianScale", "melodic-minor": "MelodicMinorScale", "whole-tone": "WholeToneScale",
    "octatonic": "OctatonicScale",  # whole step first
}  # fmt: skip


@lru_cache(maxsize=None)
def _mode(name: str) -> frozenset[int]:
    """Pitch classes of a mode on C, from music21."""
    from music21 import scale

    mode = getattr(scale, _MODES[name])("C")
    return frozenset(p.pitchClass for p in mode.getPitches("C4", "B4"))


def _base_scale(chord: Chord) -> tuple[str, int, bool]:
    """(mode, its tonic relative to the root, whether tensions still adjust it) for a chord."""
    q, seventh, tensions = chord.quality, chord.seventh, set(chord.tensions)
    if q == "dom" and "alt" in tensions:
        return "melodic-minor", 1, False  # altered scale
    if q == "dom" and tensions & {"b9", "#9"} and "13" in tensions:
        return "octatonic", 1, False  # half-whole diminished
    if q in ("dom", "sus"):
        return "mixolydian", 0, True
    if q == "min":
        return ("melodic-minor", 0, True) if seventh == "maj7" else ("dorian", 0, True)
    if q == "hdim":
        return "locrian", 0, True
    if q == "dim":
        return "octatonic", 0, False
    if q == "aug":
        return ("melodic-minor", 9, True) if seventh == "maj7" else ("whole-tone", 0, True)  # lydian augmented
    return "ionian", 0, True


@lru_cache(maxsize=4096)
def chord_scale(symbol: str) -> frozenset[int]:
    """Pitch classes of the chord-scale: mixolydian for 7, dorian for m7, locrian for m7b5, altered for 7alt,
    lydian for maj7(#11), lydian dominant for 7(#11), half-whole diminished for 7(b9,13), whole-half for dim7...
    Tensions replace their scale neighbours (b13 replaces 13); chord tones and slash bass always belong.
    N.C. gives an empty set."""
    chord = to_chord(symbol)
    if chord.root is None:
        return frozenset()
    mode, tonic, adjust = _base_scale(chord)
    intervals = {(i + tonic) % 12 for i in _mode(mode)}
    keep = set(chord.intervals) | set(chord.tension_intervals)
    if adjust:
        if set(chord.tensions) & {"b5", "#5"}:
            intervals.discard(7)  # the altered fifth replaces the natural one
        for t in chord.tension_intervals:
            for group in DEGREE_GROUPS:
                if t in group:
                    intervals -= group - keep
    intervals |= keep
    pcs = {(chord.root + i) % 12 for i in intervals}
    if chord.bass is not None:
        pcs.add(chord.bass)
    return frozenset(pcs)

