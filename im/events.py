"""Pushes to connected clients. Only services call this, and only after commit.

Every connection of an account listens to the channel-layer group ``account_group``,
and to the group ``group_channel`` of every IM group the account is in, through its
process's ``im.fanout.Fanout``: a group message is one layer send, received once per
server process, whatever the group's size. An event is encoded to JSON text once.

Sends leave after commit. Inside ``deferred_sends`` (the WebSocket consumer's
ops) they are handed back to the async caller, which awaits them on the event
loop; elsewhere (admin, commands) they are sent right away.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

T = TypeVar("T")

logger = logging.getLogger(__name__)


def account_group(account_id: int) -> str:
    return f"acct.{account_id}"


def group_channel(group_pk: int) -> str:
    return f"grp.{group_pk}"


def encode_push(event: str, data: Any) -> str:
    return json.dumps({"event": event, "data": data}, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class Send:
    """One channel-layer message: to a group, or (``to_channel``) to one connection."""

    target: str
    message: dict[str, Any]
    to_channel: bool = False


_local = threading.local()


@contextmanager
def deferred_sends() -> Iterator[list[Send]]:
    """Collect the sends that commit inside this block instead of sending them."""
    outbox: list[Send] = []
    _local.outbox = outbox
    try:
        yield outbox
    finally:
        _local.outbox = None


def call_deferring_sends(
    func: Callable[..., T], /, *args: Any, **kwargs: Any
) -> tuple[T, list[Send]]:
    """Call ``func``; return its result and the sends it committed, unsent."""
    with deferred_sends() as sends:
        result = func(*args, **kwargs)
    return result, sends


async def deliver(sends: Iterable[Send]) -> None:
    """Hand committed sends to the layer.

    The change they announce is already stored, so a layer that fails (Redis restarting)
    must not turn the op into an error: the push is lost, as pushes may be, and clients
    catch up with ``syncMessages``.
    """
    layer = get_channel_layer()
    for send in sends:
        try:
            if send.to_channel:
                await layer.send(send.target, send.message)
            else:
                # The receiving process's fan-out finds its local listeners by ``group``.
                await layer.group_send(send.target, {**send.message, "group": send.target})
        except Exception:
            logger.warning("push to %s lost: the channel layer failed", send.target, exc_info=True)


def _on_commit(sends: list[Send]) -> None:
    def release() -> None:
        outbox = getattr(_local, "outbox", None)
        if outbox is not None:
            outbox.extend(sends)
        else:
            async_to_sync(deliver)(sends)

    transaction.on_commit(release)


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
    message = {"type": "im.push", "text": encode_push(event, data), "exclude": exclude_channel}
    _on_commit([Send(account_group(pk), message) for pk in account_ids])


def send_group_event_on_commit(
    event: str,
    *,
    group_pk: int,
    data_for_others: Any,
    data_for_author: Any,
    author_id: int,
    exclude_channel: str | None = None,
) -> None:
    """Push to every connection of every member of an IM group: one layer send.

    The author's connections get ``data_for_author`` (``flow: out``), the rest
    ``data_for_others``; both are encoded here, once.
    """
    message = {
        "type": "im.push",
        "text": encode_push(event, data_for_others),
        "author_id": author_id,
        "author_text": encode_push(event, data_for_author),
        "exclude": exclude_channel,
    }
    _on_commit([Send(group_channel(group_pk), message)])


def join_group_channel_on_commit(account_ids: Iterable[int], *, group_pk: int, group: Any) -> None:
    """Have the accounts' connections join an IM group's channel group.

    Each connection joins from its own process (what a pub/sub layer needs), then
    pushes GROUP_JOINED with ``group``: from that push on, it hears the group.
    """
    message = {"type": "im.join", "group_pk": group_pk, "text": encode_push("GROUP_JOINED", group)}
    _on_commit([Send(account_group(pk), message) for pk in account_ids])


def kick_channels_on_commit(channel_names: Iterable[str], reason: str) -> None:
    """Tell these connections, on whatever process holds them, that they are kicked out."""
    message = {"type": "im.kick", "reason": reason}
    _on_commit([Send(name, message, to_channel=True) for name in channel_names])
