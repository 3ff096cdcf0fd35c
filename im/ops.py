"""The Hutong protocol's ops for a logged-in connection, each: read typed fields, call one
service or selector, serialise the result (``im.serializers``).

Each op runs in the database thread (``IMSession.call``) and returns the answer's
``data``; an op registered ``apart`` runs in a thread of its own instead (``APART``);
one registered ``batched`` is committed with others (``BATCHED``, ``im.groupcommit``).
Session ops (login, logout, heartbeat) live in the consumer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from im import hooks, params
from im.errors import GROUP_INVALID_PARAMS, PROFILE_UNKNOWN_FIELD, IMError
from im.groupcommit import Key, conversation_key
from im.models import Account, App, GroupMember, Message
from im.results import Blacklist, MemberChange
from im.selectors import joined_groups
from im.serializers import (
    application_to_dict,
    blacklist_to_list,
    conversation_to_dict,
    conversation_view_to_dict,
    group_to_dict,
    group_view_to_dict,
    history_page_to_dict,
    member_to_dict,
    message_id,
    message_to_dict,
    profile_to_dict,
    remind_types_to_dict,
    sync_page_to_dict,
    upload_to_dict,
)
from im.services import (
    blacklist,
    conversations,
    groups,
    members,
    message_actions,
    messages,
    profiles,
    uploads,
)

# An answer's data is an object, or an array where TIM's is one (the blacklist ops).
Op = Callable[[Account, dict, str], dict[str, Any] | list[Any]]
OPS: dict[str, Op] = {}
# Ops whose work is long and CPU-bound (finishUpload: Pillow decodes and scales an image
# for a second or more). In the one database thread every other op of the process
# queues on, they would hold up every account's sends; apart, they take a thread (and a
# database connection) of their own, and Pillow releases the GIL while it works.
APART: set[str] = set()
# Ops committed several at once (``im.groupcommit``), with the conversation each locks:
# the busiest writes, short, in the database thread. An op that may ask the app's back
# end first is not batched (the consumer runs it in ``WAITING``); one that turns out to
# ask all the same (the settings changed since login) is rerun there by the session.
BATCHED: dict[str, Callable[[Account, dict], Key]] = {}


# Ops that may ask the app's back end first, and the before-callbacks each may make.
ASKING = {
    "sendMessage": (hooks.C2C_BEFORE_SEND, hooks.GROUP_BEFORE_SEND),
    "createGroup": (hooks.GROUP_BEFORE_CREATE,),
    "joinGroup": (hooks.GROUP_BEFORE_APPLY,),
    "addGroupMember": (hooks.GROUP_BEFORE_INVITE,),
}


def asks_back_end(app: App, name: str) -> bool:
    """Whether op ``name`` may wait for ``app``'s back end (by the app's settings as the
    session read them at login): it then runs where waiting holds up no one else. The
    fast path only: a batched op that asks after all is rerun (``IMSession.call_batched``)."""
    wanted = app.callback_commands if app.callback_url else ()
    return any(command in wanted for command in ASKING.get(name, ()))


def op(
    name: str, *, apart: bool = False, batched: Callable[[Account, dict], Key] | None = None
) -> Callable[[Op], Op]:
    def register(func: Op) -> Op:
        OPS[name] = func
        if apart:
            APART.add(name)
        if batched is not None:
            BATCHED[name] = batched
        return func

    return register


def _send_key(account: Account, data: dict) -> Key:
    return conversation_key(account, data.get("conversationType"), data.get("to"))


@op("sendMessage", batched=_send_key)
def send_message(account: Account, data: dict, channel: str) -> dict[str, Any]:
    if "forwardFrom" in data:
        return _forward_message(account, data, channel)
    draft = messages.check_draft(
        msg_type=params.get_str(data, "type"),
        payload=params.get_dict(data, "payload"),
        **_envelope(data),
        at_user_list=data.get("atUserList"),
    )
    message = messages.check_send_message(
        sender=account,
        to=params.get_str(data, "to"),
        conversation_type=params.get_str(data, "conversationType"),
        draft=draft,
        origin_channel=channel,
        online_only=params.get_bool(data, "onlineUserOnly", default=False),
    )
    return {"message": message_to_dict(message, viewer_id=account.pk)}


def _envelope(data: dict) -> dict[str, Any]:
    """sendMessage's fields besides the content (``messages.check_envelope``)."""
    return {
        "random": params.get_int(data, "random"),
        "client_time": params.get_int(data, "clientTime"),
        "client_seq": params.get_int(data, "clientSequence", default=0),
        "priority": params.get_str(data, "priority", default=Message.Priority.NORMAL),
        "cloud_custom_data": params.get_str(data, "cloudCustomData", default=""),
    }


def _forward_message(account: Account, data: dict, channel: str) -> dict[str, Any]:
    """sendMessage with ``forwardFrom``: the content is the original's, not the frame's."""
    source = params.get_dict(data, "forwardFrom")
    draft = messages.check_envelope(**_envelope(data))
    message = messages.check_forward_message(
        sender=account,
        to=params.get_str(data, "to"),
        conversation_type=params.get_str(data, "conversationType"),
        draft=draft,
        forward_conversation_id=params.get_str(source, "conversationID"),
        forward_message_id=params.get_str(source, "ID"),
        origin_channel=channel,
    )
    return {"message": message_to_dict(message, viewer_id=account.pk)}


@op("deleteMessage")
def delete_message(account: Account, data: dict, channel: str) -> dict[str, Any]:
    deleted, participant = message_actions.check_delete_messages(
        account=account,
        conversation_id=params.get_str(data, "conversationID"),
        message_ids=params.get_str_list(data, "messageIDList"),
        origin_channel=channel,
    )
    return {
        "messageIDList": [message_id(m) for m in deleted],
        "conversation": conversation_to_dict(participant) if participant else None,
    }


@op("revokeMessage")
def revoke_message(account: Account, data: dict, channel: str) -> dict[str, Any]:
    message = messages.check_revoke_message(
        account=account,
        conversation_id=params.get_str(data, "conversationID"),
        message_id=params.get_str(data, "ID"),
        origin_channel=channel,
    )
    return {"message": message_to_dict(message, viewer_id=account.pk)}


@op("getMessageList")
def get_message_list(account: Account, data: dict, channel: str) -> dict[str, Any]:
    page = conversations.check_get_message_list(
        account=account,
        conversation_id=params.get_str(data, "conversationID"),
        next_req_message_id=params.get_str(data, "nextReqMessageID", default="") or "",
        count=params.get_int(data, "count", default=conversations.MAX_PAGE),
    )
    return history_page_to_dict(page, viewer_id=account.pk)


@op("syncMessages")
def sync_messages(account: Account, data: dict, channel: str) -> dict[str, Any]:
    page = conversations.check_sync_messages(
        account=account,
        conversation_id=params.get_str(data, "conversationID"),
        after_change_seq=params.get_int(data, "changeSequence"),
        count=params.get_int(data, "count", default=conversations.MAX_SYNC_PAGE),
    )
    return sync_page_to_dict(page, viewer_id=account.pk)


@op("setMessageRead")
def set_message_read(account: Account, data: dict, channel: str) -> dict[str, Any]:
    conversations.check_set_message_read(
        account=account,
        conversation_id=params.get_str(data, "conversationID"),
        origin_channel=channel,
    )
    return {}


@op("getConversationList")
def get_conversation_list(account: Account, data: dict, channel: str) -> dict[str, Any]:
    participants = conversations.get_conversation_list(account=account)
    return {
        "conversationList": [conversation_to_dict(p) for p in participants],
        "isSyncCompleted": True,
    }


@op("pinConversation")
def pin_conversation(account: Account, data: dict, channel: str) -> dict[str, Any]:
    conversation_id = conversations.check_pin_conversation(
        account=account,
        conversation_id=params.get_str(data, "conversationID"),
        is_pinned=params.get_bool(data, "isPinned"),
        origin_channel=channel,
    )
    return {"conversationID": conversation_id}


@op("getConversationProfile")
def get_conversation_profile(account: Account, data: dict, channel: str) -> dict[str, Any]:
    view = conversations.get_conversation_profile(
        account=account, conversation_id=params.get_str(data, "conversationID")
    )
    return {"conversation": conversation_view_to_dict(view)}


@op("deleteConversation")
def delete_conversation(account: Account, data: dict, channel: str) -> dict[str, Any]:
    conversation_id = conversations.check_delete_conversation(
        account=account,
        conversation_id=params.get_str(data, "conversationID"),
        origin_channel=channel,
    )
    return {"conversationID": conversation_id}


def _member_list(data: dict) -> list[tuple[str, str, object]]:
    raw = data.get("memberList", [])
    if not isinstance(raw, list):
        raise IMError(GROUP_INVALID_PARAMS, "memberList must be an array")
    members = []
    for item in raw:
        if not isinstance(item, dict):
            raise IMError(GROUP_INVALID_PARAMS, "memberList items must be objects")
        members.append(
            (
                params.get_str(item, "userID"),
                params.get_str(item, "role", default=GroupMember.Role.MEMBER),
                item.get("memberCustomField", []),
            )
        )
    return members


@op("createGroup")
def create_group(account: Account, data: dict, channel: str) -> dict[str, Any]:
    view = groups.check_create_group(
        owner=account,
        name=params.get_str(data, "name"),
        group_type=params.get_str(data, "type", default="Private"),
        group_id=params.get_str(data, "groupID", default=""),
        members=_member_list(data),
        introduction=params.get_str(data, "introduction", default=""),
        notification=params.get_str(data, "notification", default=""),
        avatar=params.get_str(data, "avatar", default=""),
        join_option=params.get_str(data, "joinOption", default="FreeAccess"),
        max_member_num=params.get_int(data, "maxMemberNum", default=0),
        custom_fields=data.get("groupCustomField", []),
    )
    return {"group": group_view_to_dict(view), "overLimitUserIDList": []}


@op("getGroupList")
def get_group_list(account: Account, data: dict, channel: str) -> dict[str, Any]:
    return {
        "groupList": [
            group_to_dict(m.group, member=m, member_count=m.member_count)
            for m in joined_groups(account)
        ]
    }


def _only(fields: list[dict[str, str]], keys: list[str] | None) -> list[dict[str, str]]:
    """TIM's custom-field filters: only the keys asked for (all when none is given)."""
    return fields if keys is None else [f for f in fields if f["key"] in keys]


@op("getGroupProfile")
def get_group_profile(account: Account, data: dict, channel: str) -> dict[str, Any]:
    view = groups.check_group_profile(account=account, group_id=params.get_str(data, "groupID"))
    group = group_view_to_dict(view)
    group_keys = params.get_str_list(data, "groupCustomFieldFilter", default=None)
    member_keys = params.get_str_list(data, "memberCustomFieldFilter", default=None)
    group["groupCustomField"] = _only(group["groupCustomField"], group_keys)
    if group["selfInfo"]:
        self_info = group["selfInfo"]
        self_info["memberCustomField"] = _only(self_info["memberCustomField"], member_keys)
    return {"group": group}


# --- joining, members and managing a group ---


def _group_id(data: dict) -> str:
    return params.get_str(data, "groupID")


@op("joinGroup")
def join_group(account: Account, data: dict, channel: str) -> dict[str, Any]:
    result = members.check_join_group(
        account=account,
        group_id=_group_id(data),
        apply_message=params.get_str(data, "applyMessage", default=""),
    )
    answer: dict[str, Any] = {"status": result.status}
    if result.group is not None:
        answer["group"] = group_view_to_dict(result.group)
    return answer


@op("quitGroup")
def quit_group(account: Account, data: dict, channel: str) -> dict[str, Any]:
    return {"groupID": members.check_quit_group(account=account, group_id=_group_id(data))}


@op("addGroupMember")
def add_group_member(account: Account, data: dict, channel: str) -> dict[str, Any]:
    result = members.check_add_members(
        account=account, group_id=_group_id(data), user_ids=params.get_str_list(data, "userIDList")
    )
    return {
        "successUserIDList": result.added,
        "failureUserIDList": result.failed,
        "existedUserIDList": result.existed,
        "overLimitUserIDList": result.over_limit,
        "group": group_view_to_dict(result.group),
    }


@op("deleteGroupMember")
def delete_group_member(account: Account, data: dict, channel: str) -> dict[str, Any]:
    view, removed = members.check_delete_members(
        account=account,
        group_id=_group_id(data),
        user_ids=params.get_str_list(data, "userIDList"),
        reason=params.get_str(data, "reason", default=""),
    )
    return {"group": group_view_to_dict(view), "userIDList": removed}


@op("dismissGroup")
def dismiss_group(account: Account, data: dict, channel: str) -> dict[str, Any]:
    return {"groupID": groups.check_dismiss_group(account=account, group_id=_group_id(data))}


@op("searchGroupByID")
def search_group(account: Account, data: dict, channel: str) -> dict[str, Any]:
    view = groups.check_search_group(account=account, group_id=_group_id(data))
    return {"group": group_view_to_dict(view)}


@op("getGroupMemberList")
def get_group_member_list(account: Account, data: dict, channel: str) -> dict[str, Any]:
    page, next_offset = members.check_member_list(
        account=account,
        group_id=_group_id(data),
        count=params.get_int(data, "count", default=15),
        offset=params.get_int(data, "offset", default=0),
    )
    return {"memberList": [member_to_dict(m) for m in page], "offset": next_offset}


@op("getGroupMemberProfile")
def get_group_member_profile(account: Account, data: dict, channel: str) -> dict[str, Any]:
    found = members.check_member_profiles(
        account=account, group_id=_group_id(data), user_ids=params.get_str_list(data, "userIDList")
    )
    keys = params.get_str_list(data, "memberCustomFieldFilter", default=None)
    shown = [member_to_dict(m) for m in found]
    for member in shown:
        member["memberCustomField"] = _only(member["memberCustomField"], keys)
    return {"memberList": shown}


def _member_change(change: MemberChange) -> dict[str, Any]:
    return {"group": group_view_to_dict(change.group), "member": member_to_dict(change.member)}


@op("setGroupMemberRole")
def set_group_member_role(account: Account, data: dict, channel: str) -> dict[str, Any]:
    change = members.check_set_role(
        account=account,
        group_id=_group_id(data),
        user_id=params.get_str(data, "userID"),
        role=params.get_str(data, "role"),
    )
    return _member_change(change)


@op("setGroupMemberMuteTime")
def set_group_member_mute_time(account: Account, data: dict, channel: str) -> dict[str, Any]:
    change = members.check_set_mute_time(
        account=account,
        group_id=_group_id(data),
        user_id=params.get_str(data, "userID"),
        mute_time=params.get_int(data, "muteTime"),
    )
    return _member_change(change)


@op("setGroupMemberNameCard")
def set_group_member_name_card(account: Account, data: dict, channel: str) -> dict[str, Any]:
    change = members.check_set_name_card(
        account=account,
        group_id=_group_id(data),
        user_id=params.get_str(data, "userID", default=""),
        name_card=params.get_str(data, "nameCard"),
    )
    return _member_change(change)


# updateGroupProfile's string fields, by their names here and in the model.
_PROFILE_FIELDS = {
    key: field
    for field, key in groups.PROFILE_KEYS.items()
    if field not in ("mute_all_members", "custom_fields")
}


@op("updateGroupProfile")
def update_group_profile(account: Account, data: dict, channel: str) -> dict[str, Any]:
    changes: dict[str, object] = {
        field: params.get_str(data, key) for key, field in _PROFILE_FIELDS.items() if key in data
    }
    if "muteAllMembers" in data:
        changes["mute_all_members"] = params.get_bool(data, "muteAllMembers")
    if "groupCustomField" in data:
        changes["custom_fields"] = data["groupCustomField"]
    view = groups.check_update_group_profile(
        account=account, group_id=_group_id(data), changes=changes
    )
    return {"group": group_view_to_dict(view)}


@op("changeGroupOwner")
def change_group_owner(account: Account, data: dict, channel: str) -> dict[str, Any]:
    view = groups.check_change_owner(
        account=account, group_id=_group_id(data), new_owner_id=params.get_str(data, "newOwnerID")
    )
    return {"group": group_view_to_dict(view)}


@op("getGroupApplicationList")
def get_group_application_list(account: Account, data: dict, channel: str) -> dict[str, Any]:
    pending = members.get_application_list(account=account)
    return {"applicationList": [application_to_dict(a) for a in pending]}


@op("handleGroupApplication")
def handle_group_application(account: Account, data: dict, channel: str) -> dict[str, Any]:
    view = members.check_handle_application(
        account=account,
        group_id=_group_id(data),
        applicant_id=params.get_str(data, "applicant"),
        action=params.get_str(data, "handleAction"),
        handle_message=params.get_str(data, "handleMessage", default=""),
    )
    return {"group": group_view_to_dict(view)}


@op("setMessageRemindType")
def set_message_remind_type(account: Account, data: dict, channel: str) -> dict[str, Any]:
    if "groupID" not in data and "userIDList" in data:
        # TIM's C2C form: the conversations with these users.
        result = conversations.check_set_c2c_remind_type(
            account=account,
            user_ids=params.get_str_list(data, "userIDList"),
            remind_type=params.get_str(data, "messageRemindType"),
        )
        return remind_types_to_dict(result)
    view = members.check_set_remind_type(
        account=account,
        group_id=_group_id(data),
        remind_type=params.get_str(data, "messageRemindType"),
    )
    return {"group": group_view_to_dict(view)}


@op("setGroupMemberCustomField")
def set_group_member_custom_field(account: Account, data: dict, channel: str) -> dict[str, Any]:
    change = members.check_set_member_fields(
        account=account,
        group_id=_group_id(data),
        user_id=params.get_str(data, "userID", default=""),
        fields=data.get("memberCustomField"),
    )
    return _member_change(change)


@op("createUpload")
def create_upload(account: Account, data: dict, channel: str) -> dict[str, Any]:
    upload, target = uploads.check_create_upload(
        account=account,
        kind=params.get_str(data, "kind"),
        file_name=params.get_str(data, "fileName"),
        size=params.get_int(data, "fileSize"),
        content_type=params.get_str(data, "contentType"),
    )
    return upload_to_dict(upload, target)


@op("finishUpload", apart=True)
def finish_upload(account: Account, data: dict, channel: str) -> dict[str, Any]:
    upload = uploads.check_finish_upload(account=account, uuid=params.get_str(data, "uuid"))
    return upload_to_dict(upload)


# --- the blacklist: each answer is TIM's, the whole list as userIDs ---


@op("getBlacklist")
def get_blacklist(account: Account, data: dict, channel: str) -> list[str]:
    return blacklist_to_list(blacklist.get_blacklist(account=account))


def _change_blacklist(
    check: Callable[..., Blacklist], account: Account, data: dict, channel: str
) -> list[str]:
    changed = check(
        account=account, user_ids=params.get_str_list(data, "userIDList"), origin_channel=channel
    )
    return blacklist_to_list(changed)


@op("addToBlacklist")
def add_to_blacklist(account: Account, data: dict, channel: str) -> list[str]:
    return _change_blacklist(blacklist.check_add_to_blacklist, account, data, channel)


@op("removeFromBlacklist")
def remove_from_blacklist(account: Account, data: dict, channel: str) -> list[str]:
    return _change_blacklist(blacklist.check_remove_from_blacklist, account, data, channel)


# --- profiles ---

# updateMyProfile's fields, TIM's names, and the profile columns they change.
PROFILE_FIELDS = {
    "nick": "nick",
    "avatar": "avatar",
    "gender": "gender",
    "selfSignature": "self_signature",
    "allowType": "allow_type",
    "birthday": "birthday",
    "location": "location",
    "language": "language",
    "messageSettings": "message_settings",
    "adminForbidType": "admin_forbid_type",
    "level": "level",
    "role": "role",
    "profileCustomField": "profile_custom_fields",
}


@op("getMyProfile")
def get_my_profile(account: Account, data: dict, channel: str) -> dict[str, Any]:
    return {"profile": profile_to_dict(profiles.get_my_profile(account=account))}


@op("getUserProfile")
def get_user_profile(account: Account, data: dict, channel: str) -> dict[str, Any]:
    found = profiles.get_user_profiles(
        account=account, user_ids=params.get_str_list(data, "userIDList")
    )
    return {"profileList": [profile_to_dict(a) for a in found]}


@op("updateMyProfile")
def update_my_profile(account: Account, data: dict, channel: str) -> dict[str, Any]:
    unknown = sorted(set(data) - set(PROFILE_FIELDS))
    if unknown:
        raise IMError(PROFILE_UNKNOWN_FIELD, f"not profile fields: {', '.join(unknown)}")
    updated = profiles.check_update_profile(
        account=account,
        changes={PROFILE_FIELDS[key]: value for key, value in data.items()},
        origin_channel=channel,
    )
    return {"profile": profile_to_dict(updated)}
