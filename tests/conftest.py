"""Shared fixtures. Tests that need the real corpus read it in place from ../shared/corpus and skip without it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("JAZZ_SHARED_CORPUS", ROOT.parent / "shared" / "corpus"))


def need(path: Path) -> Path:
    """Return ``path`` or skip the test, saying what is missing."""
    if not path.exists():
        pytest.skip(f"shared corpus not found at {path} (tests that read real data need ../shared/corpus)")
    return path


@pytest.fixture
def wjazzd() -> Path:
    """The Weimar Jazz Database folder (midi/, csv/, meta.csv)."""
    return need(CORPUS / "wjazzd")


@pytest.fixture
def wjazzd_midi(wjazzd: Path) -> Path:
    return need(wjazzd / "midi")


@pytest.fixture
def metheny() -> Path:
    return need(CORPUS / "metheny" / "original_metheny.mid")


@pytest.fixture
def tmpfs(tmp_path):
    """A function that mounts a real tmpfs of a given size (e.g. "2m") and returns it; skips where mounting is
    not allowed (not root). Unmounted afterwards."""
    mounted = []

    def mount(size: str) -> Path:
        where = tmp_path / f"disk{len(mounted)}"
        where.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or 'not root'}); "
                        "test_full_disk.py's injected faults cover the write layer")
        mounted.append(where)
        return where

    yield mount
    for where in mounted:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def fill(disk: Path) -> None:
    """Fill a mounted disk to the last byte."""
    with open(disk / "filler", "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 4096)
        except OSError:
            pass
