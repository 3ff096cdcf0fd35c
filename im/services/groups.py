"""Groups as a whole: creating, finding, changing the profile, handing over, dismissing.
Membership is in ``im.services.members``; rules in ``im.permissions``."""

from __future__ import annotations

import secrets
import string
from dataclasses import replace

from django.db import IntegrityError, transaction

from im import hooks
from im.errors import (
    GROUP_ID_IN_USE,
    GROUP_ID_INVALID,
    GROUP_INVALID_PARAMS,
    GROUP_MEMBER_ACCOUNT_MISSING,
    NO_PERMISSION,
    IMError,
)
from im.events import Event, send_event_on_commit
from im.models import Account, Conversation, Group, GroupMember, Participant
from im.permissions import (
    access_group,
    access_group_profile,
    access_manager,
    check_can_dismiss,
    check_can_find,
    check_can_transfer,
    check_can_update_profile,
    own_membership,
)
from im.results import GroupJoined, GroupLeft, GroupView
from im.selectors import group_member_accounts, group_member_count, members_by_user_id
from im.services import notices, tips
from im.services.custom_fields import GROUP_FIELDS, MEMBER_FIELDS, check_fields, merged
from im.services.messages import lock_group_conversation
from im.transactions import in_callers_transaction

MAX_INITIAL_MEMBERS = 500
MAX_MEMBER_NUM = 2**31 - 1  # Group.max_member_num's column (a 32-bit integer in PostgreSQL)
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


def check_group_profile(*, account: Account, group_id: str) -> GroupView:
    """A group's profile: for its members, and for anyone when the group is not Private."""
    group, member = access_group_profile(account, group_id)
    return GroupView(group=group, member=member, member_count=group_member_count(group))


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
    members: list[tuple[str, str]] | list[tuple[str, str, object]] | None = None,
    introduction: str = "",
    notification: str = "",
    avatar: str = "",
    join_option: str = "FreeAccess",
    max_member_num: int = 0,
    custom_fields: object = (),
) -> GroupView:
    """Validate a createGroup and create the group in a transaction of its own (an entry
    point); ``members`` are (userID, role[, memberCustomField]) besides the owner."""
    group_fields = merged(GROUP_FIELDS, {}, check_fields(GROUP_FIELDS, list(custom_fields)))
    if group_type not in Group.Type.values:
        raise IMError(GROUP_INVALID_PARAMS, f"type must be one of {Group.Type.values}")
    for field, value in (
        ("name", name),
        ("introduction", introduction),
        ("notification", notification),
        ("avatar", avatar),
    ):
        _check_profile_field(field, value)
    if join_option not in JOIN_OPTIONS:
        raise IMError(GROUP_INVALID_PARAMS, f"joinOption must be one of {sorted(JOIN_OPTIONS)}")
    if not 0 <= max_member_num <= MAX_MEMBER_NUM:
        raise IMError(GROUP_INVALID_PARAMS, f"maxMemberNum must be 0-{MAX_MEMBER_NUM}")
    if group_id:
        _check_group_id(group_id, group_type)
    members = members or []
    if len(members) > MAX_INITIAL_MEMBERS:
        raise IMError(GROUP_INVALID_PARAMS, f"at most {MAX_INITIAL_MEMBERS} initial members")
    roles: dict[str, str] = {}
    member_fields: dict[str, dict[str, str]] = {}
    for user_id, role, *fields in members:
        if role not in (GroupMember.Role.MEMBER, GroupMember.Role.ADMIN):
            raise IMError(GROUP_INVALID_PARAMS, f"role of {user_id!r} must be Member or Admin")
        if role == GroupMember.Role.ADMIN and group_type == Group.Type.PRIVATE:
            raise IMError(GROUP_INVALID_PARAMS, "a Private group has no admins")
        if user_id != owner.user_id:
            roles[user_id] = role
            member_fields[user_id] = merged(
                MEMBER_FIELDS, {}, check_fields(MEMBER_FIELDS, fields[0] if fields else [])
            )
    accounts = {a.user_id: a for a in Account.objects.filter(app=owner.app, user_id__in=roles)}
    missing = sorted(set(roles) - set(accounts))
    if missing:
        raise IMError(GROUP_MEMBER_ACCOUNT_MISSING, f"no such userIDs: {', '.join(missing)}")
    if group_type == Group.Type.AVCHATROOM:
        roles = {}  # TIM ignores memberList for AVChatRoom
    creating = hooks.GroupCreating(
        operator=owner, owner=owner, name=name, group_type=group_type, member_ids=tuple(roles)
    )
    hooks.ask(owner.app, hooks.GROUP_BEFORE_CREATE, creating)
    with transaction.atomic():
        view = do_create_group(
            owner=owner,
            group_id=group_id or _auto_group_id(group_type),
            name=name,
            group_type=group_type,
            members=[(accounts[uid], role, member_fields[uid]) for uid, role in roles.items()],
            introduction=introduction,
            notification=notification,
            avatar=avatar,
            join_option=join_option,
            max_member_num=max_member_num or DEFAULT_MAX_MEMBERS[group_type],
            custom_fields=group_fields,
        )
        created = replace(creating, group=view.group)
        hooks.tell_on_commit(owner.app, hooks.GROUP_AFTER_CREATE, created)
        return view


@in_callers_transaction
def do_create_group(
    *,
    owner: Account,
    group_id: str,
    name: str,
    group_type: str,
    members: list[tuple[Account, str, dict[str, str]]],
    introduction: str,
    notification: str,
    avatar: str,
    join_option: str,
    max_member_num: int,
    custom_fields: dict[str, str] | None = None,
) -> GroupView:
    """Create the group, its conversation and its members; schedule GROUP_JOINED for
    every member, which also makes their sessions hear the group from then on, and the
    "created" notice for the creator. An
    AVChatRoom starts empty: its creator owns it but joins it like anyone."""
    try:
        # A savepoint: a groupID already taken leaves the caller's transaction usable.
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
                custom_fields=custom_fields or {},
            )
    except IntegrityError:
        raise IMError(GROUP_ID_IN_USE, f"groupID {group_id!r} is already in use") from None
    conversation = Conversation.objects.create(
        app=owner.app, kind=Conversation.Kind.GROUP, group=group
    )
    # TIM tells the creator alone, in its @TIM#SYSTEM conversation.
    notices.do_send_system_notice(
        accounts=[owner], group=group, operator=owner, operation_type=notices.NOTICE_CREATED
    )
    if group_type == Group.Type.AVCHATROOM:
        # Nobody is in an AVChatRoom until it joins, its creator included.
        return GroupView(group=group, member=None, member_count=0)
    owner_member = GroupMember(group=group, account=owner, role=GroupMember.Role.OWNER)
    rows = [
        owner_member,
        *(GroupMember(group=group, account=a, role=r, custom_fields=f) for a, r, f in members),
    ]
    GroupMember.objects.bulk_create(rows)
    Participant.objects.bulk_create(
        [Participant(conversation=conversation, account=row.account) for row in rows]
    )
    send_event_on_commit(
        Event(
            "GROUP_JOINED",
            GroupJoined(
                group=GroupView(group=group, member=None, member_count=len(rows)),
                change_seq=conversation.change_seq,
                members={row.account_id: row for row in rows},
            ),
            account_ids=frozenset(row.account_id for row in rows),
            joins_group=group.pk,
        )
    )
    return GroupView(group=group, member=owner_member, member_count=len(rows))


def check_search_group(*, account: Account, group_id: str) -> GroupView:
    """``searchGroupByID``: any group but a Private one (even for its members), as the
    searcher sees it."""
    group, member = access_group(account, group_id)
    check_can_find(group)
    return GroupView(group=group, member=member, member_count=group_member_count(group))


def _check_profile_field(field: str, value: str) -> None:
    if len(value.encode()) > LIMITS[field]:
        raise IMError(GROUP_INVALID_PARAMS, f"{field} is over {LIMITS[field]} bytes")
    if field == "name" and not value.strip():
        raise IMError(GROUP_INVALID_PARAMS, "name must not be empty")


def check_update_group_profile(
    *, account: Account, group_id: str, changes: dict[str, object]
) -> GroupView:
    """Change some of name, introduction, notification, avatar, muteAllMembers and
    joinOption (``changes`` keys in the model's names); an entry point. Members are told
    with a profile tip carrying what changed."""
    if not changes:
        raise IMError(GROUP_INVALID_PARAMS, "nothing to change")
    field_changes = None
    if "custom_fields" in changes:
        field_changes = check_fields(GROUP_FIELDS, changes["custom_fields"])
    for field, value in changes.items():
        if field in LIMITS:
            _check_profile_field(field, str(value))
        elif field == "join_option" and value not in JOIN_OPTIONS:
            raise IMError(GROUP_INVALID_PARAMS, f"joinOption must be one of {sorted(JOIN_OPTIONS)}")
    with transaction.atomic():
        group, member = access_manager(account, group_id, for_update=True)
        check_can_update_profile(group, member, {PROFILE_KEYS[f] for f in changes})
        if field_changes is not None:
            changes = {
                **changes,
                "custom_fields": merged(GROUP_FIELDS, group.custom_fields, field_changes),
            }
        changed = {f: v for f, v in changes.items() if getattr(group, f) != v}
        if changed:
            for field, value in changed.items():
                setattr(group, field, value)
            group.save(update_fields=list(changed))
            tips.do_send_group_tip(
                conversation=lock_group_conversation(group),
                operator=account,
                operation_type=tips.TIP_GROUP_PROFILE_UPDATED,
                extra={"newGroupProfile": _tip_profile(changed, field_changes)},
            )
        return GroupView(
            group=group, member=own_membership(member), member_count=group_member_count(group)
        )


def _tip_profile(changed: dict[str, object], field_changes: dict[str, str] | None) -> dict:
    """A profile tip's ``newGroupProfile``: what changed, custom fields as TIM lists them
    (only the keys given)."""
    profile = {PROFILE_KEYS[f]: v for f, v in changed.items() if f != "custom_fields"}
    if "custom_fields" in changed and field_changes:
        profile["groupCustomField"] = [{"key": k, "value": v} for k, v in field_changes.items()]
    return profile


# The model's names of the profile fields and TIM's.
PROFILE_KEYS = {
    "name": "name",
    "introduction": "introduction",
    "notification": "notification",
    "avatar": "avatar",
    "mute_all_members": "muteAllMembers",
    "join_option": "joinOption",
    "custom_fields": "groupCustomField",
}


def check_change_owner(*, account: Account, group_id: str, new_owner_id: str) -> GroupView:
    """Hand the group to another member; the old owner (if there is one: a Private
    group's owner may have quit) becomes a Member. An entry point."""
    with transaction.atomic():
        group, member = access_manager(account, group_id, for_update=True)
        target = members_by_user_id(group, [new_owner_id]).get(new_owner_id)
        if target is None:
            raise IMError(NO_PERMISSION, f"{new_owner_id!r} is not a member of this group")
        check_can_transfer(group, member, target)
        changed = [target]
        if not member.is_operator:
            changed.append(member)
        elif group.owner_id is not None:
            changed += GroupMember.objects.filter(group=group, account_id=group.owner_id)
        for row in changed:
            row.role = GroupMember.Role.OWNER if row is target else GroupMember.Role.MEMBER
        GroupMember.objects.bulk_update(changed, ["role"])
        group.owner = target.account
        group.save(update_fields=["owner"])
        tips.do_send_group_tip(
            conversation=lock_group_conversation(group),
            operator=account,
            operation_type=tips.TIP_GROUP_PROFILE_UPDATED,
            extra={"newGroupProfile": {"ownerID": new_owner_id}},
        )
        return GroupView(
            group=group, member=own_membership(member), member_count=group_member_count(group)
        )


def check_dismiss_group(*, account: Account, group_id: str) -> str:
    """Dismiss the group as its owner: every member is told (a notice, GROUP_LEFT) and
    the group and its messages are deleted. An entry point."""
    with transaction.atomic():
        group, member = access_manager(account, group_id, for_update=True)
        check_can_dismiss(group, member)
        members = group_member_accounts(group)
        notices.do_send_system_notice(
            accounts=members,
            group=group,
            operator=account,
            operation_type=notices.NOTICE_DISMISSED,
        )
        send_event_on_commit(
            Event(
                "GROUP_LEFT",
                GroupLeft(group_id=group.group_id, reason="dismissed"),
                account_ids=frozenset(a.pk for a in members),
                leaves_group=group.pk,
            )
        )
        group.delete()
    return group_id
