"""A reference webhook receiver: how to consume Toezicht webhooks exactly once.

Toezicht delivers at least once: a POST may be repeated after a crash or a lost
answer, always with the same ``X-Toezicht-Delivery`` id. A receiver that

1. checks ``X-Toezicht-Signature`` (HMAC-SHA256 of the raw body with the shared
   secret) and answers 401 when it does not match,
2. remembers the delivery ids it has processed (durably, in real use), and
3. answers 2xx for a repeat without processing it again,

processes every alert exactly once. This class does that in memory on a local
port; the test suite uses it, and it is small enough to copy.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from toezicht.alerts.channels.webhook import verify


class WebhookReceiver:
    """An HTTP server on ``host:port`` (port 0 = any free port) in a thread.

    ``requests`` holds every POST seen, ``accepted`` the payloads processed once
    each (deduplicated on the delivery id). ``fail_next`` answers the next N
    requests with 503, to rehearse an outage."""

    def __init__(self, secret: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.secret = secret
        self.requests: list[dict[str, Any]] = []
        self.accepted: list[dict[str, Any]] = []
        self.seen: set[str] = set()
        self.fail_next = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server API)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                code = receiver.handle(dict(self.headers.items()), body)
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hook"

    def handle(self, headers: dict[str, str], body: bytes) -> int:
        """Process one POST; returns the HTTP status to answer."""
        with self._lock:
            self.requests.append({"headers": headers, "body": body})
            if self.fail_next > 0:
                self.fail_next -= 1
                return 503
            if not verify(self.secret, body, headers.get("X-Toezicht-Signature", "")):
                return 401
            delivery = headers.get("X-Toezicht-Delivery", "")
            if delivery in self.seen:
                return 200  # a repeat: already processed
            self.seen.add(delivery)
            self.accepted.append(json.loads(body))
            return 200

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
