"""Retention as the settings ask: the cutoffs for now, and a prune of the store (by
`ingest prune`, and daily by `ingest run`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from ingest.config import Settings
from ingest.dedup.site_boilerplate import block_keys, normalised_blocks
from storage.retention import Cutoffs, Pruned
from storage.store import Store

PRUNE_EVERY = 24 * 60 * 60  # seconds between two prunes by the daemon


def cutoffs_for(settings: Settings, now: datetime) -> Cutoffs:
    """What is older than these goes; a setting of 0 keeps everything of its kind."""

    def before(days: int) -> datetime | None:
        return now - timedelta(days=days) if days > 0 else None

    return Cutoffs(
        articles=before(settings.retention_days),
        raw_html=before(settings.raw_html_retention_days),
        fetches=before(settings.fetches_retention_days),
    )


def _keys_of(text: str) -> Iterable[str]:
    return block_keys(normalised_blocks(text)).keys()


def prune_store(store: Store, cutoffs: Cutoffs) -> Pruned:
    return store.prune(cutoffs, _keys_of)
