"""Capturing the events one service call schedules, with the exact accounts told."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from im.events import Event, capture_events
from im.models import Account, GroupMember


@dataclass(frozen=True)
class Told:
    """One committed event: its name, payload, and the userIDs of the accounts told."""

    name: str
    payload: Any
    user_ids: frozenset[str]
    event: Event


def user_ids_told(event: Event) -> frozenset[str]:
    """The accounts an event reaches: those it names, and a group's members as they
    stand now (right after the commit that scheduled it)."""
    ids = set(event.account_ids)
    if event.group_pk is not None:
        members = GroupMember.objects.filter(group_id=event.group_pk)
        ids.update(members.values_list("account_id", flat=True))
    return frozenset(Account.objects.filter(pk__in=ids).values_list("user_id", flat=True))


@contextmanager
def capture() -> Iterator[list[Told]]:
    """``with capture() as told: <one service call>``; ``told`` fills when the block ends."""
    told: list[Told] = []
    with capture_events() as events:
        yield told
    told.extend(Told(e.name, e.payload, user_ids_told(e), e) for e in events)
