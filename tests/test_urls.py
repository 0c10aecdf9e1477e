"""URL normalisation and canonical URLs."""

from __future__ import annotations

import pytest

from ingest.urls import absolute_url, canonical_url, host_of, normalise_url, spellings, url_problem


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://Example.COM:80/a?b=2&a=1#top", "http://example.com/a?a=1&b=2"),
        ("https://example.com:443", "https://example.com/"),
        ("https://example.com/x?", "https://example.com/x"),
        ("https://example.com:8443/x", "https://example.com:8443/x"),
        (
            "https://ex.com/p?utm_source=rss&utm_medium=feed&id=7&fbclid=abc&gclid=1&mc_cid=2&ref=tw",
            "https://ex.com/p?id=7",
        ),
        ("https://ex.com/a%7Eb", "https://ex.com/a~b"),
        ("  https://ex.com/a  ", "https://ex.com/a"),
        ("mailto:someone@example.com", "mailto:someone@example.com"),
    ],
)
def test_normalise_url(url: str, expected: str) -> None:
    assert normalise_url(url) == expected


@pytest.mark.parametrize(
    "variant",
    [
        "https://example.com/news/story",
        "https://m.example.com/news/story",
        "https://example.com/news/story/amp",
        "https://example.com/news/story/amp/",
        "https://example.com/amp/news/story",
        "https://example.com/news/story?amp=1",
        "https://example.com/news/story?outputType=amp&utm_campaign=x",
        "https://example.com/news/story.amp",
    ],
)
def test_amp_and_mobile_variants_share_a_canonical_url(variant: str) -> None:
    assert canonical_url(variant) == "https://example.com/news/story"


def test_canonical_url_keeps_meaningful_parts() -> None:
    assert canonical_url("https://example.com/story.amp.html") == "https://example.com/story.html"
    assert canonical_url("https://m.com/x") == "https://m.com/x"  # a site called m.com
    assert canonical_url("https://example.com/?page=2") == "https://example.com/?page=2"
    assert host_of("https://WWW.Example.com/x") == "www.example.com"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("http://bücher.example/x", "http://xn--bcher-kva.example/x"),  # IDNA host
        ("http://BÜCHER.example./x", "http://xn--bcher-kva.example/x"),
        ("http://ex.com/./a/../b/", "http://ex.com/b/"),  # RFC 3986 dot segments
        ("http://ex.com/a/b/..", "http://ex.com/a/"),
        ("http://ex.com/../a", "http://ex.com/a"),
        ("http://ex.com/%7euser/%e2%82%ac", "http://ex.com/~user/%E2%82%AC"),
        ("http://ex.com/caf%C3%A9", "http://ex.com/café"),
        ("http://ex.com/a b", "http://ex.com/a%20b"),
        ("http://ex.com/50%off", "http://ex.com/50%25off"),
    ],
)
def test_spellings_of_one_resource_share_a_key(a: str, b: str) -> None:
    assert normalise_url(a) == normalise_url(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("http://ex.com/a%2Fb", "http://ex.com/a/b"),  # an encoded slash is not a slash
        ("http://ex.com/a%3Fb", "http://ex.com/a?b"),
        ("http://ex.com/a%23b", "http://ex.com/a#b"),
        ("http://ex.com/a/./b/..", "http://ex.com/a/b"),
    ],
)
def test_different_resources_keep_different_keys(a: str, b: str) -> None:
    assert normalise_url(a) != normalise_url(b)


@pytest.mark.parametrize(
    "bad", ["http://[oops", "http://[not-an-ip]/", "http://[::1", "http://ex.com:99999999", ""]
)
def test_no_url_function_raises_on_a_malformed_url(bad: str) -> None:
    assert normalise_url(bad) in (bad.strip(), "http://ex.com/")  # a bad port is dropped
    assert canonical_url(bad) == normalise_url(bad)
    assert spellings(bad)
    assert host_of(bad) in ("", "ex.com")
    assert absolute_url("http://ex.com/", bad) in (None, "http://ex.com/")
    assert url_problem(bad) is not None


@pytest.mark.parametrize(
    "bad",
    ["ftp://ex.com/feed", "file:///etc/passwd", "javascript:alert(1)", "", "http://", "notaurl"],
)
def test_url_problem_names_what_cannot_be_fetched(bad: str) -> None:
    assert url_problem(bad) is not None
    assert url_problem("https://ex.com/feed.xml") is None
