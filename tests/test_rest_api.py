"""The REST API (TIM's v4 format), signed with Tencent's own tls-sig-api-v2: the
envelope and its refusals, and each command with its effect on live WebSocket clients."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from TLSSigAPIv2 import TLSSigAPIv2

from im.models import Account, App, BlacklistEntry, Message
from tests.conftest import SDKAPPID, SECRET_KEY, make_sig
from tests.rest import ADMIN, apost, fails, ok, url
from tests.wsclient import assert_all_silent, online, text_message

live = pytest.mark.django_db(transaction=True)


def send_body(text: str = "hi", *, to: str = "bob", frm: str = "alice", random: int = 7) -> dict:
    return {
        "SyncOtherMachine": 1,
        "From_Account": frm,
        "To_Account": to,
        "MsgRandom": random,
        "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": text}}],
    }


# --- the envelope: who may call, and what a malformed request gets ---


def test_a_signed_administrator_gets_tims_envelope(rest_admin):
    answer = ok("im_open_login_svc/account_check", {"CheckItem": [{"UserID": "bob"}]})
    assert list(answer)[:3] == ["ActionStatus", "ErrorCode", "ErrorInfo"]
    assert answer["ResultItem"][0]["AccountStatus"] == "Imported"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"sig": TLSSigAPIv2(SDKAPPID, "0" * 64).gen_sig(ADMIN)}, 70009),  # another key
        ({"sig": make_sig(ADMIN, expire=60, now=time.time() - 120)}, 70001),  # expired
        ({"sig": TLSSigAPIv2(SDKAPPID, SECRET_KEY).gen_sig("alice")}, 70013),  # someone else's
        ({"sig": "not-a-sig"}, 70003),
        ({"sig": ""}, 70002),
        ({"identifier": "alice"}, 60010),  # a signed user, not an administrator
        ({"sdkappid": ""}, 60012),
        ({"sdkappid": "14x"}, 60012),
        ({"identifier": ""}, 60012),
        ({"sdkappid": 1400000777}, 70020),  # no such app
        ({"random": "abc"}, 60002),
        ({"contenttype": "xml"}, 60002),
    ],
)
def test_each_bad_signature_or_query_gets_tims_code(rest_admin, change, code):
    fails("im_open_login_svc/account_check", {"CheckItem": [{"UserID": "bob"}]}, code, **change)


def test_a_disabled_app_and_a_demoted_administrator_are_refused(rest_admin):
    body = {"CheckItem": [{"UserID": "bob"}]}
    Account.objects.filter(pk=rest_admin.pk).update(is_admin=False)
    fails("im_open_login_svc/account_check", body, 60010)
    Account.objects.filter(pk=rest_admin.pk).update(is_admin=True)
    App.objects.filter(sdkappid=SDKAPPID).update(is_disabled=True)
    fails("im_open_login_svc/account_check", body, 60016)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("{not json", 60003),
        ("[1, 2]", 60003),
        ("", 60003),
        (b"\xff\xfe", 60003),
        ('{"UserID": "a\\u0000b"}', 70402),  # NUL: a field error of the service
        ({"UserID": 5}, 70402),
        ({}, 70402),
    ],
)
def test_a_malformed_body_is_refused_and_imports_nothing(rest_admin, body, code):
    before = Account.objects.count()
    fails("im_open_login_svc/account_import", body, code)
    assert Account.objects.count() == before


def test_unknown_commands_other_methods_and_huge_bodies(rest_admin, settings):
    fails("im_open_login_svc/no_such_command", {}, 60009)
    fails("nosuchservice/account_import", {}, 60009)
    response = Client().get(url("im_open_login_svc/account_check"))
    assert response.status_code == 405 and response.json()["ErrorCode"] == 60002
    settings.IM_REST_MAX_BODY_BYTES = 100
    fails("im_open_login_svc/account_import", {"UserID": "x", "Nick": "n" * 200}, 60002)
    assert not Account.objects.filter(user_id="x").exists()


def test_each_command_is_limited_per_app_to_its_rate(rest_admin, settings):
    # One call at once, the next after 2 s: a slow machine cannot refill it mid-test.
    settings.IM_REST_RATE = 0.5
    body = {"CheckItem": [{"UserID": "bob"}]}
    ok("im_open_login_svc/account_check", body)
    answer = fails("im_open_login_svc/account_check", body, 60007)
    assert "0.5 calls a second" in answer["ErrorInfo"]
    ok("im_open_login_svc/kick", {"UserID": "bob"})  # another command has its own


# --- accounts ---


def test_import_check_and_delete_accounts(rest_admin):
    ok(
        "im_open_login_svc/account_import",
        {"UserID": "dave", "Nick": "Dave", "FaceUrl": "https://example.com/d.png"},
    )
    dave = Account.objects.get(user_id="dave")
    assert (dave.nick, dave.avatar) == ("Dave", "https://example.com/d.png")
    answer = ok(
        "im_open_login_svc/multiaccount_import", {"Accounts": ["erin", "bad id", "x" * 33, 7]}
    )
    assert answer["FailAccounts"] == ["bad id", "x" * 33, 7]
    assert Account.objects.filter(user_id="erin").exists()

    ok(
        "im_open_login_svc/account_delete",
        {"DeleteItem": [{"UserID": "dave"}, {"UserID": "nobody"}]},
    )
    checked = ok(
        "im_open_login_svc/account_check",
        {"CheckItem": [{"UserID": u} for u in ("dave", "erin", "nobody")]},
    )
    assert [(r["UserID"], r["AccountStatus"]) for r in checked["ResultItem"]] == [
        ("dave", "NotImported"),
        ("erin", "Imported"),
        ("nobody", "NotImported"),
    ]
    dave.refresh_from_db()
    assert (dave.nick, dave.avatar) == ("", "")
    ok("im_open_login_svc/account_import", {"UserID": "dave"})
    checked = ok("im_open_login_svc/account_check", {"CheckItem": [{"UserID": "dave"}]})
    assert checked["ResultItem"][0]["AccountStatus"] == "Imported"


def test_batch_limits_and_bad_values(rest_admin):
    fails(
        "im_open_login_svc/multiaccount_import", {"Accounts": [f"u{i}" for i in range(101)]}, 70402
    )
    fails("im_open_login_svc/account_check", {"CheckItem": ["bob"]}, 70402)
    fails("im_open_login_svc/account_import", {"UserID": "dave", "FaceUrl": "javascript:x"}, 40603)
    assert not Account.objects.filter(user_id="dave").exists()


@live
async def test_kick_and_delete_log_live_sessions_out(rest_admin):
    bob1, bob2, alice = await online("bob"), await online("bob"), await online("alice")
    answer = await apost("im_open_login_svc/kick", {"UserID": "bob"})
    assert answer["ActionStatus"] == "OK"
    for client in (bob1, bob2):
        assert (await client.push("KICKED_OUT"))["data"] == {"type": "REST_API_Kick"}
    await assert_all_silent(alice)

    status = await apost(
        "openim/query_online_status", {"To_Account": ["alice", "bob", "ghost"], "IsNeedDetail": 1}
    )
    results = {r["To_Account"]: r for r in status["QueryResult"]}
    assert results["alice"]["Status"] == "Online"
    assert results["alice"]["Detail"] == [{"Platform": "Web", "Status": "Online"}]
    assert results["bob"]["Status"] == "Offline"
    assert status["ErrorList"] == [{"To_Account": "ghost", "ErrorCode": 70107}]

    await apost("im_open_login_svc/account_delete", {"DeleteItem": [{"UserID": "alice"}]})
    assert (await alice.push("KICKED_OUT"))["data"] == {"type": "REST_API_Kick"}
    # TIM imports an account at its login: a deleted one comes back.
    again = await online("alice")
    account = await Account.objects.aget(user_id="alice")
    assert account.deleted_at is None
    for client in (bob1, bob2, alice, again):
        await client.close()


# --- C2C messages ---


@live
async def test_sendmsg_reaches_the_receiver_and_the_senders_sessions(rest_admin):
    alice, bob, carol = await online("alice"), await online("bob"), await online("carol")
    answer = await apost("openim/sendmsg", send_body("from the back end"))
    assert answer["ActionStatus"] == "OK", answer
    [received] = (await bob.push("MESSAGE_RECEIVED"))["data"]
    assert (received["from"], received["payload"]) == ("alice", {"text": "from the back end"})
    [synced] = (await alice.push("MESSAGE_RECEIVED"))["data"]
    assert synced["ID"] == received["ID"] and synced["flow"] == "out"
    message = await Message.objects.aget(random=7)
    assert answer["MsgKey"] == f"{message.seq}_7_{int(message.created_at.timestamp())}"
    assert answer["MsgTime"] == int(message.created_at.timestamp())
    # No From_Account: the administrator sends; a custom element.
    body = send_body(to="carol")
    del body["From_Account"]
    body["MsgBody"] = [
        {"MsgType": "TIMCustomElem", "MsgContent": {"Data": '{"k":1}', "Desc": "d", "Ext": "e"}}
    ]
    assert (await apost("openim/sendmsg", body))["ActionStatus"] == "OK"
    [custom] = (await carol.push("MESSAGE_RECEIVED"))["data"]
    assert custom["from"] == ADMIN
    assert custom["payload"] == {"data": '{"k":1}', "description": "d", "extension": "e"}
    await assert_all_silent(alice, bob)
    for client in (alice, bob, carol):
        await client.close()


async def texts(client, conversation_id: str) -> list[str]:
    page = await client.ok("getMessageList", {"conversationID": conversation_id})
    return [m["payload"]["text"] for m in page["messageList"]]


async def listed(client) -> dict[str, str | None]:
    """The conversation list: each conversation's ID and last message's text."""
    answer = await client.ok("getConversationList", {})
    return {
        c["conversationID"]: (c["lastMessage"] or {}).get("payload", {}).get("text")
        for c in answer["conversationList"]
    }


@live
async def test_sync_other_machine_2_keeps_the_message_from_the_sender(rest_admin):
    alice1, alice2, bob = await online("alice"), await online("alice"), await online("bob")
    answer = await apost("openim/sendmsg", {**send_body("for bob only"), "SyncOtherMachine": 2})
    assert answer["ActionStatus"] == "OK", answer
    [received] = (await bob.push("MESSAGE_RECEIVED"))["data"]
    assert received["payload"] == {"text": "for bob only"}
    await assert_all_silent(alice1, alice2, bob)
    assert await texts(alice1, "C2Cbob") == []
    assert await texts(bob, "C2Calice") == ["for bob only"]
    assert "C2Cbob" not in await listed(alice1)
    assert (await listed(bob))["C2Calice"] == "for bob only"
    synced = await alice2.ok("syncMessages", {"conversationID": "C2Cbob", "changeSequence": 0})
    assert synced["messageList"] == []

    # 1: the sender's sessions hear it and list it; then 2 again leaves that as it was.
    await apost("openim/sendmsg", send_body("for both", random=8))
    for client in (alice1, alice2, bob):
        [message] = (await client.push("MESSAGE_RECEIVED"))["data"]
        assert message["payload"] == {"text": "for both"}
    await apost("openim/sendmsg", {**send_body("bob again", random=9), "SyncOtherMachine": 2})
    await bob.push("MESSAGE_RECEIVED")
    await assert_all_silent(alice1, alice2, bob)
    assert await texts(alice1, "C2Cbob") == ["for both"]
    assert (await listed(alice1))["C2Cbob"] == "for both"
    assert await texts(bob, "C2Calice") == ["for bob only", "for both", "bob again"]

    # batchsendmsg: each receiver gets it, the sender hears nothing.
    carol = await online("carol")
    body = {**send_body("news", random=10), "SyncOtherMachine": 2, "To_Account": ["bob", "carol"]}
    assert (await apost("openim/batchsendmsg", body))["ErrorList"] == []
    for client in (bob, carol):
        [message] = (await client.push("MESSAGE_RECEIVED"))["data"]
        assert message["payload"] == {"text": "news"}
    await assert_all_silent(alice1, alice2, bob, carol)
    assert "C2Ccarol" not in await listed(alice1)
    assert await texts(carol, "C2Calice") == ["news"]
    # A reply brings the conversation back to the sender's list, with what it sees.
    await carol.ok("sendMessage", text_message("thanks", to="alice", random=11))
    await alice1.push("MESSAGE_RECEIVED")
    assert await texts(alice1, "C2Ccarol") == ["thanks"]
    assert (await listed(alice1))["C2Ccarol"] == "thanks"
    for client in (alice1, alice2, bob, carol):
        await client.close()


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"To_Account": "ghost"}, 90012),
        ({"From_Account": "ghost"}, 90012),
        ({"MsgBody": []}, 90001),
        ({"MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": 5}}]}, 90001),
        ({"MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Txt": "x"}}]}, 90001),
        ({"MsgBody": [{"MsgType": "TIMNoSuchElem", "MsgContent": {}}]}, 90001),
        ({"MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "a"}}] * 2}, 90001),
        ({"MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "x" * 13000}}]}, 80002),
        ({"MsgRandom": "7"}, 90001),
        ({"MsgRandom": 2**32}, 90001),
        ({"SyncOtherMachine": 3}, 90001),
    ],
)
def test_a_bad_send_stores_nothing(rest_admin, change, code):
    fails("openim/sendmsg", {**send_body(), **change}, code)
    assert not Message.objects.exists()


def test_sendmsg_respects_the_receivers_blacklist(rest_admin, cast):
    BlacklistEntry.objects.create(owner=cast["bob"], blocked=cast["alice"])
    fails("openim/sendmsg", send_body(), 20007)
    assert not Message.objects.exists()


def test_batchsendmsg_reports_each_receiver_it_could_not_reach(rest_admin, cast):
    body = send_body("news")
    body["To_Account"] = ["bob", "carol", "ghost", "bob"]
    answer = ok("openim/batchsendmsg", body)
    assert answer["ErrorList"] == [{"To_Account": "ghost", "ErrorCode": 90012}]
    assert sorted(
        Message.objects.values_list(
            "conversation__participants__account__user_id", flat=True
        ).distinct()
    ) == ["alice", "bob", "carol"]
    assert Message.objects.count() == 2
    body["To_Account"] = [f"u{i}" for i in range(501)]
    fails("openim/batchsendmsg", body, 90011)


@live
async def test_admin_msgwithdraw_recalls_live_for_both_sides(rest_admin):
    alice, bob = await online("alice"), await online("bob")
    sent = await apost("openim/sendmsg", send_body("oops"))
    await bob.push("MESSAGE_RECEIVED")
    await alice.push("MESSAGE_RECEIVED")
    answer = await apost(
        "openim/admin_msgwithdraw",
        {"From_Account": "alice", "To_Account": "bob", "MsgKey": sent["MsgKey"]},
    )
    assert answer["ActionStatus"] == "OK", answer
    for client in (alice, bob):
        [revoked] = (await client.push("MESSAGE_REVOKED"))["data"]
        assert (revoked["isRevoked"], revoked["revoker"]) == (True, ADMIN)
    again = await apost(
        "openim/admin_msgwithdraw",
        {"From_Account": "alice", "To_Account": "bob", "MsgKey": sent["MsgKey"]},
    )
    assert again["ErrorCode"] == 10032
    for client in (alice, bob):
        await client.close()


def test_msgwithdraw_needs_the_right_key_and_pair(rest_admin):
    key = ok("openim/sendmsg", send_body())["MsgKey"]
    seq, random, when = key.split("_")
    for body, code in [
        ({"From_Account": "bob", "To_Account": "alice", "MsgKey": key}, 10030),  # not bob's
        ({"From_Account": "alice", "To_Account": "carol", "MsgKey": key}, 10030),
        (
            {
                "From_Account": "alice",
                "To_Account": "bob",
                "MsgKey": f"{seq}_{int(random) + 1}_{when}",
            },
            10030,
        ),
        ({"From_Account": "alice", "To_Account": "bob", "MsgKey": "1-2-3"}, 90001),
    ]:
        fails("openim/admin_msgwithdraw", body, code)
    assert not Message.objects.filter(is_revoked=True).exists()


def test_roaming_messages_page_by_key(rest_admin):
    for i in range(5):
        ok("openim/sendmsg", send_body(f"m{i}", random=100 + i))
    ok("openim/sendmsg", send_body("back", frm="bob", to="alice", random=200))
    body = {
        "Operator_Account": "alice",
        "Peer_Account": "bob",
        "MaxCnt": 4,
        "MinTime": 0,
        "MaxTime": 2**32 - 1,
    }
    first = ok("openim/admin_getroammsg", body)
    assert (first["Complete"], first["MsgCnt"]) == (0, 4)
    texts = [m["MsgBody"][0]["MsgContent"]["Text"] for m in first["MsgList"]]
    assert texts == ["m0", "m1", "m2", "m3"]
    assert (
        first["MsgList"][0]["From_Account"] == "alice"
        and first["MsgList"][0]["To_Account"] == "bob"
    )
    second = ok("openim/admin_getroammsg", {**body, "LastMsgKey": first["LastMsgKey"]})
    assert (second["Complete"], second["MsgCnt"]) == (1, 2)
    last = second["MsgList"][-1]
    assert (last["From_Account"], last["To_Account"], last["MsgRandom"]) == ("bob", "alice", 200)
    assert ok("openim/admin_getroammsg", {**body, "MaxTime": 1})["MsgList"] == []
    fails("openim/admin_getroammsg", {**body, "MaxCnt": 0}, 90001)
    fails("openim/admin_getroammsg", {**body, "Peer_Account": "ghost"}, 90012)


def test_unread_counts_and_marking_read(rest_admin):
    for i in range(3):
        ok("openim/sendmsg", send_body(random=i))
    ok("openim/sendmsg", send_body(frm="carol", random=9))
    unread = ok(
        "openim/get_c2c_unread_msg_num",
        {"To_Account": "bob", "Peer_Account": ["alice", "carol", "ghost"]},
    )
    assert unread["AllC2CUnreadMsgNum"] == 4
    assert unread["C2CUnreadMsgNumList"] == [
        {"Peer_Account": "alice", "C2CUnreadMsgNum": 3},
        {"Peer_Account": "carol", "C2CUnreadMsgNum": 1},
        {"Peer_Account": "ghost", "C2CUnreadMsgNum": 0},
    ]
    ok("openim/admin_set_msg_read", {"Report_Account": "bob", "Peer_Account": "alice"})
    assert ok("openim/get_c2c_unread_msg_num", {"To_Account": "bob"})["AllC2CUnreadMsgNum"] == 1
    assert ok("openim/get_c2c_unread_msg_num", {"To_Account": "alice"})["AllC2CUnreadMsgNum"] == 0


# --- profiles and the blacklist ---


@live
async def test_portrait_set_reaches_peers_live_and_portrait_get_reads_it(rest_admin):
    bob = await online("bob")
    await bob.ok("sendMessage", text_message("hi", to="alice"))
    answer = await apost(
        "profile/portrait_set",
        {
            "From_Account": "alice",
            "ProfileItem": [
                {"Tag": "Tag_Profile_IM_Nick", "Value": "Alice L."},
                {"Tag": "Tag_Profile_IM_Gender", "Value": "Gender_Type_Female"},
                {"Tag": "Tag_Profile_Custom_city", "Value": "Chengdu"},
            ],
        },
    )
    assert answer["ActionStatus"] == "OK", answer
    [profile] = (await bob.push("PROFILE_UPDATED"))["data"]
    assert (profile["userID"], profile["nick"], profile["gender"]) == (
        "alice",
        "Alice L.",
        "Gender_Type_Female",
    )
    got = await apost(
        "profile/portrait_get",
        {
            "To_Account": ["alice", "ghost"],
            "TagList": ["Tag_Profile_IM_Nick", "Tag_Profile_Custom_city"],
        },
    )
    assert got["UserProfileItem"] == [
        {
            "To_Account": "alice",
            "ProfileItem": [
                {"Tag": "Tag_Profile_IM_Nick", "Value": "Alice L."},
                {"Tag": "Tag_Profile_Custom_city", "Value": "Chengdu"},
            ],
            "ResultCode": 0,
            "ResultInfo": "",
        }
    ]
    assert got["FailAccount"] == ["ghost"]
    await bob.close()


def test_bad_profile_writes_change_nothing(rest_admin):
    for items, code in [
        ([{"Tag": "Tag_Profile_IM_Nick"}], 40001),
        ([{"Tag": "Tag_Profile_IM_Shoe", "Value": 1}], 40001),
        ([{"Tag": "Tag_Profile_IM_Nick", "Value": "n" * 501}], 40601),
        (
            [
                {"Tag": "Tag_Profile_IM_Nick", "Value": "ok"},
                {"Tag": "Tag_Profile_IM_Gender", "Value": "x"},
            ],
            40603,
        ),
    ]:
        fails("profile/portrait_set", {"From_Account": "alice", "ProfileItem": items}, code)
    assert Account.objects.get(user_id="alice").nick == "Alice"


def test_blacklist_commands_and_their_effect(rest_admin):
    answer = ok("sns/black_list_add", {"From_Account": "bob", "To_Account": ["alice", "ghost"]})
    assert answer["ResultItem"] == [
        {"To_Account": "alice", "ResultCode": 0, "ResultInfo": ""},
        {"To_Account": "ghost", "ResultCode": 30003, "ResultInfo": "not an account of this app"},
    ]
    assert answer["Fail_Account"] == ["ghost"]
    fails("openim/sendmsg", send_body(), 20007)
    listed = ok("sns/black_list_get", {"From_Account": "bob", "StartIndex": 0, "MaxLimited": 10})
    assert listed["BlackListItem"] == [{"To_Account": "alice"}]
    ok("sns/black_list_delete", {"From_Account": "bob", "To_Account": ["alice"]})
    ok("openim/sendmsg", send_body())
    fails("sns/black_list_add", {"From_Account": "ghost", "To_Account": ["alice"]}, 30003)
    fails("sns/black_list_add", {"From_Account": "bob", "To_Account": []}, 30001)
