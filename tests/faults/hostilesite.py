"""A hostile news site on 127.0.0.1 for the fault tests: real HTTP (threaded), no
mocks. Next to good article pages it serves what a crawl used to drop silently:

- ``/bomb.xml``: an RSS feed with a billion-laughs entity bomb;
- ``/quadratic.xml``: a feed with one large entity referenced thousands of times
  (no nesting: libxml2's amplification limit catches it);
- ``/xxe.xml``: a sitemap declaring external entities (a file and ``/evil.dtd``);
- ``/loop/a.html`` ⇄ ``/loop/b.html``: a two-page redirect cycle (article);
- ``/chain/0.html`` → ... → ``/chain/8.html``: more redirects than allowed;
- ``/loopfeed.xml`` ⇄ ``/loopfeed2.xml``: a feed behind a redirect cycle;
- ``/p/gone.html``: an article redirecting to a listing page (``/list/2.html``);
- ``/big.xml``, ``/big.xml.gz`` and ``/big-encoded.xml``: one large sitemap written
  by :func:`write_big_sitemap` into the site's directory, served plain, as a gzip
  file, and plain with ``Content-Encoding: gzip``.

Every request is recorded (``site.paths``).
"""

from __future__ import annotations

import gzip
import shutil
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from faults.slowsite import article_html

GOOD_ARTICLES = 4  # /a/0.html .. /a/3.html, in the good feed
CHAIN = 8  # /chain/0.html redirects to /chain/1.html ... up to the article /chain/8.html

RSS = ("<?xml version='1.0' encoding='utf-8'?>{doctype}<rss version='2.0'><channel>"
       "<title>{title}</title><link>{base}/</link>{items}</channel></rss>")
SITEMAP_HEAD = ("<?xml version='1.0' encoding='UTF-8'?>\n<urlset xmlns="
                "'http://www.sitemaps.org/schemas/sitemap/0.9'>\n")


def item(title: str, link: str | None) -> str:
    return f"<item><title>{title}</title>" + (f"<link>{link}</link>" if link else
                                               "<description>no link</description>") + "</item>"


def good_feed(base: str) -> bytes:
    host = base.split("//", 1)[1]
    items = [item(f"Story {i}", f"{base}/a/{i}.html") for i in range(GOOD_ARTICLES)]
    items += [item("Loop", f"{base}/loop/a.html"), item("Chain", f"{base}/chain/0.html"),
              item("No link", None), item("Broken", "http://[::1/broken"),
              item("FTP", f"ftp://{host}/file.html")]
    return RSS.format(doctype="", title="Good", base=base, items="".join(items)).encode()


def bomb_feed(base: str) -> bytes:
    entities = "<!ENTITY lol0 'lol'>" + "".join(
        f"<!ENTITY lol{i} '{f'&lol{i - 1};' * 10}'>" for i in range(1, 11))
    return RSS.format(doctype=f"<!DOCTYPE rss [{entities}]>", title="&lol10;", base=base,
                      items=item("&lol10;", f"{base}/a/100.html")).encode()


def quadratic_feed(base: str) -> bytes:
    doctype = "<!DOCTYPE rss [<!ENTITY big '" + "x" * 100_000 + "'>]>"
    return RSS.format(doctype=doctype, title="&big;" * 20_000, base=base,
                      items=item("Quadratic", f"{base}/a/101.html")).encode()


def xxe_sitemap(base: str) -> bytes:
    return (f"<?xml version='1.0'?><!DOCTYPE urlset [<!ENTITY xxe SYSTEM 'file:///etc/passwd'>"
            f"<!ENTITY % remote SYSTEM '{base}/evil.dtd'> %remote;]>{SITEMAP_HEAD}"
            f"<url><loc>{base}/a/&xxe;.html</loc></url><url><loc>{base}/a/102.html</loc></url>"
            "</urlset>").encode()


def listing(links: list[str]) -> bytes:
    anchors = "".join(f"<li><a href='{href}'>{href}</a></li>" for href in links)
    return (f"<!doctype html><html lang='en'><head><title>Listing</title></head><body><ul>"
            f"{anchors}</ul></body></html>").encode()


def write_big_sitemap(directory: Path, base: str, urls: int) -> tuple[Path, Path]:
    """``big.xml`` (``urls`` entries ``{base}/s/<i>.html``) and ``big.xml.gz``."""
    plain = directory / "big.xml"
    with plain.open("w", encoding="utf-8") as out:
        out.write(SITEMAP_HEAD)
        for i in range(urls):
            out.write(f"<url><loc>{base}/s/{i}.html</loc><lastmod>2026-01-01</lastmod>"
                      "</url>\n")
        out.write("</urlset>\n")
    packed = directory / "big.xml.gz"
    with plain.open("rb") as src, gzip.open(packed, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return plain, packed


class HostileSite:
    """``with HostileSite(directory) as site: site.base_url, site.paths``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.paths: list[str] = []
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                path = self.path.split("?")[0]
                with site._lock:
                    site.paths.append(path)
                route = site.route(path)
                if route is None:
                    self._send(404, {"Content-Type": "text/plain"}, b"not found")
                else:
                    route(self)

            def _send(self, status: int, headers: dict[str, str], body: bytes | Path) -> None:
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    size = body.stat().st_size if isinstance(body, Path) else len(body)
                    self.send_header("Content-Length", str(size))
                    self.end_headers()
                    if isinstance(body, Path):
                        with body.open("rb") as f:
                            shutil.copyfileobj(f, self.wfile, 256 * 1024)
                    else:
                        self.wfile.write(body)
                except OSError:  # the crawler hung up (a download stopped at its cap)
                    self.close_connection = True

        self.Handler = Handler
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def route(self, path: str) -> Callable[[BaseHTTPRequestHandler], None] | None:
        base = self.base_url
        xml = {"Content-Type": "application/xml; charset=utf-8"}
        html = {"Content-Type": "text/html; charset=utf-8"}

        def send(status: int, headers: dict[str, str], body: bytes | Path) -> Callable:
            return lambda handler: handler._send(status, headers, body)

        def redirect(to: str, status: int = 302, delay: float = 0.0) -> Callable:
            def answer(handler: BaseHTTPRequestHandler) -> None:
                time.sleep(delay)
                handler._send(status, {"Location": f"{base}{to}"}, b"")
            return answer

        fixed = {
            "/robots.txt": send(200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"),
            "/feed.xml": send(200, xml, good_feed(base)),
            "/bomb.xml": send(200, xml, bomb_feed(base)),
            "/quadratic.xml": send(200, xml, quadratic_feed(base)),
            "/xxe.xml": send(200, xml, xxe_sitemap(base)),
            "/loop/a.html": redirect("/loop/b.html"),
            "/loop/b.html": redirect("/loop/a.html"),
            "/loopfeed.xml": redirect("/loopfeed2.xml"),
            "/loopfeed2.xml": redirect("/loopfeed.xml"),
            "/index.html": send(200, html, listing(["/p/1.html", "/p/2.html", "/p/gone.html",
                                                    "/list/2.html"])),
            "/list/2.html": send(200, html, listing(["/p/3.html", "/index.html"])),
            # answered late, so the listing it points to is surely scheduled already
            "/p/gone.html": redirect("/list/2.html", 301, delay=0.5),
            "/big.xml": send(200, xml, self.directory / "big.xml"),
            "/big.xml.gz": send(200, {"Content-Type": "application/x-gzip"},
                                self.directory / "big.xml.gz"),
            "/big-encoded.xml": send(200, {**xml, "Content-Encoding": "gzip"},
                                     self.directory / "big.xml.gz"),
        }
        if path in fixed:
            return fixed[path]
        for prefix, offset in (("/a/", 0), ("/s/", 10_000), ("/p/", 1_000_000)):
            number = path.removeprefix(prefix).removesuffix(".html")
            if path.startswith(prefix) and path.endswith(".html") and number.isdigit():
                return send(200, html, article_html(offset + int(number)))
        if path.startswith("/chain/") and path.endswith(".html"):
            step = path[len("/chain/"):-len(".html")]
            if step.isdigit() and int(step) < CHAIN:
                return redirect(f"/chain/{int(step) + 1}.html")
            if step == str(CHAIN):
                return send(200, html, article_html(2_000_000))
        return None

    def __enter__(self) -> HostileSite:
        threading.Thread(target=self.httpd.serve_forever, name="hostilesite", daemon=True).start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
