"""Groups through Tencent's own tim-js-sdk (2.27.6, unmodified, in Node with ``ws``)
against a live daphne over TIM's wire protocol: the SDK's own results and events for
creating, joining, talking, history, read reports, members, tips and system notices,
checked against what Hutong stored."""

from __future__ import annotations

import time

import pytest
from asgiref.sync import sync_to_async

from im.models import GroupMember, Message
from tests.conftest import SDKAPPID, make_sig
from tests.timsdk_driver import proxy_server, run_scenario

pytestmark = pytest.mark.django_db(transaction=True)

GROUP_ID = "tim-sdk-group"


def _stored(group_id: str) -> dict:
    messages = Message.objects.filter(conversation__group__group_id=group_id).order_by("seq")
    return {
        "seqs": list(messages.values_list("seq", flat=True)),
        "bob_hello": messages.get(payload__text="hello from bob"),
        "recalled": list(messages.filter(is_revoked=True).values_list("payload__text", flat=True)),
        "members": dict(
            GroupMember.objects.filter(group__group_id=group_id).values_list(
                "account__user_id", "role"
            )
        ),
    }


async def test_groups(live, cast):
    started = int(time.time())
    facts = await run_scenario(
        "groups",
        {
            "sdkappid": SDKAPPID,
            "proxyServer": proxy_server(live.url),
            "sigs": {uid: make_sig(uid) for uid in ("alice", "bob", "carol")},
            "groupID": GROUP_ID,
        },
        timeout=120,
    )
    stored = await sync_to_async(_stored)(GROUP_ID)
    hello = stored["bob_hello"]

    # Created: alice owns it; bob joined by himself, and alice saw the join tip.
    assert facts["created"] == {
        "groupID": GROUP_ID,
        "type": "Public",
        "role": "Owner",
        "name": "Hutong TIM",
    }
    assert facts["joined"] == {"status": "JoinedSuccess", "groupID": GROUP_ID}
    assert facts["joinTip"] == {
        "from": "bob",
        "conversationID": f"GROUP{GROUP_ID}",
        "userIDList": ["bob"],
        "operatorID": "bob",
        "memberNum": 3,
    }
    assert GROUP_ID in facts["bobGroups"]
    assert facts["bobProfile"] == {
        "name": "Hutong TIM",
        "ownerID": "alice",
        "memberCount": 3,
        "role": "Member",
        "type": "Public",
    }

    # The message is Hutong's: the same ID (sender's TinyId, client time, random) and
    # sequence on both sides.
    hutong_id = f"{hello.sender_id}-{hello.client_time}-{hello.random}"
    assert facts["bobSent"] == {"sequence": hello.seq, "ID": hutong_id}
    assert facts["aliceGot"] == {
        "ID": hutong_id,
        "from": "bob",
        "conversationType": "GROUP",
        "flow": "in",
        "sequence": hello.seq,
        "nick": "Bob",
    }
    assert facts["bobGot"] == {"from": "alice", "flow": "in", "text": "hi bob"}
    # alice's "hi bob" and m1..m18; bob's own join tip and message are not unread.
    assert facts["bobUnread"] == 19
    assert facts["bobUnreadAfterRead"] == 0

    # carol, a member from the start, logs in to 22 unread: the SDK's own "group_create"
    # message, bob's join tip, bob's message and alice's 19; she pages them 15 + 7.
    assert facts["carolListed"] == {"unreadCount": 22, "type": "GROUP"}
    pages = facts["carolPages"]
    assert pages["first"] == [f"m{i}" for i in range(4, 19)]
    assert pages["firstCompleted"] is False
    assert pages["second"] == ["TIMCustomElem", "TIMGroupTipElem", "hello from bob", "hi bob"] + [
        f"m{i}" for i in range(1, 4)
    ]
    assert pages["secondCompleted"] is True
    assert pages["sequences"] == list(range(1, 23))
    assert pages["bobsID"] == hutong_id
    assert facts["carolUnreadAfterRead"] == 0

    assert facts["profileTip"] == {"groupName": "Renamed", "notification": "Be nice"}
    assert facts["bobsCopy"] == {"name": "Renamed", "notification": "Be nice"}
    assert facts["mention"] == ["alice"]
    assert facts["members"] == [
        {"userID": "alice", "role": "Owner"},
        {"userID": "carol", "role": "Member"},
        {"userID": "bob", "role": "Member"},
    ]

    assert facts["muted"]["userID"] == "bob"
    assert facts["muted"]["muteUntil"] >= started + 600
    assert facts["muteTip"] == [{"userID": "bob", "muteTime": 600}]
    assert facts["mutedSend"] == {"code": 10017}

    assert facts["promoted"] == "Admin"
    assert facts["adminTip"] == ["carol"]
    assert facts["adminNotice"] == {"conversationID": "@TIM#SYSTEM", "from": "@TIM#SYSTEM"}

    assert facts["recalled"] == [{"ID": facts["recalledID"], "isRevoked": True}]

    assert facts["kickTip"] == ["bob"]
    assert facts["kickNotice"] == "enough"
    assert GROUP_ID not in facts["bobGroupsAfterKick"]
    assert facts["kickedSend"] == {"code": 10007}

    assert facts["quitTip"] == {"operatorID": "carol", "memberNum": 1}
    # bob's join tip and two messages, then carol's quit tip: alice's own tips are not
    # unread. Tencent's SDK takes one off for any recall in the conversation, even of
    # one's own message (docs/tim-sdk.md, "Known differences"); Hutong counts what is
    # not read.
    assert facts["aliceUnreadBeforeRecall"] == 3
    assert facts["aliceUnread"] == {"live": 3, "listed": 4}
    assert facts["lastTip"] == {
        "type": "TIMGroupTipElem",
        "operationType": 2,
        "userIDList": ["carol"],
        "groupID": GROUP_ID,
        "fromAccount": "carol",
        "messageForShow": "[群提示消息]",
    }
    assert facts["dismissNotice"] == "alice"
    assert facts["bobGroupsAfterDismiss"] == []
    assert facts["gone"] == {"code": 10010}
    # No call the SDK made on its own was refused along the way.
    assert facts["unhandledRejections"] == []

    # What Hutong stored agrees: 22 messages and the tips after, m18 recalled, only
    # alice left.
    assert stored["seqs"][:22] == list(range(1, 23))
    assert stored["recalled"] == ["m18"]
    assert stored["members"] == {"alice": "Owner"}


async def test_mixed_with_hutongs_own_sdk(live, cast):
    """alice on Tencent's SDK, bob on Hutong's tim.js, in one group: each one's messages
    and tips reach the other with one ID, and both unread counts are right."""
    facts = await run_scenario(
        "mixed_groups",
        {
            "sdkappid": SDKAPPID,
            "proxyServer": proxy_server(live.url),
            "hutongServer": live.url.replace("http://", "ws://", 1) + "/ws/im/",
            "sigs": {uid: make_sig(uid) for uid in ("alice", "bob")},
        },
    )
    assert facts["joined"] == "JoinedSuccess"
    assert facts["joinTipAtBob"] == ["alice"]
    assert facts["toAlice"] == {"same": True, "sequence": True, "from": "bob"}
    assert facts["toBob"] == {"same": True, "sequence": True, "from": "alice"}
    assert facts["muteAtAlice"] == [{"userID": "alice", "muteTime": 60}]
    assert facts["mutedSend"] == 10017
    assert facts["cardAtBob"] == [{"userID": "alice", "nameCard": "Ali"}]
    # alice: bob's message and his two mute tips; bob: alice's join tip, message and
    # name-card tip.
    assert facts["unread"] == {"alice": 3, "bob": 3}
    assert facts["unreadAfterRead"] == {"alice": 0, "bob": 0}
    assert facts["kickedAtAlice"] == {"operatorID": "bob", "conversationID": "@TIM#SYSTEM"}
    assert facts["aliceGroups"] == []
    assert facts["unhandledRejections"] == []


async def test_avchatroom_by_pushes(live, cast):
    """An AVChatRoom: joined as TIM's SDK joins one (``HugeGroupFlag``), its messages
    pushed both ways."""
    facts = await run_scenario(
        "avchatroom",
        {
            "sdkappid": SDKAPPID,
            "proxyServer": proxy_server(live.url),
            "sigs": {uid: make_sig(uid) for uid in ("alice", "bob")},
        },
    )
    assert facts["created"] == {"code": 0, "type": "AVChatRoom"}
    assert (facts["aliceJoin"], facts["bobJoin"]) == ("JoinedSuccess", "JoinedSuccess")
    assert facts["toAlice"] == {"same": True, "from": "bob", "conversationID": "GROUPlive"}
    assert facts["toBob"] == "alice"
    assert facts["bobGroups"] == ["live"]
    assert facts["unhandledRejections"] == []
