"""URL normalisation: one spelling for URLs that name the same page.

`normalise_url` folds what never changes the page: case of scheme and host, default ports,
fragments, an empty query, tracking parameters and parameter order. `canonical_url` also
folds AMP and mobile variants of a page onto the page itself.

Tracking parameters removed (exact names, case-insensitive): see `TRACKING_PARAMS`; and any
parameter starting with one of `TRACKING_PREFIXES` (`utm_*` and friends).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

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


def is_tracking_param(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def normalise_url(url: str) -> str:
    """The normal spelling of an http(s) URL; other strings come back stripped."""
    url = url.strip()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return url
    host = parts.hostname.lower().rstrip(".")
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if ":" not in host else f"[{host}]"
    if port and port != DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    if parts.username:
        netloc = f"{parts.username}{':' + parts.password if parts.password else ''}@{netloc}"
    path = quote(unquote(parts.path), safe="/:@!$&'()*+,;=-._~%") or "/"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not is_tracking_param(k)
    ]
    query.sort()
    return urlunsplit((scheme, netloc, path, urlencode(query, quote_via=quote), ""))


def canonical_url(url: str) -> str:
    """`normalise_url`, then AMP and mobile variants folded onto the page itself."""
    normal = normalise_url(url)
    parts = urlsplit(normal)
    if parts.scheme not in DEFAULT_PORTS:
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
    return (urlsplit(url).hostname or "").lower()


def spellings(link: str) -> list[str]:
    """The forms a page's URL is looked up under: as given, normalised, canonical."""
    return list(dict.fromkeys([link, normalise_url(link), canonical_url(link)]))
