"""E-mail channel: one digest message (plain text + HTML) per subscription per
delivery round, over SMTP with STARTTLS/SSL and login when configured.

The ``Message-ID`` is derived from the delivery ids it carries, so a digest that
is re-sent after a crash keeps its id and mail clients that dedupe on it show it
once."""

from __future__ import annotations

import hashlib
import html
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from toezicht.alerts.channels import NoAnswer, headline, no_answer, text_block


def endpoint(settings: dict[str, Any], *, smtp: Any = None, **_: Any) -> str:
    """The SMTP server every e-mail subscription shares."""
    return f"smtp://{smtp.host}:{smtp.port}" if smtp is not None else "smtp (not configured)"


def _ssl_context(smtp: Any) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if smtp.ca_file:
        context.load_verify_locations(cafile=smtp.ca_file)
    return context


def _html_block(payload: dict[str, Any]) -> str:
    esc = html.escape
    parts = [f"<h3>{esc(headline(payload))}</h3>"]
    event = payload.get("event") or {}
    article = payload.get("article") or {}
    if event.get("evidence"):
        parts.append(f"<blockquote>{esc(event['evidence'])}</blockquote>")
    if article.get("url"):
        parts.append(f'<p>Reported in <a href="{esc(article["url"])}">'
                     f"{esc(article.get('title') or article['url'])}</a> "
                     f"({esc(article.get('lang') or '?')}, {esc(article.get('source') or '?')})"
                     "</p>")
    others = [s for s in payload.get("sources") or [] if s.get("url") != article.get("url")]
    if others:
        parts.append("<p>Also reported by:</p><ul>" + "".join(
            f'<li><a href="{esc(s.get("url") or "")}">{esc(s.get("title") or s.get("url") or "")}'
            f"</a> ({esc(s.get('lang') or '?')})</li>" for s in others[:10]) + "</ul>")
    if payload.get("kind") == "source_health":
        parts.append(f"<p>{esc(str(payload.get('stats')))}</p>")
    return "\n".join(parts)


def build_message(settings: dict[str, Any], items: list[dict[str, Any]],
                  subscription: str) -> EmailMessage:
    payloads = [i["payload"] for i in items]
    n = len(items)
    if n == 1:
        subject = headline(payloads[0])
    else:
        subject = f"{n} alerts on regulatory actions"
    msg = EmailMessage()
    msg["Subject"] = f"{settings.get('subject_prefix', '[Toezicht]')} {subject}".strip()
    msg["From"] = settings["from"]
    msg["To"] = ", ".join(settings["to"])
    msg["Date"] = formatdate(localtime=False)
    key = hashlib.sha256(",".join(sorted(i["delivery_id"] for i in items)).encode()).hexdigest()
    domain = settings["from"].rpartition("@")[2] or "toezicht.invalid"
    msg["Message-ID"] = f"<{key[:32]}@{domain}>"
    msg["X-Toezicht-Delivery"] = ",".join(i["delivery_id"] for i in items)
    intro = f"Toezicht subscription '{subscription}': {n} alert{'s' if n != 1 else ''}."
    msg.set_content(intro + "\n\n" + "\n\n".join(text_block(p) for p in payloads) + "\n")
    msg.add_alternative(
        f"<html><body><p>{html.escape(intro)}</p>\n"
        + "\n<hr>\n".join(_html_block(p) for p in payloads) + "\n</body></html>",
        subtype="html")
    return msg


def send(settings: dict[str, Any], items: list[dict[str, Any]], *, smtp: Any = None,
         subscription: str = "", **_: Any) -> dict[int, str | None]:
    """Send all items as one digest; all succeed or all are retried."""
    if smtp is None:
        return {i["id"]: "no [smtp] section configured" for i in items}
    msg = build_message(settings, items, subscription)
    try:
        if smtp.ssl:
            client: smtplib.SMTP = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout,
                                                    context=_ssl_context(smtp))
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        with client:
            client.ehlo()
            if smtp.starttls:
                client.starttls(context=_ssl_context(smtp))
                client.ehlo()
            if smtp.username:
                client.login(smtp.username, smtp.password)
            client.send_message(msg)
    except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
        error = f"smtp {smtp.host}:{smtp.port}: {exc.__class__.__name__}: {exc}"
        if no_answer(exc):
            error = NoAnswer(error)
        return {i["id"]: error for i in items}
    return {i["id"]: None for i in items}
