"""Tencent's own tim-js-sdk (2.27.6, unmodified, in Node with ``ws``) against a live
daphne over TIM's wire protocol (/tim/binfo): the SDK's results and events."""

from __future__ import annotations

import pytest

from tests.conftest import SDKAPPID, make_sig
from tests.timsdk_driver import proxy_server, run_scenario

pytestmark = pytest.mark.django_db(transaction=True)


async def test_c2c(live, cast):
    facts = await run_scenario(
        "c2c",
        {
            "sdkappid": SDKAPPID,
            "proxyServer": proxy_server(live.url),
            "sigs": {uid: make_sig(uid) for uid in ("alice", "bob")},
        },
    )
    assert facts["aliceLogin"] == 0
