"""The one HTTP view of the REST API: authenticate, limit, parse, run one command,
answer in TIM's envelope (always HTTP 200 with ``ActionStatus``, as TIM does, but for
another method than POST)."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from im import buckets, frames
from im.errors import INTERNAL_ERROR, INVALID_JSON, IMError
from im.rest import commands  # noqa: F401  (registers the commands)
from im.rest.api import COMMANDS, Caller, answer, as_command_error, failure
from im.rest.auth import authenticate
from im.rest.codes import HTTP_PARSE_ERROR, NOT_FOUND, RATE_LIMITED

logger = logging.getLogger(__name__)


@csrf_exempt
def v4(request: HttpRequest, service: str, name: str) -> JsonResponse:
    if request.method != "POST":
        return _respond(failure(HTTP_PARSE_ERROR, "the REST API takes POST requests"), 405)
    try:
        caller = authenticate(request.GET)
        found = COMMANDS.get((service, name))
        if found is None:
            raise IMError(NOT_FOUND, f"there is no command {service}/{name}")
        _check_rate(caller, service, name)
        try:
            fields = found.handler(caller, _body(request))
        except IMError as error:
            raise as_command_error(error, found) from None
    except IMError as error:
        return _respond(failure(error.code, error.message))
    except Exception:
        logger.exception("REST %s/%s failed", service, name)
        return _respond(failure(INTERNAL_ERROR, "internal error; the request may be retried"))
    return _respond(answer(fields))


def _check_rate(caller: Caller, service: str, name: str) -> None:
    """TIM's per-app limit on each command (200 calls a second by default)."""
    rate = settings.IM_REST_RATE
    key = f"rest:{caller.app.pk}:{service}/{name}"
    if rate and not buckets.take(key, rate=rate, burst=rate):
        raise IMError(RATE_LIMITED, f"{service}/{name} is limited to {rate} calls a second")


def _body(request: HttpRequest) -> dict[str, Any]:
    limit = settings.IM_REST_MAX_BODY_BYTES
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > limit:
        raise IMError(HTTP_PARSE_ERROR, f"the request body must be at most {limit} bytes")
    try:
        text = request.body.decode()
    except UnicodeDecodeError:
        raise IMError(INVALID_JSON, "the request body is not UTF-8") from None
    try:
        return frames.parse_frame(text, max_bytes=limit)
    except frames.BadFrame as bad:
        if bad.error.code == INVALID_JSON:  # in the request's words, not a frame's
            raise IMError(INVALID_JSON, "the request body must be a JSON object") from None
        raise bad.error from None


def _respond(body: dict[str, Any], status: int = 200) -> JsonResponse:
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
