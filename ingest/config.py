"""Settings: defaults, overridden by a TOML file, then `INGEST_*` variables, then flags.

Every setting is a field of `Settings`; the CLI derives one flag per field and the README's
configuration table lists them all (a test checks that), so adding a field is the whole job.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from ingest.errors import ConfigError

ENV_PREFIX = "INGEST_"
CONFIG_ENV = "INGEST_CONFIG"


def _setting(
    default: Any,
    help: str,
    low: float | None = None,
    high: float | None = None,
    choices: tuple[str, ...] = (),
) -> Any:
    """A setting with its help and what values it allows (`low` <= value <= `high`, or one
    of `choices`), checked when settings are loaded."""
    limits = {"low": low, "high": high, "choices": choices}
    return field(default=default, metadata={"help": help, **limits})


@dataclass(frozen=True)
class Settings:
    database_url: str = _setting(
        "sqlite:///ingest.db",
        "Where the store lives: sqlite:///PATH or postgresql+psycopg://USER@HOST/DB.",
    )
    store_raw_html: bool = _setting(
        True, "Keep each page's raw HTML (compressed) so articles can be reprocessed."
    )
    user_agent: str = _setting(
        "feed-ingest/0.1 (+https://github.com/feed-ingest/feed-ingest)",
        "User-Agent sent with every request; include a contact URL.",
    )
    request_timeout: float = _setting(
        30.0,
        "Total deadline in seconds for one request: connect, headers and whole body.",
        low=0.001,
    )
    queue_timeout: float = _setting(
        300.0,
        "Longest wait for a free connection slot (behind other requests to the same host) "
        "before a request gives up, in seconds; not counted against the feed or page.",
        low=0.001,
    )
    max_body_bytes: int = _setting(
        15 * 1024 * 1024, "Largest decoded (decompressed) body accepted, in bytes.", low=1
    )
    max_redirects: int = _setting(10, "Redirect hops followed before giving up.", low=0, high=100)
    allow_private_networks: bool = _setting(
        False,
        "Allow connections to private, loopback and link-local addresses (self-hosted feeds).",
    )
    max_connections: int = _setting(20, "Concurrent requests overall.", low=1, high=10_000)
    max_connections_per_host: int = _setting(
        2, "Concurrent requests to any one host.", low=1, high=1000
    )
    respect_robots_txt: bool = _setting(True, "Honour robots.txt for article pages.")
    robots_cache_ttl: int = _setting(
        24 * 60 * 60, "How long a host's robots.txt is cached, in seconds.", low=0
    )
    max_crawl_delay: float = _setting(
        10.0,
        "Longest gap between two requests to one host that its robots.txt Crawl-delay may "
        "ask for, in seconds (0: Crawl-delay is ignored).",
        low=0,
        high=3600,
    )
    min_poll_interval: int = _setting(
        15 * 60, "Shortest time between two checks of one feed, in seconds.", low=1
    )
    default_poll_interval: int = _setting(
        60 * 60, "Time between checks of a feed with no history, in seconds.", low=1
    )
    max_poll_interval: int = _setting(
        24 * 60 * 60, "Longest time between two checks of one feed, in seconds.", low=1
    )
    site_boilerplate_min_articles: int = _setting(
        5,
        "A block found in this many different articles of one host is that host's boilerplate.",
        low=2,
    )
    tick_interval: int = _setting(
        30, "How often `ingest run` looks for due feeds, in seconds.", low=1
    )
    claim_batch: int = _setting(
        20,
        "Feeds a worker has in flight (claimed under a lease); a tick claims the next as "
        "one is done, until the feeds due at its start are done.",
        low=1,
        high=10_000,
    )
    lease_seconds: int = _setting(
        900, "How long a claimed feed stays leased; a dead worker's lease expires after it.", low=1
    )
    extract_workers: int = _setting(
        2,
        "Processes that parse feeds and extract and clean pages (one more stores them).",
        low=1,
        high=256,
    )
    extract_timeout: float = _setting(
        20.0, "Longest extraction of one page (or parse of one feed), in seconds.", low=0.001
    )
    grace_period: float = _setting(
        30.0, "On SIGTERM/SIGINT, how long in-flight work may take to finish, in seconds.", low=0
    )
    metrics_port: int = _setting(
        0,
        "Port of `ingest run`'s Prometheus `/metrics` and `/health` endpoints (0: none).",
        low=0,
        high=65535,
    )
    metrics_host: str = _setting(
        "127.0.0.1", "Address the metrics port listens on (`0.0.0.0`: every interface)."
    )
    max_backoff: int = _setting(
        24 * 60 * 60,
        "Longest wait after repeated errors before a feed is retried, in seconds.",
        low=1,
    )
    page_retry_interval: int = _setting(
        60 * 60,
        "Wait before a page that failed (fetch, extraction or store) is tried again, in "
        "seconds; it doubles with each failure, up to max_backoff.",
        low=1,
    )
    max_page_attempts: int = _setting(
        5, "Failures of a page after which it is given up (the reason stays on its entry).", low=1
    )

    retention_days: int = _setting(
        0,
        "Articles first stored more than this many days ago are removed by `ingest prune` "
        "and, daily, by `ingest run` (0: kept for ever).",
        low=0,
    )
    raw_html_retention_days: int = _setting(
        0,
        "Raw HTML older than this many days is dropped (its article stays, but can no "
        "longer be reprocessed; 0: kept for ever).",
        low=0,
    )
    fetches_retention_days: int = _setting(
        30, "Fetch log rows older than this many days are removed (0: kept for ever).", low=0
    )
    http_proxy: str = _setting(
        "",
        "Proxy for every request (http://HOST:PORT); the SSRF guard still checks each "
        "target, and a proxy on a private address needs allow_private_proxy.",
    )
    allow_private_proxy: bool = _setting(
        False, "Allow http_proxy to be on a private or loopback address (a local proxy)."
    )
    log_format: str = _setting(
        "text", "Log lines as `text` or `json` (one object per line).", choices=("text", "json")
    )
    log_level: str = _setting(
        "info",
        "Least severe log level shown: debug, info, warning or error (`-q` on `ingest run` "
        "and a backfill without `-v` show warnings and errors only).",
        choices=("debug", "info", "warning", "error"),
    )

    @classmethod
    def help_for(cls, name: str) -> str:
        return str(next(f.metadata["help"] for f in fields(cls) if f.name == name))


def _coerce(name: str, raw: Any, kind: type) -> Any:
    """Turn a TOML, environment or flag value into the field's type, or say why not."""
    if kind is bool:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"{name}: expected true or false, got {raw!r}")
    try:
        return kind(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{name}: expected {kind.__name__}, got {raw!r}") from None


_TYPES: dict[str, type] = {"str": str, "bool": bool, "int": int, "float": float}


def field_type(name: str) -> type:
    annotation = next(f.type for f in fields(Settings) if f.name == name)
    return _TYPES[str(annotation)]


def load_settings(
    config_path: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Defaults < TOML file < `INGEST_*` environment < explicit overrides (flags)."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    path = config_path or env.get(CONFIG_ENV)
    known = {f.name for f in fields(Settings)}
    if path:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file {path} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
        section = data.get("ingest", data)
        unknown = sorted(set(section) - known)
        if unknown:
            raise ConfigError(f"config file {path}: unknown setting(s) {', '.join(unknown)}")
        values.update(section)
    for name in known:
        env_value = env.get(ENV_PREFIX + name.upper())
        if env_value is not None:
            values[name] = env_value
    for name, value in (overrides or {}).items():
        if value is not None:
            values[name] = value
    coerced = {name: _coerce(name, raw, field_type(name)) for name, raw in values.items()}
    return check_settings(replace(Settings(), **coerced))


def check_settings(settings: Settings) -> Settings:
    """The settings, unless one is outside what it allows: then a `ConfigError` naming it,
    its value and its range."""
    for f in fields(Settings):
        value = getattr(settings, f.name)
        low, high, choices = (f.metadata.get(k) for k in ("low", "high", "choices"))
        if choices and value not in choices:
            raise ConfigError(f"{f.name} must be one of {', '.join(choices)}, not {value!r}")
        if (low is not None and not value >= low) or (high is not None and not value <= high):
            allowed = f"from {low:g}" + (f" to {high:g}" if high is not None else " up")
            raise ConfigError(f"{f.name} must be {allowed}, not {value!r}")
    proxy = settings.http_proxy
    if proxy and not (proxy.startswith(("http://", "https://")) and proxy.split("://")[1]):
        raise ConfigError(f"http_proxy must be an http:// or https:// URL, not {proxy!r}")
    if settings.min_poll_interval > settings.max_poll_interval:
        raise ConfigError("min_poll_interval must not be more than max_poll_interval")
    return settings
