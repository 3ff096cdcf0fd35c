"""TIM's REST message elements (``MsgBody``: ``[{"MsgType", "MsgContent"}]``) to and from
Hutong's payloads, and a stored message as TIM's REST message fields."""

from __future__ import annotations

from typing import Any

from im import media
from im.errors import INVALID_PARAMS, IMError
from im.models import Message
from im.rest.codes import OPENIM_INVALID
from im.services.payloads import CUSTOM, FACE, TEXT

# TIM's REST field → Hutong's payload field, per element type Hutong stores as given.
FIELDS = {
    TEXT: {"Text": "text"},
    FACE: {"Index": "index", "Data": "data"},
    CUSTOM: {"Data": "data", "Desc": "description", "Ext": "extension"},
}
# Images and files the app's back end hosts, named by URL: what a request's MsgBody
# may carry besides (im.services.payloads.check_external_media checks them).
MEDIA_FIELDS = {
    media.IMAGE: {"UUID": "uuid", "ImageFormat": "imageFormat", "ImageInfoArray": "imageInfoArray"},
    media.FILE: {
        "Url": media.URL,
        "UUID": "uuid",
        "FileSize": "fileSize",
        "FileName": "fileName",
        "Download_Flag": "downloadFlag",
    },
}
IMAGE_INFO_FIELDS = {
    "Type": "sizeType",
    "Size": "size",
    "Width": "width",
    "Height": "height",
    "URL": media.URL,
}
# TIMCustomElem's Sound is for mobile offline pushes, which Hutong does not send.
IGNORED = {CUSTOM: {"Sound"}}


def _renamed(content: dict[str, Any], fields: dict[str, str], what: str, ignored=()) -> dict:
    unknown = set(content) - set(fields) - set(ignored)
    if unknown:
        raise IMError(INVALID_PARAMS, f"{what} has no field {sorted(unknown)[0]}")
    return {ours: content[theirs] for theirs, ours in fields.items() if theirs in content}


def element_to_payload(
    element: object, fields_by_type: dict[str, dict[str, str]] = FIELDS
) -> tuple[str, dict[str, Any]]:
    """The type and the (unchecked) Hutong payload of one ``MsgBody`` element; of the
    types ``fields_by_type`` names (by default those a before-send callback's reply may
    put instead: no media)."""
    if not isinstance(element, dict):
        raise IMError(INVALID_PARAMS, 'a MsgBody element is {"MsgType", "MsgContent"}')
    msg_type, content = element.get("MsgType"), element.get("MsgContent")
    if not isinstance(content, dict):
        raise IMError(INVALID_PARAMS, "MsgContent must be an object")
    fields = fields_by_type.get(msg_type) if isinstance(msg_type, str) else None
    if fields is None:
        raise IMError(
            INVALID_PARAMS,
            f"MsgType {msg_type!r}: this takes {', '.join(sorted(fields_by_type))}",
        )
    payload = _renamed(content, fields, msg_type, IGNORED.get(msg_type, ()))
    versions = payload.get("imageInfoArray") if msg_type == media.IMAGE else None
    if isinstance(versions, list):
        payload["imageInfoArray"] = [
            _renamed(v, IMAGE_INFO_FIELDS, "an ImageInfoArray entry") if isinstance(v, dict) else v
            for v in versions
        ]
    return msg_type, payload


def message_body(body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The one element of a request's ``MsgBody`` (a Hutong message holds one). Its
    faults are INVALID_PARAMS: each service answers with its own code (im.rest.api)."""
    elements = body.get("MsgBody")
    if not isinstance(elements, list) or not elements:
        raise IMError(INVALID_PARAMS, "MsgBody must be a non-empty array of elements")
    if len(elements) > 1:
        raise IMError(INVALID_PARAMS, "MsgBody holds one element: Hutong stores one per message")
    return element_to_payload(elements[0], {**FIELDS, **MEDIA_FIELDS})


def payload_to_content(message: Message) -> dict[str, Any]:
    """A stored message's (or a draft's) content as TIM's element's MsgContent."""
    payload = message.payload
    if media.is_external(message.type, payload):
        fields = MEDIA_FIELDS[message.type]
    else:
        fields = FIELDS.get(message.type)
    if fields is None:  # uploads, tips, notices: Hutong's own payload, as the SDK sees it
        return dict(payload)
    content = {theirs: payload[ours] for theirs, ours in fields.items() if ours in payload}
    if message.type == media.IMAGE:
        content["ImageInfoArray"] = [
            {theirs: v[ours] for theirs, ours in IMAGE_INFO_FIELDS.items()}
            for v in payload["imageInfoArray"]
        ]
    return content


def msg_key(message: Message) -> str:
    """TIM's C2C message key: sequence, random and time."""
    return f"{message.seq}_{message.random}_{int(message.created_at.timestamp())}"


def parse_msg_key(key: object, code: int = OPENIM_INVALID) -> tuple[int, int, int]:
    parts = key.split("_") if isinstance(key, str) else []
    if len(parts) != 3 or not all(p.isascii() and p.isdigit() and len(p) <= 19 for p in parts):
        raise IMError(code, "MsgKey is TIM's <MsgSeq>_<MsgRandom>_<MsgTimeStamp>")
    seq, random, timestamp = (int(p) for p in parts)
    return seq, random, timestamp


def rest_message(message: Message, *, to_user_id: str) -> dict[str, Any]:
    """One entry of admin_getroammsg's ``MsgList``. A recalled message has no body."""
    body: list[dict[str, Any]] = []
    if not message.is_revoked:
        body = [{"MsgType": message.type, "MsgContent": payload_to_content(message)}]
    return {
        "From_Account": message.sender.user_id,
        "To_Account": to_user_id,
        "MsgSeq": message.seq,
        "MsgRandom": message.random,
        "MsgTimeStamp": int(message.created_at.timestamp()),
        "MsgFlagBits": 0,
        "IsRevoked": int(message.is_revoked),
        "MsgKey": msg_key(message),
        "MsgBody": body,
        "CloudCustomData": message.cloud_custom_data,
    }
