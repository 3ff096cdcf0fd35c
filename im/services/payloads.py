"""Validating message elements (TIM's payload shapes and size limits)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from im import media
from im.errors import INVALID_PARAMS, MESSAGE_TOO_LONG, IMError
from im.models import Upload
from im.services.uploads import LIMITS, check_file_name

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


# --- media the app's back end hosts (the REST API's image and file elements) ---

# TIM's ImageFormat: JPG, GIF, PNG, BMP, other.
IMAGE_FORMAT_CODES = frozenset({1, 2, 3, 4, 255})
MAX_URL = 2048
MAX_EXTERNAL_UUID = 128
# An image side, at most (pixels): the largest a JPEG can be.
MAX_IMAGE_SIDE = 65535
# A link: http(s), printable ASCII without the characters RFC 3986 never allows.
URL_CHARS = re.compile(r"^[!#-;=?-\[\]_a-z~]+$", re.IGNORECASE)
PRINTABLE = re.compile(r"^[!-~]+$")
# TIM's sizeType (REST ``Type``: 1 original, 2 large, 3 thumbnail) → variant and type.
BY_SIZE_TYPE = {size_type: (variant, t) for variant, t, size_type in media.IMAGE_VERSIONS}


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int(value: object, what: str, most: int) -> int:
    if not _is_int(value) or not 0 <= value <= most:
        raise IMError(INVALID_PARAMS, f"{what} must be an integer 0-{most}")
    return value


def _external_url(value: object, what: str) -> str:
    """An http(s) link, kept as given: Hutong never fetches it."""
    if not isinstance(value, str) or not 0 < len(value) <= MAX_URL or not URL_CHARS.match(value):
        raise IMError(INVALID_PARAMS, f"{what} must be a URL of at most {MAX_URL} characters")
    try:
        parts = urlsplit(value)
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise IMError(INVALID_PARAMS, f"{what} must be an http or https URL")
    return value


def _external_uuid(payload: dict) -> str:
    value = payload.get("uuid")
    if not isinstance(value, str) or len(value) > MAX_EXTERNAL_UUID or not PRINTABLE.match(value):
        raise IMError(
            INVALID_PARAMS, f"UUID must be 1-{MAX_EXTERNAL_UUID} printable ASCII characters"
        )
    return value


def _external_image(payload: dict) -> dict:
    fmt = payload.get("imageFormat")
    if not _is_int(fmt) or fmt not in IMAGE_FORMAT_CODES:
        raise IMError(INVALID_PARAMS, f"ImageFormat must be one of {sorted(IMAGE_FORMAT_CODES)}")
    entries = payload.get("imageInfoArray")
    if not isinstance(entries, list) or not 1 <= len(entries) <= len(BY_SIZE_TYPE):
        raise IMError(INVALID_PARAMS, "ImageInfoArray must hold 1-3 versions of the image")
    most = LIMITS[Upload.Kind.IMAGE].max_bytes
    versions = {}
    for entry in entries:
        if not isinstance(entry, dict):
            raise IMError(INVALID_PARAMS, "an ImageInfoArray entry is an object")
        size_type = entry.get("sizeType")
        if not _is_int(size_type) or size_type not in BY_SIZE_TYPE:
            raise IMError(INVALID_PARAMS, "an image version's Type is 1, 2 or 3")
        if size_type in versions:
            raise IMError(INVALID_PARAMS, f"ImageInfoArray has Type {size_type} twice")
        variant, tim_type = BY_SIZE_TYPE[size_type]
        versions[size_type] = {
            "variant": variant,
            "type": tim_type,
            "sizeType": size_type,
            "size": _int(entry.get("size"), "an image version's Size", most),
            "width": _int(entry.get("width"), "an image version's Width", MAX_IMAGE_SIDE),
            "height": _int(entry.get("height"), "an image version's Height", MAX_IMAGE_SIDE),
            media.URL: _external_url(entry.get(media.URL), "an image version's URL"),
        }
    return {
        media.EXTERNAL: True,
        "uuid": _external_uuid(payload),
        "imageFormat": fmt,
        "imageInfoArray": [versions[k] for k in sorted(versions)],
    }


def _external_file(payload: dict) -> dict:
    flag = payload.get("downloadFlag", media.DOWNLOADABLE)
    if not _is_int(flag) or flag != media.DOWNLOADABLE:
        raise IMError(INVALID_PARAMS, f"Download_Flag must be {media.DOWNLOADABLE}")
    name = payload.get("fileName")
    if not isinstance(name, str):
        raise IMError(INVALID_PARAMS, "FileName must be a string")
    return {
        media.EXTERNAL: True,
        "uuid": _external_uuid(payload),
        "fileName": check_file_name(name),
        "fileSize": _int(payload.get("fileSize"), "FileSize", LIMITS[Upload.Kind.FILE].max_bytes),
        "downloadFlag": media.DOWNLOADABLE,
        media.URL: _external_url(payload.get(media.URL), "Url"),
    }


def check_external_media(msg_type: str, payload: dict) -> dict:
    """The payload to store for an image or file the app's back end hosts and names by
    URL (only the REST API sends these: a client's media payload names its uploads,
    ``check_payload``). Checked to TIM's shapes and limits; the URLs are kept as given
    and never fetched (``media.with_links`` shows them unsigned)."""
    if msg_type == media.IMAGE:
        return _external_image(payload)
    if msg_type == media.FILE:
        return _external_file(payload)
    raise IMError(INVALID_PARAMS, f"message type {msg_type!r} cannot name a URL")
