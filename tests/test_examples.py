"""The deployment examples stay true: the example config loads (every key a real setting,
every value in range), and the systemd unit and the container image run real commands."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import click

from ingest.cli import main
from ingest.config import Settings, load_settings

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_the_example_config_loads_and_differs_from_the_defaults() -> None:
    settings = load_settings(EXAMPLES / "ingest.toml", environ={})
    assert settings.retention_days == 365 and settings.log_format == "json"
    assert settings.database_url.startswith("sqlite:////var/lib/feed-ingest/")
    assert settings != Settings()


def parses(args: list[str]) -> click.Command:
    """The command `ingest ARGS` names, its options and arguments parsed (nothing run)."""
    ctx = main.make_context("ingest", list(args))
    command: click.Command = main
    rest = [*ctx._protected_args, *ctx.args]
    while isinstance(command, click.Group):
        name, found, rest = command.resolve_command(ctx, rest)
        assert found is not None, name
        ctx = found.make_context(name or "", rest, parent=ctx)
        rest = [*getattr(ctx, "_protected_args", []), *ctx.args]
        command = found
    return command


def ingest_commands(line: str) -> list[list[str]]:
    """Each `ingest ...` invocation in a shell line, split into its arguments."""
    found = []
    for part in re.split(r"&&|;|\|\|", line):
        words = shlex.split(part)
        words = words[1:] if words and words[0] == "exec" else words
        if words and Path(words[0]).name == "ingest":
            found.append(words[1:])
    return found


def test_the_systemd_unit_runs_real_commands() -> None:
    unit = (EXAMPLES / "feed-ingest.service").read_text()
    lines = [line.split("=", 1)[1] for line in unit.splitlines() if line.startswith("ExecStart")]
    commands = [c for line in lines for c in ingest_commands(line)]
    assert [parses(c).name for c in commands] == ["upgrade", "run"]
    config = re.search(r"INGEST_CONFIG=(\S+)", unit)
    assert config is not None and config.group(1).endswith("ingest.toml")


def test_the_image_runs_real_commands() -> None:
    dockerfile = (EXAMPLES / "Dockerfile").read_text()
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.M)
    assert cmd is not None
    argv = json.loads(cmd.group(1))
    assert argv[:2] == ["sh", "-c"]
    assert [parses(c).name for c in ingest_commands(argv[2])] == ["upgrade", "run"]
    for name in re.findall(r"INGEST_([A-Z_]+)=", dockerfile):
        assert hasattr(Settings(), name.lower()), name
    for path in re.findall(r"^COPY (\S+)", dockerfile, re.M):
        assert (EXAMPLES.parent / path).exists(), path


def test_version() -> None:
    from click.testing import CliRunner

    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and re.fullmatch(r"ingest \d+\.\d+\S*\n", result.output)
