"""TIM's commands, by servcmd (``service.command``): one module per TIM service.

A command reads its body's TIM keys, calls one service or selector and returns the
reply's body (TIM's keys; ``codec.ok`` adds ActionStatus/ErrorCode/ErrorInfo), or raises
``IMError``. It runs in the database thread like a ``/ws/im/`` op (``IMSession.call``);
the session commands (login, logout, heartbeats) live in the consumer.

To add one::

    from im.timwire.commands import Call, command

    @command("group_open_http_svc.create_group")
    def create_group(call: Call) -> dict[str, Any]:
        view = groups.check_create_group(owner=call.account, ...)
        return {"GroupId": view.group.group_id}

and import its module in ``load()`` below (``ImConfig.ready`` calls it in every process,
so pushes registered beside a command module are loaded everywhere too).
``anonymous=True`` answers it before login too (``call.account`` is then None);
``asking=(hooks.X,)`` names the app's before-callbacks it may wait for, as
``im.ops.ASKING`` does; ``first=pick`` names long, CPU-bound work some of its requests
need before it (an image's upload decoded by Pillow): ``pick(call)`` returns a handler
to run in a thread of its own first (``IMSession.call_apart``, as ``im.ops.APART``), or
None when the request needs none; ``batched=key`` commits it with the other sends of
the moment (``IMSession.call_batched``, as ``im.ops.BATCHED``; ``key(call)``: the
conversation it locks); ``by_usersig=True``: the SDK names the session by
its UserSig (``identifier`` + ``usersig``, as it does for TIM's COS services), not by
its ``a2`` ticket.

Servcmds no module registers are answered by ``UNSUPPORTED`` (documented per command in
docs/tim-sdk.md): an empty success where the SDK asks on its own and an empty answer is
true for Hutong, a TIM error code where the feature is missing; an unknown servcmd gets
60002. Nothing goes unanswered but the push ack, which the SDK sends expecting no reply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from im.errors import IMError
from im.groupcommit import Key
from im.models import Account, App

Body = dict[str, Any]


@dataclass(frozen=True)
class Call:
    """One request, as a command gets it."""

    account: Account  # None only for ``anonymous`` commands before login
    body: Body
    channel: str  # the connection's channel: the ``origin_channel`` of services
    head: Body = field(default_factory=dict)
    # The server as this connection reached it (``https://host``): links a reply hands
    # out must be absolute, the SDK's page being on another site.
    origin: str = ""


Handler = Callable[[Call], Body]
# Picks the work a request needs done apart before its command (None: none).
FirstPick = Callable[[Call], Handler | None]
# The conversation a batched command locks (``im.groupcommit.conversation_key``).
BatchKey = Callable[[Call], Key]


@dataclass(frozen=True)
class Command:
    handler: Handler
    anonymous: bool = False
    asking: tuple[str, ...] = ()  # the app's before-callbacks it may wait for
    first: FirstPick | None = None
    by_usersig: bool = False
    batched: BatchKey | None = None

    def asks_back_end(self, app: App) -> bool:
        wanted = app.callback_commands if app.callback_url else ()
        return any(name in wanted for name in self.asking)


COMMANDS: dict[str, Command] = {}


def command(
    servcmd: str,
    *,
    anonymous: bool = False,
    asking: tuple[str, ...] = (),
    first: FirstPick | None = None,
    by_usersig: bool = False,
    batched: BatchKey | None = None,
) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        if servcmd in COMMANDS:
            raise ValueError(f"{servcmd} is registered twice")
        COMMANDS[servcmd] = Command(
            handler,
            anonymous=anonymous,
            asking=asking,
            first=first,
            by_usersig=by_usersig,
            batched=batched,
        )
        return handler

    return register


@dataclass(frozen=True)
class Unsupported:
    """How a servcmd Hutong does not implement is answered: an empty success with
    ``body`` (``code`` 0), or refused with TIM's ``code``."""

    code: int = 0
    body: Body = field(default_factory=dict)
    info: str = ""


def unsupported(servcmd: str) -> Unsupported:
    """The answer to a servcmd no command module registers."""
    from im.timwire.commands.unsupported import UNKNOWN, UNSUPPORTED

    return UNSUPPORTED.get(servcmd, UNKNOWN)


def refuse(answer: Unsupported, servcmd: str) -> IMError:
    return IMError(answer.code, answer.info or f"Hutong does not support {servcmd}")


def load() -> None:
    """Import every command module (each registers its commands)."""
    from im.timwire.commands import (  # noqa: F401
        c2c,
        config,
        conversations,
        groups,
        profiles,
        uploads,
    )
