"""Comping voicings: rootless or shell chord shapes in a given range, for the band's piano."""

from __future__ import annotations

from functools import lru_cache

from jazz.music.chord_parse import to_chord
from jazz.music.chords import DEGREE_GROUPS, SEVENTH_INTERVAL, TRIADS, Chord

_DEFAULT_COLORS = {"dom": (2, 9), "sus": (2, 9), "sus2": (9,), "maj": (2, 7), "min": (2, 7)}


def _voicing_intervals(chord: Chord) -> list[int]:
    """Intervals (mod 12) of a rootless or shell voicing, most important first, 3-4 of them."""
    third, fifth = chord.intervals[1], TRIADS[chord.quality][2]
    if chord.seventh is None:
        return list(dict.fromkeys([0, *chord.intervals[1:], *chord.tension_intervals[:1]]))
    tones = [third, SEVENTH_INTERVAL[chord.seventh]]
    if "alt" in chord.tensions:
        colors = [3, 8]
    else:
        altered_fifth = [chord.intervals[2]] if set(chord.tensions) & {"b5", "#5"} else []
        colors = altered_fifth + sorted(chord.tension_intervals, key=lambda i: (i not in (1, 2, 3), i))
    defaults = _DEFAULT_COLORS.get(chord.quality, (fifth, 0))
    if chord.quality in ("hdim", "aug"):
        defaults = (fifth, 5 if chord.quality == "hdim" else 2)
    colors = colors[:2]
    picked = list(dict.fromkeys([*tones, *colors]))
    for extra in defaults:
        clash = any(extra in g and c in g for g in DEGREE_GROUPS for c in colors)
        if len(picked) < 4 and extra not in picked and not clash:
            picked.append(extra)
    return picked


def _rub(notes: tuple[int, ...]) -> float:
    """Penalty for a minor second between the two lowest (muddy) or the two highest (harsh) notes."""
    return 6.0 * (notes[1] - notes[0] == 1) + 3.0 * (notes[-1] - notes[-2] == 1)


@lru_cache(maxsize=4096)
def _voicing(symbol: str, low: int, high: int) -> tuple[int, ...]:
    chord = to_chord(symbol)
    if chord.root is None:
        return ()
    pcs = sorted({(chord.root + i) % 12 for i in _voicing_intervals(chord)})
    center = (low + high) / 2
    best: tuple[float, tuple[int, ...]] | None = None
    for turn in range(len(pcs)):
        order = pcs[turn:] + pcs[:turn]
        shape = [order[0]]
        for pc in order[1:]:
            shape.append(shape[-1] + (pc - shape[-1]) % 12)
        for octave in range(-1, 11):
            notes = tuple(n + 12 * octave for n in shape)
            if notes[0] >= low and notes[-1] <= high:
                score = (abs(sum(notes) / len(notes) - center) + _rub(notes), notes)
                best = score if best is None or score < best else best
    if best is None:
        raise ValueError(f"no voicing of {symbol!r} fits between MIDI {low} and {high}")
    return best[1]


def voicing(symbol: str, low: int = 48, high: int = 72) -> list[int]:
    """A close comping voicing (3-5 MIDI notes, ascending, within ``low``..``high``): rootless (3rd, 7th and
    colours such as 9 and 13) for seventh and sixth chords, a root-position triad shell otherwise; the slash
    bass is left to the bass player. N.C. gives []. Needs a range of at least an octave."""
    if high - low < 11:
        raise ValueError(f"voicing range {low}..{high} is narrower than an octave")
    return list(_voicing(symbol, low, high))
