"""The WebSocket adapter for ``/tim/binfo`` and ``/tim/info``: TIM's wire protocol, as
Tencent's ``tim-js-sdk`` speaks it (docs/tim-sdk.md).

A framing adapter over the same ``IMSession`` as ``/ws/im/``: it reads a frame
(``codec``), answers the session's own commands here (heartbeats, login by UserSig or
by A2 ticket, logout) and runs every other through the servcmd's command
(``commands``) in the session. Rules live in ``im/services``; replies and pushes are
shaped by ``serializers`` and ``pushes``.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from im.consumers import CLOSE_KICKED_OUT, close_when_idle, direct_send
from im.errors import (
    ALREADY_LOGGED_IN,
    INTERNAL_ERROR,
    INVALID_PARAMS,
    NOT_LOGGED_IN,
    USERSIG_EMPTY,
    USERSIG_MALFORMED,
    IMError,
)
from im.models import Account
from im.services.instances import InstanceKickedOut
from im.services.tickets import issue_ticket
from im.sessions import IMSession
from im.timwire import PROTOCOL, codec
from im.timwire.commands import COMMANDS, Call, refuse, unsupported
from im.timwire.pushes import KICK_TYPES
from im.usersig import verify_usersig

logger = logging.getLogger(__name__)


# How often the SDK says hello while logged in (its default is 120 s); within the
# idle timeout, so a logged-in SDK is never closed as silent.
HELLO_INTERVAL = 30
# TIM's "kicked out" reply code: the SDK reads KickType beside it.
KICKED_REPLY = 1002
MAX_INSTANCE_ID = 64

SessionCommand = Callable[["TIMConsumer", codec.Request], Awaitable[dict[str, Any]]]


@functools.lru_cache(maxsize=8)
def _wire(frame: str | bytes, binary: bool) -> str | bytes:
    """A frame as this route sends it. Cached: a group push reaches all of a process's
    members one after another, so it is converted (and compressed) once, and is the one
    object whose WebSocket frame ``chatsite.directsend`` builds once."""
    text = frame if isinstance(frame, str) else frame.decode()
    return codec.to_wire(text, binary=binary)


class TIMConsumer(AsyncWebsocketConsumer):
    protocol = PROTOCOL

    async def dispatch(self, message: dict) -> None:
        """Channels' dispatch less its per-message database hop (see ``IMConsumer``)."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"no handler for message type {message['type']}")
        await handler(message)

    async def connect(self) -> None:
        # /binfo: binary frames both ways; /info (the SDK's devMode): text.
        self.binary = self.scope["path"].rstrip("/").endswith("binfo")
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        self.instance_id = (query.get("instanceid") or [""])[0][:MAX_INSTANCE_ID]
        self.sdkappid = (query.get("sdkappid") or [""])[0]
        self.origin = _origin(self.scope)
        self.session = IMSession(self)
        self._direct = direct_send(self.scope)
        self.ticket = ""
        self._last_frame = time.monotonic()
        await self.accept()
        # No login deadline: the SDK opens its socket at TIM.create, long before it
        # logs in, and keeps it between logins; it says hello every 10 s meanwhile.
        self._watchdog = close_when_idle(self)

    async def disconnect(self, code: int) -> None:
        self._watchdog.cancel()
        await self.session.end()

    # --- what the session needs of its connection (``im.sessions.Connection``) ---

    async def write(self, frame: str | bytes) -> None:
        if not frame:  # an event the SDK has no push for
            return
        data = _wire(frame, self.binary)
        if self._direct is not None:
            self._direct(data)  # the fan-out's path: framed once for all members
        elif isinstance(data, bytes):
            await self.send(bytes_data=data)
        else:
            await self.send(text_data=data)

    async def close_kicked_out(self, reason: str) -> None:
        self.ticket = ""
        if reason in KICK_TYPES:
            # Told by a push, the SDK logs out over this socket (wslogout) and only once
            # that is answered reports KICKED_OUT; then it keeps the socket for its next
            # login. Closed now, its logout would wait for a reconnect instead, and the
            # kick be reported late or not at all.
            return
        # A kick with no push (the UserSig expired): the SDK learns of it when its
        # re-login by A2 is refused.
        await self.close(code=CLOSE_KICKED_OUT)

    async def im_kick(self, event: dict) -> None:
        await self.session.kick(event["reason"])

    # --- frames ---

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        self._last_frame = time.monotonic()
        data = bytes_data if bytes_data is not None else text_data or ""
        try:
            request = codec.parse(data, binary=self.binary, max_bytes=settings.IM_MAX_FRAME_BYTES)
        except codec.BadFrame as bad:
            logger.debug("bad frame: %s", bad.error.message)
            await self._reply(bad.head, codec.error_body(bad.error))
            return
        servcmd = request.servcmd
        if servcmd == ACK:
            return  # fire-and-forget: the SDK expects no answer and would take one for a push
        try:
            body = await self._run(request)
        except InstanceKickedOut as kicked:
            extra = {"KickType": KICK_TYPES[kicked.reason]} if kicked.reason in KICK_TYPES else {}
            await self._reply(request.head, codec.error_body(kicked, **extra))
            return
        except IMError as error:
            logger.debug("refused %s: %r", servcmd, error)
            await self._reply(request.head, codec.error_body(error))
            return
        except Exception:
            logger.exception("servcmd %r failed", servcmd)
            error = IMError(INTERNAL_ERROR, "internal server error")
            await self._reply(request.head, codec.error_body(error))
            return
        await self._reply(request.head, codec.ok(body))

    async def _reply(self, head: dict[str, Any], body: dict[str, Any]) -> None:
        await self.write(codec.dumps({"head": codec.reply_head(head), "body": body}))

    async def _run(self, request: codec.Request) -> dict[str, Any]:
        servcmd = request.servcmd
        session_command = SESSION_COMMANDS.get(servcmd)
        if session_command is not None:
            return await session_command(self, request)
        found = COMMANDS.get(servcmd)
        account = self.session.account
        if found is None:
            answer = unsupported(servcmd)
            if answer.code:
                raise refuse(answer, servcmd or "an empty servcmd")
            return dict(answer.body)
        if found.by_usersig:
            self._check_signed_in_by_usersig(request)
        elif not found.anonymous:
            if account is None and request.head.get("a2"):
                account = await self._resume(request.head)
            self._check_signed_in(request)
        call = Call(
            account=account,
            body=request.body,
            channel=self.channel_name,
            head=request.head,
            origin=self.origin,
        )
        first = found.first(call) if found.first is not None else None
        if first is not None:
            await self.session.call_apart(first, call)
        if account is not None and found.asks_back_end(account.app):
            return await self.session.call_waiting(found.handler, call)
        if account is not None and found.batched is not None:
            return await self.session.call_batched(found.batched(call), found.handler, call)
        return await self.session.call(found.handler, call)

    def _check_signed_in(self, request: codec.Request) -> None:
        """A request after login names the session by its ``a2`` ticket (and tinyid)."""
        if self.session.account is None:
            raise IMError(NOT_LOGGED_IN, f"log in before {request.servcmd}")
        a2 = request.head.get("a2")
        if not a2:
            raise IMError(NOT_LOGGED_IN, "the request carries no a2 ticket")
        if a2 != self.ticket:
            raise IMError(NOT_LOGGED_IN, "the a2 ticket is not this connection's session")

    def _check_signed_in_by_usersig(self, request: codec.Request) -> None:
        """A request the SDK names its session by ``identifier`` + ``usersig`` (its COS
        requests: no a2): the sig must be the logged-in account's, live, made with the
        app's key as it is now."""
        account = self.session.account
        if account is None:
            raise IMError(NOT_LOGGED_IN, f"log in before {request.servcmd}")
        head = request.head
        if head.get("identifier") != account.user_id:
            raise IMError(NOT_LOGGED_IN, "identifier is not this connection's account")
        user_sig = head.get("usersig")
        if not isinstance(user_sig, str) or not user_sig:
            raise IMError(USERSIG_EMPTY, f"{request.servcmd} names its session by usersig")
        app = account.app
        verify_usersig(
            user_sig,
            sdkappid=app.sdkappid,
            secret_key=app.secret_key,
            user_id=account.user_id,
        )

    # --- the session's commands ---

    async def cmd_alive(self, request: codec.Request) -> dict[str, Any]:
        return {}

    async def cmd_hello(self, request: codec.Request) -> dict[str, Any]:
        if self.session.account is not None:
            self._check_signed_in(request)
        return {}

    async def cmd_login(self, request: codec.Request) -> dict[str, Any]:
        head = request.head
        user_sig = head.get("usersig") or ""
        ticket = head.get("a2") or ""
        address = (self.scope.get("client") or [None])[0]
        if self.session.account is not None:
            if ticket and ticket == self.ticket:
                return self._login_reply()  # the same session, asked again
            raise IMError(ALREADY_LOGGED_IN, f"already logged in as {self.session.account.user_id}")
        if user_sig:
            opened = await self.session.open(
                sdkappid=_int(head.get("sdkappid", self.sdkappid), "sdkappid"),
                user_id=_str(head.get("identifier"), "identifier"),
                user_sig=_str(user_sig, "usersig"),
                instance_id=self.instance_id,
                address=address,
            )
            login = opened.login
            self.ticket = issue_ticket(
                account=login.account, instance_id=self.instance_id, usersig=login.usersig
            )
        elif ticket:
            await self._resume(head)
        else:
            raise IMError(USERSIG_EMPTY, "log in with identifier and usersig, or a2 and tinyid")
        return self._login_reply()

    async def _resume(self, head: dict[str, Any]) -> Account:
        """Log this connection in by the request's A2 ticket. The SDK sends its re-login
        so, and, on a new socket, resends what was pending before it: each request
        names its session by the ticket, so whichever comes first resumes it."""
        tiny = str(head.get("tinyid", ""))
        if not (tiny.isascii() and tiny.isdigit() and len(tiny) <= 19):
            raise IMError(USERSIG_MALFORMED, "tinyid must be the login's TinyId")
        ticket = _str(head.get("a2"), "a2")
        opened = await self.session.resume(
            ticket=ticket,
            account_pk=int(tiny),
            address=(self.scope.get("client") or [None])[0],
        )
        self.ticket = ticket
        return opened.login.account

    def _login_reply(self) -> dict[str, Any]:
        account = self.session.account
        return {
            "A2Key": self.ticket,
            "TinyId": str(account.pk),
            "HelloInterval": HELLO_INTERVAL,
            "InstId": _instance_number(self.instance_id),
            "TimeStamp": int(time.time()),
        }

    async def cmd_logout(self, request: codec.Request) -> dict[str, Any]:
        if self.session.account is not None:
            self._check_signed_in(request)
        await self.session.end(logout=True)
        self.ticket = ""
        return {}


def _origin(scope: dict[str, Any]) -> str:
    """The server's origin as the client reached it: the handshake's Host, and https
    behind TLS (daphne's ``--proxy-headers`` makes a proxy's ``wss`` the scope's)."""
    headers = dict(scope.get("headers") or [])
    host = headers.get(b"host", b"").decode("latin-1")
    if not host:
        server = scope.get("server") or ("localhost", None)
        host = f"{server[0]}:{server[1]}" if server[1] else str(server[0])
    return f"{'https' if scope.get('scheme') == 'wss' else 'http'}://{host}"


def _str(value: object, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise IMError(INVALID_PARAMS, f"{name} must be a non-empty string")
    return value


def _int(value: object, name: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        return int(value)
    raise IMError(INVALID_PARAMS, f"{name} must be a number")


def _instance_number(instance_id: str) -> int:
    """``InstId``: the SDK echoes it as ``status_instid``; a number from its instance."""
    try:
        return int(instance_id[:12], 16)
    except ValueError:
        return 0


ACK = "openim.ws_msg_push_ack"
SESSION_COMMANDS: dict[str, SessionCommand] = {
    "heartbeat.alive": TIMConsumer.cmd_alive,
    "im_open_status.wshello": TIMConsumer.cmd_hello,
    "im_open_status.wslogin": TIMConsumer.cmd_login,
    "im_open_status.wslogout": TIMConsumer.cmd_logout,
}
