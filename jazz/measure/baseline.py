"""The n-gram baseline: an interpolated Kneser-Ney model (jazz.measure.ngram) of the token sequences.

It is trained on the model's own training solos (``config.json`` ``split.train``, looked up among the
evaluated solos, in a ``--baseline`` corpus and in the training corpus), its order chosen on a tenth of them.
Without those solos, each evaluated solo is scored by an n-gram fitted on the other folds of the evaluated
solos (cross-fitting); ``data`` says which.
"""

from __future__ import annotations

import random
from collections import Counter

from jazz.measure.ngram import NGram, choose_order
from jazz.model.split import split_by_solo
from jazz.model.tokens import TokenError, Tokenizer
from jazz.music.notes import Solo

NGRAM_ORDERS = range(1, 9)
FOLDS = 5


def encodable(tokenizer: Tokenizer, solo: Solo) -> bool:
    """Whether ``solo`` fits the tokenizer (its meters and pitches are in the vocabulary)."""
    try:
        tokenizer.encode(solo)
    except TokenError:
        return False
    return True


def fit_ngram(tokenizer: Tokenizer, train: list[Solo], seed: int) -> tuple[NGram, dict[int, float]]:
    """An n-gram of the order that does best on a tenth of ``train``, refitted on all of it."""
    fit_part, val_part = split_by_solo(train, 0.1, seed)
    encode = tokenizer.encode
    best, bits = choose_order([encode(s) for s in fit_part], [encode(s) for s in val_part], NGRAM_ORDERS,
                              tokenizer.size)
    return NGram(best, tokenizer.size).fit([encode(s) for s in train]), bits


def ngram_baseline(tok: Tokenizer, solos: list[Solo], train: list[Solo], named: int, seed: int) -> dict:
    """Negative log-likelihood (nats) of ``solos`` under the n-gram trained on ``train`` (the model's training
    solos that were found, of ``named``), its order, and what it was trained on; cross-fitted without them."""
    if len(train) >= 2:
        model, bits = fit_ngram(tok, train, seed)
        nats = -model.token_logprobs([tok.encode(s) for s in solos]).sum()
        data = f"trained on the model's training split ({len(train)} of its {named} training solos found)"
        return {"nats": float(nats), "order": model.order, "validation_bits": bits, "data": data}
    if len(solos) < 3:
        return {"nats": None, "order": None, "validation_bits": {},
                "data": "none: the model's training solos were not found and there are too few solos to cross-fit"}
    return cross_fitted(tok, solos, seed)


def cross_fitted(tokenizer: Tokenizer, solos: list[Solo], seed: int) -> dict:
    """Each solo scored by an n-gram trained on the other folds of ``solos``."""
    folds = min(FOLDS, len(solos))
    order = sorted(range(len(solos)), key=lambda i: solos[i].name)
    random.Random(seed).shuffle(order)
    nats, orders = 0.0, []
    for fold in range(folds):
        held = set(order[fold::folds])
        model, _ = fit_ngram(tokenizer, [s for i, s in enumerate(solos) if i not in held], seed)
        nats -= model.token_logprobs([tokenizer.encode(solos[i]) for i in sorted(held)]).sum()
        orders.append(model.order)
    common = Counter(orders).most_common(1)[0][0]
    data = (f"cross-fitted on the evaluated solos ({folds} folds, orders {sorted(orders)}): "
            "the model's training solos were not found")
    return {"nats": float(nats), "order": common, "validation_bits": {}, "data": data}
