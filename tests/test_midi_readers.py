"""symusic and mido read the same solos: notes, bars, chords, tempo, key, melody part and played onsets, file for
file, on every shared Weimar file, the Metheny file, the beat-aligned import as played (made here from the shared
CSVs) and damaged copies. symusic must also really be the reader of the intact files, or the comparison proves nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from midi_factory import damaged_copies, make_midi, scale_notes

from jazz.midi import events
from jazz.midi.read import MidiError, read_solo, reads_as_chords


def both_readings(path: Path, monkeypatch) -> tuple:
    """(the default reading, mido's reading) of ``path``: each a tuple of what the solo is made of, or the
    one-line reason the file gives no solo."""
    def reading():
        try:
            r = read_solo(path)
        except MidiError as error:
            return ("error", str(error))
        s = r.solo
        return (s.notes, s.bars, s.chords, s.tempo, s.key, r.track, r.damage, s.played)

    fast = reading()
    with monkeypatch.context() as m:
        m.setattr(events, "symusic_reads", lambda data: False)
        slow = reading()
    return fast, slow


def differing(paths: list[Path], monkeypatch) -> list[str]:
    """The names of the files the two readers read differently, each with what differs."""
    named = []
    for path in paths:
        fast, slow = both_readings(path, monkeypatch)
        if fast != slow:
            fields = ("notes", "bars", "chords", "tempo", "key", "track", "damage", "played")
            which = [f for f, a, b in zip(fields, fast, slow) if a != b] if len(fast) == len(slow) == 8 else [
                f"{fast[1] if fast[0] == 'error' else 'a solo'} against {slow[1] if slow[0] == 'error' else 'a solo'}"]
            named.append(f"{path.parent.name}/{path.name}: {', '.join(which)}")
    return named


def by_symusic(paths: list[Path]) -> int:
    """How many of ``paths`` symusic reads (the rest go to mido)."""
    count = 0
    for path in paths:
        data = path.read_bytes()
        count += events.symusic_reads(data) and events.symusic_content(data, reads_as_chords) is not None
    return count


@pytest.mark.slow
def test_every_shared_weimar_file_and_metheny_read_the_same(wjazzd_midi, metheny, monkeypatch):
    paths = sorted(wjazzd_midi.glob("*.mid")) + [metheny]
    assert len(paths) > 400
    assert differing(paths, monkeypatch) == []
    assert by_symusic(paths) == len(paths)


@pytest.mark.slow
def test_the_beat_aligned_import_reads_the_same(wjazzd, tmp_path, monkeypatch):
    """Imported here from the CSVs. A few files hold bytes that look like a text event (0xFF 0x01 inside
    a delta time); mido reads those, as it reads every file with a text or cue event (symusic keeps only
    markers and lyrics), so most but not all go through symusic."""
    from jazz.midi.weimar import import_weimar

    reports = import_weimar(wjazzd, tmp_path / "import")
    paths = sorted((tmp_path / "import").glob("*.mid"))
    assert len(paths) == sum(r["status"] == "written" for r in reports) > 400
    assert differing(paths, monkeypatch) == []
    assert by_symusic(paths) > 0.95 * len(paths)


def test_damaged_copies_read_the_same(wjazzd_midi, tmp_path, monkeypatch):
    """Truncated files and files with inserted bytes do not frame: mido and the salvage read them either way.
    A flipped bit inside an event leaves the framing intact, and both decoders read the file whole; where the
    flip breaks a note-off (or moves a note-on to another channel), both leave out the note never switched off."""
    sources = sorted(wjazzd_midi.glob("*.mid"))[::25]
    made = damaged_copies(sources, tmp_path, seed=3)
    paths = [p for kind in made.values() for p in kind]
    assert differing(paths, monkeypatch) == []
    assert by_symusic(made["intact"]) == len(sources) and by_symusic(made["truncated"]) == 0
    assert by_symusic(made["flipped"]) > len(sources) // 2  # most flips leave the framing intact


def test_a_note_never_switched_off_is_left_out_by_both(tmp_path, monkeypatch):
    """A file cut inside its last note (as `jazz bench --scale` cuts its variants): the note has no length."""
    import mido

    path = make_midi(tmp_path / "cut.mid", [scale_notes(12)])
    midi = mido.MidiFile(path)
    track = midi.tracks[0]
    last_off = max(i for i, m in enumerate(track) if m.type == "note_off")
    del track[last_off]
    midi.save(path)
    assert differing([path], monkeypatch) == []
    assert len(read_solo(path).solo.notes) == 11 and by_symusic([path]) == 1


def test_files_symusic_would_renumber_or_split_go_to_mido(tmp_path, monkeypatch):
    """An empty track between parts (symusic leaves it out) and a type 0 file with two channels (symusic
    splits it): the track numbers and parts stay mido's."""
    gap = tmp_path / "gap.mid"
    make_midi(gap, [scale_notes(20, start_pitch=60), [], scale_notes(30, start_pitch=48)])
    mixed = tmp_path / "type0.mid"
    make_midi(mixed, [scale_notes(20, channel=3) + scale_notes(20, channel=5, start_pitch=40)], midi_type=0)
    assert differing([gap, mixed], monkeypatch) == []
    assert by_symusic([gap]) == 1 and by_symusic([mixed]) == 0
