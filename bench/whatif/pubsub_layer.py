"""What-if: channels_redis's pub/sub layer (one PUBLISH per group send, received once per
process) instead of the list-per-channel RedisChannelLayer. Deployed configuration only."""

from chatsite.settings import *  # noqa: F403
from chatsite.settings import CHANNEL_LAYERS, REDIS_URL

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30}],
                "prefix": CHANNEL_LAYERS["default"]["CONFIG"]["prefix"],
            },
        }
    }
