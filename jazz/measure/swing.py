"""How a written MIDI file swings: the beat-upbeat ratio of the solo's eighth pairs, from its played onsets.

    python -m jazz.measure.swing FILE.mid ...

The played onsets are the note-on ticks of the "Solo" track; the grid they were played from comes from the
track's timing event (jazz.midi.timing), or is the played ticks themselves for a file without one. An eighth
pair is three notes in a row, on a beat, on its "and" and on the next beat (by the grid); its ratio is the first
played gap over the second (:func:`jazz.music.feel.eighth_pair_ratios`, as the fit measures real solos).
"""

from __future__ import annotations

import sys
from pathlib import Path

import mido
import numpy as np

from jazz.midi.timing import read_shifts
from jazz.music.feel import band_of
from jazz.music.feel import eighth_pair_ratios as feel_pair_ratios
from jazz.music.notes import DEFAULT_GRID


def solo_onsets(path: str | Path, track: str = "Solo") -> tuple[list[int], list[int], int]:
    """(grid ticks, played ticks, ticks per beat) of the note-ons of ``track``, in played order."""
    midi = mido.MidiFile(path)
    chosen = next((t for t in midi.tracks if t.name.strip() == track), None)
    if chosen is None:
        raise ValueError(f"{path} has no track named {track!r}")
    played, shifts, tick = [], None, 0
    for message in chosen:
        tick += message.time
        if message.type == "note_on" and message.velocity > 0:
            played.append((tick, message.note))
        elif message.type == "sequencer_specific":
            shifts = read_shifts(message) or shifts
    played.sort()
    ticks = [t for t, _ in played]
    grid = [t - s for t, s in zip(ticks, shifts)] if shifts and len(shifts) == len(ticks) else ticks
    return grid, ticks, midi.ticks_per_beat


def eighth_pair_ratios(grid_ticks: list[int], played_ticks: list[int], ticks_per_beat: int) -> np.ndarray:
    """The ratios of the eighth pairs (see the module docstring)."""
    return feel_pair_ratios(np.asarray(grid_ticks) / ticks_per_beat, np.asarray(played_ticks))


def file_ratios(path: str | Path) -> np.ndarray:
    return eighth_pair_ratios(*solo_onsets(path))


def file_tempo(path: str | Path) -> float:
    """The first tempo of a MIDI file, in quarter notes per minute."""
    for track in mido.MidiFile(path).tracks:
        for message in track:
            if message.type == "set_tempo":
                return mido.tempo2bpm(message.tempo)
    return 120.0


def main(argv: list[str] | None = None) -> int:
    paths = argv if argv is not None else sys.argv[1:]
    if not paths:
        print("usage: python -m jazz.measure.swing FILE.mid ...", file=sys.stderr)
        return 2
    bands: dict[str, list[np.ndarray]] = {}
    for path in paths:
        ratios, tempo = file_ratios(path), file_tempo(path)
        bands.setdefault(band_of(tempo), []).append(ratios)
        median = f"{np.median(ratios):.3f}" if len(ratios) else "-"
        print(f"{path}: {tempo:.0f} bpm ({band_of(tempo)}), {len(ratios)} eighth pairs, median ratio {median}")
    for band, groups in bands.items():
        pooled = np.concatenate(groups)
        if len(pooled):
            print(f"{band}: {len(groups)} files, {len(pooled)} eighth pairs, median ratio {np.median(pooled):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
