"""TIM's REST message elements (``MsgBody``: ``[{"MsgType", "MsgContent"}]``) to and from
Hutong's payloads, and a stored message as TIM's REST message fields."""

from __future__ import annotations

from typing import Any

from im.errors import IMError
from im.models import Message
from im.rest.codes import OPENIM_INVALID
from im.services.payloads import CUSTOM, FACE, TEXT

# TIM's REST field → Hutong's payload field, per element type Hutong stores as given.
FIELDS = {
    TEXT: {"Text": "text"},
    FACE: {"Index": "index", "Data": "data"},
    CUSTOM: {"Data": "data", "Desc": "description", "Ext": "extension"},
}
# TIMCustomElem's Sound is for mobile offline pushes, which Hutong does not send.
IGNORED = {CUSTOM: {"Sound"}}


def element_to_payload(element: object) -> tuple[str, dict[str, Any]]:
    """The type and the (unchecked) Hutong payload of one ``MsgBody`` element."""
    if not isinstance(element, dict):
        raise IMError(OPENIM_INVALID, 'a MsgBody element is {"MsgType", "MsgContent"}')
    msg_type, content = element.get("MsgType"), element.get("MsgContent")
    if not isinstance(content, dict):
        raise IMError(OPENIM_INVALID, "MsgContent must be an object")
    fields = FIELDS.get(msg_type) if isinstance(msg_type, str) else None
    if fields is None:
        raise IMError(
            OPENIM_INVALID,
            f"MsgType {msg_type!r}: the REST API sends {', '.join(sorted(FIELDS))}",
        )
    unknown = set(content) - set(fields) - IGNORED.get(msg_type, set())
    if unknown:
        raise IMError(OPENIM_INVALID, f"{msg_type} has no field {sorted(unknown)[0]}")
    return msg_type, {ours: content[theirs] for theirs, ours in fields.items() if theirs in content}


def message_body(body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The one element of a request's ``MsgBody`` (a Hutong message holds one)."""
    elements = body.get("MsgBody")
    if not isinstance(elements, list) or not elements:
        raise IMError(OPENIM_INVALID, "MsgBody must be a non-empty array of elements")
    if len(elements) > 1:
        raise IMError(OPENIM_INVALID, "MsgBody holds one element: Hutong stores one per message")
    return element_to_payload(elements[0])


def payload_to_content(message: Message) -> dict[str, Any]:
    fields = FIELDS.get(message.type)
    if fields is None:  # media, tips, notices: Hutong's own payload, as the SDK sees it
        return dict(message.payload)
    payload = message.payload
    return {theirs: payload[ours] for theirs, ours in fields.items() if ours in payload}


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
