"""Language identification mapped to nl / en / other ISO 639-1 codes."""

from __future__ import annotations

import re
from functools import lru_cache

_WORD = re.compile(r"[^\W\d_]{2,}")
# Very frequent function words: a cheap, robust vote for short or mixed text.
_NL = frozenset("de het een en van in is dat op te zijn voor met niet die er ook aan om als bij "
                "naar maar dan nog wordt worden heeft hebben door deze kan zal".split())
_EN = frozenset("the a an and of in is that on to be for with not this it are as at by from "
                "but has have was were will which its their been can said".split())


@lru_cache(maxsize=1)
def _identifier():  # type: ignore[no-untyped-def]
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_pickled_model(MODEL_FILE, norm_probs=True)


def detect(text: str, sample: int = 4000) -> str:
    """Return "nl", "en" or another ISO 639-1 code ("und" when there is no text)."""
    words = _WORD.findall(text[:sample])
    if not words:
        return "und"
    low = [w.lower() for w in words]
    nl = sum(w in _NL for w in low)
    en = sum(w in _EN for w in low)
    if nl + en >= 4:
        if nl >= 2 * en:
            return "nl"
        if en >= 2 * nl:
            return "en"
    lang, _ = _identifier().classify(" ".join(words[:600]))
    if lang in ("nl", "af", "fy", "li"):
        return "nl"
    return str(lang)
