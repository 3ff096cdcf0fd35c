"""Group commit: the sends a process is asked for at about the same time, written in one
transaction (one COMMIT, one fsync) and one hop to the database thread.

``await get_batcher().run(key, func, *args)`` queues the call. When the database
thread is free, one ``database_sync_to_async`` call takes every queued call (up to
``MAX_BATCH``): there is no timer, so at low load a batch is one call and nothing waits
longer than before; while a batch runs, the next accumulates. The batch opens one
transaction and runs each call in a savepoint of its own, so a refusal (an ``IMError``)
or any other failure undoes that call's writes only and becomes its caller's error.
Only once the COMMIT has returned does any caller get its result and its events'
sends (``im.events``: bound to the call's own ``deferred_sends`` block); if the COMMIT
fails, or anything outside the savepoints does, every call of the batch is answered
70500 and nothing of it is pushed: none was acknowledged, and a resend is safe. (A
commit callback failing after the COMMIT loses pushes, not answers: the batch is
stored.)

Deadlocks: a call row-locks its conversation (``lock_c2c_conversation``,
``lock_group_conversation``) and the batch holds the lock until its COMMIT, so two
processes' batches taking two conversations in opposite orders would deadlock on
PostgreSQL. A batch therefore runs its calls ordered by ``key`` (the conversation,
computed before the transaction; the sort is stable, so one connection's sends to one
conversation keep their order). Should a batch still fail with a deadlock or a
serialization failure (locks taken outside that order), it is rolled back and its
calls rerun one transaction each: nothing of it was committed or pushed, and the rate
limits answer each call as they did the first time (``buckets.decided_once``).

Which ops are batched is the adapters' choice (``im.ops.BATCHED``, a TIM command's
``batched``): ops that run in the database thread and never wait for the app's back end.
They choose by the app's callback settings as the session read them at login; should a
call reach a before-callback the app wants now (``hooks.ask`` inside
``hooks.not_asking``, which every call here runs in, batched or alone: the database
thread is everyone's), it is rolled back, nothing of it stored or pushed, and its caller
gets ``Unbatched``, whose ``rerun`` runs it again, outside any batch, asking the back
end, the rate limits answering as they did the first time.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from channels.db import database_sync_to_async
from django.db import transaction

from im import hooks
from im.buckets import decided_once
from im.errors import INTERNAL_ERROR, IMError
from im.events import Send, deferred_sends, deliver
from im.models import Account
from im.transactions import isolated

logger = logging.getLogger(__name__)

# At most this many calls per transaction: a batch's locks are held, and its first
# caller waits, until its last call is done.
MAX_BATCH = 64
# PostgreSQL's deadlock_detected and serialization_failure: a batch that meets either
# is rerun one call per transaction.
RETRYABLE_STATES = frozenset({"40P01", "40001"})

Key = tuple[str, ...]


def conversation_key(sender: Account, conversation_type: Any, to: Any) -> Key:
    """The conversation a send to ``to`` locks, as a sort key (the same for both ends
    of a C2C pair); input the op will refuse gets a key too, any key."""
    app = str(sender.app_id)
    to = str(to)
    if conversation_type == "C2C":
        low, high = sorted((sender.user_id, to))
        return (app, "C2C", low, high)
    return (app, str(conversation_type), to)


@dataclass
class _Call:
    key: Key
    func: Callable[..., Any]
    args: tuple
    kwargs: dict
    future: asyncio.Future
    # The rate limits' answers of the first run, replayed by a rerun.
    decisions: list[bool] = field(default_factory=list)


@dataclass
class _Outcome:
    result: Any = None
    sends: list[Send] = field(default_factory=list)
    error: BaseException | None = None


class _Retry(Exception):
    """Raised out of a batch's transaction to roll it back and rerun its calls singly."""


class Unbatched(Exception):
    """A batched call came to ask the app's back end (``hooks.MustAsk``: the app's
    settings changed since its session chose to batch it). Nothing of it was stored or
    pushed; the caller runs ``rerun()`` (no arguments) where waiting for the back end
    holds up no one (``IMSession.call_waiting``), as an op known to ask runs."""

    def __init__(self, rerun: Callable[[], Any]) -> None:
        super().__init__("to be run outside the batch: it asks the app's back end")
        self.rerun = rerun


def _is_retryable(error: BaseException) -> bool:
    cause: BaseException | None = error
    while cause is not None:
        state = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
        if state in RETRYABLE_STATES:
            return True
        cause = cause.__cause__
    return False


def _run_one(call: _Call) -> _Outcome:
    """The call in the transaction open now (a savepoint of the batch's) or, outside
    one, in its own; its events' sends collected, not sent. The one savepoint a call
    has: the send service's block runs in it (``transactions.atomic_or_isolated``), and
    it isolates the rest of the call as well (an op's reads and checks around the
    service, its answer's serialisation)."""
    outcome = _Outcome()
    with decided_once(call.decisions), hooks.not_asking(), deferred_sends() as outbox:
        with isolated():
            outcome.result = call.func(*call.args, **call.kwargs)
    outcome.sends = outbox
    return outcome


def _commit_batch(calls: list[_Call]) -> list[_Outcome]:
    """Run ``calls`` (in the database thread) in one transaction, each in a savepoint;
    their outcomes in the order of ``calls``, valid only once this returns (committed)."""
    if len(calls) == 1:
        # Alone, a call needs no savepoint: its own transaction is the one it had
        # before group commit, statement for statement.
        return [_run_alone(calls[0])]
    outcomes = [_Outcome() for _ in calls]
    order = sorted(range(len(calls)), key=lambda index: calls[index].key)
    committed: list[bool] = []
    try:
        with transaction.atomic():
            # The first of the commit's callbacks: a failure after it (a push's
            # encoding, an after-callback's queue) is not a failed COMMIT.
            transaction.on_commit(lambda: committed.append(True))
            for index in order:
                try:
                    outcomes[index] = _run_one(calls[index])
                except Exception as error:
                    if _is_retryable(error):
                        raise _Retry from error
                    outcomes[index] = _Outcome(error=error)
            if transaction.get_rollback():
                # A call's failure got past its savepoint: leaving the block would roll
                # the batch back without an error, and its calls be answered as stored.
                raise RuntimeError("a batch was marked for rollback: none of it is stored")
    except Exception as error:
        if committed:
            # Stored: each send is answered as it ran; the pushes whose callbacks did
            # not run are lost, as a failing channel layer loses them (clients catch
            # up with syncMessages).
            logger.exception(
                "after a batch of %d sends committed, a commit callback failed", len(calls)
            )
            return outcomes
        if not (isinstance(error, _Retry) or _is_retryable(error)):
            raise
        logger.warning("a batch of %d sends met a deadlock: rerun one by one", len(calls))
        return [_run_alone(call) for call in calls]
    return outcomes


def _run_alone(call: _Call) -> _Outcome:
    try:
        return _run_one(call)
    except Exception as error:
        return _Outcome(error=error)


def _rerun_asking(call: _Call) -> Any:
    """``call`` as its session runs an op that asks: the rate limits answer what they
    answered its run in the batch (tokens taken there stay taken, once)."""
    with decided_once(call.decisions):
        return call.func(*call.args, **call.kwargs)


class Batcher:
    """The queue of one event loop's batched calls, and the one task draining it."""

    def __init__(self) -> None:
        self._queue: list[_Call] = []
        self._draining: asyncio.Task | None = None

    async def run(self, key: Key, func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """Run ``func(*args, **kwargs)`` in the next batch; once that batch committed,
        deliver its events and return its result (or raise its error; ``Unbatched``
        if it is to be run again outside the batch)."""
        future = asyncio.get_running_loop().create_future()
        self._queue.append(_Call(key, func, args, kwargs, future))
        if self._draining is None:
            # Started on the loop's next turn: the calls queued in this one join it.
            self._draining = asyncio.create_task(self._drain())
        result, sends = await future
        await deliver(sends)
        return result

    async def _drain(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                await self._commit(batch)
        finally:
            self._draining = None

    async def _commit(self, batch: list[_Call]) -> None:
        try:
            outcomes = await database_sync_to_async(_commit_batch)(batch)
        except Exception:
            logger.exception("a batch of %d sends failed to commit: none was stored", len(batch))
            for call in batch:
                if not call.future.done():
                    call.future.set_exception(
                        IMError(INTERNAL_ERROR, "not stored (a commit failed): send again")
                    )
            return
        for call, outcome in zip(batch, outcomes, strict=True):
            if call.future.done():  # its caller went away (the connection closed)
                continue
            if isinstance(outcome.error, hooks.MustAsk):
                call.future.set_exception(Unbatched(partial(_rerun_asking, call)))
            elif outcome.error is not None:
                call.future.set_exception(outcome.error)
            else:
                call.future.set_result((outcome.result, outcome.sends))


_batchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Batcher] = (
    weakref.WeakKeyDictionary()
)


def get_batcher() -> Batcher:
    """The running event loop's batcher (daphne runs one loop per process)."""
    loop = asyncio.get_running_loop()
    batcher = _batchers.get(loop)
    if batcher is None:
        batcher = _batchers[loop] = Batcher()
    return batcher
