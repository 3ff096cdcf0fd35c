"""A server process on a loopback port (daphne; the bench's S3 server): started, waited
for, stopped.

Shared by the benchmark configurations (``bench.servers``) and the live-server tests
(``tests/live.py``), which start Hutong the way ``make run`` does.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LoopbackProcess:
    """A server process listening on 127.0.0.1:<port>, its output in ``log_path``;
    a subclass says what to run."""

    name = "server"

    def __init__(self, *, env: dict[str, str], log_path: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        raise NotImplementedError

    def start(self, timeout: float = 30) -> None:
        """Start the process and return once it accepts connections."""
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.command(), cwd=BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.output()[-3000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(
            f"{self.name} did not listen within {timeout}s:\n{self.output()[-3000:]}"
        )

    def kill(self) -> None:
        """Die at once, as a crashed process would: no cleanup, no closing handshakes."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


class DaphneProcess(LoopbackProcess):
    """daphne serving ``chatsite.asgi``, as ``make run`` starts it (``chatsite.serve``)."""

    name = "daphne"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/im/"

    def command(self) -> list[str]:
        return [
            *(sys.executable, "-m", "chatsite.serve", "-b", "127.0.0.1", "-p", str(self.port)),
            "chatsite.asgi:application",
        ]
