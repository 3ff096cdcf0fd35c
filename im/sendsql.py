"""The send's statements, written by hand: every message goes through them.

Building and compiling a Django query costs more CPU than SQLite takes to run it and
about as much as PostgreSQL's round trip (bench/README.md, issue 18: the ORM was over
half of a C2C send's CPU). These few statements are the hot path's; everything else
stays in the ORM. Values go through the model fields' own ``get_db_prep_save``, so what
is stored is what ``Model.save`` would store, and the two backends Hutong runs on
(SQLite ≥ 3.35 and PostgreSQL, both with ``RETURNING`` and ``ON CONFLICT``) take the
same text but where the comments say otherwise.
"""

from __future__ import annotations

from django.db import connection

from im.models import Conversation, Message

# Read when a conversation is locked: what a send needs of it. ``last_message_at`` is
# left out (a date needs the backend's converter) and loads if read; the send sets it.
_CONVERSATION_COLUMNS = (
    "id",
    "app_id",
    "kind",
    "account_low_id",
    "account_high_id",
    "group_id",
    "last_seq",
    "change_seq",
    "last_message_id",
)
_LOCK_C2C = (
    f"SELECT {', '.join(_CONVERSATION_COLUMNS)} FROM im_conversation"
    " WHERE kind = %s AND account_low_id = %s AND account_high_id = %s LIMIT 1"
)

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


def lock_c2c(low_pk: int, high_pk: int) -> Conversation | None:
    """The pair's conversation row, locked until the transaction ends (PostgreSQL:
    ``FOR UPDATE``; SQLite's ``BEGIN IMMEDIATE`` already holds the database's write
    lock), or None if the pair has none yet."""
    sql = _LOCK_C2C + (" FOR UPDATE" if connection.vendor == "postgresql" else "")
    with connection.cursor() as cursor:
        cursor.execute(sql, [Conversation.Kind.C2C, low_pk, high_pk])
        row = cursor.fetchone()
    if row is None:
        return None
    return Conversation.from_db(connection.alias, _CONVERSATION_COLUMNS, row)


def is_blocked(owner_pk: int, blocked_pk: int) -> bool:
    """Whether ``owner_pk``'s blacklist holds ``blocked_pk``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM im_blacklistentry WHERE owner_id = %s AND blocked_id = %s LIMIT 1",
            [owner_pk, blocked_pk],
        )
        return cursor.fetchone() is not None


def insert_numbered(message: Message) -> bool:
    """Insert ``message`` (numbered, unsaved) and move its conversation's counters to it,
    un-hiding the conversation for whoever deleted it; the caller holds the
    conversation's lock. False, and nothing written, if the sender stored a message
    with the same client key before (a resend): the caller reads that one.

    PostgreSQL: one statement (the insert, the counters and the un-hiding as one
    ``WITH``, so the counters move only if the row went in). SQLite, in-process, where
    a statement costs no round trip: three."""
    values = [f.get_db_prep_save(getattr(message, f.attname), connection) for f in _MESSAGE_FIELDS]
    conversation = message.conversation
    counters = [message.seq, message.change_seq, _prep_created_at(message)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
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
    message._state.db = connection.alias
    return True


def _prep_created_at(message: Message) -> object:
    return Conversation._meta.get_field("last_message_at").get_db_prep_save(
        message.created_at, connection
    )
