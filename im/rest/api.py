"""The REST commands' registry and the shapes every answer shares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from im.errors import INVALID_PARAMS, IMError
from im.models import Account, App


@dataclass(frozen=True)
class Caller:
    """Who a request acts for: the app, and the administrator account that signed it."""

    app: App
    admin: Account


Handler = Callable[[Caller, dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Command:
    handler: Handler
    # TIM gives each service its own "invalid parameter" number; a field error raised
    # with the shared code (im.params) is answered with this one.
    invalid_code: int


COMMANDS: dict[tuple[str, str], Command] = {}


def command(service: str, name: str, *, invalid_code: int) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        COMMANDS[(service, name)] = Command(handler, invalid_code)
        return handler

    return register


def answer(fields: dict[str, Any] | None = None) -> dict[str, Any]:
    """A successful answer: TIM's three status fields first, then the command's."""
    return {"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": "", **(fields or {})}


def failure(code: int, info: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"ActionStatus": "FAIL", "ErrorCode": code, "ErrorInfo": info, **(fields or {})}


def as_command_error(error: IMError, command: Command) -> IMError:
    if error.code == INVALID_PARAMS:
        return IMError(command.invalid_code, error.message)
    return error


def items(body: dict[str, Any], name: str, *, most: int, code: int) -> list[Any]:
    """A non-empty array field of at most ``most`` items (TIM's per-call limits)."""
    value = body.get(name)
    if not isinstance(value, list) or not value:
        raise IMError(code, f"{name} must be a non-empty array")
    if len(value) > most:
        raise IMError(code, f"{name} has {len(value)} items; at most {most} in one request")
    return value
