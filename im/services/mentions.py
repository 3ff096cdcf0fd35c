"""@mentions in group text messages (TIM's ``createTextAtMessage``): who may be
named, and the rows that give each member's conversation its ``groupAtInfoList``."""

from __future__ import annotations

from dataclasses import dataclass

from im.errors import GROUP_INVALID_PARAMS, INVALID_PARAMS, NO_PERMISSION, IMError
from im.models import Group, GroupMember, Mention, Message
from im.permissions import is_privileged
from im.selectors import members_by_user_id
from im.services.payloads import TEXT
from im.transactions import in_callers_transaction

# TIM.TYPES.MSG_AT_ALL: the entry of an atUserList that names every member.
AT_ALL = "__kImSDK_MesssageAtALL__"
# Entries of one message's atUserList, at most (TIM sets none we know of; a page
# that names more people than this is not mentioning them).
MAX_AT_USERS = 30


@dataclass(frozen=True)
class Mentions:
    """A checked atUserList: the list as the message keeps it, and who it names."""

    user_ids: tuple[str, ...] = ()
    at_all: bool = False
    account_ids: frozenset[int] = frozenset()


NONE = Mentions()


def check_at_user_list(value: object, *, msg_type: str) -> tuple[str, ...]:
    """The shape of a sent ``atUserList``: userIDs (or MSG_AT_ALL), each once, on a
    text message. Whether they are members is ``check_mentions``'s."""
    if value is None or value == []:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise IMError(INVALID_PARAMS, "atUserList must be an array of non-empty userIDs")
    if msg_type != TEXT:
        raise IMError(INVALID_PARAMS, "only a text message can carry an atUserList")
    unique = tuple(dict.fromkeys(value))
    if len(unique) > MAX_AT_USERS:
        raise IMError(INVALID_PARAMS, f"atUserList names at most {MAX_AT_USERS} entries")
    return unique


def check_mentions(group: Group, sender: GroupMember, user_ids: tuple[str, ...]) -> Mentions:
    """Resolve a group message's atUserList: every userID a member of ``group``, and
    MSG_AT_ALL only from its owner or an admin (TIM's rule)."""
    if not user_ids:
        return NONE
    at_all = AT_ALL in user_ids
    if at_all and not is_privileged(sender):
        raise IMError(NO_PERMISSION, "only the group's owner and admins can mention everyone")
    named = [u for u in user_ids if u != AT_ALL]
    members = members_by_user_id(group, named) if named else {}
    missing = [u for u in named if u not in members]
    if missing:
        raise IMError(GROUP_INVALID_PARAMS, f"not members of the group: {', '.join(missing)}")
    return Mentions(
        user_ids=user_ids,
        at_all=at_all,
        account_ids=frozenset(m.account_id for m in members.values()),
    )


def check_not_in_c2c(user_ids: tuple[str, ...]) -> None:
    if user_ids:
        raise IMError(INVALID_PARAMS, "atUserList is for group messages only")


@in_callers_transaction
def do_store_mentions(message: Message, mentions: Mentions) -> None:
    """One row per member named (the sender's own name excepted) and one for @all,
    for a message just stored."""
    if message.pk is None:
        return  # an AVChatRoom's: nothing stored, nothing unread
    accounts: list[int | None] = [a for a in mentions.account_ids if a != message.sender_id]
    if mentions.at_all:
        accounts.append(None)
    Mention.objects.bulk_create(
        Mention(conversation=message.conversation, message=message, seq=message.seq, account_id=a)
        for a in accounts
    )
