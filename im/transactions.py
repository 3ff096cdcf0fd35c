"""Who owns a transaction: entry points do; ``do_*`` writes run inside theirs.

A write that composes (store a message, then a tip, then a notice, all one commit with
one set of events) must not open or commit a transaction of its own; marking it
``@in_callers_transaction`` makes a call from outside any transaction fail at once,
in tests, instead of committing half an action.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Iterator
from typing import ParamSpec, TypeVar

from django.db import transaction

P = ParamSpec("P")
R = TypeVar("R")


class NoTransaction(RuntimeError):
    """A ``do_*`` write was called outside its caller's transaction."""


def in_callers_transaction(func: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if not transaction.get_connection().in_atomic_block:
            raise NoTransaction(f"{func.__qualname__} runs inside the caller's transaction")
        return func(*args, **kwargs)

    return wrapper


# --- one savepoint per batched call ---
#
# A group commit (``im.groupcommit``) runs each call in a savepoint of its own, so that
# any failure undoes that call's writes alone; a service's own ``atomic()`` inside it
# would open a second savepoint with nothing left to isolate (a SAVEPOINT/RELEASE pair
# is ~94 µs of CPU on PostgreSQL: bench/README.md).

_local = threading.local()


class SwallowedError(RuntimeError):
    """A block inside ``isolated()`` failed, and its error was caught before it got there."""


@contextlib.contextmanager
def isolated() -> Iterator[None]:
    """A block that any error raised out of it undoes whole: a savepoint inside a
    transaction, the transaction itself outside one. ``atomic_or_isolated()`` blocks
    opened directly in it use it instead of a savepoint of their own."""
    block = transaction.atomic()
    with block:
        outer, _local.isolating = getattr(_local, "isolating", None), block
        try:
            yield
            if transaction.get_rollback():
                # An atomic_or_isolated() block failed and its error was caught on the
                # way: its writes are not undone yet, so the caller must not be told
                # the block succeeded. Raising rolls this block back whole.
                raise SwallowedError("an error inside an isolated block was caught in it")
        finally:
            _local.isolating = outer


def atomic_or_isolated() -> transaction.Atomic:
    """``transaction.atomic()`` for an entry point's writes; without a savepoint when the
    block directly around it is an ``isolated()`` one, which undoes them on an error.

    Only directly: a block opened in between (a caller that sends several times and
    catches a refusal to go on) needs each refused send rolled back on its own, so the
    savepoint stays. (``atomic_blocks`` is the connection's stack of open ``atomic``
    blocks, Django's own bookkeeping: the innermost is the last.)"""
    blocks = transaction.get_connection().atomic_blocks
    direct = bool(blocks) and blocks[-1] is getattr(_local, "isolating", None)
    return transaction.atomic(savepoint=not direct)
