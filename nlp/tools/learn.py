"""What the fitting tools share: reading an annotated row as the extractor reads it,
and one logistic regression (gradient descent, L2 toward prior weights)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from spacy.tokens import Doc

from nlp.analyze import _pipe_lang, clean_text, read
from nlp.langid import detect
from nlp.mentions import Mentions
from nlp.pipeline import parse


@dataclass
class Reading:
    doc: Doc
    lang: str  # as annotated or detected
    plang: str  # the pipeline's language
    labels: list[tuple[str, ...]]
    mentions: Mentions
    relevance: float
    relevant: bool


def read_row(row: dict[str, Any]) -> Reading:
    """A gold row through the same first stages as ``nlp.analyze``."""
    text = clean_text(row.get("text", ""), row.get("title"))
    lang = row.get("lang") or detect(text)
    plang = _pipe_lang(lang)
    doc = next(parse(plang, [text]))
    labels, ms, score, relevant = read(doc, plang)
    return Reading(doc, lang, plang, labels, ms, score, relevant)


def logistic(x: np.ndarray, y: np.ndarray, w0: np.ndarray, b0: float, l2: float, *,
             offset: np.ndarray | None = None, regularise_bias: bool = True,
             steps: int = 2000, lr: float = 0.5) -> tuple[float, np.ndarray]:
    """Bias and weights minimising mean log loss + ``l2``/2n · ||w − w0||² (and the bias
    toward ``b0`` unless ``regularise_bias`` is off); ``offset`` is a fixed per-row
    addend to the logit. Deterministic."""
    n = len(x)
    w = w0.astype(float).copy()
    b = float(b0)
    off = np.zeros(n) if offset is None else offset
    for _ in range(steps):
        z = np.clip(b + off + x @ w, -30, 30)
        e = 1 / (1 + np.exp(-z)) - y
        w -= lr * (x.T @ e / n + l2 * (w - w0) / n)
        b -= lr * (e.mean() + (l2 * (b - b0) / n if regularise_bias else 0.0))
    return b, w
