"""A private Virtuoso Open Source server for tests: Debian's ``virtuoso-opensource`` (7.2),
started on loopback in a temporary directory with its own ``virtuoso.ini`` (free ISQL and
HTTP ports, a small buffer pool, no checkpoints), never the system service.

The DBA password of a fresh database is ``dba``; writes go through the digest-authenticated
``/sparql-auth`` and ``/sparql-graph-crud-auth``, as a real deployment would set them up.
"""

from __future__ import annotations

import shutil
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from servers import free_port, stop, wait_until_up

VIRTUOSO = shutil.which("virtuoso-t")
ISQL = shutil.which("isql-vt") or shutil.which("isql")
SKIP_REASON = ("Virtuoso Open Source is not installed (Debian: apt-get install "
               "virtuoso-opensource; the server binary is virtuoso-t)")
#: A fresh database's administrator (Virtuoso's documented default password).
DBA_USER = "dba"
DBA_PASSWORD = "dba"

INI = """\
[Database]
DatabaseFile       = {d}/virtuoso.db
ErrorLogFile       = {d}/virtuoso.log
LockFile           = {d}/virtuoso.lck
TransactionFile    = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile    = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
Striping        = 0

[Parameters]
ServerPort         = 127.0.0.1:{isql}
DisableUnixSocket  = 1
CheckpointInterval = 0
NumberOfBuffers    = 4000
MaxDirtyBuffers    = 3000
ThreadsPerQuery    = 2
DirsAllowed        = .

[HTTPServer]
ServerPort    = 127.0.0.1:{http}
ServerRoot    = {d}
ServerThreads = 4
Charset       = UTF-8

[SPARQL]
ResultSetMaxRows      = 1000000
MaxQueryExecutionTime = 300
"""


@dataclass(frozen=True)
class Virtuoso:
    """A running server: its HTTP root, ISQL port and directory."""

    root: str
    isql_port: int
    directory: Path

    @property
    def sparql(self) -> str:
        """The anonymous (read-only) SPARQL endpoint."""
        return self.root + "/sparql"

    @property
    def sparql_auth(self) -> str:
        """The digest-authenticated SPARQL endpoint (queries and updates)."""
        return self.root + "/sparql-auth"

    def isql(self, sql: str) -> str:
        """Run SQL as the DBA through isql-vt (for grants)."""
        if ISQL is None:
            raise RuntimeError("isql-vt is not installed")
        run = subprocess.run([ISQL, f"127.0.0.1:{self.isql_port}", DBA_USER, DBA_PASSWORD,
                              f"exec={sql}"], capture_output=True, text=True, timeout=60)
        if run.returncode != 0 or "*** Error" in run.stdout:
            raise RuntimeError(f"isql failed: {run.stdout}{run.stderr}")
        return run.stdout


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def running_virtuoso(directory: Path, timeout: float = 120) -> Iterator[Virtuoso]:
    """Start virtuoso-t in the foreground on free loopback ports; stop it on exit."""
    if VIRTUOSO is None:
        raise RuntimeError(SKIP_REASON)
    directory.mkdir(parents=True, exist_ok=True)
    isql, http = free_port(), free_port()
    ini = directory / "virtuoso.ini"
    ini.write_text(INI.format(d=directory, isql=isql, http=http), encoding="utf-8")
    log = (directory / "stdout.log").open("wb")
    proc = subprocess.Popen([VIRTUOSO, "+foreground", "+configfile", str(ini)],
                            cwd=directory, stdout=log, stderr=subprocess.STDOUT)
    server = Virtuoso(f"http://127.0.0.1:{http}", isql, directory)
    try:
        wait_until_up(server.sparql + "?query=ASK%7B%7D", proc, timeout, answers=_answers,
                      log=lambda: (directory / "stdout.log").read_text(errors="replace"))
        yield server
    finally:
        stop(proc, timeout=30)
        log.close()
