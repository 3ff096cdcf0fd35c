"""A new password ends the IM sessions it should: a change, those of the user's other
browsers (this browser's stay, and other users' are untouched); a reset by email, all
of the user's."""

from __future__ import annotations

import re

import pytest
from asgiref.sync import sync_to_async
from django.core import mail
from django.test import Client

from tests.test_site_sessions import assert_kicked, logged_in

pytestmark = pytest.mark.django_db(transaction=True)

OLD, NEW = "pw-mei-old-1", "a much better passphrase 2"


@pytest.fixture
def people(site_app, django_user_model):
    site_app.max_web_instances = 5
    site_app.save()
    mei = django_user_model.objects.create_user("mei", "mei@example.com", OLD)
    lu = django_user_model.objects.create_user("lu", "lu@example.com", OLD)
    return mei, lu


async def browser_of(user) -> Client:
    browser = Client()
    await sync_to_async(browser.force_login)(user)
    return browser


async def test_a_password_change_ends_the_other_browsers_im_sessions(people):
    mei, lu = people
    laptop, phone, lu_browser = [await browser_of(u) for u in (mei, mei, lu)]
    here = await logged_in(laptop, "laptop-1")
    there = await logged_in(phone, "phone-1")
    someone_else = await logged_in(lu_browser, "lu-1")
    change = "/accounts/password/change/"

    refused = await sync_to_async(laptop.post)(
        change, {"old_password": "wrong", "new_password1": NEW, "new_password2": NEW}
    )
    assert refused.status_code == 200
    await there.assert_silent()  # a refused change ends nothing

    response = await sync_to_async(laptop.post)(
        change, {"old_password": OLD, "new_password1": NEW, "new_password2": NEW}
    )

    assert response.status_code == 302
    await assert_kicked(there)
    await here.assert_silent()
    await someone_else.assert_silent()
    assert (await sync_to_async(phone.get)("/im/usersig/")).status_code == 401
    assert (await sync_to_async(laptop.get)("/im/usersig/")).status_code == 200
    for client in (here, someone_else):
        await client.close()


async def test_a_password_reset_ends_every_im_session_of_the_user(people):
    mei, lu = people
    laptop, lu_browser = await browser_of(mei), await browser_of(lu)
    tab = await logged_in(laptop, "laptop-1")
    someone_else = await logged_in(lu_browser, "lu-1")
    stranger = Client()

    await sync_to_async(stranger.post)("/accounts/password/reset/", {"email": "mei@example.com"})
    link = re.search(r"http://testserver(\S+)", mail.outbox[0].body).group(1)
    form = await sync_to_async(stranger.get)(link, follow=True)
    set_url = form.redirect_chain[-1][0]
    response = await sync_to_async(stranger.post)(
        set_url, {"new_password1": NEW, "new_password2": NEW}
    )

    assert response.status_code == 302
    await assert_kicked(tab)
    await someone_else.assert_silent()
    await someone_else.close()
