"""The embedded channel layer: Channels' in-memory layer with a cheaper expiry sweep."""

from __future__ import annotations

import time

from channels.layers import InMemoryChannelLayer


class SweepingInMemoryChannelLayer(InMemoryChannelLayer):
    """Sweeps expired messages and group memberships at most once a second, and keeps
    a channel's group memberships when one of its messages expires.

    Channels' layer walks every channel's queue and every group membership on each
    ``receive`` and ``group_send``: with thousands of connections that walk costs more
    than the push itself. Expiry is measured in seconds (60 s messages, a day for group
    memberships), so sweeping once a second changes nothing a client can see.
    """

    sweep_interval = 1.0
    _swept_at = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._swept_at < self.sweep_interval:
            return
        self._swept_at = now
        super()._clean_expired()

    def _remove_from_groups(self, channel: str) -> None:
        # Channels takes a channel with an expired message for a dead consumer. Here
        # connections leave their groups when they close, and the channel behind is a
        # process's fan-out: dropping its memberships would silence every connection.
        pass
