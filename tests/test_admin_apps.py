"""Apps in the operators' admin: disabling kicks every session of the app, the secret key
is shown once (added or rotated) and never in a form field, rotation needs its permission."""

from __future__ import annotations

import re

import pytest
from asgiref.sync import sync_to_async
from django.contrib.admin.models import ADDITION, CHANGE

from im.errors import SDKAPPID_DISABLED, USERSIG_BAD_SIGNATURE
from im.models import App, CallbackFailure
from tests.admintools import ahistory, change_form_data, history, sign_in, staff
from tests.conftest import SECRET_KEY, make_sig
from tests.test_ws_instances import assert_kicked
from tests.wsclient import IMClient, online

pytestmark = pytest.mark.django_db(transaction=True)

OTHER_APPID = 1400000002


def change_url(app: App) -> str:
    return f"/admin/im/app/{app.pk}/change/"


def rotate_url(app: App) -> str:
    return f"/admin/im/app/{app.pk}/rotate-secret/"


async def login_answer(user_id: str, app: App, *, key: str | None = None) -> dict:
    """The answer to a login to ``app`` (signed with ``key``, else the app's stored key)
    on a new connection, which is then closed."""
    signing = App(sdkappid=app.sdkappid, secret_key=key or app.secret_key)
    client = await IMClient().connect()
    try:
        return await client.request(
            "login",
            {
                "SDKAppID": app.sdkappid,
                "userID": user_id,
                "userSig": make_sig(user_id, app=signing),
            },
        )
    finally:
        await client.close()


@pytest.fixture
def other_app(db) -> App:
    return App.objects.create(sdkappid=OTHER_APPID, secret_key="o" * 64, max_web_instances=5)


def save_disabled(client, app: App, disabled: bool):
    """Post the app's change form as the page renders it, the disabled box set or not."""
    data = change_form_data(client, change_url(app), "app_form")
    data.pop("is_disabled", None)
    return client.post(change_url(app), {**data, **({"is_disabled": "on"} if disabled else {})})


async def test_disabling_an_app_kicks_every_session_of_it_until_enabled(
    cast, im_app, other_app, app_admin, client
):
    alice1, alice2, bob = await online("alice"), await online("alice"), await online("bob")
    dave = await IMClient().connect()
    await dave.login("dave", make_sig("dave", app=other_app), OTHER_APPID)
    await sync_to_async(sign_in)(client, app_admin)

    response = await sync_to_async(save_disabled)(client, im_app, True)
    assert response.status_code == 302, response.content
    for connection in (alice1, alice2, bob):
        await assert_kicked(connection, "REST_API_Kick")
    await dave.assert_silent()
    await dave.ok("heartbeat")
    for user_id in ("alice", "carol"):
        assert (await login_answer(user_id, im_app))["code"] == SDKAPPID_DISABLED
    assert (await login_answer("erin", other_app))["code"] == 0

    response = await sync_to_async(save_disabled)(client, im_app, False)
    assert response.status_code == 302
    assert (await login_answer("alice", im_app))["code"] == 0
    assert [(who, flag) for who, flag, _ in await ahistory(im_app)] == [
        ("appadmin", CHANGE),
        ("appadmin", CHANGE),
    ]
    assert await ahistory(other_app) == []
    await dave.close()


async def test_disabling_is_refused_to_view_only_staff(cast, im_app, django_user_model, client):
    alice = await online("alice")
    viewer = await sync_to_async(staff)(django_user_model, "viewer", "view_app")
    await sync_to_async(sign_in)(client, viewer)
    page = await sync_to_async(client.get)(change_url(im_app))
    assert page.status_code == 200
    assert b"rotate-secret" not in page.content
    response = await sync_to_async(client.post)(
        change_url(im_app), {"name": "test", "max_web_instances": "5", "is_disabled": "on"}
    )
    assert response.status_code == 403
    await alice.assert_silent()
    await alice.ok("heartbeat")
    assert not (await App.objects.aget(pk=im_app.pk)).is_disabled
    assert await ahistory(im_app) == []
    await alice.close()


def secret_keys_in(html: str) -> set[str]:
    return set(re.findall(r"\b[0-9a-f]{64}\b", html))


async def test_rotating_the_key_kicks_and_refuses_old_sigs_and_shows_the_new_key_once(
    cast, im_app, app_admin, client
):
    alice = await online("alice")
    await sync_to_async(sign_in)(client, app_admin)
    change_page = await sync_to_async(client.get)(change_url(im_app))
    assert rotate_url(im_app).encode() in change_page.content
    confirm = await sync_to_async(client.get)(rotate_url(im_app))
    assert confirm.status_code == 200
    assert b'method="post"' in confirm.content
    assert (await App.objects.aget(pk=im_app.pk)).secret_key == SECRET_KEY  # GET changes nothing

    shown = await sync_to_async(client.post)(rotate_url(im_app))
    assert shown.status_code == 200
    new_key = (await App.objects.aget(pk=im_app.pk)).secret_key
    assert new_key != SECRET_KEY
    assert secret_keys_in(shown.content.decode()) == {new_key}
    assert "no-cache" in shown["Cache-Control"]

    refused = await login_answer("bob", im_app, key=SECRET_KEY)
    assert refused["code"] == USERSIG_BAD_SIGNATURE
    assert (await login_answer("bob", im_app, key=new_key))["code"] == 0
    # The key may have leaked: every session logged in with a sig made with it is kicked.
    assert (await alice.push("KICKED_OUT"))["data"] == {"type": "REST_API_Kick"}
    assert await alice.comm.receive_output(timeout=10) == {"type": "websocket.close", "code": 4001}

    for url in (change_url(im_app), "/admin/im/app/", f"{change_url(im_app)[:-7]}history/"):
        later = await sync_to_async(client.get)(url)
        assert later.status_code == 200, url
        assert secret_keys_in(later.content.decode()) == set(), url
    assert await ahistory(im_app) == [("appadmin", CHANGE, "Rotated the secret key.")]
    await alice.close()


@pytest.mark.parametrize("method", ["get", "post"])
def test_rotating_is_refused_without_its_permission(im_app, django_user_model, client, method):
    operator = staff(django_user_model, "operator", "view_app", "change_app")
    sign_in(client, operator)
    assert b"rotate-secret" not in client.get(change_url(im_app)).content
    assert getattr(client, method)(rotate_url(im_app)).status_code == 403
    im_app.refresh_from_db()
    assert im_app.secret_key == SECRET_KEY
    assert history(im_app) == []


def test_rotation_needs_only_its_permission_and_view(im_app, django_user_model, client):
    sign_in(client, staff(django_user_model, "rotator", "view_app", "rotate_app_secret"))
    assert client.post(rotate_url(im_app)).status_code == 200
    im_app.refresh_from_db()
    assert im_app.secret_key != SECRET_KEY


ADD = {
    "sdkappid": "1400000077",
    "name": "shop",
    "max_web_instances": "2",
    "revoke_window": "120",
    "message_retention_days": "7",
    "send_rate": "10",
    "send_burst": "40",
    "max_message_bytes": "12288",
    "group_message_rate": "40",
}


@pytest.mark.parametrize("typed", ["", "k" * 64], ids=["generated", "typed"])
def test_a_new_app_shows_its_key_once(app_admin, client, typed):
    sign_in(client, app_admin)
    form = client.get("/admin/im/app/add/").content.decode()
    assert re.search(r'<input type="password" name="secret_key"', form)
    shown = client.post("/admin/im/app/add/", {**ADD, "secret_key": typed})
    assert shown.status_code == 200, shown.content
    app = App.objects.get(sdkappid=1400000077)
    assert len(app.secret_key) == 64 and (not typed or app.secret_key == typed)
    assert app.secret_key in shown.content.decode()
    for url in (change_url(app), "/admin/im/app/"):
        assert app.secret_key not in client.get(url).content.decode()
    assert [(who, flag) for who, flag, _ in history(app)] == [("appadmin", ADDITION)]


def test_callbacks_are_set_on_the_apps_page_and_failures_listed(im_app, app_admin, client):
    sign_in(client, app_admin)
    assert "C2C.CallbackBeforeSendMsg" in client.get(change_url(im_app)).content.decode()
    data = change_form_data(client, change_url(im_app), "app_form")
    wanted = ["State.StateChange", "C2C.CallbackBeforeSendMsg"]
    settings = {
        "callback_url": "https://backend.example.com/im",
        "callback_token": "t0ken",
        "callback_commands": wanted,
        "callback_fail_closed": "on",
    }
    assert client.post(change_url(im_app), {**data, **settings}).status_code == 302
    im_app.refresh_from_db()
    assert (im_app.callback_url, im_app.callback_token) == (
        "https://backend.example.com/im",
        "t0ken",
    )
    assert im_app.callback_commands == ["C2C.CallbackBeforeSendMsg", "State.StateChange"]
    assert im_app.callback_fail_closed
    refused = client.post(
        change_url(im_app), {**data, **settings, "callback_url": "ftp://x.example"}
    )
    assert refused.status_code == 200  # the form shows the error
    im_app.refresh_from_db()
    assert im_app.callback_url == "https://backend.example.com/im"

    CallbackFailure.objects.create(
        app=im_app, command="C2C.CallbackAfterSendMsg", body={}, error="HTTP 503", attempts=4
    )
    page = client.get("/admin/im/callbackfailure/").content.decode()
    assert "callbacks waiting to be sent" in page and "HTTP 503" in page
    assert client.get("/admin/im/callbackfailure/add/").status_code == 403
