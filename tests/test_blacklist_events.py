"""Who each blacklist change tells, captured at the service layer: the owner's sessions
but the acting one, with the whole list, after commit; nobody when nothing changed or the
call was refused."""

from __future__ import annotations

import json

import pytest
from django.db import transaction

from im import events
from im.errors import C2C_IN_PEER_BLACKLIST, IMError
from im.models import Account, BlacklistEntry
from im.serializers import PROTOCOL
from im.services import blacklist
from tests.events import capture
from tests.test_events import send

pytestmark = pytest.mark.django_db


def add(owner: Account, *user_ids: str, channel: str | None = None):
    return blacklist.check_add_to_blacklist(
        account=owner, user_ids=list(user_ids), origin_channel=channel
    )


def remove(owner: Account, *user_ids: str, channel: str | None = None):
    return blacklist.check_remove_from_blacklist(
        account=owner, user_ids=list(user_ids), origin_channel=channel
    )


def test_adding_tells_only_the_owner_with_the_whole_list(cast):
    alice = cast["alice"]
    add(alice, "carol")
    with capture() as told:
        result = add(alice, "bob", channel="alice-tab-1")
    assert result.user_ids == ("carol", "bob")
    assert [(t.name, t.user_ids) for t in told] == [("BLACKLIST_UPDATED", {"alice"})]
    event = told[0].event
    # The acting connection has its answer; alice's other sessions hear the push.
    assert event.exclude_channel == "alice-tab-1"
    frame = json.loads(events.encode(event, alice.pk)[PROTOCOL])
    assert frame == {"event": "BLACKLIST_UPDATED", "data": ["carol", "bob"]}


def test_removing_tells_only_the_owner(cast):
    alice = cast["alice"]
    add(alice, "bob", "carol")
    with capture() as told:
        result = remove(alice, "bob")
    assert result.user_ids == ("carol",)
    assert [(t.name, t.user_ids) for t in told] == [("BLACKLIST_UPDATED", {"alice"})]
    assert told[0].payload.user_ids == ("carol",)
    # An operator's change (no acting connection) reaches every session of the owner.
    assert told[0].event.exclude_channel is None


@pytest.mark.parametrize(
    "change",
    [
        lambda cast: add(cast["alice"], "bob"),  # already there
        lambda cast: remove(cast["alice"], "carol"),  # not there
        lambda cast: remove(cast["alice"], "nobody"),
    ],
    ids=["add-present", "remove-absent", "remove-unknown"],
)
def test_a_call_that_changes_nothing_tells_nobody(cast, change):
    add(cast["alice"], "bob")
    with capture() as told:
        change(cast)
    assert told == []


@pytest.mark.parametrize(
    ("user_ids", "code"),
    [([], 30001), (["alice"], 2742), (["bob", "mallory"], 30003)],
    ids=["empty", "self", "unknown"],
)
def test_a_refused_call_tells_nobody_and_writes_nothing(cast, user_ids, code):
    with capture() as told, pytest.raises(IMError) as refused:
        add(cast["alice"], *user_ids)
    assert refused.value.code == code
    assert told == []
    assert not BlacklistEntry.objects.exists()


def test_a_rolled_back_change_tells_nobody(cast):
    with capture() as told, pytest.raises(RuntimeError), transaction.atomic():
        blacklist.do_add_to_blacklist(
            owner=cast["alice"], accounts=[cast["bob"]], origin_channel=None
        )
        raise RuntimeError("the caller's transaction fails after the write")
    assert told == []
    assert not BlacklistEntry.objects.exists()


def test_a_refused_send_tells_nobody(cast):
    add(cast["alice"], "bob")
    with capture() as told, pytest.raises(IMError) as refused:
        send(cast["bob"], "alice")
    assert refused.value.code == C2C_IN_PEER_BLACKLIST
    assert told == []
    # The other way is an ordinary send: both sides are told.
    with capture() as told:
        send(cast["alice"], "bob")
    assert [(t.name, t.user_ids) for t in told] == [("MESSAGE_RECEIVED", {"alice", "bob"})]
