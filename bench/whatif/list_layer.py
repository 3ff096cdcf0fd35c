"""What-if: channels_redis's list-per-channel RedisChannelLayer (Hutong's deployed layer
before the pub/sub one) instead of RedisPubSubChannelLayer. Deployed configuration only."""

from chatsite.settings import *  # noqa: F403
from chatsite.settings import CHANNEL_LAYERS, REDIS_URL

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py's 5 s read timeout would fire before the layer's 5 s blocking pop.
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30}],
                "prefix": CHANNEL_LAYERS["default"]["CONFIG"]["prefix"],
                "capacity": 100_000,
            },
        }
    }
