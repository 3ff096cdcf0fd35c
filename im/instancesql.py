"""A login's statements on the instance registry, written by hand.

Every login takes the account's row lock, drops the account's expired instances, reads
the rest and records its own (``services.instances.do_register_instance``). Built by
the ORM these were over half of a login's CPU (bench/README.md, issue 18: query
building and compiling, a deletion collector, a model save); here they are fixed
texts. Values go through the model fields' ``get_db_prep_save``, as in
``im.sendsql``, so what is stored is what ``Model.save`` would store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from im.models import Account, App, GroupMember, Instance
from im.sendsql import db_connection as _db


@dataclass(frozen=True)
class LoginLock:
    """What a login must see again under the account's lock."""

    account_disabled: bool
    site_user_active: bool | None  # None: the account has no site user
    app_disabled: bool
    max_web_instances: int


@dataclass(frozen=True)
class InstanceRow:
    pk: int
    instance_id: str
    channel_name: str
    is_online: bool
    kicked_reason: str


@cache
def _lock_sql(vendor: str) -> str:
    user = Account._meta.get_field("site_user").related_model._meta
    sql = (
        f"SELECT a.is_disabled, u.{user.get_field('is_active').column}, p.is_disabled,"
        " p.max_web_instances"
        f" FROM {Account._meta.db_table} a JOIN {App._meta.db_table} p ON p.id = a.app_id"
        f" LEFT JOIN {user.db_table} u ON u.{user.pk.column} = a.site_user_id"
        " WHERE a.id = %s"
    )
    # SQLite: the transaction's BEGIN IMMEDIATE already holds the database's write lock.
    return sql + " FOR UPDATE OF a" if vendor == "postgresql" else sql


def lock_account(account_pk: int) -> LoginLock | None:
    """Lock the account's row until the transaction ends (an operator disabling it and
    every other login of it take the same lock) and read what may refuse the login;
    None if the account is gone."""
    db = _db()
    with db.cursor() as cursor:
        cursor.execute(_lock_sql(db.vendor), [account_pk])
        row = cursor.fetchone()
    if row is None:
        return None
    account_disabled, site_user_active, app_disabled, limit = row
    return LoginLock(
        account_disabled=bool(account_disabled),
        site_user_active=None if site_user_active is None else bool(site_user_active),
        app_disabled=bool(app_disabled),
        max_web_instances=limit,
    )


_TABLE = Instance._meta.db_table
_FIELD = {name: Instance._meta.get_field(name) for name in ("logged_in_at", "sig_expires_at")}
_DELETE_EXPIRED = f"DELETE FROM {_TABLE} WHERE account_id = %s AND sig_expires_at <= %s"
# Newest login first, as the limit counts them (a reconnect keeps its first login's place).
_SELECT_LIVE = (
    "SELECT id, instance_id, channel_name, is_online, kicked_reason"
    f" FROM {_TABLE}"
    " WHERE account_id = %s AND sig_expires_at > %s ORDER BY logged_in_at DESC, id DESC"
)


def drop_expired_and_list(account_pk: int, now: datetime) -> list[InstanceRow]:
    """Delete the account's instances whose sig expired by ``now``; return the others,
    kicked ones included, newest login first. The caller holds the account's lock.

    PostgreSQL: one statement (the delete as a ``WITH``; the select, which sees the
    rows as they were before it, leaves the expired ones out by the same test).
    SQLite, in-process: two."""
    db = _db()
    at = _FIELD["sig_expires_at"].get_db_prep_save(now, db)
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            cursor.execute(
                f"WITH gone AS ({_DELETE_EXPIRED}) {_SELECT_LIVE}",
                [account_pk, at, account_pk, at],
            )
        else:
            cursor.execute(_DELETE_EXPIRED, [account_pk, at])
            cursor.execute(_SELECT_LIVE, [account_pk, at])
        rows = cursor.fetchall()
    return [
        InstanceRow(pk, instance_id, channel_name, bool(is_online), kicked_reason)
        for pk, instance_id, channel_name, is_online, kicked_reason in rows
    ]


def insert_instance(
    *,
    account_pk: int,
    channel_name: str,
    instance_id: str,
    logged_in_at: datetime,
    sig_expires_at: datetime,
    site_session: str,
) -> None:
    db = _db()
    with db.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_TABLE} (account_id, channel_name, instance_id,"
            " logged_in_at, sig_expires_at, is_online, kicked_reason, site_session)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            [
                account_pk,
                channel_name,
                instance_id,
                _FIELD["logged_in_at"].get_db_prep_save(logged_in_at, db),
                _FIELD["sig_expires_at"].get_db_prep_save(sig_expires_at, db),
                True,
                "",
                site_session,
            ],
        )


def reconnect_instance(
    pk: int, *, channel_name: str, sig_expires_at: datetime, site_session: str
) -> None:
    """An instance's row takes its new connection (its login order unchanged)."""
    db = _db()
    with db.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_TABLE} SET channel_name = %s, is_online = %s,"
            " sig_expires_at = %s, site_session = %s WHERE id = %s",
            [
                channel_name,
                True,
                _FIELD["sig_expires_at"].get_db_prep_save(sig_expires_at, db),
                site_session,
                pk,
            ],
        )


def member_group_pks(account_pk: int) -> list[int]:
    """The groups whose pushes the account's sessions hear: all it is in but those it
    set to Discard; asked once per login."""
    with _db().cursor() as cursor:
        cursor.execute(
            f"SELECT group_id FROM {GroupMember._meta.db_table}"
            " WHERE account_id = %s AND NOT message_remind_type = %s",
            [account_pk, GroupMember.RemindType.DISCARD],
        )
        return [pk for (pk,) in cursor.fetchall()]
