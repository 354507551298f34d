"""Progress lines on stderr: redrawn in place on a terminal, a line per tenth in a log file."""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager


class Progress:
    def __init__(self, label: str, total: int, enabled: bool = True):
        self.label, self.total, self.enabled = label, max(total, 1), enabled
        self.tty = sys.stderr.isatty()
        self.shown_tenth = -1
        self.started = time.time()

    def update(self, done: int, detail: str = "") -> None:
        if not self.enabled:
            return
        text = f"{self.label}: {done}/{self.total}{' ' + detail if detail else ''}"
        if self.tty:
            print(f"\r{text}\033[K", end="", file=sys.stderr, flush=True)
            return
        tenth = 10 * done // self.total
        if tenth > self.shown_tenth:
            self.shown_tenth = tenth
            print(text, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.enabled and self.tty:
            print(f"  ({time.time() - self.started:.1f} s)", file=sys.stderr, flush=True)


@contextmanager
def quiet_stderr():
    """Silence the process's stderr (file descriptor 2) for the block: TensorFlow's start-up banner."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


BACKEND_INSTALL = {"jax": "pip install 'jazz[jax]'", "torch": "pip install 'jazz[torch]'",
                   "tensorflow": "pip install tensorflow"}  # the backends Keras imports, and how to get each


def import_keras_quietly() -> None:
    """Import Keras (and its backend) without the backend's C++ start-up log lines."""
    if "keras" in sys.modules:
        return
    try:
        with quiet_stderr():
            import keras  # noqa: F401
    except ModuleNotFoundError as error:
        if error.name not in BACKEND_INSTALL:
            raise
        from jazz.files import UsageError

        raise UsageError(f"KERAS_BACKEND={os.environ.get('KERAS_BACKEND', error.name)} needs {error.name}, which is "
                         f"not installed: `{BACKEND_INSTALL[error.name]}` (or unset KERAS_BACKEND for TensorFlow)"
                         ) from None
    except Exception:
        import keras  # noqa: F401  (again, loudly, so that the real error shows)


def say(text: str) -> None:
    """One line of news on stderr, at once (benchmarks tell what they measure before they measure it)."""
    print(text, file=sys.stderr, flush=True)
