"""How servcmds no command module implements are answered (docs/tim-sdk.md lists them).

Two kinds. Those the SDK sends on its own after login, whose true answer in Hutong is
"nothing": an empty success with the keys the SDK reads, so it carries on quietly.
Those behind a feature Hutong lacks: TIM's own error code for it where the SDK knows
one (11000: no community groups), else 60002 with the servcmd named, which the SDK's
promise rejects with. An unknown servcmd is 60002 too.
"""

from __future__ import annotations

from im.errors import UNKNOWN_OP
from im.timwire.commands import Unsupported

# TIM's "community (million-member) groups are not enabled": the SDK takes it as such.
COMMUNITY_UNAVAILABLE = 11000

UNKNOWN = Unsupported(code=UNKNOWN_OP)

UNSUPPORTED: dict[str, Unsupported] = {
    # Conversation groups (a purchase-bit extra, off): the SDK still lists them once.
    "recentcontact.get_contact_group": Unsupported(body={"GroupItem": [], "CompleteFlag": 1}),
    # Per-peer mute of C2C notifications: Hutong's C2C remind types are its own op.
    "openim.get_c2c_peer_mute_notifications": Unsupported(
        body={"MuteNotificationsList": [], "UpdateSeq": 0}
    ),
    "million_group_open_http_svc.get_joined_group_list": Unsupported(
        code=COMMUNITY_UNAVAILABLE, info="community groups are not available in Hutong"
    ),
    # App foreground/background reports: nothing depends on them here.
    "im_open_status.ws_stat_background": Unsupported(),
    "im_open_status.ws_stat_foreground": Unsupported(),
}
