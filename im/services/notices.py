"""Group system notices: what TIM tells one account about a group ("your application was
accepted", "you were removed"), in that account's own ``@TIM#SYSTEM`` conversation.

Each notice is stored per recipient, so it comes back in history and catch-up and
counts as unread, and reaches only that account as MESSAGE_RECEIVED.
``do_send_system_notice`` runs inside the caller's transaction, beside the action.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from im.models import Account, Conversation, Group, Message, Participant
from im.selectors import one_or_none
from im.services.messages import do_send_message, service_draft
from im.services.payloads import GROUP_SYSTEM_NOTICE
from im.transactions import in_callers_transaction

# TIM's group system notice operation types.
NOTICE_JOIN_REQUEST = 1
NOTICE_JOIN_ACCEPTED = 2
NOTICE_JOIN_REJECTED = 3
NOTICE_KICKED = 4
NOTICE_DISMISSED = 5
NOTICE_INVITED = 7
NOTICE_QUIT = 8
NOTICE_SET_ADMIN = 9
NOTICE_CANCEL_ADMIN = 10


@in_callers_transaction
def lock_system_conversation(account: Account) -> Conversation:
    """The account's notice conversation, row-locked; made (with its participant) on
    first use."""
    key = {"kind": Conversation.Kind.SYSTEM, "account_low": account}
    locked = one_or_none(Conversation.objects.select_for_update().filter(**key))
    if locked is None:
        conversation, created = Conversation.objects.get_or_create(
            **key, defaults={"app_id": account.app_id}
        )
        if created:
            Participant.objects.create(conversation=conversation, account=account)
        locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    locked.account_low = account
    return locked


@in_callers_transaction
def do_send_system_notice(
    *,
    accounts: Iterable[Account],
    group: Group,
    operator: Account,
    operation_type: int,
    handle_message: str = "",
    extra: dict[str, Any] | None = None,
) -> list[Message]:
    """Store one notice per account and schedule each for that account alone.

    Conversations are locked in primary-key order, so two actions noticing the same
    accounts cannot deadlock.
    """
    payload = {
        "operationType": operation_type,
        "operatorID": operator.user_id,
        "groupProfile": {"groupID": group.group_id, "name": group.name},
        "handleMessage": handle_message,
        **(extra or {}),
    }
    sent = []
    for account in sorted({a.pk: a for a in accounts}.values(), key=lambda a: a.pk):
        conversation = lock_system_conversation(account)
        sent.append(
            do_send_message(
                conversation=conversation,
                sender=operator,
                draft=service_draft(GROUP_SYSTEM_NOTICE, payload),
                origin_channel=None,
            )
        )
    return sent
