"""The CPU-bound steps (trafilatura, NLP) as plain functions, so they can run in
worker processes (``--workers``) or in the crawl process, and be reused by
``toezicht reprocess``."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any

from crawler.extract import extract_article

log = logging.getLogger(__name__)


def load_nlp() -> Any | None:
    """The ``nlp`` package when its ``analyze`` is available, else None."""
    try:
        import nlp
    except ImportError:
        return None
    return nlp if hasattr(nlp, "analyze") else None


def nlp_version() -> str | None:
    mod = load_nlp()
    return getattr(mod, "NLP_VERSION", None) if mod else None


def extract_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """``crawler.extract.extract_article`` over a dict of its arguments (picklable)."""
    return extract_article(
        fields["body"], fields["url"], content_type=fields.get("content_type"),
        feed_date=fields.get("feed_date"), feed_title=fields.get("feed_title"),
        lang_hint=fields.get("lang_hint"), source=fields.get("source"),
        request_url=fields.get("request_url"),
    )


def analyse_fields(article: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None,
                                                     str | None]:
    """Run the NLP analysis on an extracted article.

    Returns ``(analysis dict, detected language, NLP version)``; ``(None, None, None)``
    when the nlp package is not installed or the page is not an article.
    """
    mod = load_nlp()
    if mod is None or article.get("kind") != "article" or not article.get("text"):
        return None, None, None
    result = mod.analyze(article["text"], lang=None, published=article.get("published"),
                         title=article.get("title"))
    data = result.to_dict() if hasattr(result, "to_dict") else dict(result)
    lang = getattr(result, "lang", None) or data.get("lang")
    return data, lang, getattr(mod, "NLP_VERSION", None)


def process_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Extract and analyse in one go (used by ``reprocess``)."""
    article = extract_fields(fields)
    analysis, lang, version = analyse_fields(article)
    article["analysis"] = analysis
    article["nlp_version"] = version
    if lang:
        article["lang"] = lang
    return article


def _warm_up() -> None:
    """Import the heavy modules once per worker, before the first page arrives."""
    load_nlp()


def default_workers() -> int:
    """Worker processes for extraction and NLP: one per core, at most 4."""
    return max(1, min(4, os.cpu_count() or 1))


def make_pool(workers: int) -> Executor | None:
    """A process pool of ``workers`` processes (None for 0: work in-process)."""
    if workers <= 0:
        return None
    ctx = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_warm_up)


async def run_in(pool: Executor | None, fn: Any, *args: Any) -> Any:
    """Run ``fn(*args)`` in ``pool`` (awaiting it), or right here when there is none."""
    if pool is None:
        return fn(*args)
    return await asyncio.wrap_future(pool.submit(fn, *args))
