"""The CPU-bound steps (trafilatura, NLP) as plain functions, so they can run in
worker processes (``--workers``) or in the crawl process, and be reused by
``toezicht reprocess``."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from multiprocessing.connection import Connection
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


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with_parent(parent_pid: int, lifeline: Connection | None) -> None:
    """Make this worker die when the process that owns the pool dies, even by SIGKILL
    (nothing in the parent runs then). Linux: the kernel sends SIGKILL on the
    parent's death (``PR_SET_PDEATHSIG``). Everywhere: a thread waits on the pool's
    lifeline pipe, whose only write end the parent holds; when the parent is gone
    the read returns end-of-file and the worker exits at once. With the workers gone
    the multiprocessing resource tracker loses its last client and exits too.

    The worker ignores SIGINT and SIGTERM: Ctrl-C reaches the terminal's whole
    process group and a service manager signals every process of the service, but
    the parent decides, finishing the pages in flight in these workers first."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent_pid:  # the parent died before the above took effect
        os._exit(1)
    if lifeline is not None:
        threading.Thread(target=_watch_lifeline, args=(lifeline,), name="lifeline",
                         daemon=True).start()


def _watch_lifeline(lifeline: Connection) -> None:
    try:
        lifeline.recv_bytes()  # the parent never writes: this returns only at its end
    except (EOFError, OSError):
        pass
    os._exit(1)


def _worker_init(parent_pid: int | None = None, lifeline: Connection | None = None) -> None:
    """Initializer of every worker: tie it to its parent, then warm it up."""
    if parent_pid is not None:
        _die_with_parent(parent_pid, lifeline)
    _warm_up()


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


class WorkerPool(ProcessPoolExecutor):
    """A spawn-context process pool whose workers die with this process, however it
    ends (see :func:`_die_with_parent`), and that can be stopped at once (:meth:`kill`).

    Workers are spawned as work arrives, from the thread that submits it; Linux's
    parent-death signal follows that thread, so submit from the main thread (the
    crawl's reactor and ``reprocess`` do) or rely on the lifeline alone.
    """

    def __init__(self, workers: int) -> None:
        read_fd, write_fd = os.pipe()  # not inheritable: only this process writes
        self._lifeline_w: int | None = write_fd
        # Pickled for each spawned worker as a duplicate of the read end (spawn passes it).
        self._lifeline_r: Connection | None = Connection(read_fd, writable=False)
        super().__init__(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                         initializer=_worker_init,
                         initargs=(os.getpid(), self._lifeline_r))

    def kill(self) -> None:
        """SIGKILL every worker now (their work is lost; the pool is broken after)."""
        for proc in list((self._processes or {}).values()):
            try:
                proc.kill()
            except (OSError, ValueError, AttributeError):
                pass

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        super().shutdown(wait=wait, cancel_futures=cancel_futures)
        if wait:
            self._close_lifeline()

    def _close_lifeline(self) -> None:
        if self._lifeline_r is not None:
            self._lifeline_r.close()
            self._lifeline_r = None
        if self._lifeline_w is not None:
            os.close(self._lifeline_w)  # workers still alive see end-of-file and exit
            self._lifeline_w = None


def make_pool(workers: int) -> WorkerPool | None:
    """A process pool of ``workers`` processes (None for 0: work in-process)."""
    if workers <= 0:
        return None
    return WorkerPool(workers)


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
