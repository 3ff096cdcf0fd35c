"""The permission matrix: every group method × every role × every group type, each cell
TIM's result or error code (docs/protocol.md, "Group rules by type").

The actor is alice as the owner, or bob as an Admin, a plain Member, or not in the
group; carol is the member acted on (not yet in the group for ``addGroupMember``).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from im.errors import IMError
from im.models import Account, Group, GroupMember, Participant
from im.services import groups, members

pytestmark = pytest.mark.django_db

TYPES = ("Private", "Public", "ChatRoom", "AVChatRoom")
ROLES = ("owner", "admin", "member", "outsider")
OK = "ok"

# One row per method: the cells for Private, Public, ChatRoom, AVChatRoom, each as
# (owner, admin, member, outsider). A number is the TIM code refused with.
EXPECTED: dict[str, tuple[tuple[object, ...], ...]] = {
    "joinGroup": (
        ("AlreadyInGroup", "AlreadyInGroup", "AlreadyInGroup", 10007),
        ("AlreadyInGroup", "AlreadyInGroup", "AlreadyInGroup", "JoinedSuccess"),
        ("AlreadyInGroup", "AlreadyInGroup", "AlreadyInGroup", "JoinedSuccess"),
        ("AlreadyInGroup", "AlreadyInGroup", "AlreadyInGroup", "JoinedSuccess"),
    ),
    "quitGroup": (
        (OK, OK, OK, 10007),
        (10009, OK, OK, 10007),
        (10009, OK, OK, 10007),
        (10009, OK, OK, 10007),
    ),
    "addGroupMember": (
        (OK, OK, OK, 10007),
        (10007, 10007, 10007, 10007),
        (10007, 10007, 10007, 10007),
        (10007, 10007, 10007, 10007),
    ),
    "deleteGroupMember": (
        (OK, 10007, 10007, 10007),
        (OK, OK, 10007, 10007),
        (OK, OK, 10007, 10007),
        (OK, OK, 10007, 10007),
    ),
    "dismissGroup": (
        (10007, 10007, 10007, 10007),
        (OK, 10007, 10007, 10007),
        (OK, 10007, 10007, 10007),
        (OK, 10007, 10007, 10007),
    ),
    "searchGroupByID": (
        (10010, 10010, 10010, 10010),
        (OK, OK, OK, OK),
        (OK, OK, OK, OK),
        (OK, OK, OK, OK),
    ),
    "getGroupMemberList": (
        (OK, OK, OK, 10007),
        (OK, OK, OK, 10007),
        (OK, OK, OK, 10007),
        (OK, OK, OK, 10007),
    ),
    "setGroupMemberRole": (
        (10007, 10007, 10007, 10007),
        (OK, 10007, 10007, 10007),
        (OK, 10007, 10007, 10007),
        (OK, 10007, 10007, 10007),
    ),
    "setGroupMemberMuteTime": (
        (10007, 10007, 10007, 10007),
        (OK, OK, 10007, 10007),
        (OK, OK, 10007, 10007),
        (OK, OK, 10007, 10007),
    ),
    "setGroupMemberNameCard": (
        (OK, OK, 10007, 10007),
        (OK, OK, 10007, 10007),
        (OK, OK, 10007, 10007),
        (OK, OK, 10007, 10007),
    ),
    "updateGroupProfile": (
        (OK, OK, OK, 10007),
        (OK, OK, 10007, 10007),
        (OK, OK, 10007, 10007),
        (OK, OK, 10007, 10007),
    ),
    "muteAllMembers": (
        (10007, 10007, 10007, 10007),
        (OK, OK, 10007, 10007),
        (OK, OK, 10007, 10007),
        (OK, OK, 10007, 10007),
    ),
    "changeGroupOwner": (
        (OK, 10007, 10007, 10007),
        (OK, 10007, 10007, 10007),
        (OK, 10007, 10007, 10007),
        (10007, 10007, 10007, 10007),
    ),
}

Call = Callable[[Account, str], object]
CALLS: dict[str, Call] = {
    "joinGroup": lambda actor, gid: members.check_join_group(account=actor, group_id=gid).status,
    "quitGroup": lambda actor, gid: members.check_quit_group(account=actor, group_id=gid),
    "addGroupMember": lambda actor, gid: members.check_add_members(
        account=actor, group_id=gid, user_ids=["carol"]
    ),
    "deleteGroupMember": lambda actor, gid: members.check_delete_members(
        account=actor, group_id=gid, user_ids=["carol"]
    ),
    "dismissGroup": lambda actor, gid: groups.check_dismiss_group(account=actor, group_id=gid),
    "searchGroupByID": lambda actor, gid: groups.check_search_group(account=actor, group_id=gid),
    "getGroupMemberList": lambda actor, gid: members.check_member_list(account=actor, group_id=gid),
    "setGroupMemberRole": lambda actor, gid: members.check_set_role(
        account=actor, group_id=gid, user_id="carol", role="Admin"
    ),
    "setGroupMemberMuteTime": lambda actor, gid: members.check_set_mute_time(
        account=actor, group_id=gid, user_id="carol", mute_time=600
    ),
    "setGroupMemberNameCard": lambda actor, gid: members.check_set_name_card(
        account=actor, group_id=gid, user_id="carol", name_card="茶博士"
    ),
    "updateGroupProfile": lambda actor, gid: groups.check_update_group_profile(
        account=actor, group_id=gid, changes={"name": "新茶馆"}
    ),
    "muteAllMembers": lambda actor, gid: groups.check_update_group_profile(
        account=actor, group_id=gid, changes={"mute_all_members": True}
    ),
    "changeGroupOwner": lambda actor, gid: groups.check_change_owner(
        account=actor, group_id=gid, new_owner_id="carol"
    ),
}


def enrol(group: Group, account: Account, role: str = GroupMember.Role.MEMBER) -> None:
    GroupMember.objects.create(group=group, account=account, role=role)
    Participant.objects.create(conversation=group.conversation, account=account)


def setup_group(cast: dict[str, Account], group_type: str, role: str, method: str) -> Account:
    """alice's group of ``group_type``; bob in it as ``role``; carol a member (unless
    she is to be added). Returns the actor."""
    view = groups.check_create_group(
        owner=cast["alice"], name="茶馆", group_type=group_type, group_id="tea"
    )
    group = view.group
    if group_type == "AVChatRoom":  # its creator is in it only once it joins
        members.check_join_group(account=cast["alice"], group_id="tea")
    if role in ("admin", "member"):
        enrol(group, cast["bob"], GroupMember.Role.ADMIN if role == "admin" else "Member")
    if method != "addGroupMember":
        enrol(group, cast["carol"])
    return cast["alice"] if role == "owner" else cast["bob"]


def outcome(call: Call, actor: Account) -> object:
    try:
        result = call(actor, "tea")
    except IMError as error:
        return error.code
    return result if isinstance(result, str) and result != "tea" else OK


CELLS = [
    (method, group_type, role, EXPECTED[method][t][r])
    for method in EXPECTED
    for t, group_type in enumerate(TYPES)
    for r, role in enumerate(ROLES)
]


@pytest.mark.parametrize(("method", "group_type", "role", "expected"), CELLS)
def test_permission_matrix(cast, method, group_type, role, expected):
    actor = setup_group(cast, group_type, role, method)
    assert outcome(CALLS[method], actor) == expected


def test_every_method_and_cell_is_in_the_matrix():
    assert set(EXPECTED) == set(CALLS)
    assert len(CELLS) == len(CALLS) * len(TYPES) * len(ROLES)


# The app administrator outside the group (bob), acting as TIM's console and REST API
# do: the owner's rights in every group, and more (it dismisses a Private group and
# adds members to Public and ChatRoom ones). Cells for Private, Public, ChatRoom,
# AVChatRoom.
OPERATOR: dict[str, tuple[object, ...]] = {
    "joinGroup": (10007, "JoinedSuccess", "JoinedSuccess", "JoinedSuccess"),
    "quitGroup": (10007, 10007, 10007, 10007),
    "addGroupMember": (OK, OK, OK, 10007),
    "deleteGroupMember": (OK, OK, OK, OK),
    "dismissGroup": (OK, OK, OK, OK),
    "searchGroupByID": (10010, OK, OK, OK),
    "getGroupMemberList": (OK, OK, OK, OK),
    "setGroupMemberRole": (10007, OK, OK, OK),
    "setGroupMemberMuteTime": (10007, OK, OK, OK),
    "setGroupMemberNameCard": (OK, OK, OK, OK),
    "updateGroupProfile": (OK, OK, OK, OK),
    "muteAllMembers": (10007, OK, OK, OK),
    "changeGroupOwner": (OK, OK, OK, 10007),
}


@pytest.mark.parametrize(
    ("method", "group_type", "expected"),
    [(m, t, OPERATOR[m][i]) for m in OPERATOR for i, t in enumerate(TYPES)],
)
def test_the_app_administrator_operates_every_group(cast, method, group_type, expected):
    setup_group(cast, group_type, "outsider", method)
    Account.objects.filter(pk=cast["bob"].pk).update(is_admin=True)
    # bob's account object is from before the change, as a logged-in session's would be.
    assert outcome(CALLS[method], cast["bob"]) == expected
    assert set(OPERATOR) == set(CALLS)


def test_the_operator_hands_over_and_the_old_owner_becomes_a_member(cast):
    setup_group(cast, "Public", "outsider", "changeGroupOwner")
    Account.objects.filter(pk=cast["bob"].pk).update(is_admin=True)
    view = groups.check_change_owner(account=cast["bob"], group_id="tea", new_owner_id="carol")
    assert view.member is None  # bob is still not a member
    roles = dict(
        GroupMember.objects.filter(group__group_id="tea").values_list("account__user_id", "role")
    )
    assert roles == {"alice": "Member", "carol": "Owner"}
    assert Group.objects.get(group_id="tea").owner.user_id == "carol"
    # ... and handing it to its owner again is refused.
    assert outcome(CALLS["changeGroupOwner"], cast["bob"]) == 10004


def test_an_app_administrator_who_is_a_plain_member_still_operates(cast):
    setup_group(cast, "Public", "member", "deleteGroupMember")
    Account.objects.filter(pk=cast["bob"].pk).update(is_admin=True)
    assert outcome(CALLS["deleteGroupMember"], cast["bob"]) == OK
    assert outcome(CALLS["addGroupMember"], cast["carol"]) == 10007  # not an administrator
