"""Events: what a service tells connected clients, as data, sent only after commit.

A service schedules an ``Event`` (a name, a payload of models or small dataclasses, and
explicit recipients) with ``send_event_on_commit``. Nothing here knows a wire format:
each protocol adapter registers an ``Encoder`` (``register_encoder``) that turns an
event into its own frame for one viewer. When the transaction commits, each event is
encoded once per protocol and per point of view (its author's, everyone else's), and
handed to the channel layer once per recipient account, or once for a whole IM group.
Each server process's ``im.fanout.Fanout`` hears it once and writes the encoded frame
to its local sessions (``im.sessions.IMSession.take``).

Events are encoded on commit, in the thread that committed them. Inside
``deferred_sends`` (the WebSocket adapters' ops) their layer sends are handed back to the
async caller, which sends them from the event loop; elsewhere (admin, commands) they are
sent right away. ``capture_events`` records the events instead, for tests.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

T = TypeVar("T")

logger = logging.getLogger(__name__)

KICKED_OUT = "KICKED_OUT"


@dataclass(frozen=True)
class Kick:
    """The payload of KICKED_OUT: TIM's reason (``multipleAccount``, ``userSigExpired``…)."""

    reason: str


def account_group(account_id: int) -> str:
    """The layer group every session of an account listens to."""
    return f"acct.{account_id}"


def group_channel(group_pk: int) -> str:
    """The layer group every session of every member of an IM group listens to."""
    return f"grp.{group_pk}"


@dataclass(frozen=True)
class Event:
    """One thing to tell clients, and exactly whom.

    Recipients are ``account_ids`` (each of their sessions), and, with ``group_pk``,
    every member of that IM group as the sessions listening to it stand when the push
    arrives (members are computed by membership, so a service that removes someone
    names them in ``account_ids`` before the removal). ``author_id`` is the account that
    acted: encoders may show it another view (a message's ``flow: out``).
    ``exclude_channel`` is the connection that acted; it has its answer instead.

    ``joins_group``/``leaves_group`` make the recipients' sessions start or stop hearing
    an IM group's pushes before this one is written to them; ``profile_of`` makes the
    sessions of that account reload it.
    """

    name: str
    payload: Any
    account_ids: frozenset[int] = frozenset()
    group_pk: int | None = None
    author_id: int | None = None
    exclude_channel: str | None = None
    joins_group: int | None = None
    leaves_group: int | None = None
    # A kick names connections, not accounts: only these sessions end.
    channels: frozenset[str] = field(default=frozenset())
    # The account whose profile changed: its sessions reload their copy of it before
    # their next op, so what they send carries the new nick and avatar.
    profile_of: int | None = None


# An encoder turns an event into one protocol's frame as ``viewer_id`` sees it;
# ``viewer_id`` None stands for any group member other than the author.
Encoder = Callable[[Event, "int | None"], "str | bytes"]
_encoders: dict[str, Encoder] = {}


def register_encoder(protocol: str, encoder: Encoder) -> None:
    """Have every push encoded for ``protocol``'s sessions too (an adapter calls this once)."""
    _encoders[protocol] = encoder


def encode(event: Event, viewer_id: int | None) -> dict[str, str | bytes]:
    """The event's frame for each registered protocol, as ``viewer_id`` sees it."""
    return {protocol: encoder(event, viewer_id) for protocol, encoder in _encoders.items()}


@dataclass(frozen=True)
class Send:
    """One channel-layer message: to a layer group, or (``to_channel``) to one connection."""

    target: str
    message: dict[str, Any]
    to_channel: bool = False


def layer_sends(event: Event) -> list[Send]:
    """The channel-layer messages that carry ``event`` to its recipients."""
    if event.channels:
        # Kicks: each named connection's session ends itself (and tells its client).
        kick = {"type": "im.kick", "reason": event.payload.reason}
        return [Send(name, kick, to_channel=True) for name in sorted(event.channels)]
    base: dict[str, Any] = {"type": "im.push", "exclude": event.exclude_channel}
    if event.joins_group is not None:
        base["join"] = event.joins_group
    if event.leaves_group is not None:
        base["leave"] = event.leaves_group
    if event.profile_of is not None:
        base["profile"] = event.profile_of
    sends = []
    if event.group_pk is not None:
        message = {**base, "texts": encode(event, None)}
        if event.author_id is not None:
            message["author_id"] = event.author_id
            message["author_texts"] = encode(event, event.author_id)
        sends.append(Send(group_channel(event.group_pk), message))
    for account_id in event.account_ids:
        sends.append(Send(account_group(account_id), {**base, "texts": encode(event, account_id)}))
    return sends


_local = threading.local()


@contextmanager
def deferred_sends() -> Iterator[list[Send]]:
    """Collect the layer sends of the events that commit inside this block instead of
    sending them (an async caller sends them from its event loop)."""
    outbox: list[Send] = []
    _local.outbox = outbox
    try:
        yield outbox
    finally:
        _local.outbox = None


def call_deferring_sends(
    func: Callable[..., T], /, *args: Any, **kwargs: Any
) -> tuple[T, list[Send]]:
    """Call ``func``; return its result and the sends of the events it committed, unsent."""
    with deferred_sends() as sends:
        result = func(*args, **kwargs)
    return result, sends


async def deliver(sends: Iterable[Send]) -> None:
    """Hand committed events' sends to the layer.

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


def send_event_on_commit(event: Event) -> None:
    """Deliver ``event`` once the current transaction commits; a rollback drops it.

    It is encoded on commit, in the thread that made it, where its payload's models may
    still be read (an encoder on the event loop could not touch the database). Its sends
    go to the ``deferred_sends`` block it was scheduled in, even if the commit comes after
    that block ended: a group commit (``im.groupcommit``) commits several calls' blocks
    at once, and each caller delivers its own.
    """
    outbox = getattr(_local, "outbox", None)

    def release() -> None:
        capture = getattr(_local, "capture", None)
        if capture is not None:
            capture.append(event)
            return
        sends = layer_sends(event)
        if outbox is not None:
            outbox.extend(sends)
        else:
            async_to_sync(deliver)(sends)

    transaction.on_commit(release)


@contextmanager
def capture_events() -> Iterator[list[Event]]:
    """Record, instead of delivering, the events committed inside this block (tests).

    Only events whose transaction committed are recorded: ``on_commit`` callbacks of a
    rolled-back block never run. Under a test's wrapping transaction, commit callbacks
    are run at the end of the block, as a real commit would.
    """
    from django.test import TestCase

    captured: list[Event] = []
    previous = getattr(_local, "capture", None)
    _local.capture = captured
    try:
        if transaction.get_connection().in_atomic_block:
            with TestCase.captureOnCommitCallbacks(execute=True):
                yield captured
        else:
            yield captured
    finally:
        _local.capture = previous
