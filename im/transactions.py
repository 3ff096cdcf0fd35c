"""Who owns a transaction: entry points do; ``do_*`` writes run inside theirs.

A write that composes (store a message, then a tip, then a notice, all one commit with
one set of events) must not open or commit a transaction of its own; marking it
``@in_callers_transaction`` makes a call from outside any transaction fail at once,
in tests, instead of committing half an action.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
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
