"""Motif memory: where the current figure went the last time the soloist played it.

Soloists repeat themselves: a riff comes back, a sequence climbs in the same shape, a scale run or a
trill goes on. After each note, look for the latest earlier place in the solo where the same last ``k``
intervals were played (in any key); the interval that followed there, added to the latest pitch, is the
*echo* of order ``k``. In the Weimar solos the order-3 echo is there for 38% of notes and right for a
third of those, far above chance; a model with a motif path (jazz.model.EchoLogits) gets one learned
weight per order for the echoed pitch.

The search looks back over the last ``WINDOW`` notes. Training computes the echoes of a whole solo at
once (``echo_slots``); the sampler keeps the last ``WINDOW`` pitches of every row (``history_*``, written
once for numpy and keras.ops) and computes the same echoes at every step (tested equal).
Pitches are pitch slots as elsewhere (0: none, else 1 + pitch - LOWEST_PITCH); an echo that would leave
the piano is 0.
"""

from __future__ import annotations

import numpy as np

from jazz.music.notes import HIGHEST_PITCH, LOWEST_PITCH

ECHO_ORDERS = (2, 3, 4)  # intervals of context
WINDOW = 128  # notes looked back over
SLOTS = HIGHEST_PITCH - LOWEST_PITCH + 1  # pitch slots 1..SLOTS


NO_ECHO = -128  # in ``echo_intervals``: no earlier figure to echo


def echo_intervals(slots: np.ndarray) -> np.ndarray:
    """(notes, len(ECHO_ORDERS)) int8: after each note of a solo (pitch slots, in order), the interval that
    followed the latest earlier place of the same figure, per order (NO_ECHO where there is none).
    Intervals do not change when a solo is transposed, so echoes of any key follow from them."""
    slots = np.asarray(slots, dtype=np.int64)
    steps = np.diff(slots).tolist()
    out = np.full((len(slots), len(ECHO_ORDERS)), NO_ECHO, dtype=np.int8)
    for column, k in enumerate(ECHO_ORDERS):
        latest: dict[tuple, int] = {}  # context -> index of the interval that followed it
        for n in range(k, len(slots)):
            if n >= k + 1:  # the figure ending at the previous note, and where it went (steps[n - 1])
                latest[tuple(steps[n - 1 - k:n - 1])] = n - 1
            m = latest.get(tuple(steps[n - k:n]))
            if m is not None and m - k >= n - WINDOW + 1:
                out[n, column] = steps[m]
    return out


def echoes_from_intervals(latest: np.ndarray, intervals: np.ndarray) -> np.ndarray:
    """Echo slots from the latest pitch slot (..., ) and ``echo_intervals`` (..., orders): 0 where there is
    no echo or it would leave the piano."""
    echo = latest[..., None].astype(np.int32) + intervals
    return np.where((intervals != NO_ECHO) & (echo >= 1) & (echo <= SLOTS), echo, 0).astype(np.int32)


def echo_slots(slots: np.ndarray) -> np.ndarray:
    """(notes, len(ECHO_ORDERS)): after each note of a solo (pitch slots, in order), the echo of each order."""
    return echoes_from_intervals(np.asarray(slots), echo_intervals(slots))


def echo_inputs(pitch_slots: np.ndarray) -> np.ndarray:
    """(tokens, len(ECHO_ORDERS)): the echoes after the latest note at or before each token (``pitch_slots``:
    every token's pitch slot, 0 for non-pitch tokens), as the model's ``echo`` input."""
    played = pitch_slots[pitch_slots > 0]
    per_note = np.concatenate([np.zeros((1, len(ECHO_ORDERS)), np.int32), echo_slots(played)])
    return per_note[np.cumsum(pitch_slots > 0)]


def history_start(batch: int) -> dict:
    """No notes yet, for ``batch`` rows: the last WINDOW pitches, right-aligned, and how many are real."""
    return {"pitches": np.zeros((batch, WINDOW), dtype=np.int32), "count": np.zeros(batch, dtype=np.int32)}


def history_push(history: dict, slots, xp=np) -> dict:
    """The history after each row's token: its pitch slot appended where it is a pitch (slot > 0)."""
    pitches = history["pitches"]
    shifted = xp.concatenate([pitches[:, 1:], slots[:, None]], axis=1)
    played = slots > 0
    return {"pitches": xp.where(played[:, None], shifted, pitches),
            "count": xp.minimum(history["count"] + xp.where(played, 1, 0), WINDOW)}


def history_echo(history: dict, xp=np):
    """(batch, len(ECHO_ORDERS)): the echoes after each row's latest note, as ``echo_slots`` gives them."""
    pitches, count = history["pitches"], history["count"]
    steps = pitches[:, 1:] - pitches[:, :-1]  # steps[:, j] joins buffer notes j and j + 1
    width = WINDOW - 1
    position = xp.arange(width)[None, :]
    first_real = WINDOW - count[:, None]  # buffer index of the oldest real note
    columns = []
    for k in ECHO_ORDERS:
        context = steps[:, width - k:]  # the last k intervals
        match = (position >= k) & (position - k >= first_real) & (count[:, None] >= k + 1)
        for i in range(k):  # interval m - k + i must equal context i, for a follower at m
            shifted = xp.concatenate([xp.zeros_like(steps[:, :k - i]), steps[:, :width - (k - i)]], axis=1)
            match = match & (shifted == context[:, i:i + 1])
        latest = xp.max(xp.where(match, position, -1), axis=1)
        follower = xp.take_along_axis(steps, xp.maximum(latest, 0)[:, None], axis=1)[:, 0]
        echo = pitches[:, -1] + follower
        columns.append(xp.where((latest >= 0) & (echo >= 1) & (echo <= SLOTS), echo, 0))
    return xp.stack(columns, axis=1)


MEMORY_NOTES = 16  # notes whose pitch classes make the pitch-class memory


def pitch_class_shares(slots: np.ndarray, notes: int = MEMORY_NOTES) -> np.ndarray:
    """(notes of the solo, 12): before each note (``slots``: the solo's pitch slots in order), the share of
    each pitch class among the last ``notes`` notes (all zero before the first)."""
    classes = (np.asarray(slots, dtype=np.int64) - 1 + LOWEST_PITCH) % 12
    counts = np.concatenate([np.zeros((1, 12)), np.cumsum(np.eye(12)[classes], axis=0)])  # of the first k notes
    index = np.arange(len(classes))
    recent = counts[index] - counts[np.maximum(index - notes, 0)]
    return recent / np.maximum(recent.sum(axis=1, keepdims=True), 1)


def history_pitch_classes(history: dict, notes: int = MEMORY_NOTES, xp=np):
    """(batch, 12): the share of each pitch class among each row's last ``notes`` notes, as
    ``pitch_class_shares`` gives them before the next note."""
    last = history["pitches"][:, -notes:]
    real = xp.arange(notes)[None, :] >= notes - xp.minimum(history["count"], notes)[:, None]
    member = ((last - 1 + LOWEST_PITCH) % 12)[:, :, None] == xp.arange(12)[None, None, :]
    counts = xp.sum(xp.where(real[:, :, None] & member, 1.0, 0.0), axis=1)
    return counts / xp.maximum(xp.sum(counts, axis=1, keepdims=True), 1.0)
