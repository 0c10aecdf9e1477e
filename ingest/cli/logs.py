"""Log lines as text or JSON (one object per line, for a log shipper), at the level asked;
libraries' own chatter (Alembic, APScheduler, httpx) only when it is a warning, unless the
level is debug."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from ingest.text import one_line

QUIET = ("alembic", "apscheduler", "httpx", "httpcore", "asyncio")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class JsonFormatter(logging.Formatter):
    """{"time", "level", "logger", "message"} and, for an exception, its one-line text."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            line["error"] = f"{type(error).__name__}: {one_line(str(error))}"
        return json.dumps(line, ensure_ascii=False)


_handler: logging.Handler | None = None


def configure_logging(log_format: str, level: str) -> None:
    """Our handler on the root logger, once (another's, such as a test's, stays)."""
    global _handler
    root = logging.getLogger()
    if _handler is not None:
        root.removeHandler(_handler)
    _handler = logging.StreamHandler()
    formatter = JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    _handler.setFormatter(formatter)
    root.addHandler(_handler)
    set_level(level)


def set_level(level: str) -> None:
    number = logging.getLevelNamesMapping()[level.upper()]
    logging.getLogger().setLevel(number)
    for name in QUIET:
        logging.getLogger(name).setLevel(number if number <= logging.DEBUG else logging.WARNING)
