"""Messages an app's back end brings from elsewhere into a group's history (TIM's REST
``import_group_msg``): stored with their own times, told to nobody."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from im.errors import GROUP_INVALID_PARAMS, NO_PERMISSION, IMError
from im.models import Account, Group, Message, Participant
from im.permissions import access_manager
from im.services.limits import check_message_size
from im.services.messages import Draft, lock_group_conversation, message_row, stored_resend

MAX_IMPORT = 20  # TIM's messages per call


@dataclass(frozen=True)
class Imported:
    """One entry's outcome: the message stored (or stored before), or why not."""

    message: Message | None
    error: IMError | None = None


def check_import_group_messages(
    *, operator: Account, group_id: str, entries: list[tuple[Account, datetime, Draft]]
) -> list[Imported]:
    """Store ``entries`` (sender, time sent, message) in the group's history, in the
    order given, as the app administrator; an entry point, one transaction. No push, no
    tip; members who had read everything still have (an imported message is history,
    not news). Times must not go back before the group's newest message nor pass now,
    so history stays in time order; an entry that breaks that is refused on its own. A
    repeated entry (same sender, random and time) answers with the message stored."""
    if not 1 <= len(entries) <= MAX_IMPORT:
        raise IMError(GROUP_INVALID_PARAMS, f"import 1-{MAX_IMPORT} messages at once")
    with transaction.atomic():
        group, actor = access_manager(operator, group_id, for_update=True)
        if not actor.is_operator:
            raise IMError(NO_PERMISSION, "only the app administrator imports messages")
        if group.type == Group.Type.AVCHATROOM:
            raise IMError(GROUP_INVALID_PARAMS, "an AVChatRoom keeps no history to import into")
        conversation = lock_group_conversation(group)
        read_all = conversation.last_seq
        latest = conversation.last_message_at
        now = timezone.now()
        results = []
        for sender, sent_at, draft in entries:
            stored = stored_resend(conversation, sender, draft)
            if stored is not None:
                results.append(Imported(stored))
                continue
            try:
                check_message_size(group.app, draft.payload, draft.cloud_custom_data)
                if sent_at > now or (latest is not None and sent_at < latest):
                    raise IMError(
                        GROUP_INVALID_PARAMS,
                        "SendTime must not be before the group's newest message, nor in the future",
                    )
            except IMError as error:
                results.append(Imported(None, error))
                continue
            seq, change_seq = conversation.last_seq + 1, conversation.change_seq + 1
            message = message_row(
                conversation, sender, draft, seq=seq, change_seq=change_seq, created_at=sent_at
            )
            message.save(force_insert=True)
            conversation.last_seq, conversation.change_seq = seq, change_seq
            conversation.last_message_at = latest = sent_at
            conversation.last_message = message
            results.append(Imported(message))
        conversation.save(
            update_fields=["last_seq", "change_seq", "last_message_at", "last_message"]
        )
        Participant.objects.filter(conversation=conversation, read_seq__gte=read_all).update(
            read_seq=conversation.last_seq
        )
        return results
