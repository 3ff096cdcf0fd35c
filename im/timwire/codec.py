"""Frames of TIM's wire protocol: ``{"head": {...}, "body": {...}}`` JSON, one per message.

On ``/tim/binfo`` both directions use binary frames holding UTF-8 JSON; the SDK drops a
text frame there (it decodes a string as bytes and gets nothing). On ``/tim/info``
(the SDK's ``devMode``) both use text. A server frame may instead be the four bytes
``COMP`` and a zlib stream, which the SDK inflates: large replies (a conversation list,
a history page) go that way. Requests are matched to replies by ``head.servcmd`` and
``head.seq``, which every reply echoes.

The JSON itself is read by ``im.frames.parse_frame``, so the same values are refused
as on ``/ws/im/`` (size, nesting, NUL, lone surrogates, numbers past 64 bits).
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from typing import Any

from im import frames
from im.errors import INVALID_JSON, IMError

COMPRESSED = b"COMP"
# Replies above this many bytes are compressed (below it zlib saves little).
COMPRESS_FROM = 16 * 1024


@dataclass(frozen=True)
class Request:
    """One client frame: its head (servcmd, seq, the identity fields) and body."""

    head: dict[str, Any]
    body: dict[str, Any]

    @property
    def servcmd(self) -> str:
        value = self.head.get("servcmd")
        return value if isinstance(value, str) else ""


class BadFrame(Exception):
    """A frame refused whole: ``error`` to answer with, under ``head`` (what could be
    read of it: the answer echoes its servcmd and seq)."""

    def __init__(self, error: IMError, head: dict[str, Any] | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.head = head or {}


def parse(data: str | bytes, *, binary: bool, max_bytes: int) -> Request:
    """The request in one client frame (``binary``: the route's frames are binary)."""
    if isinstance(data, bytes):
        if data.startswith(COMPRESSED):
            data = _inflate(data[len(COMPRESSED) :], max_bytes)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise BadFrame(IMError(INVALID_JSON, "the frame is not UTF-8 JSON")) from None
    else:
        text = data
    try:
        frame = frames.parse_frame(text, max_bytes=max_bytes)
    except frames.BadFrame as bad:
        raise BadFrame(bad.error) from None
    head = frame.get("head")
    if not isinstance(head, dict):
        raise BadFrame(IMError(INVALID_JSON, "a frame is {head, body}: head must be an object"))
    head = _echoable(head)
    if isinstance(data, str) == binary:
        kind = "binary" if binary else "text"
        raise BadFrame(IMError(INVALID_JSON, f"this route takes {kind} frames only"), head)
    body = frame.get("body", {})
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise BadFrame(
            IMError(INVALID_JSON, "a frame is {head, body}: body must be an object"), head
        )
    return Request(head=head, body=body)


def _echoable(head: dict[str, Any]) -> dict[str, Any]:
    """The head with a servcmd and seq that can be echoed (the SDK's are a string and
    an integer; anything else is dropped)."""
    clean = dict(head)
    if not isinstance(clean.get("servcmd"), str):
        clean.pop("servcmd", None)
    seq = clean.get("seq")
    if isinstance(seq, bool) or not isinstance(seq, (int, str)):
        clean.pop("seq", None)
    return clean


def _inflate(data: bytes, max_bytes: int) -> bytes:
    """A client's compressed frame, refused past ``max_bytes`` inflated (no zip bombs)."""
    inflater = zlib.decompressobj(wbits=47)  # zlib or gzip, as pako reads both
    try:
        out = inflater.decompress(data, max_bytes + 1)
    except zlib.error:
        raise BadFrame(IMError(INVALID_JSON, "the compressed frame is not zlib or gzip")) from None
    if len(out) > max_bytes:
        raise BadFrame(IMError(INVALID_JSON, f"the frame inflates past {max_bytes} bytes"))
    return out


def reply_head(head: dict[str, Any]) -> dict[str, Any]:
    """What a reply's head echoes of the request's: the SDK matches on servcmd + seq."""
    echoed: dict[str, Any] = {"ver": "v4"}
    for key in ("servcmd", "seq"):
        if key in head:
            echoed[key] = head[key]
    return echoed


def ok(body: dict[str, Any] | None = None) -> dict[str, Any]:
    """A successful reply's body."""
    return {"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": "", **(body or {})}


def error_body(error: IMError, **extra: Any) -> dict[str, Any]:
    """A refusal's body: TIM's numeric code and its text."""
    return {"ActionStatus": "FAIL", "ErrorCode": error.code, "ErrorInfo": error.message, **extra}


def dumps(frame: dict[str, Any]) -> str:
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


def to_wire(text: str, *, binary: bool) -> str | bytes:
    """A frame's JSON as the route sends it: text, or bytes (compressed when large)."""
    if not binary:
        return text
    data = text.encode("utf-8")
    if len(data) >= COMPRESS_FROM:
        return COMPRESSED + zlib.compress(data, 6)
    return data
