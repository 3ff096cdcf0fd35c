"""Group system notices: what TIM tells one account about a group ("your application was
accepted", "you were removed"), in that account's own ``@TIM#SYSTEM`` conversation.

Each notice is stored per recipient, so it comes back in history and catch-up and
counts as unread, and reaches only that account as MESSAGE_RECEIVED.
``do_send_system_notice`` runs inside the caller's transaction, beside the action.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from im.errors import GROUP_INVALID_PARAMS, IMError
from im.models import Account, Conversation, Group, Message, Participant
from im.permissions import access_manager, check_can_send_custom_notice
from im.selectors import group_member_accounts
from im.services.messages import message_row, schedule_message_event, service_draft
from im.services.payloads import GROUP_SYSTEM_NOTICE
from im.transactions import in_callers_transaction

# TIM's group system notice operation types.
NOTICE_JOIN_REQUEST = 1
NOTICE_JOIN_ACCEPTED = 2
NOTICE_JOIN_REJECTED = 3
NOTICE_KICKED = 4
NOTICE_DISMISSED = 5
NOTICE_CREATED = 6
NOTICE_INVITED = 7
NOTICE_QUIT = 8
NOTICE_SET_ADMIN = 9
NOTICE_CANCEL_ADMIN = 10
NOTICE_CUSTOM = 255

# Hutong's bound on a custom notice's text (TIM names none).
MAX_CUSTOM_NOTICE_BYTES = 1024


@in_callers_transaction
def lock_system_conversations(accounts: list[Account]) -> dict[int, Conversation]:
    """The accounts' notice conversations by account pk, row-locked in pk order, made
    (with their participants) for those that have none yet; a few statements whatever
    the number of accounts."""
    ids = [a.pk for a in accounts]
    system = Conversation.objects.select_for_update().filter(
        kind=Conversation.Kind.SYSTEM, account_low_id__in=ids
    )
    found = {c.account_low_id: c for c in system.order_by("pk")}
    missing = [a for a in accounts if a.pk not in found]
    if missing:
        # A concurrent first notice may create the same row: its insert waits for ours.
        Conversation.objects.bulk_create(
            [
                Conversation(app_id=a.app_id, kind=Conversation.Kind.SYSTEM, account_low=a)
                for a in missing
            ],
            ignore_conflicts=True,
        )
        made = list(system.filter(account_low_id__in=[a.pk for a in missing]).order_by("pk"))
        Participant.objects.bulk_create(
            [Participant(conversation=c, account_id=c.account_low_id) for c in made],
            ignore_conflicts=True,
        )
        found.update((c.account_low_id, c) for c in made)
    by_pk = {a.pk: a for a in accounts}
    for account_id, conversation in found.items():
        conversation.account_low = by_pk[account_id]
    return found


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

    Written in bulk (a dismissal tells every member at once), with the conversations
    locked in primary-key order, so two actions noticing the same accounts cannot
    deadlock.
    """
    recipients = sorted({a.pk: a for a in accounts}.values(), key=lambda a: a.pk)
    if not recipients:
        return []
    payload = {
        "operationType": operation_type,
        "operatorID": operator.user_id,
        "groupProfile": {"groupID": group.group_id, "name": group.name},
        "handleMessage": handle_message,
        **(extra or {}),
    }
    conversations = lock_system_conversations(recipients)
    now = timezone.now()
    notices = []
    for account in recipients:
        conversation = conversations[account.pk]
        conversation.last_seq += 1
        conversation.change_seq += 1
        conversation.last_message_at = now
        notices.append(
            message_row(
                conversation,
                operator,
                service_draft(GROUP_SYSTEM_NOTICE, payload),
                seq=conversation.last_seq,
                change_seq=conversation.change_seq,
                created_at=now,
            )
        )
    Message.objects.bulk_create(notices)
    for notice in notices:
        notice.conversation.last_message = notice
    touched = [n.conversation for n in notices]
    Conversation.objects.bulk_update(
        touched, ["last_seq", "change_seq", "last_message_at", "last_message"]
    )
    # A deleted notice conversation comes back with its next notice.
    Participant.objects.filter(conversation__in=touched, is_hidden=True).update(is_hidden=False)
    for notice in notices:
        schedule_message_event("MESSAGE_RECEIVED", notice, None)
    return notices


def check_send_custom_notice(
    *, account: Account, group_id: str, text: str, user_ids: list[str] | None = None
) -> list[Message]:
    """TIM's custom group system notice (operationType 255, REST
    ``send_group_system_notification``): one notice to every member, or to the members
    among ``user_ids`` (its ``ToMembers_Account``; without it "默认全员接收"), the
    operator's text in ``userDefinedField``. The app administrator alone sends one; an
    entry point."""
    if not text.strip():
        raise IMError(GROUP_INVALID_PARAMS, "the notice must not be empty")
    if len(text.encode()) > MAX_CUSTOM_NOTICE_BYTES:
        raise IMError(GROUP_INVALID_PARAMS, f"the notice is over {MAX_CUSTOM_NOTICE_BYTES} bytes")
    with transaction.atomic():
        # The group's row lock: a member joining meanwhile gets the notice or is not yet in.
        group, _ = access_manager(account, group_id, for_update=True)
        check_can_send_custom_notice(account)
        accounts = group_member_accounts(group)
        if user_ids is not None:
            wanted = set(user_ids)
            accounts = [a for a in accounts if a.user_id in wanted]
        return do_send_system_notice(
            accounts=accounts,
            group=group,
            operator=account,
            operation_type=NOTICE_CUSTOM,
            extra={"userDefinedField": text},
        )
