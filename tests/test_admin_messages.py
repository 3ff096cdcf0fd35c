"""Messages in the admin: moderation search and filters, and the operator's recall reaching
members' open connections as MESSAGE_REVOKED."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group as PermissionGroup
from django.db import connection
from django.test import AsyncClient, Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from im.errors import MESSAGE_NOT_FOUND, MESSAGE_NOT_REVOCABLE, IMError
from im.models import Account, App, GroupMember, Message
from im.roles import SUPPORT
from im.services.groups import check_create_group
from im.services.messages import check_draft, check_revoke_as_operator, check_send_message
from im.services.payloads import GROUP_SYSTEM_NOTICE as GROUP_NOTICE
from im.services.payloads import GROUP_TIP
from tests.events import capture
from tests.test_ws_groups import create_group, group_text
from tests.test_ws_revoke import age_messages
from tests.wsclient import IMClient, online, text_message

CHANGELIST = reverse("admin:im_message_changelist")
live = pytest.mark.django_db(transaction=True)


@pytest.fixture
def support_user(db, django_user_model):
    """Staff in the view-only support role: may look at messages, may not recall them."""
    user = django_user_model.objects.create_user("support", password="pw-support-1", is_staff=True)
    user.groups.add(PermissionGroup.objects.get(name=SUPPORT))
    return user


async def logged_in(user) -> AsyncClient:
    client = AsyncClient()
    await client.aforce_login(user)
    # In English: the history keeps its messages in the operator's language. (A cookie:
    # AsyncClient does not pass headers given to its constructor on to the ASGI scope.)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


async def recall_action(client: AsyncClient, *messages: Message):
    return await client.post(
        CHANGELIST, {"action": "recall", "_selected_action": [m.pk for m in messages]}
    )


async def revoked_heard(client: IMClient, sent: dict) -> dict:
    [event] = (await client.push("MESSAGE_REVOKED"))["data"]
    assert (event["ID"], event["isRevoked"]) == (sent["ID"], True)
    assert event["revoker"] == "administrator"
    return event


async def hears_no_recall(client: IMClient, timeout: float = 0.3) -> None:
    """Nothing kept or arriving for a moment is a recall."""
    kept = client.pushes.expect("MESSAGE_REVOKED")
    assert not kept.done(), kept.result()
    kept.cancel()
    while not await client.comm.receive_nothing(timeout=timeout):
        frame = json.loads(await client.comm.receive_from())
        assert frame.get("event") != "MESSAGE_REVOKED", frame


async def stored(sent: dict) -> Message:
    sender_id, client_time, random = (int(p) for p in sent["ID"].split("-"))
    return await Message.objects.select_related("revoked_by").aget(
        sender_id=sender_id, client_time=client_time, random=random
    )


async def close(*clients: IMClient) -> None:
    for client in clients:
        await client.close()


# --- recall, live ---


@live
async def test_operator_recalls_c2c_message_after_the_window(cast, app_admin):
    alice1, alice2 = await online("alice"), await online("alice")
    bob, carol = await online("bob"), await online("carol")
    sent = (await alice1.ok("sendMessage", text_message("rude")))["message"]
    for client in (alice2, bob):
        await client.push("MESSAGE_RECEIVED")
    await age_messages(3600)  # long past the app's 120 s window
    message = await stored(sent)

    admin = await logged_in(app_admin)
    response = await recall_action(admin, message)
    assert response.status_code == 302

    # Every connection of both sides hears it, the sending one too (the operator acted).
    for client, conversation_id in ((alice1, "C2Cbob"), (alice2, "C2Cbob"), (bob, "C2Calice")):
        event = await revoked_heard(client, sent)
        assert event["conversationID"] == conversation_id
    await hears_no_recall(carol)
    message = await stored(sent)
    assert message.is_revoked and message.revoked_by.user_id == "administrator"
    entry = await LogEntry.objects.select_related("user").aget(object_id=str(message.pk))
    assert (entry.user.username, entry.action_flag) == ("appadmin", CHANGE)
    assert "Recalled" in entry.get_change_message()
    history = await bob.ok("getMessageList", {"conversationID": "C2Calice"})
    assert history["messageList"][0]["revoker"] == "administrator"
    await close(alice1, alice2, bob, carol)


@live
async def test_operator_recalls_group_message_from_the_detail_page(cast, app_admin):
    alice, bob, carol = await online("alice"), await online("bob"), await online("carol")
    group = await create_group(alice, ["bob"], joined=(bob,))
    gid = group["groupID"]
    sent = (await bob.ok("sendMessage", group_text(gid, "spam")))["message"]
    await alice.push("MESSAGE_RECEIVED")
    await age_messages(3600)
    message = await stored(sent)

    admin = await logged_in(app_admin)
    page = await admin.get(reverse("admin:im_message_change", args=[message.pk]))
    recall_url = reverse("admin:im_message_recall", args=[message.pk])
    assert page.status_code == 200 and recall_url in page.content.decode()
    response = await admin.post(recall_url)
    assert response.status_code == 302

    for client in (alice, bob):
        event = await revoked_heard(client, sent)
        assert event["conversationID"] == f"GROUP{gid}"
    await hears_no_recall(carol)  # not a member
    assert (await stored(sent)).is_revoked
    assert await LogEntry.objects.filter(object_id=str(message.pk), user=app_admin).aexists()
    # Recalled, the button is gone and a second try is refused with TIM's code.
    page = await admin.get(reverse("admin:im_message_change", args=[message.pk]))
    assert recall_url not in page.content.decode()
    response = await admin.post(recall_url, follow=True)
    assert "10032" in response.content.decode()
    await hears_no_recall(alice)
    await close(alice, bob, carol)


@live
async def test_staff_without_the_permission_cannot_recall(cast, support_user):
    alice, bob = await online("alice"), await online("bob")
    sent = (await alice.ok("sendMessage", text_message("stays")))["message"]
    await bob.push("MESSAGE_RECEIVED")
    message = await stored(sent)

    support = await logged_in(support_user)
    listing = await support.get(CHANGELIST)
    assert listing.status_code == 200
    assert listing.context["action_form"] is None  # recall was its only action
    assert "Recall as the operator" not in listing.content.decode()
    page = await support.get(reverse("admin:im_message_change", args=[message.pk]))
    assert page.status_code == 200
    assert reverse("admin:im_message_recall", args=[message.pk]) not in page.content.decode()

    # Forged posts: the action and the detail page's button.
    assert (await recall_action(support, message)).status_code == 403
    recall_url = reverse("admin:im_message_recall", args=[message.pk])
    assert (await support.post(recall_url)).status_code == 403

    assert not (await stored(sent)).is_revoked
    assert not await LogEntry.objects.aexists()
    assert not await Account.objects.filter(user_id="administrator").aexists()
    await hears_no_recall(alice)
    await hears_no_recall(bob)
    await close(alice, bob)


@live
async def test_tips_and_notices_are_not_recallable_even_by_the_operator(cast, app_admin):
    alice, bob, carol = await online("alice"), await online("bob"), await online("carol")
    group = await create_group(alice, ["bob"], joined=(bob,))
    await carol.ok("joinGroup", {"groupID": group["groupID"]})  # a join tip
    server_made = [m async for m in Message.objects.filter(type__in=(GROUP_TIP, GROUP_NOTICE))]
    assert {m.type for m in server_made} == {GROUP_TIP, GROUP_NOTICE}

    admin = await logged_in(app_admin)
    response = await recall_action(admin, *server_made)
    assert response.status_code == 302
    assert "10032" in (await admin.get(CHANGELIST)).content.decode()
    assert not await Message.objects.filter(is_revoked=True).aexists()
    assert not await LogEntry.objects.aexists()
    for client in (alice, bob, carol):
        await hears_no_recall(client)
    await close(alice, bob, carol)


# --- the service's events, exactly ---


def send(sender: Account, to: str, text: str, *, kind: str = "C2C", random: int = 1) -> Message:
    draft = check_draft(
        msg_type="TIMTextElem", payload={"text": text}, random=random, client_time=1764000000
    )
    return check_send_message(sender=sender, to=to, conversation_type=kind, draft=draft)


@pytest.mark.django_db
def test_operator_recall_tells_exactly_who_can_see_the_message(cast):
    c2c = send(cast["alice"], "bob", "hi")
    group_id = check_create_group(
        owner=cast["alice"], name="茶馆", group_type="Public", members=[("carol", "Member")]
    ).group.group_id
    in_group = send(cast["carol"], group_id, "hi all", kind="GROUP")
    Message.objects.update(created_at=timezone.now() - timedelta(days=30))

    with capture() as told:
        recalled = check_revoke_as_operator(message_pk=c2c.pk)
    assert [(t.name, t.user_ids) for t in told] == [("MESSAGE_REVOKED", {"alice", "bob"})]
    assert told[0].event.exclude_channel is None
    assert recalled.revoked_by.user_id == "administrator" and recalled.revoked_by.is_admin
    with capture() as told:
        check_revoke_as_operator(message_pk=in_group.pk)
    assert [(t.name, t.user_ids) for t in told] == [("MESSAGE_REVOKED", {"alice", "carol"})]
    # The operator acts in the app but joins nothing.
    assert not GroupMember.objects.filter(account__user_id="administrator").exists()

    with capture() as told, pytest.raises(IMError) as refused:
        check_revoke_as_operator(message_pk=c2c.pk)
    assert refused.value.code == MESSAGE_NOT_REVOCABLE and told == []
    with pytest.raises(IMError) as missing:
        check_revoke_as_operator(message_pk=c2c.pk + 1000)
    assert missing.value.code == MESSAGE_NOT_FOUND


# --- finding messages ---


@pytest.fixture
def corpus(cast) -> dict[str, Message]:
    """Messages in two apps: C2C pairs, a group, a custom message, one recalled."""
    other_app = App.objects.create(sdkappid=1400000002, secret_key="k" * 64, name="other")
    other_alice, _ = Account.objects.get_or_create(app=other_app, user_id="alice")
    Account.objects.create(app=other_app, user_id="dan")
    group_id = check_create_group(
        owner=cast["alice"], name="茶馆", group_type="Public", members=[("bob", "Member")]
    ).group.group_id
    created_notice = Message.objects.get(conversation__kind="@TIM#SYSTEM")
    custom = check_draft(
        msg_type="TIMCustomElem", payload={"data": "order 42"}, random=9, client_time=1764000000
    )
    messages = {
        "alice_bob": send(cast["alice"], "bob", "hello bob"),
        "bob_alice": send(cast["bob"], "alice", "Hello again", random=2),
        "alice_carol": send(cast["alice"], "carol", "other words", random=3),
        "group": send(cast["bob"], group_id, "hello group", kind="GROUP", random=4),
        "custom": check_send_message(
            sender=cast["carol"], to="alice", conversation_type="C2C", draft=custom
        ),
        "other_app": send(other_alice, "dan", "hello from elsewhere", random=5),
    }
    Message.objects.filter(pk=messages["alice_carol"].pk).update(
        created_at=timezone.now() - timedelta(days=3), is_revoked=True
    )
    messages["notice"] = created_notice
    messages["group_id"] = group_id
    return messages


def found(client: Client, **params) -> set[int]:
    response = client.get(CHANGELIST, params)
    assert response.status_code == 200
    return {m.pk for m in response.context["cl"].result_list}


def pks(corpus: dict, *names: str) -> set[int]:
    return {corpus[name].pk for name in names}


@pytest.fixture
def admin_browser(client: Client, app_admin) -> Client:
    client.force_login(app_admin)
    return client


@pytest.mark.django_db
def test_search_by_text_sender_group_and_pair(admin_browser, corpus):
    assert found(admin_browser) == pks(corpus, *(n for n in corpus if n != "group_id"))
    # Words of a text, any case; tips and custom data are not text.
    assert found(admin_browser, q="hello") == pks(
        corpus, "alice_bob", "bob_alice", "group", "other_app"
    )
    assert found(admin_browser, q='"hello bob"') == pks(corpus, "alice_bob")
    assert found(admin_browser, q="order") == set()
    assert found(admin_browser, q="from:bob") == pks(corpus, "bob_alice", "group")
    assert found(admin_browser, q=f"group:{corpus['group_id']}") == pks(corpus, "group")
    assert found(admin_browser, q="c2c:carol") == pks(corpus, "alice_carol", "custom")
    assert found(admin_browser, q="c2c:alice c2c:bob") == pks(corpus, "alice_bob", "bob_alice")
    assert found(admin_browser, q="c2c:bob hello from:alice") == pks(corpus, "alice_bob")


@pytest.mark.django_db
def test_filters_by_app_kind_type_revoked_and_time(admin_browser, corpus, im_app):
    mine = pks(corpus, "alice_bob", "bob_alice", "alice_carol", "group", "custom", "notice")
    assert found(admin_browser, conversation__app__id__exact=im_app.pk) == mine
    other = App.objects.get(sdkappid=1400000002)
    assert found(admin_browser, conversation__app__id__exact=other.pk) == pks(corpus, "other_app")
    assert found(admin_browser, conversation__kind__exact="GROUP") == pks(corpus, "group")
    assert found(admin_browser, type="TIMGroupSystemNoticeElem") == pks(corpus, "notice")
    assert found(admin_browser, type="TIMCustomElem") == pks(corpus, "custom")
    assert found(admin_browser, is_revoked__exact="1") == pks(corpus, "alice_carol")
    since = (timezone.now() - timedelta(days=1)).isoformat()
    # userIDs are per app: the other app's alice shows unless the app is chosen.
    assert corpus["other_app"].pk in found(admin_browser, created_at__gte=since, q="c2c:alice")
    recent = found(
        admin_browser, created_at__gte=since, q="c2c:alice", conversation__app__id__exact=im_app.pk
    )
    assert recent == pks(corpus, "alice_bob", "bob_alice", "custom")
    # The list names each conversation as an operator does.
    page = admin_browser.get(CHANGELIST, {"q": "c2c:carol"}).content.decode()
    assert "alice ↔ carol" in page and "[自定义消息]" in page


@pytest.mark.django_db
def test_the_list_costs_the_same_queries_for_more_messages(admin_browser, corpus, cast):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_browser.get(CHANGELIST).status_code == 200
        return len(captured)

    few = queries()
    for n in range(20):
        send(cast["carol"], "bob", f"more {n}", random=100 + n)
    assert queries() == few
    detail = admin_browser.get(reverse("admin:im_message_change", args=[corpus["group"].pk]))
    assert detail.status_code == 200 and "hello group" in detail.content.decode()
    assert 'name="payload"' not in detail.content.decode()  # read-only: no form field
