"""Alerts end to end with real parts: the store (SQLite file), a real webhook
receiver and a real SMTP server (aiosmtpd, STARTTLS + AUTH) on 127.0.0.1, and an
Atom feed file. Runs are simulated by storing articles with their analyses the
way the crawler does (Store.save_articles)."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from support.alerts import SECRET, Mailbox, ev, make_article, smtp_section, smtp_server

from index import alert_store
from index.store import Store
from toezicht.alerts.deliver import deliver, fold
from toezicht.alerts.receiver import WebhookReceiver
from toezicht.alerts.subscriptions import load_alert_settings
from toezicht.cli import cli
from toezicht.config import ConfigError, load_config

# -- fixtures ------------------------------------------------------------------------
OFCOM_EN = make_article(
    "http://news.test/en/ofcom-grok", "en", "Ofcom opens investigation into Grok",
    "Ofcom has opened an investigation into Grok. A European ban is not unthinkable.",
    [ev("ofcom", "investigation", "Grok", "GB", "actual",
        "Ofcom has opened an investigation into Grok."),
     ev("EU", "block", "Grok", "EU", "potential", "A European ban is not unthinkable.")])
OFCOM_NL = make_article(
    "http://nieuws.test/nl/ofcom-grok", "nl", "Ofcom onderzoekt Grok",
    "Ofcom is inmiddels een onderzoek naar Grok gestart.",
    [ev("ofcom", "investigation", "Grok", "GB", "actual",
        "Ofcom is inmiddels dan ook een onderzoek naar Grok gestart.")])
EU_BLOCK = make_article(
    "http://news.test/en/eu-blocks-grok", "en", "EU blocks Grok",
    "The European Commission's ban on Grok took effect today.",
    [ev("EU", "block", "Grok", "EU", "actual", "The EU blocked Grok across the Union.")])


@pytest.fixture()
def smtp(tmp_path: Path):
    with smtp_server(tmp_path) as box:
        yield box


@pytest.fixture()
def hook():
    with WebhookReceiver(SECRET) as receiver:
        yield receiver


def write_config(tmp: Path, hook: WebhookReceiver | None, smtp: Mailbox | None = None,
                 extra: str = "", backoff: float = 0.0, workers: int = 4) -> Path:
    parts = [f'data_dir = "{tmp / "data"}"', "",
             f"[alerts]\nbackoff_base = {backoff}\nmax_attempts = 4\nworkers = {workers}\n"]
    if smtp is not None:
        parts.append(smtp_section(smtp))
    parts.append('[[subscription]]\nname = "grok"\nplatforms = ["Grok"]\nsource_health = true\n')
    if hook is not None:
        parts.append(f'[subscription.webhook]\nurl = "{hook.url}"\nsecret = "{SECRET}"\n')
    if smtp is not None:
        parts.append('[subscription.email]\nto = ["analyst@example.org"]\n'
                     'from = "toezicht@example.org"\n')
    parts.append('[subscription.atom]\npath = "feeds/grok.xml"\n')
    parts.append(extra)
    path = tmp / "toezicht.toml"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def cycle(cfg: Any, store: Store, batch: list[dict[str, Any]]) -> dict[str, Any]:
    """What one scheduled run does after the crawl subprocess stored its articles."""
    if batch:
        store.save_articles(batch)
    folded = fold(cfg, store)
    report = deliver(cfg, store)
    return {"fold": folded, "delivery": report}


def atom_ids(path: Path) -> list[str]:
    ns = {"a": "http://www.w3.org/2005/Atom"}
    return [e.findtext("a:id", namespaces=ns) for e in ET.parse(path).getroot()
            .findall("a:entry", ns)]


# -- the main story --------------------------------------------------------------------
@pytest.mark.parametrize("workers", [4, 1])  # endpoints side by side, or one at a time
def test_each_alert_arrives_exactly_once(tmp_path: Path, hook: WebhookReceiver,
                                         smtp: Mailbox, workers: int) -> None:
    cfg = load_config(write_config(tmp_path, hook, smtp, workers=workers))
    store = Store(cfg.resolved_store_url)
    feed = cfg.data_dir / "feeds" / "grok.xml"

    # Run 1: an English article with an actual investigation and a potential EU ban.
    out = cycle(cfg, store, [OFCOM_EN])
    assert out["fold"]["new_actions"] == 2 and out["fold"]["enqueued"] == 6
    assert len(out["delivery"].sent) == 6
    assert [(c.channel, len(c.sent), len(c.skipped)) for c in out["delivery"].by_channel()] == [
        ("webhook", 2, 0), ("email", 2, 0), ("atom", 2, 0)]
    assert len(hook.requests) == 2 and len(hook.accepted) == 2
    kinds = {(p["kind"], p["action"]["actor"], p["status"]) for p in hook.accepted}
    assert kinds == {("new", "ofcom", "actual"), ("new", "EU", "potential")}
    ofcom = next(p for p in hook.accepted if p["action"]["actor"] == "ofcom")
    assert ofcom["event"]["evidence"] == "Ofcom has opened an investigation into Grok."
    assert ofcom["event"]["measure"] == "investigation" and ofcom["event"]["target"] == "Grok"
    assert ofcom["article"]["url"] == OFCOM_EN["url"]
    assert ofcom["delivery_id"] == hook.requests[0]["headers"]["X-Toezicht-Delivery"] or \
        ofcom["delivery_id"] == hook.requests[1]["headers"]["X-Toezicht-Delivery"]
    # the e-mail is one digest with both, over STARTTLS with login
    assert len(smtp.messages) == 1 and smtp.logins == [b"toezicht"]
    mail = smtp.messages[0]
    assert "2 alerts" in mail["Subject"]
    plain = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "Ofcom has opened an investigation into Grok." in plain
    assert OFCOM_EN["url"] in plain and OFCOM_EN["url"] in html
    assert len(atom_ids(feed)) == 2

    # Run 2: the same investigation reported in Dutch by another outlet: no new alert.
    out = cycle(cfg, store, [OFCOM_NL])
    assert out["fold"]["events"] == 1 and out["fold"]["new_actions"] == 0
    assert out["fold"]["enqueued"] == 0 and not out["delivery"].sent
    assert len(hook.requests) == 2 and len(smtp.messages) == 1
    acts = {a["actor"]: a for a in alert_store.get_actions(store.engine)}
    assert acts["ofcom"]["sources"] == 2  # one action, two sources

    # Run 3: the potential EU ban becomes actual: exactly one upgrade per channel.
    out = cycle(cfg, store, [EU_BLOCK])
    assert out["fold"]["upgraded_actions"] == 1 and out["fold"]["enqueued"] == 3
    assert len(hook.accepted) == 3
    upgrade = hook.accepted[-1]
    assert (upgrade["kind"], upgrade["previous_status"], upgrade["status"]) == (
        "upgrade", "potential", "actual")
    assert upgrade["event"]["evidence"] == "The EU blocked Grok across the Union."
    assert {s["url"] for s in upgrade["sources"]} == {OFCOM_EN["url"], EU_BLOCK["url"]}
    assert len(smtp.messages) == 2 and "UPGRADE potential" in smtp.messages[1]["Subject"]
    assert len(atom_ids(feed)) == 3 and len(set(atom_ids(feed))) == 3
    assert acts["EU"]["status"] == "potential"
    assert {a["actor"]: a for a in alert_store.get_actions(store.engine)}["EU"]["status"] == \
        "actual"

    # Re-running everything (and reprocessing stored articles) changes nothing.
    store.save_articles([OFCOM_EN, OFCOM_NL, EU_BLOCK])
    out = cycle(cfg, store, [])
    assert out["fold"]["events"] == 4 and out["fold"]["enqueued"] == 0
    assert len(hook.requests) == 3 and len(smtp.messages) == 2 and len(atom_ids(feed)) == 3
    assert all(r["state"] == "sent" for r in alert_store.list_outbox(store.engine))


def test_signature_and_headers(tmp_path: Path, hook: WebhookReceiver) -> None:
    cfg = load_config(write_config(tmp_path, hook))
    store = Store(cfg.resolved_store_url)
    cycle(cfg, store, [EU_BLOCK])
    (req,) = hook.requests
    from toezicht.alerts.channels.webhook import sign

    assert req["headers"]["X-Toezicht-Signature"] == sign(SECRET, req["body"])
    assert req["headers"]["X-Toezicht-Event"] == "new"
    assert json.loads(req["body"])["delivery_id"] == req["headers"]["X-Toezicht-Delivery"]
    # a forged body is refused by the reference receiver
    assert hook.handle({"X-Toezicht-Signature": "sha256=00"}, b"{}") == 401


def test_failing_webhook_recovers_and_delivers_once(tmp_path: Path,
                                                    hook: WebhookReceiver) -> None:
    cfg = load_config(write_config(tmp_path, hook))
    store = Store(cfg.resolved_store_url)
    hook.fail_next = 2
    cycle(cfg, store, [EU_BLOCK])
    webhook_rows = [r for r in alert_store.list_outbox(store.engine) if r["channel"] == "webhook"]
    assert webhook_rows[0]["state"] == "pending" and webhook_rows[0]["attempts"] == 1
    assert "503" in webhook_rows[0]["last_error"]
    assert deliver(cfg, store).retrying  # still down
    report = deliver(cfg, store)  # back up
    assert len(report.sent) == 1
    assert len(hook.requests) == 3 and len(hook.accepted) == 1
    assert len({r["headers"]["X-Toezicht-Delivery"] for r in hook.requests}) == 1
    assert not deliver(cfg, store).sent and len(hook.requests) == 3
    row = next(r for r in alert_store.list_outbox(store.engine) if r["channel"] == "webhook")
    assert (row["state"], row["attempts"]) == ("sent", 3)


def test_backoff_gives_up_then_replay(tmp_path: Path, hook: WebhookReceiver) -> None:
    cfg = load_config(write_config(tmp_path, hook, backoff=3600))
    store = Store(cfg.resolved_store_url)
    hook.fail_next = 1
    cycle(cfg, store, [EU_BLOCK])
    row = next(r for r in alert_store.list_outbox(store.engine) if r["channel"] == "webhook")
    assert row["next_attempt_at"] > alert_store.utcnow().isoformat()  # backed off an hour
    assert not deliver(cfg, store).sent and len(hook.requests) == 1  # not due yet
    assert alert_store.backoff_seconds(1, 60) == 60 and alert_store.backoff_seconds(4, 60) == 480
    assert alert_store.backoff_seconds(30, 60, 3600) == 3600
    later = alert_store.utcnow() + dt.timedelta(days=1)  # time passes: due again
    for _ in range(3):
        (item,) = alert_store.claim_due(store.engine, ids=[row["id"]], now=later)
        alert_store.mark_failed(store.engine, item["id"], "boom", max_attempts=4, now=later)
        later += dt.timedelta(days=1)
    row = next(r for r in alert_store.list_outbox(store.engine) if r["id"] == row["id"])
    assert row["state"] == "failed"
    result = CliRunner().invoke(cli, ["--config", str(cfg.source), "alerts", "replay",
                                      str(row["id"])])
    assert result.exit_code == 0, result.output
    assert "sent 1" in result.output and len(hook.accepted) == 1


CRASH_SCRIPT = """
import os, signal, sys
from index import alert_store
from index.store import Store
from toezicht.alerts.channels import webhook
from toezicht.alerts.deliver import fold
from toezicht.alerts.subscriptions import load_alert_settings
from toezicht.config import load_config

cfg = load_config(sys.argv[1])
store = Store(cfg.resolved_store_url)
store.save_articles([__import__("json").loads(sys.argv[2])])
fold(cfg, store)                       # the outbox rows are committed
items = alert_store.claim_due(store.engine)
if sys.argv[3] == "after-send":      # crash after the receiver got it, before marking sent
    settings = load_alert_settings(cfg)
    for item in items:
        if item["channel"] == "webhook":
            webhook.post(settings.get("grok").channels["webhook"], item)
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.parametrize("when", ["before-send", "after-send"])
def test_killed_process_delivers_once_after_restart(tmp_path: Path, hook: WebhookReceiver,
                                                    when: str) -> None:
    cfg_path = write_config(tmp_path, hook)
    proc = subprocess.run([sys.executable, "-c", CRASH_SCRIPT, str(cfg_path),
                           json.dumps(EU_BLOCK), when], capture_output=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    cfg = load_config(cfg_path)
    store = Store(cfg.resolved_store_url)
    rows = alert_store.list_outbox(store.engine)
    assert len(rows) == 2 and all(r["state"] == "pending" and r["claimed_by"] for r in rows)
    assert len(hook.requests) == (1 if when == "after-send" else 0)
    report = deliver(cfg, store)  # the restarted process: dead owner's claims are freed
    assert len(report.sent) == 2
    assert len(hook.accepted) == 1  # processed once by a receiver that dedupes
    assert len({r["headers"]["X-Toezicht-Delivery"] for r in hook.requests}) == 1
    assert not deliver(cfg, store).sent
    assert len(atom_ids(cfg.data_dir / "feeds" / "grok.xml")) == 1


def test_filters_and_language_subscriptions(tmp_path: Path, hook: WebhookReceiver) -> None:
    extra = textwrap.dedent(f"""
        [[subscription]]
        name = "dutch-actual"
        langs = ["nl"]
        statuses = ["actual"]
        query = "onderzoek grok"
        [subscription.webhook]
        url = "{hook.url}"
        secret = "{SECRET}"

        [[subscription]]
        name = "fines-nl"
        countries = ["NL"]
        measures = ["fine"]
        [subscription.atom]
        path = "feeds/fines.xml"
        """)
    cfg = load_config(write_config(tmp_path, hook, extra=extra))
    store = Store(cfg.resolved_store_url)
    cycle(cfg, store, [OFCOM_EN])
    assert {p["subscription"] for p in hook.accepted} == {"grok"}
    cycle(cfg, store, [OFCOM_NL])  # old action for "grok", but the first match for Dutch readers
    dutch = [p for p in hook.accepted if p["subscription"] == "dutch-actual"]
    assert len(dutch) == 1 and dutch[0]["kind"] == "new"
    assert dutch[0]["article"]["lang"] == "nl" and len(dutch[0]["sources"]) == 2
    assert len([p for p in hook.accepted if p["subscription"] == "grok"]) == 2
    assert not (cfg.data_dir / "feeds" / "fines.xml").exists()
    # a non-relevant article's events never alert
    noise = make_article("http://news.test/en/other", "en", "Fine over blue checks", "x",
                         [ev("acm", "fine", "X", "NL", "actual", "ACM fined X.")])
    noise["analysis"]["relevant"] = False
    assert cycle(cfg, store, [noise])["fold"]["enqueued"] == 0


def test_source_health_alert(tmp_path: Path, hook: WebhookReceiver) -> None:
    cfg = load_config(write_config(tmp_path, hook))
    store = Store(cfg.resolved_store_url)
    for _ in range(5):
        store.finish_run(store.start_run(["a", "b"]), {
            "a": {"fetched": 20, "new": 3, "failed": 0, "errors": {}},
            "b": {"fetched": 10, "new": 1, "failed": 0, "errors": {}}})
        fold(cfg, store)
    store.finish_run(store.start_run(["a", "b"]), {
        "a": {"fetched": 0, "new": 0, "failed": 12, "errors": {"403": 12}},
        "b": {"fetched": 10, "new": 1, "failed": 0, "errors": {}}})
    assert fold(cfg, store)["source_health"] == 2  # webhook + atom for source "a"
    assert fold(cfg, store)["source_health"] == 0  # each run checked once
    deliver(cfg, store)
    (health,) = hook.accepted
    assert health["kind"] == "source_health" and health["source"] == "a"


# -- configuration -----------------------------------------------------------------------
@pytest.mark.parametrize(("snippet", "message"), [
    ('[[subscription]]\nname = "x"\n', "no channel"),
    ('[[subscription]]\nname = "x"\nmeasures = ["ban"]\n[subscription.atom]\npath = "a.xml"\n',
     "unknown measure 'ban'"),
    ('[[subscription]]\nname = "x"\n[subscription.webhook]\nurl = "ftp://x"\nsecret = "k"\n',
     "url must be an http(s) URL"),
    ('[[subscription]]\nname = "x"\n[subscription.webhook]\nurl = "http://x/"\n',
     "secret (or secret_env) is required"),
    ('[[subscription]]\nname = "x"\n[subscription.email]\nto = "a@b.c"\nfrom = "me@b.c"\n',
     "needs an [smtp] section"),
    ('[schedule]\ncron = "61 6 * * *"\n', 'schedule.cron = "61 6 * * *": must be a crontab'),
    ('[schedule]\ntimezone = "Mars/Olympus"\n',
     'schedule.timezone = "Mars/Olympus": must be an IANA timezone name'),
    ('[smtp]\nhost = "x"\nusername = "u"\n', "username given without password"),
    ('[alerts]\nworkers = 0\n', "alerts.workers = 0: must be an integer from 1 to 32"),
])
def test_config_check_errors(tmp_path: Path, snippet: str, message: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f'data_dir = "{tmp_path}"\n{snippet}', encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(path), "config", "check"])
    assert result.exit_code == 1
    assert message in result.output and result.output.count("\n") == 1
    assert "Traceback" not in result.output


def test_config_check_ok(tmp_path: Path, hook: WebhookReceiver) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text('[[source]]\nname = "s"\ntype = "feed"\nurl = "http://news.test/rss"\n',
                       encoding="utf-8")
    path = write_config(tmp_path, hook, extra='[schedule]\ncron = "30 5 * * 1-5"\n')
    path.write_text(f'sources_file = "{sources}"\n' + path.read_text(), encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(path), "config", "check"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK") and "1 subscriptions" in result.output
    with pytest.raises(ConfigError):
        os.environ.pop("NOPE_SECRET", None)
        path.write_text(path.read_text().replace(f'secret = "{SECRET}"',
                                                 'secret_env = "NOPE_SECRET"'))
        load_alert_settings(load_config(path))


def test_alerts_cli(tmp_path: Path, hook: WebhookReceiver) -> None:
    cfg_path = write_config(tmp_path, hook)
    runner = CliRunner()
    base = ["--config", str(cfg_path), "alerts"]
    result = runner.invoke(cli, [*base, "test", "grok"])
    assert result.exit_code == 0, result.output
    assert "webhook: OK" in result.output and "atom: OK" in result.output
    assert hook.accepted[0]["kind"] == "test"
    assert runner.invoke(cli, [*base, "test", "nope"]).exit_code == 1
    Store(load_config(cfg_path).resolved_store_url).save_articles([OFCOM_EN])
    result = runner.invoke(cli, [*base, "deliver"])
    assert result.exit_code == 0, result.output
    feed = load_config(cfg_path).data_dir / "feeds" / "grok.xml"
    assert result.output.splitlines() == [  # one line per endpoint, not per alert
        "folded 2 events: 2 new actions, 0 upgrades, 4 alerts enqueued",
        f"webhook {hook.url}: 2 sent, 0 failed, 0 skipped",
        f"atom {feed}: 2 sent, 0 failed, 0 skipped",
        "sent 4, retrying 0, failed 0, skipped 0"]
    assert result.stderr == ""
    result = runner.invoke(cli, [*base, "list", "--state", "sent"])
    assert "NEW actual: ofcom investigation → Grok (GB)" in result.output
    rows = json.loads(runner.invoke(cli, [*base, "list", "--format", "json"]).output)
    assert len(rows) == 6
    first = min(r["id"] for r in rows if r["kind"] == "new" and r["channel"] == "webhook")
    result = runner.invoke(cli, [*base, "replay", "--verbose", str(first)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [  # --verbose: and one line per alert
        "requeued 1", f"webhook {hook.url}: 1 sent, 0 failed, 0 skipped",
        f"  #{first} grok: sent", "sent 1, retrying 0, failed 0, skipped 0"]
    assert len(hook.accepted) == 4  # the replay is a deliberate re-send (new delivery id)
    hook.fail_next = 1
    result = runner.invoke(cli, [*base, "replay", str(first)])
    assert result.exit_code == 1
    assert f"webhook {hook.url}: 0 sent, 1 failed, 0 skipped (webhook answered HTTP 503)" \
        in result.output.splitlines()
    result = runner.invoke(cli, [*base, "deliver", "--no-fold", "--format", "json"])
    out = json.loads(result.output)
    assert out["sent"] == 1 and out["channels"] == [
        {"channel": "webhook", "endpoint": hook.url, "sent": 1, "retrying": 0, "failed": 0,
         "skipped": 0, "down": None, "retry_at": None}]
    result = runner.invoke(cli, [*base, "actions"])
    assert "ofcom investigation Grok (GB)" in result.output


SINCE_FORMS = "use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][+HH:MM]"


@pytest.mark.parametrize(("args", "message"), [
    (["--since", "notadate"], f"'notadate' is not a date: {SINCE_FORMS}"),
    (["--since", "2026-13-45"], f"'2026-13-45' is not a date: {SINCE_FORMS}"),
    (["--since", "2026-01-12T25:00"], f"'2026-01-12T25:00' is not a date: {SINCE_FORMS}"),
    (["--since", ""], f"'' is not a date: {SINCE_FORMS}"),
])
def test_replay_bad_since_is_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    """A bad --since used to requeue nothing and exit 0; now it is refused before the
    store is opened."""
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "alerts", "replay", *args])
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert result.stderr.splitlines() == [f"Error: Invalid value for '--since': {message}"]


@pytest.mark.parametrize(("since", "requeued"), [
    ("2026-01-12", 1),
    ("2026-01-13", 0),
    ("2026-01-12T09:59:59", 1),  # naive: UTC
    ("2026-01-12T10:00:01Z", 0),
    ("2026-01-12T11:30+02:00", 1),  # 09:30 UTC: compared in UTC, not as text
    ("2026-01-12T10:30+00:00", 0),
])
def test_replay_since_compares_in_utc(tmp_path: Path, since: str, requeued: int) -> None:
    cfg_path = write_config(tmp_path, None)
    store = Store(load_config(cfg_path).resolved_store_url)
    created = dt.datetime(2026, 1, 12, 10, 0, tzinfo=dt.UTC)
    alert_store.enqueue(store.engine, [alert_store.outbox_row(
        "grok", "atom", "a1", "new", "actual", {"kind": "new"}, now=created)])
    result = CliRunner().invoke(cli, ["--config", str(cfg_path), "alerts", "replay",
                                      "--since", since, "--no-deliver"])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"requeued {requeued}\n"
