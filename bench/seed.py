"""Set-up the load client cannot do over the protocol, run with the server's own settings.

The bench runs it as ``python -m bench.seed`` with the configuration's environment
and a JSON command on stdin; the bench-client test calls the functions in-process
against the test database. Models are imported inside the functions so importing
this module needs no configured Django.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

HISTORY_CLIENT_TIME = 1764000000
_SQLITE_BATCH = 50_000


def ensure_app(*, sdkappid: int, secret_key: str) -> dict[str, Any]:
    """The bench app: several instances per account allowed, messages kept forever, no
    send rate (a bench account sends hundreds a second) and no per-group rate (the
    fan-out scenarios send more than TIM's 40 a second to one group, to find what the
    server can deliver)."""
    from im.services.apps import do_upsert_app

    app, created = do_upsert_app(
        sdkappid=sdkappid,
        secret_key=secret_key,
        name="bench",
        max_web_instances=10,
        message_retention_days=0,
        send_rate=0,
        group_message_rate=0,
    )
    return {"sdkappid": app.sdkappid, "created": created}


def ensure_accounts(*, sdkappid: int, user_ids: list[str]) -> dict[str, Any]:
    """Create the accounts that do not exist yet, as an operator's import would."""
    from im.models import Account, App

    app = App.objects.get(sdkappid=sdkappid)
    Account.objects.bulk_create(
        [Account(app=app, user_id=uid) for uid in user_ids], ignore_conflicts=True, batch_size=2000
    )
    return {"accounts": Account.objects.filter(app=app, user_id__in=user_ids).count()}


def add_group_members(*, sdkappid: int, group_id: str, user_ids: list[str]) -> dict[str, Any]:
    """Add members past createGroup's 500 initial ones (Hutong has no invite op yet)."""
    from django.db import transaction

    from im.models import Account, Conversation, Group, GroupMember, Participant

    with transaction.atomic():
        group = Group.objects.get(app__sdkappid=sdkappid, group_id=group_id)
        conversation = Conversation.objects.get(group=group)
        accounts = list(Account.objects.filter(app=group.app, user_id__in=user_ids))
        GroupMember.objects.bulk_create(
            [GroupMember(group=group, account=a) for a in accounts],
            ignore_conflicts=True,
            batch_size=2000,
        )
        Participant.objects.bulk_create(
            [Participant(conversation=conversation, account=a) for a in accounts],
            ignore_conflicts=True,
            batch_size=2000,
        )
    return {"members": GroupMember.objects.filter(group=group).count()}


def make_admins(*, sdkappid: int, user_ids: list[str]) -> dict[str, Any]:
    """Make these accounts app administrators (``imapp --admin``): they may add members
    to Public groups with ``addGroupMember``."""
    from im.models import App
    from im.services.accounts import do_set_app_admin

    app = App.objects.get(sdkappid=sdkappid)
    admins = [do_set_app_admin(app=app, user_id=user_id).user_id for user_id in user_ids]
    return {"admins": admins}


def seed_history(*, sdkappid: int, sender: str, receiver: str, rows: int) -> dict[str, Any]:
    """A C2C conversation holding ``rows`` messages from ``sender``, written with bulk SQL.

    Message ``seq`` N has ``random`` N and ``clientTime`` HISTORY_CLIENT_TIME, so its
    ID is ``<sender tinyID>-HISTORY_CLIENT_TIME-N``.
    """
    from django.db import connection, transaction

    from im.models import Account, App, Conversation, Message, Participant

    started = time.monotonic()
    app = App.objects.get(sdkappid=sdkappid)
    ensure_accounts(sdkappid=sdkappid, user_ids=[sender, receiver])
    a = Account.objects.get(app=app, user_id=sender)
    b = Account.objects.get(app=app, user_id=receiver)
    low, high = sorted((a, b), key=lambda acc: acc.pk)
    with transaction.atomic():
        conversation, _ = Conversation.objects.get_or_create(
            kind=Conversation.Kind.C2C, account_low=low, account_high=high, defaults={"app": app}
        )
        for account in (a, b):
            Participant.objects.get_or_create(conversation=conversation, account=account)
    first = conversation.last_seq + 1
    last = conversation.last_seq + rows
    # Oldest first, a millisecond apart, ending now.
    base = datetime.now(UTC) - timedelta(milliseconds=rows)
    columns = [
        Message._meta.get_field(name).column
        for name in (
            "conversation", "seq", "sender", "type", "payload", "created_at", "random",
            "client_time", "client_seq", "priority", "cloud_custom_data", "is_revoked",
            "change_seq", "at_user_list",
        )
    ]  # fmt: skip
    table = Message._meta.db_table

    def row(seq: int, created: Any) -> tuple:
        payload = json.dumps({"text": f"history message {seq}"})
        return (
            conversation.pk, seq, a.pk, "TIMTextElem", payload, created, seq,
            HISTORY_CLIENT_TIME, seq, "Normal", "", False, seq, "[]",
        )  # fmt: skip

    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            # Skip the per-row deferred foreign-key triggers: every id is known good.
            cursor.execute("SET LOCAL session_replication_role = replica")
            sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            with cursor.cursor.copy(sql) as copy:
                for seq in range(first, last + 1):
                    copy.write_row(row(seq, base + timedelta(milliseconds=seq - first)))
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {table}")
    else:
        adapt = connection.ops.adapt_datetimefield_value
        sql = (
            f"INSERT INTO {table} ({', '.join(columns)}) "
            f"VALUES ({', '.join(['%s'] * len(columns))})"
        )
        for start in range(first, last + 1, _SQLITE_BATCH):
            stop = min(start + _SQLITE_BATCH, last + 1)
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(
                    sql,
                    [
                        row(seq, adapt(base + timedelta(milliseconds=seq - first)))
                        for seq in range(start, stop)
                    ],
                )
    newest = Message.objects.get(conversation=conversation, seq=last)
    Conversation.objects.filter(pk=conversation.pk).update(
        last_seq=last, change_seq=last, last_message=newest, last_message_at=newest.created_at
    )
    return {
        "senderTinyID": str(a.pk),
        "clientTime": HISTORY_CLIENT_TIME,
        "firstSeq": first,
        "lastSeq": last,
        "seconds": round(time.monotonic() - started, 2),
    }


COMMANDS = {
    "ensure_app": ensure_app,
    "ensure_accounts": ensure_accounts,
    "add_group_members": add_group_members,
    "make_admins": make_admins,
    "seed_history": seed_history,
}


def main() -> None:
    import django

    django.setup()
    command = json.load(sys.stdin)
    result = COMMANDS[command.pop("command")](**command)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
