"""Group tips: the messages a group shows when something happens to it ("bob joined").

A tip is stored in the group's conversation like any message (it has a sequence, counts
in history and catch-up, cannot be recalled) and reaches every member as
MESSAGE_RECEIVED. ``do_send_group_tip`` runs inside the caller's transaction, so an
action and its tip commit, or roll back, together, with one set of events.
"""

from __future__ import annotations

from typing import Any

from im.models import Account, Conversation, Message
from im.services.messages import do_send_message, service_draft
from im.services.payloads import GROUP_TIP
from im.transactions import in_callers_transaction

# TIM's TYPES.GRP_TIP_* operation types.
TIP_MEMBER_JOIN = 1
TIP_MEMBER_QUIT = 2
TIP_MEMBER_KICKED_OUT = 3
TIP_MEMBER_SET_ADMIN = 4
TIP_MEMBER_CANCELED_ADMIN = 5
TIP_GROUP_PROFILE_UPDATED = 6
TIP_MEMBER_PROFILE_UPDATED = 7


@in_callers_transaction
def do_send_group_tip(
    *,
    conversation: Conversation,
    operator: Account,
    operation_type: int,
    user_ids: list[str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Message:
    """Store a tip in the group's conversation (row-locked by the caller with
    ``messages.lock_group_conversation``) and schedule it for every member.

    ``user_ids`` are the members the tip is about (TIM defaults them to the operator);
    ``extra`` carries the operation's own fields (``memberList``, ``newGroupProfile``…).
    """
    group = conversation.group
    payload = {
        "operationType": operation_type,
        "operatorID": operator.user_id,
        "userIDList": user_ids if user_ids is not None else [operator.user_id],
        "groupProfile": {"groupID": group.group_id, "groupName": group.name},
        **(extra or {}),
    }
    draft = service_draft(GROUP_TIP, payload)
    return do_send_message(
        conversation=conversation, sender=operator, draft=draft, origin_channel=None
    )
