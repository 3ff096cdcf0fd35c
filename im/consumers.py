"""The WebSocket adapter for ``/ws/im/`` (docs/protocol.md).

Parses frames, looks the op up in ``OPS``, runs one service call in a worker
thread and answers. Rules live in ``im/services``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from im import params
from im.errors import (
    ALREADY_LOGGED_IN,
    FRAME_TOO_LARGE,
    INVALID_JSON,
    INVALID_PARAMS,
    NOT_LOGGED_IN,
    UNKNOWN_OP,
    IMError,
)
from im.events import account_group, call_deferring_sends, deliver, encode_push, group_channel
from im.fanout import get_fanout
from im.models import Account
from im.ops import OPS, run_op
from im.serializers import account_login_info
from im.services.instances import (
    KICKED_USERSIG_EXPIRED,
    InstanceKickedOut,
    check_open_session,
    do_unregister_instance,
)

logger = logging.getLogger(__name__)

CLOSE_KICKED_OUT = 4001
CLOSE_LOGIN_TIMEOUT = 4401
CLOSE_IDLE = 4408
INTERNAL_ERROR = 70500

OpHandler = Callable[["IMConsumer", dict], Awaitable[dict]]


class IMConsumer(AsyncWebsocketConsumer):
    account: Account | None = None

    async def dispatch(self, message: dict) -> None:
        """Channels' dispatch, less its ``aclose_old_connections()`` before every handler.

        That call is a hop into the one database thread for every frame and every push;
        the ops already run in ``database_sync_to_async``, which closes stale connections
        around each call, so pushes need not queue behind the database.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"no handler for message type {message['type']}")
        await handler(message)

    async def connect(self) -> None:
        self.account = None
        self._groups: set[int] = set()  # IM groups whose channel groups this connection is in
        self._expiry_timer: asyncio.Task | None = None
        self._last_frame = time.monotonic()
        await self.accept()
        self._login_timer = asyncio.create_task(self._close_unless_logged_in())
        self._watchdog = asyncio.create_task(self._close_when_idle())

    async def disconnect(self, code: int) -> None:
        self._login_timer.cancel()
        self._watchdog.cancel()
        await self._end_session()

    async def _end_session(self, *, logout: bool = False) -> None:
        """Stop the account's pushes to this connection and tell the instance registry."""
        if self.account is None:
            return
        account, self.account = self.account, None
        if self._expiry_timer is not None:
            self._expiry_timer.cancel()
            self._expiry_timer = None
        await get_fanout().unsubscribe(self, self._listening(account))
        self._groups = set()
        await database_sync_to_async(do_unregister_instance)(
            channel_name=self.channel_name, logout=logout
        )

    def _listening(self, account: Account) -> list[str]:
        """The layer groups whose pushes this connection takes: its account's and its IM groups'."""
        return [account_group(account.pk), *(group_channel(pk) for pk in self._groups)]

    async def _close_unless_logged_in(self) -> None:
        await asyncio.sleep(settings.IM_LOGIN_TIMEOUT)
        if self.account is None:
            await self.close(code=CLOSE_LOGIN_TIMEOUT)

    async def _close_when_idle(self) -> None:
        """A client that sent nothing (not even a heartbeat) for IM_IDLE_TIMEOUT is gone."""
        timeout = settings.IM_IDLE_TIMEOUT
        while True:
            silent = time.monotonic() - self._last_frame
            if silent >= timeout:
                await self._end_session()
                await self.close(code=CLOSE_IDLE)
                return
            await asyncio.sleep(timeout - silent)

    async def _expire_sig(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0))
        await self._kicked_out(KICKED_USERSIG_EXPIRED)

    async def _kicked_out(self, reason: str) -> None:
        if self.account is None:
            return
        await self.send(text_data=encode_push("KICKED_OUT", {"type": reason}))
        timer, self._expiry_timer = self._expiry_timer, None
        if timer is not None and timer is not asyncio.current_task():
            timer.cancel()
        await self._end_session()
        await self.close(code=CLOSE_KICKED_OUT)

    # --- frames ---

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        self._last_frame = time.monotonic()
        if text_data is None:
            await self._answer_error(None, IMError(INVALID_JSON, "frames must be text, not binary"))
            return
        if len(text_data) * 4 > settings.IM_MAX_FRAME_BYTES:  # cheap bound before encoding
            size = len(text_data.encode())
            if size > settings.IM_MAX_FRAME_BYTES:
                await self._answer_error(
                    None,
                    IMError(
                        FRAME_TOO_LARGE,
                        f"frame is {size} bytes; the limit is {settings.IM_MAX_FRAME_BYTES}",
                    ),
                )
                return
        try:
            frame = json.loads(text_data)
        except ValueError:
            await self._answer_error(None, IMError(INVALID_JSON, "frame is not valid JSON"))
            return
        if not isinstance(frame, dict):
            await self._answer_error(None, IMError(INVALID_JSON, "frame must be a JSON object"))
            return
        request_id = frame.get("id")
        if not isinstance(request_id, (int, str)) or isinstance(request_id, bool):
            request_id = None
        try:
            data = await self._dispatch(frame)
        except IMError as error:
            await self._answer_error(request_id, error)
            if isinstance(error, InstanceKickedOut):
                await self.close(code=CLOSE_KICKED_OUT)
            return
        except Exception:
            logger.exception("op %r failed", frame.get("op"))
            await self._answer_error(request_id, IMError(INTERNAL_ERROR, "internal server error"))
            return
        await self._send_json({"id": request_id, "code": 0, "data": data})
        if frame.get("op") == "login":
            await self.send(text_data=encode_push("SDK_READY", None))

    async def _dispatch(self, frame: dict) -> dict:
        op = frame.get("op")
        if not isinstance(op, str) or (op not in SESSION_OPS and op not in OPS):
            raise IMError(UNKNOWN_OP, f"unknown op {op!r}")
        data = frame.get("data", {})
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise IMError(INVALID_PARAMS, "data must be an object")
        if op not in ANONYMOUS_OPS and self.account is None:
            raise IMError(NOT_LOGGED_IN, f"log in before {op}")
        if op in SESSION_OPS:
            return await SESSION_OPS[op](self, data)
        result, sends = await database_sync_to_async(run_op)(
            op, self.account, data, self.channel_name
        )
        await deliver(sends)
        return result

    async def _send_json(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content, ensure_ascii=False, separators=(",", ":")))

    async def _answer_error(self, request_id: int | str | None, error: IMError) -> None:
        logger.debug("refused: %r", error)
        await self._send_json({"id": request_id, **error.as_dict()})

    # --- pushes ---

    async def take(self, message: dict) -> None:
        """A push for this connection's account or one of its IM groups (``im.fanout``)."""
        if self.account is None:
            return
        if message["type"] == "im.join":
            group_pk = message["group_pk"]
            if group_pk not in self._groups:
                self._groups.add(group_pk)
                try:
                    await get_fanout().add_groups(self, [group_channel(group_pk)])
                except Exception:
                    # No GROUP_JOINED then: the client learns of the group from its list.
                    self._groups.discard(group_pk)
                    get_fanout().remove_groups(self, [group_channel(group_pk)])
                    raise
            await self.send(text_data=message["text"])
        elif message.get("exclude") != self.channel_name:
            if message.get("author_id") == self.account.pk:
                await self.send(text_data=message["author_text"])
            else:
                await self.send(text_data=message["text"])

    async def im_kick(self, event: dict) -> None:
        """Kicks come to this connection's own channel: they name one connection."""
        await self._kicked_out(event["reason"])

    # --- session ops ---

    async def op_login(self, data: dict) -> dict:
        if self.account is not None:
            raise IMError(ALREADY_LOGGED_IN, f"already logged in as {self.account.user_id}")
        try:
            session, kicks = await database_sync_to_async(call_deferring_sends)(
                check_open_session,
                sdkappid=params.get_int(data, "SDKAppID", numeric_str=True),
                user_id=params.get_str(data, "userID"),
                user_sig=params.get_str(data, "userSig"),
                channel_name=self.channel_name,
                instance_id=params.get_str(data, "instanceID", default=""),
            )
        except InstanceKickedOut as kicked:
            # The push first: a client that reads it knows why the login failed.
            await self.send(text_data=encode_push("KICKED_OUT", {"type": kicked.reason}))
            raise
        account = session.login.account
        self.account = account
        self._groups = set(session.group_pks)
        try:
            await get_fanout().subscribe(self, self._listening(account))
        except Exception:
            # Not hearing pushes, so not logged in: undo the registration; the client
            # may try again (the answer is an internal error).
            await self._end_session(logout=True)
            raise
        await deliver(kicks)
        self._login_timer.cancel()
        expires_at = session.login.usersig.expires_at
        self._expiry_timer = asyncio.create_task(self._expire_sig(expires_at - time.time()))
        return account_login_info(
            account, server_time=session.login.server_time, expires_at=expires_at
        )

    async def op_logout(self, data: dict) -> dict:
        await self._end_session(logout=True)
        self._login_timer = asyncio.create_task(self._close_unless_logged_in())
        return {}

    async def op_heartbeat(self, data: dict) -> dict:
        return {"serverTime": int(time.time())}


SESSION_OPS: dict[str, OpHandler] = {
    "login": IMConsumer.op_login,
    "logout": IMConsumer.op_logout,
    "heartbeat": IMConsumer.op_heartbeat,
}
ANONYMOUS_OPS = frozenset({"login", "heartbeat"})
