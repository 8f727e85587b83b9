"""The sources file: valid files load, bad ones give one-line errors naming file and entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.sources import SourceError, load_sources, select_sources
from toezicht.config import DEFAULT_SOURCES, PACKAGE_DIR

GOOD = """
[[source]]
name = "nos"
type = "feed"
url = "https://feeds.nos.nl/nosnieuwsalgemeen"
lang = "nl"
deny = ['/liveblog/']

[[source]]
name = "guardian-sitemap"
type = "sitemap"
url = "https://www.theguardian.com/sitemaps/news.xml"
allow = ['/technology/']
enabled = false

[[source]]
name = "ap-nieuws"
type = "pages"
url = "https://www.autoriteitpersoonsgegevens.nl/actueel"
allow = ['/actueel/']
follow = ['/actueel\\?page=\\d+$']
depth = 2
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_file_loads(tmp_path: Path) -> None:
    sources = load_sources(write(tmp_path, GOOD))
    assert [s.name for s in sources] == ["nos", "guardian-sitemap", "ap-nieuws"]
    nos, sitemap, pages = sources
    assert (nos.type, nos.lang) == ("feed", "nl")
    assert not nos.accepts("https://nos.nl/liveblog/123") and nos.accepts("https://nos.nl/a")
    assert sitemap.accepts("https://www.theguardian.com/technology/2026/jan/12/grok")
    assert not sitemap.accepts("https://www.theguardian.com/sport/2026/jan/12/x")
    assert pages.follows("https://www.autoriteitpersoonsgegevens.nl/actueel?page=2")
    assert pages.depth == 2


def test_selection(tmp_path: Path) -> None:
    sources = load_sources(write(tmp_path, GOOD))
    assert [s.name for s in select_sources(sources, None)] == ["nos", "ap-nieuws"]
    # a disabled source still runs when asked for by name
    assert [s.name for s in select_sources(sources, ["guardian-sitemap"])] == [
        "guardian-sitemap"]
    with pytest.raises(SourceError, match="unknown source 'nope'"):
        select_sources(sources, ["nos", "nope"])


def test_placeholders(tmp_path: Path) -> None:
    path = write(tmp_path, '[[source]]\nname = "demo"\ntype = "feed"\nurl = "{base}/feed.xml"\n'
                           "allow = ['^{base}/nieuws/']\n")
    (src,) = load_sources(path, {"base": "http://127.0.0.1:8765/"})
    assert src.url == "http://127.0.0.1:8765/feed.xml"
    assert src.accepts("http://127.0.0.1:8765/nieuws/a.html")
    with pytest.raises(SourceError, match=r"unresolved placeholder \{base\}"):
        load_sources(path)
    (kept,) = load_sources(path, keep_placeholders=True)
    assert kept.url == "{base}/feed.xml"


BAD = {
    "not toml": ("[[source]\nname = 'x'", "is not valid TOML"),
    "no entries": ("title = 'x'\n", "unknown top-level key 'title'"),
    "empty": ("", "no [[source]] entries"),
    "bad type": ('[[source]]\nname = "a"\ntype = "rss"\nurl = "https://a.nl/f"\n',
                 "source #1 'a': type must be one of feed, sitemap, pages"),
    "no url": ('[[source]]\nname = "a"\ntype = "feed"\n', "source #1 'a': url is required"),
    "relative url": ('[[source]]\nname = "a"\ntype = "feed"\nurl = "/feed.xml"\n',
                     "url must be an absolute http(s) URL"),
    "bad name": ('[[source]]\nname = "a b"\ntype = "feed"\nurl = "https://a.nl/f"\n',
                 "source #1: name must be"),
    "unknown key": ('[[source]]\nname = "a"\ntype = "feed"\nurl = "https://a.nl/f"\nalow = []\n',
                    "source #1 'a': unknown key 'alow'"),
    "bad regex": ('[[source]]\nname = "a"\ntype = "feed"\nurl = "https://a.nl/f"\n'
                  "allow = ['(']\n", "allow pattern '(' is not a valid regex"),
    "bad lang": ('[[source]]\nname = "a"\ntype = "feed"\nurl = "https://a.nl/f"\n'
                 'lang = "dutch"\n', "lang must be a two-letter"),
    "follow on feed": ('[[source]]\nname = "a"\ntype = "feed"\nurl = "https://a.nl/f"\n'
                       "follow = ['x']\n", "follow is only for"),
    "deep": ('[[source]]\nname = "a"\ntype = "pages"\nurl = "https://a.nl/f"\ndepth = 9\n',
             "depth must be an integer from 0 to 3"),
    "duplicate": ('[[source]]\nname = "a"\ntype = "feed"\nurl = "https://a.nl/f"\n'
                  '[[source]]\nname = "a"\ntype = "feed"\nurl = "https://a.nl/g"\n',
                  "source #2: duplicate name 'a'"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_files_give_one_line_errors(tmp_path: Path, case: str) -> None:
    text, message = BAD[case]
    path = write(tmp_path, text)
    with pytest.raises(SourceError) as err:
        load_sources(path)
    assert message in str(err.value)
    assert str(path) in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="sources file not found"):
        load_sources(tmp_path / "nope.toml")


def test_default_and_demo_sources_are_valid() -> None:
    """The shipped files validate (nothing is fetched)."""
    defaults = load_sources(DEFAULT_SOURCES)
    names = {s.name for s in defaults}
    assert {"nos", "nu", "tweakers", "security-nl", "bbc-technology", "guardian-technology",
            "the-verge", "techcrunch"} <= names
    assert {s.lang for s in defaults} == {"nl", "en"}
    assert any(s.url.startswith("https://news.google.com/rss/search") for s in defaults)
    demo = load_sources(PACKAGE_DIR / "demo" / "sources.toml", {"base": "http://127.0.0.1:1"})
    assert {s.type for s in demo} == {"feed", "sitemap", "pages"}
