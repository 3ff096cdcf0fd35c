"""HTTP adapters: the UserSig endpoint, the chat page gate and the admin."""

from __future__ import annotations

import pytest
from django.conf import settings

from im.models import Account, App
from im.usersig import verify_usersig
from tests.admintools import change_form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_user(django_user_model):
    return django_user_model.objects.create_user("alice", password="pw-alice-1")


def test_usersig_endpoint_requires_sign_in(client):
    response = client.get("/im/usersig/")
    assert response.status_code == 401
    assert response.json()["code"] == 6014


def test_usersig_endpoint_gives_a_sig_for_the_signed_in_user(client, alice_user):
    client.force_login(alice_user)
    response = client.get("/im/usersig/")
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    data = response.json()["data"]
    assert data["SDKAppID"] == settings.IM_SITE_SDKAPPID
    assert data["userID"] == "alice"
    assert "secret" not in str(response.content).lower()
    app = App.objects.get(sdkappid=settings.IM_SITE_SDKAPPID)
    info = verify_usersig(
        data["userSig"], sdkappid=app.sdkappid, secret_key=app.secret_key, user_id="alice"
    )
    assert info.expires_at == data["expireTime"]
    account = Account.objects.get(app=app, user_id="alice")
    assert account.site_user == alice_user


def test_usersig_endpoint_refuses_a_disabled_site_app(client, alice_user):
    # The site app exists since alice does (her account came with her).
    App.objects.filter(sdkappid=settings.IM_SITE_SDKAPPID).update(is_disabled=True)
    client.force_login(alice_user)
    response = client.get("/im/usersig/")
    assert response.status_code == 403
    assert response.json()["code"] == 60016


def test_usersig_endpoint_answers_only_get(client, alice_user):
    client.force_login(alice_user)
    assert client.post("/im/usersig/").status_code == 405


def test_admin_lists_apps_and_accounts(client, app_admin, cast):
    client.force_login(app_admin)
    apps = client.get("/admin/im/app/")
    assert apps.status_code == 200
    assert b"1400000001" in apps.content
    accounts = client.get("/admin/im/account/")
    assert accounts.status_code == 200
    for user_id in ("alice", "bob", "carol"):
        assert user_id.encode() in accounts.content


def test_admin_creates_and_edits_an_app_through_the_service(client, app_admin):
    client.force_login(app_admin)
    response = client.post(
        "/admin/im/app/add/",
        {
            "sdkappid": "1400000077",
            "name": "shop",
            "secret_key": "k" * 64,
            "max_web_instances": "2",
            "revoke_window": "300",
            "message_retention_days": "0",
            "send_rate": "5",
            "send_burst": "20",
            "max_message_bytes": "4096",
            "group_message_rate": "100",
        },
    )
    # The page after the add shows the typed key once (tests/test_admin_apps.py).
    assert response.status_code == 200, response.content
    assert b"k" * 64 in response.content
    app = App.objects.get(sdkappid=1400000077)
    assert (app.name, app.max_web_instances) == ("shop", 2)
    assert (app.revoke_window, app.message_retention_days) == (300, 0)
    assert (app.send_rate, app.send_burst, app.max_message_bytes) == (5, 20, 4096)
    assert app.group_message_rate == 100
    response = client.post(
        f"/admin/im/app/{app.pk}/change/",
        {
            "name": "shop",
            "secret_key": "k" * 64,
            "max_web_instances": "11",
            "revoke_window": "300",
            "message_retention_days": "0",
        },
    )
    assert response.status_code == 200  # the form shows the error
    app.refresh_from_db()
    assert app.max_web_instances == 2


def test_admin_is_closed_to_non_staff(client, alice_user):
    client.force_login(alice_user)
    response = client.get("/admin/im/app/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_admin_accounts_are_not_added_and_keep_their_user_id(client, app_admin, cast):
    client.force_login(app_admin)
    account = cast["alice"]
    assert client.get("/admin/im/account/add/").status_code == 403
    url = f"/admin/im/account/{account.pk}/change/"
    data = change_form_data(client, url, "account_form")
    response = client.post(url, {**data, "user_id": "mallory", "nick": "x"})
    assert response.status_code == 302, response.content
    account.refresh_from_db()
    assert (account.user_id, account.nick) == ("alice", "x")
