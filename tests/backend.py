"""An app's back end for the callback tests: an HTTP server on a loopback port that
records each callback and answers as the test's ``answer`` function says."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Call:
    command: str
    query: dict[str, str]
    body: dict[str, Any]
    status: int  # what the back end answered with


# An answer: (HTTP status, reply object), or None to say nothing (the caller times out).
Answer = Callable[[Call], tuple[int, dict[str, Any]] | None]


def allow(call: Call) -> tuple[int, dict[str, Any]]:
    return 200, {"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""}


@dataclass
class Backend:
    answer: Answer = allow
    calls: list[Call] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> Backend:
        backend = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
                call = Call(
                    query.get("CallbackCommand", ""), query, json.loads(self.rfile.read(length)), 0
                )
                answered = backend.answer(call)
                if answered is None:
                    time.sleep(3)  # past the caller's 2 s
                    answered = allow(call)
                call.status, reply = answered
                with backend.lock:
                    backend.calls.append(call)
                payload = json.dumps(reply).encode()
                self.send_response(call.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/im/callback"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def received(self, command: str, *, status: int | None = 200) -> list[Call]:
        """The calls of ``command`` so far (those answered with ``status``; None: all)."""
        with self.lock:
            return [
                c
                for c in self.calls
                if c.command == command and (status is None or c.status == status)
            ]
