"""Reading WARC files as streams: local ``.warc``/``.warc.gz`` files or http(s) URLs
of them (read as they download, never saved first), from any record boundary on, so
a backfill resumes at the byte offset it reached (a ``Range`` request for a URL).

:func:`read_warc` yields every record as ``(offset, kind, page)``: the record's byte
offset in the file, what it is (``html``, or why it is skipped: ``request``,
``metadata``, ``revisit``, ``robots``, ``non_html``, ``http_status``, ...) and for
``html`` the :class:`Page` with its payload decoded (``Content-Encoding``,
``Transfer-Encoding: chunked``). Parsing is fastwarc's (Rust); a corrupt gzip member
is reported (:class:`WarcReader.errors`) and skipped to the next member that starts a
record, a truncated file ends the file with an error.
"""

from __future__ import annotations

import gzip
import os
import urllib.request
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

HTML_TYPES = {"text/html", "application/xhtml+xml"}
RESYNC_LIMIT = 64 * 1024 * 1024  # bytes searched for the next good member after a bad one
CHUNK = 1 << 20
USER_AGENT = "ToezichtBot/0.1 (backfill; research)"


class WarcError(Exception):
    """A WARC file cannot be opened or read on; one line."""


@dataclass
class Page:
    """One archived HTML response, payload decoded."""

    url: str
    warc_date: str  # ISO 8601, UTC
    status: int
    content_type: str | None
    headers: dict[str, str]
    body: bytes


def is_url(location: str) -> bool:
    return urlsplit(location).scheme in ("http", "https")


def file_key(location: str) -> str:
    """How the store names a WARC file: its URL, or its absolute path."""
    return location if is_url(location) else str(Path(location).resolve())


def open_at(location: str, offset: int = 0, timeout: float = 60.0) -> tuple[IO[bytes], int | None]:
    """A binary stream of ``location`` from byte ``offset`` on, and the file's size when
    known."""
    if not is_url(location):
        try:
            handle = open(location, "rb")  # noqa: SIM115 - the caller closes it
        except OSError as exc:
            raise WarcError(f"cannot open: {exc.strerror or exc}") from None
        size = os.fstat(handle.fileno()).st_size
        handle.seek(offset)
        return handle, size
    request = urllib.request.Request(location, headers={"User-Agent": USER_AGENT})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)  # noqa: S310
    except OSError as exc:
        raise WarcError(f"cannot fetch: {getattr(exc, 'reason', None) or exc}") from None
    size: int | None = None
    crange = response.headers.get("Content-Range") or ""
    if "/" in crange and crange.rsplit("/", 1)[1].isdigit():
        size = int(crange.rsplit("/", 1)[1])
    elif response.headers.get("Content-Length", "").isdigit():
        size = int(response.headers["Content-Length"]) + (offset if response.status == 206
                                                          else 0)
    if offset and response.status != 206:  # no range support: read up to the offset
        left = offset
        while left > 0:
            got = response.read(min(left, CHUNK))
            if not got:
                break
            left -= len(got)
    return response, size


def _http(block: bytes) -> tuple[int, dict[str, str], bytes] | None:
    """(status, headers with lower-case names, body) of an HTTP response block."""
    end = block.find(b"\r\n\r\n")
    sep = 4
    if end < 0:
        end, sep = block.find(b"\n\n"), 2
        if end < 0:
            return None
    lines = block[:end].split(b"\n")
    parts = lines[0].split(None, 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
        return None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if colon:
            key = name.strip().decode("latin-1").lower()
            text = value.strip().decode("latin-1")
            headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return int(parts[1]), headers, block[end + sep:]


def _dechunk(body: bytes) -> bytes:
    out = bytearray()
    pos = 0
    while True:
        line_end = body.find(b"\r\n", pos)
        if line_end < 0:
            raise ValueError("chunk size line")
        size = int(body[pos:line_end].split(b";")[0].strip() or b"0", 16)
        if size == 0:
            return bytes(out)
        start = line_end + 2
        out += body[start:start + size]
        pos = start + size + 2


def decode_payload(body: bytes, headers: dict[str, str]) -> bytes:
    """The payload without ``Transfer-Encoding: chunked`` and ``Content-Encoding``
    (gzip, deflate, zstd, br when brotli is installed). ValueError when it cannot."""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        try:
            body = _dechunk(body)
        except ValueError:
            pass  # stored de-chunked with the header kept: use as is
    for coding in reversed([c.strip().lower() for c in
                            headers.get("content-encoding", "").split(",") if c.strip()]):
        if coding in ("identity", "none", "utf-8", "utf8"):
            continue
        try:
            if coding in ("gzip", "x-gzip"):
                if body[:2] != b"\x1f\x8b":
                    continue  # stored decoded with the header kept
                body = zlib.decompress(body, 47)
            elif coding == "deflate":
                try:
                    body = zlib.decompress(body)
                except zlib.error:
                    body = zlib.decompress(body, -15)
            elif coding == "zstd":
                import zstandard

                body = zstandard.ZstdDecompressor().decompressobj().decompress(body)
            elif coding == "br":
                try:
                    import brotli  # type: ignore[import-not-found]
                except ImportError:
                    raise ValueError("brotli is not installed") from None
                body = brotli.decompress(body)
            else:
                raise ValueError(f"unknown content encoding {coding!r}")
        except (zlib.error, OSError, EOFError) as exc:
            raise ValueError(f"{coding}: {exc}") from None
        except Exception as exc:  # zstandard.ZstdError, brotli.error
            if isinstance(exc, ValueError):
                raise
            raise ValueError(f"{coding}: {exc}") from None
    return body


def _iso(when: Any) -> str:
    if isinstance(when, datetime):
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return when.astimezone(UTC).replace(microsecond=0).isoformat()
    return str(when or "")


def classify(record: Any) -> tuple[str, Page | None]:
    """What one fastwarc record is; the :class:`Page` for an HTML response."""
    kind = str(record.record_type).rpartition(".")[2]
    if kind != "response":
        return kind, None
    block = record.reader.read()
    if len(block) < record.content_length:
        raise WarcError("truncated record")
    url = record.headers.get("WARC-Target-URI") or ""
    if not url.startswith(("http://", "https://")):
        return "non_http", None
    parsed = _http(block)
    if parsed is None:
        return "non_http", None
    status, headers, body = parsed
    if urlsplit(url).path == "/robots.txt":
        return "robots", None
    if not 200 <= status < 300:
        return "http_status", None
    ctype = headers.get("content-type")
    mime = (ctype or "").split(";")[0].strip().lower()
    if mime not in HTML_TYPES:
        sniff = body[:512].lstrip()[:15].lower()
        if mime and mime not in ("application/octet-stream", "text/plain", "unknown/unknown"):
            return "non_html", None
        if not sniff.startswith((b"<!doctype html", b"<html")):
            return "non_html", None
    try:
        body = decode_payload(body, headers)
    except ValueError as exc:
        raise _PayloadError(str(exc)) from None
    return "html", Page(url=url, warc_date=_iso(record.record_date), status=status,
                        content_type=ctype, headers=headers, body=body)


class _PayloadError(Exception):
    """One record's payload cannot be decoded: that record fails, the file goes on."""


class WarcReader:
    """Iterate a WARC from ``offset`` on: ``for offset, kind, page in reader``.

    ``position`` is the offset of the next record not yet yielded (what a checkpoint
    stores), ``size`` the file's size when known, ``errors`` the one-line problems met
    (a corrupt member skipped); a problem that ends the file raises :class:`WarcError`.
    """

    def __init__(self, location: str, offset: int = 0) -> None:
        self.location = location
        self.position = offset
        self.size: int | None = None
        self.errors: list[str] = []
        self.gzipped: bool | None = None

    def __iter__(self) -> Iterator[tuple[int, str, Page | None]]:
        from fastwarc.warc import ArchiveIterator

        base = self.position
        while True:
            stream, size = open_at(self.location, base)
            self.size = size
            last_start = None
            try:
                if self.gzipped is None:
                    head = stream.peek(2)[:2] if hasattr(stream, "peek") else b""
                    self.gzipped = head == b"\x1f\x8b" or self.location.endswith(".gz")
                records = ArchiveIterator(_Unseekable(stream), parse_http=False,
                                          auto_decode="none")
                try:
                    for record in records:
                        start = base + record.stream_pos
                        last_start = start
                        self.position = start
                        try:
                            kind, page = classify(record)
                        except _PayloadError as exc:
                            yield start, "failed:content_encoding", None
                            self.errors.append(f"record at byte {start}: {exc}")
                            continue
                        yield start, kind, page
                except WarcError as exc:
                    raise WarcError(f"{exc} at byte {last_start}") from None
                except OSError as exc:
                    at = last_start if last_start is not None else base
                    message = " ".join(str(exc).split())
                    resume = self._resync(at + 1) if self.gzipped else None
                    if resume is None:
                        raise WarcError(f"corrupt or truncated at byte {at}: {message}") from None
                    self.errors.append(f"corrupt gzip member after byte {at} ({message}); "
                                       f"skipped to byte {resume}")
                    base = self.position = resume
                    continue
            finally:
                stream.close()
            if self.gzipped:
                self._check_tail(last_start if last_start is not None else base)
            self.position = self._end(size)
            return

    def _check_tail(self, start: int) -> None:
        """fastwarc ends quietly at a gzip member cut short at the end of the file:
        check that the members from the last record on are whole."""
        stream, _ = open_at(self.location, start)
        try:
            data = stream.read(RESYNC_LIMIT)
        finally:
            stream.close()
        at = start
        while data:
            inflater = zlib.decompressobj(31)
            try:
                inflater.decompress(data)
            except zlib.error:
                return  # corrupt rather than cut short: fastwarc said nothing, neither do we
            if not inflater.eof:
                self.position = at
                raise WarcError(f"truncated: the gzip member at byte {at} is cut short")
            used = len(data) - len(inflater.unused_data)
            at += used
            data = inflater.unused_data

    def _end(self, size: int | None) -> int:
        return size if size is not None else self.position

    def _resync(self, start: int) -> int | None:
        """The offset of the next gzip member at or after ``start`` that decompresses
        to the start of a WARC record, or None."""
        stream, _ = open_at(self.location, start)
        try:
            buffer = b""
            scanned = 0
            while scanned < RESYNC_LIMIT:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                buffer += chunk
                pos = 0
                while True:
                    at = buffer.find(b"\x1f\x8b\x08", pos)
                    if at < 0 or len(buffer) - at < 64 and chunk:
                        break
                    if _whole_member(buffer, at):
                        return start + scanned + at
                    pos = at + 1
                keep = min(len(buffer), 65536)
                scanned += len(buffer) - keep
                buffer = buffer[-keep:] if keep else b""
            return None
        finally:
            stream.close()


def _whole_member(buffer: bytes, at: int) -> bool:
    """Whether a complete, intact gzip member starting a WARC record begins at ``at``
    (a corrupt member's intact header is not enough: its data must check out)."""
    inflater = zlib.decompressobj(31)
    try:
        head = inflater.decompress(buffer[at:at + 16 * CHUNK], 16)
        if not head.startswith(b"WARC/"):
            return False
        for _ in range(4096):  # at most 4 GB of output: a member is a record
            if inflater.eof or not inflater.unconsumed_tail:
                break
            inflater.decompress(inflater.unconsumed_tail, CHUNK)
    except zlib.error:
        return False
    return inflater.eof


class _Unseekable:
    """A stream seen as read-only: fastwarc then counts ``stream_pos`` from where it
    starts reading (our offset), the same for files and downloads."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._read = 0

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self._read += len(data)
        return data

    def tell(self) -> int:
        return self._read

    def seekable(self) -> bool:
        return False


def read_warc(location: str, offset: int = 0) -> Iterator[tuple[int, str, Page | None]]:
    """Shorthand for ``iter(WarcReader(location, offset))``."""
    return iter(WarcReader(location, offset))


# -- writing (tests, benchmarks, small tools) -------------------------------------------
def response_record(url: str, body: bytes, *, date: str = "2026-01-12T10:00:00Z",
                    content_type: str = "text/html; charset=utf-8", status: int = 200,
                    content_encoding: str | None = None, record_type: str = "response",
                    record_id: str | None = None) -> bytes:
    """One WARC record (uncompressed) for an HTTP response (or ``record_type``)."""
    import uuid

    payload = body
    head = f"HTTP/1.1 {status} OK\r\nContent-Type: {content_type}\r\n"
    if content_encoding == "gzip":
        payload = gzip.compress(body, 5)
        head += "Content-Encoding: gzip\r\n"
    block = (head + f"Content-Length: {len(payload)}\r\n\r\n").encode("latin-1") + payload
    if record_type == "request":
        block = f"GET {urlsplit(url).path or '/'} HTTP/1.1\r\nHost: {urlsplit(url).netloc}" \
                "\r\n\r\n".encode("latin-1")
        msgtype = "application/http; msgtype=request"
    elif record_type == "metadata":
        block = b"fetchTimeMs: 12\r\n"
        msgtype = "application/warc-fields"
    else:
        msgtype = "application/http; msgtype=response"
    rid = record_id or f"<urn:uuid:{uuid.uuid4()}>"
    header = (f"WARC/1.0\r\nWARC-Type: {record_type}\r\nWARC-Record-ID: {rid}\r\n"
              f"WARC-Date: {date}\r\nWARC-Target-URI: {url}\r\nContent-Type: {msgtype}\r\n"
              f"Content-Length: {len(block)}\r\n\r\n").encode("latin-1")
    return header + block + b"\r\n\r\n"


def write_warc(path: str | Path, records: Any, *, compress: bool = True) -> Path:
    """Write ``records`` (bytes from :func:`response_record`) as a WARC file, one gzip
    member per record when ``compress`` (as crawlers write them)."""
    path = Path(path)
    with open(path, "wb") as out:
        for record in records:
            out.write(gzip.compress(record, 5) if compress else record)
    return path
