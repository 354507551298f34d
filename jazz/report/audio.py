"""Solos you can hear without a DAW: a MIDI file rendered to WAV by FluidSynth with a General MIDI SoundFont.

FluidSynth is an optional program, not a Python package: where it or a SoundFont is missing, one sentence
says how to get them and the MIDI files are written all the same.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from jazz.files import atomic_path

SAMPLE_RATE = 44100
GAIN = 0.6  # FluidSynth's default (0.2) leaves a solo with its band peaking near -18 dBFS; this, near -8
WAV_HEADER = 44  # bytes of a WAV file with no samples
# Where Debian/Ubuntu (fluid-soundfont-gm), Fedora, Arch and Homebrew put a General MIDI SoundFont.
SOUNDFONTS = (
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/sounds/sf2/default-GM.sf2",
    "/usr/share/soundfonts/default.sf2",
    "/usr/share/soundfonts/FluidR3_GM.sf2",
    "/usr/share/soundfonts/FluidR3_GM2-2.sf2",
    "/opt/homebrew/share/soundfonts/default.sf2",
    "/usr/local/share/soundfonts/default.sf2",
)
INSTALL = ("install FluidSynth and a General MIDI SoundFont to get WAV files "
           "(e.g. `sudo apt-get install fluidsynth fluid-soundfont-gm`, or `brew install fluid-synth` "
           "and --soundfont FILE.sf2); the MIDI files are written")


@dataclass(frozen=True)
class Renderer:
    """The fluidsynth program and the SoundFont it plays with."""

    program: str
    soundfont: Path

    def command(self, midi: Path, wav: Path) -> list[str]:
        """Render as fast as the machine can (-F), no MIDI input, no shell, WAV at 44.1 kHz."""
        return [self.program, "-ni", "-g", str(GAIN), "-T", "wav", "-r", str(SAMPLE_RATE), "-F", str(wav),
                str(self.soundfont), str(midi)]


def find_soundfont(given: str | Path | None = None) -> Path | None:
    """``given``, else the first General MIDI SoundFont found where packages install one."""
    if given is not None:
        return Path(given)
    return next((Path(p) for p in SOUNDFONTS if Path(p).is_file()), None)


def find_renderer(soundfont: str | Path | None = None) -> Renderer | None:
    """FluidSynth on PATH with a SoundFont; None (and one sentence on stderr) when either is missing."""
    program = shutil.which("fluidsynth")
    font = find_soundfont(soundfont)
    if program is None or font is None:
        missing = "FluidSynth is not installed" if program is None else "no General MIDI SoundFont was found"
        print(f"no WAV files: {missing}; {INSTALL}", file=sys.stderr)
        return None
    return Renderer(program, font)


def render_wav(renderer: Renderer, midi: Path, wav: Path, timeout: float = 300.0) -> bool:
    """Render ``midi`` to ``wav`` (atomically); on failure say why in one sentence and return False."""
    try:
        with atomic_path(wav) as tmp:
            command = renderer.command(midi, tmp)
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
            if done.returncode != 0 or tmp.stat().st_size <= WAV_HEADER:
                lines = (done.stderr or done.stdout).strip().splitlines()
                raise RuntimeError(lines[-1] if lines else f"exit status {done.returncode}, no audio")
    except subprocess.TimeoutExpired:
        print(f"no {wav.name}: FluidSynth took longer than {timeout:.0f} s", file=sys.stderr)
        return False
    except (RuntimeError, OSError) as error:
        print(f"no {wav.name}: FluidSynth failed ({error})", file=sys.stderr)
        return False
    return True
