"""Small MIDI files made in the tests, for the cases the real corpus does not cover."""

from __future__ import annotations

from pathlib import Path

import mido
import numpy as np


def make_midi(path: Path, tracks: list[list[tuple[int, int, int, int]]], *, tpb: int = 96, midi_type: int = 1,
              meters: list[tuple[int, int, int]] = ((0, 4, 4),), names: list[str] | None = None,
              tempo_bpm: float = 120.0, texts: list[tuple[int, str]] = (),
              lyrics: list[tuple[int, str]] = (), tempi: list[tuple[int, float]] = ()) -> Path:
    """Write a file whose tracks hold notes given as (start tick, end tick, pitch, channel); ``texts`` are
    markers and ``lyrics`` lyrics on the first track; ``tempi`` (tick, bpm) changes follow ``tempo_bpm``."""
    midi = mido.MidiFile(type=midi_type, ticks_per_beat=tpb)
    meta = [(t, mido.MetaMessage("time_signature", numerator=n, denominator=d)) for t, n, d in meters]
    meta.append((0, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(tempo_bpm))))
    meta += [(t, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm))) for t, bpm in tempi]
    meta += [(t, mido.MetaMessage("marker", text=x)) for t, x in texts]
    meta += [(t, mido.MetaMessage("lyrics", text=x)) for t, x in lyrics]
    for index, notes in enumerate(tracks):
        events = list(meta) if index == 0 else []
        if names:
            events.append((0, mido.MetaMessage("track_name", name=names[index])))
        for start, end, pitch, channel in notes:
            events.append((start, mido.Message("note_on", note=pitch, velocity=80, channel=channel)))
            events.append((end, mido.Message("note_off", note=pitch, velocity=0, channel=channel)))
        track, now = mido.MidiTrack(), 0
        for tick, message in sorted(events, key=lambda e: (e[0], e[1].type == "note_on")):
            track.append(message.copy(time=tick - now))
            now = tick
        midi.tracks.append(track)
    midi.save(path)
    return path


def scale_notes(n: int = 16, tpb: int = 96, channel: int = 0, start_pitch: int = 60) -> list[tuple[int, int, int, int]]:
    """``n`` eighth notes going up a C major scale."""
    steps = [0, 2, 4, 5, 7, 9, 11]
    return [(i * tpb // 2, (i + 1) * tpb // 2, start_pitch + 12 * (i // 7) + steps[i % 7], channel) for i in range(n)]


DAMAGE_KINDS = ("intact", "truncated", "flipped", "inserted")


def damaged_copies(sources: list[Path], folder: Path, seed: int = 0) -> dict[str, list[Path]]:
    """Each source four ways, one sub-folder per kind: intact, truncated, flipped and inserted.

    truncated: cut at a random point in the second half; flipped: three random bits flipped;
    inserted: a run of 2 to 8 random bytes inserted at a random place. Seeded, so a set is reproducible.
    """
    rng = np.random.default_rng(seed)
    made: dict[str, list[Path]] = {kind: [] for kind in DAMAGE_KINDS}
    for source in sources:
        data = source.read_bytes()
        cut = int(rng.integers(len(data) // 2, len(data)))
        flipped = bytearray(data)
        for position in rng.integers(0, len(data), 3):
            flipped[position] ^= 1 << int(rng.integers(0, 8))
        at = int(rng.integers(0, len(data) + 1))
        run = rng.integers(0, 256, int(rng.integers(2, 9)), dtype=np.uint8).tobytes()
        versions = {"intact": data, "truncated": data[:cut], "flipped": bytes(flipped),
                    "inserted": data[:at] + run + data[at:]}
        for kind, content in versions.items():
            path = folder / kind / source.name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            made[kind].append(path)
    return made


def random_walks(folder: Path, count: int, notes: int, seed: int = 0) -> Path:
    """``count`` random-walk melodies of ``notes`` notes each (steps of up to a major third, some rests):
    enough music for a few dozen training steps per epoch."""
    rng = np.random.default_rng(seed)
    for k in range(count):
        pitch, tick, walk = 62, 0, []
        for _ in range(notes):
            length = int(rng.choice([24, 48, 48, 96]))
            pitch = int(np.clip(pitch + rng.integers(-4, 5), 50, 80))
            walk.append((tick, tick + length, pitch, 0))
            tick += length + int(rng.choice([0, 0, 0, 48]))
        make_midi(folder / f"walk_{k:02d}.mid", [walk])
    return folder


def untrained_model(out: Path) -> Path:
    """An untrained chord-aware model folder (tiny, no output paths): enough to test everything but the music."""
    import json

    from jazz.model.features import CONDITION_SIZE
    from jazz.model.network import build_model
    from jazz.model.tokens import Tokenizer
    from jazz.model.train import publish_model
    from jazz.settings import ModelConfig

    tok = Tokenizer()
    config = ModelConfig(tok.size, embedding=8, hidden=8, layers=1, dropout=0.0, condition=CONDITION_SIZE,
                         skip=False, intervals=False, register=False, echo=False)
    publish_model(build_model(config), out / "model.keras")
    (out / "tokenizer.json").write_text(tok.to_json())
    (out / "config.json").write_text(json.dumps({"model": config.to_dict(), "default_tempo": 140}))
    return out
