"""Chat groups in the operators' admin, through Django's test client, with members'
WebSocket connections open: what an operator does reaches exactly the members it
concerns, as the tips, notices and GROUP_LEFT a member's action would bring; a staff
user without the permission is refused (403), nothing changed and nothing pushed.

The group "tea" is Public: alice owns it, bob is in it, carol is not (she is online
too, and must hear nothing).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from asgiref.sync import sync_to_async
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.models import Permission, User
from django.contrib.messages import get_messages
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from im.models import Account, App, Group, GroupMember, Message
from im.services.groups import check_create_group
from tests.wsclient import IMClient, assert_all_silent, online, text_message

pytestmark = pytest.mark.django_db(transaction=True)

OPERATOR = "administrator"


@pytest.fixture
def tea(cast: dict[str, Account]) -> Group:
    view = check_create_group(
        owner=cast["alice"],
        name="茶馆",
        group_type="Public",
        group_id="tea",
        members=[("bob", "Member")],
    )
    return view.group


def signed_in(user: User) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


@pytest.fixture
def operator(app_admin: User) -> Client:
    return signed_in(app_admin)


def staff_with(username: str, *codenames: str) -> User:
    user = User.objects.create_user(username, password="pw-staff-1", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="im", codename__in=codenames)
    )
    return user


@pytest.fixture
def support(db) -> Client:
    """Staff who may look at, create and edit groups, and nothing of the custom rights."""
    return signed_in(staff_with("support", "view_group", "change_group", "add_group"))


def url(name: str, group: Group) -> str:
    return reverse(f"admin:im_group_{name}", args=[group.pk])


async def post(client: Client, path: str, data: dict[str, str]) -> HttpResponse:
    return await sync_to_async(client.post)(path, data)


async def get(client: Client, path: str) -> HttpResponse:
    return await sync_to_async(client.get)(path)


async def received(client: IMClient) -> dict:
    """The one message of the next MESSAGE_RECEIVED push."""
    (message,) = (await client.push("MESSAGE_RECEIVED"))["data"]
    return message


async def tip(client: IMClient) -> dict:
    message = await received(client)
    assert (message["type"], message["conversationID"]) == ("TIMGroupTipElem", "GROUPtea")
    assert message["from"] == OPERATOR
    return message["payload"]


async def notice(client: IMClient) -> dict:
    message = await received(client)
    assert (message["type"], message["conversationID"]) == (
        "TIMGroupSystemNoticeElem",
        "@TIM#SYSTEM",
    )
    assert message["payload"]["operatorID"] == OPERATOR
    return message["payload"]


async def all_online() -> tuple[IMClient, IMClient, IMClient]:
    return await online("alice"), await online("bob"), await online("carol")


async def silent(*clients: IMClient) -> None:
    await assert_all_silent(*clients)
    for client in clients:
        await client.close()


@sync_to_async
def history(group_pk: int, user: str = "appadmin") -> list[tuple[int, str]]:
    entries = LogEntry.objects.filter(object_id=str(group_pk), user__username=user)
    return [(e.action_flag, e.get_change_message()) for e in entries.order_by("pk")]


@sync_to_async
def membership(group: Group) -> dict[str, tuple[str, bool]]:
    """userID: (role, muted now) of every member."""
    rows = GroupMember.objects.filter(group=group).select_related("account")
    return {m.account.user_id: (m.role, m.mute_until is not None) for m in rows}


def messages_of(response: HttpResponse) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- each operation reaches exactly the members it concerns ---


async def test_a_mute_reaches_the_members_and_the_muted_cannot_send(operator, tea):
    alice, bob, carol = await all_online()
    page = await get(operator, url("mute", tea) + "?user_id=bob")
    assert page.status_code == 200 and page.context["form"]["user_id"].value() == "bob"

    response = await post(operator, url("mute", tea), {"user_id": "bob", "mute_time": "600"})

    assert response.status_code == 302
    for client in (alice, bob):
        payload = await tip(client)
        assert payload["operationType"] == 7
        assert payload["memberList"] == [{"userID": "bob", "muteTime": 600}]
    refused = await bob.request(
        "sendMessage", text_message("hello?", to="tea", conversationType="GROUP")
    )
    assert refused["code"] == 10017
    assert (await membership(tea))["bob"] == ("Member", True)
    assert await history(tea.pk) == [(CHANGE, "Muted bob for 10 minutes")]
    await silent(alice, bob, carol)


async def test_an_ownership_transfer_tells_the_members(operator, tea):
    alice, bob, carol = await all_online()

    response = await post(operator, url("transfer", tea), {"user_id": "bob"})

    assert response.status_code == 302
    for client in (alice, bob):
        payload = await tip(client)
        assert (payload["operationType"], payload["newGroupProfile"]) == (6, {"ownerID": "bob"})
    assert await membership(tea) == {"alice": ("Member", False), "bob": ("Owner", False)}
    assert await history(tea.pk) == [(CHANGE, "bob now owns the group")]
    await silent(alice, bob, carol)


async def test_a_removal_sends_the_removed_away_with_the_reason(operator, tea):
    alice, bob, carol = await all_online()

    response = await post(
        operator, url("remove_members", tea), {"user_ids": "bob", "reason": "spam"}
    )

    assert response.status_code == 302
    assert (await bob.push("GROUP_LEFT"))["data"] == {"groupID": "tea", "reason": "kicked"}
    kicked = await notice(bob)
    assert (kicked["operationType"], kicked["handleMessage"]) == (4, "spam")
    payload = await tip(alice)
    assert (payload["operationType"], payload["userIDList"]) == (3, ["bob"])
    assert await membership(tea) == {"alice": ("Owner", False)}
    assert await history(tea.pk) == [(CHANGE, "Removed bob from the group")]
    await silent(alice, bob, carol)


async def test_a_dismissal_through_the_delete_view(operator, tea):
    alice, bob, carol = await all_online()
    confirm = await get(operator, url("delete", tea))
    assert confirm.status_code == 200
    assert "tea, with 2 members" in confirm.content.decode()

    response = await post(operator, url("delete", tea), {"post": "yes"})

    assert response.status_code == 302
    for client in (alice, bob):
        assert (await notice(client))["operationType"] == 5
        assert (await client.push("GROUP_LEFT"))["data"] == {
            "groupID": "tea",
            "reason": "dismissed",
        }
    assert not await Group.objects.filter(pk=tea.pk).aexists()
    assert await history(tea.pk) == [(DELETION, "")]
    await silent(alice, bob, carol)


async def test_a_custom_notice_reaches_every_member(operator, tea):
    alice, bob, carol = await all_online()

    response = await post(operator, url("notice", tea), {"text": "今晚十点维护"})

    assert response.status_code == 302
    assert messages_of(response) == ["Sent a system notice to 2 members"]
    for client in (alice, bob):
        payload = await notice(client)
        assert payload["operationType"] == 255
        assert payload["userDefinedField"] == "今晚十点维护"
        assert payload["groupProfile"] == {"groupID": "tea", "name": "茶馆"}
    assert await history(tea.pk) == [(CHANGE, "Sent a system notice to 2 members")]
    await silent(alice, bob, carol)


async def test_a_profile_edit_goes_through_the_service(operator, tea):
    alice, bob, carol = await all_online()
    form = {
        "name": "新茶馆",
        "introduction": "",
        "notification": "",
        "avatar": "",
        "join_option": "FreeAccess",
        "mute_all_members": "on",
        **management_form(),
    }

    response = await post(operator, url("change", tea), form)

    assert response.status_code == 302
    for client in (alice, bob):
        payload = await tip(client)
        assert payload["newGroupProfile"] == {"name": "新茶馆", "muteAllMembers": True}
    refused = await bob.request(
        "sendMessage", text_message("hi", to="tea", conversationType="GROUP")
    )
    assert refused["code"] == 10017
    await alice.ok("sendMessage", text_message("owner speaks", to="tea", conversationType="GROUP"))
    await bob.push("MESSAGE_RECEIVED")
    [(flag, message)] = await history(tea.pk)
    assert flag == CHANGE and "Name" in message and "Mute all members" in message
    await silent(alice, bob, carol)


async def test_the_list_action_mutes_everyone_but_the_owner(operator, tea):
    alice, bob, carol = await all_online()

    response = await post(
        operator,
        reverse("admin:im_group_changelist"),
        {"action": "mute_all", "_selected_action": str(tea.pk)},
    )

    assert response.status_code == 302
    assert messages_of(response) == ["tea: Muted all members"]
    for client in (alice, bob):
        assert (await tip(client))["newGroupProfile"] == {"muteAllMembers": True}
    refused = await bob.request(
        "sendMessage", text_message("hi", to="tea", conversationType="GROUP")
    )
    assert refused["code"] == 10017
    assert await history(tea.pk) == [(CHANGE, "Muted all members")]
    await silent(alice, bob, carol)


async def test_creating_a_group_in_the_admin(operator, im_app: App, cast):
    alice, bob, carol = await all_online()
    form = {
        "app": str(im_app.pk),
        "group_id": "club",
        "name": "俱乐部",
        "type": "Public",
        "join_option": "NeedPermission",
        "owner_user_id": "alice",
        "member_user_ids": "bob, carol",
    }

    response = await post(operator, reverse("admin:im_group_add"), form)

    assert response.status_code == 302
    group = await Group.objects.select_related("owner").aget(group_id="club")
    assert (group.owner.user_id, group.join_option) == ("alice", "NeedPermission")
    for client in (alice, bob, carol):
        assert (await client.push("GROUP_JOINED"))["data"]["groupID"] == "club"
    created = (await received(alice))["payload"]
    assert (created["operationType"], created["operatorID"]) == (6, "alice")
    assert await history(group.pk) == [(ADDITION, "Added.")]
    await silent(alice, bob, carol)


# --- a refusal by a service is an error message, and nothing is changed ---


async def test_a_service_refusal_is_shown_and_changes_nothing(operator, tea):
    alice, bob, carol = await all_online()

    outsider = await post(operator, url("mute", tea), {"user_id": "carol", "mute_time": "600"})
    new_group = {
        "app": str(tea.app_id),
        "name": "again",
        "type": "Public",
        "join_option": "FreeAccess",
        "owner_user_id": "carol",
    }
    missing = await post(
        operator, reverse("admin:im_group_add"), {**new_group, "member_user_ids": "zed"}
    )
    taken = await post(operator, reverse("admin:im_group_add"), {**new_group, "group_id": "tea"})

    assert outsider.status_code == 200
    assert messages_of(outsider) == [
        "Nothing was changed: 'carol' is not a member of this group (code 10004)"
    ]
    assert missing.status_code == 302
    assert messages_of(missing) == ["Nothing was changed: no such userIDs: zed (code 10019)"]
    # The model's own constraint: the form comes back with the error.
    assert taken.status_code == 200
    assert taken.context["adminform"].form.errors["__all__"] == [
        "Chat group with this App and GroupID already exists."
    ]
    assert await Group.objects.acount() == 1
    assert not await LogEntry.objects.aexists()
    await silent(alice, bob, carol)


# --- staff without the permission see no control and are refused ---

FORGED: dict[str, Callable[[Group], tuple[str, dict[str, str]]]] = {
    "mute": lambda g: (url("mute", g), {"user_id": "bob", "mute_time": "600"}),
    "transfer": lambda g: (url("transfer", g), {"user_id": "bob"}),
    "remove": lambda g: (url("remove_members", g), {"user_ids": "bob"}),
    "dismiss": lambda g: (url("delete", g), {"post": "yes"}),
    "notice": lambda g: (url("notice", g), {"text": "forged"}),
}


@pytest.mark.parametrize("action", FORGED)
async def test_forged_posts_are_refused_without_the_permission(support, tea, action):
    alice, bob, carol = await all_online()
    before = await membership(tea)
    path, data = FORGED[action](tea)

    response = await post(support, path, data)

    assert response.status_code == 403
    assert await membership(tea) == before
    assert await Message.objects.filter(conversation__group=tea).acount() == 0
    assert not await LogEntry.objects.aexists()
    await silent(alice, bob, carol)


async def test_staff_see_only_the_controls_they_may_use(support, tea):
    page = (await get(support, url("change", tea))).content.decode()
    for control in ("add-members", "remove-members", "set-role", "mute", "transfer", "notice"):
        assert f'data-testid="group-tool-{control}"' not in page
    assert 'data-testid="member-mute"' not in page
    assert url("delete", tea) not in page

    members_manager = await sync_to_async(staff_with)(
        "moderator", "view_group", "manage_chat_group_members"
    )
    page = (await get(await sync_to_async(signed_in)(members_manager), url("change", tea))).content
    shown = page.decode()
    assert 'data-testid="group-tool-mute"' in shown and 'data-testid="member-mute"' in shown
    assert 'data-testid="group-tool-notice"' not in shown
    assert 'name="name"' not in shown  # no change_group: the profile is read-only


async def test_view_only_staff_cannot_edit_the_profile(tea):
    viewer = await sync_to_async(staff_with)("viewer", "view_group")
    client = await sync_to_async(signed_in)(viewer)
    alice = await online("alice")

    response = await post(client, url("change", tea), {"name": "forged", **management_form()})

    assert response.status_code == 403
    assert (await Group.objects.aget(pk=tea.pk)).name == "茶馆"
    await silent(alice)


def management_form(total: int = 0) -> dict[str, str]:
    """The members inline's formset management fields, as the change page posts them."""
    return {
        "members-TOTAL_FORMS": str(total),
        "members-INITIAL_FORMS": str(total),
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "0",
    }


# --- the list: search and filters in a fixed number of queries ---


def listed(client: Client, query: str) -> tuple[list[str], int]:
    """The groupIDs the list shows for ``query``, and the queries it took."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:im_group_changelist") + query)
    assert response.status_code == 200
    return sorted(g.group_id for g in response.context["cl"].result_list), len(queries)


def test_list_search_and_filters_in_a_fixed_number_of_queries(operator, cast, im_app):
    def make(group_id: str, **kwargs) -> None:
        check_create_group(
            owner=cast[kwargs.pop("owner", "alice")],
            name=kwargs.pop("name", group_id),
            group_type=kwargs.pop("type", "Public"),
            group_id=group_id,
            members=[("bob", "Member")],
            **kwargs,
        )

    make("tea", name="茶馆")
    make("work", type="Private", owner="carol")
    queries = {
        "?q=tea": ["tea"],
        "?q=carol": ["work"],
        "?type__exact=Private": ["work"],
        f"?app__id__exact={im_app.pk}": ["tea", "work"],
        "?join_option__exact=FreeAccess": ["tea", "work"],
        "?mute_all_members__exact=0": ["tea", "work"],
    }
    few = {query: listed(operator, query) for query in queries}
    for n in range(4):
        make(f"more{n}", join_option="NeedPermission", name=f"tea room {n}")
    many = {query: listed(operator, query) for query in queries}

    for query, expected in queries.items():
        assert few[query][0] == expected, query
        assert many[query][1] == few[query][1], query
    assert many["?q=tea"][0] == ["more0", "more1", "more2", "more3", "tea"]
    assert listed(operator, "?join_option__exact=NeedPermission")[0] == [
        "more0",
        "more1",
        "more2",
        "more3",
    ]
    response = operator.get(reverse("admin:im_group_changelist") + "?q=tea&o=6")
    rows = {
        g.group_id: (g.member_count, g.owner.user_id) for g in response.context["cl"].result_list
    }
    assert rows["tea"] == (2, "alice")
