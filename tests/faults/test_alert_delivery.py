"""Alert delivery when endpoints fail, with real servers on 127.0.0.1 (no mocks): a
webhook that accepts connections and never answers, a port nobody listens on, a
webhook that answers 503, an SMTP server that never greets, and a deliverer killed
mid-send. A dead endpoint costs a run about one timeout and delays nothing else;
its alerts wait in the outbox and arrive once it is back."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import update
from support.alerts import SECRET, Mailbox, ev, free_port, make_article, smtp_section, smtp_server

from index import alert_store
from index.store import Store
from toezicht.alerts.deliver import deliver, fold
from toezicht.alerts.receiver import WebhookReceiver
from toezicht.cli import cli
from toezicht.config import load_config

pytestmark = pytest.mark.faults

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 1.0  # the webhook / SMTP timeout these tests configure


class Hanging:
    """A TCP server that accepts every connection, reads what is sent, and never
    answers (a hung webhook or SMTP server). ``requests`` holds what each connection
    sent first."""

    def __init__(self, port: int = 0) -> None:
        self.sock = socket.create_server(("127.0.0.1", port))
        self.sock.settimeout(0.05)
        self.connections: list[socket.socket] = []
        self.requests: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return self.sock.getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def delivery_ids(self) -> list[str]:
        return [m.group(1).decode() for r in self.requests
                if (m := re.search(rb"X-Toezicht-Delivery: (\w+)", r))]

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections.append(conn)
            conn.settimeout(0.5)
            try:
                self.requests.append(conn.recv(65536))
            except OSError:
                self.requests.append(b"")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for conn in self.connections:
            conn.close()
        self.sock.close()


@pytest.fixture()
def hanging() -> Iterator[Hanging]:
    server = Hanging()
    yield server
    server.close()


@pytest.fixture()
def hook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver(SECRET) as receiver:
        yield receiver


@pytest.fixture()
def smtp(tmp_path: Path) -> Iterator[Mailbox]:
    with smtp_server(tmp_path) as box:
        yield box


def articles(n: int) -> list[dict[str, Any]]:
    """n articles, each reporting its own action on Grok (one alert per channel)."""
    return [make_article(f"http://news.test/en/grok-{k}", "en", f"Regulator {k} and Grok",
                         f"Regulator {k} has opened an investigation into Grok.",
                         [ev(f"regulator-{k}", "investigation", "Grok", "GB", "actual",
                             f"Regulator {k} has opened an investigation into Grok.")])
            for k in range(n)]


def webhook(url: str, timeout: float = TIMEOUT) -> str:
    return f'[subscription.webhook]\nurl = "{url}"\nsecret = "{SECRET}"\ntimeout = {timeout}\n'


def subscription(name: str, *channels: str) -> str:
    return f'[[subscription]]\nname = "{name}"\nplatforms = ["Grok"]\n' + "".join(channels)


MAIL = '[subscription.email]\nto = ["analyst@example.org"]\nfrom = "toezicht@example.org"\n'


def setup(tmp: Path, *subscriptions: str, smtp: str = "", n: int = 8) -> tuple[Any, Store]:
    """A config (backoff 60 s) and a store holding n new actions, not yet folded."""
    path = tmp / "toezicht.toml"
    path.write_text("\n".join([f'data_dir = "{tmp / "data"}"',
                               "[alerts]\nbackoff_base = 60\nmax_attempts = 4\nworkers = 4\n",
                               smtp, *subscriptions]), encoding="utf-8")
    cfg = load_config(path)
    store = Store(cfg.resolved_store_url)
    store.save_articles(articles(n))
    return cfg, store


def rows(store: Store, subscription: str, channel: str) -> list[dict[str, Any]]:
    return sorted((r for r in alert_store.list_outbox(store.engine, limit=10000)
                   if r["subscription"] == subscription and r["channel"] == channel),
                  key=lambda r: r["id"])


def time_passes(store: Store) -> None:
    """Every pending item is due now (as if the backoff had run out)."""
    with store.engine.begin() as conn:
        conn.execute(update(alert_store.alert_outbox)
                     .where(alert_store.alert_outbox.c.state == "pending")
                     .values(next_attempt_at=alert_store.utcnow().isoformat()))


def recovered(server: Hanging) -> WebhookReceiver:
    """The hung endpoint comes back: a working receiver on the same port."""
    port = server.port
    server.close()
    return WebhookReceiver(SECRET, port=port).__enter__()


def test_a_hanging_webhook_does_not_hold_up_the_others(tmp_path: Path, hanging: Hanging,
                                                       hook: WebhookReceiver,
                                                       smtp: Mailbox) -> None:
    n = 8
    cfg, store = setup(tmp_path, subscription("grok", webhook(hanging.url), MAIL,
                                              '[subscription.atom]\npath = "grok.xml"\n'),
                       subscription("other", webhook(hook.url)), smtp=smtp_section(smtp), n=n)
    base = ["--config", str(cfg.source), "alerts", "deliver"]
    started = alert_store.utcnow()
    t0 = time.monotonic()
    result = CliRunner().invoke(cli, base)
    elapsed = time.monotonic() - t0
    assert result.exit_code == 0, result.output
    # one timeout, not one per alert (sequentially this was n x TIMEOUT)
    assert elapsed < 2 * TIMEOUT + 1.5, elapsed
    assert len(hanging.connections) == 1  # the rest of its alerts were not attempted

    # the working channels got every alert exactly once
    assert len(hook.requests) == n and len(hook.accepted) == n
    assert len({r["headers"]["X-Toezicht-Delivery"] for r in hook.requests}) == n
    (mail,) = smtp.messages
    assert f"{n} alerts" in mail["Subject"]
    feed = cfg.data_dir / "grok.xml"
    assert feed.read_text().count("<entry>") == n

    # one line per endpoint, then the totals (not a line or two per alert)
    lines = result.output.splitlines()
    assert lines[0] == f"folded {n} events: {n} new actions, 0 upgrades, {4 * n} alerts enqueued"
    assert sorted(lines[1:-1]) == sorted([
        f"atom {feed}: {n} sent, 0 failed, 0 skipped",
        f"email smtp://127.0.0.1:{smtp.port}: {n} sent, 0 failed, 0 skipped",
        f"webhook {hook.url}: {n} sent, 0 failed, 0 skipped",
        next(line for line in lines if line.startswith(f"webhook {hanging.url}: "))])
    down = next(line for line in lines if line.startswith(f"webhook {hanging.url}: "))
    assert down.startswith(f"webhook {hanging.url}: 0 sent, 1 failed, {n - 1} skipped "
                           "(no answer, the rest wait: webhook unreachable: timed out; next try ")
    assert lines[-1] == f"sent {3 * n}, retrying 1, failed 0, skipped {n - 1}"

    # the hung endpoint's alerts keep their place: pending, retried with backoff, and
    # only the one that was tried spent an attempt
    pending = rows(store, "grok", "webhook")
    assert [r["state"] for r in pending] == ["pending"] * n
    assert [r["attempts"] for r in pending] == [1] + [0] * (n - 1)
    assert "timed out" in pending[0]["last_error"]
    assert all(r["last_error"].startswith("not attempted: ") for r in pending[1:])
    assert all(r["claimed_by"] is None for r in pending)
    retry = pending[0]["next_attempt_at"]
    assert {r["next_attempt_at"] for r in pending} == {retry}
    assert retry >= (started + alert_store.timedelta(seconds=60)).isoformat()
    assert down.endswith(f"next try {retry})")

    # not due yet: the next run leaves the endpoint alone
    result = CliRunner().invoke(cli, base)
    assert result.output.splitlines()[-1] == "sent 0, retrying 0, failed 0, skipped 0"
    assert len(hanging.connections) == 1

    # the endpoint recovers and the backoff runs out: every alert arrives, once, with
    # the delivery id it had from the start
    back = recovered(hanging)
    try:
        time_passes(store)
        result = CliRunner().invoke(cli, base)
        assert result.exit_code == 0, result.output
        assert f"webhook {back.url}: {n} sent, 0 failed, 0 skipped" in result.output
        assert len(back.requests) == n and len(back.accepted) == n
        assert [r["headers"]["X-Toezicht-Delivery"] for r in back.requests] == [
            r["delivery_id"] for r in pending]
        assert [(r["state"], r["attempts"]) for r in rows(store, "grok", "webhook")] == [
            ("sent", 2)] + [("sent", 1)] * (n - 1)
        assert len(hook.requests) == n and len(smtp.messages) == 1  # nothing sent twice
        assert not deliver(cfg, store).sent and len(back.requests) == n
    finally:
        back.__exit__()


def test_a_hanging_smtp_server_costs_one_timeout(tmp_path: Path, hanging: Hanging,
                                                 hook: WebhookReceiver) -> None:
    """Two subscriptions share the SMTP server: the second digest waits too."""
    smtp = (f'[smtp]\nhost = "127.0.0.1"\nport = {hanging.port}\ntimeout = {TIMEOUT}\n')
    cfg, store = setup(tmp_path, subscription("a", MAIL), subscription("b", MAIL),
                       subscription("c", webhook(hook.url)), smtp=smtp, n=3)
    assert fold(cfg, store)["enqueued"] == 9
    t0 = time.monotonic()
    report = deliver(cfg, store)
    assert time.monotonic() - t0 < 2 * TIMEOUT + 1.5
    assert len(hanging.connections) == 1 and len(hook.accepted) == 3
    (sent, mail) = report.by_channel()
    assert (sent.channel, sent.endpoint, len(sent.sent)) == ("webhook", hook.url, 3)
    assert mail.endpoint == f"smtp://127.0.0.1:{hanging.port}"
    assert (len(mail.sent), len(mail.retrying), len(mail.skipped)) == (0, 3, 3)
    assert "timed out" in mail.down
    assert [r["attempts"] for r in rows(store, "a", "email") + rows(store, "b", "email")] == \
        [1, 1, 1, 0, 0, 0]


@pytest.mark.parametrize("outage", ["refused", "http-503"])
def test_the_command_prints_a_line_per_endpoint(tmp_path: Path, hook: WebhookReceiver,
                                                outage: str) -> None:
    """In the real command (its own process, no test logging): a refused connection
    opens the breaker at once; a 503 is an answer, so every alert is tried. Either
    way the output is one line per endpoint (this was two lines per alert)."""
    n = 20
    url = f"http://127.0.0.1:{free_port()}/hook" if outage == "refused" else hook.url
    hook.fail_next = 1000
    cfg, store = setup(tmp_path, subscription("grok", webhook(url)), n=n)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("TOEZICHT_")},
           "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "toezicht.cli", "--config", str(cfg.source),
                           "alerts", "deliver"], capture_output=True, text=True, timeout=60,
                          env=env, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    lines = proc.stdout.splitlines()
    assert len(lines) == 3, proc.stdout  # folded, the endpoint, the totals
    if outage == "refused":
        assert lines[1].startswith(f"webhook {url}: 0 sent, 1 failed, {n - 1} skipped (no "
                                   "answer, the rest wait: webhook unreachable: [Errno 111]")
        assert lines[2] == f"sent 0, retrying 1, failed 0, skipped {n - 1}"
        assert [r["attempts"] for r in rows(store, "grok", "webhook")] == [1] + [0] * (n - 1)
    else:
        assert lines[1] == f"webhook {url}: 0 sent, {n} failed, 0 skipped " \
                           "(webhook answered HTTP 503)"
        assert lines[2] == f"sent 0, retrying {n}, failed 0, skipped 0"
        assert len(hook.requests) == n
        assert [r["attempts"] for r in rows(store, "grok", "webhook")] == [1] * n


def test_killed_mid_send_resends_with_the_same_delivery_id(tmp_path: Path, hanging: Hanging,
                                                           hook: WebhookReceiver) -> None:
    """SIGKILL while one lane waits on a hung endpoint: what was marked sent stays
    sent; the alert in flight is sent again after the restart with the same
    X-Toezicht-Delivery (at least once, deduplicated by the receiver)."""
    n = 6
    cfg, store = setup(tmp_path, subscription("grok", webhook(hanging.url, timeout=60)),
                       subscription("other", webhook(hook.url)), n=n)
    proc = subprocess.Popen([sys.executable, "-m", "toezicht.cli", "--config", str(cfg.source),
                             "alerts", "deliver"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (
                hanging.requests and all(r["state"] == "sent"
                                         for r in rows(store, "other", "webhook") or [{}])):
            time.sleep(0.05)
        assert hanging.requests, "the hung endpoint was never reached"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert [r["state"] for r in rows(store, "other", "webhook")] == ["sent"] * n
    in_flight = hanging.delivery_ids()
    assert len(in_flight) == 1
    stuck = rows(store, "grok", "webhook")
    assert all(r["state"] == "pending" and r["claimed_by"] for r in stuck)

    back = recovered(hanging)
    try:
        report = deliver(cfg, store)  # the restart: the dead process's claims are freed
        assert len(report.sent) == n
        assert [r["headers"]["X-Toezicht-Delivery"] for r in back.requests] == [
            r["delivery_id"] for r in stuck]
        assert in_flight[0] == stuck[0]["delivery_id"]  # re-sent under the same key
        assert len(back.accepted) == n and len(hook.requests) == n  # nothing else twice
    finally:
        back.__exit__()
    assert json.loads(CliRunner().invoke(cli, ["--config", str(cfg.source), "alerts", "deliver",
                                               "--format", "json"]).output)["sent"] == 0
