"""Access rules: who may read, send to, recall in and manage a conversation or a group.

Every service asks here; nothing else decides access. The ``access_*`` helpers fetch
and authorise in one step and raise one ``IMError`` with TIM's code. Reads themselves
are in ``im.selectors``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from im.errors import (
    C2C_IN_PEER_BLACKLIST,
    GROUP_INVALID_PARAMS,
    GROUP_NOT_FOUND,
    GROUP_TYPE_NO_REVOKE,
    INVALID_CONVERSATION,
    NO_PERMISSION,
    OWNER_CANNOT_QUIT,
    SENDER_MUTED,
    IMError,
)
from im.models import Account, Conversation, Group, GroupMember, Message
from im.selectors import (
    group_conversation,
    is_blacklisted,
    one_or_none,
    peer_and_c2c,
    system_conversation,
)

C2C_PREFIX = "C2C"
GROUP_PREFIX = "GROUP"
SYSTEM_CONVERSATION = "@TIM#SYSTEM"

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


def access_member(
    account: Account, group_id: str, *, for_update: bool = False
) -> tuple[Group, GroupMember]:
    """Like ``access_group``, but only members pass."""
    group, member = access_group(account, group_id, for_update=for_update)
    if member is None:
        raise IMError(NO_PERMISSION, f"you are not a member of group {group_id!r}")
    return group, member


def access_speaker(account: Account, group_id: str) -> tuple[Group, GroupMember]:
    """A group ``account`` sends to: as a member, or as the app administrator, who
    speaks in every group (TIM's REST ``send_group_msg`` without ``From_Account``).
    Only a non-member pays for the administrator check: sends are the hot path."""
    group, member = access_group(account, group_id)
    if member is None and is_app_admin(account):
        member = _as_operator(group, account)
    if member is None:
        raise IMError(NO_PERMISSION, f"you are not a member of group {group_id!r}")
    return group, member


def access_manager(
    account: Account, group_id: str, *, for_update: bool = False
) -> tuple[Group, GroupMember]:
    """A group ``account`` means to manage, and who it acts as there: its membership,
    or, for the app administrator, an operator with the owner's rights whether or not
    it is a member. TIM gives its app administrator (who runs the console and the REST
    API) the highest rights over every group; ``is_app_admin`` is read fresh, so a
    session opened before an operator's change still acts as what it is now."""
    group, member = access_group(account, group_id, for_update=for_update)
    if is_app_admin(account):
        member = _as_operator(group, account, member)
    if member is None:
        raise IMError(NO_PERMISSION, f"you are not a member of group {group_id!r}")
    return group, member


def _as_operator(group: Group, account: Account, member: GroupMember | None = None) -> GroupMember:
    """The app administrator acting in ``group``: an owner's rights, whatever its own
    membership (its owner's row, marked; else an unsaved stand-in)."""
    if member is None or member.role != Role.OWNER:
        member = GroupMember(group=group, account=account, role=Role.OWNER)
    member.is_operator = True
    return member


def own_membership(actor: GroupMember) -> GroupMember | None:
    """What a result tells the caller of its own membership: none for a stand-in."""
    return None if actor.is_operator and actor.pk is None else actor


def access_group_profile(account: Account, group_id: str) -> tuple[Group, GroupMember | None]:
    """A group whose profile ``account`` may see: its own, or any that is not Private;
    the app administrator sees every group."""
    group, member = access_group(account, group_id)
    if member is None and group.type == Group.Type.PRIVATE and not is_app_admin(account):
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
    if conversation_id == SYSTEM_CONVERSATION:
        return ConversationRef(
            conversation_id, Conversation.Kind.SYSTEM, system_conversation(account)
        )
    if conversation_id.startswith(C2C_PREFIX) and len(conversation_id) > len(C2C_PREFIX):
        peer, conversation = peer_and_c2c(account, conversation_id[len(C2C_PREFIX) :])
        return ConversationRef(conversation_id, Conversation.Kind.C2C, conversation, peer=peer)
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


def check_can_send_c2c(sender: Account, receiver: Account, *, blocked: bool | None = None) -> None:
    """TIM's blacklist: an account refuses the C2C messages of those on its blacklist
    (20007). Only that way: the owner of the list may still write to them, and group
    messages, theirs included, reach everyone as before. ``blocked``: whether the
    receiver's list holds the sender, if the caller read it already."""
    if blocked is None:
        blocked = is_blacklisted(owner=receiver, account=sender)
    if blocked:
        raise IMError(C2C_IN_PEER_BLACKLIST, f"{receiver.user_id} has blacklisted you")


# Group types whose newcomers see the history from before they joined.
HISTORY_FOR_NEWCOMERS = frozenset({Group.Type.CHATROOM, Group.Type.AVCHATROOM})


def shows_history_to_newcomers(group: Group) -> bool:
    return group.type in HISTORY_FOR_NEWCOMERS


def history_floor(ref: ConversationRef) -> int:
    """The last sequence ``ref``'s account may not read: in a Private or Public group,
    what came before it joined."""
    if ref.member is None or shows_history_to_newcomers(ref.group):
        return 0
    return ref.member.visible_after_seq


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


# --- managing groups (docs/protocol.md, "Group rules by type") ---

Role = GroupMember.Role
Type = Group.Type


def _refuse(message: str) -> IMError:
    return IMError(NO_PERMISSION, message)


def _require_member(member: GroupMember | None) -> GroupMember:
    if member is None:
        raise _refuse("you are not a member of this group")
    return member


def check_can_find(group: Group) -> None:
    """``searchGroupByID`` never finds a Private group: it looks like no group at all."""
    if group.type == Type.PRIVATE:
        raise IMError(GROUP_NOT_FOUND, f"group {group.group_id!r} does not exist")


def check_can_join(group: Group) -> None:
    """Joining by request: never a Private group (members add people), never one that
    disabled applications."""
    if group.type == Type.PRIVATE:
        raise _refuse("a Private group cannot be applied to: a member must add you")
    if group.type != Type.AVCHATROOM and group.join_option == "DisableApply":
        raise _refuse("this group does not take applications")


def needs_approval(group: Group) -> bool:
    return group.type != Type.AVCHATROOM and group.join_option == "NeedPermission"


def check_can_add_members(group: Group, actor: GroupMember) -> None:
    """Who adds members directly: in a Private group any member; in a Public or ChatRoom
    group only the app's administrator (the others join); in an AVChatRoom nobody."""
    if group.type == Type.PRIVATE:
        return
    if group.type in (Type.PUBLIC, Type.CHATROOM) and actor.is_operator:
        return
    raise _refuse(f"members cannot be added to a {group.type} group: they join it")


def is_app_admin(account: Account) -> bool:
    return Account.objects.filter(pk=account.pk, is_admin=True).exists()


def check_can_quit(group: Group, member: GroupMember | None) -> None:
    member = _require_member(member)
    if member.role == Role.OWNER and group.type != Type.PRIVATE:
        raise IMError(OWNER_CANNOT_QUIT, "the owner cannot quit: dismiss or hand over the group")


def check_can_remove(group: Group, actor: GroupMember | None, target: GroupMember) -> None:
    """The owner removes anyone; an admin only plain members; in a Private group only
    the owner removes. Nobody removes themselves (that is quitting)."""
    actor = _require_member(actor)
    if actor.pk == target.pk:
        raise IMError(GROUP_INVALID_PARAMS, "you cannot remove yourself: quit the group")
    if actor.role == Role.OWNER:
        return
    if group.type == Type.PRIVATE:
        raise _refuse("only the owner removes members from a Private group")
    if actor.role != Role.ADMIN or target.role != Role.MEMBER:
        raise _refuse("only the owner, or an admin removing a plain member, may remove")


def check_can_dismiss(group: Group, member: GroupMember | None) -> None:
    member = _require_member(member)
    if member.role != Role.OWNER:
        raise _refuse("only the owner may dismiss the group")
    if group.type == Type.PRIVATE and not member.is_operator:
        raise _refuse("a Private group cannot be dismissed by its owner")


def check_can_set_role(group: Group, actor: GroupMember | None, target: GroupMember) -> None:
    actor = _require_member(actor)
    if group.type == Type.PRIVATE:
        raise _refuse("a Private group has no admins")
    if actor.role != Role.OWNER:
        raise _refuse("only the owner sets and cancels admins")
    if actor.pk == target.pk:
        raise IMError(GROUP_INVALID_PARAMS, "you cannot change your own role")


def check_can_mute(group: Group, actor: GroupMember | None, target: GroupMember | None) -> None:
    """Muting a member, or (``target`` None) all members."""
    actor = _require_member(actor)
    if group.type == Type.PRIVATE:
        raise _refuse("members of a Private group cannot be muted")
    if not is_privileged(actor):
        raise _refuse("only the owner and admins may mute")
    if target is None:
        return
    if actor.pk == target.pk:
        raise IMError(GROUP_INVALID_PARAMS, "you cannot mute yourself")
    if actor.role == Role.ADMIN and target.role != Role.MEMBER:
        raise _refuse("an admin may only mute plain members")


def check_can_set_name_card(group: Group, actor: GroupMember | None, target: GroupMember) -> None:
    """Name cards and member custom fields. The owner: anyone's; an admin: its own and
    plain members'; a member: its own."""
    actor = _require_member(actor)
    if actor.pk == target.pk or actor.role == Role.OWNER:
        return
    if actor.role == Role.ADMIN and target.role == Role.MEMBER:
        return
    raise _refuse("you may not change this member's name card")


# Fields any member of a Private group may change; elsewhere owners and admins only.
PRIVATE_PROFILE_FIELDS = frozenset(
    {"name", "introduction", "notification", "avatar", "groupCustomField"}
)


def check_can_update_profile(group: Group, member: GroupMember | None, fields: set[str]) -> None:
    member = _require_member(member)
    if group.type == Type.PRIVATE:
        if not fields <= PRIVATE_PROFILE_FIELDS:
            raise _refuse(
                f"a Private group has no {', '.join(sorted(fields - PRIVATE_PROFILE_FIELDS))}"
            )
        return
    if not is_privileged(member):
        raise _refuse("only the owner and admins may change the group's profile")


def check_can_transfer(group: Group, actor: GroupMember | None, target: GroupMember) -> None:
    actor = _require_member(actor)
    if group.type == Type.AVCHATROOM:
        raise _refuse("an AVChatRoom's ownership cannot move")
    if actor.role != Role.OWNER:
        raise _refuse("only the owner may hand the group over")
    if target.account_id == group.owner_id:
        raise IMError(GROUP_INVALID_PARAMS, f"{target.account.user_id} already owns this group")


def check_can_send_custom_notice(account: Account) -> None:
    """A custom system notice (255) comes from TIM's REST API, which only the app
    administrator calls: no member sends one, whatever its role."""
    if not is_app_admin(account):
        raise _refuse("only the app administrator sends custom system notices")


def check_can_handle_applications(member: GroupMember | None) -> None:
    if not is_privileged(_require_member(member)):
        raise _refuse("only the owner and admins handle applications")
