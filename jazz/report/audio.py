"""Solos you can hear without a DAW: a MIDI file rendered to WAV by FluidSynth with a General MIDI SoundFont.

FluidSynth is an optional program, not a Python package: where it or a SoundFont is missing, one sentence
says how to get them and the MIDI files are written all the same.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import wave
from dataclasses import dataclass
from pathlib import Path

from jazz.files import DiskFull, atomic_path

SAMPLE_RATE = 44100
GAIN = 0.6  # FluidSynth's default (0.2) leaves a solo with its band peaking near -18 dBFS; this, near -8
WAV_HEADER = 44  # bytes of a WAV file with no samples
SHORT_S = 0.25  # audio this much shorter than its MIDI file is cut short
MIN_FREE = 1 << 20  # a disk with less free after a short render was full
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
    """Render ``midi`` to ``wav`` (atomically); on failure say why in one sentence and return False.

    FluidSynth exits 0 even when the disk fills under it, so the audio's length is checked against the
    MIDI file's: a short file on a full disk is DiskFull, otherwise a failure."""
    try:
        with atomic_path(wav) as tmp:
            command = renderer.command(midi, tmp)
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
            if done.returncode != 0 or tmp.stat().st_size <= WAV_HEADER:
                lines = (done.stderr or done.stdout).strip().splitlines()
                if shutil.disk_usage(tmp.parent).free < MIN_FREE:
                    raise DiskFull(wav, f"{midi.name} is kept, without its audio")
                raise RuntimeError(lines[-1] if lines else f"exit status {done.returncode}, no audio")
            _check_length(midi, wav, tmp)
    except subprocess.TimeoutExpired:
        print(f"no {wav.name}: FluidSynth took longer than {timeout:.0f} s", file=sys.stderr)
        return False
    except DiskFull:
        raise
    except (RuntimeError, OSError) as error:
        print(f"no {wav.name}: FluidSynth failed ({error})", file=sys.stderr)
        return False
    return True


def _check_length(midi: Path, wav: Path, rendered: Path) -> None:
    """Raise unless ``rendered`` holds at least the MIDI file's length of audio."""
    import mido

    expected = mido.MidiFile(midi).length
    with open(rendered, "rb") as handle:
        try:
            with wave.open(handle) as audio:
                frame = audio.getnchannels() * audio.getsampwidth()
                rate = audio.getframerate()
        except (wave.Error, EOFError):
            frame, rate = 0, SAMPLE_RATE
    seconds = max(rendered.stat().st_size - WAV_HEADER, 0) / max(frame, 1) / rate if frame else 0.0
    if seconds + SHORT_S >= expected:
        return
    if shutil.disk_usage(rendered.parent).free < MIN_FREE:
        raise DiskFull(wav, f"{midi.name} is kept, without its audio")
    raise RuntimeError(f"it wrote {seconds:.1f} s of the {expected:.1f} s")
