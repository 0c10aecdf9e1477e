"""Day-to-day use of a real store filled from a local news site: reading it (`articles`,
`show`, `search`, in every format), managing feeds (list, disable, enable, OPML with
categories) and retention (`prune`), on both engines."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text, update

from ingest.cli import main
from storage.engine import create_store_engine
from storage.models import Article, ArticleUrl, Entry, Fetch, HostBlock, NearDupBand, RemovedBlock
from tests.helpers.site import AEB, Site
from tests.helpers.stores import dump
from tests.helpers.workers import page_hits, settings_env

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not AEB.exists(), reason=f"benchmark data not found at {AEB}"),
]


def ingest(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env=env)
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


def filled(site: Site, database_url: str) -> dict[str, str]:
    env = settings_env(database_url)
    assert ingest(env, "db", "upgrade")[0] == 0
    code, out = ingest(env, "backfill", "--feeds", *site.good_feeds)
    assert code == 0, out
    return env


def rows(database_url: str, query: Any) -> list[Any]:
    engine = create_store_engine(database_url)
    with engine.connect() as conn:
        found = list(conn.execute(query))
    engine.dispose()
    return found


def write(database_url: str, statement: Any) -> None:
    engine = create_store_engine(database_url)
    with engine.begin() as conn:
        conn.execute(statement)
    engine.dispose()


def as_json(env: dict[str, str], *args: str) -> Any:
    code, out = ingest(env, *args, "--format", "json")
    assert code == 0, out
    return json.loads(out)


def test_articles_in_every_format(site: Site, database_url: str) -> None:
    env = filled(site, database_url)
    listed = as_json(env, "articles", "--limit", "1000")
    canonical = rows(database_url, select(Article.id).where(Article.duplicate_of.is_(None)))
    assert sorted(a["id"] for a in listed) == sorted(r.id for r in canonical)
    keys = {"id", "title", "url", "host", "author", "published", "first_seen", "language"}
    assert keys | {"words", "copy_of", "wall", "text_source"} == set(listed[0])
    dates = [a["published"] or a["first_seen"] for a in listed]
    assert dates == sorted(dates, reverse=True)  # newest first

    with_copies = as_json(env, "articles", "--limit", "1000", "--with-copies")
    copies = [a for a in with_copies if a["copy_of"] is not None]
    assert len(with_copies) == len(listed) + 1 and len(copies) == 1

    code, out = ingest(env, "articles", "--limit", "1000", "--format", "jsonl")
    assert [json.loads(line) for line in out.splitlines()] == listed
    code, out = ingest(env, "articles", "--limit", "1000", "--format", "csv")
    table = list(csv.DictReader(io.StringIO(out)))
    assert [int(r["id"]) for r in table] == [a["id"] for a in listed]
    assert table[0]["url"] == listed[0]["url"]
    code, out = ingest(env, "articles", "--limit", "3")
    assert code == 0 and out.count("http://127.0.0.1") == 3

    assert len(as_json(env, "articles", "--limit", "2")) == 2
    future = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%d")
    assert as_json(env, "articles", "--since", future) == []
    everything = as_json(env, "articles", "--until", future, "--limit", "1000")
    assert len(everything) == len(listed)

    feeds = as_json(env, "feeds", "list")
    first = feeds[0]
    of_feed = as_json(env, "articles", "--feed", str(first["id"]), "--with-copies")
    linked = rows(
        database_url,
        select(Entry.article_id)
        .distinct()
        .where(Entry.feed_id == first["id"], Entry.article_id.is_not(None)),
    )
    assert sorted(a["id"] for a in of_feed) == sorted(r[0] for r in linked)
    assert as_json(env, "articles", "--feed", first["url"], "--with-copies") == of_feed
    assert first["articles"] == len(of_feed)


def test_show_and_search(site: Site, database_url: str) -> None:
    env = filled(site, database_url)
    doubled = rows(
        database_url, select(Article.id).where(Article.canonical_url.like(f"%{site.doubled}"))
    )[0].id
    detail = as_json(env, "show", str(doubled))
    assert detail["id"] == doubled and site.doubled_first_paragraph in detail["text"]
    assert any(u.endswith(site.doubled) for u in detail["urls"])
    assert {r["reason"] for r in detail["removed"]} >= {"duplicate"}
    assert detail["feeds"] and "html" in detail and "copies" in detail
    code, out = ingest(env, "show", str(doubled))
    assert code == 0 and "removed:" in out and "[duplicate]" in out
    code, out = ingest(env, "show", str(doubled), "--format", "html")
    assert code == 0 and out.lstrip().startswith("<")

    word = site.doubled_first_paragraph.split()[3]
    hits = as_json(env, "search", word)
    assert doubled in [h["id"] for h in hits]
    code, out = ingest(env, "search", word)
    assert code == 0 and str(doubled) in out
    code, out = ingest(env, "show", "999999")
    assert code == 1 and out.startswith("Error: no article 999999")


def test_feeds_list_disable_enable(site: Site, database_url: str) -> None:
    env = filled(site, database_url)
    ingest(env, "backfill", "--feeds", *site.broken_feeds)
    feeds = {f["url"]: f for f in as_json(env, "feeds", "list")}
    good = feeds[site.good_feeds[0]]
    assert good["status"] == "ok" and good["title"] == "Feed /feeds/0.xml" and good["articles"] > 0
    gone = feeds[site.server.url("/feeds/gone.xml")]
    assert gone["status"] == "disabled" and "410" in gone["reason"]
    assert feeds[site.server.url("/feeds/error.xml")]["status"] == "erroring"
    code, out = ingest(env, "feeds", "list")
    assert code == 0 and "Feed /feeds/0.xml" in out and "disabled: 410" in out

    assert ingest(env, "feeds", "disable", str(good["id"]))[0] == 0
    after = {f["id"]: f for f in as_json(env, "feeds", "list")}[good["id"]]
    assert after["status"] == "disabled" and after["next_check"] is None
    path = site.good_feeds[0].split(str(site.server.port), 1)[1]
    checked = site.server.hits[path]
    assert ingest(env, "backfill")[0] == 0  # every enabled feed: not this one
    assert site.server.hits[path] == checked
    assert site.server.hits[site.good_feeds[1].split(str(site.server.port), 1)[1]] > 1
    assert ingest(env, "feeds", "enable", good["url"])[0] == 0
    assert ingest(env, "feeds", "enable", gone["url"])[0] == 0
    now = {f["id"]: f for f in as_json(env, "feeds", "list")}
    assert now[good["id"]]["status"] == "ok" and now[gone["id"]]["status"] == "ok"
    code, out = ingest(env, "feeds", "disable", "https://nowhere.example/")
    assert code == 1 and out.startswith("Error: no feed with URL or id")


def test_opml_keeps_titles_and_categories(database_url: str, tmp_path: Path) -> None:
    env = settings_env(database_url)
    assert ingest(env, "db", "upgrade")[0] == 0
    opml = tmp_path / "in.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><body>'
        '<outline text="News"><outline text="World">'
        '<outline text="Wire" title="The Wire" xmlUrl="https://a.example/feed"/>'
        "</outline></outline>"
        '<outline text="Loose" xmlUrl="https://b.example/feed"/>'
        "</body></opml>"
    )
    assert ingest(env, "feeds", "import", str(opml))[0] == 0
    feeds = {f["url"]: f for f in as_json(env, "feeds", "list")}
    assert feeds["https://a.example/feed"]["category"] == "News/World"
    assert feeds["https://a.example/feed"]["title"] == "The Wire"
    assert feeds["https://b.example/feed"]["category"] is None
    code, exported = ingest(env, "feeds", "export")
    again = tmp_path / "out.opml"
    again.write_text(exported)
    other = settings_env(f"sqlite:///{tmp_path}/other.db")
    assert ingest(other, "db", "upgrade")[0] == 0
    assert ingest(other, "feeds", "import", str(again))[0] == 0
    round_trip = {f["url"]: (f["title"], f["category"]) for f in as_json(other, "feeds", "list")}
    assert round_trip == {u: (f["title"], f["category"]) for u, f in feeds.items()}


def _orphans(database_url: str) -> int:
    kept = select(Article.id)
    return (
        sum(
            rows(database_url, select(func.count()).where(column.not_in(kept)))[0][0]
            for column in (
                ArticleUrl.article_id,
                RemovedBlock.article_id,
                NearDupBand.article_id,
                HostBlock.article_id,
            )
        )
        + rows(
            database_url,
            select(func.count()).where(
                Article.duplicate_of.is_not(None), Article.duplicate_of.not_in(kept)
            ),
        )[0][0]
    )


def test_prune_keeps_a_consistent_store(site: Site, database_url: str) -> None:
    env = filled(site, database_url)
    by_path = {
        r.canonical_url.split(str(site.server.port), 1)[1]: r
        for r in rows(database_url, select(Article.id, Article.canonical_url, Article.duplicate_of))
    }
    original, copy = by_path[site.original], by_path[site.near_copy]
    if copy.duplicate_of is None:  # the copy was stored first: it is the cluster's original
        original, copy = copy, original
    assert copy.duplicate_of == original.id
    old = datetime.now(UTC) - timedelta(days=40)
    aged = [original.id] + [r.id for p, r in sorted(by_path.items()) if p in site.pages][:4]
    write(database_url, update(Article).where(Article.id.in_(aged)).values(first_seen_at=old))
    write(database_url, update(Fetch).values(fetched_at=old))
    before = dump(database_url)

    code, out = ingest(env, "prune", "--days", "30", "--dry-run")
    assert code == 0 and out.startswith(f"Would remove {len(aged)} article(s) (1 of their copies")
    assert dump(database_url) == before

    code, out = ingest(env, "prune", "--days", "30")
    assert code == 0, out
    assert out.startswith(f"Removed {len(aged)} article(s) (1 of their copies became canonical")
    sizes = re.search(r"Store: ([\d.]+) MiB before, ([\d.]+) MiB after", out)
    assert sizes is not None
    if database_url.startswith("sqlite"):  # the freed pages are given back
        assert float(sizes.group(2)) < float(sizes.group(1))
    left = {r.id: r for r in rows(database_url, select(Article.id, Article.duplicate_of))}
    assert not set(aged) & set(left)
    assert left[copy.id].duplicate_of is None  # the copy took the original's place
    assert _orphans(database_url) == 0
    assert rows(database_url, select(func.count()).where(HostBlock.article_id == copy.id))[0][0]
    assert rows(database_url, select(func.count()).select_from(Fetch))[0][0] == 0
    pruned = rows(database_url, select(Entry).where(Entry.pruned_at.is_not(None)))
    assert pruned and all(e.article_id is None for e in pruned)
    if database_url.startswith("sqlite"):  # the full-text rows went with their articles
        fts = rows(database_url, text("SELECT count(*) FROM articles_fts"))[0][0]
        assert fts == len(left)
    word = rows(database_url, select(Article.title).where(Article.id == copy.id))[0][0].split()[0]
    assert copy.id in [h["id"] for h in as_json(env, "search", word, "--with-copies")]

    # The feeds still list the pruned stories: they are not fetched again.
    hits = page_hits(site.server)
    code, out = ingest(env, "backfill", "--feeds", *site.good_feeds)
    assert code == 0, out
    stories = [*site.pages, site.original, site.near_copy, site.doubled]
    assert {p: page_hits(site.server)[p] for p in stories} == {p: hits[p] for p in stories}
    assert {r.id for r in rows(database_url, select(Article.id))} == set(left)


def test_prune_of_raw_html_and_nothing_to_prune(site: Site, database_url: str) -> None:
    env = filled(site, database_url)
    old = datetime.now(UTC) - timedelta(days=10)
    write(database_url, update(Article).values(first_seen_at=old))
    code, out = ingest(env, "prune", "--raw-html-days", "5", "--fetches-days", "0")
    assert code == 0 and "Removed 0 article(s), the raw HTML of" in out
    assert rows(database_url, select(func.count()).where(Article.raw_html.is_not(None)))[0][0] == 0
    code, out = ingest(env, "prune", "--fetches-days", "0")
    assert code == 0 and out.startswith("Nothing to prune")
