"""The file system default's upload endpoint: ``PUT /im/uploads/?t=<token>``, a raw ASGI
app in front of Django (``chatsite.asgi``).

Django's ASGI handler would spool the whole body into a temporary file on the event
loop before any view runs, and the view would then copy it into the store, on the one
thread every op's database work shares. Here the token and the upload's limits are
checked as soon as the request's head is in, before any body message is read; then
each body chunk goes to the stored file as it is received (``storage.receive_local``),
refused the moment it passes what was announced, and a client that goes away or a
failure leaves nothing stored. The answers: 200 (as an object store answers a PUT;
Tencent's upload plugin takes no other), 403 for a bad or expired link, 400 with the
JSON error of ``check_receive_upload`` or ``Receiving``, 404 with an S3 store (uploads
go to the store itself), 405 for another method.

Note: daphne (Twisted) receives a request's whole body before it starts the
application, so under daphne a refused upload has already crossed the network; an ASGI
server that streams request bodies (uvicorn, hypercorn) refuses it before it is sent.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.core import signing

from im import origins, storage
from im.errors import IMError
from im.pacing import PACER
from im.services.uploads import Receiving, check_receive_upload

Scope = dict[str, Any]
# daphne hands the body over in pieces of its request_buffer_size (8 KiB by default, 256
# KiB as chatsite.serve runs it); the file gets writes of at least 64 KiB (im.storage's
# LocalUpload says why they are made inline).
WRITE_SIZE = 64 * 1024


class UploadApp:
    """``inner`` (Django) for everything but the upload path."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == storage.UPLOAD_PATH:
            await upload(scope, receive, send)
        else:
            await self.inner(scope, receive, send)


async def upload(scope: Scope, receive: Any, send: Any) -> None:
    # A page on another site uploads here too (docs/embedding.md): its browser asks
    # first (OPTIONS) and reads the answer only with CORS headers naming its origin.
    # django-cors-headers cannot help, as this app runs before Django's middleware.
    refused = origins.refusal(scope)
    if refused is not None:
        message = {"code": origins.CLOSE_ORIGIN_REFUSED, "message": refused}
        await _answer(send, 403, message)
        return
    send = _with_headers(send, _cors_headers(scope))
    if scope["method"] == "OPTIONS":
        await _preflight(send)
        return
    if scope["method"] != "PUT":
        await _answer(send, 405, {"code": 405, "message": "PUT the file"}, [(b"allow", b"PUT")])
        return
    if storage.is_s3():
        await _answer(send, 404, {"code": 404, "message": "uploads go to the object store"})
        return
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    try:
        key = storage.upload_key(query.get("t", [""])[0])
    except signing.BadSignature:
        await _answer(send, 403, {"code": 403, "message": "the upload link is invalid or expired"})
        return
    headers = dict(scope["headers"])
    length = headers.get(b"content-length")
    try:
        receiving = await database_sync_to_async(check_receive_upload)(
            key=key, length=length.decode("latin-1") if length is not None else None
        )
    except IMError as error:
        await _answer(send, 400, error.as_dict())
        return
    try:
        received = await _receive_into(receiving, receive)
    except IMError as error:
        await _answer(send, 400, error.as_dict())
        return
    if received is None:  # the client went away: no one to answer
        return
    # 200 as an object store answers a PUT: Tencent's upload plugin takes nothing else.
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def _receive_into(receiving: Receiving, receive: Any) -> int | None:
    """Write the body to the upload's file as it arrives; the byte count, or None if the
    client disconnected. Anything but a whole body leaves no file."""
    target = storage.receive_local(receiving.key)
    committed = False
    try:
        pending = bytearray()
        received = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            received += len(chunk)
            receiving.check_received(received)
            more = message.get("more_body", False)
            # daphne queues a whole body at once, so receive() never waits: the pacer
            # spreads the writes over turns of the loop when other uploads or reads
            # have spent this one's share, so the chat on the loop is not held up.
            await PACER.write(len(chunk))
            if not pending and (len(chunk) >= WRITE_SIZE or not more):
                target.write(chunk)  # a piece large enough as it is: no copy
            else:
                pending += chunk
                if len(pending) >= WRITE_SIZE or not more:
                    target.write(pending)
                    pending.clear()
            if not more:
                break
        receiving.check_complete(received)
        target.commit()
        committed = True
        return received
    finally:
        # Refused, disconnected, cancelled (the server dropped the request) or failed.
        if not committed:
            target.discard()


def _cors_headers(scope: Scope) -> list[tuple[bytes, bytes]]:
    """The headers that let the requesting page read the answer: none without an
    ``Origin`` (no browser) or for the site's own pages, which need none."""
    origin = origins.cross_origin(scope)
    if origin is None:
        return []
    return [(b"access-control-allow-origin", origin.encode()), (b"vary", b"origin")]


async def _preflight(send: Any) -> None:
    """The browser's question before a cross-origin PUT with a Content-Type."""
    headers = [
        (b"access-control-allow-methods", b"PUT"),
        (b"access-control-allow-headers", b"content-type"),
        (b"access-control-max-age", b"600"),
    ]
    await send({"type": "http.response.start", "status": 204, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


def _with_headers(send: Any, extra: list[tuple[bytes, bytes]]) -> Any:
    """``send``, adding ``extra`` to the response's headers."""
    if not extra:
        return send

    async def sending(message: dict) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return sending


async def _answer(
    send: Any, status: int, body: dict, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    data = json.dumps(body, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), *(headers or [])],
        }
    )
    await send({"type": "http.response.body", "body": data})
