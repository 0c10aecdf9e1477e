"""Settings come from defaults, then a TOML file, then INGEST_* variables, then flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.config import Settings, load_settings
from ingest.errors import ConfigError


def test_defaults() -> None:
    assert load_settings(environ={}) == Settings()
    assert Settings().database_url == "sqlite:///ingest.db"


def test_file_then_environment_then_flags(tmp_path: Path) -> None:
    config = tmp_path / "ingest.toml"
    config.write_text(
        '[ingest]\ndatabase_url = "sqlite:///file.db"\nmax_redirects = 3\n'
        "store_raw_html = false\nrequest_timeout = 5\n"
    )
    env = {"INGEST_CONFIG": str(config), "INGEST_MAX_REDIRECTS": "4", "INGEST_USER_AGENT": "ua"}
    settings = load_settings(environ=env, overrides={"user_agent": "flag", "max_redirects": None})
    assert settings.database_url == "sqlite:///file.db"
    assert settings.max_redirects == 4
    assert settings.store_raw_html is False
    assert settings.request_timeout == 5.0
    assert settings.user_agent == "flag"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"INGEST_MAX_REDIRECTS": "many"}, "max_redirects: expected int, got 'many'"),
        ({"INGEST_STORE_RAW_HTML": "perhaps"}, "store_raw_html: expected true or false"),
        ({"INGEST_CONFIG": "/nonexistent/ingest.toml"}, "does not exist"),
    ],
)
def test_bad_values_name_the_setting(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(environ=env)


def test_unknown_keys_in_the_file_are_refused(tmp_path: Path) -> None:
    config = tmp_path / "ingest.toml"
    config.write_text('databse_url = "typo"\n')
    with pytest.raises(ConfigError, match="unknown setting.*databse_url"):
        load_settings(config, environ={})
