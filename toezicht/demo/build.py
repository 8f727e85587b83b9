"""Render the demo news site (``toezicht/demo/site/``) from ``articles.toml``.

The rendered files are committed; run ``python -m toezicht.demo.build`` after
editing the articles. Pages carry the boilerplate real news sites have (navigation,
cookie banner, related links, comments, footer) so extraction is tested against it;
dates sit where ``date_style`` says (JSON-LD, meta tag, feed only, URL only, text).
``{base}`` is filled in by ``toezicht.sitesrv`` when the site is served.
"""

from __future__ import annotations

import html
import json
import shutil
import tomllib
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SITE = HERE / "site"

MONTHS = {"nl": ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
                 "september", "oktober", "november", "december"],
          "en": ["January", "February", "March", "April", "May", "June", "July", "August",
                 "September", "October", "November", "December"]}
UI = {
    "nl": {
        "site": "De Digitale Courant", "home": "/", "by": "Door",
        "nav": ["Home", "Binnenland", "Buitenland", "Politiek", "Economie", "Tech", "Sport",
                "Cultuur", "Archief"],
        "cookie": "Deze website gebruikt cookies om uw ervaring te verbeteren en advertenties "
                  "te personaliseren. Door verder te klikken gaat u akkoord met ons "
                  "cookiebeleid.",
        "accept": "Alle cookies accepteren", "refuse": "Alleen noodzakelijke cookies",
        "related": "Lees ook", "comments": "Reacties", "share": "Deel dit artikel",
        "newsletter": "Meld je aan voor onze dagelijkse nieuwsbrief en mis niets.",
        "footer": "© 2026 De Digitale Courant B.V. Alle rechten voorbehouden. Privacyverklaring"
                  " · Colofon · Adverteren",
        "comment_list": [
            ("Jeroen_71", "Goed dat hier eindelijk iets aan gedaan wordt, veel te laat "
                          "natuurlijk."),
            ("Mariska", "Wie controleert die bedrijven eigenlijk? Ik snap niet dat dit "
                        "allemaal kan."),
            ("ouwe_lezer", "Weer een artikel achter de betaalmuur binnenkort zeker."),
        ],
        "ago": "uur geleden", "reply": "Reageer",
    },
    "en": {
        "site": "The Digital Courier", "home": "/", "by": "By",
        "nav": ["Home", "World", "Politics", "Business", "Technology", "Sport", "Culture",
                "Archive"],
        "cookie": "We use cookies to improve your experience and to show you relevant "
                  "advertising. Manage your preferences at any time in our cookie policy.",
        "accept": "Accept all cookies", "refuse": "Reject non-essential",
        "related": "Read more", "comments": "Comments", "share": "Share this story",
        "newsletter": "Sign up to our morning briefing, delivered free every weekday.",
        "footer": "© 2026 The Digital Courier Ltd. All rights reserved. Privacy policy · "
                  "Terms of use · Advertise with us",
        "comment_list": [
            ("northern_reader", "About time regulators woke up to this, frankly."),
            ("JB1984", "The technology was always going to be abused like this."),
            ("kat_w", "Great reporting as always, keep it up."),
        ],
        "ago": "hours ago", "reply": "Reply",
    },
}


def load_articles() -> list[dict[str, Any]]:
    data = tomllib.loads((HERE / "articles.toml").read_text(encoding="utf-8"))
    articles = data["article"]
    for a in articles:
        folder = "nieuws" if a["lang"] == "nl" else "news"
        if a.get("url_date"):
            a["path"] = f"/{folder}/{a['url_date']}/{a['slug']}.html"
        else:
            a["path"] = f"/{folder}/{a['slug']}.html"
        a["dt"] = (datetime.fromisoformat(a["date"]) if "T" in a["date"]
                   else datetime.fromisoformat(a["date"] + "T09:00:00+01:00"))
    return articles


def written_date(a: dict[str, Any]) -> str:
    d = a["dt"]
    if a["lang"] == "nl":
        days = ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"]
        return f"{days[d.weekday()]} {d.day} {MONTHS['nl'][d.month - 1]} {d.year}"
    return f"{MONTHS['en'][d.month - 1]} {d.day}, {d.year}"


def e(text: str) -> str:
    return html.escape(text, quote=True)


def page(a: dict[str, Any], by_slug: dict[str, dict[str, Any]]) -> str:
    ui = UI[a["lang"]]
    charset = a.get("charset", "utf-8")
    head = [f'<meta charset="{charset}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{e(a['title'])} | {e(ui['site'])}</title>",
            f'<meta name="description" content="{e(a["summary"])}">',
            f'<link rel="canonical" href="{{base}}{a["path"]}">',
            f'<meta property="og:title" content="{e(a["title"])}">',
            '<meta property="og:type" content="article">',
            f'<meta property="og:url" content="{{base}}{a["path"]}">',
            f'<meta property="og:image" content="{{base}}/img/{a["slug"]}.jpg">',
            f'<meta property="og:site_name" content="{e(ui["site"])}">',
            f'<meta name="author" content="{e(a["author"])}">',
            f'<meta property="article:section" content="{e(a["section"])}">',
            '<link rel="stylesheet" href="/static/site.css">']
    byline_date = ""
    if a["date_style"] == "meta":
        head.append(f'<meta property="article:published_time" content="{a["dt"].isoformat()}">')
        byline_date = written_date(a)
    elif a["date_style"] == "jsonld":
        ld = {"@context": "https://schema.org", "@type": "NewsArticle",
              "headline": a["title"], "datePublished": a["dt"].isoformat(),
              "dateModified": a["dt"].isoformat(), "inLanguage": a["lang"],
              "articleSection": a["section"],
              "author": [{"@type": "Person", "name": a["author"]}],
              "publisher": {"@type": "Organization", "name": ui["site"]},
              "image": [f"{{base}}/img/{a['slug']}.jpg"],
              "mainEntityOfPage": f"{{base}}{a['path']}"}
        head.append('<script type="application/ld+json">'
                    + json.dumps(ld, ensure_ascii=False) + "</script>")
        byline_date = written_date(a)
    elif a["date_style"] == "text":
        byline_date = written_date(a)
    nav = "".join(f'<li><a href="/{"archief/" if n in ("Archief", "Archive") else ""}">'
                  f"{e(n)}</a></li>" for n in ui["nav"])
    byline = f'{ui["by"]} <a href="/auteurs/{a["author"].lower().replace(" ", "-")}.html" ' \
             f'class="author">{e(a["author"])}</a>'
    if byline_date:
        byline += f' <span class="sep">·</span> <span class="date">{byline_date}</span>'
    body = "\n".join(f"      <p>{e(p)}</p>" for p in a["body"])
    related = "".join(
        f'<li><a href="{by_slug[s]["path"]}">{e(by_slug[s]["title"])}</a></li>'
        for s in a.get("related", []) if s in by_slug)
    comments = "".join(
        f'<li class="comment"><div class="comment-meta"><strong>{e(user)}</strong> '
        f'<span>{i + 2} {ui["ago"]}</span></div><p>{e(text)}</p>'
        f'<a href="#" class="reply">{ui["reply"]}</a></li>'
        for i, (user, text) in enumerate(ui["comment_list"]))
    return f"""<!DOCTYPE html>
<html lang="{a['lang']}">
<head>
{chr(10).join(head)}
</head>
<body class="article-page">
  <div id="cookie-banner" class="cookie-consent" role="dialog">
    <p>{e(ui['cookie'])}</p>
    <button class="accept">{e(ui['accept'])}</button> <button>{e(ui['refuse'])}</button>
  </div>
  <header class="site-header">
    <a class="logo" href="/">{e(ui['site'])}</a>
    <nav class="main-nav"><ul>{nav}</ul></nav>
  </header>
  <main>
    <article class="article">
      <p class="kicker">{e(a['section'])}</p>
      <h1>{e(a['title'])}</h1>
      <p class="lead"><strong>{e(a['summary'])}</strong></p>
      <p class="byline">{byline}</p>
      <figure><img src="/img/{a['slug']}.jpg" alt=""><figcaption>Illustratie / ANP</figcaption>
      </figure>
{body}
      <div class="share">{e(ui['share'])}: <a href="#">X</a> <a href="#">Facebook</a>
        <a href="#">LinkedIn</a> <a href="#">WhatsApp</a></div>
    </article>
    <aside class="related">
      <h2>{e(ui['related'])}</h2>
      <ul>{related}</ul>
    </aside>
    <section id="comments" class="comments">
      <h2>{e(ui['comments'])} ({len(ui['comment_list'])})</h2>
      <ol>{comments}</ol>
    </section>
    <div class="newsletter"><p>{e(ui['newsletter'])}</p><form><input type="email">
      <button>OK</button></form></div>
  </main>
  <footer class="site-footer"><p>{e(ui['footer'])}</p></footer>
</body>
</html>
"""


def rss(articles: list[dict[str, Any]]) -> str:
    items = []

    def item(title: str, link: str, date: datetime | None, desc: str = "") -> str:
        pub = f"<pubDate>{format_datetime(date)}</pubDate>" if date else ""
        return (f"    <item>\n      <title>{e(title)}</title>\n      <link>{e(link)}</link>\n"
                f"      <guid isPermaLink=\"false\">{e(link)}</guid>\n      {pub}\n"
                f"      <description>{e(desc)}</description>\n    </item>")

    for a in articles:
        tags = a["in"]
        if not any(t.startswith("rss") for t in tags):
            continue
        # feeds are often updated after publication: the page's own date must win
        date = a["dt"]
        if a["date_style"] in ("meta", "jsonld"):
            date = date.replace(hour=(date.hour + 1) % 24)
        if "rss-redirect" in tags:
            items.append(item(a["title"], "{base}/artikel/1042", date, a["summary"]))
            continue
        items.append(item(a["title"], "{base}" + a["path"], date, a["summary"]))
        if "rss-utm" in tags:
            items.append(item(a["title"], "{base}" + a["path"]
                              + "?utm_source=rss&utm_medium=feed&utm_campaign=nieuws#reacties",
                              date, a["summary"]))
    items.append(item("Dit artikel is verwijderd", "{base}/nieuws/verdwenen-artikel.html",
                      datetime.fromisoformat("2026-01-04T10:00:00+01:00")))
    items.append(item("Factsheet: deepfakes in cijfers (pdf)", "{base}/media/factsheet-deepfakes",
                      datetime.fromisoformat("2026-01-04T11:00:00+01:00")))
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\">\n  <channel>\n"
            "    <title>De Digitale Courant - Nieuws</title>\n    <link>{base}/</link>\n"
            "    <description>Het laatste nieuws</description>\n    <language>nl-NL</language>\n"
            + "\n".join(items) + "\n  </channel>\n</rss>\n")


def atom(articles: list[dict[str, Any]]) -> str:
    entries = []
    for a in articles:
        if "atom" not in a["in"]:
            continue
        date = a["dt"]
        if a["date_style"] in ("meta", "jsonld"):
            date = date.replace(hour=(date.hour + 1) % 24)
        entries.append(
            f"  <entry>\n    <title>{e(a['title'])}</title>\n"
            f"    <link rel=\"alternate\" type=\"text/html\" href=\"{{base}}{a['path']}\"/>\n"
            f"    <id>tag:digitalcourier.example,2026:{a['slug']}</id>\n"
            f"    <published>{date.isoformat()}</published>\n"
            f"    <updated>{date.isoformat()}</updated>\n"
            f"    <summary>{e(a['summary'])}</summary>\n"
            f"    <author><name>{e(a['author'])}</name></author>\n  </entry>")
    return ("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
            "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"en\">\n"
            "  <title>The Digital Courier - Technology and World</title>\n"
            "  <link rel=\"self\" href=\"{base}/atom.xml\"/>\n  <id>{base}/atom.xml</id>\n"
            "  <updated>2026-01-16T12:00:00+00:00</updated>\n" + "\n".join(entries) + "\n</feed>\n")


def sitemaps(articles: list[dict[str, Any]]) -> dict[str, str]:
    news, pages = [], []
    for a in articles:
        if "sitemap-news" in a["in"]:
            news.append(
                f"  <url>\n    <loc>{{base}}{a['path']}</loc>\n    <news:news>\n"
                f"      <news:publication><news:name>{UI[a['lang']]['site']}</news:name>"
                f"<news:language>{a['lang']}</news:language></news:publication>\n"
                f"      <news:publication_date>{a['dt'].isoformat()}</news:publication_date>\n"
                f"      <news:title>{e(a['title'])}</news:title>\n    </news:news>\n  </url>")
        if "sitemap-pages" in a["in"]:
            pages.append(f"  <url><loc>{{base}}{a['path']}</loc>"
                         f"<lastmod>2026-01-20</lastmod></url>")
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    return {
        "sitemap.xml": head + '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "\n  <sitemap><loc>{base}/sitemap-news.xml</loc><lastmod>2026-01-16</lastmod></sitemap>"
        "\n  <sitemap><loc>{base}/sitemap-pages.xml</loc><lastmod>2026-01-20</lastmod></sitemap>"
        "\n</sitemapindex>\n",
        "sitemap-news.xml": head + '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n' + "\n".join(news)
        + "\n</urlset>\n",
        "sitemap-pages.xml": head + '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + "\n".join(pages) + "\n</urlset>\n",
    }


def simple_page(title: str, paragraphs: list[str], lang: str = "nl") -> str:
    body = "".join(f"<p>{e(p)}</p>" for p in paragraphs)
    return (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
            f"<title>{e(title)}</title></head><body><header><a href=\"/\">"
            f"{UI[lang]['site']}</a></header><main><h1>{e(title)}</h1>{body}</main>"
            f"<footer>{e(UI[lang]['footer'])}</footer></body></html>\n")


def listing(articles: list[dict[str, Any]]) -> str:
    links = "".join(
        f'<li><a href="{a["path"]}?ref=archief">{e(a["title"])}</a> '
        f'<span class="teaser">{e(a["summary"])}</span></li>'
        for a in articles if "listing" in a["in"])
    return f"""<!DOCTYPE html>
<html lang="nl">
<head><meta charset="utf-8"><title>Archief | De Digitale Courant</title></head>
<body>
  <header><a href="/">De Digitale Courant</a>
    <nav><a href="/">Home</a> <a href="/over-ons.html">Over ons</a>
      <a href="/contact.html">Contact</a> <a href="/abonneren.html">Abonneren</a></nav>
  </header>
  <main>
    <h1>Archief</h1>
    <ul class="archive">{links}
      <li><a href="/private/concept-grok-analyse.html">Concept: analyse Grok (intern)</a></li>
      <li><a href="/docs/jaarverslag-2025.pdf">Jaarverslag 2025 (pdf)</a></li>
    </ul>
    <p class="pagination"><a href="/archief/pagina-2.html">Volgende pagina</a></p>
  </main>
  <footer>{e(UI['nl']['footer'])}</footer>
</body>
</html>
"""


def tiny_pdf(text: str) -> bytes:
    """A small valid one-page PDF."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream
            + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
            ).encode()
    return bytes(out)


SITE_TOML = """# Behaviours of the demo site (see toezicht/sitesrv.py).
[redirects]
"/artikel/1042" = "/nieuws/maleisie-beperkt-toegang-tot-grok.html"

[flaky]  # fails with 500 this many times, then works (retried with backoff)
"/nieuws/xai-beperkt-beeldgenerator-tot-betalende-gebruikers.html" = 1

[charset]  # served in this encoding (the file itself is UTF-8)
"/nieuws/rechter-veroordeelt-student-voor-deepfakes-van-medestudentes.html" = "windows-1252"

[content_types]
"/feed.xml" = "application/rss+xml; charset=utf-8"
"/atom.xml" = "application/atom+xml; charset=utf-8"
"/media/factsheet-deepfakes" = "application/pdf"
"""

ROBOTS = """User-agent: *
Disallow: /private/
Disallow: /zoeken

Sitemap: {base}/sitemap.xml
"""


def build(target: Path = SITE) -> list[dict[str, Any]]:
    """Write the site into ``target`` (replacing it); returns the articles."""
    articles = load_articles()
    by_slug = {a["slug"]: a for a in articles}
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)

    def write(rel: str, content: str | bytes) -> None:
        path = target / rel.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")

    for a in articles:
        write(a["path"], page(a, by_slug))
    write("feed.xml", rss(articles))
    write("atom.xml", atom(articles))
    for name, text in sitemaps(articles).items():
        write(name, text)
    write("robots.txt", ROBOTS)
    write("_site.toml", SITE_TOML)
    write("archief/index.html", listing(articles))
    write("archief/pagina-2.html", simple_page("Archief - pagina 2", ["Oudere artikelen."]))
    write("index.html", simple_page("De Digitale Courant", [
        "Welkom bij De Digitale Courant. Bekijk het archief voor alle artikelen."]))
    write("over-ons.html", simple_page("Over ons", [
        "De Digitale Courant is een fictieve nieuwssite voor de demo van Toezicht."]))
    write("contact.html", simple_page("Contact", ["Mail de redactie: redactie@example.org"]))
    write("private/concept-grok-analyse.html", simple_page("Concept: analyse Grok (intern)", [
        "INTERN CONCEPT - niet publiceren. Deze pagina mag een crawler nooit ophalen."]))
    write("docs/jaarverslag-2025.pdf", tiny_pdf("Jaarverslag 2025"))
    write("media/factsheet-deepfakes", tiny_pdf("Factsheet deepfakes"))
    write("static/site.css", "body{font-family:sans-serif;max-width:48rem;margin:auto}\n")
    return articles


if __name__ == "__main__":
    built = build()
    print(f"wrote {len(built)} articles to {SITE}")
