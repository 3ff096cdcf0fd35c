"""How often something may happen, counted once for every process: token buckets, and
counts per second.

A bucket holds up to ``burst`` tokens and gains ``rate`` a second; each event takes
one, and an event finding it empty is refused. A count per second (``admit``) lets
events in while the second's count is under a ceiling the caller gives each event, so
events of one key can have different ceilings. With ``REDIS_URL`` set both live in
Redis (changed by one script each, so two processes never both take the last place,
and the time is Redis's, so their clocks need not agree); otherwise in this process,
which is then the only one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache

from django.conf import settings

# KEYS[1]: the bucket; ARGV: rate (tokens a second), burst. Returns 1 if a token was
# taken. The hash keeps the tokens and when they were counted; it expires once full.
_TAKE = """
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1000000
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local held = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(held[1]) or burst
local at = tonumber(held[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local taken = 0
if tokens >= 1 then
  tokens = tokens - 1
  taken = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return taken
"""


def take(key: str, *, rate: float, burst: int) -> bool:
    """Take a token from bucket ``key``; False if it is empty. A ``rate`` of 0 means
    no limit (nothing is counted)."""
    if rate <= 0:
        return True
    return _decide(lambda: _take(key, rate, burst))


def _take(key: str, rate: float, burst: int) -> bool:
    if settings.REDIS_URL:
        name = f"{settings.REDIS_PREFIX}:bucket:{key}"
        return bool(_redis_script(_TAKE)(keys=[name], args=[rate, max(burst, 1)]))
    return _local.take(key, rate, max(burst, 1))


# KEYS[1]: the key's counts; ARGV[1]: this event's ceiling. Returns 1 if the event is
# counted: the current second's count was under the ceiling. One hash field per second,
# the hash kept a little longer than a second.
_ADMIT = """
local second = redis.call('TIME')[1]
local count = tonumber(redis.call('HGET', KEYS[1], second)) or 0
if count >= tonumber(ARGV[1]) then
  return 0
end
redis.call('HINCRBY', KEYS[1], second, 1)
redis.call('EXPIRE', KEYS[1], 2)
return 1
"""


def admit(key: str, *, ceiling: int) -> bool:
    """Count an event of ``key`` in the current second if fewer than ``ceiling`` were
    counted in it so far; False (not counted) otherwise."""
    return _decide(lambda: _admit(key, ceiling))


def _admit(key: str, ceiling: int) -> bool:
    if settings.REDIS_URL:
        name = f"{settings.REDIS_PREFIX}:second:{key}"
        return bool(_redis_script(_ADMIT)(keys=[name], args=[ceiling]))
    return _local_seconds.admit(key, ceiling)


_kept = threading.local()


@contextmanager
def decided_once(record: list[bool]) -> Iterator[None]:
    """Inside this block the n-th ``take``/``admit`` answers what the n-th answered the
    last time a block ran with this ``record``, without counting again (new answers are
    asked for and appended). A call run a second time because its first run's
    transaction was rolled back (``im.groupcommit``: a batch undone by a deadlock,
    its calls rerun one by one) so takes each token once, and is refused only if its
    first run was."""
    previous = getattr(_kept, "state", None)
    _kept.state = (record, [0])
    try:
        yield
    finally:
        _kept.state = previous


def _decide(ask: Callable[[], bool]) -> bool:
    state = getattr(_kept, "state", None)
    if state is None:
        return ask()
    record, position = state
    index = position[0]
    position[0] += 1
    if index < len(record):
        return record[index]
    answer = ask()
    record.append(answer)
    return answer


@cache
def _redis_client():
    import redis

    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5)


@cache
def _redis_script(source: str):
    return _redis_client().register_script(source)


class _LocalBuckets:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        # key: (tokens, when counted, rate, burst)
        self._buckets: dict[str, tuple[float, float, float, int]] = {}

    def take(self, key: str, rate: float, burst: int) -> bool:
        now = time.monotonic()
        with self._lock:
            tokens, at, _, _ = self._buckets.get(key, (burst, now, rate, burst))
            tokens = min(burst, tokens + (now - at) * rate)
            taken = tokens >= 1
            self._buckets[key] = (tokens - 1 if taken else tokens, now, rate, burst)
            if len(self._buckets) > 100_000:
                self._forget_full(now)
            return taken

    def _forget_full(self, now: float) -> None:
        """A full bucket is the same as none: forget those, so memory stays bounded."""
        full = [
            key
            for key, (tokens, at, rate, burst) in self._buckets.items()
            if tokens + (now - at) * rate >= burst
        ]
        for key in full:
            del self._buckets[key]


_local = _LocalBuckets()


class _LocalSeconds:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._second = 0
        self._counts: dict[str, int] = {}  # this second's, by key

    def admit(self, key: str, ceiling: int) -> bool:
        second = int(time.time())
        with self._lock:
            if second != self._second:
                self._second, self._counts = second, {}
            count = self._counts.get(key, 0)
            if count >= ceiling:
                return False
            self._counts[key] = count + 1
            return True


_local_seconds = _LocalSeconds()
