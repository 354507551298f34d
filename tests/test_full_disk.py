"""A full disk loses nothing: every writer leaves the old file or none, says which path and what was kept
(exit 2), on a real tmpfs where the machine allows one, and with faults injected at the write layer."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

import mido
import pytest
from conftest import fill
from midi_factory import random_walks, untrained_model

from jazz import files
from jazz.cli import main
from jazz.files import DiskFull, atomic_write_text
from jazz.midi.read import read_midi


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return untrained_model(tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="module")
def solo(tmp_path_factory):
    folder = random_walks(tmp_path_factory.mktemp("walk"), 1, 120)
    return read_midi(next(folder.glob("*.mid")))[0]


def no_temporary_files(folder: Path) -> bool:
    return not [p for p in folder.rglob("*") if ".tmp" in p.name]


def test_wav_on_a_full_disk_is_one_sentence_and_keeps_the_midi(model, tmpfs, capsys):
    """FluidSynth exits 0 when the disk fills; the short WAV is caught by its length."""
    if shutil.which("fluidsynth") is None or not Path("/usr/share/sounds/sf2/FluidR3_GM.sf2").exists():
        pytest.skip("FluidSynth with the FluidR3_GM SoundFont is not installed")
    out = tmpfs("200k") / "solos"
    assert main(["generate", "--model", str(model), "--out", str(out), "--wav", "--bars", "12"]) == 2
    said = capsys.readouterr().err.strip().splitlines()[-1]
    assert said == f"jazz generate: no space left on the disk for {out / 'solo_001.wav'}: " \
                   "solo_001.mid is kept, without its audio"
    assert not (out / "solo_001.wav").exists() and no_temporary_files(out)
    assert mido.MidiFile(out / "solo_001.mid").length > 10


def test_a_full_disk_for_out_is_refused_before_sampling(model, tmpfs, capsys):
    disk = tmpfs("64k")
    fill(disk)
    out = disk / "solos"
    assert main(["generate", "--model", str(model), "--out", str(out), "--bars", "4"]) == 2
    err = capsys.readouterr().err
    assert f"no space left on the disk for {out}: nothing was written" in err
    assert "sampling" not in err and not out.exists(), "sampled first, or left an empty folder"


def test_every_writer_keeps_the_old_file_on_a_full_disk(solo, tmpfs):
    from jazz.midi.write import write_midi
    from jazz.model.network import build_model
    from jazz.model.train import publish_model
    from jazz.music.leadsheet import write_lead_sheet
    from jazz.report.plots import plot_piano_roll
    from jazz.settings import ModelConfig

    disk = tmpfs("4m")
    tiny = build_model(ModelConfig(40, embedding=4, hidden=4, layers=1, dropout=0.0, skip=False,
                                   intervals=False, register=False, echo=False))
    writers = {
        "solo.mid": lambda p: write_midi(p, solo),
        "solo.musicxml": lambda p: write_lead_sheet(p, solo),
        "solo.png": lambda p: plot_piano_roll(solo, p),
        "card.md": lambda p: atomic_write_text(p, "# a model card\n" * 2000),
        "model.keras": lambda p: publish_model(tiny, p),
    }
    for name, write in writers.items():
        write(disk / name)
    before = {name: (disk / name).read_bytes() for name in writers}
    fill(disk)
    for name, write in writers.items():
        with pytest.raises(DiskFull) as error:
            write(disk / name)
        assert str(error.value) == f"no space left on the disk for {disk / name}: the previous {name} is unchanged"
        assert (disk / name).read_bytes() == before[name], f"{name} was changed"
    assert no_temporary_files(disk)


def test_injected_faults_name_the_destination_never_the_temporary_file(tmp_path, monkeypatch):
    """Where no disk can be filled: ENOSPC and EACCES from the write layer."""
    path = tmp_path / "history.csv"
    path.write_text("epoch\n0\n")
    real_replace = os.replace

    def failing(code):
        def replace(src, dst):
            raise OSError(code, os.strerror(code), src)
        return replace

    monkeypatch.setattr(files.os, "replace", failing(errno.ENOSPC))
    with pytest.raises(DiskFull, match=f"for {path}: the previous history.csv is unchanged"):
        atomic_write_text(path, "epoch\n0\n1\n")
    monkeypatch.setattr(files.os, "replace", failing(errno.EACCES))
    with pytest.raises(PermissionError) as error:
        atomic_write_text(path, "epoch\n0\n1\n")
    assert error.value.filename == str(path) and ".tmp" not in str(error.value)
    monkeypatch.setattr(files.os, "replace", real_replace)
    assert path.read_text() == "epoch\n0\n" and sorted(p.name for p in tmp_path.iterdir()) == ["history.csv"]


def test_atomic_writes_never_change_the_umask(tmp_path, monkeypatch):
    """Setting the umask, even for a moment, lets another thread (jazz live's) make world-writable files."""
    calls = []
    monkeypatch.setattr(os, "umask", lambda mask: calls.append(mask) or 0o022)
    atomic_write_text(tmp_path / "a.txt", "a")
    assert calls == []
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o666 & ~files.UMASK
