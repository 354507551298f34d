"""How a written MIDI file swings: the beat-upbeat ratio of the solo's eighth pairs, from its played onsets.

    python -m jazz.measure.swing FILE.mid ... [--track NAME]

The played onsets are the note-on ticks of the solo's track ("Solo", as `jazz generate` and `jazz import-weimar`
name it, or "jazz" in a `jazz live` recording; ``--track`` names another); the grid they were played from comes
from the track's timing event (jazz.midi.timing), or is the played ticks themselves for a file without one. An eighth
pair is three notes in a row, on a beat, on its "and" and on the next beat (by the grid); its ratio is the first
played gap over the second (:func:`jazz.music.feel.eighth_pair_ratios`, as the fit measures real solos).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import mido
import numpy as np

from jazz.files import reader_gone
from jazz.midi.timing import read_shifts
from jazz.music.feel import band_of
from jazz.music.feel import eighth_pair_ratios as feel_pair_ratios
from jazz.music.notes import DEFAULT_GRID


SOLO_TRACKS = ("Solo", "jazz")  # generate's and import-weimar's solo track, and jazz's part in a live recording


def solo_onsets(path: str | Path, track: str | None = None) -> tuple[list[int], list[int], int]:
    """(grid ticks, played ticks, ticks per beat) of the note-ons of ``track`` (None: the first of
    ``SOLO_TRACKS`` the file has), in played order. ValueError with one sentence if the file has no such track."""
    midi = mido.MidiFile(path)
    names = [t.name.strip() for t in midi.tracks]
    wanted = [track] if track else list(SOLO_TRACKS)
    chosen = next((midi.tracks[names.index(name)] for name in wanted if name in names), None)
    if chosen is None:
        listed = ", ".join(repr(n) for n in names if n) or "none named"
        raise ValueError(f"no track named {' or '.join(map(repr, wanted))} (its tracks: {listed}; "
                         "choose one with --track)")
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


def file_ratios(path: str | Path, track: str | None = None) -> np.ndarray:
    return eighth_pair_ratios(*solo_onsets(path, track))


def file_tempo(path: str | Path) -> float:
    """The first tempo of a MIDI file, in quarter notes per minute."""
    for track in mido.MidiFile(path).tracks:
        for message in track:
            if message.type == "set_tempo":
                return mido.tempo2bpm(message.tempo)
    return 120.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jazz.measure.swing",
                                     description="the played beat-upbeat ratio of the eighth pairs of MIDI solos, "
                                                 "per file and per tempo band")
    parser.add_argument("paths", nargs="+", metavar="FILE.mid")
    parser.add_argument("--track", help=f"the solo's track by name (default: {' or '.join(SOLO_TRACKS)})")
    args = parser.parse_args(argv)
    try:
        return measure(args.paths, args.track)
    except BrokenPipeError:
        return reader_gone()


def measure(paths: list[str], track: str | None) -> int:
    """Print each file's eighth pairs and median ratio, then each tempo band's; 2 if no file could be measured."""
    bands: dict[str, list[np.ndarray]] = {}
    for path in paths:
        try:
            ratios, tempo = file_ratios(path, track), file_tempo(path)
        except (OSError, EOFError, ValueError, KeyError, IndexError) as error:  # what mido raises on broken files
            print(f"{path}: skipped: {error}", file=sys.stderr)
            continue
        bands.setdefault(band_of(tempo), []).append(ratios)
        median = f"{np.median(ratios):.3f}" if len(ratios) else "-"
        print(f"{path}: {tempo:.0f} bpm ({band_of(tempo)}), {len(ratios)} eighth pairs, median ratio {median}")
    for band, groups in bands.items():
        pooled = np.concatenate(groups)
        median = f"{np.median(pooled):.3f}" if len(pooled) else "-"
        print(f"{band}: {len(groups)} files, {len(pooled)} eighth pairs, median ratio {median}")
    return 0 if bands else 2


if __name__ == "__main__":
    sys.exit(main())
