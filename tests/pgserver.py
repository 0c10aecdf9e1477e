"""A throwaway PostgreSQL server for the tests, listening on 127.0.0.1 only.

Used by the test fixtures when INGEST_TEST_DATABASE_URL is not set, and by `.ci/run`:

    python tests/pgserver.py start DIR   # prints the server's URL
    python tests/pgserver.py stop DIR

PostgreSQL refuses to run as root, so as root the cluster is created and run as `postgres`.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    pass


def find_bindir() -> Path | None:
    for candidate in [
        os.environ.get("PG_BINDIR", ""),
        *sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True),
    ]:
        if candidate and (Path(candidate) / "initdb").exists():
            return Path(candidate)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_owner(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def _run(args: list[str]) -> None:
    result = subprocess.run(_as_owner(args), capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise PostgresUnavailable(f"{' '.join(args[:2])} failed: {result.stderr.strip()[-800:]}")


def start(directory: Path) -> str:
    """Create a cluster in `directory`, start it, return a URL for the `postgres` superuser."""
    bindir = find_bindir()
    if bindir is None:
        raise PostgresUnavailable("no PostgreSQL binaries (initdb) found")
    directory.mkdir(parents=True, exist_ok=True)
    data, sockets = directory / "data", directory / "sockets"
    sockets.mkdir(exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres")
        shutil.chown(sockets, "postgres")
    port = _free_port()
    _run(
        [
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ]
    )
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {sockets} -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    (directory / "options").write_text(options)
    resume(directory)
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"


def resume(directory: Path) -> None:
    """Start again a cluster made by `start` (and stopped by `stop`), on the same port."""
    bindir = find_bindir()
    assert bindir is not None
    data, options = directory / "data", (directory / "options").read_text()
    _run(
        [
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(directory / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        ]
    )


def stop(directory: Path) -> None:
    bindir = find_bindir()
    if bindir is not None and (directory / "data").exists():
        subprocess.run(
            _as_owner(
                [str(bindir / "pg_ctl"), "-D", str(directory / "data"), "-m", "immediate", "stop"]
            ),
            capture_output=True,
            timeout=60,
        )


if __name__ == "__main__":
    action, where = sys.argv[1], Path(sys.argv[2])
    if action == "start":
        print(start(where))
    else:
        stop(where)
