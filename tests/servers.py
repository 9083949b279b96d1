"""Real servers started by the tests: one way to find a free loopback port, wait until a
server answers and stop it (Oxigraph, ``imrgraph serve``, Virtuoso)."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import IO


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _http_answers(url: str) -> bool:
    """The server answered HTTP (any status: an error page is an answer)."""
    try:
        urllib.request.urlopen(url, timeout=1).close()
        return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def wait_until_up(url: str, proc: subprocess.Popen[bytes], timeout: float = 30,
                  answers: Callable[[str], bool] = _http_answers,
                  log: Callable[[], str] | None = None) -> None:
    """Poll ``url`` until ``answers`` says yes; fail with the server's own words if it exits
    or stays silent past ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not answers(url):
        if proc.poll() is not None:
            said = log() if log else _read(proc.stderr)
            raise RuntimeError(f"server exited with {proc.returncode}: {said}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {timeout} s")
        time.sleep(0.1)


def _read(stream: IO[bytes] | None) -> str:
    return stream.read().decode(errors="replace") if stream else ""


def stop(proc: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """Terminate, then kill if it does not go within ``timeout`` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
