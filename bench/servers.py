"""The server configurations under test, started and torn down by the bench itself.

- embedded: SQLite in a temporary HUTONG_VAR_DIR, the in-memory channel layer, one daphne.
- deployed: PostgreSQL database ``hutong_bench`` (created and dropped here), Redis under a
  unique channel prefix (its keys deleted after), two daphne processes, and moto's S3
  server as the media store (in memory, stopped after).
- scale-1, scale-2, scale-4: deployed with that many daphne processes (``--config scale``
  runs the three in turn).

``BENCH_PG_DB`` and ``BENCH_REDIS_URL`` name another database and Redis for the deployed
configuration, so two benches on one machine do not drop each other's database.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from bench.daphne import BASE_DIR, DaphneProcess, LoopbackProcess
from bench.proc import children
from im.usersig import gen_usersig

BENCH_SDKAPPID = 1400990001
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PG_BENCH_DB = os.environ.get("BENCH_PG_DB", "hutong_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
S3_BUCKET = "hutong-bench"
S3_REGION = "us-east-1"
SIG_EXPIRE = 86400


class Seeder(Protocol):
    """Server-side set-up the protocol has no op for (bench/seed.py)."""

    async def ensure_accounts(self, user_ids: list[str]) -> dict[str, Any]: ...

    async def add_group_members(self, group_id: str, user_ids: list[str]) -> dict[str, Any]: ...

    async def make_admins(self, user_ids: list[str]) -> dict[str, Any]: ...

    async def seed_history(self, sender: str, receiver: str, rows: int) -> dict[str, Any]: ...


class SubprocessSeeder:
    """Runs ``python -m bench.seed`` with the configuration's environment."""

    def __init__(self, env: dict[str, str], sdkappid: int) -> None:
        self.env = {"DJANGO_SETTINGS_MODULE": "chatsite.settings", **env}
        self.sdkappid = sdkappid

    async def run(self, command: str, timeout: float = 900, **args: Any) -> dict[str, Any]:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.seed",
            cwd=BASE_DIR,
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        payload = json.dumps({"command": command, "sdkappid": self.sdkappid, **args}).encode()
        try:
            out, err = await asyncio.wait_for(process.communicate(payload), timeout)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise
        if process.returncode != 0:
            raise RuntimeError(f"bench.seed {command} failed:\n{err.decode(errors='replace')}")
        return json.loads(out.decode().strip().splitlines()[-1])

    async def ensure_accounts(self, user_ids: list[str]) -> dict[str, Any]:
        return await self.run("ensure_accounts", user_ids=user_ids)

    async def add_group_members(self, group_id: str, user_ids: list[str]) -> dict[str, Any]:
        return await self.run("add_group_members", group_id=group_id, user_ids=user_ids)

    async def make_admins(self, user_ids: list[str]) -> dict[str, Any]:
        return await self.run("make_admins", user_ids=user_ids)

    async def seed_history(self, sender: str, receiver: str, rows: int) -> dict[str, Any]:
        return await self.run("seed_history", sender=sender, receiver=receiver, rows=rows)


@dataclass
class Target:
    """What a scenario needs to know about the servers under test."""

    config: str
    urls: list[str]
    sdkappid: int
    secret_key: str
    pids: list[int] = field(default_factory=list)
    seeder: Seeder | None = None
    logs: list[Path] = field(default_factory=list)
    # The processes that take the uploads' bytes, whose CPU the uploads scenario reports:
    # the S3 server (moto) deployed, the upload worker that daphne starts embedded.
    store_pids: list[int] = field(default_factory=list)

    def url(self, index: int) -> str:
        """Spread clients over the server processes round-robin."""
        return self.urls[index % len(self.urls)]

    def sig(self, user_id: str) -> str:
        return gen_usersig(
            sdkappid=self.sdkappid,
            secret_key=self.secret_key,
            user_id=user_id,
            expire=SIG_EXPIRE,
        )


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        check=True,
        timeout=300,
        stdout=subprocess.DEVNULL,
    )


def _base_env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        HUTONG_VAR_DIR=str(var_dir),
        # BENCH_DJANGO_SETTINGS tries a settings change without editing chatsite/ (a module
        # that star-imports chatsite.settings and overrides; put its folder on PYTHONPATH).
        DJANGO_SETTINGS_MODULE=os.environ.get("BENCH_DJANGO_SETTINGS", "chatsite.settings"),
        # Every process of a configuration must sign and check with one key.
        DJANGO_SECRET_KEY=secrets.token_urlsafe(40),
        LOG_LEVEL="WARNING",
        # Every bench client logs in from 127.0.0.1, thousands a second.
        IM_LOGIN_RATE="0",
    )
    return env


@contextlib.contextmanager
def _servers(
    config: str, env: dict[str, str], count: int, var_dir: Path, store_pids: list[int]
) -> Iterator[Target]:
    _manage(env, "migrate", "--noinput", "-v", "0")
    secret_key = secrets.token_hex(32)
    seeder = SubprocessSeeder(env, BENCH_SDKAPPID)
    asyncio.run(seeder.run("ensure_app", secret_key=secret_key))
    daphnes = [DaphneProcess(env=env, log_path=var_dir / f"daphne-{n}.log") for n in range(count)]
    try:
        for daphne in daphnes:
            daphne.start()
        # Embedded, the media store is the file system and the upload worker
        # (chatsite.uploadworker, daphne's child) is what moves the bytes into it.
        workers = [c for d in daphnes if d.process for c in children(d.process.pid)]
        yield Target(
            config=config,
            urls=[d.ws_url for d in daphnes],
            sdkappid=BENCH_SDKAPPID,
            secret_key=secret_key,
            pids=[d.process.pid for d in daphnes if d.process],
            seeder=seeder,
            logs=[d.log_path for d in daphnes],
            store_pids=store_pids or workers,
        )
    finally:
        for daphne in daphnes:
            daphne.stop()


@contextlib.contextmanager
def embedded() -> Iterator[Target]:
    var_dir = Path(tempfile.mkdtemp(prefix="hutong-bench-"))
    try:
        with _servers("embedded", _base_env(var_dir), 1, var_dir, []) as target:
            yield target
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql)


def _drop_redis_keys(prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_timeout=10)
    try:
        batch: list[bytes] = []
        for key in client.scan_iter(match=f"{prefix}*", count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                client.delete(*batch)
                batch.clear()
        if batch:
            client.delete(*batch)
    finally:
        client.close()


class MotoProcess(LoopbackProcess):
    """moto's S3 server: an S3 protocol endpoint on loopback, objects kept in memory.

    It runs at the lowest priority: on the bench's machine it shares the cores with
    daphne, which a real store does not, so the deployed uploads measure Hutong (daphne
    still answering chat while the bytes go to the store) rather than moto's own cost.
    """

    name = "moto"

    def command(self) -> list[str]:
        # nice execs the server: its pid (whose CPU the bench reads) is moto's own.
        server = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)]
        return ["nice", "-n", "19", *server]

    def s3_env(self) -> dict[str, str]:
        """The settings (chatsite/settings.py) that make daphne store media here."""
        return {
            "IM_S3_BUCKET": S3_BUCKET,
            "IM_S3_ENDPOINT_URL": self.url,
            "IM_S3_REGION": S3_REGION,
            "IM_S3_ACCESS_KEY_ID": "hutong-bench",
            "IM_S3_SECRET_ACCESS_KEY": "hutong-bench-secret",
            "IM_S3_ADDRESSING_STYLE": "path",
        }

    def create_bucket(self) -> None:
        import boto3

        env = self.s3_env()
        boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name=S3_REGION,
            aws_access_key_id=env["IM_S3_ACCESS_KEY_ID"],
            aws_secret_access_key=env["IM_S3_SECRET_ACCESS_KEY"],
        ).create_bucket(Bucket=S3_BUCKET)


@contextlib.contextmanager
def deployed(processes: int = 2, config: str = "deployed") -> Iterator[Target]:
    var_dir = Path(tempfile.mkdtemp(prefix="hutong-bench-"))
    prefix = f"hutong-bench-{os.getpid()}-{secrets.token_hex(4)}"
    env = _base_env(var_dir)
    env.update(
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{PG_BENCH_DB}",
        REDIS_URL=REDIS_URL,
        HUTONG_CHANNEL_PREFIX=prefix,
    )
    store = MotoProcess(env=dict(os.environ), log_path=var_dir / "moto.log")
    _pg_admin(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")
    _pg_admin(f"CREATE DATABASE {PG_BENCH_DB}")
    try:
        store.start()
        store.create_bucket()
        env.update(store.s3_env())
        assert store.process is not None
        with _servers(config, env, processes, var_dir, [store.process.pid]) as target:
            yield target
    finally:
        store.stop()
        with contextlib.suppress(Exception):
            _pg_admin(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")
        with contextlib.suppress(Exception):
            _drop_redis_keys(prefix)
        shutil.rmtree(var_dir, ignore_errors=True)


CONFIGS = {"embedded": embedded, "deployed": deployed}
# The scale mode (``--config scale``): the deployed set-up with 1, 2 and 4 daphne
# processes in turn, one PostgreSQL and one Redis. On this machine's two cores it
# measures what more processes cost (per message, per delivery), not more capacity.
SCALE_PROCESSES = (1, 2, 4)
for _count in SCALE_PROCESSES:
    CONFIGS[f"scale-{_count}"] = functools.partial(deployed, _count, f"scale-{_count}")
