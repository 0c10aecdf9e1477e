"""URL normalisation: one spelling for URLs that name the same page.

`normalise_url` folds what never changes the page (RFC 3986 section 6 and the WHATWG URL
Standard agree on these): case of scheme and host, a host in Unicode or in its IDNA (punycode)
form, default ports, `.` and `..` path segments, percent-encoding (hex case, unreserved
characters decoded; reserved ones such as `%2F` stay encoded: `/a%2Fb` is not `/a/b`),
fragments, an empty query, tracking parameters and parameter order. `canonical_url` also
folds AMP and mobile variants of a page onto the page itself. Neither ever raises: a string
that is not a well-formed http(s) URL comes back stripped.

Tracking parameters removed (exact names, case-insensitive): see `TRACKING_PARAMS`; and any
parameter starting with one of `TRACKING_PREFIXES` (`utm_*` and friends).
"""

from __future__ import annotations

import contextlib
import re
import string
from functools import lru_cache
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "_hs", "oly_", "vero_", "__s")
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "igshid",
        "mc_cid",
        "mc_eid",
        "mkt_tok",
        "ref",
        "ref_src",
        "ref_url",
        "cmpid",
        "ncid",
        "sr_share",
        "ito",
        "xtor",
        "at_medium",
        "at_campaign",
        "smid",
        "spm",
        "ocid",
        "s_cid",
        "soc_src",
        "soc_trk",
        "_ga",
        "_gl",
        "guccounter",
        "guce_referrer",
        "guce_referrer_sig",
        "amp_js_v",
        "usqp",
        "rss_source",
        "cid_source",
    }
)
DEFAULT_PORTS = {"http": 80, "https": 443}
_MOBILE_HOST = re.compile(r"^(?:m|mobile|amp|www\.m)\.", re.I)
_AMP_PARAMS = {"amp", "outputtype", "output"}
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_PLAIN_PATH = re.compile(r"[A-Za-z0-9/:@!$&'()*+,;=._~-]*")  # nothing to encode or decode


def is_tracking_param(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def normalise_url(url: str) -> str:
    """The normal spelling of an http(s) URL; other strings come back stripped."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        hostname = parts.hostname
        if scheme not in DEFAULT_PORTS or not hostname:
            return url
        try:
            port = parts.port
        except ValueError:
            port = None
    except ValueError:  # a bracketed host that is no IPv6 address, say
        return url
    host = _host_key(hostname)
    netloc = host if ":" not in host else f"[{host}]"
    if port and port != DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    if parts.username:
        netloc = f"{parts.username}{':' + parts.password if parts.password else ''}@{netloc}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not is_tracking_param(k)
    ]
    query.sort()
    path = _path_key(parts.path)
    return urlunsplit((scheme, netloc, path, urlencode(query, quote_via=quote), ""))


@lru_cache(maxsize=4096)
def _host_key(hostname: str) -> str:
    """Lower case, no trailing dot, and an internationalised name in its IDNA form (the
    form DNS and every browser use), so `bücher.example` and `xn--bcher-kva.example` meet."""
    host = hostname.lower().rstrip(".")
    if not host.isascii():
        with contextlib.suppress(UnicodeError):  # not a valid IDNA name: kept as written
            host = host.encode("idna").decode("ascii")
    return host


def _path_key(path: str) -> str:
    if _PLAIN_PATH.fullmatch(path) and "/." not in path:  # the common case: nothing to fold
        return path or "/"
    path = _STRAY_PERCENT.sub("%25", path)
    path = _PERCENT.sub(_percent_key, path)
    return quote(_remove_dot_segments(path), safe=_PATH_SAFE) or "/"


def _percent_key(match: re.Match[str]) -> str:
    """An unreserved character decoded; anything else kept encoded, in upper-case hex."""
    character = chr(int(match.group(1), 16))
    return character if character in _UNRESERVED else "%" + match.group(1).upper()


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4: `/./a/../b/` is `/b/`."""
    if "." not in path:
        return path
    segments = path.split("/")
    kept: list[str] = []
    for segment in segments[1:] if path.startswith("/") else segments:
        if segment == "..":
            if kept:
                kept.pop()
        elif segment != ".":
            kept.append(segment)
    if segments[-1] in (".", ".."):
        kept.append("")  # `/a/.` and `/a/b/..` name a directory: the slash stays
    return ("/" if path.startswith("/") else "") + "/".join(kept)


def url_problem(url: str) -> str | None:
    """Why `url` cannot be subscribed to or fetched (not http(s), no host, unparseable), in
    words for the user; None when it can."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        parts.port  # noqa: B018 - parses the port, which may be bad
    except ValueError as exc:
        return f"{url!r} is not a valid URL ({exc})"
    if parts.scheme.lower() not in DEFAULT_PORTS:
        return f"{url!r} is not an http:// or https:// URL"
    if not host:
        return f"{url!r} names no host"
    return None


def absolute_url(base: str, link: str) -> str | None:
    """`link` resolved against `base`; None when either is not a URL that can be parsed
    (`http://[oops`)."""
    link = link.strip()
    try:
        # Most links are absolute already, which spares urljoin's parsing of both.
        target = link if link.startswith(("https://", "http://")) else urljoin(base, link)
        urlsplit(target).port  # noqa: B018 - parses the netloc, which may still be bad
    except ValueError:
        return None
    return target


def canonical_url(url: str) -> str:
    """`normalise_url`, then AMP and mobile variants folded onto the page itself."""
    normal = normalise_url(url)
    try:
        parts = urlsplit(normal)
    except ValueError:
        return normal
    if parts.scheme not in DEFAULT_PORTS or not parts.netloc:
        return normal
    netloc = _MOBILE_HOST.sub("", parts.netloc) if parts.netloc.count(".") >= 2 else parts.netloc
    path = _fold_amp_path(parts.path)
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not (k.lower() in _AMP_PARAMS and v.lower() in {"", "1", "amp", "true"})
    ]
    return urlunsplit((parts.scheme, netloc, path, urlencode(query, quote_via=quote), ""))


def _fold_amp_path(path: str) -> str:
    """`/amp/x`, `/x/amp`, `/x/amp/`, `/x.amp` and `/x.amp.html` all name `/x` (`/x.html`)."""
    lowered = path.lower()
    if lowered.startswith("/amp/"):
        path, lowered = path[4:], lowered[4:]
    for suffix, keep in (("/amp/", ""), ("/amp", ""), (".amp.html", ".html"), (".amp", "")):
        if lowered.endswith(suffix):
            return (path[: -len(suffix)] + keep) or "/"
    return path


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def spellings(link: str) -> list[str]:
    """The forms a page's URL is looked up under: as given, normalised, canonical."""
    return list(dict.fromkeys([link, normalise_url(link), canonical_url(link)]))
