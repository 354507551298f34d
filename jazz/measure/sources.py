"""Where the benchmarks find real solos: the shared Weimar Jazz Database folder beside the checkout, or data/midi."""

from __future__ import annotations

from pathlib import Path

SHARED_WJAZZD = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "wjazzd" / "midi"


def default_corpus() -> Path | None:
    """The shared Weimar folder, else data/midi where it holds MIDI files, else None."""
    for folder in (SHARED_WJAZZD, Path("data") / "midi"):
        if folder.is_dir() and any(p.suffix.lower() in (".mid", ".midi") for p in folder.rglob("*")):
            return folder
    return None
