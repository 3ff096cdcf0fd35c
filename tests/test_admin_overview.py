"""The admin's overview page: per app online accounts, messages, groups and an hourly chart,
in a fixed number of queries."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import Group as PermissionGroup
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from im.models import Account, App, Message, MessageHourCount
from im.roles import SUPPORT
from im.services.groups import check_create_group
from im.services.messages import check_draft, check_send_message
from im.stats import HOURS, hour_starts
from tests.wsclient import online

OVERVIEW = reverse("admin-overview")


def send(sender: Account, to: str, *, random: int, ago: timedelta | None = None) -> Message:
    draft = check_draft(
        msg_type="TIMTextElem", payload={"text": "hi"}, random=random, client_time=1764000000
    )
    message = check_send_message(sender=sender, to=to, conversation_type="C2C", draft=draft)
    if ago is not None:
        Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - ago)
    return message


def section(page: str, app: App) -> str:
    """The part of the page about one app."""
    start = page.index(f'data-sdkappid="{app.sdkappid}"')
    end = page.find("<section", start)
    return page[start : end if end != -1 else len(page)]


def figure(part: str, name: str) -> int:
    return int(re.search(rf'<td class="{name}">(?:<a [^>]*>)?(\d+)', part).group(1))


def chart(part: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-count="(\d+)"', part)]


def another_app(n: int) -> tuple[App, Account, Account]:
    app = App.objects.create(sdkappid=1400000100 + n, secret_key="k" * 64, name=f"app {n}")
    return app, *(Account.objects.create(app=app, user_id=u) for u in ("ann", "ben"))


def overview_queries(client: Client) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(OVERVIEW)
    assert response.status_code == 200
    return len(captured), response.content.decode()


@pytest.fixture
def admin_browser(client: Client, app_admin) -> Client:
    client.force_login(app_admin)
    return client


def bar_of(ago: timedelta) -> int:
    """Which of the chart's clock hours a message sent ``ago`` falls in (23: this one)."""
    running_ends = hour_starts(timezone.now())[-1] + timedelta(hours=1)
    return HOURS - 1 - (running_ends - (timezone.now() - ago)) // timedelta(hours=1)


AGES = [
    timedelta(minutes=30),
    timedelta(minutes=50),
    timedelta(hours=5, minutes=30),
    timedelta(hours=22, minutes=10),
]


@pytest.mark.django_db
def test_the_chart_counts_messages_per_clock_hour_of_the_past_day(admin_browser, cast, im_app):
    alice = cast["alice"]
    for i, ago in enumerate(AGES):
        send(alice, "bob" if i % 2 else "carol", random=i, ago=ago)
    send(alice, "bob", random=9, ago=timedelta(days=2))  # too old to show
    expected = [0] * HOURS
    for ago in AGES:
        expected[bar_of(ago)] += 1
    first_load, page = overview_queries(admin_browser)
    part = section(page, im_app)
    assert chart(part) == expected
    assert (figure(part, "last-hour"), figure(part, "last-day")) == (2, 4)
    # The busiest hour fills the chart's height; an empty hour draws no bar.
    heights = [int(h) for h in re.findall(r'<rect [^>]*height="(\d+)"', part)]
    assert max(heights) == 120
    assert all(h == 0 for h, n in zip(heights, expected, strict=True) if n == 0)

    # The settled hours were counted once and kept: the next load reads them back.
    settled = MessageHourCount.objects.filter(app=im_app)
    assert settled.count() in (HOURS - 1, HOURS - 2)  # the past hour settles 2 min in
    assert sum(settled.values_list("count", flat=True)) == sum(
        n for i, n in enumerate(expected) if i < HOURS - 1
    ) - (expected[-2] if settled.count() == HOURS - 2 else 0)
    second_load, again = overview_queries(admin_browser)
    assert chart(section(again, im_app)) == expected
    assert second_load < first_load


@pytest.mark.django_db(transaction=True)
async def test_a_fixed_number_of_queries_with_one_app_or_three(app_admin, cast, im_app):
    alice = await online("alice")
    client = Client()
    await sync_to_async(client.force_login)(app_admin)
    await sync_to_async(send)(cast["alice"], "bob", random=1)
    one_app, page = await sync_to_async(overview_queries)(client)
    one_app_warm, _ = await sync_to_async(overview_queries)(client)
    part = section(page, im_app)
    assert (figure(part, "online"), figure(part, "last-day"), figure(part, "groups")) == (1, 1, 0)

    @sync_to_async
    def grow() -> list[App]:
        apps = []
        for n in range(2):
            app, ann, _ben = another_app(n)
            for i in range(5 + n):
                send(ann, "ben", random=i, ago=timedelta(hours=i))
            check_create_group(owner=ann, name="g", group_type="Public")
            apps.append(app)
        check_create_group(owner=cast["bob"], name="g", group_type="Private")
        for i in range(10):
            send(cast["carol"], "bob", random=100 + i)
        return apps

    apps = await grow()
    # The messages above were dated back into hours already counted: count again.
    await MessageHourCount.objects.all().adelete()
    bob, bob2, carol = await online("bob"), await online("bob"), await online("carol")
    three_apps, page = await sync_to_async(overview_queries)(client)
    three_apps_warm, _ = await sync_to_async(overview_queries)(client)
    assert (three_apps, three_apps_warm) == (one_app, one_app_warm)
    part = section(page, im_app)
    # Stored messages: bob's "created" notice counts too.
    assert (figure(part, "online"), figure(part, "last-day"), figure(part, "groups")) == (3, 12, 1)
    assert figure(part, "last-hour") == 12
    for n, app in enumerate(apps):
        part = section(page, app)
        assert (figure(part, "online"), figure(part, "last-day")) == (0, 6 + n)
        assert figure(part, "groups") == 1
        expected = [0] * HOURS
        for i in range(5 + n):
            expected[bar_of(timedelta(hours=i))] += 1
        expected[-1] += 1  # the "created" notice of ann's group
        assert chart(part) == expected
    for client_ in (alice, bob, bob2, carol):
        await client_.close()


@pytest.mark.django_db
def test_who_may_see_the_overview(client, django_user_model, im_app):
    index = reverse("admin:index")
    support = django_user_model.objects.create_user("support", password="pw-1", is_staff=True)
    support.groups.add(PermissionGroup.objects.get(name=SUPPORT))
    client.force_login(support)
    assert client.get(OVERVIEW).status_code == 200
    assert OVERVIEW in client.get(index).content.decode()

    # Staff who may look at apps but not at messages: no link, no page.
    apps_only = django_user_model.objects.create_user("apps", password="pw-1", is_staff=True)
    apps_only.user_permissions.add(Permission.objects.get(codename="view_app"))
    client.force_login(apps_only)
    assert client.get(OVERVIEW).status_code == 403
    assert OVERVIEW not in client.get(index).content.decode()

    # Not staff: the admin's login page.
    member = django_user_model.objects.create_user("member", password="pw-1")
    client.force_login(member)
    response = client.get(OVERVIEW)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
