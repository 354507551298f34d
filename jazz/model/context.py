"""What the model is told about the performance around the notes: the tempo, the feel, the style, the instrument.

A soloist plays a ballad in double time and a burner in long lines; the same tokens mean different music
at different tempi. So a model with a context path gets, at every step, the tempo at that moment (from the
file's tempo map) and the solo's labels (jazz.music.labels). The tempo enters on a log scale and as soft
bands (radial bumps every half octave of tempo), so that a linear map can give slow, medium and fast
tempi their own habits. Each label kind is one-hot with a slot for "unknown"; training hides each label now
and then (``LABEL_DROPOUT``), so that the unknown slot learns what a solo of any style sounds like.

A model may also hear the performer: its own vocabulary of players (ModelConfig.performers, those with
enough training solos), one-hot with an unknown slot, after the labels. A model without one hears the
``CONTEXT_SIZE`` features alone.
"""

from __future__ import annotations

import numpy as np

from jazz.music.labels import LABEL_KINDS, VOCABULARIES, codes
from jazz.music.notes import Solo

TEMPO_CENTRES = 60.0 * 2.0 ** np.arange(0.0, 2.75, 0.5)  # 60, 85, 120, 170, 240, 339 bpm
TEMPO_WIDTH = 0.5  # octaves of tempo: the bumps overlap their neighbours
REFERENCE_TEMPO = 160.0
TEMPO_FEATURES = 1 + len(TEMPO_CENTRES)
LABEL_SIZES = tuple(1 + len(VOCABULARIES[kind]) for kind in LABEL_KINDS)
CONTEXT_SIZE = TEMPO_FEATURES + sum(LABEL_SIZES)
LABEL_DROPOUT = 0.2  # chance that training hides a label of a solo for an epoch
CONTEXT_GAIN = 10.0
SMOOTHING_CHANGES = 9  # a tempo map's local tempo: the median of this many changes around each


def tempo_features(bpm) -> np.ndarray:
    """(..., TEMPO_FEATURES) float32: log2(bpm / 160), then a bump per tempo band."""
    octaves = np.log2(np.clip(np.asarray(bpm, dtype=np.float32), 20.0, 400.0) / REFERENCE_TEMPO)
    bumps = np.exp(-0.5 * ((octaves[..., None] - np.log2(TEMPO_CENTRES / REFERENCE_TEMPO)) / TEMPO_WIDTH) ** 2)
    return np.concatenate([octaves[..., None], bumps], axis=-1).astype(np.float32)


def context_size(performers: tuple[str, ...] | list[str] = ()) -> int:
    """The context width of a model that knows ``performers`` (none: ``CONTEXT_SIZE``)."""
    return CONTEXT_SIZE + (1 + len(performers) if performers else 0)


def label_features(codes: np.ndarray, performers: int = 0) -> np.ndarray:
    """(..., sum(LABEL_SIZES) [+ 1 + performers]) one-hot label codes (one code per kind, then the performer's
    if ``performers`` > 0; 0: unknown)."""
    codes = np.asarray(codes, dtype=np.int64)
    sizes = LABEL_SIZES + ((1 + performers,) if performers else ())
    parts = [np.eye(size, dtype=np.float32)[codes[..., i]] for i, size in enumerate(sizes)]
    return np.concatenate(parts, axis=-1)


def context_features(bpm, codes, performers: int = 0) -> np.ndarray:
    """(..., context_size) float32: tempo features and one-hot labels, times ``CONTEXT_GAIN``; ``codes``
    (one per label kind, then the performer's for a model that knows ``performers`` > 0 of them) broadcasts
    against ``bpm``."""
    bpm = np.asarray(bpm, dtype=np.float32)
    kinds = len(LABEL_KINDS) + bool(performers)
    labels = label_features(np.broadcast_to(np.asarray(codes), bpm.shape + (kinds,)), performers)
    return CONTEXT_GAIN * np.concatenate([tempo_features(bpm), labels], axis=-1)


def performer_key(name: str | None) -> str:
    """A performer's name as matched: lower case, without spaces or punctuation ("Charlie Parker" =
    "charlieparker")."""
    return "".join(ch for ch in (name or "").lower() if ch.isalnum())


def performer_code(name: str | None, performers: tuple[str, ...] | list[str]) -> int:
    """A performer's code for a model that knows ``performers``: 1 + its place there, 0 if unknown."""
    keys = [performer_key(p) for p in performers]
    key = performer_key(name)
    return 1 + keys.index(key) if key and key in keys else 0


def solo_codes(labels: dict[str, str], performers: tuple[str, ...] | list[str] = ()) -> tuple[int, ...]:
    """A solo's label codes as a model hears them: one per kind, then its performer's if the model knows any."""
    return codes(labels) + ((performer_code(labels.get("performer"), performers),) if performers else ())


def local_tempo(solo: Solo, steps: np.ndarray) -> np.ndarray:
    """The tempo (bpm) at each grid step: the tempo map, smoothed by a running median over its changes
    (a played beat track jitters from beat to beat)."""
    at, bpm = solo.tempo_map()
    bpm = np.asarray(bpm, dtype=np.float32)
    if len(bpm) > 2:
        half = SMOOTHING_CHANGES // 2
        padded = np.pad(bpm, half, mode="edge")
        bpm = np.median(np.lib.stride_tricks.sliding_window_view(padded, SMOOTHING_CHANGES), axis=-1)
    index = np.searchsorted(np.asarray(at), np.asarray(steps), side="right") - 1
    return bpm[np.maximum(index, 0)].astype(np.float32)


def hide_labels(codes: np.ndarray, rng: np.random.Generator, rate: float = LABEL_DROPOUT) -> np.ndarray:
    """``codes`` (solos, kinds) with each label set to unknown with probability ``rate``."""
    return np.where(rng.random(codes.shape) < rate, 0, codes)


def performance_context(tempo: float, labels: dict[str, str] | None = None,
                        performers: tuple[str, ...] | list[str] = (), strength: float = 1.0) -> np.ndarray:
    """(context_size,) what a model that knows ``performers`` hears while it plays at ``tempo`` with ``labels``
    (missing: unknown; a "performer" label is heard by a model that knows that performer), its performer pulled
    ``strength`` times as far as trained (``guided``)."""
    heard = context_features(np.float32(tempo), solo_codes(labels or {}, performers), len(performers))
    return guided(heard, len(performers), strength)


def guided(context: np.ndarray, performers: int, strength: float) -> np.ndarray:
    """``context`` (..., context_size) with its named performer weighted ``strength`` and the unknown slot
    1 - ``strength`` (times ``CONTEXT_GAIN``): guidance. Where the context reaches the scores linearly, a step
    from "unknown" to the player then moves them ``strength`` times as far as training taught; 1: as trained.
    Rows that name no performer, and models that know none, are unchanged."""
    if not performers or strength == 1.0:
        return context
    out = np.array(context, dtype=np.float32)
    block = out[..., -(1 + performers):]  # a view: the performer one-hot, unknown first
    named = block[..., 0] == 0
    block[named] = np.where(block[named] > 0, strength, 0.0) * CONTEXT_GAIN
    block[named, 0] = (1.0 - strength) * CONTEXT_GAIN
    return out


def unknown_context(model, tempo: float = 120.0) -> np.ndarray | None:
    """What ``model`` (a Keras model) hears at ``tempo`` with every label and the performer unknown, as wide as
    its context input; None if it has none."""
    widths = [int(t.shape[-1]) for t in model.inputs if t.name == "context"]
    if not widths:
        return None
    performers = max(widths[0] - CONTEXT_SIZE - 1, 0)
    return context_features(np.float32(tempo), (0,) * (len(LABEL_KINDS) + bool(performers)), performers)
