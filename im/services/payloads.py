"""Validating message elements (TIM's payload shapes and size limits)."""

from __future__ import annotations

import re

from im import media
from im.errors import INVALID_PARAMS, MESSAGE_TOO_LONG, IMError

# TIM's message body limit (80002 past it).
MAX_BODY_BYTES = 12 * 1024

TEXT = "TIMTextElem"
CUSTOM = "TIMCustomElem"
FACE = "TIMFaceElem"
GROUP_TIP = "TIMGroupTipElem"
GROUP_SYSTEM_NOTICE = "TIMGroupSystemNoticeElem"

UUID = re.compile(r"^[0-9a-f]{32}$")
# A voice or video message's duration, at most (seconds).
MAX_MEDIA_SECONDS = 3 * 3600


def _check_size(what: str, size: int) -> None:
    if size > MAX_BODY_BYTES:
        raise IMError(MESSAGE_TOO_LONG, f"{what} is {size} bytes; the limit is {MAX_BODY_BYTES}")


def _optional_str(payload: dict, name: str) -> str:
    value = payload.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise IMError(INVALID_PARAMS, f"payload.{name} must be a string")
    return value


def _text(payload: dict) -> dict:
    text = payload.get("text")
    if not isinstance(text, str) or not text:
        raise IMError(INVALID_PARAMS, "payload.text must be a non-empty string")
    _check_size("text", len(text.encode()))
    return {"text": text}


def _custom(payload: dict) -> dict:
    clean = {name: _optional_str(payload, name) for name in ("data", "description", "extension")}
    if not any(clean.values()):
        raise IMError(INVALID_PARAMS, "a custom message needs data, description or extension")
    _check_size("custom message", sum(len(v.encode()) for v in clean.values()))
    return clean


def _face(payload: dict) -> dict:
    index = payload.get("index")
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise IMError(INVALID_PARAMS, "payload.index must be a non-negative integer")
    data = _optional_str(payload, "data")
    _check_size("face data", len(data.encode()))
    return {"index": index, "data": data}


def _uuid(payload: dict, name: str) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not UUID.match(value):
        raise IMError(INVALID_PARAMS, f"payload.{name} must be the uuid of an upload")
    return value


def _seconds(payload: dict, name: str, most: int) -> int:
    value = payload.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= most:
        raise IMError(INVALID_PARAMS, f"payload.{name} must be 0-{most} seconds")
    return value


# The client names its finished uploads; the server fills in the rest
# (im.services.uploads.check_media_draft).
def _image(payload: dict) -> dict:
    return {"uuid": _uuid(payload, "uuid")}


def _audio(payload: dict) -> dict:
    return {
        "uuid": _uuid(payload, "uuid"),
        "second": _seconds(payload, "second", MAX_MEDIA_SECONDS),
    }


def _video(payload: dict) -> dict:
    return {
        "videoUUID": _uuid(payload, "videoUUID"),
        "thumbUUID": _uuid(payload, "thumbUUID"),
        "videoSecond": _seconds(payload, "videoSecond", MAX_MEDIA_SECONDS),
    }


CHECKERS = {
    TEXT: _text,
    CUSTOM: _custom,
    FACE: _face,
    media.IMAGE: _image,
    media.FILE: _image,  # the same shape: one uuid
    media.AUDIO: _audio,
    media.VIDEO: _video,
}


def check_payload(msg_type: str, payload: dict) -> dict:
    """The cleaned payload of a client-sent element, or an IMError."""
    checker = CHECKERS.get(msg_type)
    if checker is None:
        raise IMError(INVALID_PARAMS, f"message type {msg_type!r} cannot be sent")
    return checker(payload)
