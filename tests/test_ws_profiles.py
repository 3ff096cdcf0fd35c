"""Profiles over /ws/im/: getMyProfile, getUserProfile, updateMyProfile with TIM's codes
for every bad field, live PROFILE_UPDATED, and avatar uploads on both media stores."""

from __future__ import annotations

import io

import pytest
from asgiref.sync import sync_to_async
from PIL import Image

from im.errors import (
    FILE_UPLOAD_FAILED,
    IMAGE_BAD_TYPE,
    INVALID_PARAMS,
    PROFILE_NOTHING_TO_UPDATE,
    PROFILE_TAG_NOT_FOUND,
    PROFILE_UNKNOWN_FIELD,
    PROFILE_VALUE_INVALID,
    PROFILE_VALUE_TOO_LONG,
    PROFILE_VALUE_TYPE,
)
from im.models import Account, Upload
from im.services import groups, uploads
from tests.media import EXECUTABLE, fetch, image_bytes, put
from tests.wsclient import IMClient, online, text_message

pytestmark = pytest.mark.django_db(transaction=True)

DEFAULTS = {
    "userID": "alice",
    "nick": "Alice",
    "gender": "Gender_Type_Unknown",
    "birthday": 0,
    "location": "",
    "selfSignature": "",
    "allowType": "AllowType_Type_AllowAny",
    "language": 0,
    "avatar": "",
    "messageSettings": 0,
    "adminForbidType": "AdminForbid_Type_None",
    "level": 0,
    "role": 0,
    "lastUpdatedTime": 0,
    "profileCustomField": [],
}

FULL_UPDATE = {
    "nick": "小爱",
    "avatar": "https://example.com/a.png",
    "gender": "Gender_Type_Female",
    "selfSignature": "茶要慢慢喝",
    "allowType": "AllowType_Type_NeedConfirm",
    "birthday": 19900101,
    "location": "Beijing",
    "language": 2052,
    "messageSettings": 1,
    "adminForbidType": "AdminForbid_Type_SendOut",
    "level": 3,
    "role": 7,
    "profileCustomField": [{"key": "Tag_Profile_Custom_city", "value": "北京"}],
}


async def test_my_profile_starts_with_tims_defaults(cast):
    alice = await online("alice")
    assert (await alice.ok("getMyProfile"))["profile"] == DEFAULTS
    await alice.close()


async def test_every_field_updates_and_reads_back(cast):
    alice, bob = await online("alice"), await online("bob")
    profile = (await alice.ok("updateMyProfile", FULL_UPDATE))["profile"]
    expected = {**DEFAULTS, **FULL_UPDATE}
    assert profile["lastUpdatedTime"] > 0
    assert profile == {**expected, "lastUpdatedTime": profile["lastUpdatedTime"]}
    assert (await alice.ok("getMyProfile"))["profile"] == profile
    [seen] = (await bob.ok("getUserProfile", {"userIDList": ["alice"]}))["profileList"]
    assert seen == profile
    await alice.close()
    await bob.close()


async def test_a_subset_changes_only_itself_and_custom_fields_merge(cast):
    alice = await online("alice")
    await alice.ok("updateMyProfile", FULL_UPDATE)
    custom = [
        {"key": "Tag_Profile_Custom_pet", "value": "猫"},
        {"key": "Tag_Profile_Custom_city", "value": ""},  # an empty value removes the key
    ]
    profile = (await alice.ok("updateMyProfile", {"level": 4, "profileCustomField": custom}))[
        "profile"
    ]
    assert profile["level"] == 4
    assert profile["nick"] == "小爱" and profile["location"] == "Beijing"
    assert profile["profileCustomField"] == [{"key": "Tag_Profile_Custom_pet", "value": "猫"}]
    await alice.close()


async def test_get_user_profile_leaves_out_unknown_users_and_reads_the_first_100(cast):
    alice = await online("alice")
    found = await alice.ok("getUserProfile", {"userIDList": ["carol", "nobody", "bob", "carol"]})
    assert [p["userID"] for p in found["profileList"]] == ["carol", "bob"]
    many = [f"ghost{i}" for i in range(100)] + ["bob"]  # bob is the 101st
    assert (await alice.ok("getUserProfile", {"userIDList": many}))["profileList"] == []
    refused = await alice.request("getUserProfile", {"userIDList": "bob"})
    assert refused["code"] == INVALID_PARAMS
    await alice.close()


BAD_FIELDS = [
    ({}, PROFILE_NOTHING_TO_UPDATE),
    ({"nickname": "x"}, PROFILE_UNKNOWN_FIELD),
    ({"nick": "x", "userID": "mallory"}, PROFILE_UNKNOWN_FIELD),
    ({"nick": 5}, PROFILE_VALUE_TYPE),
    ({"nick": "昵" * 167}, PROFILE_VALUE_TOO_LONG),  # 501 bytes
    ({"nick": "a\x07b"}, PROFILE_VALUE_INVALID),
    ({"selfSignature": "s" * 501}, PROFILE_VALUE_TOO_LONG),
    ({"gender": "male"}, PROFILE_VALUE_INVALID),
    ({"gender": 1}, PROFILE_VALUE_TYPE),
    ({"allowType": "AllowType_Type_Maybe"}, PROFILE_VALUE_INVALID),
    ({"adminForbidType": "AdminForbid_Type_All"}, PROFILE_VALUE_INVALID),
    ({"birthday": "19900101"}, PROFILE_VALUE_TYPE),
    ({"birthday": -1}, PROFILE_VALUE_INVALID),
    ({"language": 2**32}, PROFILE_VALUE_INVALID),
    ({"level": True}, PROFILE_VALUE_TYPE),
    ({"role": 1.5}, PROFILE_VALUE_TYPE),
    ({"messageSettings": 2}, PROFILE_VALUE_INVALID),
    ({"location": "北京市朝阳区三里屯"}, PROFILE_VALUE_INVALID),  # 27 bytes > 16
    ({"avatar": "javascript:alert(1)"}, PROFILE_VALUE_INVALID),
    ({"avatar": "ftp://example.com/a.png"}, PROFILE_VALUE_INVALID),
    ({"avatar": "https://e.com/" + "x" * 490}, PROFILE_VALUE_TOO_LONG),
    ({"avatar": 7}, PROFILE_VALUE_TYPE),
    ({"avatar": {"uuid": "0" * 32}}, INVALID_PARAMS),
    ({"profileCustomField": {"key": "Tag_Profile_Custom_a"}}, PROFILE_UNKNOWN_FIELD),
    ({"profileCustomField": ["x"]}, PROFILE_UNKNOWN_FIELD),
    ({"profileCustomField": [{"key": "city", "value": "x"}]}, PROFILE_TAG_NOT_FOUND),
    ({"profileCustomField": [{"key": "Tag_Profile_Custom_toolongkey", "value": "x"}]}, 40009),
    ({"profileCustomField": [{"key": "Tag_Profile_Custom_a", "value": 1}]}, PROFILE_VALUE_TYPE),
    (
        {"profileCustomField": [{"key": "Tag_Profile_Custom_a", "value": "v" * 501}]},
        PROFILE_VALUE_TOO_LONG,
    ),
    (
        {
            "profileCustomField": [
                {"key": f"Tag_Profile_Custom_k{i}", "value": "v"} for i in range(21)
            ]
        },
        PROFILE_VALUE_INVALID,
    ),
]


@pytest.mark.parametrize(("data", "code"), BAD_FIELDS)
async def test_a_bad_field_is_refused_with_tims_code_and_changes_nothing(cast, data, code):
    alice, other_tab = await online("alice"), await online("alice")
    # A good field beside the bad one is not written either.
    good = {"role": 9} if "level" in data else {"level": 9}
    answer = await alice.request("updateMyProfile", {**good, **data} if data else data)
    assert answer["code"] == code, answer
    assert (await alice.ok("getMyProfile"))["profile"] == DEFAULTS
    await other_tab.assert_silent()
    await alice.close()
    await other_tab.close()


async def test_profile_updated_reaches_other_tabs_peers_and_group_mates_only(cast):
    await sync_to_async(groups.check_create_group)(
        owner=cast["carol"], name="茶馆", group_type="Public", members=[("alice", "Member")]
    )
    alice1, alice2 = await online("alice"), await online("alice")
    bob, carol = await online("bob"), await online("carol")
    dave = await online("dave")  # shares nothing with alice
    await alice1.ok("sendMessage", text_message("hi", to="bob"))
    await bob.push("MESSAGE_RECEIVED")
    await alice2.push("MESSAGE_RECEIVED")

    profile = (await alice1.ok("updateMyProfile", {"nick": "小爱", "selfSignature": "你好"}))[
        "profile"
    ]
    for client in (alice2, bob, carol):
        push = await client.push("PROFILE_UPDATED")
        assert push["data"] == [profile]
    await alice1.assert_silent()  # the acting tab has its answer
    await dave.assert_silent()
    for client in (alice1, alice2, bob, carol, dave):
        await client.close()


async def test_after_a_change_elsewhere_messages_carry_the_new_nick(cast):
    alice1, alice2, bob = await online("alice"), await online("alice"), await online("bob")
    await alice1.ok("sendMessage", text_message("1", to="bob", random=1))
    await bob.push("MESSAGE_RECEIVED")
    await alice2.push("MESSAGE_RECEIVED")
    await alice1.ok("updateMyProfile", {"nick": "小爱"})
    await alice2.push("PROFILE_UPDATED")
    await bob.push("PROFILE_UPDATED")
    # alice2's session held alice as she was at its login.
    sent = (await alice2.ok("sendMessage", text_message("2", to="bob", random=2)))["message"]
    assert sent["nick"] == "小爱"
    [received] = (await bob.push("MESSAGE_RECEIVED"))["data"]
    assert received["nick"] == "小爱"
    conversations = (await bob.ok("getConversationList"))["conversationList"]
    assert conversations[0]["userProfile"]["nick"] == "小爱"
    assert conversations[0]["lastMessage"]["nick"] == "小爱"
    for client in (alice1, alice2, bob):
        await client.close()


async def test_group_messages_and_members_carry_nick_avatar_and_name_card(cast):
    view = await sync_to_async(groups.check_create_group)(
        owner=cast["alice"], name="茶馆", group_type="Public", members=[("bob", "Member")]
    )
    group_id = view.group.group_id
    alice, bob = await online("alice"), await online("bob")
    await alice.ok("setGroupMemberNameCard", {"groupID": group_id, "nameCard": "掌柜"})
    avatar = "https://example.com/alice.png"
    await alice.ok("updateMyProfile", {"avatar": avatar})
    await bob.push("PROFILE_UPDATED")
    data = text_message("开门", to=group_id, conversationType="GROUP")
    sent = (await alice.ok("sendMessage", data))["message"]
    assert (sent["nick"], sent["avatar"], sent["nameCard"]) == ("Alice", avatar, "掌柜")
    while True:  # past the name card's group tip
        [pushed] = (await bob.push("MESSAGE_RECEIVED"))["data"]
        if pushed["type"] == "TIMTextElem":
            break
    assert (pushed["nick"], pushed["avatar"], pushed["nameCard"]) == ("Alice", avatar, "掌柜")
    history = await bob.ok("getMessageList", {"conversationID": f"GROUP{group_id}"})
    [text] = [m for m in history["messageList"] if m["type"] == "TIMTextElem"]
    assert (text["nick"], text["avatar"], text["nameCard"]) == ("Alice", avatar, "掌柜")
    members = await bob.ok("getGroupMemberList", {"groupID": group_id})
    [owner] = [m for m in members["memberList"] if m["userID"] == "alice"]
    assert (owner["nick"], owner["avatar"], owner["nameCard"]) == ("Alice", avatar, "掌柜")
    await alice.close()
    await bob.close()


# --- avatars through the storage seam ---


async def upload_avatar(client: IMClient, data: bytes, content_type: str) -> dict:
    made = await client.ok(
        "createUpload",
        {"kind": "avatar", "fileName": "me", "fileSize": len(data), "contentType": content_type},
    )
    target = made["upload"]
    assert await put(target["url"], data, target["headers"]) in (200, 204)
    return await client.request("finishUpload", {"uuid": made["uuid"]})


async def test_an_uploaded_avatar_is_a_small_square_and_replacing_it_removes_it(cast, media_store):
    alice, bob = await online("alice"), await online("bob")
    first = await upload_avatar(alice, image_bytes("PNG", (1200, 800)), "image/png")
    assert first["code"] == 0
    uuid = first["data"]["uuid"]
    profile = (await alice.ok("updateMyProfile", {"avatar": {"uuid": uuid}}))["profile"]
    fetched = await fetch(profile["avatar"])
    assert fetched.status == 200
    with Image.open(io.BytesIO(fetched.body)) as picture:
        assert (picture.format, picture.size) == ("JPEG", (256, 256))
    app = cast["alice"].app_id
    assert media_store.objects() == {f"{app}/{uuid}/avatar"}  # the original is not kept
    # bob sees it, with a link of his own signed afresh.
    [seen] = (await bob.ok("getUserProfile", {"userIDList": ["alice"]}))["profileList"]
    assert (await fetch(seen["avatar"])).body == fetched.body
    # The cleanup keeps an avatar in use.
    assert await sync_to_async(uploads.do_clean_uploads)() == 0

    second = await upload_avatar(alice, image_bytes("JPEG", (100, 300)), "image/jpeg")
    uuid2 = second["data"]["uuid"]
    profile = (await alice.ok("updateMyProfile", {"avatar": {"uuid": uuid2}}))["profile"]
    with Image.open(io.BytesIO((await fetch(profile["avatar"])).body)) as picture:
        assert picture.size == (100, 100)  # never enlarged
    assert media_store.objects() == {f"{app}/{uuid2}/avatar"}
    assert not await Upload.objects.filter(uuid=uuid).aexists()
    # The old one is gone for good: it cannot be set again.
    again = await alice.request("updateMyProfile", {"avatar": {"uuid": uuid}})
    assert again["code"] == INVALID_PARAMS
    # A URL replaces an uploaded avatar too.
    url = "https://example.com/a.png"
    assert (await alice.ok("updateMyProfile", {"avatar": url}))["profile"]["avatar"] == url
    assert media_store.objects() == set()
    account = await Account.objects.aget(pk=cast["alice"].pk)
    assert (account.avatar, account.avatar_upload) == (url, "")
    await alice.close()
    await bob.close()


async def test_an_avatar_must_be_an_image_of_ones_own_finished_upload(cast, media_store):
    alice, bob = await online("alice"), await online("bob")
    refused = await upload_avatar(alice, EXECUTABLE, "image/png")
    assert refused["code"] == IMAGE_BAD_TYPE
    assert media_store.objects() == set()
    made = await alice.ok(
        "createUpload",
        {"kind": "avatar", "fileName": "me", "fileSize": 10, "contentType": "image/png"},
    )
    unfinished = await alice.request("updateMyProfile", {"avatar": {"uuid": made["uuid"]}})
    assert unfinished["code"] == FILE_UPLOAD_FAILED
    mine = (await upload_avatar(alice, image_bytes(), "image/png"))["data"]["uuid"]
    stolen = await bob.request("updateMyProfile", {"avatar": {"uuid": mine}})
    assert stolen["code"] == INVALID_PARAMS
    # An avatar upload is not a message's image either.
    as_image = await alice.request(
        "sendMessage",
        {**text_message("", to="bob"), "type": "TIMImageElem", "payload": {"uuid": mine}},
    )
    assert as_image["code"] == INVALID_PARAMS
    assert (await bob.ok("getUserProfile", {"userIDList": ["alice"]}))["profileList"][0][
        "avatar"
    ] == ""
    await alice.close()
    await bob.close()
