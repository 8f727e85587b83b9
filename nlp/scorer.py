"""The event scorer: a small logistic model that decides which proposed candidate
events (nlp/events.py ``propose``) are reported.

Its weights are data (nlp/data/event_scorer.json), fitted by
``python -m nlp.tools.fit_events`` on annotated articles and regularised toward
the rules' own verdict (``PRIOR``): with no data a flagged candidate is dropped and
an unflagged one kept, exactly as the hand rules did; the data moves a weight only
as far as it has evidence for. Deterministic, no third-party runtime dependency.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "event_scorer.json"
# The rules' verdict as a model: keep (bias) unless a frame argues against it.
PRIOR_BIAS = 3.0
PRIOR_FLAG = -6.0


def prior(name: str) -> float:
    """The weight a feature has before any data: the rules' verdict."""
    return PRIOR_FLAG if name.startswith("flag:") else 0.0


@dataclass(frozen=True)
class Scorer:
    bias: float = PRIOR_BIAS
    weights: Mapping[str, float] = field(default_factory=dict)
    threshold: float = 0.5

    def logit(self, feats: Mapping[str, float]) -> float:
        w = self.weights
        return self.bias + sum(v * w.get(k, prior(k)) for k, v in feats.items())

    def prob(self, feats: Mapping[str, float]) -> float:
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, self.logit(feats)))))

    def keep(self, feats: Mapping[str, float]) -> bool:
        return self.prob(feats) >= self.threshold

    def to_dict(self) -> dict:
        return {"bias": round(self.bias, 4), "threshold": self.threshold,
                "weights": {k: round(v, 4) for k, v in sorted(self.weights.items())}}

    @classmethod
    def from_dict(cls, d: Mapping) -> Scorer:
        return cls(float(d.get("bias", PRIOR_BIAS)), dict(d.get("weights", {})),
                   float(d.get("threshold", 0.5)))


RULES = Scorer()  # the hand rules' verdict, no data


@lru_cache(maxsize=1)
def default_scorer() -> Scorer:
    """The shipped scorer (the rules' verdict when no weights file is present)."""
    if not DATA.exists():
        return RULES
    return Scorer.from_dict(json.loads(DATA.read_text(encoding="utf-8")))
