"""The Kneser–Ney n-gram baseline: normalization, agreement with a plain reference, order choice, real tokens."""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import numpy as np
import pytest

from jazz.measure.ngram import NGram, choose_order, discount

V = 12


def random_sequences(n: int, seed: int, low: int = 2, high: int = 9) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [np.concatenate([[1], rng.integers(low, high, size=rng.integers(3, 30))]) for _ in range(n)]


def markov_sequences(n: int, seed: int, length: int = 60) -> list[np.ndarray]:
    """Token t mostly equals (t[-1] + t[-2]) mod 8 + 2: an order-3 process."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        seq = [1, int(rng.integers(2, 10)), int(rng.integers(2, 10))]
        while len(seq) < length:
            nxt = (seq[-1] + seq[-2]) % 8 + 2 if rng.random() < 0.9 else int(rng.integers(2, 10))
            seq.append(nxt)
        out.append(np.array(seq))
    return out


def reference_logprob(train: list, sequence, order: int, vocab: int) -> float:
    """Interpolated Kneser–Ney written out with dictionaries of tuples, for a few short sequences."""
    pad = [vocab] * (order - 1)
    raw = [Counter() for _ in range(order + 1)]
    before = [defaultdict(set) for _ in range(order + 1)]
    for seq in train:
        p = pad + list(seq)
        for t in range(order, len(p)):
            for k in range(1, order + 1):
                gram = tuple(p[t - k + 1:t + 1])
                raw[k][gram] += 1
                before[k][gram].add(p[t - k])
    counts = [raw[k] if k == order else {g: len(before[k][g]) for g in raw[k]} for k in range(order + 1)]
    discounts = [discount(np.array(list(c.values()))) if c else 0 for c in counts]
    p, total = pad + list(sequence), 0.0
    for t in range(order, len(p)):
        prob = 1.0 / vocab
        for k in range(1, order + 1):
            context = tuple(p[t - k + 1:t])
            following = {g: c for g, c in counts[k].items() if g[:-1] == context}
            if not following:
                continue
            size, d = sum(following.values()), discounts[k]
            prob = max(following.get(context + (p[t],), 0) - d, 0) / size + d * len(following) / size * prob
        total += math.log(prob)
    return total


def test_discount_from_count_of_counts():
    assert discount(np.array([1, 1, 1, 2, 5])) == pytest.approx(3 / (3 + 2))
    assert discount(np.array([3, 4])) == 0.5  # no singletons: a middle value, never 0


@pytest.mark.parametrize("order", [1, 2, 3, 5])
def test_every_distribution_sums_to_one_and_is_positive(order):
    model = NGram(order, V).fit(random_sequences(40, seed=order))
    rng = np.random.default_rng(7)
    histories = [[1], [1, 11, 11, 11], [1, 0, 10]]
    histories += [[1, *rng.integers(0, V, size=rng.integers(0, 9))] for _ in range(20)]
    for history in histories:
        for k in range(1, order + 1):
            probs = model.distribution(history, order=k)
            assert probs.shape == (V,)
            assert probs.sum() == pytest.approx(1.0, abs=1e-12)
            assert probs.min() > 0


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_agrees_with_the_dictionary_reference(order):
    train, test = random_sequences(15, seed=1, low=2, high=6), random_sequences(4, seed=2, low=0, high=V)
    fitted = NGram(order, V).fit(train)
    higher = NGram(6, V).fit(train)  # fitted higher, scored at ``order``: the same model
    for seq in test:
        expected = reference_logprob(train, seq, order, V)
        assert fitted.logprob(seq) == pytest.approx(expected, rel=1e-10)
        assert higher.logprob(seq, order=order) == pytest.approx(expected, rel=1e-10)


def test_logprob_sums_token_logprobs_and_skips_the_first_token():
    train = random_sequences(20, seed=3)
    model = NGram(3, V).fit(train)
    seq = train[0]
    per_token = model.token_logprobs([seq])
    assert len(per_token) == len(seq) - 1
    assert model.logprob(seq) == pytest.approx(per_token.sum())
    assert model.logprob(seq[:1]) == 0.0
    chained = sum(math.log(model.distribution(seq[:i])[seq[i]]) for i in range(1, len(seq)))
    assert model.logprob(seq) == pytest.approx(chained)


def test_choose_order_finds_the_order_of_the_process():
    best, bits = choose_order(markov_sequences(60, seed=0), markov_sequences(10, seed=1), orders=range(1, 7))
    assert set(bits) == set(range(1, 7))
    assert best == min(bits, key=bits.get)
    assert best == 3  # one token before says nothing about the next; two say almost everything
    assert bits[3] < 0.5 * bits[2] and bits[3] < bits[6]


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        NGram(0, V)
    with pytest.raises(ValueError):
        NGram(2, V).fit([[1, V]])
    with pytest.raises(ValueError):
        NGram(2, V).logprob([1, 2])  # not fitted
    with pytest.raises(ValueError):
        NGram(2, V).fit(random_sequences(3, 0)).logprob([1, 2], order=3)


def test_higher_orders_beat_the_unigram_on_real_solos(wjazzd_midi, tmp_path, monkeypatch):
    monkeypatch.setenv("JAZZ_CACHE_DIR", str(tmp_path))
    from jazz.midi.corpus import load_corpus
    from jazz.model.tokens import Tokenizer

    tok = Tokenizer()
    files = sorted(wjazzd_midi.glob("*.mid"))[:14]
    ids = [tok.encode(s) for s in load_corpus(files, jobs=1).solos]
    train, held_out = ids[:12], ids[12:]
    best, bits = choose_order(train[:10], train[10:], orders=range(1, 7), vocab_size=tok.size)
    assert best > 1 and bits[best] < bits[1] - 1.0
    model = NGram(best, tok.size).fit(train)
    assert model.bits_per_token(held_out) < NGram(1, tok.size).fit(train).bits_per_token(held_out) - 1.0
