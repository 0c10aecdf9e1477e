"""Stage 1, fetching: takes a URL (and a feed's ETag/Last-Modified), hands on a
`FetchResponse` (final URL, status, headers, decoded body) or a `FetchError`.

One shared transport with keep-alive connections on asyncio streams (`sockets`,
`connections`), a total deadline and a cap on the decoded body (`decode`), checked
redirects, the SSRF guard on every resolved address (`netguard`), robots.txt for article
pages (`robots`, `pages`), and the charset of what came back (`charset`), which the feed
reader and the extractor both need.

Tests: tests/test_fetch.py, test_sockets.py, test_connections.py, test_netguard.py,
test_decode.py (real servers on 127.0.0.1).
"""
