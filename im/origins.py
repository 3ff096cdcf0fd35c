"""Which web pages may open a socket to Hutong: the site's own, and ``IM_ALLOWED_ORIGINS``.

A browser names the page that opens a WebSocket in its ``Origin`` header and cannot be
made to lie about it, so a page on an origin the operator did not list is refused
before any frame is read: otherwise any site a signed-in user visits could open a
socket with a sig it obtained elsewhere (or, through DNS rebinding, reach a server on
loopback). The ``Host`` it asked for must be one of ``ALLOWED_HOSTS``, as for HTTP.

A handshake with no ``Origin`` comes from no browser (a native app, an app's back end,
the bench): it is let through and authenticates by UserSig like any other.

A refused handshake is accepted, answered with one frame saying why (code 4403) and
closed with 4403, because a browser shows a page nothing of a refused HTTP upgrade
(only 1006), while a frame and a close code reach its ``onmessage`` and ``onclose``.
"""

from __future__ import annotations

import json
import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.http.request import split_domain_port, validate_host

logger = logging.getLogger(__name__)

CLOSE_ORIGIN_REFUSED = 4403


def normalize_origin(value: str) -> str | None:
    """``scheme://host[:port]`` in lower case with the scheme's default port left out,
    or None if ``value`` is no such origin (``null``, a path, another scheme...)."""
    try:
        parts = urlsplit(value.strip().lower())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    default = 443 if parts.scheme == "https" else 80
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


@register(Tags.security)
def check_allowed_origins(**kwargs) -> list[Error]:
    """``manage.py check`` (and ``migrate``) name an entry that is not an origin."""
    return [
        Error(
            f"IM_ALLOWED_ORIGINS: {entry!r} is not a web origin",
            hint="Give scheme://host[:port], e.g. https://shop.example.com, comma-separated.",
            id="im.E001",
        )
        for entry in settings.IM_ALLOWED_ORIGINS
        if normalize_origin(entry) is None
    ]


def _header(scope: dict, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def refusal(scope: dict) -> str | None:
    """Why a WebSocket handshake (or an upload, ``im.uploadapp``) with this ASGI scope is
    refused, or None to let it in."""
    origin_header = _header(scope, b"origin")
    if origin_header is None:
        return None
    host = _header(scope, b"host") or ""
    domain, _port = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return f"host {host!r} is not one of this server's ALLOWED_HOSTS"
    origin = normalize_origin(origin_header)
    if origin is None:
        return f"origin {origin_header!r} is not a web origin"
    if _is_own(origin, host):
        return None
    if origin in {normalize_origin(allowed) for allowed in settings.IM_ALLOWED_ORIGINS}:
        return None
    return f"origin {origin} is not allowed to connect (IM_ALLOWED_ORIGINS)"


def cross_origin(scope: dict) -> str | None:
    """For a request ``refusal`` has let in: the origin of the page on another site that
    sent it (to be named in CORS headers), or None: no ``Origin``, or the site's own
    page."""
    origin_header = _header(scope, b"origin")
    if origin_header is None:
        return None
    origin = normalize_origin(origin_header)
    if origin is None or _is_own(origin, _header(scope, b"host") or ""):
        return None
    return origin_header.strip()


def _is_own(origin: str, host: str) -> bool:
    """A page of this server: its origin names the host it asked for. The scheme is the
    page's (https behind a proxy that ends TLS, while daphne sees http or ws)."""
    return origin == normalize_origin(f"{urlsplit(origin).scheme}://{host}")


class OriginValidator:
    """ASGI middleware for the WebSocket routes: see the module's docstring."""

    def __init__(self, application) -> None:
        self.application = application

    async def __call__(self, scope: dict, receive, send) -> None:
        reason = refusal(scope)
        if reason is None:
            return await self.application(scope, receive, send)
        logger.info("WebSocket refused: %s", reason)
        message = await receive()
        if message["type"] != "websocket.connect":
            return None
        await send({"type": "websocket.accept"})
        # daphne sends no close reason, so the reason comes as an answer frame first.
        answer = {"id": None, "code": CLOSE_ORIGIN_REFUSED, "message": reason}
        await send({"type": "websocket.send", "text": json.dumps(answer)})
        await send({"type": "websocket.close", "code": CLOSE_ORIGIN_REFUSED})
        return None
