"""The hot path's statements, written by hand: every send, login and C2C history page
goes through them.

Building and compiling a Django query costs more CPU than SQLite takes to run it and
about as much as PostgreSQL's round trip (bench/README.md, issue 18: the ORM was over
half of a C2C send's CPU). These few statements (a row by key, the C2C lock, the
blacklist test, the message insert, a C2C page of history and its read marks) are the
hot path's; everything else stays in the
ORM. Values go through the model fields' own ``get_db_prep_save``, so what
is stored is what ``Model.save`` would store, and the two backends Hutong runs on
(SQLite ≥ 3.35 and PostgreSQL, both with ``RETURNING`` and ``ON CONFLICT``) take the
same text but where the comments say otherwise.
"""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model

from im.models import Account, Conversation, Message

M = TypeVar("M", bound=Model)


def db_connection() -> BaseDatabaseWrapper:
    """This thread's connection, looked up once per statement: every attribute read
    through ``django.db.connection`` is a lookup in asgiref's thread-critical local,
    which the profile showed at 12% of a send's CPU when done per column."""
    return connections[DEFAULT_DB_ALIAS]


@cache
def _reader(
    model: type[Model], vendor: str, alias: str = ""
) -> tuple[str, list[tuple[int, list, Any]]]:
    """The column list of ``model`` (each column qualified by ``alias``, if given) and,
    per column that needs them, the converters a queryset applies to it on this
    backend (SQLite's dates and JSON, booleans...)."""
    db = db_connection()
    fields = model._meta.concrete_fields
    converters = []
    for index, field in enumerate(fields):
        column = field.get_col(model._meta.db_table)
        found = db.ops.get_db_converters(column) + column.get_db_converters(db)
        if found:
            converters.append((index, found, column))
    qualify = f"{alias}." if alias else ""
    return ", ".join(qualify + db.ops.quote_name(f.column) for f in fields), converters


def select_rows(model: type[M], where: str, params: list[Any], tail: str = "") -> list[M]:
    """The rows of ``model`` matching ``where`` (SQL, ``%s`` placeholders; ``tail``: an
    ORDER BY, LIMIT or FOR UPDATE after it), as a queryset would load them (the fields'
    converters applied)."""
    db = db_connection()
    columns, _ = _reader(model, db.vendor)
    with db.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {model._meta.db_table} WHERE {where} {tail}", params)
        return [_load(model, row) for row in cursor.fetchall()]


def _load(model: type[M], row: tuple | list) -> M:
    """An instance of ``model`` from a row whose first columns are ``_reader``'s."""
    db = db_connection()
    _, converters = _reader(model, db.vendor)
    values = list(row[: len(model._meta.concrete_fields)])
    for index, found, column in converters:
        value = values[index]
        for converter in found:
            value = converter(value, column, db)
        values[index] = value
    return model.from_db(db.alias, None, values)


def select_one(model: type[M], where: str, params: list[Any], *, lock: bool = False) -> M | None:
    """The one row of ``model`` matching ``where``, or None, as ``select_rows`` loads it;
    ``lock``: row-locked until the transaction ends (PostgreSQL's ``FOR UPDATE``;
    SQLite's ``BEGIN IMMEDIATE`` already holds the database's write lock)."""
    tail = "LIMIT 1 FOR UPDATE" if lock and db_connection().vendor == "postgresql" else "LIMIT 1"
    rows = select_rows(model, where, params, tail)
    return rows[0] if rows else None


_MESSAGE_FIELDS = [
    Message._meta.get_field(name)
    for name in (
        "conversation",
        "seq",
        "sender",
        "type",
        "payload",
        "created_at",
        "random",
        "client_time",
        "client_seq",
        "priority",
        "cloud_custom_data",
        "is_revoked",
        "revoked_by",
        "change_seq",
        "at_user_list",
    )
]
# The conversation's last_message_at is the message's created_at, prepared alike.
_CREATED_AT = [f.name for f in _MESSAGE_FIELDS].index("created_at")
_INSERT_MESSAGE = (
    f"INSERT INTO im_message ({', '.join(f.column for f in _MESSAGE_FIELDS)})"
    f" VALUES ({', '.join(['%s'] * len(_MESSAGE_FIELDS))})"
    # The client's key for a message (``message_unique_client_key``): a resend that
    # meets the first one stores nothing and numbers nothing.
    " ON CONFLICT (conversation_id, sender_id, random, client_time) DO NOTHING"
)
_COUNTERS = (
    "UPDATE im_conversation SET last_seq = %s, change_seq = %s, last_message_at = %s,"
    " last_message_id = {message} WHERE id = %s"
)
# A deleted conversation comes back with its next message.
_UNHIDE = "UPDATE im_participant SET is_hidden = %s WHERE conversation_id = %s AND is_hidden"


def find_c2c(low_pk: int, high_pk: int, *, lock: bool = False) -> Conversation | None:
    """The pair's conversation row (``lock``: locked until the transaction ends), or None
    if the pair has none yet."""
    return select_one(
        Conversation,
        "kind = %s AND account_low_id = %s AND account_high_id = %s",
        [Conversation.Kind.C2C, low_pk, high_pk],
        lock=lock,
    )


def find_peer_and_c2c(
    app_pk: int, user_id: str, viewer_pk: int
) -> tuple[Account, Conversation | None] | None:
    """The account ``user_id`` of the app and its C2C conversation with ``viewer_pk``
    (None if the pair has none yet), in one statement: what opening a C2C
    conversation reads first. None if the app has no such account."""
    db = db_connection()
    account_columns, _ = _reader(Account, db.vendor, "a")
    conversation_columns, _ = _reader(Conversation, db.vendor, "c")
    low = "CASE WHEN a.id < %s THEN a.id ELSE %s END"
    high = "CASE WHEN a.id < %s THEN %s ELSE a.id END"
    with db.cursor() as cursor:
        cursor.execute(
            f"SELECT {account_columns}, {conversation_columns} FROM im_account a"
            f" LEFT JOIN im_conversation c ON c.kind = %s AND c.account_low_id = {low}"
            f" AND c.account_high_id = {high}"
            " WHERE a.app_id = %s AND a.user_id = %s LIMIT 1",
            [Conversation.Kind.C2C, *[viewer_pk] * 4, app_pk, user_id],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    width = len(Account._meta.concrete_fields)
    account = _load(Account, row)
    rest = row[width:]
    return account, None if rest[0] is None else _load(Conversation, rest)


def lock_c2c(low_pk: int, high_pk: int) -> Conversation | None:
    return find_c2c(low_pk, high_pk, lock=True)


# A blacklist entry: ``owner_id``'s list holds ``blocked_id``.
_BLOCKED = "SELECT 1 FROM im_blacklistentry WHERE owner_id = %s AND blocked_id = %s"


def lock_c2c_and_test_block(
    low_pk: int, high_pk: int, *, owner_pk: int, blocked_pk: int
) -> tuple[Conversation, bool] | None:
    """The pair's conversation, row-locked as ``lock_c2c`` locks it, and whether
    ``owner_pk``'s blacklist holds ``blocked_pk`` (``is_blocked``), in one statement:
    a C2C send's lock and its blacklist test, one round trip instead of two. None if
    the pair has no conversation yet."""
    db = db_connection()
    columns, _ = _reader(Conversation, db.vendor)
    lock = " FOR UPDATE" if db.vendor == "postgresql" else ""
    with db.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns}, EXISTS ({_BLOCKED}) FROM im_conversation"
            f" WHERE kind = %s AND account_low_id = %s AND account_high_id = %s LIMIT 1{lock}",
            [owner_pk, blocked_pk, Conversation.Kind.C2C, low_pk, high_pk],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    return _load(Conversation, row), bool(row[-1])


def is_blocked(owner_pk: int, blocked_pk: int) -> bool:
    """Whether ``owner_pk``'s blacklist holds ``blocked_pk``."""
    with db_connection().cursor() as cursor:
        cursor.execute(f"{_BLOCKED} LIMIT 1", [owner_pk, blocked_pk])
        return cursor.fetchone() is not None


def insert_numbered(message: Message) -> bool:
    """Insert ``message`` (numbered, unsaved) and move its conversation's counters to it,
    un-hiding the conversation for whoever deleted it; the caller holds the
    conversation's lock. False, and nothing written, if the sender stored a message
    with the same client key before (a resend): the caller reads that one.

    PostgreSQL: one statement (the insert, the counters and the un-hiding as one
    ``WITH``, so the counters move only if the row went in). SQLite, in-process, where
    a statement costs no round trip: three."""
    db = db_connection()
    values = [f.get_db_prep_save(getattr(message, f.attname), db) for f in _MESSAGE_FIELDS]
    conversation = message.conversation
    counters = [message.seq, message.change_seq, values[_CREATED_AT]]
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            cursor.execute(
                f"WITH m AS ({_INSERT_MESSAGE} RETURNING id),"
                f" c AS ({_COUNTERS.format(message='(SELECT id FROM m)')}"
                " AND EXISTS (SELECT 1 FROM m)),"
                f" p AS ({_UNHIDE} AND EXISTS (SELECT 1 FROM m))"
                " SELECT id FROM m",
                [*values, *counters, conversation.pk, False, conversation.pk],
            )
            row = cursor.fetchone()
            if row is None:
                return False
            message.pk = row[0]
        else:
            cursor.execute(_INSERT_MESSAGE + " RETURNING id", values)
            row = cursor.fetchone()
            if row is None:
                return False
            message.pk = row[0]
            cursor.execute(_COUNTERS.format(message="%s"), [*counters, message.pk, conversation.pk])
            cursor.execute(_UNHIDE, [False, conversation.pk])
    message._state.adding = False
    message._state.db = db.alias
    return True


# --- a page of history (getMessageList), C2C: its two accounts are the conversation's ---


# A message by its client key (sender, clientTime, random): a history cursor.
_SEQ_OF = (
    "SELECT seq FROM im_message WHERE conversation_id = %s AND sender_id = %s"
    " AND client_time = %s AND random = %s LIMIT 1"
)


def c2c_page(
    conversation: Conversation,
    *,
    before_seq: int | None,
    before_key: tuple[int, int, int] | None,
    after_seq: int,
    viewer_pk: int | None,
    limit: int,
) -> tuple[list[Message], dict[int, int]] | None:
    """Up to ``limit`` messages of a C2C conversation numbered below ``before_seq``, or
    below the message whose client key (sender, clientTime, random) is ``before_key``,
    and above ``after_seq``, newest first, but those ``viewer_pk`` deleted for itself;
    and, if any, both accounts' read marks. None if ``before_key`` names no message of
    the conversation.

    One statement, by the index on (conversation, seq): the cursor's sequence and the
    read marks are subqueries PostgreSQL and SQLite each run once, where three more
    round trips cost the deployed set-up more than the page itself.
    """
    columns, _ = _reader(Message, db_connection().vendor)
    where = ["conversation_id = %s"]
    params: list[Any] = [conversation.pk]
    if before_seq is not None:
        where.append("seq < %s")
        params.append(before_seq)
    if before_key is not None:
        where.append(f"seq < ({_SEQ_OF})")
        params.extend([conversation.pk, *before_key])
    if after_seq:
        where.append("seq > %s")
        params.append(after_seq)
    if viewer_pk is not None:
        where.append("id NOT IN (SELECT message_id FROM im_deletedmessage WHERE account_id = %s)")
        params.append(viewer_pk)
    pair = (conversation.account_low_id, conversation.account_high_id)
    mark = "(SELECT read_seq FROM im_participant WHERE conversation_id = %s AND account_id = %s)"
    with db_connection().cursor() as cursor:
        cursor.execute(
            f"SELECT {columns}, {mark}, {mark} FROM im_message"
            f" WHERE {' AND '.join(where)} ORDER BY seq DESC LIMIT %s",
            [conversation.pk, pair[0], conversation.pk, pair[1], *params, limit],
        )
        rows = cursor.fetchall()
    if not rows:
        if before_key is not None and seq_of(conversation.pk, *before_key) is None:
            return None
        return [], {}
    marks = {
        account: seq for account, seq in zip(pair, rows[0][-2:], strict=True) if seq is not None
    }
    return [_load(Message, row) for row in rows], marks


def seq_of(conversation_pk: int, sender_pk: int, client_time: int, random: int) -> int | None:
    """The sequence of the message with this client key (a history cursor), or None."""
    with db_connection().cursor() as cursor:
        cursor.execute(_SEQ_OF, [conversation_pk, sender_pk, client_time, random])
        row = cursor.fetchone()
    return None if row is None else row[0]


def read_marks(conversation_pk: int) -> dict[int, int]:
    """Each participant's read mark in the conversation, by account pk."""
    with db_connection().cursor() as cursor:
        cursor.execute(
            "SELECT account_id, read_seq FROM im_participant WHERE conversation_id = %s",
            [conversation_pk],
        )
        return dict(cursor.fetchall())
