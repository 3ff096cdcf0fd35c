"""Groups: creating one with its members. (Joining, roles and notices grow here.)"""

from __future__ import annotations

import secrets
import string

from django.db import IntegrityError, transaction

from im.errors import (
    GROUP_ID_IN_USE,
    GROUP_ID_INVALID,
    GROUP_INVALID_PARAMS,
    GROUP_MEMBER_ACCOUNT_MISSING,
    NO_PERMISSION,
    IMError,
)
from im.events import join_group_channel_on_commit
from im.models import Account, Conversation, Group, GroupMember, Participant
from im.selectors import access_group
from im.serializers import group_to_dict

MAX_INITIAL_MEMBERS = 500
# TIM's defaults when createGroup leaves maxMemberNum out.
DEFAULT_MAX_MEMBERS = {
    Group.Type.PRIVATE: 200,
    Group.Type.PUBLIC: 2000,
    Group.Type.CHATROOM: 10000,
    Group.Type.AVCHATROOM: 0,  # unlimited
    Group.Type.COMMUNITY: 100000,
}
LIMITS = {"name": 30, "introduction": 240, "notification": 300, "avatar": 100}
JOIN_OPTIONS = frozenset({"FreeAccess", "NeedPermission", "DisableApply"})
AUTO_ID_PREFIX = "@TGS#"
COMMUNITY_PREFIX = "@TGS#_"
_ID_ALPHABET = string.ascii_uppercase + string.digits


def check_group_profile(*, account: Account, group_id: str) -> tuple[Group, GroupMember | None]:
    """A group's profile: for its members, and for anyone when the group is not Private."""
    group, member = access_group(account, group_id)
    if member is None and group.type == Group.Type.PRIVATE:
        raise IMError(NO_PERMISSION, f"group {group_id!r} is private")
    return group, member


def _auto_group_id(group_type: str) -> str:
    prefix = COMMUNITY_PREFIX if group_type == Group.Type.COMMUNITY else AUTO_ID_PREFIX
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(10))


def _check_group_id(group_id: str, group_type: str) -> None:
    if not 1 <= len(group_id.encode()) <= 48 or not group_id.isprintable() or " " in group_id:
        raise IMError(GROUP_ID_INVALID, "groupID must be 1-48 bytes without spaces")
    if group_type == Group.Type.COMMUNITY:
        if not group_id.startswith(COMMUNITY_PREFIX):
            raise IMError(GROUP_ID_INVALID, f"a Community groupID starts with {COMMUNITY_PREFIX}")
    elif group_id.startswith(AUTO_ID_PREFIX):
        raise IMError(GROUP_ID_INVALID, f"groupIDs starting with {AUTO_ID_PREFIX} are reserved")


def check_create_group(
    *,
    owner: Account,
    name: str,
    group_type: str,
    group_id: str = "",
    members: list[tuple[str, str]] | None = None,
    introduction: str = "",
    notification: str = "",
    avatar: str = "",
    join_option: str = "FreeAccess",
    max_member_num: int = 0,
) -> tuple[Group, GroupMember]:
    """Validate a createGroup; ``members`` are (userID, role) pairs besides the owner."""
    if group_type not in Group.Type.values:
        raise IMError(GROUP_INVALID_PARAMS, f"type must be one of {Group.Type.values}")
    for field, value in (
        ("name", name),
        ("introduction", introduction),
        ("notification", notification),
        ("avatar", avatar),
    ):
        if len(value.encode()) > LIMITS[field]:
            raise IMError(GROUP_INVALID_PARAMS, f"{field} is over {LIMITS[field]} bytes")
    if not name.strip():
        raise IMError(GROUP_INVALID_PARAMS, "name must not be empty")
    if join_option not in JOIN_OPTIONS:
        raise IMError(GROUP_INVALID_PARAMS, f"joinOption must be one of {sorted(JOIN_OPTIONS)}")
    if max_member_num < 0:
        raise IMError(GROUP_INVALID_PARAMS, "maxMemberNum must not be negative")
    if group_id:
        _check_group_id(group_id, group_type)
    members = members or []
    if len(members) > MAX_INITIAL_MEMBERS:
        raise IMError(GROUP_INVALID_PARAMS, f"at most {MAX_INITIAL_MEMBERS} initial members")
    roles: dict[str, str] = {}
    for user_id, role in members:
        if role not in (GroupMember.Role.MEMBER, GroupMember.Role.ADMIN):
            raise IMError(GROUP_INVALID_PARAMS, f"role of {user_id!r} must be Member or Admin")
        if user_id != owner.user_id:
            roles[user_id] = role
    accounts = {a.user_id: a for a in Account.objects.filter(app=owner.app, user_id__in=roles)}
    missing = sorted(set(roles) - set(accounts))
    if missing:
        raise IMError(GROUP_MEMBER_ACCOUNT_MISSING, f"no such userIDs: {', '.join(missing)}")
    if group_type == Group.Type.AVCHATROOM:
        roles = {}  # TIM ignores memberList for AVChatRoom
    return do_create_group(
        owner=owner,
        group_id=group_id or _auto_group_id(group_type),
        name=name,
        group_type=group_type,
        members=[(accounts[uid], role) for uid, role in roles.items()],
        introduction=introduction,
        notification=notification,
        avatar=avatar,
        join_option=join_option,
        max_member_num=max_member_num or DEFAULT_MAX_MEMBERS[group_type],
    )


def do_create_group(
    *,
    owner: Account,
    group_id: str,
    name: str,
    group_type: str,
    members: list[tuple[Account, str]],
    introduction: str,
    notification: str,
    avatar: str,
    join_option: str,
    max_member_num: int,
) -> tuple[Group, GroupMember]:
    try:
        with transaction.atomic():
            group = Group.objects.create(
                app=owner.app,
                group_id=group_id,
                name=name,
                type=group_type,
                owner=owner,
                introduction=introduction,
                notification=notification,
                avatar=avatar,
                join_option=join_option,
                max_member_num=max_member_num,
            )
            conversation = Conversation.objects.create(
                app=owner.app, kind=Conversation.Kind.GROUP, group=group
            )
            rows = [GroupMember(group=group, account=owner, role=GroupMember.Role.OWNER)]
            rows += [GroupMember(group=group, account=a, role=role) for a, role in members]
            GroupMember.objects.bulk_create(rows)
            Participant.objects.bulk_create(
                [Participant(conversation=conversation, account=row.account) for row in rows]
            )
            join_group_channel_on_commit(
                [row.account_id for row in rows],
                group_pk=group.pk,
                group={
                    **group_to_dict(group, member_count=len(rows)),
                    # Where the joiner's catch-up (syncMessages) starts.
                    "changeSequence": conversation.change_seq,
                },
            )
    except IntegrityError:
        raise IMError(GROUP_ID_IN_USE, f"groupID {group_id!r} is already in use") from None
    owner_member = GroupMember.objects.select_related("account").get(group=group, account=owner)
    return group, owner_member
