"""A throwaway PostgreSQL cluster for the tests, from Debian's `postgresql` package.

`PgCluster` runs `initdb` into a temporary folder and `pg_ctl` on a free 127.0.0.1 port
(no Unix socket, trust authentication, fsync off: it is thrown away). PostgreSQL refuses
to run as root, so as root the cluster belongs to the `postgres` user the package
creates and its commands run through `runuser`; otherwise as the current user.

Each test gets a database of its own, copied from a template that is already migrated
(`fresh_url`), so a test costs a CREATE DATABASE, not a migration. `pg_unavailable()` is
the reason to skip when the binaries are missing (a machine without the package).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

_SEARCH = ("/usr/lib/postgresql",)
_counter = itertools.count(1)


def _bin_dir() -> Path | None:
    for root in _SEARCH:
        base = Path(root)
        if base.is_dir():
            versions = sorted(
                (p for p in base.iterdir() if (p / "bin" / "initdb").exists()),
                key=lambda p: int(p.name) if p.name.isdigit() else 0,
            )
            if versions:
                return versions[-1] / "bin"
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found else None


def pg_unavailable() -> str | None:
    """Why no cluster can be started here, or None when one can."""
    if _bin_dir() is None:
        return "PostgreSQL is not installed (Debian: apt-get install postgresql; .ci/run does)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no `postgres` user to run PostgreSQL as"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PgCluster:
    def __init__(self, *, fsync: bool = False, password: str | None = None) -> None:
        bin_dir = _bin_dir()
        assert bin_dir is not None, pg_unavailable()
        self._bin = bin_dir
        self._fsync = fsync
        self.password = password  # None: trust; else the superuser's, checked (SCRAM)
        self._root = Path(tempfile.mkdtemp(prefix="biddesk-pg-"))
        self.data = self._root / "data"
        self.log = self._root / "server.log"
        self.port = free_port()
        self._user: str | None = None
        if os.geteuid() == 0:
            self._user = "postgres"
            entry = pwd.getpwnam("postgres")
            os.chown(self._root, entry.pw_uid, entry.pw_gid)
        self.superuser = self._user or pwd.getpwuid(os.geteuid()).pw_name

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self._bin / args[0]), *args[1:]]
        if self._user is not None:
            command = ["runuser", "-u", self._user, "--", *command]
        return subprocess.run(
            command, check=check, capture_output=True, text=True, timeout=120, cwd=self._root
        )

    def init(self) -> PgCluster:
        auth = ["--auth=trust"]
        if self.password is not None:
            pwfile = self._root / "pw"
            pwfile.write_text(self.password + "\n", encoding="utf-8")
            if self._user is not None:
                entry = pwd.getpwnam(self._user)
                os.chown(pwfile, entry.pw_uid, entry.pw_gid)
            auth = ["--auth=scram-sha-256", f"--pwfile={pwfile}"]
        self._run(
            "initdb",
            "-D",
            str(self.data),
            *auth,
            "--encoding=UTF8",
            "--locale=C",
            "-U",
            self.superuser,
        )
        return self

    def start(self) -> None:
        options = (
            f"-c port={self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"
            " -c max_connections=200"
        )
        if not self._fsync:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop", check=False)

    def restart(self) -> None:
        self.stop()
        self.start()

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{self.superuser}@127.0.0.1:{self.port}/{dbname}"

    def admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.url(), autocommit=True, password=self.password)

    def create_database(self, name: str | None = None, template: str | None = None) -> str:
        name = name or f"t{next(_counter)}_{os.getpid()}"
        clause = f" TEMPLATE {template}" if template else ""
        for attempt in range(50):
            try:
                with self.admin() as conn:
                    conn.execute(f"CREATE DATABASE {name}{clause}".encode())
                break
            except psycopg.errors.ObjectInUse:
                # The template is briefly in use by a connection closing behind us.
                if attempt == 49:
                    raise
                time.sleep(0.05)
        return self.url(name)

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self._root, ignore_errors=True)


class Clusters:
    """The session's cluster and its migrated template database."""

    def __init__(self) -> None:
        self.cluster = PgCluster().init()
        self.cluster.start()
        self.template: str | None = None

    def fresh_url(self) -> str:
        """A new, migrated, empty database's URL."""
        if self.template is None:
            from app.store.pg import PgDatabase

            name = "biddesk_template"
            url = self.cluster.create_database(name)
            with contextlib.closing(PgDatabase.connect(url, Path(tempfile.gettempdir()))):
                pass
            self.template = name
        return self.cluster.create_database(template=self.template)

    def close(self) -> None:
        self.cluster.destroy()
