"""Stage 2, feeds: takes a fetched feed document, hands on its entries (`FeedEntry`) and
the feed's next state (`FeedCheck`).

`parse` reads RSS, Atom and JSON Feed; `check` runs one check of one feed (fetch, parse,
decide); `schedule` holds the pure rules for when to check next and how to back off;
`opml` reads and writes subscription lists.

Tests: tests/test_feedparse.py, test_schedule.py, test_fetch.py (feed checks).
"""
