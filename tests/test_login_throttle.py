"""Password sign-ins are throttled (django-axes): five failures for one username, or from
one address, pause further attempts for it, even with the right password; the page
says so and for how long."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

HOME, ELSEWHERE = "127.0.0.1", "10.0.0.2"


def sign_in(username: str, password: str, *, address: str = HOME, admin: bool = False):
    client = Client(REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE="en")
    url = "/admin/login/" if admin else "/accounts/login/"
    return client.post(url, {"username": username, "password": password})


def test_five_failures_pause_the_username_and_the_address(django_user_model, settings):
    settings.AXES_COOLOFF_TIME = timedelta(seconds=1)
    django_user_model.objects.create_user("mei", password="pw-mei-right")
    django_user_model.objects.create_user("bo", password="pw-bo-right", is_staff=True)
    for _ in range(4):
        wrong = sign_in("mei", "guess")
        assert wrong.status_code == 200 and b"login-error" in wrong.content
    assert sign_in("mei", "guess").status_code == 429  # the fifth failure says so at once

    locked = sign_in("mei", "pw-mei-right")
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "Too many attempts" in page and "failed 5 times in a row" in page
    assert "Try again in 1 minute" in page
    assert "_auth_user_id" not in locked.client.session
    # The username is paused from anywhere, the address for anyone, the admin's form too.
    assert sign_in("mei", "pw-mei-right", address=ELSEWHERE).status_code == 429
    assert sign_in("bo", "pw-bo-right").status_code == 429
    assert sign_in("bo", "pw-bo-right", admin=True).status_code == 429
    # Another user somewhere else is not affected.
    assert sign_in("bo", "pw-bo-right", address=ELSEWHERE).status_code == 302

    time.sleep(1.1)  # the cool-off passes
    assert sign_in("mei", "pw-mei-right").status_code == 302


def test_a_success_clears_the_failures_before_it(django_user_model):
    django_user_model.objects.create_user("mei", password="pw-mei-right")
    for _ in range(4):
        assert sign_in("mei", "guess").status_code == 200
    assert sign_in("mei", "pw-mei-right").status_code == 302
    for _ in range(4):
        assert sign_in("mei", "guess").status_code == 200
    assert sign_in("mei", "pw-mei-right").status_code == 302
