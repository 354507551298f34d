"""Shared fixtures. Tests that need the real corpus read it in place from ../shared/corpus and skip without it."""

from __future__ import annotations

import os
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
