"""Fit the event scorer (nlp/data/event_scorer.json) on annotated articles.

    python -m nlp.tools.fit_events [GOLD.jsonl ...]     # default: the dev work set

Each candidate the rules propose (nlp/events.py ``propose``) is a positive example
when the article's gold events hold its (jurisdiction, measure), else a negative one.
L2-regularised logistic regression by gradient descent, pulled toward the rules'
verdict (nlp/scorer.py ``prior``), so rare features stay where the rules put them.
Deterministic: same data, same weights. The lockbox of the dev set
(nlp/tools/splits.py) is never part of the default training data.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nlp.dates import to_date
from nlp.events import propose
from nlp.gazetteer import load
from nlp.scorer import DATA, PRIOR_BIAS, Scorer, prior
from nlp.tools.learn import logistic, read_row
from nlp.tools.splits import training_rows

L2 = 20.0  # chosen by 5-fold CV on the dev work set (5, 10, 20, 40 tried)
MIN_COUNT = 3  # a feature seen in fewer candidates keeps its prior weight


@dataclass
class Example:
    article: str
    lang: str
    feats: dict[str, float]
    label: int


def _key(jurisdiction: str, measure: str) -> tuple[str, str]:
    return (str(jurisdiction or "").strip().upper(), str(measure or "").strip().lower())


def examples(rows: Iterable[dict[str, Any]]) -> list[Example]:
    """Every candidate of every row (articles judged relevant), labelled by gold."""
    out: list[Example] = []
    g = load()
    for r in rows:
        rd = read_row(r)
        if not rd.relevant:
            continue
        gold = {_key(e.get("jurisdiction"), e.get("measure")) for e in r.get("events", [])}
        for c in propose(rd.doc, g, rd.mentions, rd.labels, to_date(r.get("published")),
                         rd.plang, rd.relevance):
            y = int(_key(c.event.jurisdiction, c.event.measure) in gold)
            out.append(Example(r["id"], rd.lang, c.feats, y))
    return out


def fit(data: Sequence[Example], l2: float = L2) -> Scorer:
    """Weights pulled toward the prior by ``l2``; features rarer than MIN_COUNT keep it."""
    counts: dict[str, int] = {}
    for ex in data:
        for k in ex.feats:
            counts[k] = counts.get(k, 0) + 1
    names = sorted(k for k, n in counts.items() if n >= MIN_COUNT)
    if not data or not names:
        return Scorer()
    col = {k: j for j, k in enumerate(names)}
    x = np.zeros((len(data), len(names)))
    offset = np.zeros(len(data))  # the prior's contribution of the features left out
    for i, ex in enumerate(data):
        for k, v in ex.feats.items():
            if k in col:
                x[i, col[k]] = v
            else:
                offset[i] += v * prior(k)
    y = np.array([ex.label for ex in data], dtype=float)
    w0 = np.array([prior(k) for k in names])
    b, w = logistic(x, y, w0, PRIOR_BIAS, l2, offset=offset)
    weights = {k: float(v) for k, v in zip(names, w, strict=True) if abs(v - prior(k)) > 1e-3}
    return Scorer(float(b), weights)


def main(argv: list[str]) -> None:
    rows = training_rows(argv)
    data = examples(rows)
    sc = fit(data)
    DATA.write_text(json.dumps(sc.to_dict(), indent=1, sort_keys=True) + "\n",
                    encoding="utf-8")
    pos = sum(ex.label for ex in data)
    print(f"fitted on {len(rows)} articles, {len(data)} candidates ({pos} positive), "
          f"{len(sc.weights)} weights moved from the prior -> {DATA}")


if __name__ == "__main__":
    main(sys.argv[1:])
