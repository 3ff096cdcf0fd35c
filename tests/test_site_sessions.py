"""IM sessions of the chat site that end when they should: signing out of the site ends
the ones that browser session opened (and only those), a deactivated user's are kicked
and its logins refused."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from im.errors import ACCOUNT_DISABLED, KICKED_OUT
from im.models import Instance
from tests.admintools import sign_in
from tests.wsclient import IMClient

pytestmark = pytest.mark.django_db(transaction=True)


async def site_login(browser: Client, instance_id: str) -> tuple[IMClient, dict]:
    """What the chat page does: fetch its credentials, log its SDK in with them."""
    response = await sync_to_async(browser.get)("/im/usersig/")
    assert response.status_code == 200
    credentials = response.json()["data"]
    client = await IMClient().connect()
    answer = await client.request(
        "login",
        {
            "SDKAppID": credentials["SDKAppID"],
            "userID": credentials["userID"],
            "userSig": credentials["userSig"],
            "instanceID": instance_id,
        },
    )
    return client, answer


async def logged_in(browser: Client, instance_id: str) -> IMClient:
    client, answer = await site_login(browser, instance_id)
    assert answer["code"] == 0, answer
    await client.push("SDK_READY")
    return client


async def assert_kicked(client: IMClient) -> None:
    assert (await client.push("KICKED_OUT"))["data"] == {"type": "REST_API_Kick"}
    assert await client.comm.receive_output(timeout=10) == {"type": "websocket.close", "code": 4001}


async def test_signing_out_ends_the_im_sessions_of_that_browser_session_only(
    site_app, django_user_model
):
    site_app.max_web_instances = 5
    await site_app.asave()
    user = await sync_to_async(django_user_model.objects.create_user)("mei", password="pw-mei-1")
    laptop, phone = Client(), Client()
    for browser in (laptop, phone):
        await sync_to_async(browser.force_login)(user)
    tab_one = await logged_in(laptop, "tab-1")
    tab_two = await logged_in(laptop, "tab-2")
    asleep = await logged_in(laptop, "tab-asleep")
    await asleep.close()  # a tab whose connection is down when the user signs out
    on_phone = await logged_in(phone, "phone-1")

    response = await sync_to_async(laptop.post)("/accounts/logout/")
    assert response.status_code == 302
    for tab in (tab_one, tab_two):
        await assert_kicked(tab)
    await on_phone.assert_silent()
    assert (await on_phone.ok("heartbeat"))["serverTime"] > 0
    # The tab that was away hears it when it comes back, and cannot carry on.
    await sync_to_async(laptop.force_login)(user)  # even signed in again: a new login() is
    back, answer = await site_login(laptop, "tab-asleep")  # needed, not a reconnect
    assert answer["code"] == KICKED_OUT
    assert [
        i async for i in Instance.objects.filter(is_online=True).values_list("instance_id")
    ] == [("phone-1",)]
    for client in (back, on_phone):
        await client.close()


async def test_a_deactivated_user_is_kicked_and_cannot_log_in(site_app, django_user_model):
    site_app.max_web_instances = 2
    await site_app.asave()
    user = await sync_to_async(django_user_model.objects.create_user)("kai", password="pw-kai-1")
    other = await sync_to_async(django_user_model.objects.create_user)("lu", password="pw-lu-1")
    kai_browser, lu_browser = Client(), Client()
    await sync_to_async(kai_browser.force_login)(user)
    await sync_to_async(lu_browser.force_login)(other)
    kai = await logged_in(kai_browser, "kai-1")
    lu = await logged_in(lu_browser, "lu-1")
    credentials = (await sync_to_async(kai_browser.get)("/im/usersig/")).json()["data"]

    # An operator unticks "Active" in the admin.
    operator = await sync_to_async(django_user_model.objects.create_superuser)(
        "root", "root@example.com", "pw-root-1"
    )
    admin = await sync_to_async(sign_in)(Client(), operator)
    form = {
        "username": "kai",
        "first_name": "",
        "last_name": "",
        "email": "",
        "is_staff": "",
        "is_active": "",  # unticked
        "date_joined_0": "2026-12-01",
        "date_joined_1": "10:00:00",
    }
    response = await sync_to_async(admin.post)(f"/admin/auth/user/{user.pk}/change/", form)
    assert response.status_code == 302, response.content[:500]

    await assert_kicked(kai)
    await lu.assert_silent()
    # A sig issued before still verifies, but the account cannot log in with it.
    client = await IMClient().connect()
    refused = await client.request(
        "login",
        {key: credentials[key] for key in ("SDKAppID", "userID", "userSig")},
    )
    assert refused["code"] == ACCOUNT_DISABLED and "deactivated" in refused["message"]
    for each in (client, lu):
        await each.close()
