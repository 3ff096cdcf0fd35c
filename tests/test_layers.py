"""The embedded channel layer (im.layers), through Channels' layer API."""

from __future__ import annotations

import asyncio

from im.layers import SweepingInMemoryChannelLayer


async def test_an_expired_push_leaves_the_channel_in_its_groups():
    """Channels' in-memory layer drops a channel from every group when one of its messages
    expires; behind a process's fan-out channel that would silence every connection."""
    layer = SweepingInMemoryChannelLayer(expiry=1)
    channel = await layer.new_channel()
    await layer.group_add("grp.1", channel)
    await layer.group_send("grp.1", {"type": "im.push", "text": "stale"})
    await asyncio.sleep(2.1)  # past the expiry and the once-a-second sweep
    await layer.group_send("grp.1", {"type": "im.push", "text": "fresh"})
    assert (await asyncio.wait_for(layer.receive(channel), 1))["text"] == "fresh"
    await layer.group_send("grp.1", {"type": "im.push", "text": "later"})
    assert (await asyncio.wait_for(layer.receive(channel), 1))["text"] == "later"
