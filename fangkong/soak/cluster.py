"""A PostgreSQL cluster of the soak's own: a temporary directory, a free loopback port, gone on exit.

The soak restarts and kills its database on purpose, so it never touches the machine's shared
server: `initdb` into a new directory, `pg_ctl` to start, restart (-m fast) and stop (-m immediate)
it. As root the binaries run as the `postgres` user (`runuser -u postgres --`), which owns the data
directory; as any other user they run as that user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

PG_BIN = Path(os.environ.get("FANGKONG_PG_BIN", "/usr/lib/postgresql/15/bin"))
DB_NAME = "fangkong_soak"
# Settings of the soak's cluster: loopback only, its own socket directory, enough connections for
# gunicorn's workers, the soak's own probes and reconciliation.
CONF = """
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{sockets}'
max_connections = 100
shared_buffers = 128MB
log_min_messages = warning
"""


class ClusterError(RuntimeError):
    pass


def missing_tools() -> str | None:
    """Why a cluster cannot be made here (None: it can)."""
    for name in ("initdb", "pg_ctl", "postgres"):
        if not (PG_BIN / name).exists():
            return f"{PG_BIN / name} is missing (PostgreSQL 15 server binaries; set FANGKONG_PG_BIN)"
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            return "running as root needs runuser (util-linux) to run PostgreSQL as the postgres user"
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root needs a `postgres` user to own the cluster"
    return None


class Cluster:
    """initdb → start → createdb; restart/stop/start as faults; destroy() removes everything."""

    def __init__(self, port: int, *, keep: bool = False):
        self.port = port
        self.keep = keep
        self.root = Path(tempfile.mkdtemp(prefix="fangkong-soak-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.as_postgres = os.geteuid() == 0
        self.started = False

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{DB_NAME}"

    @property
    def dsn(self) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={DB_NAME} connect_timeout=5"

    def _argv(self, tool: str, *args: str) -> list[str]:
        argv = [str(PG_BIN / tool), *args]
        return ["runuser", "-u", "postgres", "--", *argv] if self.as_postgres else argv

    def _run(self, tool: str, *args: str, timeout: float = 120) -> str:
        proc = subprocess.run(  # noqa: S603 - PostgreSQL's own tools with our arguments
            self._argv(tool, *args), capture_output=True, text=True, timeout=timeout, cwd=self.root
        )
        if proc.returncode != 0:
            raise ClusterError(f"{tool} {' '.join(args)} failed ({proc.returncode}): {proc.stderr[-1500:]}")
        return proc.stdout

    def init(self) -> None:
        if self.as_postgres:
            pw = pwd.getpwnam("postgres")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        self.root.chmod(0o700)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        with (self.data / "postgresql.conf").open("a") as fh:
            fh.write(CONF.format(port=self.port, sockets=self.root))

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "120", "start")
        self.started = True

    def createdb(self) -> None:
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", DB_NAME)

    def restart_fast(self) -> None:
        """`pg_ctl restart -m fast`: sessions are ended, committed work kept; waits until it accepts."""
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-m", "fast", "-w", "-t", "120", "restart"
        )

    def stop_immediate(self) -> None:
        """`pg_ctl stop -m immediate`: the postmaster quits at once (crash recovery on the next start)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def destroy(self) -> None:
        """Stop the server (if it runs) and, unless kept, remove the directory."""
        if self.started and (self.data / "postmaster.pid").exists():
            try:
                mode = "fast" if self.keep else "immediate"
                self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop", timeout=90)
            except (ClusterError, subprocess.TimeoutExpired):
                _kill_postmaster(self.data)
        self.started = False
        if not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)


def _kill_postmaster(data: Path) -> None:
    """Last resort when pg_ctl failed: SIGKILL the postmaster named in postmaster.pid."""
    try:
        pid = int((data / "postmaster.pid").read_text().splitlines()[0])
        os.kill(pid, 9)
        time.sleep(0.5)
    except (OSError, ValueError, IndexError):
        pass
