"""TIM's ``recentcontact`` service: the conversation list and deleting conversations."""

from __future__ import annotations

from typing import Any

from im import params
from im.errors import INVALID_PARAMS, IMError
from im.services import conversations
from im.timwire.commands import Call, command
from im.timwire.serializers import session_item

# ContactItem / SessionItem Type: 1 C2C, 2 group.
C2C_TYPE, GROUP_TYPE = 1, 2


@command("recentcontact.page_get")
def page_get(call: Call) -> dict[str, Any]:
    """The whole list in one page (Hutong's list is its 100 most recent conversations,
    pinned first). The SDK's SDK_READY waits for this reply."""
    listed = conversations.get_conversation_list(account=call.account)
    items = [item for item in map(session_item, listed) if item is not None]
    return {
        "CompleteFlag": 1,
        "SessionItem": items,
        "TimeStamp": 0,
        "StartIndex": 0,
        "TopTimeStamp": 0,
        "TopStartIndex": 0,
    }


def _conversation_id(item: object) -> tuple[str, dict[str, Any]]:
    if not isinstance(item, dict):
        raise IMError(INVALID_PARAMS, "ContactItem entries are objects")
    kind = item.get("Type")
    if kind == C2C_TYPE:
        peer = params.get_str(item, "To_Account")
        return "C2C" + peer, {"Type": C2C_TYPE, "To_Account": peer}
    if kind == GROUP_TYPE:
        group_id = params.get_str(item, "ToGroupid")
        return "GROUP" + group_id, {"Type": GROUP_TYPE, "ToGroupid": group_id}
    raise IMError(INVALID_PARAMS, "ContactItem Type is 1 (C2C) or 2 (group)")


@command("recentcontact.batch_delete")
def batch_delete(call: Call) -> dict[str, Any]:
    """Delete conversations from the list (``deleteConversation``); each gets its own
    result. Hutong keeps the history (``ClearRamble`` is not honoured: the messages
    stay the peer's too, and come back with the next message)."""
    items = call.body.get("ContactItem")
    if not isinstance(items, list):
        raise IMError(INVALID_PARAMS, "ContactItem must be an array")
    results = []
    for item in items:
        conversation_id, result = _conversation_id(item)
        try:
            conversations.check_delete_conversation(
                account=call.account, conversation_id=conversation_id, origin_channel=call.channel
            )
        except IMError as error:
            results.append({**result, "ResultCode": error.code, "ResultInfo": error.message})
        else:
            results.append({**result, "ResultCode": 0, "ResultInfo": ""})
    return {"ResultItem": results}
