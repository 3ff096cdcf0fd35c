"""Which accounts each action tells, captured at the service layer: exactly these, after
commit, and nobody when the action rolls back or is refused."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from im import events
from im.errors import MESSAGE_NOT_REVOCABLE, SENDER_MUTED, IMError
from im.models import Account, App, GroupMember, Instance, Message, Participant
from im.serializers import PROTOCOL, message_id
from im.services import conversations, groups, instances, messages, tips
from im.timwire import PROTOCOL as TIMWIRE
from im.transactions import NoTransaction
from tests.events import capture

pytestmark = pytest.mark.django_db


def draft(text: str = "你好", *, random: int = 1) -> messages.Draft:
    return messages.check_draft(
        msg_type="TIMTextElem", payload={"text": text}, random=random, client_time=1764000000
    )


def send(sender: Account, to: str, *, kind: str = "C2C", random: int = 1, channel: str = ""):
    return messages.check_send_message(
        sender=sender,
        to=to,
        conversation_type=kind,
        draft=draft(random=random),
        origin_channel=channel or None,
    )


def tea_house(cast: dict[str, Account], **members: str) -> str:
    """A Public group alice owns with ``members`` (userID=role); its groupID."""
    view = groups.check_create_group(
        owner=cast["alice"],
        name="茶馆",
        group_type="Public",
        members=list(members.items()),
    )
    return view.group.group_id


def frame(event: events.Event, viewer: Account | None) -> dict:
    return json.loads(events.encode(event, viewer.pk if viewer else None)[PROTOCOL])


def test_c2c_send_tells_both_sides_but_the_sending_connection(cast):
    alice, bob = cast["alice"], cast["bob"]
    with capture() as told:
        message = send(alice, "bob", channel="alice-tab-1")
    assert [(t.name, t.user_ids) for t in told] == [("MESSAGE_RECEIVED", {"alice", "bob"})]
    event = told[0].event
    assert told[0].payload.pk == message.pk
    assert event.exclude_channel == "alice-tab-1"
    assert event.group_pk is None
    # One event, two views: each side sees its own conversation and flow.
    for viewer, conversation_id, flow in ((alice, "C2Cbob", "out"), (bob, "C2Calice", "in")):
        data = frame(event, viewer)["data"][0]
        assert (data["conversationID"], data["flow"], data["payload"]) == (
            conversation_id,
            flow,
            {"text": "你好"},
        )


def test_a_resend_tells_nobody_again(cast):
    send(cast["alice"], "bob")
    with capture() as told:
        send(cast["alice"], "bob")
    assert told == []
    assert Message.objects.count() == 1


def test_group_send_tells_exactly_the_members(cast):
    group_id = tea_house(cast, bob="Member")
    with capture() as told:
        message = send(cast["bob"], group_id, kind="GROUP", channel="bob-tab")
    assert [(t.name, t.user_ids) for t in told] == [("MESSAGE_RECEIVED", {"alice", "bob"})]
    event = told[0].event
    assert told[0].payload.pk == message.pk
    # One layer send for the whole group, with the author's view apart.
    assert event.account_ids == frozenset()
    assert event.author_id == cast["bob"].pk
    assert event.exclude_channel == "bob-tab"
    assert frame(event, cast["bob"])["data"][0]["flow"] == "out"
    assert frame(event, None)["data"][0]["flow"] == "in"


def test_create_group_tells_exactly_its_members_and_has_them_hear_it(cast):
    with capture() as told:
        group_id = tea_house(cast, bob="Admin")
    assert [(t.name, t.user_ids) for t in told] == [
        ("MESSAGE_RECEIVED", {"alice"}),  # the creator's "created" notice
        ("GROUP_JOINED", {"alice", "bob"}),
    ]
    notice = told[0].payload
    assert (notice.conversation.kind, notice.payload["operationType"]) == ("@TIM#SYSTEM", 6)
    event = told[1].event
    assert event.joins_group == told[1].payload.group.group.pk
    # Each joiner sees its own membership.
    for who, role in (("alice", "Owner"), ("bob", "Admin")):
        data = frame(event, cast[who])["data"]
        assert (data["groupID"], data["selfInfo"]["userID"], data["selfInfo"]["role"]) == (
            group_id,
            who,
            role,
        )


def test_a_refused_send_tells_nobody(cast):
    group_id = tea_house(cast, bob="Member")
    GroupMember.objects.filter(account=cast["bob"]).update(
        mute_until=timezone.now() + timedelta(hours=1)
    )
    with capture() as told, pytest.raises(IMError) as refused:
        send(cast["bob"], group_id, kind="GROUP")
    assert refused.value.code == SENDER_MUTED
    assert told == []


def test_recall_tells_everyone_who_can_see_the_message(cast):
    c2c = send(cast["alice"], "bob")
    group_id = tea_house(cast, bob="Admin")
    in_group = send(cast["alice"], group_id, kind="GROUP", random=2)
    with capture() as told:
        messages.check_revoke_message(
            account=cast["alice"], conversation_id="C2Cbob", message_id=message_id(c2c)
        )
    assert [(t.name, t.user_ids) for t in told] == [("MESSAGE_REVOKED", {"alice", "bob"})]
    # An admin recalls another member's group message: the group hears it.
    with capture() as told:
        messages.check_revoke_message(
            account=cast["bob"],
            conversation_id=f"GROUP{group_id}",
            message_id=message_id(in_group),
            origin_channel="bob-tab",
        )
    assert [(t.name, t.user_ids) for t in told] == [("MESSAGE_REVOKED", {"alice", "bob"})]
    assert told[0].event.group_pk is not None
    assert frame(told[0].event, None)["data"][0]["revoker"] == "bob"


def test_read_report_tells_the_reader_and_the_sender(cast):
    send(cast["alice"], "bob")
    with capture() as told:
        conversations.check_set_message_read(
            account=cast["bob"], conversation_id="C2Calice", origin_channel="bob-phone"
        )
    assert [(t.name, t.user_ids) for t in told] == [
        ("CONVERSATION_UPDATED", {"bob"}),
        ("MESSAGE_READ_BY_PEER", {"alice"}),
    ]
    assert told[0].event.exclude_channel == "bob-phone"
    assert frame(told[0].event, cast["bob"])["data"]["unreadCount"] == 0
    # Nothing new to mark read: nobody is told.
    with capture() as told:
        conversations.check_set_message_read(account=cast["bob"], conversation_id="C2Calice")
    assert told == []


def test_delete_conversation_tells_only_the_deleter(cast):
    send(cast["alice"], "bob")
    with capture() as told:
        conversations.check_delete_conversation(account=cast["alice"], conversation_id="C2Cbob")
    assert [(t.name, t.user_ids) for t in told] == [("CONVERSATION_DELETED", {"alice"})]
    assert frame(told[0].event, cast["alice"])["data"] == {"conversationID": "C2Cbob"}


def _register(account: Account, channel: str, instance_id: str = "") -> list[str]:
    fresh = Account.objects.select_related("app").get(pk=account.pk)
    return instances.do_register_instance(
        account=fresh,
        channel_name=channel,
        sig_expires_at=timezone.now() + timedelta(days=1),
        instance_id=instance_id,
    )


def test_login_over_the_limit_kicks_exactly_the_oldest_connection(cast, im_app):
    App.objects.filter(pk=im_app.pk).update(max_web_instances=2)
    _register(cast["bob"], "bob-1")
    _register(cast["bob"], "bob-2")
    _register(cast["carol"], "carol-1")
    with capture() as told:
        _register(cast["bob"], "bob-3")
    assert [(t.name, t.user_ids) for t in told] == [("KICKED_OUT", {"bob"})]
    assert told[0].event.channels == {"bob-1"}
    assert told[0].payload.reason == instances.KICKED_MULTIPLE_ACCOUNT


def test_operator_kick_tells_every_connected_session_of_the_account(cast):
    _register(cast["bob"], "bob-1", instance_id="tab-1")
    _register(cast["bob"], "bob-2", instance_id="tab-2")
    Instance.objects.filter(channel_name="bob-2").update(is_online=False)  # away
    _register(cast["alice"], "alice-1")
    with capture() as told:
        assert instances.do_kick_account(account=cast["bob"]) == 2
    assert [(t.name, t.user_ids) for t in told] == [("KICKED_OUT", {"bob"})]
    # Only the connected one is told now; the away one hears it when it reconnects.
    assert told[0].event.channels == {"bob-1"}
    assert frame(told[0].event, cast["bob"]) == {
        "event": "KICKED_OUT",
        "data": {"type": "REST_API_Kick"},
    }


class Rollback(Exception):
    pass


def test_an_action_rolled_back_after_scheduling_its_event_tells_nobody(cast):
    with capture() as told:
        with pytest.raises(Rollback), transaction.atomic():
            send(cast["alice"], "bob")
            assert Message.objects.count() == 1
            raise Rollback
        conversations_left = Participant.objects.count()
    assert told == []
    assert Message.objects.count() == 0
    assert conversations_left == 0


def test_each_push_is_encoded_once_per_protocol_and_view_whatever_the_group_size(cast, monkeypatch):
    group_id = tea_house(cast, bob="Member", carol="Member")
    with capture() as told:
        send(cast["alice"], group_id, kind="GROUP")
    calls = []
    monkeypatch.setitem(events._encoders, "probe", lambda event, viewer: calls.append(viewer) or "")
    sends = events.layer_sends(told[0].event)
    assert len(sends) == 1  # one layer group, heard once per server process
    assert sorted(calls, key=str) == sorted([None, cast["alice"].pk], key=str)
    # Every protocol's encoder: Hutong's, TIM's wire protocol's and the probe.
    assert set(sends[0].message["texts"]) == {PROTOCOL, TIMWIRE, "probe"}


@pytest.mark.django_db(transaction=True)
def test_composable_writes_refuse_to_run_outside_a_transaction(cast):
    conversation = Participant.objects.none()  # never reached
    with pytest.raises(NoTransaction):
        messages.do_send_message(
            conversation=conversation, sender=cast["alice"], draft=draft(), origin_channel=None
        )
    assert Message.objects.count() == 0


def _member_joins_with_tip(cast: dict[str, Account], group_id: str) -> None:
    """What issue 10's join will do: a membership and its tip, in one transaction."""
    from im.models import Group

    group = Group.objects.get(group_id=group_id)
    with transaction.atomic():
        conversation = messages.lock_group_conversation(group)
        GroupMember.objects.create(group=group, account=cast["carol"])
        Participant.objects.create(conversation=conversation, account=cast["carol"])
        tips.do_send_group_tip(
            conversation=conversation,
            operator=cast["carol"],
            operation_type=tips.TIP_MEMBER_JOIN,
        )
        tips.do_send_group_tip(
            conversation=conversation,
            operator=cast["alice"],
            operation_type=tips.TIP_MEMBER_SET_ADMIN,
            user_ids=["carol"],
        )


def test_writes_compose_an_action_and_its_tips_into_one_commit(cast):
    group_id = tea_house(cast, bob="Member")
    with capture() as told:
        _member_joins_with_tip(cast, group_id)
    # The new member is among those told, since it joined in the same commit.
    assert [(t.name, t.user_ids) for t in told] == [
        ("MESSAGE_RECEIVED", {"alice", "bob", "carol"}),
        ("MESSAGE_RECEIVED", {"alice", "bob", "carol"}),
    ]
    shown = [frame(t.event, cast["bob"])["data"][0] for t in told]
    assert [(m["type"], m["sequence"]) for m in shown] == [
        ("TIMGroupTipElem", 1),
        ("TIMGroupTipElem", 2),
    ]
    assert shown[0]["payload"] == {
        "operationType": 1,
        "operatorID": "carol",
        "userIDList": ["carol"],
        "groupProfile": {"groupID": group_id, "groupName": "茶馆"},
    }
    assert shown[1]["payload"]["userIDList"] == ["carol"]
    with pytest.raises(IMError) as refused:
        messages.check_revoke_message(
            account=cast["alice"], conversation_id=f"GROUP{group_id}", message_id=shown[0]["ID"]
        )
    assert refused.value.code == MESSAGE_NOT_REVOCABLE


def test_a_composed_action_rolled_back_tells_nobody_and_stores_nothing(cast):
    group_id = tea_house(cast, bob="Member")
    stored = Message.objects.count()
    with capture() as told, pytest.raises(Rollback), transaction.atomic():
        _member_joins_with_tip(cast, group_id)
        raise Rollback
    assert told == []
    assert Message.objects.count() == stored
    assert not GroupMember.objects.filter(account=cast["carol"]).exists()
