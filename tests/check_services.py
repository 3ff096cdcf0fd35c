"""Fail loudly, with the command that fixes it, when PostgreSQL or Redis is unreachable."""

from __future__ import annotations

import os
import socket
import sys
from urllib.parse import urlparse

FIXES = {
    "PostgreSQL": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "Redis": 'redis-server --daemonize yes --port 6379 --save ""',
}


def reachable(url: str, default_port: int) -> bool:
    parts = urlparse(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), timeout=3
        ):
            return True
    except OSError:
        return False


def main() -> int:
    failures = []
    for name, var, port in (("PostgreSQL", "DATABASE_URL", 5432), ("Redis", "REDIS_URL", 6379)):
        url = os.environ.get(var, "")
        if not reachable(url, port):
            failures.append(f"{name} is unreachable at {var}={url}\n  start it: {FIXES[name]}")
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
