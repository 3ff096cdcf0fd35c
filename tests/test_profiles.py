"""Profiles at the service layer: exactly who PROFILE_UPDATED tells, a history page's
fixed query count whatever its senders, and the site users' accounts from the moment a
user exists."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from im.errors import PROFILE_VALUE_INVALID, IMError
from im.models import Account, App, GroupMember
from im.services import conversations, groups, messages, profiles
from im.services.site import site_credentials
from tests.conftest import make_sig
from tests.events import capture
from tests.wsclient import IMClient, text_message


def send(sender: Account, to: str, *, kind: str = "C2C", random: int = 1) -> None:
    draft = messages.check_draft(
        msg_type="TIMTextElem", payload={"text": "茶"}, random=random, client_time=1764000000
    )
    messages.check_send_message(sender=sender, to=to, conversation_type=kind, draft=draft)


@pytest.mark.django_db
def test_profile_updated_tells_exactly_peers_group_mates_and_self(cast, im_app):
    alice = cast["alice"]
    dave, erin, frank = (
        Account.objects.create(app=im_app, user_id=u, nick=u) for u in ("dave", "erin", "frank")
    )
    send(alice, "bob")  # a stored C2C conversation, alice the sender
    send(dave, "alice", random=2)  # one where alice received
    groups.check_create_group(
        owner=cast["carol"], name="茶馆", group_type="Public", members=[("alice", "Member")]
    )
    # A broadcast room of any size: its members are not told of each other's profiles.
    live = groups.check_create_group(owner=frank, name="直播", group_type="AVChatRoom").group
    GroupMember.objects.get_or_create(group=live, account=frank)
    GroupMember.objects.create(group=live, account=alice)
    send(erin, "bob", random=3)  # erin shares nothing with alice

    with capture() as told:
        profiles.check_update_profile(
            account=alice, changes={"nick": "小爱"}, origin_channel="alice-tab"
        )
    assert [(t.name, t.user_ids) for t in told] == [
        ("PROFILE_UPDATED", {"alice", "bob", "carol", "dave"})
    ]
    assert told[0].event.exclude_channel == "alice-tab"
    assert told[0].event.group_pk is None
    assert told[0].payload.nick == "小爱"


@pytest.mark.django_db
def test_a_refused_or_rolled_back_update_tells_nobody(cast):
    with capture() as told, pytest.raises(IMError) as refused:
        profiles.check_update_profile(account=cast["alice"], changes={"gender": "x"})
    assert refused.value.code == PROFILE_VALUE_INVALID
    with capture() as rolled_back:
        try:
            with transaction.atomic():
                profiles.check_update_profile(account=cast["alice"], changes={"nick": "x"})
                raise RuntimeError("the caller fails after the update")
        except RuntimeError:
            pass
    assert told == [] and rolled_back == []
    cast["alice"].refresh_from_db()
    assert cast["alice"].nick == "Alice"


@pytest.mark.django_db
def test_audience_is_one_query(cast):
    send(cast["alice"], "bob")
    with CaptureQueriesContext(connection) as captured:
        from im.selectors import profile_audience

        assert profile_audience(cast["alice"]) == {cast["alice"].pk, cast["bob"].pk}
    assert len(captured) == 1


def history_queries(viewer: Account, conversation_id: str) -> tuple[int, list[dict]]:
    from im.serializers import history_page_to_dict

    with CaptureQueriesContext(connection) as captured:
        page = conversations.check_get_message_list(account=viewer, conversation_id=conversation_id)
        shown = history_page_to_dict(page, viewer_id=viewer.pk)["messageList"]
    return len(captured), shown


@pytest.mark.django_db
def test_a_history_page_is_a_fixed_number_of_queries_whatever_its_senders(cast, im_app):
    """15 messages from 15 senders with nicks, avatars and name cards cost what 15 from
    one sender cost."""
    alice = cast["alice"]
    senders = [
        Account.objects.create(
            app=im_app, user_id=f"guest{i}", nick=f"客人{i}", avatar=f"https://e.com/{i}.png"
        )
        for i in range(15)
    ]
    many = groups.check_create_group(
        owner=alice,
        name="多人",
        group_type="ChatRoom",
        members=[(s.user_id, "Member") for s in senders],
    ).group
    one = groups.check_create_group(
        owner=alice, name="一人", group_type="ChatRoom", members=[("guest0", "Member")]
    ).group
    GroupMember.objects.filter(group__in=[many, one]).update(name_card="名片")
    for i, sender in enumerate(senders):
        send(sender, many.group_id, kind="GROUP", random=i + 1)
        send(senders[0], one.group_id, kind="GROUP", random=i + 1)

    count_many, page_many = history_queries(alice, f"GROUP{many.group_id}")
    count_one, page_one = history_queries(alice, f"GROUP{one.group_id}")
    texts = [m for m in page_many if m["type"] == "TIMTextElem"]
    assert len(texts) == 15
    assert {m["from"] for m in texts} == {s.user_id for s in senders}
    assert {(m["nick"], m["avatar"], m["nameCard"]) for m in texts if m["from"] == "guest3"} == {
        ("客人3", "https://e.com/3.png", "名片")
    }
    assert {m["from"] for m in page_one if m["type"] == "TIMTextElem"} == {"guest0"}
    assert count_many == count_one
    assert count_many <= 5


# --- accounts for site users ---


@pytest.mark.django_db
def test_a_user_added_in_the_admin_has_an_account_at_once(client, app_admin):
    client.force_login(app_admin)
    response = client.post(
        "/admin/auth/user/add/",
        {"username": "newbie", "password1": "pw-Newbie-19x", "password2": "pw-Newbie-19x"},
    )
    assert response.status_code == 302, response.content[:2000]
    app = App.objects.get(sdkappid=settings.IM_SITE_SDKAPPID)
    account = Account.objects.get(app=app, user_id="newbie")
    assert account.site_user.username == "newbie"
    assert account.nick == "newbie"


@pytest.mark.django_db(transaction=True)
async def test_a_user_just_added_in_the_admin_can_be_messaged_at_once(client, app_admin):
    from asgiref.sync import sync_to_async

    await sync_to_async(client.force_login)(app_admin)
    response = await sync_to_async(client.post)(
        "/admin/auth/user/add/",
        {"username": "newbie", "password1": "pw-Newbie-19x", "password2": "pw-Newbie-19x"},
    )
    assert response.status_code == 302
    app = await App.objects.aget(sdkappid=settings.IM_SITE_SDKAPPID)
    sender = await IMClient().connect()
    await sender.login("appadmin", make_sig("appadmin", app=app), app.sdkappid)
    sent = await sender.request("sendMessage", text_message("欢迎", to="newbie"))
    assert sent["code"] == 0, sent  # not 20003: newbie exists before ever opening the chat
    await sender.close()


@pytest.mark.django_db
def test_createsuperuser_imdemo_and_sign_ups_get_accounts_with_their_names(cast):
    User = get_user_model()
    call_command(
        "createsuperuser",
        username="root",
        email="root@example.com",
        interactive=False,
        stdout=io.StringIO(),
    )
    call_command("imdemo", stdout=io.StringIO())
    User.objects.create_user("lin", first_name="林", last_name="黛玉", password="pw-lin-1")
    app = App.objects.get(sdkappid=settings.IM_SITE_SDKAPPID)
    nicks = dict(Account.objects.filter(app=app).values_list("user_id", "nick"))
    assert nicks == {
        "root": "root",
        "alice": "alice",
        "bob": "bob",
        "carol": "carol",
        "lin": "林 黛玉",
    }
    # The cast's app is untouched: site users live in the site app only.
    assert set(Account.objects.filter(app=cast["alice"].app).values_list("user_id", flat=True)) == {
        "alice",
        "bob",
        "carol",
    }


@pytest.mark.django_db
def test_renaming_a_user_keeps_its_user_id_and_the_old_name_is_not_taken(cast):
    User = get_user_model()
    user = User.objects.create_user("lin", password="pw-lin-1")
    app = App.objects.get(sdkappid=settings.IM_SITE_SDKAPPID)
    user.username = "lin2"
    user.save()
    assert site_credentials(user)["userID"] == "lin"
    assert Account.objects.filter(app=app, site_user=user).count() == 1
    # A new user under the old name cannot have lin's account: it gets one of its own.
    newcomer = User.objects.create_user("lin", password="pw-lin-2")
    account = Account.objects.get(app=app, site_user=newcomer)
    assert account.user_id == f"user~{newcomer.pk}"
    assert site_credentials(newcomer)["userID"] == account.user_id
    # A username too long for a userID gets one too.
    long = User.objects.create_user("x" * 40, password="pw-long-1")
    assert Account.objects.get(app=app, site_user=long).user_id == f"user~{long.pk}"
