"""TIM's callback bodies (they share the REST API's format): what ``im.hooks`` POSTs to
an app's back end for each CallbackCommand, and the message a before-send reply may put
in place of the one sent."""

from __future__ import annotations

import time
from typing import Any

from im import hooks
from im.errors import IMError
from im.models import Message
from im.rest.elements import element_to_payload, msg_key, payload_to_content


def _members(user_ids: tuple[str, ...]) -> list[dict[str, str]]:
    return [{"Member_Account": user_id} for user_id in user_ids]


def _draft_body(draft: Any) -> list[dict[str, Any]]:
    """A draft's element as TIM's MsgBody (the content of a message not yet stored)."""
    return [{"MsgType": draft.type, "MsgContent": payload_to_content(draft)}]


def _sending(command: str, subject: hooks.Sending) -> dict[str, Any]:
    draft = subject.draft
    common = {
        "CallbackCommand": command,
        "From_Account": subject.sender.user_id,
        "MsgRandom": draft.random,
        "OnlineOnlyFlag": int(subject.online_only),
        "MsgBody": _draft_body(draft),
        "CloudCustomData": draft.cloud_custom_data,
        "EventTime": int(time.time() * 1000),
    }
    if subject.group is not None:
        return {
            **common,
            "GroupId": subject.group.group_id,
            "Type": subject.group.type,
            "Operator_Account": subject.sender.user_id,
            "Random": draft.random,
            "MsgPriority": draft.priority,
        }
    return {**common, "To_Account": subject.receiver.user_id, "MsgTime": int(time.time())}


def _sent(command: str, subject: hooks.Sent) -> dict[str, Any]:
    message: Message = subject.message
    conversation = message.conversation
    body = {
        "CallbackCommand": command,
        "From_Account": message.sender.user_id,
        "MsgRandom": message.random,
        "MsgSeq": message.seq,
        "MsgTime": int(message.created_at.timestamp()),
        "OnlineOnlyFlag": int(subject.online_only),
        "MsgBody": [] if message.is_revoked else _draft_body(message),
        "CloudCustomData": message.cloud_custom_data,
        "EventTime": int(time.time() * 1000),
    }
    if conversation.group_id:
        group = conversation.group
        return {
            **body,
            "GroupId": group.group_id,
            "Type": group.type,
            "Operator_Account": message.sender.user_id,
            "Random": message.random,
            "MsgPriority": message.priority,
        }
    low, high = conversation.account_low, conversation.account_high
    receiver = high if message.sender_id == low.pk else low
    return {
        **body,
        "To_Account": receiver.user_id,
        "MsgKey": msg_key(message),
        "SendMsgResult": 0,
        "ErrorInfo": "",
    }


class Codec:
    def body(self, command: str, subject: Any) -> dict[str, Any]:
        if isinstance(subject, hooks.Sending):
            return _sending(command, subject)
        if isinstance(subject, hooks.Sent):
            return _sent(command, subject)
        if isinstance(subject, hooks.GroupCreating):
            body = {
                "CallbackCommand": command,
                "Operator_Account": subject.operator.user_id,
                "Owner_Account": subject.owner.user_id,
                "Type": subject.group_type,
                "Name": subject.name,
                "MemberList": _members(subject.member_ids),
            }
            if subject.group is not None:
                body["GroupId"] = subject.group.group_id
            return body
        if isinstance(subject, hooks.Joining):
            body = {
                "CallbackCommand": command,
                "GroupId": subject.group.group_id,
                "Type": subject.group.type,
                "Operator_Account": subject.operator.user_id,
            }
            if command == hooks.GROUP_BEFORE_APPLY:
                return {**body, "Requestor_Account": subject.user_ids[0]}
            if command == hooks.GROUP_BEFORE_INVITE:
                return {**body, "DestinationMembers": _members(subject.user_ids)}
            if command == hooks.GROUP_AFTER_EXIT:
                return {
                    **body,
                    "ExitType": subject.join_type,
                    "ExitMemberList": _members(subject.user_ids),
                }
            return {
                **body,
                "JoinType": subject.join_type,
                "NewMemberList": _members(subject.user_ids),
            }
        if isinstance(subject, hooks.StateChanged):
            return {
                "CallbackCommand": command,
                "EventTime": int(time.time() * 1000),
                "Info": {
                    "Action": subject.action,
                    "To_Account": subject.account.user_id,
                    "Reason": subject.reason,
                },
            }
        raise TypeError(f"no callback body for {type(subject).__name__}")

    def replacement(self, command: str, reply: dict[str, Any]) -> Any:
        """A before-send reply's ``MsgBody`` (and ``CloudCustomData``), as TIM lets a back
        end change the message: (type, payload, cloudCustomData or None)."""
        if command not in (hooks.C2C_BEFORE_SEND, hooks.GROUP_BEFORE_SEND):
            return None
        elements = reply.get("MsgBody")
        if not isinstance(elements, list) or len(elements) != 1:
            return None
        try:
            msg_type, payload = element_to_payload(elements[0])
        except IMError:
            return None  # a reply Hutong cannot store: the message goes as it was
        cloud = reply.get("CloudCustomData")
        return msg_type, payload, cloud if isinstance(cloud, str) else None
