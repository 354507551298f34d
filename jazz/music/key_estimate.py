"""The key of a chart that names none, estimated from its chords: the major or minor key whose scale holds most
of the chords' notes (each chord weighted by its share of a bar), with a bonus for a key whose tonic chord
ends the chart (and a smaller one where it begins), as tunes mostly end, and often begin, at home."""

from __future__ import annotations

from jazz.music.chord_parse import to_chord

MAJOR_KEYS = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")  # MIDI key-signature names
MINOR_KEYS = ("Cm", "C#m", "Dm", "Ebm", "Em", "Fm", "F#m", "Gm", "G#m", "Am", "Bbm", "Bm")
_MAJOR_SCALE = frozenset({0, 2, 4, 5, 7, 9, 11})
_MINOR_SCALE = frozenset({0, 2, 3, 5, 7, 8, 10, 11})  # natural minor and the leading tone
_MINOR_QUALITIES = ("min", "hdim", "dim")
END_BONUS, START_BONUS = 2.0, 1.0


def _home(symbol: str, tonic: int, minor: bool) -> bool:
    """Whether a chord is the tonic chord of the key: its root, a minor chord in a minor key."""
    chord = to_chord(symbol)
    return chord.root == tonic and (chord.quality in _MINOR_QUALITIES) == minor


def estimate_key(bars: list[list[str]]) -> str | None:
    """The most likely key of bars of chord symbols, as a MIDI key name ('F', 'Dm'); None without chords."""
    weighted = [(symbol, 1 / len(bar)) for bar in bars for symbol in bar if not to_chord(symbol).is_no_chord]
    if not weighted:
        return None
    best: tuple[float, str] | None = None
    for minor, names, scale in ((False, MAJOR_KEYS, _MAJOR_SCALE), (True, MINOR_KEYS, _MINOR_SCALE)):
        for tonic, name in enumerate(names):
            held = {(tonic + step) % 12 for step in scale}
            score = sum(w * len(to_chord(s).pitch_classes & held) / len(to_chord(s).pitch_classes)
                        for s, w in weighted)
            score += END_BONUS * _home(weighted[-1][0], tonic, minor)
            score += START_BONUS * _home(weighted[0][0], tonic, minor)
            if best is None or score > best[0]:
                best = (score, name)
    assert best is not None
    return best[1]
