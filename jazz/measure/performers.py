"""Whose solo is it? A performer classifier on 8-bar windows, to check that `--like X` plays like X.

Each window of a solo becomes the two-sample test's row of features (jazz.measure.twosample). A logistic
regression (weighting each performer alike) learns the performers of a model's vocabulary from the windows of their real solos in the model's
training split. It is then asked whose the windows of held-out real solos are (the model's validation split,
never the fixed test split): how well these features tell the players apart at all. Then whose the windows of
solos generated over those held-out solos are, each over its own changes, tempo and labels, once told the
solo's performer (`--like X`) and once told no performer: the share attributed to X with `--like X`, beside
the share without it, says what naming the player changes. Chance is one over the performers, or the share
of the commonest performer's windows among the held-out ones if that is more.
"""

from __future__ import annotations

import numpy as np

from jazz.files import UsageError
from jazz.measure.twosample import FEATURES, TEST_BARS, WINDOW_BARS, solo_windows
from jazz.model.context import performer_key
from jazz.music.notes import Solo

REGULARIZATION = 0.1  # the logistic regression's C: on held-out WJazzD solos 0.1 told four players apart better than 1


def classifier():
    """Logistic regression on standardized features (missing values: the training mean), strongly regularized
    (a few hundred windows, many features) and weighting every performer alike."""
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(SimpleImputer(keep_empty_features=True), StandardScaler(),
                         LogisticRegression(C=REGULARIZATION, max_iter=2000, class_weight="balanced"))


def performer_of(solo: Solo, performers: tuple[str, ...]) -> int | None:
    """The index of the solo's performer in ``performers`` (matched as --like matches), or None."""
    keys = [performer_key(p) for p in performers]
    key = performer_key(solo.labels.get("performer"))
    return keys.index(key) if key in keys else None


def window_rows(solos: list[Solo], who: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """The features of every 8-bar window of the solos' first ``TEST_BARS`` bars, and each window's performer."""
    rows, labels = [], []
    for solo, index in zip(solos, who, strict=True):
        windows = solo_windows(solo)[:TEST_BARS // WINDOW_BARS]
        rows += [[w[key] for key in FEATURES] for w in windows]
        labels += [index] * len(windows)
    return np.array(rows, dtype=float).reshape(-1, len(FEATURES)), np.array(labels, dtype=int)


def attributions(model, solos: list[Solo], who: list[int], performers: tuple[str, ...]) -> dict:
    """The share of each performer's windows that ``model`` attributes to them, and over all windows."""
    x, y = window_rows(solos, who)
    if not len(y):
        return {"windows": 0, "share": None, "by_performer": {}}
    said = model.predict(x)
    by = {performers[i]: {"windows": int((y == i).sum()), "share": float(np.mean(said[y == i] == i))}
          for i in sorted(set(y.tolist()))}
    return {"windows": int(len(y)), "share": float(np.mean(said == y)), "by_performer": by}


def performer_test(train: list[Solo], held: list[Solo], performers: tuple[str, ...],
                   generated: dict[str, list[Solo]] | None = None) -> dict:
    """Train the classifier on the windows of ``train`` (real solos of ``performers``), and measure it on the
    held-out real solos ``held`` and on each list of ``generated`` solos (``generated[name][i]`` was played
    over ``held[i % len(held)]``, whose performer is the one to find)."""
    train_who = [performer_of(s, performers) for s in train]
    train = [s for s, i in zip(train, train_who) if i is not None]
    x, y = window_rows(train, [i for i in train_who if i is not None])
    present = sorted(set(y.tolist()))
    if len(present) < 2:
        raise UsageError("the performer test needs training solos of at least two of the model's performers")
    model = classifier().fit(x, y)
    held_who = [performer_of(s, performers) for s in held]
    keep = [k for k, i in enumerate(held_who) if i is not None]
    who = [held_who[k] for k in keep]
    _, held_y = window_rows([held[k] for k in keep], who)
    shares = np.bincount(held_y, minlength=len(performers)) / max(len(held_y), 1)
    result = {"performers": list(performers), "train_solos": len(train), "train_windows": int(len(y)),
              "held_solos": len(keep), "chance": max(1.0 / len(present), float(shares.max(initial=0.0))),
              "real": attributions(model, [held[k] for k in keep], who, performers)}
    for name, solos in (generated or {}).items():
        over = [k for k in range(len(solos)) if k % len(held) in keep]
        result[name] = attributions(model, [solos[k] for k in over], [held_who[k % len(held)] for k in over],
                                    performers)
    return result


def format_performer_table(result: dict) -> str:
    """The test as a small table: per performer, the share of windows attributed to them."""
    sides = [name for name in ("real", "like", "unnamed") if name in result]
    strength = result.get("like_strength", 1.0)
    heads = {"real": "real held-out", "like": "generated --like X" + (f" ({strength:g})" if strength != 1.0 else ""),
             "unnamed": "generated, no performer"}
    lines = [f"performer attribution of 8-bar windows: trained on {result['train_solos']} real solos "
             f"({result['train_windows']} windows), tested on {result['held_solos']} held-out solos; "
             f"chance {result['chance']:.3f}",
             f"{'performer':<22}" + "".join(f"{heads[s]:>26}" for s in sides)]
    names = sorted({p for s in sides for p in result[s]["by_performer"]}, key=result["performers"].index)
    for name in names:
        cells = [result[s]["by_performer"].get(name) for s in sides]
        lines.append(f"{name:<22}" + "".join(f"{'—':>26}" if c is None else f"{c['share']:>18.3f} of {c['windows']:>4}"
                                             for c in cells))
    lines.append(f"{'all':<22}" + "".join(f"{'—':>26}" if result[s]["share"] is None else
                                          f"{result[s]['share']:>18.3f} of {result[s]['windows']:>4}" for s in sides))
    return "\n".join(lines)

