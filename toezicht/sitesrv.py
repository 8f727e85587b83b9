"""A local news site on 127.0.0.1 for the demo, the tests and the benchmark.

Serves a directory over real HTTP (threaded, keep-alive). Text files (HTML, XML,
TXT) are templates: ``{base}`` becomes the server's base URL, so feeds and sitemaps
can carry absolute links without hard-coding a port. An optional ``_site.toml`` in
the directory adds the behaviours real sites have::

    [redirects]          # path -> target path, answered with 301
    "/oud/artikel" = "/nieuws/artikel.html"
    [flaky]              # path -> how many times it fails with 500 before it works
    "/nieuws/druk.html" = 1
    [charset]            # path -> encoding the (UTF-8) file is served in
    "/nieuws/oud.html" = "windows-1252"
    [content_types]      # path -> Content-Type (default: by extension)
    "/feed.xml" = "application/rss+xml"
    [status]             # path -> status code to answer with
    "/weg.html" = 410

Usage: ``with SiteServer(path) as site: site.base_url ...`` (``site.requests`` is the
request log); ``python -m toezicht.sitesrv DIR`` serves a directory by hand.
"""

from __future__ import annotations

import argparse
import hashlib
import mimetypes
import threading
import tomllib
from collections import Counter
from collections.abc import Mapping
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

TEXT_SUFFIXES = {".html", ".htm", ".xml", ".txt", ".rss", ".atom", ".json", ""}
DEFAULT_TYPES = {".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8",
                 ".xml": "application/xml; charset=utf-8", ".txt": "text/plain; charset=utf-8",
                 ".pdf": "application/pdf", ".json": "application/json"}


class SiteServer:
    """A threaded HTTP server for one site directory, with a request log."""

    def __init__(self, root: str | Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise FileNotFoundError(f"site directory not found: {self.root}")
        conf_file = self.root / "_site.toml"
        self.conf: dict[str, Any] = (tomllib.loads(conf_file.read_text(encoding="utf-8"))
                                     if conf_file.exists() else {})
        self.requests: list[tuple[str, str, int]] = []  # (method, path?query, status)
        self._served: Counter[str] = Counter()
        self._lock = threading.Lock()
        # (file, mtime) -> (body, validators): an edited file is read again
        self._cache: dict[tuple[Path, int], tuple[bytes, dict[str, str]]] = {}
        handler = type("Handler", (_Handler,), {"site": self})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> SiteServer:
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="sitesrv",
                                       daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> SiteServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def count(self, path: str, method: str = "GET") -> int:
        """How many times ``path`` (without query) was requested."""
        with self._lock:
            return sum(1 for m, p, _ in self.requests if m == method and p.split("?")[0] == path)

    def paths(self) -> list[str]:
        with self._lock:
            return [p for _, p, _ in self.requests]

    # -- resolving a request ------------------------------------------------------------
    def _log(self, method: str, target: str, status: int) -> None:
        with self._lock:
            self.requests.append((method, target, status))

    def _file(self, path: str) -> Path | None:
        candidate = (self.root / unquote(path).lstrip("/")).resolve()
        if candidate != self.root and self.root not in candidate.parents:
            return None
        if candidate.is_dir():
            candidate = candidate / "index.html"
        if candidate.name.startswith("_") or not candidate.is_file():
            return None
        return candidate

    def respond(self, path: str, request_headers: Mapping[str, str] | None = None
                ) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and body for a GET of ``path``; a conditional GET whose
        validators still match gets 304 Not Modified, as real sites answer."""
        request_headers = request_headers or {}
        redirects = self.conf.get("redirects", {})
        if path in redirects:
            return 301, {"Location": self.base_url + redirects[path]}, b""
        flaky = self.conf.get("flaky", {})
        if path in flaky:
            with self._lock:
                self._served[path] += 1
                failing = self._served[path] <= int(flaky[path])
            if failing:
                return 500, {"Content-Type": "text/html; charset=utf-8"}, (
                    b"<html><body><h1>500 Internal Server Error</h1></body></html>")
        file = self._file(path)
        if file is None:
            return 404, {"Content-Type": "text/html; charset=utf-8"}, (
                b"<html><head><title>Niet gevonden</title></head><body><h1>404 - pagina niet "
                b"gevonden</h1></body></html>")
        suffix = file.suffix.lower()
        ctype = self.conf.get("content_types", {}).get(path) or DEFAULT_TYPES.get(suffix) or (
            mimetypes.guess_type(file.name)[0] or "application/octet-stream")
        charset = self.conf.get("charset", {}).get(path)
        if charset:
            ctype = f"{ctype.split(';')[0]}; charset={charset}"
        stamp = file.stat().st_mtime_ns
        cached = self._cache.get((file, stamp))
        if cached is None:
            body = file.read_bytes()
            if suffix in TEXT_SUFFIXES and not body.startswith(b"%PDF"):
                text = body.decode("utf-8").replace("{base}", self.base_url)
                body = text.encode(charset or "utf-8")
            cached = self._cache[(file, stamp)] = (body, validators(body, stamp))
        body, checks = cached
        status = int(self.conf.get("status", {}).get(path, 200))
        headers = {"Content-Type": ctype, **checks}
        if status == 200 and not_modified(request_headers, headers):
            return 304, headers, b""
        return status, headers, body


def validators(body: bytes, mtime_ns: int) -> dict[str, str]:
    """ETag (content hash) and Last-Modified (file time) of a response body."""
    modified = formatdate(mtime_ns / 1e9, usegmt=True)
    return {"ETag": '"' + hashlib.sha1(body).hexdigest()[:16] + '"', "Last-Modified": modified}


def not_modified(request: Mapping[str, str], response: Mapping[str, str]) -> bool:
    """RFC 9110: If-None-Match wins over If-Modified-Since."""
    tags = request.get("If-None-Match")
    if tags is not None:
        return response["ETag"] in {t.strip() for t in tags.split(",")} or tags.strip() == "*"
    since = request.get("If-Modified-Since")
    if since is None:
        return False
    try:
        return parsedate_to_datetime(response["Last-Modified"]) <= parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False


class _Handler(BaseHTTPRequestHandler):
    site: SiteServer
    protocol_version = "HTTP/1.1"
    server_version = "ToezichtDemoSite/1.0"

    def _serve(self, with_body: bool) -> None:
        target = self.path
        path = urlsplit(target).path or "/"
        status, headers, body = self.site.respond(path, self.headers)
        self.site._log(self.command, target, status)
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        self._serve(True)

    def do_HEAD(self) -> None:  # noqa: N802 - http.server API
        self._serve(False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve a Toezicht demo/test news site.")
    parser.add_argument("directory", nargs="?",
                        default=str(Path(__file__).parent / "demo" / "site"))
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    server = SiteServer(args.directory, port=args.port).start()
    print(f"serving {server.root} at {server.base_url} (Ctrl-C to stop)", flush=True)
    try:
        assert server.thread is not None
        server.thread.join()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
