"""What every scenario shares: the sizes, the result and its line, the CPU meter, waiting
for idle servers, and logging clients in. ``bench.scenarios`` and the scenarios in
modules of their own (``bench.uploads``) build on it.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from bench.client import (
    Conn,
    ProtocolError,
    PushHandler,
    close_all,
    percentile,
    randoms_in,
    text_message,
)
from bench.proc import load_average, total_cpu_seconds
from bench.servers import Target


@dataclass(frozen=True)
class Sizes:
    latency_messages: int = 1000
    throughput_pairs: int = 200
    throughput_seconds: float = 20
    # Offered sends per second over all pairs; 0 sends closed-loop (next after the answer).
    throughput_rate: float = 1000
    # Most unanswered sends one sender may have before it skips a tick.
    throughput_window: int = 4
    fanout_members: int = 1000
    fanout_messages: int = 100
    fanout_rate: float = 20
    # group-churn: a Public group of churn_members (besides the owner), churn_initial of
    # them from createGroup and the rest added churn_batch at a time; churn_online of
    # them receive, churn_talkers more chat at churn_chat_rate msg/s in all, while
    # churn_churners other accounts join and quit at churn_rate ops/s in all.
    churn_members: int = 2000
    churn_initial: int = 500
    churn_batch: int = 500
    churn_online: int = 1000
    churn_talkers: int = 10
    churn_chat_rate: float = 10
    churn_churners: int = 50
    churn_rate: float = 50
    churn_seconds: float = 20
    history_rows: int = 1_000_000
    history_pages: int = 200
    connections: int = 10_000
    login_concurrency: int = 20
    # uploads: upload_count clients put upload_mb MiB each at once, twice: alone, then
    # while two other accounts chat at upload_chat_rate msg/s (idle baseline first:
    # upload_idle_messages at that rate).
    upload_count: int = 10
    upload_mb: float = 20
    upload_chat_rate: float = 20
    upload_idle_messages: int = 100


FULL = Sizes()
QUICK = Sizes(
    latency_messages=50,
    throughput_pairs=20,
    throughput_seconds=3,
    throughput_rate=200,
    fanout_members=50,
    fanout_messages=20,
    churn_members=700,
    churn_online=50,
    churn_talkers=2,
    churn_chat_rate=4,
    churn_churners=5,
    churn_rate=10,
    churn_seconds=3,
    history_rows=20_000,
    history_pages=30,
    connections=200,
    upload_mb=2,
    upload_idle_messages=40,
)


@dataclass
class Result:
    scenario: str
    config: str
    samples_ms: list[float]
    rate: float
    rate_unit: str
    cpu_ms_per_msg: float | None = None
    counts: dict[str, int] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    targets: list[tuple[str, bool]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.samples_ms = sorted(self.samples_ms)
        # Other processes on the same cores skew wall-clock figures; say how busy it was.
        self.extra["loadavg"] = f"{load_average():.1f}"

    @property
    def n(self) -> int:
        return len(self.samples_ms)

    @property
    def median(self) -> float:
        return statistics.median(self.samples_ms) if self.samples_ms else 0.0

    def pct(self, p: float) -> float:
        return percentile(self.samples_ms, p)

    @property
    def max(self) -> float:
        return self.samples_ms[-1] if self.samples_ms else 0.0

    @property
    def complete(self) -> bool:
        return not self.problems

    def line(self) -> str:
        cpu = "-" if self.cpu_ms_per_msg is None else f"{self.cpu_ms_per_msg:.2f} ms"
        parts = [
            f"{self.scenario:<14} {self.config:<8}",
            f"n={self.n} median={self.median:.2f} p95={self.pct(95):.2f} "
            f"p99={self.pct(99):.2f} max={self.max:.2f} ms",
            f"rate={self.rate:,.0f} {self.rate_unit}",
            f"server-cpu/msg={cpu}",
            " ".join(f"{k}={v}" for k, v in self.extra.items()),
        ]
        if self.targets:
            parts.append(
                "targets: " + ", ".join(f"{t} {'ok' if ok else 'MISSED'}" for t, ok in self.targets)
            )
        if self.problems:
            parts.append("PROBLEMS: " + "; ".join(self.problems))
        return " | ".join(p for p in parts if p)


class Sampler(Protocol):
    def start(self, pids: list[int]) -> None: ...

    def stop(self) -> None: ...


# Set by ``python -m bench --profile``: samples the servers over every measured span.
SAMPLER: Sampler | None = None


class Meter:
    """Server CPU (daphne processes), this client's CPU and wall time over a measured span."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        if SAMPLER is not None and pids:
            SAMPLER.start(pids)
        self.server = total_cpu_seconds(pids) if pids else 0.0
        self.client = time.process_time()
        self.wall = time.perf_counter()

    def stop(self) -> tuple[float | None, float, float]:
        server = total_cpu_seconds(self.pids) - self.server if self.pids else None
        measured = server, time.process_time() - self.client, time.perf_counter() - self.wall
        if SAMPLER is not None and self.pids:
            SAMPLER.stop()
        return measured


async def settle(target: Target, *, idle: float = 0.05, limit: float = 180) -> float:
    """Wait (at most ``limit`` s) until the servers use under ``idle`` of a core, so one
    scenario's leftovers (10,000 disconnects, say) do not land in the next one's figures."""
    started = time.perf_counter()
    if not target.pids:
        return 0.0
    before = total_cpu_seconds(target.pids)
    while time.perf_counter() - started < limit:
        await asyncio.sleep(1)
        now = total_cpu_seconds(target.pids)
        if now - before < idle:
            break
        before = now
    return time.perf_counter() - started


def per_msg_ms(server_cpu: float | None, count: int) -> float | None:
    if server_cpu is None or count <= 0:
        return None
    return server_cpu / count * 1000


async def connect_users(
    target: Target,
    user_ids: list[str],
    *,
    url_index: Callable[[int], int] = lambda i: i,
    on_push: Callable[[int], PushHandler | None] | None = None,
    concurrency: int = 50,
    login_ms: list[float] | None = None,
    into: list[Conn | None] | None = None,
) -> tuple[list[Conn | None], list[BaseException]]:
    """Open and log in one connection per user, ``concurrency`` at a time.

    Returns the connections (None where it failed) and the failures. ``into``, when
    given, is filled as connections come up (so a keepalive can see them early).
    """
    conns: list[Conn | None] = into if into is not None else [None] * len(user_ids)
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int, user_id: str) -> None:
        async with gate:
            conn = Conn(target.url(url_index(i)), on_push(i) if on_push else None)
            await conn.connect()
            started = time.perf_counter()
            try:
                await conn.login(user_id, target.sig(user_id), target.sdkappid)
            except BaseException:
                await conn.close()
                raise
            if login_ms is not None:
                login_ms.append((time.perf_counter() - started) * 1000)
            conns[i] = conn

    outcomes = await asyncio.gather(
        *(one(i, uid) for i, uid in enumerate(user_ids)), return_exceptions=True
    )
    return conns, [o for o in outcomes if isinstance(o, BaseException)]


async def connect_all(target: Target, user_ids: list[str], **kwargs: Any) -> list[Conn]:
    conns, errors = await connect_users(target, user_ids, **kwargs)
    if errors:
        await close_all(c for c in conns if c is not None)
        raise ProtocolError(f"{len(errors)} of {len(user_ids)} logins failed: {errors[0]!r}")
    return [c for c in conns if c is not None]


def unique_randoms() -> Callable[[], int]:
    """Unique ``random`` values for one scenario (they key sent-time maps)."""
    counter = itertools.count(random.randrange(1, 1 << 30))
    return lambda: next(counter)


class Pinger:
    """A sends B one C2C message at a time; a ping's latency is from just before the
    send to B's ``MESSAGE_RECEIVED`` (B on the other process when there are two)."""

    def __init__(self, to: str) -> None:
        self.to = to
        self.a: Conn | None = None
        self._waiters: dict[int, asyncio.Future[float]] = {}
        self._next_random = unique_randoms()

    def on_push(self, raw: str, now: float) -> None:
        """B's push handler."""
        for r in randoms_in(raw):
            future = self._waiters.pop(r, None)
            if future is not None and not future.done():
                future.set_result(now)

    @classmethod
    async def connect(cls, target: Target, a: str, b: str) -> tuple[Pinger, list[Conn]]:
        """A and B logged in; returns the pinger and both connections (to close)."""
        pinger = cls(b)
        conns = await connect_all(
            target, [a, b], on_push=lambda i: pinger.on_push if i == 1 else None
        )
        pinger.a = conns[0]
        return pinger, conns

    async def ping(self, timeout: float = 5) -> float:
        """One message; its latency in ms (TimeoutError or ProtocolError if lost)."""
        r = self._next_random()
        received = self._waiters[r] = asyncio.get_running_loop().create_future()
        assert self.a is not None, "connect first"
        started = time.perf_counter()
        answer = await self.a.submit("sendMessage", text_message(self.to, f"ping {r}", r))
        try:
            arrived = await asyncio.wait_for(received, timeout)
            reply = await asyncio.wait_for(answer, timeout)
        finally:
            self._waiters.pop(r, None)
        if reply.get("code") != 0:
            raise ProtocolError(f"sendMessage failed: {reply}")
        return (arrived - started) * 1000
