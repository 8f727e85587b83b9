"""Fit the relevance weights (nlp/data/relevance.toml).

    python -m nlp.tools.fit_relevance [GOLD.jsonl ...]

Logistic regression by gradient descent on the cue features of nlp/relevance.py,
pulled toward the hand-set model (nlp/data/relevance_prior.toml) by ``L2``, on the
dev work set (shared/eval/dev.jsonl less its lockbox) or the given gold files;
writes the weights file. ``L2`` and ``THRESHOLD`` were chosen by story-grouped
5-fold CV on the dev work set (bench/nlp_eval.py --cv 5 refits this model inside
every fold).
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import numpy as np

from nlp.relevance import FEATURES, features
from nlp.tools.learn import logistic, read_row
from nlp.tools.splits import training_rows

DATA = Path(__file__).resolve().parents[1] / "data" / "relevance.toml"
PRIOR = DATA.with_name("relevance_prior.toml")
L2 = 0.3  # toward the prior; 0.3, 1, 3, 10 and a free fit (0.01 toward 0) tried
THRESHOLD = 0.3  # below 0.5, as a missed relevant article loses all its events; 0.5 tried


def featurise(rows: list[dict]) -> list[list[float]]:
    out = []
    for r in rows:
        rd = read_row(r)
        f = features(rd.doc, rd.labels, rd.mentions.phrases)
        out.append([f[k] for k in FEATURES])
    return out


def fit(x: list[list[float]], y: list[int], l2: float = L2,
        steps: int = 3000, lr: float = 0.1) -> tuple[float, list[float]]:
    """Bias and weights pulled toward the prior by ``l2``."""
    prior = tomllib.loads(PRIOR.read_text(encoding="utf-8"))
    w0 = np.array([float(prior["weights"].get(k, 0.0)) for k in FEATURES])
    b, w = logistic(np.array(x, dtype=float), np.array(y, dtype=float), w0,
                    float(prior["bias"]), l2 * len(x), steps=steps, lr=lr)
    return b, [float(v) for v in w]


def fit_rows(rows: list[dict], threshold: float = THRESHOLD) -> dict:
    """Relevance weights (the shape of data/relevance.toml) fitted on gold rows."""
    b, w = fit(featurise(rows), [int(bool(r.get("relevant"))) for r in rows])
    return {"bias": b, "threshold": threshold, "weights": dict(zip(FEATURES, w, strict=True))}


def to_toml(weights: dict) -> str:
    lines = ["# Logistic relevance model over cue features (nlp/relevance.py), written by",
             "# python -m nlp.tools.fit_relevance; do not edit by hand.",
             f"threshold = {weights['threshold']}", f"bias = {weights['bias']:.4f}",
             "[weights]"]
    lines += [f"{k} = {v:.4f}" for k, v in weights["weights"].items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    rows = training_rows(argv)
    DATA.write_text(to_toml(fit_rows(rows)), encoding="utf-8")
    print(f"fitted on {len(rows)} articles ({sum(bool(r.get('relevant')) for r in rows)} "
          f"relevant) -> {DATA}")


if __name__ == "__main__":
    main(sys.argv[1:])
