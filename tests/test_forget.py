"""`toezicht forget`: erasure on request, end to end with real parts.

A small news site written for these tests (no real news text, invented names) is
served on 127.0.0.1 and crawled once by a real `toezicht crawl` subprocess into a
real SQLite store and a real Elasticsearch alias; each test works on a copy of that
store with an alias of its own. Forgetting articles (by URL, by id) and redacting a
name are checked in the store, the raw HTML, the events, the actions, Elasticsearch,
the SQLite FTS5 index, search, export, the alert outbox and an Atom feed, and a
re-crawl, `reprocess`, `index sync` and `index rebuild` must not bring anything back.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from support.alerts import ev, make_article
from support.search_fixtures import cli_env

from index.ids import article_id
from index.store import Store
from toezicht.cli import cli
from toezicht.sitesrv import SiteServer

NAME = "Jorinde Quaxelaar"  # invented; so are the articles below
NAME_RX = re.compile(r"quaxelaar|jorinde", re.IGNORECASE)
BACKENDS = ["elasticsearch", "sqlite"]
SECURE_DELETE_DEFAULT = bool(sqlite3.connect(":memory:").execute("PRAGMA secure_delete")
                             .fetchone()[0])

# (path, lang, date, title, paragraphs): own-written, no real news text
PAGES = [
    ("news/ofcom-x-deepfakes.html", "en", "2026-02-02",
     f"Ofcom investigates X after deepfakes of {NAME}",
     [f"Ofcom opened an investigation into X on Monday after Grok was used to make sexual "
      f"deepfake images of {NAME}, a teacher from Leeds.",
      f"The regulator said {NAME}'s images were shared thousands of times before the "
      "platform removed them.",
      "A spokesperson for X said the company was cooperating with the regulator and had "
      "changed its image tools."]),
    ("news/lawyer-statement.html", "en", "2026-02-03",
     "Lawyer calls for faster action on Grok images",
     # the name split by markup: its raw HTML cannot be redacted in place
     ["The lawyer of Jorinde <b>Quaxelaar</b> asked the European Commission to act against "
      "X over sexual deepfakes made with Grok.",
      "The European Commission opened formal proceedings against X under the Digital "
      "Services Act on Tuesday after the deepfake images of jorinde quaxelaar spread.",
      "Campaigners said victims of nudify apps wait far too long for images to be taken "
      "down."]),
    ("news/ap-onderzoek.html", "nl", "2026-02-04", "Autoriteit Persoonsgegevens onderzoekt Grok",
     ["De Autoriteit Persoonsgegevens is een onderzoek gestart naar Grok na klachten over "
      "deepfake naaktbeelden van echte vrouwen die met AI zijn gemaakt.",
      "De toezichthouder wil weten hoe het bedrijf persoonsgegevens gebruikt om beelden te "
      "maken.",
      "Een woordvoerder zei dat een boete mogelijk is als de regels zijn overtreden."]),
    ("news/esafety-followup.html", "en", "2026-02-06", "Nudify apps told to stop by eSafety",
     ["The eSafety Commissioner has issued a formal warning to two nudify apps used to make "
      "sexual deepfakes of real people.",
      "The apps must stop within weeks, the commissioner said, or face fines under the "
      "Online Safety Act.",
      "One of the apps has already left an app store."]),
    ("news/esafety-notice.html", "en", "2026-02-05", "eSafety Commissioner warns nudify apps",
     ["The eSafety Commissioner issued a formal warning to two nudify apps that make sexual "
      "deepfakes of real people.",
      "The commissioner said the apps had to stop within weeks or face fines under the "
      "Online Safety Act.",
      "Both apps were removed from one app store the same day."]),
]
OFCOM, LAWYER, AP, FOLLOWUP, NOTICE = (p[0] for p in PAGES)


def write_site(root: Path) -> Path:
    """The site (``{base}`` is filled in by the server) and its sources file."""
    (root / "news").mkdir(parents=True)
    items = []
    for path, lang, day, title, paragraphs in PAGES:
        body = "".join(f"<p>{p}</p>" for p in paragraphs)
        (root / path).write_text(
            f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'>"
            f"<title>{title}</title><link rel='canonical' href='{{base}}/{path}'>"
            f"<meta property='article:published_time' content='{day}T09:00:00+00:00'>"
            f"</head><body><article><h1>{title}</h1><time datetime='{day}'>{day}</time>"
            f"{body}</article></body></html>", encoding="utf-8")
        items.append(f"<item><title>{title}</title><link>{{base}}/{path}</link></item>")
    (root / "feed.xml").write_text(
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        "<title>Fixture news</title><link>{base}/</link>" + "".join(items)
        + "</channel></rss>", encoding="utf-8")
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n", encoding="utf-8")
    sources = root.parent / "sources.toml"
    sources.write_text('[[source]]\nname = "fixture"\ntype = "feed"\nurl = "{base}/feed.xml"\n',
                       encoding="utf-8")
    return sources


def run(args: list[str], env: dict[str, str | None]) -> Any:
    return CliRunner().invoke(cli, args, env=env)


def one_line(result: Any) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def crawl(site: SiteServer, sources: Path, data: Path, es_url: str, alias: str
          ) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOEZICHT_")}
    env.update(TOEZICHT_DATA_DIR=str(data), TOEZICHT_ES_URL=es_url, TOEZICHT_ES_INDEX=alias,
               TOEZICHT_DOWNLOAD_DELAY="0")
    result = subprocess.run(
        [sys.executable, "-m", "toezicht.cli", "crawl", "--sources", str(sources), "--base",
         site.base_url, "--workers", "0", "--format", "json"],
        env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("forget-site") / "site"
    sources = write_site(root)
    with SiteServer(root) as server:
        server.sources = sources  # type: ignore[attr-defined]
        yield server


@pytest.fixture(scope="module")
def crawled(site: SiteServer, es_client: Any, es_url: str,
            tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A data dir with the site crawled once (store; the index is made per test)."""
    from index import es

    data = tmp_path_factory.mktemp("forget-crawl")
    alias = f"toezicht-test-{uuid.uuid4().hex[:10]}"
    try:
        stats = json.loads(crawl(site, site.sources, data, es_url, alias).stdout)
    finally:
        es.drop(es_client, alias)
    assert stats["totals"]["new"] == len(PAGES), stats
    return data


class World:
    """One test's copy of the crawled store, its own alias, and the URLs/ids."""

    def __init__(self, data: Path, alias: str, base: str, es_url: str) -> None:
        self.data, self.alias, self.base, self.es_url = data, alias, base, es_url
        self.store = Store(f"sqlite:///{data / 'toezicht.db'}")

    def url(self, path: str) -> str:
        return f"{self.base}/{path}"

    def id(self, path: str) -> str:
        return article_id(self.url(path))

    def env(self, backend: str = "elasticsearch") -> dict[str, str | None]:
        return cli_env(self.data, self.es_url, self.alias, backend)

    def search_ids(self, query: str, backend: str) -> set[str]:
        result = run(["search", query, "--all", "--size", "100", "--format", "json"],
                     self.env(backend))
        assert result.exit_code == 0, result.output
        return {h["id"] for h in json.loads(result.stdout)["hits"]}

    def export_text(self, backend: str, fmt: str = "jsonl") -> str:
        out = self.data.parent / f"export-{uuid.uuid4().hex[:6]}.{fmt}"
        result = run(["export", "--all", "--format", fmt, "--out", str(out), "-q"],
                     self.env(backend))
        assert result.exit_code == 0, result.output
        return out.read_text(encoding="utf-8")


@pytest.fixture()
def world(crawled: Path, site: SiteServer, es_client: Any, es_url: str, tmp_path: Path) -> Any:
    from index import es

    data = tmp_path / "data"
    data.mkdir()
    for file in crawled.glob("toezicht.db*"):
        shutil.copy2(file, data / file.name)
    alias = f"toezicht-test-{uuid.uuid4().hex[:10]}"
    w = World(data, alias, site.base_url, es_url)
    assert es.sync(w.store, es_client, alias)["indexed"] == len(PAGES)
    yield w
    es.drop(es_client, alias)


def member_ids(store: Store) -> set[str]:
    from sqlalchemy import select

    from index.resolution import action_state

    with store.engine.connect() as conn:
        return {aid for data in conn.scalars(select(action_state.c.data))
                for aid in (data.get("members") or {})}


def fts_ids(store: Store) -> set[str]:
    path = store.engine.url.database
    with sqlite3.connect(path) as db:
        return {r[0] for r in db.execute("SELECT article_id FROM search_docs")}


def store_bytes(data: Path) -> bytes:
    return b"".join(f.read_bytes() for f in sorted(data.glob("toezicht.db*")))


# -- forgetting articles ---------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_forget_by_url_and_by_id_removes_everywhere(world: World, es_client: Any,
                                                    backend: str) -> None:
    from index import es
    from index.search.actions import ActionFilter, list_actions

    gone = {world.id(NOTICE), world.id(AP)}
    assert gone <= world.search_ids("nudify OR onderzoek", backend)  # (makes the FTS index)
    assert gone <= member_ids(world.store)
    assert all(world.store.events_for(aid) for aid in gone)
    # a URL in another form (tracking parameter) and an id
    result = run(["forget", world.url(NOTICE) + "?utm_source=mail", world.id(AP)],
                 world.env(backend))
    assert result.exit_code == 0, result.output
    assert "forgot 2 article(s)" in result.stdout and "erasure #1" in result.stdout
    for aid in gone:
        assert world.store.get_article(aid) is None
        assert world.store.raw_html(aid) is None
        assert world.store.events_for(aid) == []
    assert not gone & member_ids(world.store)
    actions = list_actions(world.store.engine, ActionFilter(relevant_only=False))
    assert actions and not {s["id"] for a in actions for s in a["sources"]} & gone
    # tombstoned: counted as stored by the crawler's check, never saved again
    assert world.store.forgotten_ids(gone) == gone
    assert world.store.known_ids(gone) == gone
    assert es.present(es_client, world.alias, gone) == []
    for b in BACKENDS:
        assert not world.search_ids("nudify OR onderzoek OR grok", b) & gone
    if backend == "sqlite":
        assert not fts_ids(world.store) & gone
    text = world.export_text(backend) + world.export_text(backend, "csv")
    for aid in gone:
        assert aid not in text
    for title in ("eSafety Commissioner warns nudify apps", "Autoriteit Persoonsgegevens"):
        assert title not in text
    assert "Nudify apps told to stop by eSafety" in text  # the rest is still there
    log = json.loads(run(["forget", "--log", "--format", "json"], world.env(backend)).stdout)
    assert [(e["kind"], e["requested"], e["state"]) for e in log] == [("article", 2, "done")]
    assert log[0]["counts"]["articles"] == 2 and log[0]["counts"]["tombstones"] >= 2
    # again: nothing left to erase, nothing matched anew, exit 0 and logged
    again = run(["forget", world.id(AP)], world.env(backend))
    assert again.exit_code == 0 and "already forgotten" in again.stdout


def test_forgotten_articles_do_not_come_back(world: World, site: SiteServer, es_client: Any
                                             ) -> None:
    from index import es

    gone = world.id(NOTICE)
    assert run(["forget", world.url(NOTICE)], world.env()).exit_code == 0
    # the store refuses it, whoever offers it
    row = {"id": gone, "url": world.url(NOTICE), "canonical_url": world.url(NOTICE),
           "title": "again", "text": "again"}
    assert world.store.save_articles([row]) == 0 and world.store.get_article(gone) is None
    # a re-crawl of the same site does not even fetch it
    before = len(site.requests)
    stats = json.loads(crawl(site, site.sources, world.data, world.es_url, world.alias).stdout)
    fetched = [path for _, path, _ in site.requests[before:]]
    assert "/" + NOTICE not in fetched
    assert stats["totals"]["new"] == 0 and world.store.get_article(gone) is None
    # reprocess, sync and rebuild (both backends) work from the store: it stays gone
    for args in (["reprocess", "--all", "--workers", "0"], ["index", "sync", "--verify", "-q"],
                 ["index", "rebuild", "-q"]):
        result = run(args, world.env())
        assert result.exit_code == 0, (args, result.output)
    assert run(["index", "rebuild", "-q"], world.env("sqlite")).exit_code == 0
    assert world.store.get_article(gone) is None and world.store.raw_html(gone) is None
    assert es.present(es_client, world.alias, [gone]) == []
    assert gone not in fts_ids(world.store)
    assert world.store.count_articles() == len(PAGES) - 1
    for b in BACKENDS:
        assert gone not in world.search_ids("nudify", b)
    # the re-crawl left feeds in the HTTP cache; the next erasure empties it
    assert (world.data / "httpcache").is_dir()
    result = run(["forget", world.id(FOLLOWUP)], world.env())
    assert result.exit_code == 0 and "HTTP cache emptied" in result.stdout
    assert not (world.data / "httpcache").exists()


# -- redacting a name ------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_forget_name_redacts_everywhere(world: World, backend: str) -> None:
    store = world.store
    assert world.search_ids("quaxelaar", backend) == {world.id(OFCOM), world.id(LAWYER)}
    # a dry run counts and changes nothing
    dry = run(["forget", "--name", NAME, "--dry-run", "-q"], world.env(backend))
    assert dry.exit_code == 0, dry.output
    assert "would redact 1 name(s): 2 article(s)" in dry.stdout and "dry run" in dry.stdout
    assert NAME in store.get_article(world.id(OFCOM))["title"]
    assert json.loads(run(["forget", "--log", "--format", "json"], world.env()).stdout) == []

    result = run(["forget", "--name", NAME.upper(), "-q"], world.env(backend))
    assert result.exit_code == 0, result.output
    assert "redacted 1 name(s): 2 article(s)" in result.stdout
    ofcom = store.get_article(world.id(OFCOM))
    assert ofcom["title"] == "Ofcom investigates X after deepfakes of [redacted]"
    assert "[redacted]'s images" in ofcom["text"]  # the possessive keeps its ending
    for row in store.iter_articles(kind=None):
        assert not NAME_RX.search(json.dumps([row["title"], row["text"], row["analysis"]]))
        for event in store.events_for(row["id"]):
            assert not NAME_RX.search(event["evidence"] or "")
        raw = store.raw_html(row["id"])
        if raw is not None:
            assert not NAME_RX.search(raw.decode("utf-8"))
    assert b"[redacted]" in store.raw_html(world.id(OFCOM))  # redacted in place
    assert store.raw_html(world.id(LAWYER)) is None  # split by markup: dropped
    assert "jorinde" not in json.dumps(_action_states(store)).lower()
    # nothing of it is left in the store's files, freed pages included (forget's own
    # connections delete securely; the FTS5 index's do where SQLite does by default)
    if backend == "elasticsearch" or SECURE_DELETE_DEFAULT:
        assert not NAME_RX.search(store_bytes(world.data).decode("latin-1"))
    for b in BACKENDS:
        assert world.search_ids("quaxelaar", b) == set()
        assert world.search_ids('"jorinde quaxelaar"', b) == set()
    assert world.id(OFCOM) in world.search_ids("redacted", backend)
    assert not NAME_RX.search(world.export_text(backend) + world.export_text(backend, "csv"))
    if backend == "sqlite":
        assert _fts_terms(store, "quaxel") == [] and _fts_terms(store, "jorind") == []
    # the log: counts and a keyed hash, never the name
    log = json.loads(run(["forget", "--log", "--format", "json"], world.env()).stdout)
    assert len(log) == 1 and log[0]["kind"] == "name" and log[0]["state"] == "done"
    assert log[0]["counts"]["articles"] == 2 and len(log[0]["name_hashes"]) == 1
    assert not NAME_RX.search(json.dumps(log))
    listed = run(["forget", "--log"], world.env())
    assert listed.exit_code == 0 and "#1" in listed.stdout and not NAME_RX.search(listed.stdout)
    mine = run(["forget", "--log", "--name", "  jorinde   quaxelaar "], world.env())
    assert "#1" in mine.stdout
    other = run(["forget", "--log", "--name", "Someone Else"], world.env())
    assert "no erasures logged for that name" in other.stdout
    # reprocessing the raw HTML kept does not bring the name back
    assert run(["reprocess", "--all", "--workers", "0"], world.env()).exit_code == 0
    for row in store.iter_articles(kind=None):
        assert not NAME_RX.search(f"{row['title']} {row['text']} {json.dumps(row['analysis'])}")
    assert "[redacted]" in store.get_article(world.id(OFCOM))["text"]
    assert world.search_ids("quaxelaar", backend) == set()
    # asking again finds nothing: exit 3, and the request is logged all the same
    again = run(["forget", "--name", NAME, "-q"], world.env(backend))
    assert again.exit_code == 3 and "no stored text contains" in one_line(again)


def _action_states(store: Store) -> list[Any]:
    from sqlalchemy import select

    from index.resolution import action_state

    with store.engine.connect() as conn:
        return list(conn.scalars(select(action_state.c.data)))


def _fts_terms(store: Store, prefix: str) -> list[str]:
    with sqlite3.connect(store.engine.url.database) as db:
        db.execute("CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, search_fts, row)")
        return [r[0] for r in db.execute("SELECT term FROM temp.v WHERE term LIKE ?",
                                         (prefix + "%",))]


# -- alerts: the outbox history and an Atom feed ----------------------------------------


def _alert_world(tmp_path: Path, es_url: str, alias: str) -> tuple[Any, Store, Path]:
    from toezicht.config import load_config

    conf = tmp_path / "toezicht.toml"
    conf.write_text(textwrap.dedent(f"""\
        data_dir = "{tmp_path / 'data'}"
        es_url = "{es_url}"
        es_index = "{alias}"

        [[subscription]]
        name = "all"
        [subscription.atom]
        path = "feeds/all.xml"
        """), encoding="utf-8")
    cfg = load_config(conf)
    return cfg, Store(cfg.resolved_store_url), conf


EN = make_article(
    "http://news.test/en/ofcom-x", "en", f"Ofcom investigates X over images of {NAME}",
    f"Ofcom has opened an investigation into X after images of {NAME} spread.",
    [ev("ofcom", "investigation", "X", "GB", "actual",
        f"Ofcom has opened an investigation into X after images of {NAME} spread.")])
NL = make_article(
    "http://nieuws.test/nl/ofcom-x", "nl", "Ofcom onderzoekt X",
    "Ofcom is een onderzoek gestart naar X.",
    [ev("ofcom", "investigation", "X", "GB", "actual", "Ofcom is een onderzoek gestart naar X.")])
FINE = make_article(
    "http://news.test/en/fine", "en", "Dutch regulator fines nudify app",
    f"The Autoriteit Persoonsgegevens fined a nudify app that made images of {NAME}.",
    [ev("autoriteit-persoonsgegevens", "fine", "nudify app", "NL", "actual",
        f"The Autoriteit Persoonsgegevens fined a nudify app that made images of {NAME}.")])


def test_alert_history_keeps_no_erased_text(tmp_path: Path, es_url: str, es_client: Any) -> None:
    from index import alert_store, es
    from toezicht.alerts.deliver import deliver, fold

    alias = f"toezicht-test-{uuid.uuid4().hex[:10]}"
    cfg, store, conf = _alert_world(tmp_path, es_url, alias)
    env = {k: None for k in os.environ if k.startswith("TOEZICHT_")}
    try:
        store.save_articles([EN, NL, FINE])
        es.sync(store, es_client, alias)
        fold(cfg, store)
        assert len(deliver(cfg, store).sent) == 2
        feed = cfg.data_dir / "feeds" / "all.xml"
        assert EN["url"] in feed.read_text(encoding="utf-8")
        acts = {a["actor"]: a for a in alert_store.get_actions(store.engine)}
        assert acts["ofcom"]["sources"] == 2 and acts["ofcom"]["first_article_id"] == EN["id"]

        result = CliRunner().invoke(cli, ["--config", str(conf), "forget", EN["id"]], env=env)
        assert result.exit_code == 0, result.output
        assert "1 Atom feed entries rewritten" in result.stdout
        acts = {a["actor"]: a for a in alert_store.get_actions(store.engine)}
        assert acts["ofcom"]["sources"] == 1 and acts["ofcom"]["first_article_id"] == NL["id"]
        sent = {r["action_id"]: r for r in alert_store.list_outbox(store.engine)}
        ofcom = sent[acts["ofcom"]["action_id"]]
        assert ofcom["state"] == "sent"  # history kept ...
        assert ofcom["payload"]["article"] == {"id": EN["id"], "erased": True}  # ... no text
        assert ofcom["payload"]["event"]["evidence"] is None
        assert EN["url"] not in json.dumps(ofcom["payload"])
        text = feed.read_text(encoding="utf-8")
        assert EN["url"] not in text and EN["title"] not in text
        assert "erased on request" in text and NAME in text  # (the fine's evidence)

        # an alert not sent yet about an article then erased is not sent at all
        store.save_articles([make_article(
            "http://news.test/en/ban", "en", "EU bans an app", "The EU banned an app.",
            [ev("EU", "block", "nudify app", "EU", "actual", "The EU banned an app.")])])
        fold(cfg, store)
        pending = [r for r in alert_store.list_outbox(store.engine) if r["state"] == "pending"]
        assert len(pending) == 1
        ban = article_id("http://news.test/en/ban")
        assert CliRunner().invoke(cli, ["--config", str(conf), "forget", ban],
                                  env=env).exit_code == 0
        row = next(r for r in alert_store.list_outbox(store.engine) if r["id"] == pending[0]["id"])
        assert row["state"] == "failed" and "erased" in row["last_error"]
        assert not any(a["action_id"] == row["action_id"]
                       for a in alert_store.get_actions(store.engine))  # no source left
        assert len(deliver(cfg, store).sent) == 0

        # a name leaves the outbox and the feed too
        result = CliRunner().invoke(cli, ["--config", str(conf), "forget", "--name", NAME, "-q"],
                                    env=env)
        assert result.exit_code == 0, result.output
        outbox = alert_store.list_outbox(store.engine)
        assert not NAME_RX.search(json.dumps([r["payload"] for r in outbox]))
        assert not NAME_RX.search(feed.read_text(encoding="utf-8"))
        assert not NAME_RX.search(json.dumps(alert_store.get_actions(store.engine)))
    finally:
        es.drop(es_client, alias)


# -- the store's own guarantees ------------------------------------------------------


def test_store_refuses_tombstoned_ids(store: Store) -> None:
    from index import erasure

    store.save_articles([EN, NL])
    result = erasure.forget_articles(store, {EN["id"]: {"a" * 20}}, requested=1)
    assert result.removed == [EN["id"]] and result.counts["tombstones"] == 2
    assert store.known_ids([EN["id"], "a" * 20, NL["id"], "b" * 20]) == {
        EN["id"], "a" * 20, NL["id"]}
    assert store.save_articles([EN]) == 0 and store.get_article(EN["id"]) is None
    store.save_analysis(EN["id"], EN["analysis"], "test")  # no events without the article
    assert store.events_for(EN["id"]) == []


@pytest.mark.parametrize("page,found,expected", [
    (b"<p>Jane Doe spoke</p>", True, b"<p>[redacted] spoke</p>"),
    (b"<p>JANE&nbsp;DOE's case</p>", True, b"<p>[redacted]'s case</p>"),
    (b"<p>Jane <b>Doe</b> spoke</p>", True, None),  # split by markup: drop the page
    (b"<p>Ja<i>ne</i> Doe</p>", True, None),
    (b"<p>Jane Do&#101;</p>", True, None),  # a character reference
    (b"<p>Janet Doedel and Jane Doesburg</p>", False, b"<p>Janet Doedel and Jane Doesburg</p>"),
    ("<p>Jane Doe in München</p>".encode("cp1252"), True,
     "<p>[redacted] in München</p>".encode("cp1252")),
])
def test_redactor_html(page: bytes, found: bool, expected: bytes | None) -> None:
    from index.erasure import Redactor

    red = Redactor(["jane doe"])
    out, n = red.html(page, "cp1252" if "ü".encode("cp1252") in page else "utf-8")
    assert (n > 0) == found
    assert out == expected


def test_redactor_text() -> None:
    from index.erasure import Redactor

    red = Redactor(["Jane Doe", "Doe"])
    assert red.value("Jane  Doe, Ms Doe and Doe's dog; Doedel, jane doe.")[0] == (
        "[redacted], Ms [redacted] and [redacted]'s dog; Doedel, [redacted].")
    assert red.value({"a": ["Jane Doe", 1, None]})[0] == {"a": ["[redacted]", 1, None]}
    with pytest.raises(ValueError):
        Redactor(["x"])


# -- errors, exit codes, help -------------------------------------------------------------


def test_errors_are_one_line_with_exit_codes(world: World) -> None:
    from toezicht.config import load_config
    from toezicht.schedule import crawl_run_lock

    env = world.env()
    cases = [
        (["forget"], 1, "give the URLs or ids"),
        (["forget", "not-a-url"], 1, "neither an article id"),
        (["forget", "ftp://x.test/a"], 1, "neither an article id"),
        (["forget", world.id(AP), "--name", NAME], 1, "not both"),
        (["forget", "--log", world.id(AP)], 1, "--log lists the log"),
        (["forget", "--name", "x"], 1, "too short"),
        (["forget", "0" * 20], 3, "not stored and not forgotten before: " + "0" * 20),
        (["forget", "--name", "Nobody Atall", "-q"], 3, "no stored text contains"),
        (["forget", "--name", "Nobody Atall", "--dry-run", "-q"], 3, "no stored text contains"),
    ]
    for args, code, message in cases:
        result = run(args, env)
        assert result.exit_code == code, (args, result.output)
        assert message in one_line(result), args
    # a crawl running: refused, nothing changed
    cfg = load_config(None, data_dir=world.data)
    with crawl_run_lock(cfg):
        result = run(["forget", world.id(AP)], env)
    assert result.exit_code == 1 and "another crawl is running" in one_line(result)
    assert world.store.get_article(world.id(AP)) is not None
    # one known, one unknown: the known one goes, exit 3 names the other
    result = run(["forget", world.id(AP), "1" * 20], env)
    assert result.exit_code == 3 and "1" * 20 in one_line(result)
    assert world.store.get_article(world.id(AP)) is None


def test_help_explains_the_command() -> None:
    result = CliRunner().invoke(cli, ["forget", "--help"])
    assert result.exit_code == 0
    for words in ("URL|ID", "--name", "--dry-run", "--log", "tombstone", "[redacted]",
                  "Exit status", "erasure.key"):
        assert words in result.output
    assert "forget" in CliRunner().invoke(cli, ["--help"]).output


def test_csv_export_has_no_forgotten_rows(world: World) -> None:
    assert run(["forget", world.id(FOLLOWUP)], world.env()).exit_code == 0
    out = world.data.parent / "all.csv"
    assert run(["export", "--all", "--out", str(out), "-q"], world.env()).exit_code == 0
    with out.open(newline="", encoding="utf-8") as fh:
        ids = {r["id"] for r in csv.DictReader(fh)}
    assert ids == {world.id(p[0]) for p in PAGES} - {world.id(FOLLOWUP)}
