"""What a logged-in connection is, whatever protocol frames it.

An ``IMSession`` holds the account, its instance registration, the UserSig expiry
timer, kicks, the fan-out subscriptions (the account's and its IM groups') and their
changes when the account joins or leaves a group. A protocol adapter (``IMConsumer``
for ``/ws/im/``) owns one session per connection and gives it a ``Connection``: a way
to write a frame and to close after a kick. Service calls go through ``call``, which
runs them in the database thread and delivers their events after commit (``call_apart``
for the long ones, in threads of their own; ``call_batched`` for sends, committed
several at once: ``im.groupcommit``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

from channels.db import database_sync_to_async
from django.db import connections

from im.errors import ALREADY_LOGGED_IN, NOT_LOGGED_IN, IMError
from im.events import (
    KICKED_OUT,
    Event,
    Kick,
    Send,
    account_group,
    call_deferring_sends,
    deliver,
    encode,
    group_channel,
)
from im.fanout import get_fanout
from im.groupcommit import Key, Unbatched, get_batcher
from im.models import PROFILE_COLUMNS, Account
from im.services.instances import (
    KICKED_USERSIG_EXPIRED,
    InstanceKickedOut,
    OpenedSession,
    check_open_session,
    check_renew_usersig,
    check_resume_session,
    do_unregister_instance,
)
from im.timers import Deadline

T = TypeVar("T")

# What the adapters read of a session's app to tell whether an op asks its back end.
CALLBACK_COLUMNS = ("callback_url", "callback_commands")


class Connection(Protocol):
    """What a protocol adapter gives its session."""

    channel_name: str  # the connection's own layer channel: kicks name it
    protocol: str  # the key of the adapter's encoder (``im.events.register_encoder``)

    async def write(self, frame: str | bytes) -> None:
        """Send one encoded frame to the client."""

    async def close_kicked_out(self, reason: str) -> None:
        """End the connection the protocol's way after a kick for ``reason`` (the client
        already told, the session ended)."""


# The threads of ``IMSession.call_apart``: few, since what runs there is CPU-bound (on
# the cores daphne has) and memory-hungry (a decoded 50-megapixel image and its copies
# take ~0.5 GB); a third long op waits for one of them, not for the database thread.
APART = ThreadPoolExecutor(max_workers=2, thread_name_prefix="im-apart")
# The threads of ``IMSession.call_waiting``: ops that ask the app's back end first (a
# before-callback, up to 2 s) wait there, not in the database thread every op shares.
WAITING = ThreadPoolExecutor(max_workers=16, thread_name_prefix="im-callback")


def _call_apart(func: Callable[..., T], /, *args: Any, **kwargs: Any) -> tuple[T, list[Send]]:
    try:
        return call_deferring_sends(func, *args, **kwargs)
    finally:
        # Apart ops are rare: a connection kept for the next would sit idle in a
        # thread for long (and keep a test database from being dropped).
        connections.close_all()


class IMSession:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.channel_name = connection.channel_name
        self.protocol = connection.protocol
        self.account: Account | None = None
        self._groups: set[int] = set()  # IM groups whose pushes this session hears
        self._expiry_timer: Deadline | None = None
        # Set when a push says this account's profile changed (on another connection,
        # or by an operator): the copy held here is reloaded before the next op.
        self._account_stale = False

    # --- logging in and out ---

    def check_can_open(self) -> None:
        """One login per connection (an adapter may ask before it parses the login)."""
        if self.account is not None:
            raise IMError(ALREADY_LOGGED_IN, f"already logged in as {self.account.user_id}")

    async def open(
        self,
        *,
        sdkappid: int,
        user_id: str,
        user_sig: str,
        instance_id: str = "",
        address: str | None = None,
    ) -> OpenedSession:
        """Log in: verify, register the instance (kicking the oldest past the app's
        limit), hear the account's pushes and its groups', and arm the expiry timer.

        A session kicked while away is told (KICKED_OUT) before its refusal is raised.
        """
        return await self._open(
            check_open_session,
            sdkappid=sdkappid,
            user_id=user_id,
            user_sig=user_sig,
            instance_id=instance_id,
            address=address,
        )

    async def resume(
        self, *, ticket: str, account_pk: int, address: str | None = None
    ) -> OpenedSession:
        """``open``, by a session ticket (``im.services.tickets``) rather than a
        UserSig: a protocol whose client reconnects with its ticket alone (TIM's A2)."""
        return await self._open(
            check_resume_session, ticket=ticket, account_pk=account_pk, address=address
        )

    async def _open(self, check: Callable[..., OpenedSession], **kwargs: Any) -> OpenedSession:
        self.check_can_open()
        try:
            opened, sends = await database_sync_to_async(call_deferring_sends)(
                check, channel_name=self.channel_name, **kwargs
            )
        except InstanceKickedOut as kicked:
            # The push first: a client that reads it knows why the login failed.
            await self._tell_kicked(kicked.reason, viewer_id=None)
            raise
        self.account = opened.login.account
        self._groups = set(opened.group_pks)
        try:
            await get_fanout().subscribe(self, self._listening(self.account))
        except Exception:
            # Not hearing pushes, so not logged in: undo the registration; the client
            # may try again (the answer is an internal error).
            await self.end(logout=True)
            raise
        await deliver(sends)
        expires_at = opened.login.usersig.expires_at
        self._expiry_timer = self._expire_at(expires_at)
        return opened

    async def renew(self, user_sig: str) -> int:
        """A fresh UserSig for this session's account: the expiry timer restarts from it.
        Returns when the new sig expires."""
        if self.account is None:
            raise IMError(NOT_LOGGED_IN, "log in before renewUserSig")
        info = await database_sync_to_async(check_renew_usersig)(
            account=self.account, channel_name=self.channel_name, user_sig=user_sig
        )
        if self._expiry_timer is not None:
            self._expiry_timer.cancel()
        self._expiry_timer = self._expire_at(info.expires_at)
        return info.expires_at

    async def end(self, *, logout: bool = False) -> None:
        """Stop the account's pushes to this connection and tell the instance registry
        (``logout``: the session ends for good; otherwise it waits for a reconnect)."""
        if self.account is None:
            return
        account, self.account = self.account, None
        timer, self._expiry_timer = self._expiry_timer, None
        if timer is not None:
            timer.cancel()
        await get_fanout().unsubscribe(self, self._listening(account))
        self._groups = set()
        await database_sync_to_async(do_unregister_instance)(
            channel_name=self.channel_name, logout=logout, account=account
        )

    async def kick(self, reason: str) -> None:
        """Kicked out (another login, an operator, the UserSig expiring): tell the
        client, end the session, close."""
        account = self.account
        if account is None:
            return
        await self._tell_kicked(reason, viewer_id=account.pk)
        await self.end()
        await self.connection.close_kicked_out(reason)

    async def _tell_kicked(self, reason: str, *, viewer_id: int | None) -> None:
        event = Event(KICKED_OUT, Kick(reason))
        await self.connection.write(encode(event, viewer_id)[self.protocol])

    def _expire_at(self, expires_at: float) -> Deadline:
        """The kick when the UserSig expires (``expires_at``: a Unix time)."""
        return Deadline(expires_at - time.time(), self._sig_expired)

    async def _sig_expired(self) -> None:
        await self.kick(KICKED_USERSIG_EXPIRED)

    # --- service calls ---

    async def call(self, func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run one service call in the database thread; send the events it committed
        (encoded there) from the event loop once it returns."""
        return await self._call(func, args, kwargs, in_database_thread=True)

    async def call_batched(
        self, key: Key, func: Callable[..., T], /, *args: Any, **kwargs: Any
    ) -> T:
        """``call``, committed together with the other batched calls of this process
        queued meanwhile (``im.groupcommit``; ``key``: the conversation it locks).

        One that comes to ask the app's back end (its settings changed since login) is
        rolled back there and run again as ``call_waiting`` runs it; the client gets
        that run's answer."""
        await self._refresh_account()
        try:
            return await get_batcher().run(key, func, *args, **kwargs)
        except Unbatched as unbatched:
            return await self.call_waiting(self._rerun_asking, unbatched.rerun)

    async def call_apart(self, func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """``call``, but in a thread of its own (``im.ops.APART`` says which ops), so a
        long one holds up no other op."""
        return await self._call(func, args, kwargs, executor=APART)

    async def call_waiting(self, func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """``call``, but in one of the threads that may wait for an app's back end."""
        return await self._call(func, args, kwargs, executor=WAITING)

    async def _call(
        self,
        func: Callable[..., T],
        args: tuple,
        kwargs: dict,
        *,
        in_database_thread: bool = False,
        executor: ThreadPoolExecutor | None = None,
    ) -> T:
        await self._refresh_account()
        if in_database_thread:
            run = database_sync_to_async(call_deferring_sends)
        else:
            run = database_sync_to_async(_call_apart, thread_sensitive=False, executor=executor)
        result, sends = await run(func, *args, **kwargs)
        await deliver(sends)
        return result

    def _rerun_asking(self, rerun: Callable[[], T]) -> T:
        # The adapters route by the app as this session read it at login: read its
        # callback settings again, so this session's next asking ops skip the batch.
        account = self.account
        if account is not None:
            account.app.refresh_from_db(fields=CALLBACK_COLUMNS)
        return rerun()

    async def _refresh_account(self) -> None:
        if self._account_stale and self.account is not None:
            self._account_stale = False
            await database_sync_to_async(self.account.refresh_from_db)(fields=PROFILE_COLUMNS)

    # --- pushes (``im.fanout`` calls ``take``) ---

    def _listening(self, account: Account) -> list[str]:
        """The layer groups whose pushes this session takes: its account's and its groups'."""
        return [account_group(account.pk), *(group_channel(pk) for pk in self._groups)]

    async def take(self, message: dict[str, Any]) -> None:
        """A push for this session's account or one of its IM groups."""
        account = self.account
        if account is None:
            return
        join = message.get("join")
        if join is not None:
            await self._join(join)
        leave = message.get("leave")
        if leave is not None:
            self._leave(leave)
        # ``id``, not ``pk``: the property costs a lookup, once per member per push.
        account_id = account.id
        if message.get("profile") == account_id:
            self._account_stale = True
        if message["exclude"] == self.channel_name:
            return
        if message.get("author_id") == account_id:
            await self.connection.write(message["author_texts"][self.protocol])
        else:
            await self.connection.write(message["texts"][self.protocol])

    async def _join(self, group_pk: int) -> None:
        """Hear the group from now on; the push that says so is written after."""
        if group_pk in self._groups:
            return
        self._groups.add(group_pk)
        try:
            await get_fanout().add_groups(self, [group_channel(group_pk)])
        except Exception:
            # No GROUP_JOINED then: the client learns of the group from its list.
            self._groups.discard(group_pk)
            get_fanout().remove_groups(self, [group_channel(group_pk)])
            raise

    def _leave(self, group_pk: int) -> None:
        if group_pk in self._groups:
            self._groups.discard(group_pk)
            get_fanout().remove_groups(self, [group_channel(group_pk)])
