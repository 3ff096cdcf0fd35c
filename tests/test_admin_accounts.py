"""Accounts in the operators' admin: disable and enable, kick, edit, see instances and
groups; each action only for staff with its permission, each recorded in the history."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.contrib.admin.models import CHANGE
from django.utils import timezone

from im.errors import ACCOUNT_DISABLED, PROFILE_VALUE_TOO_LONG, SDKAPPID_DISABLED, IMError
from im.models import Account, Group, GroupMember, Instance
from im.services.accounts import do_update_account
from im.services.instances import do_register_instance
from tests.admintools import ahistory, change_form_data, history, sign_in, staff
from tests.conftest import SDKAPPID, make_sig
from tests.test_ws_instances import assert_kicked
from tests.wsclient import IMClient, online

pytestmark = pytest.mark.django_db(transaction=True)

CHANGELIST = "/admin/im/account/"


@pytest.fixture
def support(db, django_user_model):
    """May look at and edit accounts, but not kick or disable them."""
    return staff(django_user_model, "support", "view_account", "change_account")


async def log_in(client, user) -> None:
    await sync_to_async(sign_in)(client, user)


async def run_action(client, action: str, *accounts: Account):
    return await sync_to_async(client.post)(
        CHANGELIST, {"action": action, "_selected_action": [a.pk for a in accounts]}
    )


def login_data(user_id: str, instance_id: str = "") -> dict:
    data = {"SDKAppID": SDKAPPID, "userID": user_id, "userSig": make_sig(user_id)}
    return {**data, "instanceID": instance_id} if instance_id else data


async def login_answer(user_id: str, instance_id: str = "") -> dict:
    """The answer to a login on a new connection, which is then closed."""
    client = await IMClient().connect()
    try:
        return await client.request("login", login_data(user_id, instance_id))
    finally:
        await client.close()


async def test_disable_kicks_exactly_that_account_and_refuses_it_until_enabled(
    cast, app_admin, client
):
    alice1, alice2, bob = await online("alice"), await online("alice"), await online("bob")
    # A session of alice's whose connection dropped: its reconnect must not get back in.
    away = await IMClient().connect()
    await away.ok("login", login_data("alice", "t1"))
    await away.close()
    await log_in(client, app_admin)

    response = await run_action(client, "disable", cast["alice"])
    assert response.status_code == 302
    for connection in (alice1, alice2):
        await assert_kicked(connection, "REST_API_Kick")
    await bob.assert_silent()
    await bob.ok("heartbeat")
    assert (await Account.objects.aget(pk=cast["alice"].pk)).is_disabled
    assert not await Instance.objects.filter(account=cast["alice"], is_online=True).aexists()

    for instance_id in ("", "t1"):
        refused = await login_answer("alice", instance_id)
        assert refused["code"] == ACCOUNT_DISABLED, refused
        assert "disabled" in refused["message"]
    assert (await login_answer("bob"))["code"] == 0

    response = await run_action(client, "enable", cast["alice"])
    assert response.status_code == 302
    assert (await login_answer("alice"))["code"] == 0
    # The kicked session stays kicked: only a new login() comes back.
    assert (await login_answer("alice", "t1"))["code"] == 6208
    assert await ahistory(cast["alice"]) == [
        ("appadmin", CHANGE, "Disabled; 3 instances kicked out."),
        ("appadmin", CHANGE, "Enabled again."),
    ]
    assert await ahistory(cast["bob"]) == []
    await bob.close()


async def test_disable_and_kick_are_refused_without_their_permissions(cast, support, client):
    alice = await online("alice")
    await log_in(client, support)
    page = await sync_to_async(client.get)(CHANGELIST)
    assert page.status_code == 200
    for action in (b'value="disable"', b'value="enable"', b'value="kick_out"'):
        assert action not in page.content
    for action in ("disable", "enable", "kick_out"):
        response = await run_action(client, action, cast["alice"])
        assert response.status_code == 403, action
    await alice.assert_silent()
    await alice.ok("heartbeat")
    assert not (await Account.objects.aget(pk=cast["alice"].pk)).is_disabled
    assert await ahistory(cast["alice"]) == []
    await alice.close()


async def test_kick_needs_only_its_own_permission(cast, django_user_model, client):
    alice, bob = await online("alice"), await online("bob")
    kicker = await sync_to_async(staff)(django_user_model, "kicker", "view_account", "kick_account")
    await log_in(client, kicker)
    assert (await run_action(client, "disable", cast["alice"])).status_code == 403
    assert (await run_action(client, "kick_out", cast["alice"])).status_code == 302
    await assert_kicked(alice, "REST_API_Kick")
    await bob.assert_silent()
    # Kicked, not disabled: alice logs in again.
    assert (await login_answer("alice"))["code"] == 0
    assert await ahistory(cast["alice"]) == [("kicker", CHANGE, "Kicked out 1 instances.")]
    await bob.close()


def test_edit_nick_and_avatar_through_the_service(cast, app_admin, client):
    sign_in(client, app_admin)
    account = cast["bob"]
    url = f"{CHANGELIST}{account.pk}/change/"
    data = change_form_data(client, url, "account_form")
    assert data["nick"] == "Bob"
    response = client.post(
        url, {**data, "nick": "Bobby", "avatar": "https://example.com/b.png", "is_disabled": "on"}
    )
    assert response.status_code == 302, response.content
    account.refresh_from_db()
    assert (account.nick, account.avatar) == ("Bobby", "https://example.com/b.png")
    assert not account.is_disabled  # only the action disables
    [(who, flag, message)] = history(account)
    assert (who, flag) == ("appadmin", CHANGE)
    assert message == '[{"changed": {"fields": ["Nick", "Avatar"]}}]'

    too_long = client.post(url, {**data, "nick": "x" * 501})
    assert too_long.status_code == 200  # the form shows the error
    account.refresh_from_db()
    assert account.nick == "Bobby"


def test_edit_is_refused_to_view_only_staff(cast, django_user_model, client):
    sign_in(client, staff(django_user_model, "viewer", "view_account"))
    url = f"{CHANGELIST}{cast['bob'].pk}/change/"
    assert client.get(url).status_code == 200
    assert client.post(url, {"nick": "mallory"}).status_code == 403
    cast["bob"].refresh_from_db()
    assert cast["bob"].nick == "Bob"
    assert history(cast["bob"]) == []


def test_update_account_checks_lengths(cast):
    with pytest.raises(IMError) as refused:
        do_update_account(account=cast["bob"], nick="昵" * 167)  # 501 bytes
    assert refused.value.code == PROFILE_VALUE_TOO_LONG
    with pytest.raises(IMError):
        do_update_account(account=cast["bob"], avatar="https://e.com/" + "x" * 500)
    cast["bob"].refresh_from_db()
    assert cast["bob"].nick == "Bob"


async def test_change_page_lists_live_instances_and_groups(cast, im_app, support, client):
    alice = await IMClient().connect()
    await alice.ok("login", login_data("alice", "tab"))
    group = await Group.objects.acreate(
        app=im_app, group_id="@TGS#friends", name="Friends", type="Public", owner=cast["alice"]
    )
    await GroupMember.objects.acreate(group=group, account=cast["alice"], role="Owner")
    await log_in(client, support)
    page = await sync_to_async(client.get)(f"{CHANGELIST}{cast['alice'].pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    for text in ("tab", "@TGS#friends", "Friends", "Public", "Owner"):
        assert text in html, text
    bob_page = await sync_to_async(client.get)(f"{CHANGELIST}{cast['bob'].pk}/change/")
    assert "@TGS#friends" not in bob_page.content.decode()
    await alice.close()


async def test_filters_by_online_and_searches_nick(cast, app_admin, client):
    alice = await online("alice")
    await log_in(client, app_admin)

    async def listed(query: str) -> set[str]:
        page = await sync_to_async(client.get)(f"{CHANGELIST}?{query}")
        assert page.status_code == 200
        return {uid for uid in ("alice", "bob", "carol") if f">{uid}</a>" in page.content.decode()}

    assert await listed("online=yes") == {"alice"}
    assert await listed("online=no") == {"bob", "carol"}
    assert await listed("q=Caro") == {"carol"}
    assert await listed(f"app__id__exact={cast['bob'].app_id}&online=no") == {"bob", "carol"}
    await alice.close()


def test_the_registry_refuses_a_login_that_raced_a_disable(cast, im_app):
    """A login verified just before a disable committed still meets the flags when it
    registers its instance, under the account's lock."""
    expires = timezone.now() + timedelta(hours=1)
    account = Account.objects.select_related("app").get(pk=cast["alice"].pk)
    Account.objects.filter(pk=account.pk).update(is_disabled=True)
    with pytest.raises(IMError) as refused:
        do_register_instance(account=account, channel_name="c1", sig_expires_at=expires)
    assert refused.value.code == ACCOUNT_DISABLED
    Account.objects.filter(pk=account.pk).update(is_disabled=False)
    im_app.is_disabled = True
    im_app.save(update_fields=["is_disabled"])
    with pytest.raises(IMError) as refused:
        do_register_instance(account=account, channel_name="c2", sig_expires_at=expires)
    assert refused.value.code == SDKAPPID_DISABLED
    assert not Instance.objects.exists()


async def test_app_administrators_are_made_in_the_admin_by_who_may_change_apps(
    cast, django_user_model, client, support
):
    await log_in(client, support)  # may change accounts, not apps
    for action in ("make_app_admin", "remove_app_admin"):
        assert (await run_action(client, action, cast["bob"])).status_code == 403
    assert not (await Account.objects.aget(pk=cast["bob"].pk)).is_admin

    operator = await sync_to_async(staff)(
        django_user_model, "operator", "view_account", "change_app"
    )
    await log_in(client, operator)
    assert (await run_action(client, "make_app_admin", cast["bob"])).status_code == 302
    assert (await Account.objects.aget(pk=cast["bob"].pk)).is_admin
    assert await ahistory(cast["bob"]) == [("operator", CHANGE, "Made an app administrator.")]
    assert (await run_action(client, "remove_app_admin", cast["bob"])).status_code == 302
    assert not (await Account.objects.aget(pk=cast["bob"].pk)).is_admin
