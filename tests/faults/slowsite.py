"""A slow news site on 127.0.0.1 for the fault tests: an RSS feed of ``articles``
English articles, each page answered after ``delay`` seconds, so a crawl is still
busy when a test signals or kills it. Real HTTP (threaded), no mocks."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PARAGRAPH = ("The regulator opened an investigation into the chatbot provider after "
             "complaints about generated images of real people. The authority asked the "
             "company for documents about its safety measures and its handling of personal "
             "data, and said it would decide within weeks whether to impose a fine.")


def article_html(i: int) -> bytes:
    day = (datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=i % 300)).date().isoformat()
    body = "".join(f"<p>Paragraph {k} of story {i}. {PARAGRAPH}</p>" for k in range(4))
    title = f"Story number {i} about a regulator"
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}"
            f"</title><meta property='article:published_time' content='{day}T09:00:00+00:00'>"
            f"</head><body><article><h1>{title}</h1><time datetime='{day}'>{day}</time>"
            f"{body}</article></body></html>").encode()


class SlowSite:
    """``with SlowSite(articles, delay) as site: site.base_url, site.hits``."""

    def __init__(self, articles: int = 300, delay: float = 0.3) -> None:
        self.articles, self.delay = articles, delay
        self._hits = 0
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                path = self.path.split("?")[0]
                if path == "/robots.txt":
                    self._send(200, "text/plain", b"User-agent: *\nAllow: /\n")
                elif path == "/feed.xml":
                    self._send(200, "application/rss+xml; charset=utf-8", site.feed())
                elif path.startswith("/a/") and path.endswith(".html") and path[3:-5].isdigit():
                    time.sleep(site.delay)
                    site.hit()
                    self._send(200, "text/html; charset=utf-8", article_html(int(path[3:-5])))
                else:
                    self._send(404, "text/plain", b"not found")

            def _send(self, status: int, ctype: str, body: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # the crawler went away mid-answer (killed)
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def hits(self) -> int:
        """Article pages served so far."""
        with self._lock:
            return self._hits

    def hit(self) -> None:
        with self._lock:
            self._hits += 1

    def feed(self) -> bytes:
        items = "".join(
            f"<item><title>Story number {i}</title><link>{self.base_url}/a/{i}.html</link>"
            f"<guid>{self.base_url}/a/{i}.html</guid></item>" for i in range(self.articles))
        return (f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
                f"<title>Slow</title><link>{self.base_url}/</link>{items}</channel></rss>"
                ).encode()

    def __enter__(self) -> SlowSite:
        threading.Thread(target=self.httpd.serve_forever, name="slowsite", daemon=True).start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
