"""A MusicXML lead sheet → a page a player reads (PDF, or PNG a page), engraved by MuseScore run headless."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from jazz.files import UsageError, atomic_path

MUSESCORE_NAMES = ("mscore3", "musescore3", "mscore", "musescore", "mscore4portable", "MuseScore4")
INSTALL_HINT = ("--score needs MuseScore: install it (Debian/Ubuntu: apt-get install musescore3; macOS: brew install "
                "--cask musescore; or https://musescore.org), or leave out --score and open the .musicxml yourself")
SCORE_SECONDS = 180


def find_musescore() -> str:
    """The MuseScore program on the PATH; UsageError saying how to install it where there is none."""
    found = next((shutil.which(name) for name in MUSESCORE_NAMES if shutil.which(name)), None)
    if found is None:
        raise UsageError(INSTALL_HINT)
    return found


def score_path(musicxml: Path, kind: str) -> Path:
    """Where the page of ``solo_001.musicxml`` goes: ``solo_001.sheet.pdf`` (PNG: MuseScore numbers the pages,
    ``solo_001.sheet-1.png``...)."""
    return musicxml.with_suffix(f".sheet.{kind}")


def render_score(musicxml: Path, kind: str, program: str | None = None) -> list[Path]:
    """Engrave ``musicxml`` as a PDF or PNG pages beside it; return the files written. A PDF is written to a
    temporary name and renamed, so a failed run leaves nothing half-written."""
    program = program or find_musescore()
    target = score_path(musicxml, kind)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    with tempfile.TemporaryDirectory() as folder:
        # MuseScore 3 labels a 15ma line "8" as it imports MusicXML, and right once it reads its own file back
        own = Path(folder) / "sheet.mscz"
        _run(program, musicxml, own, env, musicxml)
        if kind == "pdf":
            with atomic_path(target) as tmp:  # the temporary name ends in .pdf, which tells MuseScore the format
                _run(program, own, tmp, env, musicxml)
            return [target]
        _run(program, own, target, env, musicxml)
    return sorted(target.parent.glob(f"{target.stem}-*.png"))


def _run(program: str, source: Path, target: Path, env: dict, sheet: Path) -> None:
    """MuseScore converts ``source`` to ``target`` (the format by its suffix); UsageError naming ``sheet`` if not."""
    try:
        done = subprocess.run([program, "-o", str(target), str(source)], env=env, capture_output=True, text=True,
                              timeout=SCORE_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        raise UsageError(f"MuseScore took over {SCORE_SECONDS} s to engrave {sheet}") from None
    pages = [target] if target.suffix != ".png" else list(target.parent.glob(f"{target.stem}-*.png"))
    if done.returncode != 0 or not all(page.exists() and page.stat().st_size for page in pages) or not pages:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise UsageError(f"MuseScore could not engrave {sheet}: {last[0]}")
