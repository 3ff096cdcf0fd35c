"""Real daphne processes for tests: started on a free loopback port, stopped after."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
from collections.abc import AsyncIterator, Iterable, Sequence
from pathlib import Path

from django.conf import settings
from django.db import connection

from bench.client import Conn, Pushes
from bench.daphne import DaphneProcess

# One channel-layer namespace per test run, so runs sharing a Redis never hear each other.
CHANNEL_PREFIX = f"hutong-test-{os.getpid()}"


def redis_url() -> str:
    """The Redis that server processes of a multi-process test share."""
    return os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


def test_database_url() -> str:
    """A DATABASE_URL naming the database the test run is using right now."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    if connection.vendor == "postgresql":
        auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
        return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    raise RuntimeError(f"no live-server support for {connection.vendor}")


class LiveServer(DaphneProcess):
    """A daphne process on the test database, in this run's channel-layer namespace."""

    def __init__(self, *, env: dict[str, str] | None = None, port: int | None = None) -> None:
        full_env = {
            **os.environ,
            "DATABASE_URL": test_database_url(),
            "HUTONG_CHANNEL_PREFIX": CHANNEL_PREFIX,
            # The tests' site app (tests/conftest.py), apart from the cast's app.
            "IM_SITE_SDKAPPID": str(settings.IM_SITE_SDKAPPID),
            # What the test session collected (tests/conftest.py), whatever var dir it has.
            "HUTONG_STATIC_ROOT": str(settings.STATIC_ROOT),
            **(env or {}),
        }
        full_env.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
        log = tempfile.NamedTemporaryFile(prefix="daphne-", suffix=".log", delete=False)
        log.close()
        super().__init__(env=full_env, log_path=Path(log.name), port=port)

    def start(self, timeout: float = 30) -> LiveServer:
        super().start(timeout)
        return self


class PlainDaphne(LiveServer):
    """daphne itself, without ``chatsite.serve``: pushes go through ASGI's send."""

    def command(self) -> list[str]:
        return [
            *(sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port)),
            "chatsite.asgi:application",
        ]


@contextlib.asynccontextmanager
async def sharing_redis(
    kinds: Sequence[type[LiveServer]] = (LiveServer, LiveServer),
) -> AsyncIterator[list[LiveServer]]:
    """A daphne process of each of ``kinds`` on the test database and the machine's
    Redis, as a deployment runs them (in the first pass too), started at once; stopped
    after."""
    servers = [kind(env={"REDIS_URL": redis_url()}) for kind in kinds]
    try:
        await asyncio.gather(*(asyncio.to_thread(s.start) for s in servers))
        yield servers
    finally:
        for server in servers:
            server.stop()


async def net_online(url: str, user_id: str) -> Conn:
    """A connection to a live server, logged in as ``user_id`` of the test app, its
    pushes kept to be awaited by event name."""
    from tests.conftest import SDKAPPID, make_sig

    client = await Conn(url, Pushes()).connect()
    await client.login(user_id, make_sig(user_id), SDKAPPID)
    return client


async def new_group(
    owner: Conn, members: Iterable[str], *, name: str = "g", type_: str = "Public"
) -> str:
    """createGroup from ``owner`` with ``members``; its groupID. It awaits no push:
    whether the members heard of it yet is each test's own question."""
    data = {"name": name, "type": type_, "memberList": [{"userID": u} for u in members]}
    return (await owner.ok("createGroup", data))["group"]["groupID"]
