"""Where an article goes, given what the store already holds: the dedup rule, pure.

- **Same URL** (in any spelling): the article already there is updated in place, keeping
  its canonical URL; never a copy of itself.
- **Same text** under another URL: no new article; the URLs join the one that has it, but
  only for a text that is a real article (`merge_scope`): a wall (paywall stub, consent
  dialog, "enable JavaScript", nothing at all) never merges, and a short text only with
  one of its own host. Two stories behind the same stub stay two articles.
- **Near copy**: a new article pointing at the earliest of its cluster (`duplicate_of`),
  the first candidate (oldest first) whose fingerprint verifies. Walls never join a
  cluster, and short texts have no near copies.
- Otherwise a new article.

The writer looks up only what the rule needs, in this order (`ingest.worker.writer`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from ingest.dedup.fingerprint import MIN_NEAR_WORDS, Fingerprint, is_near_duplicate
from ingest.types import Candidate, Outcome
from ingest.urls import host_of

if TYPE_CHECKING:
    from ingest.dedup.prepare import Prepared

MIN_MERGE_WORDS = MIN_NEAR_WORDS  # shorter texts merge only with their own host's


class MergeScope(StrEnum):
    """With which other texts an article's text may be one article."""

    ANY_HOST = "any-host"
    SAME_HOST = "same-host"
    NEVER = "never"


def merge_scope(words: int, wall: str | None) -> MergeScope:
    """A real article's text merges with the same text anywhere; a short one (a brief, a
    shell of a template) only on its own host; a wall, or no text, never."""
    if wall is not None or words == 0:
        return MergeScope.NEVER
    return MergeScope.ANY_HOST if words >= MIN_MERGE_WORDS else MergeScope.SAME_HOST


class Action(StrEnum):
    STORE = "store"  # write the article (new, or over the one under its URL)
    ADD_URLS = "add-urls"  # the same text is stored: add the URLs to that article


@dataclass(frozen=True)
class Decision:
    action: Action
    article_id: int | None = None
    """ADD_URLS: the article with the same text; STORE: the article under one of the URLs."""
    canonical_url: str | None = None
    """STORE over a known article: its canonical URL, which stays."""
    duplicate_of: int | None = None
    """STORE of a near copy: the earliest article of its cluster."""


def decide(
    prepared: Prepared,
    by_url: tuple[int, str] | None,
    by_hash: int | None,
    candidates: Iterable[Candidate],
) -> Decision:
    """`by_url`: the article (id, canonical URL) under one of the article's URLs;
    `by_hash`: the article with its content hash; `candidates`: articles sharing a band
    key with it, oldest first."""
    if by_url is not None:
        return Decision(Action.STORE, article_id=by_url[0], canonical_url=by_url[1])
    if prepared.merge is MergeScope.NEVER:
        return Decision(Action.STORE)
    if by_hash is not None:
        return Decision(Action.ADD_URLS, article_id=by_hash)
    for candidate in candidates:
        if candidate.fingerprint and is_near_duplicate(
            prepared.fingerprint, Fingerprint.from_bytes(candidate.fingerprint)
        ):
            return Decision(Action.STORE, duplicate_of=candidate.duplicate_of or candidate.id)
    return Decision(Action.STORE)


def wrongly_merged(scope: MergeScope, host: str, urls: Iterable[str]) -> bool:
    """Whether URLs that joined a stored article by its text would not have under this
    rule: its text never merges, or merges only on its host and these are another's."""
    if scope is MergeScope.NEVER:
        return True
    return scope is MergeScope.SAME_HOST and any(host_of(url) != host for url in urls)


def outcome(decision: Decision, created: bool, content_changed: bool) -> Outcome:
    """What the decision did, once the store says whether the row was new or changed."""
    if decision.action is Action.ADD_URLS:
        return Outcome.SAME_TEXT
    if created:
        return Outcome.NEAR_DUPLICATE if decision.duplicate_of else Outcome.NEW
    return Outcome.UPDATED if content_changed else Outcome.UNCHANGED
