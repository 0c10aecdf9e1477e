"""An article's metadata from the page's own declarations first (JSON-LD, OpenGraph,
`<meta>`, `<time>`, `rel=canonical`, `lang`), then from the visible page.

- **Title**: the visible headline (the first `<h1>`) when it agrees with the declared title
  or stands alone; else the declared title without its site suffix. Entities unescaped.
- **Author**: a declared author (not the publisher's name), else the visible byline (an
  element marked as the author's, or "By"/"Written by" followed by a name); calls to
  action, labels, commenters and initials are refused.
- **Date**: declarations (the usual names, then a site's own "...published-date"), then
  `<time>` (beside the headline first), then a /YYYY/MM/DD/ path (a CMS writes it once, at
  publication), then the first date shown near the headline (a numeric one may be read
  either way round); with the page's own offset. A declared time that is also the declared
  modification time (a page's last save) gives way to an earlier date shown by the headline.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from functools import lru_cache
from itertools import islice
from typing import Any
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ingest.text import containing_any, fewer_words_than, normalise, one_line, repair_mojibake
from ingest.urls import absolute_url, host_of

ARTICLE_TYPES = {
    "article",
    "newsarticle",
    "blogposting",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "reviewnewsarticle",
    "backgroundnewsarticle",
    "socialmediaposting",
    "techarticle",
    "scholarlyarticle",
    "liveblogposting",
    "webpage",
    "report",
    "posting",
}
# What stands between a headline and the site's name in a <title>: "Headline | Site".
_TITLE_SEPARATOR = re.compile(r"\s+(?:[|\-–—·•»]|::)\s+")
_HOST_LABELS = re.compile(r"[.\-]")


@dataclass(frozen=True)
class Metadata:
    title: str | None = None
    author: str | None = None
    published: datetime | None = None
    language: str | None = None
    canonical_url: str | None = None
    site_name: str | None = None
    lead_image: str | None = None


def parse_date(value: str | None) -> datetime | None:
    """ISO 8601 or RFC 2822 to an aware datetime, with the page's own offset (so that its
    day is the page's day; the store keeps UTC); a date without a zone is taken as UTC."""
    if not value or not value.strip():
        return None
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            # "2025-08-04 ...", and dates as pages show them ("July 17, 2025", "2023 Jan 7")
            match = _VISIBLE_DATE.search(text[:100])
            return _date_from_match(match) if match else None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        parsed.astimezone(UTC)  # what the store will do with it
    except (OverflowError, ValueError):  # past the ends of time in UTC
        return None
    return parsed


# Month names and abbreviations in English, French, German, Spanish, Italian, Portuguese.
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            "jan january janvier januar enero gennaio janeiro ene gen",
            "feb february février fevrier februar febrero febbraio fev",
            "mar march mars märz marzo março mär",
            "apr april avril abril aprile abr avr",
            "may mai mayo maggio maio mag",
            "jun june juin juni junio giugno junho giu",
            "jul july juillet juli julio luglio julho lug juil",
            "aug august août aout agosto ago",
            "sep sept september septembre septiembre settembre setembro set",
            "oct october octobre oktober octubre ottobre outubro okt ott out",
            "nov november novembre noviembre novembro",
            "dec december décembre decembre dezember diciembre dicembre dic dez déc",
        ],
        start=1,
    )
    for name in names.split()
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
# Dates as pages show them: "Aug 4, 2025", "4 August 2025", "04-Aug-2025", "2025-08-04",
# "2025.08.04", "2025 Aug 4", "04.08.2025" (day first), "8/4/2025" (month first, unless the
# first number cannot be one), "24-08-2025" (when only one order makes a date).
_VISIBLE_DATE = re.compile(
    rf"\b(?:(?P<m1>{_MONTH})\.?\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y1>20\d\d|19\d\d)"
    rf"|(?P<d2>\d{{1,2}})(?:(?:st|nd|rd|th)?\.?\s+(?:de\s+)?(?P<m2>{_MONTH})\.?,?\s+(?:de\s+)?"
    rf"|-(?P<m2b>{_MONTH})-)(?P<y2>20\d\d|19\d\d)"
    rf"|(?P<y3>20\d\d|19\d\d)(?P<s3>[-/.])(?P<m3>\d\d)(?P=s3)(?P<d3>\d\d)"
    rf"|(?P<y4>20\d\d|19\d\d)\s+(?P<m4>{_MONTH})\.?\s+(?P<d4>\d{{1,2}})"
    rf"|(?P<d5>\d{{1,2}})\.(?P<m5>\d{{1,2}})\.(?P<y5>20\d\d|19\d\d)"
    rf"|(?P<a6>\d{{1,2}})(?P<s6>[/-])(?P<b6>\d{{1,2}})(?P=s6)(?P<y6>20\d\d|19\d\d))\b",
    re.I,
)
# A year's digits; that they stand alone is checked on each match (`_alone`): a leading
# \b would keep the regex engine from scanning fast for the first digits (a page's text
# is read three times as fast).
_YEAR = re.compile(r"(?:19|20)\d\d")
# /2025/08/04/, /2025-08-04-, /2023/october/03/
_URL_DATE = re.compile(
    rf"/(20\d\d|19\d\d)([/-])(\d{{1,2}}|{_MONTH})\2(\d{{1,2}})(?:[/+_.-]|$)", re.I
)
_HEADING = re.compile(rb"<h1[\s>]|<h1$", re.I)
_BODY = re.compile(rb"<body[\s>]|<body$", re.I)


def _date_from_match(match: re.Match[str], month_first: bool = True) -> datetime | None:
    """The day a match of _VISIBLE_DATE names. Two numbers that could each be the month
    ("03/10/2025") are read month first where the page's language writes them so
    (`month_first`), else day first; with dashes, where both orders are common, they name
    no day."""
    groups = match.groupdict()
    if groups.get("y6") is not None:
        first, second = int(groups["a6"]), int(groups["b6"])
        if first <= 12 and second <= 12:
            if groups["s6"] == "-":
                return None
            month, day = (first, second) if month_first else (second, first)
        else:
            month, day = (second, first) if first > 12 else (first, second)
        return _day(int(groups["y6"]), month, day)
    for n in "12345":
        year = groups.get(f"y{n}")
        if year is None:
            continue
        name = groups[f"m{n}"] or groups.get(f"m{n}b") or ""
        return _day(int(year), _month(name), int(groups[f"d{n}"]))
    return None


def _month(text: str) -> int:
    """A month's number from its number or name (0: neither)."""
    return int(text) if text.isdigit() else _MONTHS.get(text.lower(), 0)


def _day(year: int, month: int, day: int) -> datetime | None:
    try:
        return datetime(year, month, day, tzinfo=UTC)
    except ValueError:
        return None


def _after_headline(markup: str | bytes, size: int) -> str:
    """The `size` bytes of the page from its headline on (from its body without one: the
    head's styles and scripts can fill the `size` bytes)."""
    data = markup.encode("utf-8", "replace") if isinstance(markup, str) else markup
    heading = _HEADING.search(data) or _BODY.search(data)
    start = heading.start() if heading else 0
    return data[start : start + size].decode("utf-8", "replace")


DATE_BEFORE_HEADLINE = 1000  # characters of the page's text: a dateline above the title
DATE_AFTER_HEADLINE = 1000  # and below it: a byline's date, not a date in the article
NEAR_DATES = 6  # dates looked at around the headline, at most


def _from_headline(tree: LexborHTMLParser, h1: LexborNode | None) -> str:
    """The page's text from a little before its headline (`h1`) on (all of it without
    one), where its date is shown. Read from the text, not the markup: class-laden markup
    puts a byline tens of kilobytes after its headline."""
    body = tree.body
    if body is None:
        return ""
    text = body.text(deep=True, separator="\n")
    start = text.find(h1.text(deep=True, separator="\n")) if h1 is not None else -1
    return text[max(0, start - DATE_BEFORE_HEADLINE) :] if start >= 0 else text


def _visible_dates(text: str, month_first: bool = True) -> Iterator[datetime]:
    """The dates in `text`, in order, the future's left out. Found from their years: the
    full pattern, run at every position of the page, costs ten times as much."""
    now = datetime.now(UTC)
    for year in _YEAR.finditer(text):
        start, end = year.span()
        if not _alone(text, start, end):
            continue
        offset = max(0, start - 24)
        for match in _VISIBLE_DATE.finditer(text[offset : end + 6]):
            if match.end() + offset < end:
                continue  # an earlier date's, met again
            when = _date_from_match(match, month_first)
            if when is not None and when <= now:
                yield when
            break


def _alone(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is a word of its own, as \b around it would say (a word
    character is alphanumeric or "_")."""
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() or before == "_" or after.isalnum() or after == "_")


def _date_in_url(url: str | None) -> datetime | None:
    match = _URL_DATE.search(url or "")
    if match is None:
        return None
    return _day(int(match[1]), _month(match[3]), int(match[4]))


# One walk over the page finds all kinds of declaration, the <time> elements and the
# headline, in document order (a walk costs more than the matching: three queries took 1.8
# times as long as one).
_DECLARATIONS = (
    'script[type="application/ld+json"], meta[content], link[rel="canonical"][href], '
    "time[datetime], h1"
)


@dataclass
class _Declarations:
    scripts: list[LexborNode] = field(default_factory=list)
    metas: list[LexborNode] = field(default_factory=list)
    links: list[LexborNode] = field(default_factory=list)
    times: list[LexborNode] = field(default_factory=list)
    headlines: list[LexborNode] = field(default_factory=list)
    """The <h1>s, the first few."""
    headline: LexborNode | None = None
    """The headline's <h1> (`_headline_node`)."""


HEADLINE_CANDIDATES = 3  # <h1>s looked at for the headline


def _headline_node(h1s: list[LexborNode], declared: str | None) -> LexborNode | None:
    """The first <h1>, unless the declared title holds a later one and not it: the site's
    name in its header over the article's headline ("The Go Blog", then "Defer, Panic,
    and Recover")."""
    if len(h1s) < 2 or not declared:
        return h1s[0] if h1s else None
    key = normalise(declared)
    for node in h1s:
        text = normalise(node.text(deep=True))
        if text and text in key:
            return node
    return h1s[0]


def _declarations(tree: LexborHTMLParser) -> _Declarations:
    found = _Declarations()
    lists = {"script": found.scripts, "meta": found.metas, "link": found.links, "time": found.times}
    for node in tree.css(_DECLARATIONS):
        tag = node.tag or ""
        if tag == "h1":
            if len(found.headlines) < HEADLINE_CANDIDATES:
                found.headlines.append(node)
        else:
            lists[tag].append(node)
    return found


def _json_ld_objects(scripts: list[LexborNode]) -> Iterator[dict[str, Any]]:
    for script in scripts:
        try:
            # Numbers stay strings: int() refuses more than 4,300 digits.
            data = json.loads(script.text(deep=True) or "null", parse_int=str)
        except (json.JSONDecodeError, RecursionError):
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(reversed(item))
            elif isinstance(item, dict):
                yield item
                if isinstance(item.get("@graph"), list):
                    stack.extend(reversed(item["@graph"]))


def _types(item: dict[str, Any]) -> set[str]:
    kind = item.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {k.lower() for k in kinds if isinstance(k, str)}


JSON_LD_DEPTH = 4  # lists and objects a name or an address is looked for in, at most


def _name(value: Any, depth: int = 0) -> str | None:
    """A name out of a string, an object with `name`, or a list of either (as deep as
    `JSON_LD_DEPTH`: a page's JSON may nest lists a thousand deep)."""
    if isinstance(value, str):
        return value.strip() or None
    if depth >= JSON_LD_DEPTH:
        return None
    if isinstance(value, dict):
        return _name(value.get("name"), depth + 1)
    if isinstance(value, list):
        names = [n for n in (_name(v, depth + 1) for v in value) if n]
        return ", ".join(dict.fromkeys(names)) or None
    return None


def _url(value: Any, depth: int = 0) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if depth >= JSON_LD_DEPTH:
        return None
    if isinstance(value, dict):
        return _url(value.get("url") or value.get("@id"), depth + 1)
    if isinstance(value, list) and value:
        return _url(value[0], depth + 1)
    return None


def _from_json_ld(scripts: list[LexborNode]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    items = list(_json_ld_objects(scripts))
    people = {
        item["@id"]: item
        for item in items
        if isinstance(item.get("@id"), str) and "person" in _types(item)
    }
    for item in items:
        if not _types(item) & ARTICLE_TYPES:
            continue
        candidates = {
            "title": _name(item.get("headline")) or _name(item.get("name")),
            "author": _authors(_people(item.get("author"), people)),
            "published": parse_date(_name(item.get("datePublished"))),
            "modified": parse_date(_name(item.get("dateModified"))),
            "language": _name(item.get("inLanguage")),
            "site_name": _name(item.get("publisher")),
            "lead_image": _url(item.get("image")),
            "canonical_url": _url(item.get("mainEntityOfPage")) or _url(item.get("url")),
        }
        for key, value in candidates.items():
            if value and key not in found:
                found[key] = value
    return found


def _people(value: Any, people: dict[str, dict[str, Any]]) -> Any:
    """Authors given by reference (`{"@id": "#/schema/person/1"}`, as a graph of a page's
    entities gives them) as the people the references name, when the page holds them."""

    def resolved(author: Any) -> Any:
        if isinstance(author, dict) and not author.get("name"):
            ref = author.get("@id")
            return people.get(ref, author) if isinstance(ref, str) else author
        return author

    return [resolved(v) for v in value] if isinstance(value, list) else resolved(value)


def _meta(metas: list[LexborNode]) -> dict[str, str]:
    values: dict[str, str] = {}
    for node in metas:
        attrs = node.attributes
        key = attrs.get("property") or attrs.get("name") or attrs.get("itemprop")
        content = (attrs.get("content") or "").strip()
        if key and content:
            values.setdefault(key.strip().lower(), content)
        equiv = attrs.get("http-equiv")
        if equiv and content:
            values.setdefault("http-equiv:" + equiv.strip().lower(), content)
    return values


# A site's own name for its publication date: "w-published-date", "article.published".
_PUBLISHED_NAME = re.compile(
    r"publish(?:ed)?[\W_]*(?:date|time|at|on)?$|^(?:date|time)[\W_]*publish"
)


def _other_published(meta: dict[str, str]) -> str | None:
    return next((v for k, v in meta.items() if _PUBLISHED_NAME.search(k)), None)


def _first(*values: str | None) -> str | None:
    return next((v.strip() for v in values if v and v.strip()), None)


def _tidy(value: str | None) -> str | None:
    """Entities unescaped (JSON-LD and some <meta> carry them raw, even twice) and spacing
    collapsed."""
    if not value:
        return None
    if "&" in value:
        value = html.unescape(html.unescape(value))
    return " ".join(value.split()) or None


def _site_words(site_name: str | None, url: str | None) -> set[str]:
    words = set(normalise(site_name or "").split())
    host = host_of(url) if url else ""
    return words | {label for label in _HOST_LABELS.split(host.lower()) if label}


def _without_site_suffix(title: str, site_words: set[str], short: bool = True) -> str:
    """ "Headline | Site" -> "Headline": the last parts that name the site go ("Site - Its
    tagline" is two); without any, with `short`, a short last part (up to three words, or
    five after a "|": a section or the site)."""
    separators = list(_TITLE_SEPARATOR.finditer(title))
    if not separators:
        return title
    parts = _TITLE_SEPARATOR.split(title)
    kept = len(parts)
    while kept > 1 and (words := set(normalise(parts[kept - 1]).split())) and words <= site_words:
        kept -= 1
    if kept == len(parts) and short:
        piped = separators[-1].group().strip() == "|"
        if normalise(parts[-1]) and len(parts[-1].split()) <= (5 if piped else 3):
            kept -= 1
    if kept == len(parts):
        return title
    return title[: separators[kept - 1].start()].rstrip(" |-–—·•»:") or title


def headline(h1: str | None, declared: str | None, site: set[str]) -> str | None:
    """The article's title: the visible headline (the page's first <h1>) when it agrees
    with the declared title (one contains the other, or they share most of its words: the
    declared one is often the headline reworded for search engines, plus the site's name),
    or when it stands alone and is not the site's name; else the declared title without
    its site suffix (`site`: the words of the site's name and host)."""
    if declared and len(declared) > 2 and declared[0] == declared[-1] == '"':
        declared = declared[1:-1].strip()  # in straight quotes whole: a template's escaping
    stripped = _without_site_suffix(declared, site) if declared else None
    if not h1:
        return stripped
    h1 = _without_site_suffix(h1, site, short=False)  # "Headline – Site" shown whole
    if not declared:
        return h1
    h1_key, declared_key = normalise(h1), normalise(declared)
    h1_words = set(h1_key.split())
    parts = _TITLE_SEPARATOR.split(declared)
    if len(parts) > 1 and h1_key == normalise(parts[-1]):
        # The <h1> is the title's last part. When the rest is longer, the <h1> is the
        # site's name in its header ("The Go Blog" over "Defer, Panic, and Recover - The
        # Go Blog") and the rest the headline; else the rest is a section or the site's
        # name before the headline ("Opinion | ...").
        rest = declared[: len(declared) - len(parts[-1])].rstrip(" |-–—·•»:")
        if len(rest.split()) > len(h1.split()):
            return rest
    if h1_key and (h1_key in declared_key or declared_key in h1_key):
        return h1
    if h1_words and len(h1_words & set(declared_key.split())) >= 0.5 * len(h1_words):
        return h1
    if h1_words <= site:
        return stripped
    return h1 if len(h1_words) >= 4 else stripped


def _first_heading(h1: LexborNode | None, url: str | None = None) -> str | None:
    """The headline's text (a `<br>` a space), without a `<time>` in it (a blog's date
    before its title); none when the `<h1>` is the site's name in its header, a link up to
    its home or a section. One walk over the few nodes of the `<h1>`."""
    if h1 is None:
        return None
    parts: list[str] = []
    link: LexborNode | None = None
    times: list[LexborNode] = []
    for node in islice(h1.traverse(include_text=True), 1, None):
        tag = node.tag
        if tag == "-text":
            parts.append(node.text(deep=False))
        elif tag == "br":
            parts.append("\n")
        elif tag == "time":
            times.append(node)
        elif tag == "a" and link is None:
            link = node
    raw = "".join(parts)
    if link is not None and _links_up(link, raw, url):
        return None
    for time in times:
        raw = raw.replace(time.text(deep=True), " ", 1)
    text = _tidy(raw)
    return text if text and 3 <= len(text) <= 300 else None


def _links_up(link: LexborNode, headline: str, url: str | None) -> bool:
    """Whether the headline's text is all one link to a page above the page (its path a
    proper prefix of the page's: "/", "/blog/"), as a site's name in its header is; a
    headline that links to the article itself is not."""
    if not url or _tidy(link.text(deep=True)) != _tidy(headline):
        return False
    target = absolute_url(url, link.attributes.get("href") or "")
    if target is None:
        return False
    page, up = urlsplit(url), urlsplit(target)
    return up.netloc == page.netloc and page.path.startswith(up.path) and up.path != page.path


def _title_element(tree: LexborHTMLParser) -> str | None:
    title = tree.css_first("title")
    return _tidy(title.text(deep=True)) if title is not None else None


HEADLINE_LEVELS = 3  # wrappers above the headline where its byline and date stand


def _wrappers(headline: LexborNode) -> list[LexborNode]:
    """The headline's wrappers below the page's body, the closest first, `HEADLINE_LEVELS`
    at most."""
    found: list[LexborNode] = []
    node = headline.parent
    while node is not None and len(found) < HEADLINE_LEVELS and node.tag not in ("body", "html"):
        found.append(node)
        node = node.parent
    return found


def _near_headline(times: list[LexborNode], headline: LexborNode | None) -> list[LexborNode]:
    """The `<time>`s that share a wrapper with the headline (below the page's body), the
    closest wrapper's first: the article's own, where the page's first `<time>` may be a
    list of latest stories above it."""
    if headline is None or not times:
        return []
    levels = {node.mem_id: level for level, node in enumerate(_wrappers(headline))}
    nearest: list[tuple[int, int]] = []
    for index, time in enumerate(times):
        up = time.parent
        while up is not None and up.mem_id not in levels:
            up = up.parent
        if up is not None:
            nearest.append((levels[up.mem_id], index))
    return [times[index] for _, index in sorted(nearest)]


def _time_element(times: list[LexborNode]) -> datetime | None:
    for node in times:
        when = parse_date(node.attributes.get("datetime"))
        if when is not None:
            return when
    return None


# Marked as the author's: exactly (cheap to find), or by a link to the author's page, else
# by a class or id that names it.
_MARKED_AUTHOR = '[rel="author"], [itemprop="author"]'
_AUTHOR_PAGES = ("/author/", "/authors/", "/writers/", "/people/", "/contributors/", "/staff/")
_NAMED_AUTHOR = '[class*="author"], [class*="byline"], [id*="author"], [id*="byline"]'

# Lower-case words of a name: "Ludwig van der Berg", "Leonardo da Vinci", "d'Alembert".
_PARTICLES = "van von de del della der den di da das do dos du la le ten ter bin ibn al el y e d l"

_BY = re.compile(
    r"^(?:(?:written|posted|published|reviewed|edited|story|words|text|reporting|article|post|"
    r"analysis|opinion|commentary)\s+)?"
    r"(?:by|von|par|por|di|door|av|af)\s*[:\-]?\s+"
    r"|^(?:authors?|author\(s\)|contributors?|autor(?:es|en)?|auteurs?|autori|autore|автор(?:ы)?"
    r"|text|текст)\s*[:\-]\s*",
    re.I,
)
# Where a byline's name ends: a date, a separator, a role or a call to action after it.
_BYLINE_END = re.compile(
    r"\s*(?:[|•·,;(]|\s[-–—]\s|\bon\s+\w+\s+\d|\b(?:updated|published|posted|last)\b|\d{1,2}[/.]\d"
    r"|\b\d{4}\b|\b(?:\d{1,2}\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d"
    # A date's weekday: "Jeff Foust Monday, November 18, 2019".
    r"|\s(?:on\s+)?(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+"
    r"(?:\d|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d))"
    r".*$",
    re.I | re.S,
)
# Words no author's name is made of: labels, calls to action, counts, a site's accounts.
_NOT_A_NAME = re.compile(
    r"\b(?:view|more|posts?|articles?|all|author|authors|profile|follow|share|comments?|"
    r"read|about|contact|email|subscribe|menu|login|sign|search|home|minutes?|min|by|says|"
    r"said|wrote|replied|reply|team page|admin|administrator|webmaster)\b",
    re.I,
)


# A template's variable left in the page: "page.head.extra.author", "{{ author }}".
_PLACEHOLDER = re.compile(
    r"(?:[a-z_]\w*\.)+(?:author|name|creator|byline)\w*|.*(?:\{\{|\$\{|\{%).*|%\w+%"
)
# A user name rather than a person's: "andrew.keaveney", "jane_roe".
_HANDLE = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)+")
_EMAIL = re.compile(r"(?:mailto:)?[^@\s]+@[^@\s]+\.\w+")


def _declared_name(text: str | None) -> str | None:
    """A declared author as a name: "By" cut off; a call to action, a label or a template's
    placeholder refused (an organisation, a handle, credentials after the name are authors
    as declared)."""
    if not text:
        return None
    text = _BY.sub("", text).strip(" :-–—|,")
    if not 2 <= len(text) <= 200 or text.startswith(("http://", "https://")):
        return None
    if _PLACEHOLDER.fullmatch(text):
        return None
    return None if _NOT_A_NAME.fullmatch(text) or text.lower() == "by" else text


# The label of a sharing card's line that names the writer: "Written by" (with
# "twitter:data1" the name), as a publishing tool writes it for each post.
_WRITTEN_BY = re.compile(
    r"(?:written|posted|published) by|authors?|verfasst von|geschrieben von|écrit par|"
    r"escrito por|scritto da|geschreven door",
    re.I,
)
SHARING_LABELS = 4  # the lines a sharing card has ("twitter:label1" ...), at most


def _labelled_author(meta: dict[str, str]) -> str | None:
    """The writer a sharing card's labelled lines name: the last place an author is looked
    for (a card's line may name the account that posted the story, where the page names
    its writer)."""
    for line in range(1, SHARING_LABELS + 1):
        label = meta.get(f"twitter:label{line}")
        if label is not None and _WRITTEN_BY.fullmatch(label.strip(" :")):
            return _declared_name(_tidy(meta.get(f"twitter:data{line}")))
    return None


_NOT_BYLINES = frozenset(["html", "body", "article", "main", "section", "meta", "script", "style"])


# The lower-case words a name may hold: particles ("Ludwig van Beethoven", "d'Alembert",
# "al-Rashid") and the "and" between two names.
_NAME_PARTICLES = frozenset(_PARTICLES.split()) | {"and"}
_PARTICLE_END = re.compile(r"['’-]")
SENTENCE_LOWER_WORDS = 2  # lower-case words, particles aside, past which text is a sentence


def _sentence(words: list[str]) -> bool:
    """Words that tell about someone rather than name them ("Dan lives and works in
    Calgary", "Corti AI platform for healthcare"): a name holds capitalised words and
    particles, a byline one lower-case word at most ("The Currency editors")."""
    lower = [
        w for w in words if w[0].islower() and _PARTICLE_END.split(w, 1)[0] not in _NAME_PARTICLES
    ]
    return len(lower) >= SENTENCE_LOWER_WORDS


_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAYS = frozenset(_DAYS) | {day[:3] for day in _DAYS} | {"tues", "thur", "thurs"}


def _person_name(text: str | None, site: set[str]) -> str | None:
    """Visible text as an author's name, or None when it is something else: "By" and what
    follows the name (a date, a role) cut off; a call to action, a label, words about
    someone, the site's own name (unless labelled "By ..."), initials, a weekday ("Sat", as
    a date's first word), or anything too long or too short refused."""
    if not text:
        return None
    text, labelled = _BY.subn("", " ".join(text.split()))
    text = _BYLINE_END.sub("", text.strip(" :-–—|,")).strip(" :-–—|,")
    words = text.split()
    half = len(words) // 2  # (of two words at least: "Yang Yang" is one name)
    if half >= 2 and words[:half] == words[half:]:  # written twice, for small and large screens
        words = words[:half]
        text = " ".join(words)
    if not 1 <= len(words) <= 6 or not 3 <= len(text) <= 60:
        return None
    if _NOT_A_NAME.search(text) or any(c.isdigit() or c in "*@#/\\=<>{}" for c in text):
        return None
    # (A team or an agency: "By the Associated Press", "By the Lavazza Team".)
    if not text.removeprefix("the ")[0].isupper() or text.isupper() and len(text) <= 4:
        return None
    if _sentence(words):
        return None
    if text.lower().rstrip(".") in _WEEKDAYS:
        return None
    # The site's own name is no byline, unless labelled as one ("By Acme Dental Care").
    return None if not labelled and set(normalise(text).split()) <= site else text


def _byline(tree: LexborHTMLParser, site: set[str]) -> str | None:
    """The visible byline: the first element marked as the author's (rel, itemprop, a link
    to the author's page, or a class or id naming the author or byline) whose text is a
    name."""
    for marked, candidates in _byline_candidates(tree):
        # An element marked as the author's may hold the site's own name: a one-person
        # site's, an organisation's.
        refused = set() if marked else site
        for node in candidates[:20]:
            if node.tag in _NOT_BYLINES:
                continue
            name = _person_name(node.text(deep=True, separator=" "), refused)
            if name is None or _commenter_or_mention(node) or _about_or_topic(node, name):
                continue
            return name
    return None


# An element with the author's bio or description, not their name: "author-bio",
# "dynamic-author-description", "about-author" (but "about-author__name").
_ABOUT_AUTHOR = re.compile(r"bio(?:graphy)?\b|bio[-_]|desc|about")
# A link to the list of one tag's, category's or topic's pages: "/tag/personal-finance",
# "?content_topic=906".
_TAXONOMY = re.compile(
    r"/(?:tags?|categor(?:y|ies)|topics?)/|[?&](?:\w*_)?(?:tags?|categor(?:y|ies)|topics?|cat)=",
    re.I,
)


def _about_or_topic(node: LexborNode, name: str) -> bool:
    """Whether an element in an author's place holds their bio rather than their name, or
    the `name` read from it is a link to a topic's pages ("HR Strategy", "Personal
    finance": the post's tags beside its date)."""
    hints = _attribute_words(node, "class", "id")
    if _ABOUT_AUTHOR.search(hints) and "name" not in hints:  # "author-bio__name" is the name
        return True
    key = normalise(name)
    return any(
        _TAXONOMY.search(link.attributes.get("href") or "") and normalise(link.text()) == key
        for link in ([node] if node.tag == "a" else node.css("a[href]"))
    )


BYLINE_LEVELS = 8  # ancestors looked at for a comment around a name
MENTION_WORDS = 30  # a paragraph this long around a name is prose that mentions someone


def _commenter_or_mention(node: LexborNode) -> bool:
    """Whether a name marked as an author's is a commenter's or a form's (a comment, a
    comment form, or a form around it: "Nama (wajib)" is a name field's label), or a
    person the text mentions (a link to their page in a long paragraph)."""
    for level, ancestor in enumerate(_ancestors(node, BYLINE_LEVELS)):
        if ancestor.tag == "form":
            return True
        if "comment" in _attribute_words(ancestor, "class", "id", "itemtype"):
            return True
        if (
            level
            and ancestor.tag == "p"
            and not fewer_words_than(ancestor.text(deep=True), MENTION_WORDS)
        ):
            return True
    return False


def _attribute_words(node: LexborNode, *names: str) -> str:
    """The values of these attributes of the node, lower-cased, in one string: where its
    class, id or type says what it is."""
    attrs = node.attributes
    return " ".join(attrs.get(name) or "" for name in names).lower()


def _ancestors(node: LexborNode, levels: int) -> Iterator[LexborNode]:
    """The node, then its ancestors below the body, `levels` of them at most."""
    at: LexborNode | None = node
    for _ in range(levels + 1):
        if at is None or at.tag in ("body", "html"):
            return
        yield at
        at = at.parent


def _byline_candidates(tree: LexborHTMLParser) -> Iterator[tuple[bool, list[LexborNode]]]:
    """The elements that may hold the byline, most certain first, each kind looked for only
    when the ones before it named nobody; with whether the page marks them as the author's
    (rel, itemprop) rather than links to them or names them in a class."""
    yield True, tree.css(_MARKED_AUTHOR)
    yield False, _author_links(tree)
    yield False, tree.css(_NAMED_AUTHOR)


def _author_links(tree: LexborHTMLParser) -> list[LexborNode]:
    """Links to an author's page, in document order: an author path with a name after it
    ("/people/" alone is the list of them all). The paths are looked for in all the links'
    addresses at once: six substring selectors cost Lexbor half again as much."""
    links = tree.css("a[href]")
    hrefs = [link.attrs.get("href") or "" for link in links]
    return [
        links[i] for i in sorted(containing_any(hrefs, _AUTHOR_PAGES)) if _names_someone(hrefs[i])
    ]


def _names_someone(href: str) -> bool:
    """Whether an address that holds an author path goes on past it to a name."""
    path = href.split("?", 1)[0].split("#", 1)[0]
    return any(
        (at := path.find(page)) != -1 and path[at + len(page) :].strip("/")
        for page in _AUTHOR_PAGES
    )


# "By Jane Roe", "Written by</p><p>Jane Roe", "Author</div><div>Jane Roe": a byline label,
# then, past any tags, a capitalised name of one to four words.
_BYLINE_IN_MARKUP = re.compile(
    # (The look-ahead for the labels' first letters spares trying each label after each
    # of the page's tags: a third of the time.)
    r">\s*(?=[abcpsw])"
    r"(?:(?:article\s+)?(?:written|posted|published|story|words|article|post)\s+by|by|authors?"
    r"|author\(s\)|contributors?)"
    r"\s*:?\s*(?:<[^>]{0,300}>\s*){0,10}"
    r"((?-i:[A-Z][\w.'’\-]{1,30}(?:\s+(?:(?:" + _PARTICLES.replace(" ", "|") + r")\s+)?"
    r"[A-Z][\w.'’\-]{0,30}){0,3}))\s*(?:<|,\s(?=[^\W\d_])|\s[|·•–—]\s)",
    re.I,
)


def _byline_in_markup(text: str, site: set[str]) -> str | None:
    """A byline the page shows without marking it as one: the first, in the 30 kB from the
    headline on, that reads as a name of two words or more."""
    for match in _BYLINE_IN_MARKUP.finditer(text):
        name = _person_name(match.group(1), site)
        if name is not None and len(name.split()) >= 2:  # one word: a filter, a label
            return name
    return None


def _first_last(name: str | None) -> str | None:
    """A scholarly citation's "Roe, Jane A." as one reads it: "Jane A. Roe"."""
    if not name or name.count(",") != 1:
        return name
    last, first = (part.strip() for part in name.split(","))
    if not (1 <= len(last.split()) <= 3 and 1 <= len(first.split()) <= 3):
        return name
    return f"{first} {last}"


def _authors(value: Any) -> str | None:
    """Authors a declaration lists, as one reads them: "A and B", "A, B, and C" (a name
    written with commas, "Jane Roe, AP Writer", is one author with a role, and stays)."""
    if not isinstance(value, list):
        return _name(value)
    names = list(dict.fromkeys(name for name in map(_name, value) if name))
    if len(names) <= 2:
        return " and ".join(names) or None
    return ", ".join(names[:-1]) + f", and {names[-1]}"


class _Shown:
    """What the visible page says, looked up only when the declarations are silent, and
    once: the byline, and the date after the headline."""

    def __init__(self, tree: LexborHTMLParser, markup: str | bytes | None, site: set[str]):
        self.tree, self.markup, self.site = tree, markup, site
        self._text: str | None = None
        self._byline: tuple[str | None] | None = None

    def _after_headline(self) -> str:
        if self._text is None:
            self._text = _after_headline(self.markup, 30_000) if self.markup else ""
        return self._text

    def byline(self) -> str | None:
        if self._byline is None:
            name = _byline(self.tree, self.site) or _byline_in_markup(
                self._after_headline(), self.site
            )
            self._byline = (name,)
        return self._byline[0]

    def date(self, h1: LexborNode | None, language: str | None) -> datetime | None:
        """The first date shown from a little before the headline on."""
        return next(_visible_dates(_from_headline(self.tree, h1), _month_first(language)), None)


def _dates_near(h1: LexborNode | None, language: str | None) -> list[datetime]:
    """The first few dates shown in the lines around the headline, where a byline's date
    stands (and the date of the last update)."""
    dates = _visible_dates(_around_headline(h1), _month_first(language))
    return list(islice(dates, NEAR_DATES))


def _around_headline(h1: LexborNode | None) -> str:
    """The text of the headline's wrapper (`HEADLINE_LEVELS` up, the body at most), where
    a byline's date stands, from a little before the headline to a little after it: the
    page's whole text is not needed."""
    if h1 is None:
        return ""
    wrappers = _wrappers(h1)
    wrapper = wrappers[-1] if wrappers else h1
    body = wrapper.parent
    if len(wrappers) < HEADLINE_LEVELS and body is not None and body.tag == "body":
        wrapper = body  # a headline close to the body: the body's text
    text = wrapper.text(deep=True, separator="\n")
    start = max(0, text.find(h1.text(deep=True, separator="\n")))
    return text[max(0, start - DATE_BEFORE_HEADLINE) : start + DATE_AFTER_HEADLINE]


def extract_metadata(
    tree: LexborHTMLParser, url: str | None, markup: str | bytes | None = None
) -> Metadata:
    """The page's metadata; `markup` is the page the tree was parsed from, where a byline
    that no element marks is looked for."""
    found = _declarations(tree)
    ld = _from_json_ld(found.scripts)
    meta = _meta(found.metas)
    canonical = _first(
        found.links[0].attributes.get("href") if found.links else None,
        meta.get("og:url"),
        ld.get("canonical_url"),
    )
    html = tree.root
    language = _normalise_language(
        _first(
            html.attributes.get("lang") if html is not None else None,
            meta.get("http-equiv:content-language"),
            ld.get("language"),
            meta.get("og:locale"),
        )
    )
    author = ld.get("author") or _first(
        meta.get("author"),
        meta.get("article:author"),
        meta.get("parsely-author"),
        meta.get("dc.creator"),
        meta.get("sailthru.author"),
        _first_last(meta.get("citation_author")),
    )
    site_name = _tidy(
        _first(meta.get("og:site_name"), meta.get("application-name"), ld.get("site_name"))
    )
    site = _site_words(site_name, url)
    shown = _Shown(tree, markup, site)
    if author and author.startswith(("http://", "https://")):
        author = None  # article:author is often a profile URL
    declared_author = _declared_name(_tidy(author))
    if declared_author is not None and (
        declared_author.isdigit()
        or _HANDLE.fullmatch(declared_author)
        or _EMAIL.fullmatch(declared_author)
        or set(normalise(declared_author).split()) <= site
    ):
        # The publisher's name, a user name, a mailbox or an id where the writer's belongs:
        # a visible byline, if there is one, names the writer.
        declared_author = shown.byline() or (None if declared_author.isdigit() else declared_author)
    declared = _tidy(
        _first(ld.get("title"), meta.get("og:title"), meta.get("twitter:title"))
    ) or _title_element(tree)
    found.headline = _headline_node(found.headlines, declared)
    published = _published(ld, meta, found, url, shown, language)
    image = _first(meta.get("og:image"), meta.get("twitter:image"), ld.get("lead_image"))
    return Metadata(
        title=_line(headline(_first_heading(found.headline, url), declared, site)),
        author=_line(declared_author or shown.byline() or _labelled_author(meta)),
        published=published,
        language=_line(language),
        canonical_url=_line(_absolute(url, canonical)),
        site_name=_line(site_name),
        lead_image=_line(_absolute(url, image)),
    )


def _published(
    ld: dict[str, Any],
    meta: dict[str, str],
    found: _Declarations,
    url: str | None,
    shown: _Shown,
    language: str | None,
) -> datetime | None:
    """The publication date: declared, else on a `<time>` (beside the headline first),
    else in the URL's path, else the first date shown from the headline on. Where the
    declarations and the dates shown by the headline disagree, the shown date may win
    (see below)."""
    # A day in the URL's path is the site's own, fixed when the story first went up: it
    # outranks a declared time that falls on another day (a time in UTC past midnight
    # where the site is, a date rewritten by an update). A declared time on that day is
    # kept, for its hour.
    url_day = _date_in_url(url)
    published = (
        ld.get("published")
        or parse_date(
            _first(
                meta.get("article:published_time"),
                meta.get("datepublished"),
                meta.get("parsely-pub-date"),
                meta.get("dc.date"),
                meta.get("dc.date.issued"),
                meta.get("date"),
                meta.get("pubdate"),
                meta.get("sailthru.date"),
                meta.get("og:published_time"),
                meta.get("published"),
                meta.get("published-date"),
                meta.get("publish-date"),
                meta.get("publishdate"),
                meta.get("citation_publication_date"),
                meta.get("citation_date"),
                meta.get("dcterms.date"),
                meta.get("dcterms.created"),
            )
            or _other_published(meta)  # looked for only when no usual name is there
        )
        or _time_element(_near_headline(found.times, found.headline))
        or _time_element(found.times)
        or url_day
        or shown.date(found.headline, language)
    )
    if published is None:
        return None
    if url_day is not None:
        return url_day if published.date() != url_day.date() else published
    # Published and modified at one time: often when the page was last saved, stamped on
    # both. An earlier date shown by the headline is the story's own.
    modified = ld.get("modified") or parse_date(
        _first(
            meta.get("article:modified_time"),
            meta.get("og:updated_time"),
            meta.get("datemodified"),
            meta.get("dcterms.modified"),
        )
    )
    if modified is None:
        return published
    if _stamped_together(published, modified):
        near = _dates_near(found.headline, language)
        if near and near[0].date() < _earliest_day(published):
            return near[0]
    elif "article:published_time" not in meta:
        # A page that shows by its headline the day it was last updated, and not the day
        # it was first published, which it declares only in its structured data (not in
        # Open Graph, as news stories do): an evergreen guide, dated by its update.
        near = _dates_near(found.headline, language)
        if not any(_within_a_day(day, published) for day in near):
            updated = next((day for day in near if _within_a_day(day, modified)), None)
            if updated is not None:
                return updated
    return published


def _within_a_day(shown: datetime, declared: datetime) -> bool:
    """Whether a date shown is a declared time's day, or a day beside it (the page's
    zone and the declaration's may put one moment on two days)."""
    return abs((shown.date() - declared.date()).days) <= 1


STAMPED_TOGETHER = timedelta(minutes=1)  # a publication and a modification time this close
_LAST_ZONE = timezone(timedelta(hours=-12))  # where each day starts last


def _stamped_together(published: datetime, modified: datetime) -> bool:
    """The same clock time, to the minute, declared for both (a site may write one of them
    with another offset)."""
    return abs(published.replace(tzinfo=None) - modified.replace(tzinfo=None)) <= STAMPED_TOGETHER


def _earliest_day(moment: datetime) -> date:
    """The day `moment` falls on where that is earliest: a page dated the day before a time
    declared in UTC past midnight may show the same moment in its own zone."""
    try:
        return moment.astimezone(_LAST_ZONE).date()
    except OverflowError:  # at the start of time
        return moment.date()


def _line(value: str | None) -> str | None:
    """Storable, printable, one line: declarations (JSON-LD above all) may hold NUL, lone
    surrogates or escape sequences; UTF-8 read as Windows-1252 repaired first (its
    "â\x80\x99" holds control characters that would become spaces)."""
    return one_line(repair_mojibake(value)) or None if value else None


def _absolute(base: str | None, value: str | None) -> str | None:
    """`value` resolved against the page's URL; None when it is no URL that parses."""
    if not value:
        return None
    if not base:
        return value
    return absolute_url(base, value)


def _month_first(language: str | None) -> bool:
    """Whether a page in this language (`_normalise_language`d) writes 03/10/2025 for
    March 10: American English does, as does a page that names no region or no language
    (most of them are); the rest of the world writes the day first."""
    return language is None or language in ("en", "en-US")


@lru_cache(maxsize=256)
def _normalise_language(value: str | None) -> str | None:
    """`en_US`, `en-us` and `EN` all become BCP 47-ish `en-US` / `en`."""
    if not value:
        return None
    parts = re.split(r"[-_]", value.strip().split(",")[0])
    if not parts[0].isalpha() or not 2 <= len(parts[0]) <= 3:
        return None
    tag = parts[0].lower()
    if len(parts) > 1 and parts[1].isalpha() and len(parts[1]) == 2:
        tag += "-" + parts[1].upper()
    return tag
