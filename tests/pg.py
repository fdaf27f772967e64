"""A real PostgreSQL server for tests: initdb in a temp folder, pg_ctl start on a loopback port, stop at the end.

Debian's postgresql package (scripts/test.sh installs it). The server refuses to run as
root, so as root it runs as the postgres user.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def pg_bin() -> Path:
    """The folder of initdb and pg_ctl (the newest Debian postgresql installed)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: apt-get install postgresql (scripts/test.sh does)")
    return Path(found[-1]).parent


class PostgresServer:
    """One throw-away cluster listening on 127.0.0.1 only, with trust auth for user relulab."""

    def __init__(self, max_connections: int = 200) -> None:
        self.max_connections = max_connections
        self.dir = Path(tempfile.mkdtemp(prefix="relulab-pg-"))
        self.data = self.dir / "data"
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.user = "postgres" if os.geteuid() == 0 else None

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        """Run a PostgreSQL tool (as the postgres user when we are root)."""
        command = [str(pg_bin() / args[0]), *args[1:]]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        return subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)

    def start(self) -> PostgresServer:
        """initdb, configure loopback-only, start, create the relulab role and database."""
        if self.user:
            shutil.chown(self.dir, self.user)
        self._run("initdb", "-D", str(self.data), "-U", "relulab", "--auth=trust", "-E", "UTF8")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\nunix_socket_directories = "
                       f"'{self.dir}'\nfsync = off\nmax_connections = {self.max_connections}\n")
        with open(self.data / "pg_hba.conf", "w") as hba:  # passwords checked, so wrong ones are refused
            hba.write("local all all trust\nhost all relulab 127.0.0.1/32 scram-sha-256\n")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "log"), "-w", "start")
        self.sql(f"ALTER ROLE relulab PASSWORD '{self.password}'")
        return self

    password = "relulab-test-pw"

    def sql(self, statement: str, db: str = "postgres") -> str:
        """Run one statement through psql on the Unix socket."""
        return self._run("psql", "-h", str(self.dir), "-p", str(self.port), "-U", "relulab", "-d", db,
                         "-v", "ON_ERROR_STOP=1", "-Atc", statement).stdout

    def new_database(self, name: str) -> str:
        """A fresh database; its SQLAlchemy URL."""
        self.sql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def url(self, db: str, password: str | None = None) -> str:
        """postgresql+psycopg URL of a database here."""
        return f"postgresql+psycopg://relulab:{password or self.password}@127.0.0.1:{self.port}/{db}"

    def pause(self) -> None:
        """Stop the server as a maintenance restart does (open connections are ended); its data stays."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def resume(self) -> None:
        """Start it again on the same port, with the same data."""
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "log"), "-w", "start")

    def stop(self) -> None:
        """Stop the server and delete its folder."""
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
