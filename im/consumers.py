"""The WebSocket adapter for ``/ws/im/`` (docs/protocol.md): the Hutong protocol's framing.

Parses frames, looks the op up in ``OPS``, runs it through the connection's
``IMSession`` (which holds the login, the instance and the pushes) and answers.
Rules live in ``im/services``, answers and pushes are shaped by ``im.serializers``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from chatsite.directsend import EXTENSION as DIRECT_SEND
from im import frames, params, serializers
from im.errors import (
    INTERNAL_ERROR,
    INVALID_JSON,
    INVALID_PARAMS,
    NOT_LOGGED_IN,
    UNKNOWN_OP,
    IMError,
)
from im.ops import APART, BATCHED, OPS, asks_back_end
from im.serializers import account_login_info, encode_push
from im.services.instances import InstanceKickedOut
from im.sessions import IMSession
from im.timers import Deadline, IdleWatch

logger = logging.getLogger(__name__)

CLOSE_KICKED_OUT = 4001
CLOSE_LOGIN_TIMEOUT = 4401
CLOSE_IDLE = 4408

OpHandler = Callable[["IMConsumer", dict], Awaitable[dict]]


def direct_send(scope: dict[str, Any]) -> Callable[[str | bytes], None] | None:
    """The server's writer of frames straight to this connection's socket
    (``chatsite.directsend``; text for a ``str``, binary for ``bytes``), or None under a
    server without it (plain daphne, Channels' test communicator): then ``send``."""
    extension = (scope.get("extensions") or {}).get(DIRECT_SEND)
    return extension["send"] if extension else None


def close_when_idle(consumer: Any) -> IdleWatch:
    """A client that sent nothing (not even a heartbeat) for IM_IDLE_TIMEOUT is gone:
    its session ends and the socket closes. ``consumer`` is a protocol's consumer that
    stamps ``_last_frame`` (time.monotonic()) on every frame it receives. Cancel the
    watch when the connection closes."""

    async def close() -> None:
        await consumer.session.end()
        await consumer.close(code=CLOSE_IDLE)

    return IdleWatch(settings.IM_IDLE_TIMEOUT, lambda: consumer._last_frame, close)


class IMConsumer(AsyncWebsocketConsumer):
    protocol = serializers.PROTOCOL

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
        self.session = IMSession(self)
        self._direct = direct_send(self.scope)
        self._last_frame = time.monotonic()
        await self.accept()
        self._login_timer = Deadline(settings.IM_LOGIN_TIMEOUT, self._close_unless_logged_in)
        self._watchdog = close_when_idle(self)

    async def disconnect(self, code: int) -> None:
        self._login_timer.cancel()
        self._watchdog.cancel()
        await self.session.end()

    async def _close_unless_logged_in(self) -> None:
        if self.session.account is None:
            await self.close(code=CLOSE_LOGIN_TIMEOUT)

    # --- what the session needs of its connection (``im.sessions.Connection``) ---

    async def write(self, frame: str | bytes) -> None:
        if self._direct is not None:
            self._direct(frame)  # the fan-out's path: framed once for all members
        else:
            await self.send(text_data=frame)

    async def close_kicked_out(self, reason: str) -> None:
        await self.close(code=CLOSE_KICKED_OUT)

    async def im_kick(self, event: dict) -> None:
        """Kicks come to this connection's own channel: they name one connection."""
        await self.session.kick(event["reason"])

    # --- frames ---

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        self._last_frame = time.monotonic()
        if text_data is None:
            await self._answer_error(None, IMError(INVALID_JSON, "frames must be text, not binary"))
            return
        try:
            frame = frames.parse_frame(text_data, max_bytes=settings.IM_MAX_FRAME_BYTES)
        except frames.BadFrame as bad:
            await self._answer_error(bad.request_id, bad.error)
            return
        request_id = frames.request_id(frame)
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

    async def _dispatch(self, frame: dict) -> dict | list:
        op = frame.get("op")
        if not isinstance(op, str) or (op not in SESSION_OPS and op not in OPS):
            raise IMError(UNKNOWN_OP, f"unknown op {op!r}")
        data = frame.get("data", {})
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise IMError(INVALID_PARAMS, "data must be an object")
        account = self.session.account
        if op not in ANONYMOUS_OPS and account is None:
            raise IMError(NOT_LOGGED_IN, f"log in before {op}")
        if op in SESSION_OPS:
            return await SESSION_OPS[op](self, data)
        if op in APART:
            call = self.session.call_apart
        elif asks_back_end(account.app, op):
            call = self.session.call_waiting
        elif op in BATCHED:
            key = BATCHED[op](account, data)
            return await self.session.call_batched(key, OPS[op], account, data, self.channel_name)
        else:
            call = self.session.call
        return await call(OPS[op], account, data, self.channel_name)

    async def _send_json(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content, ensure_ascii=False, separators=(",", ":")))

    async def _answer_error(self, request_id: int | str | None, error: IMError) -> None:
        logger.debug("refused: %r", error)
        await self._send_json({"id": request_id, **error.as_dict()})

    # --- session ops ---

    async def op_login(self, data: dict) -> dict:
        self.session.check_can_open()
        opened = await self.session.open(
            sdkappid=params.get_int(data, "SDKAppID", numeric_str=True),
            user_id=params.get_str(data, "userID"),
            user_sig=params.get_str(data, "userSig"),
            instance_id=params.get_str(data, "instanceID", default=""),
            # The peer's address (the client's, with daphne's --proxy-headers behind a
            # proxy); Channels' test communicator has none.
            address=(self.scope.get("client") or [None])[0],
        )
        self._login_timer.cancel()
        login = opened.login
        return account_login_info(
            login.account, server_time=login.server_time, expires_at=login.usersig.expires_at
        )

    async def op_logout(self, data: dict) -> dict:
        await self.session.end(logout=True)
        self._login_timer = Deadline(settings.IM_LOGIN_TIMEOUT, self._close_unless_logged_in)
        return {}

    async def op_renew_usersig(self, data: dict) -> dict:
        expires_at = await self.session.renew(params.get_str(data, "userSig"))
        return {"userSigExpireTime": expires_at, "serverTime": int(time.time())}

    async def op_heartbeat(self, data: dict) -> dict:
        return {"serverTime": int(time.time())}


SESSION_OPS: dict[str, OpHandler] = {
    "login": IMConsumer.op_login,
    "logout": IMConsumer.op_logout,
    "heartbeat": IMConsumer.op_heartbeat,
    "renewUserSig": IMConsumer.op_renew_usersig,
}
ANONYMOUS_OPS = frozenset({"login", "heartbeat"})
