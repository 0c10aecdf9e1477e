"""Store records for tests: an article row ready to store, and threads started together."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

from ingest.types import ArticleRecord

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def article(url: str = "https://example.com/a", at: datetime = T0, **kw: object) -> ArticleRecord:
    values: dict[str, object] = {
        "canonical_url": url,
        "host": "example.com",
        "seen_at": at,
        "title": "A title",
        "text": "Some body text.",
        "content_hash": "h:" + url,
    }
    values.update(kw)
    return ArticleRecord(**values)  # type: ignore[arg-type]


def run_together(workers: int, job: Callable[[int], None]) -> list[BaseException]:
    """Run `job` in `workers` threads released at the same instant; return their errors."""
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def target(i: int) -> None:
        try:
            barrier.wait()
            job(i)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=target, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return errors


def assert_storable(*values: str | None) -> None:
    """Every store holds it: no NUL (PostgreSQL's text refuses it), valid UTF-8 (no lone
    surrogate)."""
    for value in values:
        if value is not None:
            assert "\x00" not in value, repr(value[:80])
            value.encode("utf-8")  # raises on a lone surrogate
