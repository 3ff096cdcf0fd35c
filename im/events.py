"""Pushes to connected clients. Only services call this, and only after commit.

Every connection of an account joins the channel-layer group named by
``account_group``; an event is encoded to JSON text once per call and fanned
out by the layer.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction


def account_group(account_id: int) -> str:
    return f"acct.{account_id}"


def encode_push(event: str, data: Any) -> str:
    return json.dumps({"event": event, "data": data}, ensure_ascii=False, separators=(",", ":"))


def _send_now(text: str, account_ids: list[int], exclude_channel: str | None) -> None:
    layer = get_channel_layer()
    for account_id in account_ids:
        async_to_sync(layer.group_send)(
            account_group(account_id),
            {"type": "im.push", "text": text, "exclude": exclude_channel},
        )


def send_event_on_commit(
    event: str,
    data: Any,
    account_ids: Iterable[int],
    *,
    exclude_channel: str | None = None,
) -> None:
    """Push ``event`` to every connection of ``account_ids`` once the transaction commits.

    ``exclude_channel`` skips the connection that made the change (it has the answer).
    A rolled-back transaction sends nothing.
    """
    text = encode_push(event, data)
    ids = list(account_ids)
    transaction.on_commit(lambda: _send_now(text, ids, exclude_channel))


def _kick_now(channel_names: list[str], reason: str) -> None:
    layer = get_channel_layer()
    for channel_name in channel_names:
        async_to_sync(layer.send)(channel_name, {"type": "im.kick", "reason": reason})


def kick_channels_on_commit(channel_names: Iterable[str], reason: str) -> None:
    """Tell these connections, on whatever process holds them, that they are kicked out."""
    names = list(channel_names)
    if names:
        transaction.on_commit(lambda: _kick_now(names, reason))
