"""Access rules: who may read, send to, recall in and manage a conversation or a group.

Every service asks here; nothing else decides access. The ``access_*`` helpers fetch
and authorise in one step and raise one ``IMError`` with TIM's code. Reads themselves
are in ``im.selectors``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from im.errors import (
    GROUP_NOT_FOUND,
    GROUP_TYPE_NO_REVOKE,
    INVALID_CONVERSATION,
    NO_PERMISSION,
    SENDER_MUTED,
    IMError,
)
from im.models import Account, Conversation, Group, GroupMember, Message
from im.selectors import c2c_conversation, get_account, group_conversation, one_or_none

C2C_PREFIX = "C2C"
GROUP_PREFIX = "GROUP"

# Roles that manage a group: recall others' messages, speak when all are muted.
PRIVILEGED_ROLES = frozenset({GroupMember.Role.OWNER, GroupMember.Role.ADMIN})


def is_privileged(member: GroupMember | None) -> bool:
    return member is not None and member.role in PRIVILEGED_ROLES


def access_group(
    account: Account, group_id: str, *, for_update: bool = False
) -> tuple[Group, GroupMember | None]:
    """The group of ``account``'s app and its membership in it (None if not a member).

    ``for_update`` takes the group's row lock (callers inside a transaction).
    """
    groups = Group.objects.filter(app_id=account.app_id, group_id=group_id)
    if for_update:
        groups = groups.select_for_update()
    group = one_or_none(groups)
    if group is None:
        raise IMError(GROUP_NOT_FOUND, f"group {group_id!r} does not exist")
    member = one_or_none(GroupMember.objects.filter(group=group, account=account))
    return group, member


def access_member(account: Account, group_id: str) -> tuple[Group, GroupMember]:
    """Like ``access_group``, but only members pass."""
    group, member = access_group(account, group_id)
    if member is None:
        raise IMError(NO_PERMISSION, f"you are not a member of group {group_id!r}")
    return group, member


def access_group_profile(account: Account, group_id: str) -> tuple[Group, GroupMember | None]:
    """A group whose profile ``account`` may see: its own, or any that is not Private."""
    group, member = access_group(account, group_id)
    if member is None and group.type == Group.Type.PRIVATE:
        raise IMError(NO_PERMISSION, f"group {group_id!r} is private")
    return group, member


@dataclass(frozen=True)
class ConversationRef:
    """A conversationID resolved for one account; ``conversation`` is None before any message."""

    conversation_id: str
    kind: str
    conversation: Conversation | None
    peer: Account | None = None
    group: Group | None = None
    member: GroupMember | None = None


def access_conversation(account: Account, conversation_id: object) -> ConversationRef:
    """Resolve a TIM conversationID for ``account``: only its own conversations resolve
    (a C2C one with any account of its app, a group one where it is a member)."""
    if not isinstance(conversation_id, str):
        raise IMError(INVALID_CONVERSATION, "conversationID must be a string")
    if conversation_id.startswith(C2C_PREFIX) and len(conversation_id) > len(C2C_PREFIX):
        peer = get_account(account.app, conversation_id[len(C2C_PREFIX) :])
        return ConversationRef(
            conversation_id, Conversation.Kind.C2C, c2c_conversation(account, peer), peer=peer
        )
    if conversation_id.startswith(GROUP_PREFIX) and len(conversation_id) > len(GROUP_PREFIX):
        group, member = access_member(account, conversation_id[len(GROUP_PREFIX) :])
        return ConversationRef(
            conversation_id,
            Conversation.Kind.GROUP,
            group_conversation(group),
            group=group,
            member=member,
        )
    raise IMError(INVALID_CONVERSATION, f"invalid conversationID {conversation_id!r}")


def check_can_speak(group: Group, member: GroupMember) -> None:
    """A member may send unless muted, or all are muted and it does not manage the group."""
    if member.mute_until and member.mute_until > timezone.now():
        raise IMError(SENDER_MUTED, f"you are muted in this group until {member.mute_until:%c} UTC")
    if group.mute_all_members and not is_privileged(member):
        raise IMError(SENDER_MUTED, "all members of this group are muted")


def check_can_revoke(account: Account, ref: ConversationRef, message: Message) -> None:
    """Your own messages anywhere; any group message as its owner or an admin; none in
    an AVChatRoom. (The time window is the app's, checked by the service.)"""
    may_revoke_others = False
    if ref.group is not None:
        if ref.group.type == Group.Type.AVCHATROOM:
            raise IMError(GROUP_TYPE_NO_REVOKE, "messages in an AVChatRoom cannot be recalled")
        may_revoke_others = is_privileged(ref.member)
    if message.sender_id != account.pk and not may_revoke_others:
        raise IMError(NO_PERMISSION, "you may only recall your own messages")
