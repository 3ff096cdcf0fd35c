"""The group pushes of TIM's wire protocol (``im.timwire.pushes``' registry): group
messages (``GroupMsgArray``, Event 3), tips (``GroupTips``, Event 4), and in Event 5
the account's system notices, recalls and reads on its other connections.

A group's pushes are encoded once for all its members (``viewer_id`` None) and once
for the author's other connections; TIM's frames are the same for both (the SDK tells
its own messages by ``From_Account``). GROUP_JOINED and GROUP_LEFT have none: the SDK
learns of a group from the tip, the notice or the message that names it, and fetches
the group (get_group_self_member_info) when it does not know it yet.
"""

from __future__ import annotations

from im.events import Event
from im.models import Conversation, Message, Participant
from im.selectors import group_member_count
from im.services.payloads import GROUP_TIP
from im.services.tips import TIP_MEMBER_JOIN, TIP_MEMBER_KICKED_OUT, TIP_MEMBER_QUIT
from im.timwire.group_serializers import (
    EVENT_GROUP_MESSAGE,
    EVENT_GROUP_NOTICE,
    EVENT_GROUP_TIP,
    group_message_item,
    notice_item,
    read_item,
    revoked_item,
    tip_item,
)
from im.timwire.pushes import Push, events, push

GROUP = Conversation.Kind.GROUP
SYSTEM = Conversation.Kind.SYSTEM
# Tips after which the SDK sets the group's member count from the tip's MemberNum.
COUNTING_TIPS = frozenset({TIP_MEMBER_JOIN, TIP_MEMBER_QUIT, TIP_MEMBER_KICKED_OUT})


@push("MESSAGE_RECEIVED", kind=GROUP)
def group_message(event: Event, viewer_id: int | None) -> Push:
    message: Message = event.payload
    if message.type == GROUP_TIP:
        count = None
        if message.payload.get("operationType") in COUNTING_TIPS:
            count = group_member_count(message.conversation.group)
        return events({"Event": EVENT_GROUP_TIP, "GroupTips": [tip_item(message, count)]})
    return events({"Event": EVENT_GROUP_MESSAGE, "GroupMsgArray": [group_message_item(message)]})


@push("MESSAGE_REVOKED", kind=GROUP)
def group_revoked(event: Event, viewer_id: int | None) -> Push:
    return events({"Event": EVENT_GROUP_NOTICE, "GroupTips": [revoked_item(event.payload)]})


@push("MESSAGE_RECEIVED", kind=SYSTEM)
def system_notice(event: Event, viewer_id: int | None) -> Push:
    return events({"Event": EVENT_GROUP_NOTICE, "GroupTips": [notice_item(event.payload)]})


@push("CONVERSATION_UPDATED", kind=GROUP)
def group_read(event: Event, viewer_id: int | None) -> Push | None:
    """The account's other connections: it read the group up to its read mark."""
    participant: Participant = event.payload
    group = participant.conversation.group
    item = read_item(group.group_id, participant.read_seq)
    return events({"Event": EVENT_GROUP_NOTICE, "GroupTips": [item]})
