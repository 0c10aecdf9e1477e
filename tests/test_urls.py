"""URL normalisation and canonical URLs."""

from __future__ import annotations

import pytest

from ingest.urls import canonical_url, host_of, normalise_url


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
