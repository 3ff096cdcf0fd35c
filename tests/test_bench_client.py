"""The benchmark's load client (bench/) against live daphne processes, so the suite cannot rot.

Nothing here is timed: each scenario runs at a tiny size and must come back complete
(every message received once, every page right, every connection alive) with its counts.
Embedded pass: one daphne. Deployed pass (REDIS_URL set): two, clients spread over both.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from bench import seed
from bench.__main__ import table
from bench.client import percentile, randoms_in
from bench.harness import Result, Sizes
from bench.scenarios import SCENARIOS
from bench.servers import Target
from tests.conftest import SDKAPPID, SECRET_KEY
from tests.live import LiveServer, redis_url

pytestmark = pytest.mark.django_db(transaction=True)

TINY = Sizes(
    latency_messages=20,
    throughput_pairs=4,
    throughput_seconds=1.5,
    throughput_rate=40,
    fanout_members=12,
    fanout_messages=5,
    fanout_rate=20,
    # Small batches, so the fill takes more than one and the group outgrows createGroup's.
    churn_members=15,
    churn_initial=5,
    churn_batch=4,
    churn_online=8,
    churn_talkers=2,
    churn_chat_rate=4,
    churn_churners=3,
    churn_rate=6,
    churn_seconds=1.5,
    history_rows=600,
    history_pages=6,
    connections=30,
    login_concurrency=10,
    upload_count=3,
    upload_mb=0.25,
    upload_chat_rate=50,
    upload_idle_messages=10,
)


class InProcessSeeder:
    """bench/seed.py called in this process, on the test database the servers use."""

    async def ensure_accounts(self, user_ids: list[str]) -> dict[str, Any]:
        return await sync_to_async(seed.ensure_accounts)(sdkappid=SDKAPPID, user_ids=user_ids)

    async def add_group_members(self, group_id: str, user_ids: list[str]) -> dict[str, Any]:
        return await sync_to_async(seed.add_group_members)(
            sdkappid=SDKAPPID, group_id=group_id, user_ids=user_ids
        )

    async def make_admins(self, user_ids: list[str]) -> dict[str, Any]:
        return await sync_to_async(seed.make_admins)(sdkappid=SDKAPPID, user_ids=user_ids)

    async def seed_history(self, sender: str, receiver: str, rows: int) -> dict[str, Any]:
        return await sync_to_async(seed.seed_history)(
            sdkappid=SDKAPPID, sender=sender, receiver=receiver, rows=rows
        )


@pytest.fixture(scope="module")
def servers(django_db_setup: None) -> Iterator[list[LiveServer]]:
    """One daphne embedded; two sharing Redis when the run is the deployed one."""
    deployed = bool(os.environ.get("REDIS_URL"))
    running = [LiveServer(env={"REDIS_URL": redis_url()}) for _ in range(2 if deployed else 1)]
    try:
        for server in running:
            server.start()
        yield running
    finally:
        for server in running:
            server.stop()


@pytest.fixture
def target(servers: list[LiveServer], im_app: Any) -> Target:
    return Target(
        config="test",
        urls=[s.ws_url for s in servers],
        sdkappid=SDKAPPID,
        secret_key=SECRET_KEY,
        pids=[s.process.pid for s in servers if s.process],
        seeder=InProcessSeeder(),
    )


def check_latency(r: Result) -> None:
    assert r.counts == {"sent": 20, "received": 20}
    assert r.n == 20 and all(ms > 0 for ms in r.samples_ms)


def check_throughput(r: Result) -> None:
    assert r.counts["sent"] > 0
    assert r.counts["acked"] == r.counts["sent"] == r.counts["received"] == r.n


def check_fanout(r: Result) -> None:
    assert r.counts == {"messages": 5, "complete": 5, "deliveries": 60, "expected": 60}
    assert r.n == 5


def check_churn(r: Result) -> None:
    c = r.counts
    assert c["ops"] == c["acked"] > 0 and c["chat_messages"] == 6
    assert c["tip_deliveries"] == c["tips_expected"] == 8 * c["acked"] == r.n
    assert c["chat_deliveries"] == c["chat_expected"] == 8 * 6
    # 10 members past createGroup's 5, in three batches of at most 4.
    assert "10 added 4 at a time in " in r.extra["fill"]
    batch_ms = r.extra["fill"].split(" at a time in ")[1].split("ms")[0]
    assert batch_ms.count("/") == 2


def check_history(r: Result) -> None:
    assert r.counts == {"pages": 12, "expected": 12}
    assert r.n == 12


def check_connections(r: Result) -> None:
    assert r.counts == {"connections": 30, "logged_in": 30, "alive": 30}
    assert r.n == 30 and r.extra["rss/conn"].endswith("KB")


def check_uploads(r: Result) -> None:
    c = r.counts
    assert c["uploads"] == c["alone"] == c["with_chat"] == 3 and r.n == 3
    assert c["chat_idle"] == 10 and c["chat_during"] > 0
    assert r.extra["size"] == "3x0.25MiB" and r.extra["put-p50/p99"].endswith("s")


CHECKS: dict[str, Callable[[Result], None]] = {
    "c2c-latency": check_latency,
    "c2c-throughput": check_throughput,
    "group-fanout": check_fanout,
    "group-churn": check_churn,
    "history": check_history,
    "connections": check_connections,
    "uploads": check_uploads,
}


@pytest.mark.parametrize("name", list(SCENARIOS))
async def test_scenario_runs_complete(name: str, target: Target) -> None:
    result = await SCENARIOS[name](target, TINY, True)
    assert result.complete, result.line()
    CHECKS[name](result)
    assert result.rate > 0 and result.cpu_ms_per_msg is not None
    # Every scenario but group-churn has issue 5's targets (issue 10 sets none).
    assert bool(result.targets) == (name != "group-churn"), "targets are checked when asked"
    line = result.line()
    assert line.startswith(name) and "median=" in line and "\n" not in line
    assert name in table([result])


def test_push_parsing_and_percentiles() -> None:
    raw = (
        '{"event":"MESSAGE_RECEIVED","data":[{"payload":{"text":"\\"random\\":7"},'
        '"random":42,"clientTime":1},{"random":43}]}'
    )
    assert randoms_in(raw) == [42, 43]
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50 and percentile(values, 99) == 99
    assert percentile(values, 100) == 100 and percentile([], 99) == 0
