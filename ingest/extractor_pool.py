"""Extraction in worker processes, with a time limit per page.

A page that hangs the HTML parser (pathological nesting makes Lexbor quadratic) or crashes
it must not take the worker down: the page fails with an `ExtractionError`, the pool is
rebuilt, and the run goes on. Worker processes also put the second core to use.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from ingest.dedup import Fingerprint, content_words, fingerprint
from ingest.extract import Article, extract_article


@dataclass(frozen=True)
class Extracted:
    """An article and its dedup fingerprint, both computed in the worker process."""

    article: Article
    fingerprint: Fingerprint


Job = Callable[[bytes, str, str | None], Article]


class ExtractionError(RuntimeError):
    pass


def _ready() -> bool:
    return True


def extract_job(content: bytes, url: str, content_type: str | None) -> Article:
    return extract_article(content, url, content_type)


def _extract_and_fingerprint(
    job: Job, content: bytes, url: str, content_type: str | None
) -> Extracted:
    article = job(content, url, content_type)
    return Extracted(article, fingerprint(content_words(article.text)))


class ExtractorPool:
    def __init__(self, workers: int = 2, timeout: float = 20.0, job: Job = extract_job) -> None:
        self.workers = workers
        self.timeout = timeout
        self.job = job
        self.executor = self._new_executor()

    def _new_executor(self) -> ProcessPoolExecutor:
        """Workers forked from a server that has already imported the extractor, started
        before any page is given to them, so the time limit measures extraction alone."""
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["ingest.extractor_pool"])
        executor = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
        for started in [executor.submit(_ready) for _ in range(self.workers)]:
            started.result()
        return executor

    async def extract(self, content: bytes, url: str, content_type: str | None) -> Extracted:
        for attempt in (1, 2):
            executor = self.executor
            future = asyncio.get_running_loop().run_in_executor(
                executor, _extract_and_fingerprint, self.job, content, url, content_type
            )
            try:
                return await asyncio.wait_for(future, self.timeout)
            except TimeoutError:
                self._rebuild(executor)
                raise ExtractionError(f"extraction took longer than {self.timeout:g}s") from None
            except BrokenProcessPool:
                self._rebuild(executor)
                if attempt == 2:
                    raise ExtractionError("the extractor process crashed on this page") from None
                # The pool may have broken on another page: try this one once more.
        raise AssertionError("unreachable")

    def _rebuild(self, broken: ProcessPoolExecutor) -> None:
        """Kill the pool's processes (a hung one would never return) and start afresh."""
        if broken is not self.executor:
            return  # already rebuilt by another page's failure
        processes = list(getattr(broken, "_processes", {}).values())
        broken.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.kill()
        self.executor = self._new_executor()

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
