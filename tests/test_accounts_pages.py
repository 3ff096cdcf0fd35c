"""The chat site's account pages through Django's test client: password change, password
reset by email, the optional sign-up page; and the people search the chat page starts
chats from (``GET /im/people/``). English and Chinese where text is shown."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from im.errors import ACCOUNT_DISABLED, INVALID_PARAMS, NOT_LOGGED_IN
from im.models import Account

pytestmark = pytest.mark.django_db

PASSWORD = "pw-alice-correct-1"
NEW_PASSWORD = "a much better passphrase 2"


def client_in(language: str) -> Client:
    return Client(headers={"accept-language": language})


@pytest.fixture
def alice(db) -> User:
    return User.objects.create_user(
        "alice", email="alice@example.com", password=PASSWORD, first_name="Alice"
    )


def signed_in(user: User, language: str = "en") -> Client:
    client = client_in(language)
    client.force_login(user)
    return client


# --- links to the pages ---


@pytest.mark.parametrize(
    ("language", "forgot"), [("en", "Forgot your password?"), ("zh-hans", "忘记密码？")]
)
def test_the_sign_in_page_links_to_the_password_reset(language, forgot):
    page = client_in(language).get(reverse("login")).content.decode()

    assert f'href="{reverse("password_reset")}" data-testid="forgot-password">{forgot}<' in page
    assert 'data-testid="signup-link"' not in page  # sign-up is off by default


@pytest.mark.parametrize(("language", "text"), [("en", "Change password"), ("zh-hans", "修改密码")])
def test_the_chat_page_links_to_the_password_change(alice, language, text):
    page = signed_in(alice, language).get(reverse("chat")).content.decode()

    assert f'href="{reverse("password_change")}" data-testid="change-password">{text}<' in page


# --- password change ---


def test_the_password_change_needs_a_signed_in_user():
    response = Client().get(reverse("password_change"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("language", "heading"), [("en", "Change password"), ("zh-hans", "修改密码")]
)
def test_changing_the_password_keeps_the_user_signed_in(alice, language, heading):
    client = signed_in(alice, language)
    page = client.get(reverse("password_change"))
    assert page.status_code == 200
    assert f"<h1>{heading}</h1>" in page.content.decode()

    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("password_change_done")
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert client.get(reverse("chat")).status_code == 200  # this browser stays signed in
    assert client.get(reverse("password_change_done")).status_code == 200


def test_a_wrong_current_password_or_a_weak_new_one_changes_nothing(alice):
    client = signed_in(alice)
    wrong = client.post(
        reverse("password_change"),
        {"old_password": "not-it", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    weak = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"},
    )

    assert wrong.status_code == weak.status_code == 200
    assert 'data-testid="field-error"' in wrong.content.decode()
    assert "too short" in weak.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


# --- password reset ---


def reset_link(message: mail.EmailMessage) -> str:
    found = re.search(r"http://testserver(/accounts/password/reset/[^/\s]+/[^/\s]+/)", message.body)
    assert found, message.body
    return found.group(1)


def test_a_password_reset_emails_a_link_that_sets_a_new_password(alice):
    client = client_in("en")
    response = client.post(reverse("password_reset"), {"email": "ALICE@example.com"})

    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.com"]
    assert message.subject == "Reset your password on testserver"
    assert "the account alice on testserver" in message.body

    form = client.get(reset_link(message), follow=True)
    assert form.status_code == 200
    assert form.context["validlink"] is True
    set_url = form.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert done.status_code == 302
    assert done["Location"] == reverse("password_reset_complete")
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    # Used once, the link is spent.
    again = client.get(reset_link(message), follow=True)
    assert again.context["validlink"] is False
    assert 'data-testid="invalid-link"' in again.content.decode()


def test_a_reset_link_refuses_a_weak_password(alice):
    client = client_in("en")
    client.post(reverse("password_reset"), {"email": "alice@example.com"})
    set_url = client.get(reset_link(mail.outbox[0]), follow=True).redirect_chain[-1][0]

    response = client.post(set_url, {"new_password1": "alice", "new_password2": "alice"})

    assert response.status_code == 200
    assert 'data-testid="field-error"' in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_an_unknown_email_sends_nothing_and_says_the_same(alice):
    response = client_in("en").post(reverse("password_reset"), {"email": "nobody@example.com"})

    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


def test_the_demo_users_have_an_email_to_reset_their_password_with(db):
    call_command("imdemo", stdout=io.StringIO())

    client_in("en").post(reverse("password_reset"), {"email": "bob@example.com"})

    assert [message.to for message in mail.outbox] == [["bob@example.com"]]
    assert "the account bob on testserver" in mail.outbox[0].body


def test_the_reset_email_and_pages_are_in_chinese(alice):
    client = client_in("zh-hans")
    page = client.get(reverse("password_reset")).content.decode()
    assert "<h1>重置密码</h1>" in page

    client.post(reverse("password_reset"), {"email": "alice@example.com"})
    sent = client.get(reverse("password_reset_done")).content.decode()

    assert "请查收邮件" in sent
    message = mail.outbox[0]
    assert message.subject == "重置你在 testserver 的密码"
    assert "有人申请重置 testserver 上账号 alice 的密码。" in message.body


# --- sign-up ---


SIGNUP = {
    "username": "mei",
    "email": "mei@example.com",
    "password1": NEW_PASSWORD,
    "password2": NEW_PASSWORD,
}


def test_sign_up_is_off_by_default(db):
    client = client_in("en")

    assert client.get(reverse("signup")).status_code == 404
    assert client.post(reverse("signup"), SIGNUP).status_code == 404
    assert not User.objects.filter(username="mei").exists()


@pytest.mark.parametrize(
    ("language", "heading"), [("en", "Create an account"), ("zh-hans", "注册账号")]
)
def test_sign_up_when_on_creates_the_user_signs_it_in_with_its_account(settings, language, heading):
    settings.HUTONG_SIGNUP = True
    client = client_in(language)
    assert f'data-testid="signup-link">{heading}<' in client.get(reverse("login")).content.decode()
    page = client.get(reverse("signup")).content.decode()
    assert f"<h1>{heading}</h1>" in page

    response = client.post(reverse("signup"), SIGNUP)

    assert response.status_code == 302
    assert response["Location"] == reverse("chat")
    user = User.objects.get(username="mei")
    assert user.email == "mei@example.com" and user.check_password(NEW_PASSWORD)
    account = Account.objects.get(site_user=user)
    assert account.app.sdkappid == settings.IM_SITE_SDKAPPID and account.user_id == "mei"
    assert client.get(reverse("chat")).status_code == 200
    assert client.get(reverse("im-usersig")).json()["data"]["userID"] == "mei"


@pytest.mark.parametrize(
    ("language", "password", "confirm", "why"),
    [
        ("en", "short1", "short1", "too short"),
        ("en", "mei@example", "mei@example", "too similar"),
        ("en", "xX" * 6, "xX" * 6 + "!", "didn’t match"),
        ("zh-hans", "short1", "short1", "密码太短，至少需要 8 个字符。"),
        ("zh-hans", "mei@example", "mei@example", "太相似"),
        ("zh-hans", "xX" * 6, "xX" * 6 + "!", "输入的两个密码不一致。"),
    ],
)
def test_sign_up_refuses_a_weak_password_and_says_why(settings, language, password, confirm, why):
    settings.HUTONG_SIGNUP = True
    data = SIGNUP | {"password1": password, "password2": confirm}

    response = client_in(language).post(reverse("signup"), data)

    assert response.status_code == 200
    assert why in response.content.decode()
    assert not User.objects.filter(username="mei").exists()
    assert "_auth_user_id" not in response.wsgi_request.session


def test_sign_up_refuses_a_taken_name_or_email(settings, alice):
    settings.HUTONG_SIGNUP = True
    client = client_in("zh-hans")

    taken_name = client.post(reverse("signup"), SIGNUP | {"username": "alice"})
    taken_email = client.post(reverse("signup"), SIGNUP | {"email": "Alice@Example.com"})

    assert taken_name.status_code == taken_email.status_code == 200
    assert "已存在" in taken_name.content.decode()
    assert "已有人用这个邮箱注册了。" in taken_email.content.decode()
    assert list(User.objects.values_list("username", flat=True)) == ["alice"]


# --- finding people ---


@pytest.fixture
def people(alice) -> dict[str, User]:
    def make(username: str, full_name: str = "", **fields) -> User:
        first, _, last = full_name.partition(" ")
        return User.objects.create_user(
            username, password=PASSWORD, first_name=first, last_name=last, **fields
        )

    found = {
        "bob": make("bob", "Bobby Tables"),
        "carol": make("carol", "Carol Bobson"),
        "robert": make("robert", "Robert Smith"),
        "xiaoming": make("xiaoming", "王 小明"),
        "gone": make("gone", "Bob Gone", is_active=False),
        "banned": make("banned", "Bob Banned"),
    }
    Account.objects.filter(site_user=found["banned"]).update(is_disabled=True)
    return found


def search(client: Client, **params) -> dict:
    response = client.get(reverse("im-people"), params)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["code"] == 0
    return body["data"]


def user_ids(data: dict) -> list[str]:
    return [person["userID"] for person in data["people"]]


def test_people_are_found_by_part_of_the_user_id_or_nick_in_any_case(alice, people):
    client = signed_in(alice)

    # "bob" starts bob's userID and "Bobby Tables", and is inside "Carol Bobson".
    assert user_ids(search(client, q="BOB")) == ["bob", "carol"]
    assert user_ids(search(client, q="tables")) == ["bob"]
    assert user_ids(search(client, q="ober")) == ["robert"]
    assert user_ids(search(client, q="小明")) == ["xiaoming"]
    assert search(client, q="bob")["people"][0] == {
        "userID": "bob",
        "nick": "Bobby Tables",
        "avatar": "",
    }


def test_the_search_leaves_out_deactivated_and_disabled_users_and_the_searcher(alice, people):
    client = signed_in(alice)

    everyone = user_ids(search(client))

    assert everyone == ["bob", "carol", "robert", "xiaoming"]
    assert user_ids(search(client, q="gone")) == []
    assert user_ids(search(client, q="banned")) == []
    assert user_ids(search(client, q="alice")) == []
    # Accounts of the app that are not site users (a UserSig login's) are not listed.
    app = Account.objects.get(site_user=alice).app
    Account.objects.create(app=app, user_id="bobbot", nick="Bob's bot")
    assert user_ids(search(client, q="bob")) == ["bob", "carol"]


def test_the_search_is_paged(alice):
    for n in range(45):
        User.objects.create_user(f"member{n:02d}", password=PASSWORD)
    client = signed_in(alice)

    first = search(client, q="MEMBER")
    second = search(client, q="member", offset=first["nextOffset"])
    last = search(client, q="member", offset=second["nextOffset"])

    assert first["nextOffset"] == 20 and second["nextOffset"] == 40 and last["nextOffset"] is None
    assert user_ids(first) + user_ids(second) + user_ids(last) == [
        f"member{n:02d}" for n in range(45)
    ]
    assert user_ids(search(client, q="member", limit="5")) == [f"member{n:02d}" for n in range(5)]


def test_an_exact_or_leading_match_comes_before_one_inside(alice, people):
    User.objects.create_user("abob", password=PASSWORD)

    assert user_ids(search(signed_in(alice), q="bob")) == ["bob", "abob", "carol"]


def test_the_search_refuses_anonymous_users():
    response = Client().get(reverse("im-people"), {"q": "bob"})

    assert response.status_code == 401
    assert response.json()["code"] == NOT_LOGGED_IN


def test_the_search_refuses_a_searcher_whose_account_is_disabled(alice, people):
    Account.objects.filter(site_user=alice).update(is_disabled=True)

    response = signed_in(alice).get(reverse("im-people"), {"q": "bob"})

    assert response.status_code == 403
    assert response.json()["code"] == ACCOUNT_DISABLED


@pytest.mark.parametrize(
    "params",
    [
        {"offset": "-1"},
        {"offset": "ten"},
        {"offset": "10001"},
        {"limit": "0"},
        {"limit": "51"},
        {"q": "b" * 101},
        {"q": "bob\x00"},
    ],
)
def test_the_search_refuses_bad_parameters(alice, people, params):
    response = signed_in(alice).get(reverse("im-people"), params)

    assert response.status_code == 400
    assert response.json()["code"] == INVALID_PARAMS


def test_the_search_answers_only_get(alice):
    assert signed_in(alice).post(reverse("im-people"), {"q": "bob"}).status_code == 405
