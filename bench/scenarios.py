"""The five scenarios of issue 5 and issue 10's group-churn. Each returns a Result whose
``line()`` is its one-line report.

Latencies are measured in this process with ``time.perf_counter`` from just before a
request is written to the moment its push (or answer) is read. Server CPU is the
daphne processes' user+system time from /proc over the measured part only.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import statistics
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bench.client import (
    Conn,
    ProtocolError,
    PushHandler,
    close_all,
    percentile,
    randoms_in,
    text_message,
)
from bench.harness import (
    FULL,
    Meter,
    Pinger,
    Result,
    Sizes,
    connect_all,
    connect_users,
    per_msg_ms,
    unique_randoms,
)
from bench.proc import raise_open_files_limit, rss_kb
from bench.servers import Target
from bench.uploads import uploads

# createGroup takes at most this many initial members; the rest are seeded.
CREATE_GROUP_MAX_MEMBERS = 500
HISTORY_PAGE = 15


# --- 1. c2c-latency ---------------------------------------------------------------------


async def c2c_latency(target: Target, sizes: Sizes, check_targets: bool = False) -> Result:
    """One message at a time from A to B (on the other process when there are two)."""
    pinger, (a, b) = await Pinger.connect(target, "lat-a", "lat-b")
    problems: list[str] = []
    samples: list[float] = []
    try:
        for _ in range(min(20, max(1, sizes.latency_messages // 20))):  # warm-up
            await pinger.ping()
        meter = Meter(target.pids)
        for _ in range(sizes.latency_messages):
            try:
                samples.append(await pinger.ping())
            except (TimeoutError, ProtocolError) as error:
                problems.append(f"lost: {error!r}")
                if len(problems) >= 10:
                    break
        server_cpu, client_cpu, wall = meter.stop()
    finally:
        await close_all([a, b])
    if len(samples) < sizes.latency_messages:
        problems.insert(0, f"{sizes.latency_messages - len(samples)} not received")
    result = Result(
        "c2c-latency",
        target.config,
        samples,
        rate=len(samples) / wall,
        rate_unit="msg/s",
        cpu_ms_per_msg=per_msg_ms(server_cpu, len(samples)),
        counts={"sent": sizes.latency_messages, "received": len(samples)},
        extra={"client-cpu": f"{client_cpu:.1f}s"},
        problems=problems,
    )
    if check_targets:
        result.targets = [("median<=3ms", result.median <= 3), ("p99<=15ms", result.pct(99) <= 15)]
    return result


# --- 2. c2c-throughput ------------------------------------------------------------------


@dataclass
class _Throughput:
    sent_at: dict[int, float] = field(default_factory=dict)
    received: set[int] = field(default_factory=set)
    receive_ms: list[float] = field(default_factory=list)
    ack_ms: list[float] = field(default_factory=list)
    acked: int = 0
    failed: int = 0
    duplicates: int = 0
    skipped: int = 0
    last_ack: float = 0.0
    errors: list[str] = field(default_factory=list)

    def on_receive(self, raw: str, now: float) -> None:
        for r in randoms_in(raw):
            sent = self.sent_at.get(r)
            if sent is None:
                continue
            if r in self.received:
                self.duplicates += 1
                continue
            self.received.add(r)
            self.receive_ms.append((now - sent) * 1000)

    def on_answer(self, future: asyncio.Future, started: float) -> None:
        now = time.perf_counter()
        if future.cancelled() or future.exception() is not None:
            self.failed += 1
            self.errors.append(repr(future.exception()) if not future.cancelled() else "cancelled")
            return
        reply = future.result()
        if reply.get("code") == 0:
            self.acked += 1
            self.last_ack = max(self.last_ack, now)
            self.ack_ms.append((now - started) * 1000)
        else:
            self.failed += 1
            self.errors.append(f"{reply.get('code')} {reply.get('message')}")


async def c2c_throughput(target: Target, sizes: Sizes, check_targets: bool = False) -> Result:
    """Pairs sending for a fixed time, paced to an offered total rate; each pair's two ends
    sit on different processes when there are two."""
    pairs = sizes.throughput_pairs
    state = _Throughput()
    senders = await connect_all(target, [f"tp-s{i:04d}" for i in range(pairs)])
    receivers = await connect_all(
        target,
        [f"tp-r{i:04d}" for i in range(pairs)],
        url_index=lambda i: i + 1,
        on_push=lambda i: state.on_receive,
    )
    next_random = unique_randoms()
    interval = pairs / sizes.throughput_rate if sizes.throughput_rate else 0.0
    meter = Meter(target.pids)
    start = time.perf_counter()
    end = start + sizes.throughput_seconds
    pending: set[asyncio.Future] = set()

    async def sender(i: int) -> None:
        conn, to = senders[i], f"tp-r{i:04d}"
        in_flight: set[asyncio.Future] = set()
        tick = start + random.uniform(0, interval)
        while True:
            if interval:
                await asyncio.sleep(max(0.0, tick - time.perf_counter()))
                tick += interval
            now = time.perf_counter()
            if now >= end:
                return
            if len(in_flight) >= sizes.throughput_window:
                state.skipped += 1
                continue
            r = next_random()
            state.sent_at[r] = now
            try:
                future = await conn.submit("sendMessage", text_message(to, f"tp {r}", r))
            except ProtocolError as error:
                state.failed += 1
                state.errors.append(repr(error))
                return
            in_flight.add(future)
            pending.add(future)

            def done(f: asyncio.Future, started: float = now) -> None:
                in_flight.discard(f)
                pending.discard(f)
                state.on_answer(f, started)

            future.add_done_callback(done)
            if not interval:  # closed loop: the next send waits for this answer
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(asyncio.shield(future), 10)

    try:
        await asyncio.gather(*(sender(i) for i in range(pairs)))
        # Let the answers and pushes still in flight arrive (bounded).
        drain_until = time.perf_counter() + 60
        while time.perf_counter() < drain_until and (pending or len(state.received) < state.acked):
            await asyncio.sleep(0.05)
        unanswered = len(pending)
        for future in list(pending):
            future.cancel()
        server_cpu, client_cpu, wall = meter.stop()
    finally:
        await close_all(senders + receivers)
    sent = len(state.sent_at)
    lost = state.acked - len(state.received)
    span = (state.last_ack or time.perf_counter()) - start
    rate = state.acked / span if span > 0 else 0.0
    problems = []
    if lost > 0:
        problems.append(f"{lost} acknowledged but not received")
    if unanswered:
        problems.append(f"{unanswered} sends unanswered 60 s after the end")
    if state.failed > unanswered:
        errors = [e for e in state.errors if e != "cancelled"]
        problems.append(f"{state.failed - unanswered} sends failed, e.g. {errors[:1]}")
    if state.duplicates:
        problems.append(f"{state.duplicates} received twice")
    result = Result(
        "c2c-throughput",
        target.config,
        state.receive_ms,
        rate=rate,
        rate_unit="acked msg/s",
        cpu_ms_per_msg=per_msg_ms(server_cpu, state.acked),
        counts={"sent": sent, "acked": state.acked, "received": len(state.received)},
        extra={
            "pairs": str(pairs),
            "offered": f"{sizes.throughput_rate:.0f}/s" if interval else "closed-loop",
            "ack-p99": f"{percentile(sorted(state.ack_ms), 99):.1f}ms",
            "skipped(window full)": str(state.skipped),
            "client-cpu": f"{client_cpu:.1f}s/{wall:.0f}s",
        },
        problems=problems,
    )
    if check_targets:
        result.targets = [("≥1000/s", rate >= 1000), ("recv p99<=100ms", result.pct(99) <= 100)]
    return result


# --- 3. group-fanout --------------------------------------------------------------------


@dataclass
class _Fanout:
    members: int
    sent_at: dict[int, float] = field(default_factory=dict)
    remaining: dict[int, int] = field(default_factory=dict)
    done_at: dict[int, float] = field(default_factory=dict)
    delivery_ms: list[float] = field(default_factory=list)
    deliveries: int = 0
    duplicates: int = 0
    last_delivery: float = 0.0
    all_done: asyncio.Event = field(default_factory=asyncio.Event)
    expected: int = 0

    def handler(self) -> PushHandler:
        seen: set[int] = set()

        def on_push(raw: str, now: float) -> None:
            for r in randoms_in(raw):
                sent = self.sent_at.get(r)
                if sent is None:
                    continue
                if r in seen:
                    self.duplicates += 1
                    continue
                seen.add(r)
                self.deliveries += 1
                self.last_delivery = now
                self.delivery_ms.append((now - sent) * 1000)
                self.remaining[r] -= 1
                if self.remaining[r] == 0:
                    self.done_at[r] = now
                    if len(self.done_at) == self.expected:
                        self.all_done.set()

        return on_push

    def track(self, r: int) -> None:
        self.sent_at[r] = time.perf_counter()
        self.remaining[r] = self.members

    def reset(self, expected: int) -> None:
        self.sent_at.clear()
        self.remaining.clear()
        self.done_at.clear()
        self.delivery_ms.clear()
        self.deliveries = self.duplicates = 0
        self.last_delivery = 0.0
        self.expected = expected
        self.all_done.clear()
        self.all_done.clear()


async def group_fanout(target: Target, sizes: Sizes, check_targets: bool = False) -> Result:
    """One group, every member online on its own connection; the owner sends paced messages.

    With a seeder the members exist before the group and log in after it is complete
    (members past createGroup's 500 are seeded, and only a login picks those up);
    without one they log in first, so createGroup itself must reach them.
    """
    members = [f"fo-m{i:05d}" for i in range(sizes.fanout_members)]
    state = _Fanout(sizes.fanout_members)
    next_random = unique_randoms()
    conns: list[Conn] = []

    async def members_online() -> list[Conn]:
        return await connect_all(
            target, members, url_index=lambda i: i + 1, on_push=lambda i: state.handler()
        )

    if target.seeder is not None:
        await target.seeder.ensure_accounts(members)
    else:
        if len(members) > CREATE_GROUP_MAX_MEMBERS:
            raise ProtocolError("a group over 500 members needs a seeder")
        conns = await members_online()
    owner = (await connect_all(target, ["fo-owner"]))[0]
    try:
        group = (
            await owner.ok(
                "createGroup",
                {
                    "name": "bench fan-out",
                    "type": "Public",
                    "memberList": [{"userID": u} for u in members[:CREATE_GROUP_MAX_MEMBERS]],
                },
                timeout=60,
            )
        )["group"]
        group_id = group["groupID"]
        if target.seeder is not None:
            if len(members) > CREATE_GROUP_MAX_MEMBERS:
                await target.seeder.add_group_members(group_id, members[CREATE_GROUP_MAX_MEMBERS:])
            conns = await members_online()

        async def send(r: int) -> asyncio.Future:
            state.track(r)
            data = text_message(group_id, f"fo {r}", r, group=True)
            return await owner.submit("sendMessage", data)

        # Warm-up: one message to everyone, not counted.
        state.reset(1)
        await send(next_random())
        await asyncio.wait_for(state.all_done.wait(), 60)

        expected = sizes.fanout_members * sizes.fanout_messages

        async def phase(rate: float) -> tuple[float, list[Any]]:
            """Send the messages at ``rate`` msg/s (0: back to back), wait for every delivery."""
            state.reset(sizes.fanout_messages)
            start = time.perf_counter()
            answers = []
            for k in range(sizes.fanout_messages):
                if rate:
                    await asyncio.sleep(max(0.0, start + k / rate - time.perf_counter()))
                answers.append(await send(next_random()))
            # Bounded, but long enough for a server doing only ~1,000 deliveries/s.
            timeout = 60 + (sizes.fanout_messages / rate if rate else 0) + expected / 1000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(state.all_done.wait(), timeout)
            replies = await asyncio.gather(
                *(asyncio.wait_for(a, 10) for a in answers), return_exceptions=True
            )
            return start, replies

        meter = Meter(target.pids)
        # Paced at the target's rate: how long each message takes to reach everyone.
        start, replies = await phase(sizes.fanout_rate)
        paced = (
            [(state.done_at[r] - state.sent_at[r]) * 1000 for r in state.done_at],
            sorted(state.delivery_ms),
            state.deliveries,
            state.duplicates,
            state.last_delivery - start,
        )
        # Back to back: how many deliveries a second the server can make.
        burst_start, burst_replies = await phase(0)
        burst_span = state.last_delivery - burst_start
        burst_rate = state.deliveries / burst_span if burst_span > 0 else 0.0
        burst_missing = expected - state.deliveries
        server_cpu, client_cpu, wall = meter.stop()
    finally:
        await close_all([*conns, owner])
    completion, delivery, deliveries, duplicates, span = paced
    replies = [*replies, *burst_replies]
    failed = [r for r in replies if not isinstance(r, dict) or r.get("code") != 0]
    paced_rate = deliveries / span if span > 0 else 0.0
    problems = []
    if failed:
        problems.append(f"{len(failed)} sends failed, e.g. {failed[0]!r}")
    if deliveries < expected:
        problems.append(f"paced: {expected - deliveries} of {expected} deliveries missing")
    if burst_missing:
        problems.append(f"back to back: {burst_missing} of {expected} deliveries missing")
    if duplicates or state.duplicates:
        problems.append(f"{duplicates + state.duplicates} deliveries twice")
    all_deliveries = deliveries + state.deliveries
    result = Result(
        "group-fanout",
        target.config,
        completion,
        rate=burst_rate,
        rate_unit="deliveries/s",
        cpu_ms_per_msg=per_msg_ms(server_cpu, 2 * sizes.fanout_messages),
        counts={
            "messages": sizes.fanout_messages,
            "complete": len(completion),
            "deliveries": deliveries,
            "expected": expected,
        },
        extra={
            "members": str(sizes.fanout_members),
            "paced": f"{sizes.fanout_rate:g} msg/s → {paced_rate:,.0f} deliveries/s",
            "per-delivery p50/p99": f"{percentile(delivery, 50):.0f}/"
            f"{percentile(delivery, 99):.0f}ms",
            "back-to-back": f"{burst_span * 1000:.0f}ms for {state.deliveries} deliveries",
            "server-cpu/delivery": f"{(server_cpu or 0) / max(1, all_deliveries) * 1e6:.0f}µs",
            "client-cpu": f"{client_cpu:.1f}s/{wall:.0f}s",
        },
        problems=problems,
    )
    if check_targets:
        result.targets = [
            ("≥20000 deliveries/s", burst_rate >= 20000),
            ("all-members p99<=250ms", result.pct(99) <= 250),
        ]
    return result


# --- 3b. group-churn (issue 10) ---------------------------------------------------------

JOIN_TIP, QUIT_TIP = 1, 2
# A tip is the only push with this type in it: a chat text that mentions it is escaped
# inside a JSON string, and quotes inside strings are escaped too.
_TIP_MARK = '"type":"TIMGroupTipElem"'
_TIP_KIND_RE = re.compile(r'"operationType":(\d+)')
_TIP_USER_RE = re.compile(r'"userIDList":\["((?:[^"\\]|\\.)*)"')


@dataclass
class _Churn:
    """Join and quit tips at the online members, matched to the op that caused them.

    A tip carries no client-chosen value, so it is matched by what it says: its
    operationType and the one userID it names. A churner's ops go one after another
    (the next after the answer), and each member hears one group's pushes in order, so
    the n-th join tip about ``u`` a member reads is ``u``'s n-th join.
    """

    online: int
    ops: dict[tuple[str, int], list[int]] = field(default_factory=dict)
    sent_at: list[float] = field(default_factory=list)
    remaining: list[int] = field(default_factory=list)
    done_at: dict[int, float] = field(default_factory=dict)
    delivery_ms: list[float] = field(default_factory=list)
    deliveries: int = 0
    unmatched: int = 0
    acked: int = 0
    failed: list[str] = field(default_factory=list)
    ack_ms: list[float] = field(default_factory=list)
    last_ack: float = 0.0
    skipped: int = 0

    def track(self, user_id: str, kind: int) -> int:
        """Record an op about to be sent; its index."""
        op = len(self.sent_at)
        self.ops.setdefault((user_id, kind), []).append(op)
        self.remaining.append(self.online)
        self.sent_at.append(time.perf_counter())
        return op

    def on_tip(self, raw: str, now: float, seen: dict[tuple[str, int], int]) -> None:
        kind_match, user_match = _TIP_KIND_RE.search(raw), _TIP_USER_RE.search(raw)
        if kind_match is None or user_match is None:
            self.unmatched += 1
            return
        key = (user_match.group(1), int(kind_match.group(1)))
        nth = seen.get(key, 0)
        seen[key] = nth + 1
        ops = self.ops.get(key)
        if ops is None or nth >= len(ops):
            self.unmatched += 1
            return
        op = ops[nth]
        self.deliveries += 1
        self.delivery_ms.append((now - self.sent_at[op]) * 1000)
        self.remaining[op] -= 1
        if self.remaining[op] == 0:
            self.done_at[op] = now


async def group_churn(target: Target, sizes: Sizes, check_targets: bool = False) -> Result:
    """Accounts join and quit a big Public group while its members chat; every join and
    quit tip reaches the members online.

    The group is made by createGroup (its first ``churn_initial`` members) and filled
    by an app administrator's ``addGroupMember`` in batches, before anyone but the owner
    and the administrator is online.
    Churners join with ``joinGroup`` (FreeAccess: at once) and leave with ``quitGroup``.
    """
    if target.seeder is None:
        raise ProtocolError("group-churn needs a seeder to fill the group")
    if sizes.churn_online + sizes.churn_talkers > sizes.churn_members:
        raise ProtocolError("churn_online + churn_talkers must not exceed churn_members")
    members = [f"gc-m{i:05d}" for i in range(sizes.churn_members)]
    receivers = members[: sizes.churn_online]
    talkers = members[sizes.churn_online : sizes.churn_online + sizes.churn_talkers]
    churners = [f"gc-c{i:04d}" for i in range(sizes.churn_churners)]
    await target.seeder.ensure_accounts([*members, *churners, "gc-owner"])
    await target.seeder.make_admins(["gc-admin"])
    churn = _Churn(len(receivers))
    chat = _Fanout(len(receivers))
    next_random = unique_randoms()

    def receiver_handler(i: int) -> PushHandler:
        on_chat = chat.handler()
        seen: dict[tuple[str, int], int] = {}

        def on_push(raw: str, now: float) -> None:
            if _TIP_MARK in raw:
                churn.on_tip(raw, now, seen)
            else:
                on_chat(raw, now)

        return on_push

    owner, admin = await connect_all(target, ["gc-owner", "gc-admin"])
    conns: list[Conn] = [owner, admin]
    try:
        initial = min(sizes.churn_initial, CREATE_GROUP_MAX_MEMBERS, len(members))
        started = time.perf_counter()
        group = (
            await owner.ok(
                "createGroup",
                {
                    "name": "bench churn",
                    "type": "Public",
                    "joinOption": "FreeAccess",
                    # Public's default limit is 2,000 with the owner: room for everyone.
                    "maxMemberNum": len(members) + len(churners) + 1,
                    "memberList": [{"userID": u} for u in members[:initial]],
                },
                timeout=60,
            )
        )["group"]
        create_s = time.perf_counter() - started
        group_id = group["groupID"]
        # The rest as TIM fills a Public group: its app administrator's addGroupMember,
        # churn_batch at a time (each batch stores a join tip and an invited notice per
        # member added).
        fill: dict[str, Any] = {"added": 0, "batchSeconds": []}
        for first in range(initial, len(members), sizes.churn_batch):
            batch = members[first : first + sizes.churn_batch]
            started = time.perf_counter()
            added = await admin.ok(
                "addGroupMember", {"groupID": group_id, "userIDList": batch}, timeout=120
            )
            fill["batchSeconds"].append(time.perf_counter() - started)
            fill["added"] += len(added["successUserIDList"])
        if fill["added"] != len(members) - initial:
            raise ProtocolError(f"addGroupMember added {fill['added']} of {len(members) - initial}")
        fill_s = sum(fill["batchSeconds"])

        # Members over the processes as group-fanout spreads them; churners and talkers too.
        conns += await connect_all(
            target, receivers, url_index=lambda i: i + 1, on_push=receiver_handler
        )
        conns += await connect_all(target, talkers, url_index=lambda i: i)
        churner_conns = await connect_all(target, churners, url_index=lambda i: i + 1)
        conns += churner_conns
        talker_conns = conns[2 + len(receivers) : 2 + len(receivers) + len(talkers)]

        async def say(conn: Conn, r: int) -> asyncio.Future:
            chat.track(r)
            return await conn.submit(
                "sendMessage", text_message(group_id, f"gc {r}", r, group=True)
            )

        # Warm-up: one chat message to everyone, not counted; all of them hear the group.
        chat.reset(1)
        await say(talker_conns[0] if talker_conns else owner, next_random())
        await asyncio.wait_for(chat.all_done.wait(), 60)

        chat_count = int(sizes.churn_chat_rate * sizes.churn_seconds) if talker_conns else 0
        chat.reset(chat_count)
        chat_answers: list[asyncio.Future] = []
        meter = Meter(target.pids)
        start = time.perf_counter()
        end = start + sizes.churn_seconds
        interval = len(churners) / sizes.churn_rate

        async def churner(i: int) -> None:
            conn, user_id = churner_conns[i], churners[i]
            joined = False
            tick = start + i / sizes.churn_rate
            while True:
                await asyncio.sleep(max(0.0, tick - time.perf_counter()))
                tick += interval
                if time.perf_counter() >= end:
                    return
                kind = QUIT_TIP if joined else JOIN_TIP
                churn.track(user_id, kind)
                sent = time.perf_counter()
                try:
                    if kind == JOIN_TIP:
                        answer = await conn.ok("joinGroup", {"groupID": group_id}, timeout=30)
                        if answer.get("status") != "JoinedSuccess":
                            raise ProtocolError(f"joinGroup: {answer.get('status')}")
                    else:
                        await conn.ok("quitGroup", {"groupID": group_id}, timeout=30)
                except (ProtocolError, TimeoutError) as error:
                    # Its tip (if any) would shift every later match: stop this churner.
                    churn.failed.append(repr(error))
                    return
                now = time.perf_counter()
                churn.acked += 1
                churn.last_ack = max(churn.last_ack, now)
                churn.ack_ms.append((now - sent) * 1000)
                joined = not joined
                # Ticks that passed while the op was in flight are skipped, not queued.
                while tick < now:
                    tick += interval
                    churn.skipped += 1

        async def chatter() -> None:
            for k in range(chat_count):
                await asyncio.sleep(
                    max(0.0, start + k / sizes.churn_chat_rate - time.perf_counter())
                )
                chat_answers.append(await say(talker_conns[k % len(talker_conns)], next_random()))

        await asyncio.gather(chatter(), *(churner(i) for i in range(len(churners))))
        # Let the tips and messages still in flight arrive (bounded).
        drain_until = time.perf_counter() + 60
        while time.perf_counter() < drain_until and (
            len(churn.done_at) < churn.acked or len(chat.done_at) < chat_count
        ):
            await asyncio.sleep(0.05)
        server_cpu, client_cpu, wall = meter.stop()
        replies = await asyncio.gather(
            *(asyncio.wait_for(a, 10) for a in chat_answers), return_exceptions=True
        )
    finally:
        await close_all(conns)
    ops = len(churn.sent_at)
    span = (churn.last_ack or time.perf_counter()) - start
    rate = churn.acked / span if span > 0 else 0.0
    expected_tips = churn.acked * len(receivers)
    expected_chat = chat_count * len(receivers)
    problems = []
    if churn.failed:
        problems.append(f"{len(churn.failed)} joins/quits failed, e.g. {churn.failed[0]}")
    if churn.deliveries < expected_tips:
        problems.append(f"{expected_tips - churn.deliveries} of {expected_tips} tips missing")
    if churn.unmatched:
        problems.append(f"{churn.unmatched} tips matched no op (or arrived twice)")
    failed_chat = [r for r in replies if not isinstance(r, dict) or r.get("code") != 0]
    if failed_chat:
        problems.append(f"{len(failed_chat)} chat sends failed, e.g. {failed_chat[0]!r}")
    if chat.deliveries < expected_chat:
        problems.append(
            f"{expected_chat - chat.deliveries} of {expected_chat} chat deliveries missing"
        )
    if chat.duplicates:
        problems.append(f"{chat.duplicates} chat deliveries twice")
    tip_all = sorted((churn.done_at[op] - churn.sent_at[op]) * 1000 for op in churn.done_at)
    chat_all = sorted((chat.done_at[r] - chat.sent_at[r]) * 1000 for r in chat.done_at)
    chat_ms = sorted(chat.delivery_ms)
    deliveries = churn.deliveries + chat.deliveries
    cpu = server_cpu or 0.0
    batches = fill["batchSeconds"]
    result = Result(
        "group-churn",
        target.config,
        churn.delivery_ms,
        rate=rate,
        rate_unit="ops/s",
        cpu_ms_per_msg=per_msg_ms(server_cpu, churn.acked),
        counts={
            "ops": ops,
            "acked": churn.acked,
            "tip_deliveries": churn.deliveries,
            "tips_expected": expected_tips,
            "chat_messages": chat_count,
            "chat_deliveries": chat.deliveries,
            "chat_expected": expected_chat,
        },
        extra={
            "members": f"{len(members) + 1} ({len(receivers)} online + {len(talkers)} talking)",
            "fill": f"createGroup {initial} in {create_s * 1000:.0f}ms, "
            f"{fill['added']} added {sizes.churn_batch} at a time in "
            f"{'/'.join(f'{b * 1000:.0f}' for b in batches) or '-'}ms "
            f"({fill['added'] / fill_s if fill_s else 0:,.0f} members/s)",
            "offered": f"{sizes.churn_rate:g} ops/s by {len(churners)}, "
            f"chat {sizes.churn_chat_rate:g} msg/s, {sizes.churn_seconds:g}s",
            "ack p50/p99": f"{percentile(sorted(churn.ack_ms), 50):.0f}/"
            f"{percentile(sorted(churn.ack_ms), 99):.0f}ms",
            "skipped(op in flight)": str(churn.skipped),
            "tip all-online p50/p99": f"{percentile(tip_all, 50):.0f}/"
            f"{percentile(tip_all, 99):.0f}ms",
            "chat per-delivery p50/p99": f"{percentile(chat_ms, 50):.0f}/"
            f"{percentile(chat_ms, 99):.0f}ms",
            "chat all-online p99": f"{percentile(chat_all, 99):.0f}ms",
            "server-cpu/tip-delivery": f"{cpu / max(1, churn.deliveries) * 1e6:.0f}µs",
            "server-cpu/delivery(all)": f"{cpu / max(1, deliveries) * 1e6:.0f}µs",
            "client-cpu": f"{client_cpu:.1f}s/{wall:.0f}s",
        },
        problems=problems,
    )
    # Issue 10 names no figures to meet: the result reports, it sets no targets.
    return result


# --- 4. history -------------------------------------------------------------------------


async def history(target: Target, sizes: Sizes, check_targets: bool = False) -> Result:
    """getMessageList pages of 15, from the newest back and from the middle back."""
    if target.seeder is None:
        raise ProtocolError("history needs a seeder to fill the conversation")
    rows = sizes.history_rows
    pages = min(sizes.history_pages, rows // 2 // HISTORY_PAGE)
    seeded = await target.seeder.seed_history("hist-a", "hist-b", rows)
    conn = (await connect_all(target, ["hist-a"]))[0]
    conversation = "C2Chist-b"
    problems: list[str] = []

    async def page(next_id: str = "") -> tuple[float, list[int], str]:
        data: dict[str, Any] = {"conversationID": conversation, "count": HISTORY_PAGE}
        if next_id:
            data["nextReqMessageID"] = next_id
        started = time.perf_counter()
        answer = await conn.ok("getMessageList", data)
        took = (time.perf_counter() - started) * 1000
        return took, [m["sequence"] for m in answer["messageList"]], answer["nextReqMessageID"]

    def message_id(seq: int) -> str:
        return f"{seeded['senderTinyID']}-{seeded['clientTime']}-{seq}"

    newest: list[float] = []
    middle: list[float] = []
    last = seeded["lastSeq"]
    mid = seeded["firstSeq"] + rows // 2
    try:
        for _ in range(5):  # warm-up
            await page()
        meter = Meter(target.pids)
        for _ in range(pages):
            took, seqs, _ = await page()
            newest.append(took)
            if seqs != list(range(last - HISTORY_PAGE + 1, last + 1)):
                problems.append(f"newest page wrong: {seqs[:3]}...")
                break
        next_id, top = message_id(mid), mid - 1
        for _ in range(pages):
            took, seqs, next_id = await page(next_id)
            middle.append(took)
            if seqs != list(range(top - HISTORY_PAGE + 1, top + 1)):
                problems.append(f"middle page wrong: expected up to {top}, got {seqs[-3:]}")
                break
            top -= HISTORY_PAGE
        server_cpu, _, wall = meter.stop()
    finally:
        await close_all([conn])
    newest.sort()
    middle.sort()
    count = len(newest) + len(middle)
    result = Result(
        "history",
        target.config,
        newest + middle,
        rate=count / wall,
        rate_unit="pages/s",
        cpu_ms_per_msg=per_msg_ms(server_cpu, count),
        counts={"pages": count, "expected": 2 * pages},
        extra={
            "rows": f"{rows:,}",
            "newest p50/p99": f"{statistics.median(newest or [0]):.2f}/"
            f"{percentile(newest, 99):.2f}ms",
            "middle p50/p99": f"{statistics.median(middle or [0]):.2f}/"
            f"{percentile(middle, 99):.2f}ms",
            "seeded-in": f"{seeded['seconds']}s",
        },
        problems=problems,
    )
    result.rate_unit = "pages/s"
    if check_targets:
        result.targets = [
            ("newest median<=3ms", statistics.median(newest or [0]) <= 3),
            ("middle median<=3ms", statistics.median(middle or [0]) <= 3),
        ]
    return result


# --- 5. connections ---------------------------------------------------------------------


async def _keepalive(conns: list[Conn | None], every: float) -> None:
    """A heartbeat on every open connection each ``every`` s, so none hits the idle close."""
    while True:
        await asyncio.sleep(every)
        for conn in list(conns):
            if conn is not None and conn.is_open:
                await conn.notify("heartbeat")


async def connections(target: Target, sizes: Sizes, check_targets: bool = False) -> Result:
    """Many idle logged-in connections to one process: its memory per connection, login rate."""
    raise_open_files_limit()
    count = sizes.connections
    users = [f"cn-{i:05d}" for i in range(count)]
    if target.seeder is not None:  # returning users: measure logins, not sign-ups
        await target.seeder.ensure_accounts(users)
    pid = target.pids[0] if target.pids else None
    rss_before = rss_kb(pid) if pid else 0
    login_ms: list[float] = []
    conns: list[Conn | None] = [None] * count
    # Every 30 s, as docs/protocol.md asks of clients (part of the server's idle cost).
    keepalive = asyncio.create_task(_keepalive(conns, 30))
    meter = Meter([pid] if pid else [])
    try:
        _, errors = await connect_users(
            target,
            users,
            url_index=lambda i: 0,
            concurrency=sizes.login_concurrency,
            login_ms=login_ms,
            into=conns,
        )
        server_cpu, client_cpu, wall = meter.stop()
        await asyncio.sleep(2)  # let the server settle before reading its memory
        rss_after = rss_kb(pid) if pid else 0
        alive = sum(1 for c in conns if c is not None and c.is_open)
        close_codes = Counter(c.close_code for c in conns if c is not None and not c.is_open)
    finally:
        keepalive.cancel()
        await close_all([c for c in conns if c is not None])
    logged_in = len(login_ms)
    per_conn_kb = (rss_after - rss_before) / logged_in if pid and logged_in else None
    problems = []
    if errors:
        problems.append(f"{len(errors)} of {count} logins failed, e.g. {errors[0]!r}")
    if alive < logged_in:
        problems.append(
            f"{logged_in - alive} connections closed while idle, close codes {dict(close_codes)}"
        )
    rate = logged_in / wall if wall > 0 else 0.0
    result = Result(
        "connections",
        target.config,
        login_ms,
        rate=rate,
        rate_unit="logins/s",
        cpu_ms_per_msg=per_msg_ms(server_cpu, logged_in),
        counts={"connections": count, "logged_in": logged_in, "alive": alive},
        extra={
            "alive": f"{alive}/{count}",
            "rss/conn": "-" if per_conn_kb is None else f"{per_conn_kb:.0f}KB",
            "server-rss": f"{rss_before / 1024:.0f}->{rss_after / 1024:.0f}MB",
            "client-cpu": f"{client_cpu:.1f}s/{wall:.0f}s",
        },
        problems=problems,
    )
    if check_targets:
        result.targets = [
            (f"{FULL.connections} alive", alive >= FULL.connections),
            ("rss<=100KB/conn", per_conn_kb is not None and per_conn_kb <= 100),
            ("≥300 logins/s", rate >= 300),
        ]
    return result


Scenario = Callable[[Target, Sizes, bool], Awaitable[Result]]
SCENARIOS: dict[str, Scenario] = {
    "c2c-latency": c2c_latency,
    "c2c-throughput": c2c_throughput,
    "group-fanout": group_fanout,
    "group-churn": group_churn,
    "history": history,
    "connections": connections,
    "uploads": uploads,
}
