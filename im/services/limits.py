"""How often and how much: an account's sending rate, a message's stored size, and how
often one network address may log in (token buckets: ``im.buckets``)."""

from __future__ import annotations

import json

from django.conf import settings

from im import buckets
from im.errors import GROUP_RATE_LIMITED, MESSAGE_TOO_LONG, RATE_LIMITED, IMError
from im.models import Account, App, Group, Message


def check_send_rate(sender: Account) -> None:
    """One token of the sender's bucket, shared by all its connections and processes;
    refused with 2996 once its burst is spent and until the rate refills it."""
    app = sender.app
    if not buckets.take(f"send:{sender.pk}", rate=app.send_rate, burst=app.send_burst):
        raise IMError(
            RATE_LIMITED,
            f"sending too fast: {app.send_rate} messages a second at most "
            f"(after a burst of {app.send_burst}); wait and send again",
        )


# The share of a group's messages a second each priority may fill: past 40% of the
# budget Lowest is refused, past 60% Low, past 80% Normal; High may take it all. So
# when a group is flooded the lower priorities go first and High gets through longest.
PRIORITY_SHARES = {
    Message.Priority.HIGH: 1.0,
    Message.Priority.NORMAL: 0.8,
    Message.Priority.LOW: 0.6,
    Message.Priority.LOWEST: 0.4,
}


def check_group_rate(app: App, group: Group, priority: str) -> None:
    """One place in the group's messages of this second (``app.group_message_rate``,
    across every process), if its priority may still take one; 10023 otherwise."""
    rate = app.group_message_rate
    if not rate:
        return
    ceiling = max(1, int(rate * PRIORITY_SHARES[priority]))
    if not buckets.admit(f"group:{group.pk}", ceiling=ceiling):
        raise IMError(
            GROUP_RATE_LIMITED,
            f"this group takes {rate} messages a second, fewer of priority {priority}; "
            "send again in a moment",
        )


def check_message_size(app: App, payload: dict, cloud_custom_data: str) -> None:
    """What one message stores (its content as JSON and its cloudCustomData) is at most
    the app's ``max_message_bytes``; each field has its own, larger cap besides."""
    size = len(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode())
    size += len(cloud_custom_data.encode())
    if size > app.max_message_bytes:
        raise IMError(
            MESSAGE_TOO_LONG,
            f"the message is {size} bytes; this app stores at most {app.max_message_bytes}",
        )


def check_login_rate(address: str | None) -> None:
    """Logins from one network address (unknown: not counted); 2996 past the rate."""
    if address is None:
        return
    rate, burst = settings.IM_LOGIN_RATE, settings.IM_LOGIN_BURST
    if not buckets.take(f"login:{address}", rate=rate, burst=burst):
        raise IMError(
            RATE_LIMITED,
            f"too many logins from {address}: {rate} a second at most; wait and try again",
        )
