"""What-if: the in-memory layer's expiry sweep (every channel and group membership, on every
receive() and group_send()) run at most once a second. Embedded configuration only."""

import time

import channels.layers
from channels.layers import InMemoryChannelLayer

from chatsite.settings import *  # noqa: F403
from chatsite.settings import CHANNEL_LAYERS, REDIS_URL


class SweepOncePerSecondLayer(InMemoryChannelLayer):
    _swept = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._swept >= 1:
            self._swept = now
            super()._clean_expired()


# The BACKEND setting is a dotted path; expose the class where Channels can import it.
channels.layers.SweepOncePerSecondLayer = SweepOncePerSecondLayer  # type: ignore[attr-defined]
if not REDIS_URL:
    CHANNEL_LAYERS["default"]["BACKEND"] = "channels.layers.SweepOncePerSecondLayer"
