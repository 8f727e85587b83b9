"""The CPU-bound steps (trafilatura, NLP) as plain functions, so they can run in
worker processes (``--workers``) or in the crawl process, and be reused by
``toezicht reprocess``."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any

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
    from crawler.extract import extract_article  # heavy: only where extraction runs

    return extract_article(
        fields["body"], fields["url"], content_type=fields.get("content_type"),
        feed_date=fields.get("feed_date"), feed_title=fields.get("feed_title"),
        lang_hint=fields.get("lang_hint"), source=fields.get("source"),
        request_url=fields.get("request_url"), fetched_at=fields.get("fetched_at"),
        status=fields.get("status"),
    )


def analyse_fields(article: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None,
                                                     str | None]:
    """Run the NLP analysis on an extracted article.

    Returns ``(analysis dict, detected language, NLP version)``; ``(None, None, None)``
    when the nlp package is not installed or the page is not an article.
    """
    return analyse_batch([article])[0]


def analyse_batch(articles: list[dict[str, Any]]
                  ) -> list[tuple[dict[str, Any] | None, str | None, str | None]]:
    """:func:`analyse_fields` for many articles at once (``nlp.analyze_many`` batches
    them through spaCy, which is faster than one by one)."""
    mod = load_nlp()
    out: list[tuple[dict[str, Any] | None, str | None, str | None]] = [(None, None, None)] * len(
        articles)
    todo = [i for i, a in enumerate(articles)
            if mod is not None and a.get("kind") == "article" and a.get("text")]
    if not todo:
        return out
    version = getattr(mod, "NLP_VERSION", None)
    items = [(articles[i]["text"], {"published": articles[i].get("published"),
                                    "title": articles[i].get("title")}) for i in todo]
    if hasattr(mod, "analyze_many"):
        results = list(mod.analyze_many(items))
    else:
        results = [mod.analyze(text, lang=None, **kw) for text, kw in items]
    for i, result in zip(todo, results, strict=True):
        data = result.to_dict() if hasattr(result, "to_dict") else dict(result)
        out[i] = (data, getattr(result, "lang", None) or data.get("lang"), version)
    return out


def process_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Extract and analyse in one go (used by ``reprocess``)."""
    article = extract_fields(fields)
    analysis, lang, version = analyse_fields(article)
    article["analysis"] = analysis
    article["nlp_version"] = version
    if lang:
        article["lang"] = lang
    return article


_LIBC: Any = None
_calls = 0
TRIM_EVERY = 25  # worker calls between returning freed memory to the OS


def _libc() -> Any:
    global _LIBC
    if _LIBC is None:
        try:
            import ctypes

            _LIBC = ctypes.CDLL("libc.so.6")
            _LIBC.malloc_trim  # noqa: B018 - glibc only
        except (OSError, AttributeError):
            _LIBC = False
    return _LIBC


def tune_malloc() -> None:
    """Keep large buffers (pages, parse trees) out of the heap so freeing them returns
    the memory; glibc otherwise raises its mmap threshold and RSS only grows."""
    libc = _libc()
    if libc:
        libc.mallopt(-3, 256 * 1024)  # M_MMAP_THRESHOLD, fixed (disables the dynamic one)
        libc.mallopt(-8, 2)  # M_ARENA_MAX: store/index threads share arenas, not 8 per core


def trim_memory() -> None:
    """Hand freed heap memory back to the OS (glibc ``malloc_trim``)."""
    libc = _libc()
    if libc:
        libc.malloc_trim(0)


def _after_call() -> None:
    global _calls
    _calls += 1
    if _calls % TRIM_EVERY == 0:
        trim_memory()


# Worker processes are the parallelism: numeric libraries must not add threads of their
# own (OpenBLAS spins its threads and steals the other workers' cores).
SINGLE_THREAD_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
                     "MKL_NUM_THREADS": "1", "NUMEXPR_NUM_THREADS": "1"}


def _warm_up() -> None:
    """Import the heavy modules once per worker, before the first page arrives."""
    for key, value in SINGLE_THREAD_ENV.items():
        os.environ.setdefault(key, value)
    tune_malloc()
    load_nlp()
    from crawler import extract  # noqa: F401


def extract_in_worker(fields: dict[str, Any]) -> dict[str, Any]:
    """:func:`extract_fields` for the worker pool (keeps worker memory flat)."""
    try:
        return extract_fields(fields)
    finally:
        _after_call()


def analyse_in_worker(articles: list[dict[str, Any]]
                      ) -> list[tuple[dict[str, Any] | None, str | None, str | None]]:
    """:func:`analyse_batch` for the worker pool (keeps worker memory flat)."""
    try:
        return analyse_batch(articles)
    finally:
        _after_call()


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


class Batcher:
    """Collect single calls into batches for ``fn(list) -> list`` run in ``pool``: a
    batch goes when it has ``size`` items or ``delay`` seconds after its first one."""

    def __init__(self, pool: Executor | None, fn: Callable[[list[Any]], list[Any]],
                 size: int = 8, delay: float = 0.05) -> None:
        self.pool, self.fn, self.size, self.delay = pool, fn, size, delay
        self.pending: list[tuple[Any, asyncio.Future[Any]]] = []
        self.timer: asyncio.TimerHandle | None = None
        self.tasks: set[asyncio.Task[None]] = set()

    async def submit(self, arg: Any) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self.pending.append((arg, future))
        if len(self.pending) >= self.size:
            self.flush()
        elif self.timer is None:
            self.timer = loop.call_later(self.delay, self.flush)
        return await future

    def flush(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        batch, self.pending = self.pending, []
        if batch:
            task = asyncio.ensure_future(self._run(batch))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _run(self, batch: list[tuple[Any, asyncio.Future[Any]]]) -> None:
        try:
            results = await run_in(self.pool, self.fn, [arg for arg, _ in batch])
        except Exception as exc:  # every caller of the batch gets the error
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)
