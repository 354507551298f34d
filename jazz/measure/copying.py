"""Does the model copy its training solos? The longest stretch of a solo found verbatim in one of them.

A stretch of notes is compared by what a listener hears as the same phrase in any key: the interval from
each note to the next and the gap between their onsets (in grid steps). A stretch of ``k`` notes is a
run of ``k - 1`` such pairs, and it is copied if one training solo plays the same run. Real players share
stretches too (licks, quotes, scale runs), so a generated solo is judged against held-out real solos
measured the same way.
"""

from __future__ import annotations

import numpy as np

from jazz.music.notes import Solo


def moves(solo: Solo) -> list[tuple[int, int]]:
    """(interval, onset gap) from each note to the next, in onset order."""
    notes = sorted(solo.notes, key=lambda n: (n.onset, n.pitch))
    return [(b.pitch - a.pitch, b.onset - a.onset) for a, b in zip(notes, notes[1:])]


def longest_copies(solos: list[Solo], training: list[Solo]) -> list[int]:
    """For each solo, the most consecutive notes whose moves occur in that order in one training solo
    (1 where not even two notes do; 0 for a solo without notes).

    Run lengths grow one move at a time while any solo still finds its runs of that length in the
    training set (a copied run's shorter parts are copied too), so the work is the longest copy times
    the notes."""
    sequences = [moves(s) for s in solos]
    known = [moves(s) for s in training]
    best = [min(len(s.notes), 1) for s in solos]
    open_rows = [i for i, seq in enumerate(sequences) if seq]
    length = 1
    while open_rows:
        runs = {tuple(seq[j:j + length]) for seq in known for j in range(len(seq) - length + 1)}
        still = []
        for i in open_rows:
            seq = sequences[i]
            if any(tuple(seq[j:j + length]) in runs for j in range(len(seq) - length + 1)):
                best[i] = length + 1
                still.append(i)
        open_rows, length = still, length + 1
    return best


def copying(generated: list[Solo], real: list[Solo], training: list[Solo]) -> dict:
    """Medians of the longest copied stretches (in notes) of the generated and the real held-out solos."""
    ours, theirs = longest_copies(generated, training), longest_copies(real, training)
    return {"generated_median": float(np.median(ours)) if ours else None,
            "real_median": float(np.median(theirs)) if theirs else None,
            "generated_max": max(ours, default=None), "real_max": max(theirs, default=None),
            "training_solos": len(training)}
