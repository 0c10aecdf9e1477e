"""The writer: takes prepared articles into the store, one transaction per group of
batches, in the one process that writes pages (see `page_workers`).

One article per URL (in any spelling) and per text, near copies linked to the earliest of
their cluster, changed pages updated in place: `ingest.dedup.decide` rules, this module
looks up what the rule needs and carries the decision out. Races between workers are
settled by the store's unique constraints (canonical URL, content hash), not by locks of
our own; but a near copy has no unique key to collide on, so an intake transaction first
locks what it could collide on (`ingest.dedup.prepare.collision_keys`: band keys, hashes,
URLs), and waits only for the transactions holding one of those: otherwise an original
and its copy stored at the same moment by two workers would each miss the other. Its
articles in, it locks their hosts (`ingest.dedup.prepare.host_key`) to count their blocks:
two workers storing articles of one site wait for each other for that step alone.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from ingest.dedup.decide import Action, decide, outcome
from ingest.dedup.prepare import Prepared, host_key, prepare
from ingest.dedup.site_boilerplate import SITE_BOILERPLATE, strip_blocks
from ingest.errors import IngestError, StoreConflict, StoreError
from ingest.extract.article import Article
from ingest.types import Candidate, Claim, FetchRecord, Intake, utcnow
from storage.engine import SQLITE_INTAKE_CACHE_KIB
from storage.intake import IntakeTransaction
from storage.store import Store


@dataclass(frozen=True)
class Stored:
    """What the writer needs of a page besides its article: the rows written with it."""

    fetch: FetchRecord | None = None  # the fetch log row
    entry_id: int | None = None  # the entry to link to the article
    claim: Claim | None = None  # the page's claim, let go


@dataclass(frozen=True)
class _Counted:
    """An article whose content is new or changed: its blocks count for its host."""

    article_id: int
    host: str
    keys: Collection[str]
    canonical: bool  # copies of a story count once, through their canonical article
    fresh: bool  # nothing of it in the store before
    text: str  # as stored, so the boilerplate step need not read it back
    html: str


def take_in(
    transaction: IntakeTransaction,
    page_url: str,
    article: Article,
    seen_at: datetime,
    seen_urls: Sequence[str] = (),
    raw_html: str | bytes | None = None,
    site_min_articles: int = 5,
) -> Intake:
    """Take one article in, in the caller's transaction."""
    prepared = prepare(page_url, article, seen_at, seen_urls, raw_html)
    taken = take_in_all(transaction, [prepared], site_min_articles)[0]
    if isinstance(taken, Exception):
        raise taken
    return taken


def take_in_all(
    transaction: IntakeTransaction,
    items: Sequence[Prepared],
    site_min_articles: int = 5,
    clock: Callable[[], datetime] | None = None,
    isolated: bool = True,
) -> list[Intake | StoreError]:
    """Take in several articles in order, in the caller's transaction: each one's outcome,
    or the error that kept it out (its writes undone, the others unaffected). The per-host
    boilerplate counts are updated once for all of them.

    What the store holds under the articles' URLs, hashes and band keys is looked up once
    for the batch, not three statements an article; what an earlier article of the batch
    wrote is looked up again (`_BatchLookups`), so that each decision is the one the store
    as it stands at the article's turn gives.

    With a `clock`, each article is seen when it goes in rather than when it was prepared:
    articles prepared side by side in several processes are then first seen in the order
    they entered the store, so the earliest of a cluster of copies is the one the others
    point at.

    On a shared store, one call per transaction: its locks are taken in one order (every
    collision key, then the hosts), which a second call would break.

    `isolated=False` takes them in without a savepoint each, and an error propagates: the
    caller rolls back and tries again isolated. That is the fast way when errors are rare:
    on SQLite, FTS5 writes its pending index out as a new segment at every savepoint,
    about 0.5 ms per article, where one segment per transaction would do."""
    outcomes: list[Intake | StoreError] = []
    counted: list[_Counted] = []
    transaction.lock_keys(key for prepared in items for key in prepared.collision_keys)
    batch = _BatchLookups(transaction, items)
    for prepared in items:
        if clock is not None:
            prepared = replace(prepared, record=replace(prepared.record, seen_at=clock()))
        if not isolated:
            intake, count = _take_in_one(transaction, prepared, batch)
        else:
            try:
                try:
                    with transaction.savepoint():
                        intake, count = _take_in_one(transaction, prepared, batch)
                except StoreConflict:
                    # Another worker stored the same text a moment ago: now it is visible.
                    with transaction.savepoint():
                        intake, count = _take_in_one(transaction, prepared, transaction)
            except StoreError as exc:
                outcomes.append(exc)
                continue
        batch.wrote(prepared, intake.article_id)
        outcomes.append(intake)
        if count is not None:
            counted.append(count)
    _strip_site_boilerplate(transaction, counted, site_min_articles)
    transaction.flush()
    return outcomes


class _Lookups(Protocol):
    """What `decide` needs of the store: the article under one of some URLs, the article
    with a text, the articles sharing a band key (oldest first)."""

    def article_for_urls(self, urls: Iterable[str]) -> tuple[int, str] | None: ...
    def article_with_hash(self, digest: str) -> int | None: ...
    def near_candidates(self, keys: Sequence[int]) -> list[Candidate]: ...


class _BatchLookups:
    """The lookups of a batch's articles, answered from what the store held under all of
    their URLs, hashes and band keys when the batch began (`Known`: three statements for
    the batch). An answer the batch's own writes may have changed since is asked of the
    store again: rows written under one of the URLs, the hash or a band key looked up,
    which `Known` could not see, or a change to an article it returned (an update
    replaces its hash, fingerprint and bands; its canonical URL stays)."""

    def __init__(self, transaction: IntakeTransaction, items: Sequence[Prepared]) -> None:
        self.transaction = transaction
        self.known = transaction.known(
            (url for prepared in items for url in prepared.record.urls),
            (p.record.content_hash for p in items if p.record.content_hash is not None),
            (key for prepared in items for key in prepared.band_keys),
        )
        self.urls: set[str] = set()
        self.hashes: set[str] = set()
        self.keys: set[int] = set()
        self.articles: set[int] = set()

    def wrote(self, prepared: Prepared, article_id: int) -> None:
        """An article of the batch went in (as `article_id`)."""
        self.urls.update(prepared.record.urls)
        if prepared.record.content_hash is not None:
            self.hashes.add(prepared.record.content_hash)
        self.keys.update(prepared.band_keys)
        self.articles.add(article_id)

    def article_for_urls(self, urls: Iterable[str]) -> tuple[int, str] | None:
        urls = list(urls)
        if not self.urls.isdisjoint(urls):
            return self.transaction.article_for_urls(urls)
        return self.known.article_for_urls(urls)

    def article_with_hash(self, digest: str) -> int | None:
        found = self.known.article_with_hash(digest)
        if digest in self.hashes or found in self.articles:
            return self.transaction.article_with_hash(digest)
        return found

    def near_candidates(self, keys: Sequence[int]) -> list[Candidate]:
        found = self.known.near_candidates(keys)
        if not self.keys.isdisjoint(keys) or any(c.id in self.articles for c in found):
            return self.transaction.near_candidates(keys)
        return found


def _take_in_one(
    transaction: IntakeTransaction, prepared: Prepared, lookups: _Lookups
) -> tuple[Intake, _Counted | None]:
    record = prepared.record
    urls = list(record.urls)
    by_url = lookups.article_for_urls(urls)
    by_hash = None
    if by_url is None and record.content_hash is not None:
        by_hash = lookups.article_with_hash(record.content_hash)
    candidates = []
    if by_url is None and by_hash is None:
        candidates = lookups.near_candidates(prepared.band_keys)
    decision = decide(prepared, by_url, by_hash, candidates)

    if decision.action is Action.ADD_URLS:
        assert decision.article_id is not None
        transaction.add_article_urls(decision.article_id, urls, record.seen_at)
        return Intake(decision.article_id, outcome(decision, False, False)), None
    existing = decision.article_id
    if decision.canonical_url is not None:
        record = replace(record, canonical_url=decision.canonical_url)
    stored = transaction.store_article(record, decision.duplicate_of, unseen=existing is None)
    result = Intake(
        stored.id, outcome(decision, stored.created, stored.content_changed), decision.duplicate_of
    )
    if not (stored.created or stored.content_changed):
        return result, None
    fresh = stored.created and existing is None  # nothing of it in the store yet
    transaction.replace_bands(stored.id, prepared.band_keys, replace=not fresh)
    canonical = decision.duplicate_of is None
    counted = _Counted(
        stored.id, record.host, prepared.block_keys, canonical, fresh, record.text, record.html
    )
    return result, counted


def _strip_site_boilerplate(
    transaction: IntakeTransaction, counted: Sequence[_Counted], minimum: int
) -> None:
    """Count the articles' blocks for their host, then strip the host's boilerplate: from
    these articles, every block of the host's boilerplate they hold; from the host's
    other articles, the blocks that have just become its boilerplate (each step one
    statement for all the hosts of the batch). The others lost the older boilerplate when
    it became so: looking at every article that ever held it, at every batch, made a
    host's intake slower the more articles it had (from 443 to 95 articles/s between 500
    and 4,000 articles of one site). An article counted twice (a page and its update in
    one batch) counts with its last blocks.

    On a shared store, stripping another worker's article waits for that worker if it is
    updating the article too; should that worker wait for this one's host lock, the
    server finds the deadlock and ends one transaction, whose batch is tried again. Only
    the moment a block becomes boilerplate can lead there."""
    if not counted:
        return
    # Keys sorted after every collision key this transaction took (a later step, in the
    # same order in every transaction), so no two wait on each other in a cycle.
    transaction.lock_keys(host_key(host) for host in {item.host for item in counted})
    latest: dict[int, _Counted] = {}
    for item in counted:
        first = latest.get(item.article_id)
        latest[item.article_id] = item if first is None else replace(item, fresh=first.fresh)
    counted = list(latest.values())
    canonical = [item for item in counted if item.canonical]
    transaction.record_blocks(
        [(i.host, i.article_id, i.keys) for i in canonical],
        replace=[i.article_id for i in canonical if not i.fresh],
    )
    keys: dict[str, set[str]] = {}
    for item in counted:
        keys.setdefault(item.host, set()).update(item.keys)
    recorded: dict[tuple[str, str], int] = {}  # this transaction's articles with a block
    for item in canonical:
        for key in item.keys:
            recorded[item.host, key] = recorded.get((item.host, key), 0) + 1
    for host, counts in transaction.frequent_blocks(keys, minimum).items():
        frequent = set(counts)
        # Counted too few times before this transaction: boilerplate from now on.
        becoming = [k for k, n in counts.items() if n - recorded.get((host, k), 0) < minimum]
        mine = {i.article_id: (i.text, i.html) for i in counted if i.host == host}
        others = transaction.articles_with_blocks(host, becoming) if becoming else []
        for other in sorted(mine.keys() | others):
            old_text, old_html = mine.get(other) or transaction.article_content(other)
            new_text, new_html, removed = strip_blocks(old_text, old_html, frequent)
            if removed:
                transaction.replace_content(other, new_text, new_html, SITE_BOILERPLATE, removed)


# -- the writer process -----------------------------------------------------------------

_store: Store | None = None
_site_min_articles = 5


def open_store(database_url: str, site_min_articles: int) -> None:
    """Initialises the writer process."""
    global _store, _site_min_articles
    _store = Store(database_url, sqlite_cache_kib=SQLITE_INTAKE_CACHE_KIB)
    _site_min_articles = site_min_articles


def store_pages(
    pages: Sequence[Stored], prepared: Sequence[Prepared | IngestError]
) -> list[Intake | IngestError]:
    """In the writer process: each page's outcome, or why it failed. The pages go in in one
    transaction (one commit, one full-text index flush), a page's failure undoing its own
    writes only; the fetch log rows and entry links of the pages stored are written with
    them. On a shared store, a batch whose articles hold more than `MAX_LOCKED_KEYS`
    collision keys goes in as several transactions (see `parts`)."""
    assert _store is not None, "writer started without a store"
    results: list[Intake | IngestError] = []
    for part in parts(prepared, MAX_LOCKED_KEYS if _store.shared else None):
        try:
            results += _store_batch(pages[part], prepared[part], isolated=False)
        except StoreError:
            # Rare: an article broke a constraint (or met another worker's). Again, each
            # article in its own savepoint, so that the failing one alone stays out.
            results += _store_batch(pages[part], prepared[part], isolated=True)
    return results


MAX_LOCKED_KEYS = 1024
"""Advisory locks one intake transaction holds at most (an article holds about 45).
PostgreSQL keeps them in one table for the whole server, 64 per allowed connection by
default: a batch of 64 articles (2,900 locks) from each of 4 workers would not fit."""


def parts(prepared: Sequence[Prepared | IngestError], max_keys: int | None) -> list[slice]:
    """Consecutive parts of a batch, each holding at most `max_keys` collision keys (one
    article at least); the whole batch when there is no limit."""
    if max_keys is None or not prepared:
        return [slice(0, len(prepared))]
    found: list[slice] = []
    start = held = 0
    for n, item in enumerate(prepared):
        keys = len(item.collision_keys) + 1 if isinstance(item, Prepared) else 0  # + its host
        if held + keys > max_keys and n > start:
            found.append(slice(start, n))
            start, held = n, 0
        held += keys
    found.append(slice(start, len(prepared)))
    return found


def _store_batch(
    pages: Sequence[Stored], prepared: Sequence[Prepared | IngestError], isolated: bool
) -> list[Intake | IngestError]:
    assert _store is not None, "writer started without a store"
    with _store.intake() as transaction:
        ready = [item for item in prepared if isinstance(item, Prepared)]
        taken = iter(
            take_in_all(transaction, ready, _site_min_articles, clock=utcnow, isolated=isolated)
        )
        results = [item if isinstance(item, IngestError) else next(taken) for item in prepared]
        stored = [(p, r) for p, r in zip(pages, results, strict=True) if isinstance(r, Intake)]
        transaction.log_fetches([p.fetch for p, _ in stored if p.fetch is not None])
        transaction.link_entries(
            {p.entry_id: r.article_id for p, r in stored if p.entry_id is not None}
        )
        transaction.release_claims(p.claim for p, _ in stored if p.claim is not None)
    return results
