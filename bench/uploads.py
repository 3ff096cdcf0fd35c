"""The uploads scenario (issue 12): concurrent large file uploads, and what they do to chat.

Each of ``upload_count`` clients announces a file (``createUpload``, kind ``file``),
PUTs ``upload_mb`` MiB to the URL the answer gives, and finishes it (``finishUpload``),
all at once, as docs/protocol.md "Media messages" describes. Embedded, the URL is the
file system default's upload endpoint on daphne itself, so every byte passes through it;
deployed, it is a presigned URL of the S3 server (``bench.servers.MotoProcess``), so
daphne only answers the two ops.

The uploads run twice: alone (throughput, time per PUT, daphne CPU per MiB, with no
other work in the span), then while two other accounts chat (one C2C message at a time
at ``upload_chat_rate`` a second), whose latency is set against the same chat measured
idle, before any upload.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from bench.client import Conn, ProtocolError, check_loopback, close_all, percentile
from bench.harness import Meter, Pinger, Result, Sizes, connect_all
from bench.proc import total_cpu_seconds
from bench.servers import Target

MIB = 1024 * 1024
# Bytes handed to the socket per write: large enough to keep the loop's overhead low,
# small enough that the chat on the same loop is not held up behind one write.
CHUNK = 256 * 1024
PUT_TIMEOUT = 300


def http_origin(ws_url: str) -> str:
    """The daphne's own origin, which a file system upload path is relative to."""
    parts = urlsplit(ws_url)
    return f"{'https' if parts.scheme == 'wss' else 'http'}://{parts.netloc}/"


def put_head(
    url: str, length: int, *, extra: Sequence[str] = (), headers: Mapping[str, str] | None = None
) -> bytes:
    """The head of an HTTP/1.1 PUT of ``length`` body bytes to ``url``, blank line
    included: the request line, Host and Content-Length, then the ``extra`` lines as
    given, then ``headers`` (the ones a ``createUpload`` answer says to send)."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [
        f"PUT {target} HTTP/1.1",
        f"Host: {parts.netloc}",
        f"Content-Length: {length}",
        *extra,
        *(f"{name}: {value}" for name, value in (headers or {}).items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def put(url: str, body: bytes, headers: dict[str, str]) -> int:
    """PUT ``body`` to ``url`` over HTTP/1.1 on this event loop; the answer's status.

    Plain asyncio streams (the venv has no HTTP client for asyncio): no thread per
    upload to compete with the chat clients for the GIL.
    """
    check_loopback(url)
    parts = urlsplit(url)
    if parts.scheme != "http":
        raise ValueError(f"the bench puts over plain HTTP on loopback, not {url!r}")
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
    try:
        writer.write(put_head(url, len(body), extra=["Connection: close"], headers=headers))
        view = memoryview(body)
        for start in range(0, len(body), CHUNK):
            writer.write(view[start : start + CHUNK])
            await writer.drain()
        status_line = await reader.readline()
        await reader.read()  # the rest of the answer, up to the close
    finally:
        writer.close()
        await asyncio.gather(writer.wait_closed(), return_exceptions=True)
    fields = status_line.split()
    if len(fields) < 2 or not fields[1].isdigit():
        raise ProtocolError(f"no HTTP status from {parts.netloc}: {status_line!r}")
    return int(fields[1])


@dataclass
class Round:
    """One round of concurrent uploads: each PUT's wall time, the span, what failed."""

    put_seconds: list[float]
    wall: float
    failures: list[str]

    def mib_per_s(self, size: int) -> float:
        return len(self.put_seconds) * size / MIB / self.wall if self.wall else 0.0


async def upload_one(conn: Conn, body: bytes, name: str) -> float:
    """createUpload, PUT, finishUpload; the PUT's wall time in seconds."""
    announced = await conn.ok(
        "createUpload",
        {
            "kind": "file",
            "fileName": name,
            "fileSize": len(body),
            "contentType": "application/octet-stream",
        },
    )
    target = announced["upload"]
    url = urljoin(http_origin(conn.url), target["url"])
    started = time.perf_counter()
    status = await asyncio.wait_for(put(url, body, target["headers"]), PUT_TIMEOUT)
    seconds = time.perf_counter() - started
    if not 200 <= status < 300:
        raise ProtocolError(f"PUT {name} answered {status}")
    finished = await conn.ok("finishUpload", {"uuid": announced["uuid"]}, timeout=60)
    if not finished.get("isReady") or finished.get("fileSize") != len(body):
        raise ProtocolError(f"finishUpload {name}: {finished}")
    return seconds


async def upload_round(conns: list[Conn], body: bytes, label: str) -> Round:
    started = time.perf_counter()
    outcomes = await asyncio.gather(
        *(upload_one(c, body, f"{label}-{i:02d}.bin") for i, c in enumerate(conns)),
        return_exceptions=True,
    )
    wall = time.perf_counter() - started
    return Round(
        put_seconds=[o for o in outcomes if isinstance(o, float)],
        wall=wall,
        failures=[repr(o) for o in outcomes if isinstance(o, BaseException)],
    )


async def chat(
    pinger: Pinger, rate: float, *, count: int = 0, until: asyncio.Event | None = None
) -> tuple[list[float], list[str]]:
    """Pings at ``rate`` a second (the next waits for the last one), ``count`` of them or
    until ``until`` is set; their latencies in ms and what was lost."""
    samples: list[float] = []
    lost: list[str] = []
    interval = 1 / rate
    tick = time.perf_counter()
    while (until is None and len(samples) + len(lost) < count) or (
        until is not None and not until.is_set()
    ):
        try:
            samples.append(await pinger.ping())
        except (TimeoutError, ProtocolError) as error:
            lost.append(repr(error))
        tick += interval
        await asyncio.sleep(max(0.0, tick - time.perf_counter()))
    return samples, lost


def _cpu(pids: list[int]) -> float:
    return total_cpu_seconds(pids) if pids else 0.0


def _ms(values: list[float]) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    # n says how far to trust the p99: a round of a few seconds holds few messages.
    return f"{statistics.median(ordered):.1f}/{percentile(ordered, 99):.1f}ms(n={len(ordered)})"


async def uploads(target: Target, sizes: Sizes, check_targets: bool = False) -> Result:
    """Concurrent uploads alone, then with a chat beside them; the chat idle first."""
    size = int(sizes.upload_mb * MIB)
    body = os.urandom(size)
    pinger, pair = await Pinger.connect(target, "up-chat-a", "up-chat-b")
    conns: list[Conn] = []
    problems: list[str] = []
    try:
        conns = await connect_all(target, [f"up-u{i:02d}" for i in range(sizes.upload_count)])
        # Warm-up, a round of 1 MiB uploads: a process's first pays for its imports, and
        # each thread that takes an op (the database thread, and the two that finishUpload
        # runs in when several are under way, im.sessions.APART) for its S3 client
        # (~0.1-0.2 s of CPU each).
        warm = await upload_round(conns, body[:MIB], "warm-up")
        problems += [f"warm-up upload failed: {failure}" for failure in warm.failures]
        for _ in range(10):
            await pinger.ping()
        idle_ms, lost = await chat(pinger, sizes.upload_chat_rate, count=sizes.upload_idle_messages)
        problems += lost

        store_cpu = _cpu(target.store_pids)
        meter = Meter(target.pids)
        alone = await upload_round(conns, body, "alone")
        server_cpu, client_cpu, _ = meter.stop()
        store_cpu = _cpu(target.store_pids) - store_cpu

        done = asyncio.Event()
        chatting = asyncio.create_task(chat(pinger, sizes.upload_chat_rate, until=done))
        try:
            beside = await upload_round(conns, body, "beside")
        finally:
            done.set()
            during_ms, lost = await chatting
        problems += lost
    finally:
        await close_all([*pair, *conns])

    for label, failed in (("alone", alone.failures), ("with chat", beside.failures)):
        if failed:
            problems.append(f"{len(failed)} uploads failed {label}: {failed[0]}")
    mib = len(alone.put_seconds) * size / MIB
    idle_median = statistics.median(idle_ms) if idle_ms else 0.0
    during_median = statistics.median(during_ms) if during_ms else 0.0
    idle_p99 = percentile(sorted(idle_ms), 99)
    during_p99 = percentile(sorted(during_ms), 99)
    puts = sorted(alone.put_seconds)
    extra = {
        "size": f"{sizes.upload_count}x{sizes.upload_mb:g}MiB",
        "put-p50/p99": f"{percentile(puts, 50):.2f}/{percentile(puts, 99):.2f}s",
        "with-chat": f"{beside.mib_per_s(size):.1f}MiB/s",
        "chat-idle": _ms(idle_ms),
        "chat-during": _ms(during_ms),
        "chat-x-idle": (
            f"{during_median / idle_median:.2f}/{during_p99 / idle_p99:.2f}"
            if idle_median and idle_p99
            else "-"
        ),
        "client-cpu": f"{client_cpu:.1f}s",
    }
    if target.store_pids and mib:
        extra["store-cpu/MiB"] = f"{store_cpu / mib * 1000:.1f}ms"
    result = Result(
        "uploads",
        target.config,
        [s * 1000 for s in alone.put_seconds],
        rate=alone.mib_per_s(size),
        rate_unit="MiB/s",
        cpu_ms_per_msg=server_cpu / mib * 1000 if server_cpu is not None and mib else None,
        counts={
            "uploads": sizes.upload_count,
            "alone": len(alone.put_seconds),
            "with_chat": len(beside.put_seconds),
            "chat_idle": len(idle_ms),
            "chat_during": len(during_ms),
        },
        extra=extra,
        problems=problems,
    )
    if check_targets:
        result.targets = [
            ("chat median<=2x idle", bool(during_ms) and during_median <= 2 * idle_median),
            ("chat p99<=2x idle", bool(during_ms) and during_p99 <= 2 * idle_p99),
        ]
    return result
