"""Third-party callbacks (TIM's webhooks): an app's own back end is asked before some
actions, which it may refuse or change, and told after others.

Services call ``ask`` before an action (a synchronous POST with TIM's 2 s timeout: a
refusal raises 10016, or the back end's own code; a back end that fails or does not
answer lets the action through, unless the app chose fail-closed) and ``tell_on_commit``
after one (queued once the transaction commits and POSTed by a worker thread, with
retries: it never slows or fails the user's operation). The queue is bounded; with
``REDIS_URL`` it is a Redis list every process's worker takes from, otherwise one in
this process. A call given up on is kept as a ``CallbackFailure`` row, which the admin
lists with the backlog.

What a body looks like is the REST adapter's business (TIM's callback bodies share
its format): ``im.rest.callbacks`` registers the ``Codec``; services hand over domain
objects.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import logging
import queue
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol
from urllib.parse import urlencode

from django.conf import settings
from django.db import close_old_connections, transaction

from im.errors import CALLBACK_REFUSED, IMError
from im.models import App, CallbackFailure

logger = logging.getLogger(__name__)

TIMEOUT = 2.0  # seconds, TIM's
MAX_BACKLOG = 10_000  # after-callbacks waiting; past it, new ones are given up on
RETRY_DELAYS = (0.5, 2.0, 8.0)  # between the attempts of an after-callback
CONFIG_TTL = 5.0  # seconds a process keeps an app's callback settings
# A back end's own refusal codes, passed on to the sender as TIM does.
CUSTOM_CODES = range(120001, 130001)


class Codec(Protocol):
    def body(self, command: str, subject: Any) -> dict[str, Any]:
        """The callback's JSON body for ``subject`` (a service's domain object)."""

    def replacement(self, command: str, reply: dict[str, Any]) -> Any:
        """What a before-callback's reply puts in place of the action's content
        (a message's new body), or None."""


_codec: Codec | None = None


def register_codec(codec: Codec) -> None:
    global _codec
    _codec = codec


@dataclass(frozen=True)
class Config:
    url: str
    token: str
    commands: frozenset[str]
    fail_closed: bool


_configs: dict[int, tuple[float, Config | None]] = {}
_configs_lock = threading.Lock()


def config(app: App) -> Config | None:
    """``app``'s callback settings, read at most every few seconds per process (a send
    must not pay a query for them); None when it has no callback URL."""
    now = time.monotonic()
    with _configs_lock:
        held = _configs.get(app.pk)
    if held is not None and now - held[0] < CONFIG_TTL:
        return held[1]
    row = (
        App.objects.filter(pk=app.pk)
        .values("callback_url", "callback_token", "callback_commands", "callback_fail_closed")
        .first()
    )
    found = None
    if row and row["callback_url"]:
        found = Config(
            url=row["callback_url"],
            token=row["callback_token"],
            commands=frozenset(row["callback_commands"]),
            fail_closed=row["callback_fail_closed"],
        )
    with _configs_lock:
        _configs[app.pk] = (now, found)
    return found


def forget_config(app_pk: int | None = None) -> None:
    """Read the app's settings (every app's: None) again next time: this process
    changed them."""
    with _configs_lock:
        if app_pk is None:
            _configs.clear()
        else:
            _configs.pop(app_pk, None)


def on_app_saved(sender: type, instance: App, **kwargs: Any) -> None:
    forget_config(instance.pk)


def is_enabled(app: App, command: str) -> bool:
    found = config(app)
    return found is not None and command in found.commands


# --- before: ask, and wait ---


class MustAsk(Exception):
    """Raised by ``ask`` inside ``not_asking``: the app's back end wants asking here,
    and whoever runs the block must run it again where waiting holds up no one."""

    def __init__(self, command: str) -> None:
        super().__init__(f"{command} is to be asked outside this block")
        self.command = command


_refusing = threading.local()


@contextmanager
def not_asking() -> Iterator[None]:
    """Inside this block (in this thread) ``ask`` raises ``MustAsk`` rather than post
    a callback the app wants: a group commit's batch (``im.groupcommit``) runs its
    sends in it, since every other send of the batch would wait for the back end too.
    The adapters keep asking sends out of batches by the app's settings at login; this
    holds when those changed since."""
    previous = getattr(_refusing, "on", False)
    _refusing.on = True
    try:
        yield
    finally:
        _refusing.on = previous


def ask(app: App, command: str, subject: Any) -> Any:
    """Ask the app's back end about an action, if it wants to be asked; returns what
    its reply puts in place of the action's content (None: keep it). A refusal raises
    10016 (or the back end's own 120001-130000) with the reply's ErrorInfo; inside
    ``not_asking``, ``MustAsk`` instead of asking."""
    found = config(app)
    if found is None or command not in found.commands:
        return None
    if getattr(_refusing, "on", False):
        raise MustAsk(command)
    body = _codec.body(command, subject)
    try:
        reply = post(found, app.sdkappid, command, body)
    except CallbackFailed as failure:
        record_failure(app, command, body, str(failure), attempts=1)
        if found.fail_closed:
            raise IMError(
                CALLBACK_REFUSED, "refused: the app's back end did not answer (fail-closed)"
            ) from None
        return None
    code = reply.get("ErrorCode", 0)
    if code == 0:
        return _codec.replacement(command, reply)
    info = reply.get("ErrorInfo")
    info = info if isinstance(info, str) and info else "refused by the app's back end"
    raise IMError(code if code in CUSTOM_CODES else CALLBACK_REFUSED, info)


class CallbackFailed(Exception):
    pass


def post(found: Config, sdkappid: int, command: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST one callback with TIM's query string (and its signature, when the app set a
    token); the reply's JSON object, or CallbackFailed."""
    query = {
        "SdkAppid": sdkappid,
        "CallbackCommand": command,
        "contenttype": "json",
        "ClientIP": "",
        "OptPlatform": "Web",
    }
    if found.token:
        now = str(int(time.time()))
        query["RequestTime"] = now
        query["Sign"] = hashlib.sha256((found.token + now).encode()).hexdigest()
    separator = "&" if "?" in found.url else "?"
    request = urllib.request.Request(
        f"{found.url}{separator}{urlencode(query)}",
        data=json.dumps(body, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            text = response.read(64 * 1024)
    except urllib.error.HTTPError as error:
        raise CallbackFailed(f"HTTP {error.code}") from None
    except (OSError, ValueError) as error:  # refused, timed out, a bad URL
        raise CallbackFailed(str(error) or type(error).__name__) from None
    try:
        reply = json.loads(text)
    except ValueError:
        raise CallbackFailed("the reply is not JSON") from None
    if not isinstance(reply, dict):
        raise CallbackFailed("the reply is not a JSON object")
    return reply


def record_failure(app: App, command: str, body: dict, error: str, *, attempts: int) -> None:
    logger.warning("callback %s of app %s failed: %s", command, app.sdkappid, error)
    CallbackFailure.objects.create(
        app_id=app.pk, command=command, body=body, error=error[:500], attempts=attempts
    )


# --- after: tell, later ---


@dataclass
class Job:
    app_pk: int
    sdkappid: int
    command: str
    body: dict[str, Any]
    attempts: int = 0


def tell_on_commit(app: App, command: str, subject: Any) -> None:
    """Queue an after-callback for when the transaction commits (nothing if it rolls
    back, or the app does not want it)."""
    if not is_enabled(app, command):
        return
    body = _codec.body(command, subject)
    job = Job(app.pk, app.sdkappid, command, body)
    transaction.on_commit(lambda: _enqueue(job))


def _enqueue(job: Job) -> None:
    if not _backlog().push(job):
        app = App(pk=job.app_pk, sdkappid=job.sdkappid)
        record_failure(app, job.command, job.body, "the callback backlog is full", attempts=0)
    _ensure_worker()


def backlog_size() -> int:
    """After-callbacks waiting to be sent or retried (in Redis: every process's)."""
    return _backlog().size()


def discard_backlog() -> int:
    """Drop every after-callback waiting (a back end gone for good; tests between
    runs); returns how many were dropped."""
    return _backlog().discard()


class _LocalBacklog:
    """This process's jobs: a bounded queue, and a heap of those waiting to be retried."""

    def __init__(self) -> None:
        self._queue: queue.Queue[Job] = queue.Queue(maxsize=MAX_BACKLOG)
        self._later: list[tuple[float, int, Job]] = []
        self._lock = threading.Lock()
        self._count = 0

    def push(self, job: Job) -> bool:
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            return False
        return True

    def retry_later(self, job: Job, delay: float) -> None:
        with self._lock:
            self._count += 1
            heapq.heappush(self._later, (time.monotonic() + delay, self._count, job))

    def pop(self, timeout: float) -> Job | None:
        with self._lock:
            if self._later and self._later[0][0] <= time.monotonic():
                return heapq.heappop(self._later)[2]
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def size(self) -> int:
        with self._lock:
            return self._queue.qsize() + len(self._later)

    def discard(self) -> int:
        with self._lock:
            dropped = len(self._later)
            self._later.clear()
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return dropped
            dropped += 1


class _RedisBacklog:
    """Every process's jobs: a Redis list, and a sorted set of those waiting to be
    retried (scored by when); whichever worker removes a due one from the set runs it."""

    def __init__(self) -> None:
        import redis

        self._redis = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=10)
        self._key = f"{settings.REDIS_PREFIX}:callbacks"
        self._later = f"{self._key}:later"

    def push(self, job: Job) -> bool:
        if self._redis.llen(self._key) >= MAX_BACKLOG:
            return False
        self._redis.lpush(self._key, _dump(job))
        return True

    def retry_later(self, job: Job, delay: float) -> None:
        self._redis.zadd(self._later, {_dump(job): time.time() + delay})

    def pop(self, timeout: float) -> Job | None:
        for raw in self._redis.zrangebyscore(self._later, 0, time.time(), start=0, num=1):
            if self._redis.zrem(self._later, raw):
                return Job(**json.loads(raw))
        found = self._redis.brpop([self._key], timeout=max(1, int(timeout)))
        return None if found is None else Job(**json.loads(found[1]))

    def size(self) -> int:
        return int(self._redis.llen(self._key)) + int(self._redis.zcard(self._later))

    def discard(self) -> int:
        dropped = self.size()
        self._redis.delete(self._key, self._later)
        return dropped


def _dump(job: Job) -> str:
    return json.dumps(job.__dict__, ensure_ascii=False)


@cache
def _backlog() -> _LocalBacklog | _RedisBacklog:
    return _RedisBacklog() if settings.REDIS_URL else _LocalBacklog()


_worker_lock = threading.Lock()
_worker: threading.Thread | None = None


def _ensure_worker() -> None:
    """One worker thread per process, started with its first after-callback (with
    Redis, every process that queued one also helps send everyone's)."""
    global _worker
    with _worker_lock:
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(target=_work, name="im-callbacks", daemon=True)
            _worker.start()


def _work() -> None:
    while True:
        job = _backlog().pop(timeout=0.2)
        if job is None:
            continue
        try:
            _deliver(job)
        except Exception:  # a worker that dies would strand the backlog
            logger.exception("callback worker: %s", job.command)
        finally:
            close_old_connections()


def _deliver(job: Job) -> None:
    """Send one after-callback; a failure waits its turn to be retried, the last one
    becomes a CallbackFailure row. A reply's ErrorCode is no failure: the action
    happened, the back end was told."""
    app = App(pk=job.app_pk, sdkappid=job.sdkappid)
    found = config(app)
    if found is None or job.command not in found.commands:
        return  # the app stopped wanting it meanwhile
    try:
        post(found, job.sdkappid, job.command, job.body)
    except CallbackFailed as failure:
        if job.attempts < len(RETRY_DELAYS):
            _backlog().retry_later(
                Job(job.app_pk, job.sdkappid, job.command, job.body, job.attempts + 1),
                RETRY_DELAYS[job.attempts],
            )
        else:
            record_failure(app, job.command, job.body, str(failure), attempts=job.attempts + 1)


# --- the commands, and what services hand over for each (the codec writes the body) ---

C2C_BEFORE_SEND = "C2C.CallbackBeforeSendMsg"
C2C_AFTER_SEND = "C2C.CallbackAfterSendMsg"
GROUP_BEFORE_SEND = "Group.CallbackBeforeSendMsg"
GROUP_AFTER_SEND = "Group.CallbackAfterSendMsg"
GROUP_BEFORE_CREATE = "Group.CallbackBeforeCreateGroup"
GROUP_AFTER_CREATE = "Group.CallbackAfterCreateGroup"
GROUP_BEFORE_APPLY = "Group.CallbackBeforeApplyJoinGroup"
GROUP_BEFORE_INVITE = "Group.CallbackBeforeInviteJoinGroup"
GROUP_AFTER_JOIN = "Group.CallbackAfterNewMemberJoin"
GROUP_AFTER_EXIT = "Group.CallbackAfterMemberExit"
STATE_CHANGE = "State.StateChange"
COMMANDS = (
    C2C_BEFORE_SEND,
    C2C_AFTER_SEND,
    GROUP_BEFORE_SEND,
    GROUP_AFTER_SEND,
    GROUP_BEFORE_CREATE,
    GROUP_AFTER_CREATE,
    GROUP_BEFORE_APPLY,
    GROUP_BEFORE_INVITE,
    GROUP_AFTER_JOIN,
    GROUP_AFTER_EXIT,
    STATE_CHANGE,
)
# Those asked before the action, synchronously.
BEFORE = frozenset(
    {
        C2C_BEFORE_SEND,
        GROUP_BEFORE_SEND,
        GROUP_BEFORE_CREATE,
        GROUP_BEFORE_APPLY,
        GROUP_BEFORE_INVITE,
    }
)


@dataclass(frozen=True)
class Sending:
    """A message about to be stored: a C2C one (``receiver``) or a group's (``group``)."""

    sender: Any  # Account
    draft: Any  # im.services.messages.Draft
    receiver: Any = None  # Account
    group: Any = None  # Group
    online_only: bool = False


@dataclass(frozen=True)
class Sent:
    message: Any  # Message, stored (or pushed, online only)
    online_only: bool = False


@dataclass(frozen=True)
class GroupCreating:
    operator: Any  # Account
    owner: Any  # Account
    name: str
    group_type: str
    member_ids: tuple[str, ...]
    group: Any = None  # Group, once created


@dataclass(frozen=True)
class Joining:
    """Members coming in (``join_type`` Apply or Invited), or leaving (Quit, Kicked)."""

    group: Any  # Group
    operator: Any  # Account
    user_ids: tuple[str, ...]
    join_type: str


@dataclass(frozen=True)
class StateChanged:
    account: Any  # Account
    action: str  # Login, Logout or Disconnect
    reason: str
