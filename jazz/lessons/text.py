"""Reading the lessons' text files: plain UTF-8 text, refused in one sentence when it is not."""

from __future__ import annotations

from pathlib import Path


def read_text(path: str | Path) -> str:
    """A text file's contents; ValueError when it is empty or not text (a MIDI file, say)."""
    data = Path(path).read_bytes()
    if b"\0" in data:
        raise ValueError("it is a binary file, not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("it is not UTF-8 text (a binary file?)") from None
    if not text.strip():
        raise ValueError("it is empty")
    return text
