"""Where the benchmarks find real solos: the shared Weimar Jazz Database folder beside the checkout."""

from __future__ import annotations

from pathlib import Path

SHARED_WJAZZD = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "wjazzd" / "midi"
