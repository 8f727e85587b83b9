"""Relevance: is the article about AI-made sexual imagery of real people, or
regulatory action against it? A logistic score over topic cue counts whose
weights live in data/relevance.toml (fitted with nlp/tools/fit_relevance.py)."""

from __future__ import annotations

import math
from typing import Any

from spacy.tokens import Doc

FEATURES = ("strong", "sexual", "ai", "deep", "imagery", "consent", "negative",
            "cooc", "sex_img", "no_sexual", "no_ai")


def features(doc: Doc, labels: list[tuple[str, ...]],
             phrases: list[tuple[str, int, int]]) -> dict[str, float]:
    raw = dict.fromkeys(FEATURES, 0.0)
    strong_at = {a for k, a, _ in phrases if k.startswith("REL|")}
    raw["strong"] = len(strong_at)
    for sent in doc.sents:
        sx = ai = img = False
        for i in range(sent.start, sent.end):
            lab = labels[i]
            if i in strong_at:
                sx = ai = True
            if not lab:
                continue
            for name in ("strong", "sexual", "ai", "deep", "imagery", "consent", "negative"):
                if "rel:" + name in lab:
                    raw[name] += 1
            if "rel:strong" in lab or "rel:deep" in lab:
                ai = True
            if "rel:strong" in lab or "rel:sexual" in lab:
                sx = True
            if "rel:imagery" in lab:
                img = True
        raw["cooc"] += sx and ai
        raw["sex_img"] += sx and img
    # once a sentence states sexual imagery, other-topic words (copyright, voice) name
    # the legal vehicle or context of the story, not another subject
    if raw["sex_img"] > 0:
        raw["negative"] = 0.0
    raw["no_sexual"] = float(raw["sexual"] == 0 and raw["strong"] == 0)
    raw["no_ai"] = float(raw["ai"] == 0 and raw["deep"] == 0 and raw["strong"] == 0)
    return {k: (v if k.startswith("no_") else math.log1p(v)) for k, v in raw.items()}


def score(f: dict[str, float], weights: dict[str, Any]) -> float:
    x = float(weights.get("bias", 0.0))
    w = weights.get("weights", {})
    for k, v in f.items():
        x += float(w.get(k, 0.0)) * v
    return 1 / (1 + math.exp(-max(-30.0, min(30.0, x))))
