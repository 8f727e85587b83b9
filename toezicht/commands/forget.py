"""`toezicht forget URL|ID... | --name NAME... | --log`: erasure on request.

The store's side is index/erasure.py; this command resolves what to erase, holds the
locks that keep crawls, scheduled cycles and rebuilds out while it runs, and then
brings the search indexes in line: Elasticsearch (index/es.py: documents deleted, or
exactly the touched articles indexed again) and the SQLite FTS5 index when the store
has one (folded at once, then its segments merged, so deleted text leaves the file).
Atom feed files written by alert subscriptions are rewritten where their entries
quoted what was erased."""

from __future__ import annotations

import json
import os
import re
import secrets
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import click

from toezicht.config import Config

NOTHING_MATCHED = 3  # exit status: nothing matched, nothing changed
_ID = re.compile(r"^[0-9a-f]{20}$")
KEY_FILE = "erasure.key"


# -- helpers ---------------------------------------------------------------------------


def _store(cfg: Config) -> Any:
    from index.store import Store, StoreError

    try:
        return Store(cfg.resolved_store_url)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None


def _key(cfg: Config, *, create: bool) -> bytes | None:
    """The data directory's erasure key (32 random bytes, mode 0600): the names in the
    erasure log are hashed with it, so the log alone tells nobody which name it was."""
    path = Path(cfg.data_dir) / KEY_FILE
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        if not create:
            return None
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"cannot read the erasure key {path}: {exc}") from None
    key = secrets.token_bytes(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(key.hex() + "\n")
    except FileExistsError:  # another forget made it first
        return _key(cfg, create=False)
    except OSError as exc:
        raise click.ClickException(f"cannot write the erasure key {path}: {exc}") from None
    return key


class _Locks(ExitStack):
    """The scheduler's cycle, every crawl and every rebuild of this data directory
    stay out while an erasure runs (none may store or index what it removes)."""

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        from toezicht.schedule import CrawlLock, LockHeld, crawl_lock, crawl_run_lock

        locks = [crawl_lock(cfg), crawl_run_lock(cfg),
                 CrawlLock(cfg.data_dir, "index-rebuild.lock", "index rebuild")]
        try:
            for lock in locks:
                lock.acquire()
                self.callback(lock.release)
        except LockHeld as exc:
            self.close()
            raise click.ClickException(f"{exc}: wait for it to finish, then forget again"
                                       ) from None


def _parse_refs(refs: tuple[str, ...]) -> list[tuple[str, str, str | None]]:
    """(ref, id, canonical URL or None) per reference; bad ones are one error."""
    from crawler.urls import canonical_id, canonicalize, is_http

    out = []
    for ref in refs:
        value = ref.strip()
        if _ID.match(value.lower()):
            out.append((ref, value.lower(), None))
            continue
        try:
            canon = canonicalize(value)
        except ValueError:
            canon = ""
        if not canon or not is_http(canon):
            raise click.ClickException(f"{ref!r} is neither an article id (20 hex digits) "
                                       "nor an http(s) URL")
        out.append((ref, canonical_id(canon), canon))
    return out


def _alias_ids(row: dict[str, Any]) -> set[str]:
    """The ids of the URLs an article is known by (its discovered and canonical URL)."""
    from crawler.urls import canonical_id

    ids = set()
    for url in (row.get("url"), row.get("canonical_url")):
        try:
            if url:
                ids.add(canonical_id(url))
        except ValueError:
            pass
    return ids


def _es_client(cfg: Config) -> tuple[Any, bool]:
    """(client or None, whether Elasticsearch must be updated): always with the
    default search backend; with search_backend = "sqlite" only when it answers."""
    from index.es import make_client, ping

    required = (cfg.search_backend or "elasticsearch").lower() != "sqlite"
    client = make_client(cfg)
    if not required and not ping(client):
        return None, False
    return client, required


def _fts(store: Any) -> Any:
    """The store's SQLite FTS5 index when it has one (made by a search with
    search_backend = "sqlite"), else None."""
    if store.engine.dialect.name != "sqlite":
        return None
    from sqlalchemy import text

    with store.engine.connect() as conn:
        if conn.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'search_fts'")
                        ).first() is None:
            return None
    from index.search.sqlite_backend import SqliteBackend

    return SqliteBackend(store)


def _fts_update(store: Any) -> str | None:
    """Fold the erasure into the FTS5 index and merge its segments (the deleted text
    leaves the index's b-trees), then checkpoint the WAL. None when there is none."""
    from sqlalchemy import text

    fts = _fts(store)
    if store.engine.dialect.name == "sqlite":
        with store.engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA secure_delete = ON")
    if fts is None:
        _checkpoint(store)
        return None
    try:
        fts.sync()
    finally:
        fts.close()
    with store.engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA secure_delete = ON")
        conn.execute(text("INSERT INTO search_fts(search_fts) VALUES ('optimize')"))
    _checkpoint(store)
    return "sqlite fts5: updated"


def _checkpoint(store: Any) -> None:
    if store.engine.dialect.name == "sqlite":
        with store.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def _clear_http_cache(cfg: Config) -> bool:
    """Empty the crawler's HTTP cache of feeds, sitemaps and listing pages (they quote
    titles and link articles); the next crawl fetches them in full once."""
    import shutil

    path = Path(cfg.data_dir) / "httpcache"
    if not path.exists():
        return False
    shutil.rmtree(path, ignore_errors=True)
    return True


def _rewrite_feeds(cfg: Config, store: Any, outbox_ids: list[int]) -> int:
    """Rewrite the Atom feed entries of changed outbox items already written."""
    if not outbox_ids:
        return 0
    from sqlalchemy import select

    from index.alert_store import alert_outbox
    from toezicht.alerts.channels import atom
    from toezicht.alerts.subscriptions import load_alert_settings
    from toezicht.config import ConfigError

    try:
        subs = load_alert_settings(cfg).subscriptions
    except ConfigError:
        return 0
    items: list[dict[str, Any]] = []
    with store.engine.connect() as conn:
        for start in range(0, len(outbox_ids), 500):
            items += [dict(r) for r in conn.execute(select(alert_outbox).where(
                alert_outbox.c.id.in_(outbox_ids[start:start + 500]),
                alert_outbox.c.channel == "atom", alert_outbox.c.state == "sent")).mappings()]
    done = 0
    for sub in subs:
        mine = [i for i in items if i["subscription"] == sub.name]
        if mine and "atom" in sub.channels:
            try:
                done += atom.rewrite(sub.channels["atom"], mine, subscription=sub.name,
                                     data_dir=cfg.data_dir)
            except (OSError, atom.ET.ParseError) as exc:
                raise click.ClickException(f"cannot rewrite the Atom feed of subscription "
                                           f"{sub.name}: {exc}") from None
    return done


def _update_indexes(cfg: Config, store: Any, *, delete: list[str], push: list[str]
                    ) -> tuple[dict[str, Any], str | None]:
    """Delete ``delete`` from and index ``push`` into Elasticsearch, and fold the FTS5
    index. Returns (what was done, why Elasticsearch could not be updated or None)."""
    from index import es as es_index

    done: dict[str, Any] = {}
    problem = None
    try:
        client, required = _es_client(cfg)
    except Exception as exc:  # noqa: BLE001 (a bad URL or credentials: reported below)
        client, required = None, True
        problem = f"{exc.__class__.__name__}: {exc}"
    if client is not None:
        try:
            if delete:
                erased = es_index.erase_documents(client, cfg.es_index, delete, store)
                done["es_deleted"] = erased["deleted"]
            if push:
                pushed = es_index.index_articles(store, client, cfg.es_index, push)
                done["es_indexed"] = pushed["indexed"]
                done["es_deleted"] = done.get("es_deleted", 0) + pushed["deleted"]
                if pushed["failed"]:
                    problem = f"{pushed['failed']} article(s) failed to index"
            if delete:  # a sync that read them before they went may have pushed them
                left = es_index.present(client, cfg.es_index, delete)
                if left:
                    done["es_deleted"] += es_index.erase_documents(
                        client, cfg.es_index, left, store)["deleted"]
            done["es_index"] = cfg.es_index
        except es_index.SearchBackendError as exc:
            problem = str(exc)
        finally:
            client.close()
    elif required and problem is None:
        problem = "Elasticsearch is not configured"
    from sqlalchemy.exc import SQLAlchemyError

    from index.search.sqlite_backend import SqliteSearchError

    try:
        fts = _fts_update(store)
    except (SqliteSearchError, SQLAlchemyError, OSError) as exc:
        fts = None
        problem = "; ".join(p for p in (problem, f"the SQLite FTS5 index: {exc}") if p)
    if fts:
        done["fts"] = fts
    return done, problem


def _summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items() if v) or "nothing"


def _finish(store: Any, log_id: int | None, counts: dict[str, int], done: dict[str, Any],
            problem: str | None) -> None:
    from index import erasure

    if log_id is None:
        return
    note = ", ".join(f"{k} {v}" for k, v in done.items() if v not in (None, False, 0))
    if problem:
        erasure.log_finished(store, log_id, counts=counts, state="index pending",
                             note=f"{note}; {problem}" if note else problem)
    else:
        erasure.log_finished(store, log_id, counts=counts, state="done", note=note)


def _index_error(problem: str, what: str) -> click.ClickException:
    return click.ClickException(
        f"{what}, but the search index was not updated ({problem}): run `toezicht index "
        "sync` once it is reachable (it deletes what the store no longer has and indexes "
        "what changed)")


# -- the command -----------------------------------------------------------------------


@click.command()
@click.argument("refs", nargs=-1, metavar="[URL|ID]...")
@click.option("--name", "names", multiple=True, metavar="NAME",
              help="Redact this name (repeatable) instead: whole words, any case, any "
                   "spacing, possessives too. Give a surname alone as another --name.")
@click.option("--dry-run", is_flag=True, help="Only count what would change.")
@click.option("--log", "show_log", is_flag=True,
              help="List the erasure log (with --name: only the entries of that name).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.pass_obj
def forget(cfg: Config, refs: tuple[str, ...], names: tuple[str, ...], dry_run: bool,
           show_log: bool, fmt: str, quiet: bool) -> None:
    """Erase on request: remove articles, or redact a name, everywhere Toezicht keeps
    them, and log it.

    \b
    toezicht forget URL|ID...         remove articles completely
    toezicht forget --name "Jane Doe" redact a name from what is kept
    toezicht forget --log             what was erased, when, by whom

    An article (by id, or by its URL in any form that canonicalises to it) goes from
    the store (text, raw HTML, events, its part in actions; an action with no other
    source goes too), from Elasticsearch and the SQLite index, and from the text of
    alerts already sent (they stay in the history). A tombstone (id hashes only) keeps
    every later crawl, reprocess and index sync or rebuild from bringing it back.

    --name replaces the name with "[redacted]" in article titles, texts and
    analyses, event evidence, actions, alert texts and the raw HTML (a page where the
    name is split by markup loses its raw HTML: reprocess then keeps the stored text),
    and indexes exactly the touched articles again. URLs are kept as they are: forget
    an article whose URL names someone.

    Each erasure is logged in the store: when, what kind, how many rows of what, and
    for names a keyed hash (key: <data_dir>/erasure.key), never the name. Crawls,
    scheduled cycles and rebuilds must not run meanwhile (it refuses if one does).

    Exit status: 0 done; 3 nothing matched (nothing changed; some references unknown);
    1 an error, or the store was erased but the search index could not be updated
    (run `toezicht index sync` once Elasticsearch is up).
    """
    if show_log:
        if refs or dry_run:
            raise click.UsageError("--log lists the log: give no URL, ID or --dry-run with it")
        _show_log(cfg, names, fmt)
        return
    if refs and names:
        raise click.UsageError("give URLs/IDs or --name, not both")
    if not refs and not names:
        raise click.UsageError("give the URLs or ids of articles to forget, --name NAME, "
                               "or --log")
    if names:
        _forget_names(cfg, names, dry_run, fmt, quiet)
    else:
        _forget_refs(cfg, refs, dry_run, fmt)


def _forget_refs(cfg: Config, refs: tuple[str, ...], dry_run: bool, fmt: str) -> None:
    from index import erasure

    parsed = _parse_refs(refs)
    store = _store(cfg)
    with ExitStack() as stack:
        if not dry_run:
            stack.enter_context(_Locks(cfg))
        ids = {aid for _, aid, _ in parsed}
        urls = {u for ref, _, canon in parsed if canon for u in (ref.strip(), canon)}
        rows, tombs = erasure.lookup(store, ids, urls)
        targets: dict[str, set[str]] = {}
        already: dict[str, str] = {}
        unknown: list[str] = []
        for ref, aid, canon in parsed:
            hit = [r for r in rows if r["id"] == aid or (canon and {ref.strip(), canon}
                                                         & {r["url"], r["canonical_url"]})]
            for row in hit:
                targets.setdefault(row["id"], set()).update(_alias_ids(row) | {aid})
            if not hit:
                if aid in tombs:
                    already[ref] = tombs[aid]
                else:
                    unknown.append(ref)
        if dry_run:
            counts = _preview(store, sorted(targets))
            _report_refs(fmt, counts, None, {}, already, unknown, dry_run=True)
            if unknown or not targets:
                _nothing(unknown, "")
            return
        if not targets and not already:
            _nothing(unknown, "nothing forgotten")
        log_id: int | None = None
        counts: dict[str, int] = {}
        outbox: list[int] = []
        removed: list[str] = []
        restoried: list[str] = []
        if targets:
            result = erasure.forget_articles(store, targets, requested=len(refs))
            log_id, counts, outbox = result.log_id, result.counts, result.outbox
            removed, restoried = result.removed, result.restoried
            if already:
                counts["already_forgotten"] = len(set(already.values()))
        elif already:  # finish what an earlier forget left to the index, and say so
            log_id = erasure.log_started(store, "article", len(refs))
            counts = {"already_forgotten": len(set(already.values()))}
        done, problem = _update_indexes(cfg, store, delete=sorted(set(removed)
                                                                  | set(already.values())),
                                        push=restoried)
        done["feed_entries_rewritten"] = _rewrite_feeds(cfg, store, outbox)
        done["http_cache_cleared"] = _clear_http_cache(cfg)
        _finish(store, log_id, counts, done, problem)
    _report_refs(fmt, counts, log_id, done, already, unknown, dry_run=False)
    if problem:
        raise _index_error(problem, f"erased from the store (erasure #{log_id})")
    if unknown:
        _nothing(unknown, "the others were forgotten" if targets or already else "")


def _nothing(unknown: list[str], tail: str) -> None:
    msg = ("not stored and not forgotten before: " + ", ".join(unknown)) if unknown \
        else "nothing matched"
    click.echo(f"Error: {msg}" + (f" ({tail})" if tail else ""), err=True)
    sys.exit(NOTHING_MATCHED)


def _preview(store: Any, ids: list[str]) -> dict[str, int]:
    from sqlalchemy import func, select

    from index.store import articles, events, raw_pages

    counts = {"articles": 0, "events": 0, "raw_pages": 0}
    with store.engine.connect() as conn:
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            for key, table, col in (("articles", articles, articles.c.id),
                                    ("events", events, events.c.article_id),
                                    ("raw_pages", raw_pages, raw_pages.c.article_id)):
                counts[key] += int(conn.scalar(select(func.count()).select_from(table)
                                               .where(col.in_(chunk))) or 0)
    return counts


def _report_refs(fmt: str, counts: dict[str, int], log_id: int | None, done: dict[str, Any],
                 already: dict[str, str], unknown: list[str], *, dry_run: bool) -> None:
    if fmt == "json":
        click.echo(json.dumps({"dry_run": dry_run, "erasure": log_id, "counts": counts,
                               "index": done, "already_forgotten": sorted(already),
                               "not_found": unknown}, ensure_ascii=False))
        return
    if dry_run:
        click.echo(f"would forget {counts.get('articles', 0)} article(s): {_summary(counts)} "
                   "(dry run: nothing changed)")
    elif counts.get("articles"):
        click.echo(f"forgot {counts['articles']} article(s): {_summary(counts)}")
    if already:
        click.echo(f"{len(already)} already forgotten before")
    if done:
        click.echo(_index_line(done))
    if log_id is not None:
        click.echo(f"logged as erasure #{log_id} (`toezicht forget --log`)")


def _index_line(done: dict[str, Any]) -> str:
    parts = []
    if "es_index" in done:
        parts.append(f"Elasticsearch {done['es_index']}: {done.get('es_deleted', 0)} "
                     f"deleted, {done.get('es_indexed', 0)} indexed")
    if done.get("fts"):
        parts.append(done["fts"])
    if done.get("feed_entries_rewritten"):
        parts.append(f"{done['feed_entries_rewritten']} Atom feed entries rewritten")
    if done.get("http_cache_cleared"):
        parts.append("crawler HTTP cache emptied")
    return "; ".join(parts) or "no search index to update"


def _forget_names(cfg: Config, names: tuple[str, ...], dry_run: bool, fmt: str,
                  quiet: bool) -> None:
    from index import erasure
    from toezicht.commands.index import _progress

    try:
        redactor = erasure.Redactor(names)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    store = _store(cfg)
    with ExitStack() as stack:
        hashes = None
        if not dry_run:
            stack.enter_context(_Locks(cfg))
            key = _key(cfg, create=True)
            assert key is not None
            hashes = [erasure.name_hash(n, key) for n in redactor.names]
        with _progress("redacting" if not dry_run else "counting",
                       quiet or fmt == "json") as progress:
            result = erasure.redact_names(store, redactor, dry_run=dry_run, hashes=hashes,
                                          progress=progress)
        counts = result.counts
        changed = any(v for k, v in counts.items() if k != "replacements")
        done: dict[str, Any] = {}
        problem = None
        if changed and not dry_run:
            done, problem = _update_indexes(cfg, store, delete=[], push=result.touched)
            done["feed_entries_rewritten"] = _rewrite_feeds(cfg, store, result.outbox)
            done["http_cache_cleared"] = _clear_http_cache(cfg)
        _finish(store, result.log_id, counts, done, problem)
    if fmt == "json":
        click.echo(json.dumps({"dry_run": dry_run, "erasure": result.log_id,
                               "names": len(redactor.names), "counts": counts,
                               "index": done}, ensure_ascii=False))
    elif changed:
        verb = "would redact" if dry_run else "redacted"
        click.echo(f"{verb} {len(redactor.names)} name(s): {counts['articles']} article(s) "
                   f"({counts['titles']} titles, {counts['texts']} texts, {counts['analyses']} "
                   f"analyses), {counts['events']} event(s), raw HTML "
                   f"{counts['raw_pages_redacted']} redacted / {counts['raw_pages_dropped']} "
                   f"dropped, {counts['actions']} action(s), {counts['alert_actions']} alert "
                   f"action(s), {counts['alerts']} alert(s); {counts['replacements']} "
                   "replacement(s)" + (" (dry run: nothing changed)" if dry_run else ""))
        if not dry_run:
            click.echo(_index_line(done))
            click.echo(f"logged as erasure #{result.log_id} (`toezicht forget --log`)")
    if problem:
        raise _index_error(problem, f"redacted in the store (erasure #{result.log_id})")
    if not changed:
        click.echo("Error: no stored text contains the name(s)"
                   + ("" if dry_run else f" (logged as erasure #{result.log_id})"), err=True)
        sys.exit(NOTHING_MATCHED)


def _show_log(cfg: Config, names: tuple[str, ...], fmt: str) -> None:
    from index import erasure

    store = _store(cfg)
    hashes: list[str] | None = None
    if names:
        try:
            clean = [erasure.clean_name(n) for n in names]
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        key = _key(cfg, create=False)
        hashes = [erasure.name_hash(n, key) for n in clean] if key else ["-"]
    entries = erasure.log_entries(store, hashes=hashes)
    if fmt == "json":
        click.echo(json.dumps(entries, ensure_ascii=False, indent=2))
        return
    if not entries:
        click.echo("no erasures logged" + (" for that name" if names else ""))
        return
    for e in entries:
        what = (f"{e['requested']} name(s)" if e["kind"] == "name"
                else f"{e['requested']} reference(s)")
        hashes_shown = " ".join(h[:12] for h in e.get("name_hashes") or [])
        click.echo(f"#{e['id']}  {e['at']}  {e['kind']:<7}  {what}  {e['state']}  "
                   f"by {e.get('operator') or '?'}" + (f"  [{hashes_shown}]" if hashes_shown
                                                       else ""))
        click.echo(f"    {_summary({k: v for k, v in (e['counts'] or {}).items()})}"
                   + (f"; {e['note']}" if e.get("note") else ""))
