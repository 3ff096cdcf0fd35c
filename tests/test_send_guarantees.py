"""What a send promises, however fast its path: checked against real daphne processes
(two sharing the database and Redis, as a deployment runs them), through the protocol.

- A resend (the same random and clientTime from the same sender) is stored once and
  answered with the first message, from any connection, on any process, at once.
- Sequence numbers have no gap and no repeat when many connections send to one
  conversation at the same moment, C2C and group.
- An acknowledged message is stored: `kill -9` of the server right after the answer
  loses none of them (PostgreSQL in the deployed pass).
- Sends committed together (``im.groupcommit``) are acknowledged only once their
  transaction committed: a batch whose COMMIT fails has every send answered with an
  error, stored nowhere, pushed to no one; a send a rule refuses gets its own code and
  takes none of its batch down with it, even refused after it wrote (its writes undone,
  its sequence number the next send's).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from bench.client import Conn, text_message
from im.errors import C2C_IN_PEER_BLACKLIST, INTERNAL_ERROR, INVALID_PARAMS, MESSAGE_TOO_LONG
from im.models import Account, App, Conversation, Message, Participant, Upload
from tests.conftest import SDKAPPID, allow_instances
from tests.live import LiveServer, net_online, new_group

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("cast")]

SENDERS = 20
EACH = 10
CLIENT_TIME = 1764000000


def draft(to: str, body: str, random: int, *, group: bool = False) -> dict:
    """sendMessage data with a fixed clientTime, so sending it again is a resend."""
    return text_message(to, body, random, group=group, client_time=CLIENT_TIME)


async def history(client: Conn, conversation_id: str) -> list[dict]:
    """Every message of the conversation ``client`` sees, oldest first (all pages)."""
    pages: list[list[dict]] = []
    cursor = ""
    while True:
        page = await client.ok(
            "getMessageList", {"conversationID": conversation_id, "nextReqMessageID": cursor}
        )
        pages.append(page["messageList"])
        if page["isCompleted"]:
            break
        cursor = page["nextReqMessageID"]
    return [message for page in reversed(pages) for message in page]


async def close(clients: list[Conn]) -> None:
    await asyncio.gather(*(client.close() for client in clients))


async def test_a_resend_is_stored_once_from_any_connection(live_pair):
    one, two = live_pair
    await allow_instances(10)
    alice_here = await net_online(one.ws_url, "alice")
    alice_there = await net_online(two.ws_url, "alice")
    bob = await net_online(two.ws_url, "bob")
    first = (await alice_here.ok("sendMessage", draft("bob", "once", 7)))["message"]
    # The same draft again, from both of alice's connections (two processes) at once.
    answers = await asyncio.gather(
        *(
            conn.ok("sendMessage", draft("bob", "once", 7))
            for conn in (alice_here, alice_there, alice_here, alice_there)
        )
    )
    assert {(a["message"]["ID"], a["message"]["sequence"]) for a in answers} == {
        (first["ID"], first["sequence"])
    }
    # A new random is a new message, numbered next.
    second = (await alice_there.ok("sendMessage", draft("bob", "twice", 8)))["message"]
    assert second["sequence"] == first["sequence"] + 1
    assert [m["ID"] for m in await history(bob, "C2Calice")] == [first["ID"], second["ID"]]
    assert await Message.objects.filter(conversation__kind="C2C").acount() == 2
    # Bob was told of each message once.
    assert (await bob.push("MESSAGE_RECEIVED"))["data"][0]["ID"] == first["ID"]
    assert (await bob.push("MESSAGE_RECEIVED"))["data"][0]["ID"] == second["ID"]
    await asyncio.sleep(0.3)
    assert bob.pushes.empty(), bob.pushes
    await close([alice_here, alice_there, bob])


async def test_a_group_resend_is_stored_once(live_pair):
    one, two = live_pair
    alice = await net_online(one.ws_url, "alice")
    bob = await net_online(two.ws_url, "bob")
    group_id = await new_group(alice, ["bob"])
    answers = await asyncio.gather(
        *(alice.ok("sendMessage", draft(group_id, "hi", 3, group=True)) for _ in range(5))
    )
    assert len({a["message"]["ID"] for a in answers}) == 1
    texts = [
        m["payload"].get("text")
        for m in await history(bob, f"GROUP{group_id}")
        if m["type"] == "TIMTextElem"
    ]
    assert texts == ["hi"]
    await close([alice, bob])


async def senders_online(servers, user_ids: list[str]) -> list[Conn]:
    urls = [server.ws_url for server in servers]
    return list(
        await asyncio.gather(
            *(net_online(urls[i % len(urls)], user_id) for i, user_id in enumerate(user_ids))
        )
    )


async def send_all_at_once(
    clients: list[Conn], targets: list[str], *, group: bool = False
) -> list[dict]:
    """Client i sends EACH messages to targets[i] without waiting for the answers:
    SENDERS × EACH sends in flight on one conversation. The answers' messages."""

    async def one(index: int, client: Conn, n: int) -> dict:
        random = index * 1000 + n  # unique per (connection, message): none is a resend
        body = draft(targets[index], f"{index}-{n}", random, group=group)
        return (await client.ok("sendMessage", body))["message"]

    return list(
        await asyncio.gather(*(one(i, c, n) for i, c in enumerate(clients) for n in range(EACH)))
    )


def assert_numbered_without_gaps(sent: list[dict], stored: list[dict]) -> None:
    sequences = [m["sequence"] for m in sent]
    assert len(set(sequences)) == len(sent) == SENDERS * EACH  # no two share a number
    assert {m["ID"] for m in sent} <= {m["ID"] for m in stored}
    # The conversation's numbers run 1, 2, 3... with none skipped (a group's tips too).
    assert [m["sequence"] for m in stored] == list(range(1, len(stored) + 1))


async def test_twenty_connections_sending_to_one_c2c_conversation_leave_no_gap(live_pair):
    await allow_instances(SENDERS)
    users = ["alice", "bob"] * (SENDERS // 2)
    clients = await senders_online(live_pair, users)
    # alice's connections write to bob, bob's to alice: one conversation.
    sent = await send_all_at_once(clients, ["bob" if u == "alice" else "alice" for u in users])
    stored = await history(clients[0], "C2Cbob")
    assert len(stored) == SENDERS * EACH
    assert_numbered_without_gaps(sent, stored)
    await close(clients)


async def test_twenty_members_sending_to_one_group_leave_no_gap(live_pair):
    app = await App.objects.aget(sdkappid=SDKAPPID)
    others = [f"m{n:02}" for n in range(SENDERS - 1)]
    await Account.objects.abulk_create([Account(app=app, user_id=u) for u in others])
    owner = await net_online(live_pair[0].ws_url, "alice")
    group_id = await new_group(owner, others, name="busy")
    members = [owner, *await senders_online(live_pair, others)]
    sent = await send_all_at_once(members, [group_id] * len(members), group=True)
    stored = await history(owner, f"GROUP{group_id}")
    assert_numbered_without_gaps(sent, stored)
    await close(members)


async def test_an_acknowledged_message_survives_kill_9_of_the_server(live_pair):
    """Five connections send as fast as they are answered; the server they use is
    killed (SIGKILL: no shutdown, no flush) mid-stream. Every message answered before
    the kill is in the history after the restart."""
    one, two = live_pair
    await allow_instances(10)
    clients = [await net_online(one.ws_url, "alice") for _ in range(5)]
    acked: list[dict] = []

    async def keep_sending(index: int, client: Conn) -> None:
        for n in range(10_000):
            try:
                answer = await client.ok(
                    "sendMessage", draft("bob", f"{index}-{n}", index * 100_000 + n), timeout=5
                )
            except (ConnectionError, TimeoutError):
                return
            acked.append(answer["message"])

    sending = [asyncio.create_task(keep_sending(i, c)) for i, c in enumerate(clients)]
    async with asyncio.timeout(60):
        while len(acked) < 100:
            await asyncio.sleep(0.01)
    one.kill()
    await asyncio.gather(*sending)
    assert len(acked) >= 100
    # Read on the process that stayed up: what was acknowledged is in the database.
    bob = await net_online(two.ws_url, "bob")
    stored = {m["ID"]: m for m in await history(bob, "C2Calice")}
    missing = [m["ID"] for m in acked if m["ID"] not in stored]
    assert not missing, f"{len(missing)} of {len(acked)} acknowledged messages lost"
    for message in acked:
        assert stored[message["ID"]]["sequence"] == message["sequence"]
    assert await Message.objects.filter(conversation__kind="C2C").acount() == len(stored)
    # The restarted process numbers on from there, without a gap.
    await asyncio.to_thread(one.start)
    alice = await net_online(one.ws_url, "alice")
    after = (await alice.ok("sendMessage", draft("bob", "after", 999_999_999)))["message"]
    assert after["sequence"] == max(m["sequence"] for m in stored.values()) + 1
    await alice.close()
    await bob.close()
    for client in clients:
        with contextlib.suppress(Exception):
            await client.close()


# --- group commit (im/groupcommit.py): sends committed together ---

# A text that makes its transaction's COMMIT fail, and the SQL that does it: an insert of
# such a message also inserts a row whose foreign key names no row. The key is checked
# at COMMIT (DEFERRABLE INITIALLY DEFERRED, on both backends), so every statement of the
# transaction succeeds and the COMMIT itself is refused, as a full disk or a lost
# connection at COMMIT would refuse it: nothing of that transaction is stored.
DOOMED = "doomed-at-commit"
FAIL_AT_COMMIT = {
    "sqlite": [
        "CREATE TABLE gc_parent (id integer PRIMARY KEY)",
        "CREATE TABLE gc_child (ref integer REFERENCES gc_parent (id) "
        "DEFERRABLE INITIALLY DEFERRED)",
        f"CREATE TRIGGER gc_doom AFTER INSERT ON {Message._meta.db_table} "
        f"WHEN NEW.payload LIKE '%{DOOMED}%' BEGIN INSERT INTO gc_child VALUES (-1); END",
    ],
    "postgresql": [
        "CREATE TABLE gc_parent (id integer PRIMARY KEY)",
        "CREATE TABLE gc_child (ref integer REFERENCES gc_parent (id) "
        "DEFERRABLE INITIALLY DEFERRED)",
        "CREATE FUNCTION gc_doom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF NEW.payload::text LIKE '%{DOOMED}%' THEN INSERT INTO gc_child VALUES (-1); "
        "END IF; RETURN NEW; END $$",
        f"CREATE TRIGGER gc_doom AFTER INSERT ON {Message._meta.db_table} "
        "FOR EACH ROW EXECUTE FUNCTION gc_doom()",
    ],
}
UNDO_FAIL_AT_COMMIT = {
    "sqlite": ["DROP TRIGGER gc_doom", "DROP TABLE gc_child", "DROP TABLE gc_parent"],
    "postgresql": [
        f"DROP TRIGGER gc_doom ON {Message._meta.db_table}",
        "DROP FUNCTION gc_doom()",
        "DROP TABLE gc_child",
        "DROP TABLE gc_parent",
    ],
}
WRITERS = 10  # accounts, each with sends in flight on its own conversation
IN_FLIGHT = 5


def _run_sql(statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


@pytest.fixture
def commit_fails_for_doomed():
    """COMMIT fails for any transaction that stored a message with DOOMED in it."""
    _run_sql(FAIL_AT_COMMIT[connection.vendor])
    try:
        yield
    finally:
        _run_sql(UNDO_FAIL_AT_COMMIT[connection.vendor])


async def writers_online(server: LiveServer) -> tuple[list[str], list[Conn], Conn]:
    """WRITERS accounts online on ``server``, and zed, whom they write to, on it too;
    the first writer has written to zed once (``WARM``), so their conversation exists."""
    app = await App.objects.aget(sdkappid=SDKAPPID)
    users = [f"w{n:02}" for n in range(WRITERS)]
    await Account.objects.abulk_create([Account(app=app, user_id=u) for u in [*users, "zed"]])
    clients = list(await asyncio.gather(*(net_online(server.ws_url, u) for u in users)))
    zed = await net_online(server.ws_url, "zed")
    await clients[0].ok("sendMessage", draft("zed", WARM, 999_999))
    await zed.push("MESSAGE_RECEIVED")
    return users, clients, zed


WARM = "warm"


def _hold_conversation(pk: int, held: threading.Event, release: threading.Event) -> None:
    try:
        with transaction.atomic():
            # The row's lock on PostgreSQL; on SQLite the transaction's BEGIN IMMEDIATE
            # already holds the whole database's write lock.
            Conversation.objects.select_for_update().get(pk=pk)
            held.set()
            release.wait(20)
    finally:
        connection.close()


async def all_in_flight(clients: list[Conn], bodies: list[list[dict]]) -> list[list[dict]]:
    """Client i sends bodies[i] without waiting: every send in flight at once. The
    answer frames, whatever their code, in the same shape.

    So that the writers' first sends share one batch whatever the machine's speed:
    the first writer's conversation with zed is held locked from here while its send
    is queued; its batch waits for the lock, the others' sends queue behind it, and
    they form the next batch once it is released."""
    pk = (
        await Message.objects.select_related("conversation").aget(payload__text=WARM)
    ).conversation_id
    held, release = threading.Event(), threading.Event()
    holding = asyncio.create_task(asyncio.to_thread(_hold_conversation, pk, held, release))
    try:
        await asyncio.to_thread(held.wait, 10)
        futures = [[await clients[0].submit("sendMessage", body) for body in bodies[0]]]
        await asyncio.sleep(0.3)
        for client, sent in zip(clients[1:], bodies[1:], strict=True):
            futures.append([await client.submit("sendMessage", body) for body in sent])
        await asyncio.sleep(0.3)
    finally:
        release.set()
        await holding
    async with asyncio.timeout(30):
        return [list(await asyncio.gather(*row)) for row in futures]


def codes_by_text(bodies: list[list[dict]], answers: list[list[dict]]) -> dict[str, int]:
    """Each send's answer code, by the text it sent."""
    return {
        body["payload"]["text"]: answer["code"]
        for sent, answered in zip(bodies, answers, strict=True)
        for body, answer in zip(sent, answered, strict=True)
    }


async def zed_history(zed: Conn, users: list[str]) -> set[str]:
    """The texts of every message in zed's conversations with ``users``."""
    texts: set[str] = set()
    for user in users:
        texts |= {m["payload"]["text"] for m in await history(zed, f"C2C{user}")}
    return texts


async def pushed_texts(client: Conn, *, settle: float = 0.5) -> set[str]:
    """The texts of the MESSAGE_RECEIVED pushes ``client`` got, once none came for
    ``settle`` seconds (None for a message with no text)."""
    texts: set[str] = set()
    while True:
        try:
            push = await client.push("MESSAGE_RECEIVED", timeout=settle)
        except TimeoutError:
            return texts
        texts |= {m["payload"].get("text") for m in push["data"]}


async def test_group_committed_sends_rolled_back_together_are_never_acknowledged(
    live_pair, commit_fails_for_doomed
):
    """Sends in flight at once share a transaction; one of them makes its COMMIT fail.
    Every send of that batch is answered with an error, stored nowhere and pushed to no
    one; every send answered OK is stored and pushed. The sends of the doomed one's
    batch other than itself show the batch was shared."""
    one, _ = live_pair
    users, clients, zed = await writers_online(one)
    bodies = [
        [
            draft("zed", DOOMED if (i, n) == (WRITERS // 2, 0) else f"{i}-{n}", i * 100 + n)
            for n in range(IN_FLIGHT)
        ]
        for i in range(WRITERS)
    ]
    answers = await all_in_flight(clients, bodies)
    codes = codes_by_text(bodies, answers)
    acked = {text for text, code in codes.items() if code == 0}
    refused = {text: code for text, code in codes.items() if code}
    assert refused.get(DOOMED) == INTERNAL_ERROR
    assert set(refused.values()) == {INTERNAL_ERROR}
    # The doomed send did not go alone: others committed with it were refused with it.
    assert len(refused) > 1, "the doomed send shared no batch"
    assert acked, "no send committed"
    stored = await zed_history(zed, users)
    pushed = await pushed_texts(zed)
    assert acked <= stored, acked - stored
    assert acked <= pushed, acked - pushed
    assert not stored & set(refused) and not pushed & set(refused)
    # The server and the connections carry on: each writer sends again, and it is stored.
    again = await all_in_flight(
        clients, [[draft("zed", f"{i}-again", i * 100 + 99)] for i in range(WRITERS)]
    )
    assert all(row[0]["code"] == 0 for row in again)
    assert {f"{i}-again" for i in range(WRITERS)} <= await zed_history(zed, users)
    await close([*clients, zed])


def expect_codes(answers: list[list[dict]], code_of: Callable[[int, int], int]) -> None:
    """Each answer's code is ``code_of(writer, send)``."""
    got = {(i, n): a["code"] for i, row in enumerate(answers) for n, a in enumerate(row)}
    assert got == {key: code_of(*key) for key in got}, answers


async def test_a_batch_answers_each_refused_send_with_its_own_code(live_pair):
    """Sends in flight at once, some refused by a rule (a peer's blacklist, a size
    limit): each refused one gets its own TIM code, every other is stored."""
    one, _ = live_pair
    users, clients, zed = await writers_online(one)
    await zed.ok("addToBlacklist", {"userIDList": [users[3]]})
    too_long = "x" * (13 * 1024)
    bodies = [
        [
            draft("zed", too_long if (i, n) == (6, 0) else f"{i}-{n}", i * 100 + n)
            for n in range(IN_FLIGHT)
        ]
        for i in range(WRITERS)
    ]
    answers = await all_in_flight(clients, bodies)
    expect_codes(
        answers,
        lambda i, n: (
            C2C_IN_PEER_BLACKLIST if i == 3 else MESSAGE_TOO_LONG if (i, n) == (6, 0) else 0
        ),
    )
    expected = {f"{i}-{n}" for i in range(WRITERS) for n in range(IN_FLIGHT)}
    expected -= {f"3-{n}" for n in range(IN_FLIGHT)} | {"6-0"}
    assert await zed_history(zed, users) == expected | {WARM}
    assert await pushed_texts(zed) == expected
    await close([*clients, zed])


async def finished_file(owner: str) -> str:
    """The uuid of a finished file upload of ``owner``'s (as ``finishUpload`` leaves one;
    what is in the store does not matter to a send)."""
    account = await Account.objects.select_related("app").aget(user_id=owner)
    upload = await Upload.objects.acreate(
        uuid=uuid.uuid4().hex,
        app=account.app,
        owner=account,
        kind=Upload.Kind.FILE,
        file_name="notes.txt",
        content_type="text/plain",
        size=5,
        expires_at=timezone.now() + timedelta(hours=1),
        is_ready=True,
    )
    return upload.uuid


def file_message(to: str, file_uuid: str, random: int) -> dict:
    return {**draft(to, "", random), "type": "TIMFileElem", "payload": {"uuid": file_uuid}}


async def test_a_batch_undoes_a_send_refused_after_it_wrote(live_pair):
    """Sends in flight at once, some refused inside the send's own transaction after it
    wrote: a file another message already carries (its message row inserted and its
    conversation's counters moved, then refused), a first message to someone who
    blacklisted the sender (the conversation created, then refused). Beside them, a
    blacklisted sender's resend of what was stored before it was blacklisted, answered
    with the stored message. Each send gets its own answer; a refused one leaves no
    row, no push and no gap in the numbers (the next send takes its number); every
    other send of the batch is stored and pushed."""
    one, _ = live_pair
    users, clients, zed = await writers_online(one)
    before = (await clients[3].ok("sendMessage", draft("zed", "3-before", 399)))["message"]
    carried = await finished_file(users[5])
    await clients[5].ok("sendMessage", file_message("zed", carried, 599))
    await zed.ok("addToBlacklist", {"userIDList": [users[3], users[8]]})
    await pushed_texts(zed)  # the pushes of the sends above
    bodies = [
        [draft("zed", f"{i}-{n}", i * 100 + n) for n in range(IN_FLIGHT)] for i in range(WRITERS)
    ]
    bodies[3][0] = draft("zed", "3-before", 399)  # a resend: answered, not refused
    bodies[5][0] = file_message("zed", carried, 500)  # the file again, in a new message
    answers = await all_in_flight(clients, bodies)

    def code_of(i: int, n: int) -> int:
        if (i, n) == (3, 0):
            return 0  # the resend
        if i in (3, 8):
            return C2C_IN_PEER_BLACKLIST
        return INVALID_PARAMS if (i, n) == (5, 0) else 0

    expect_codes(answers, code_of)
    assert answers[3][0]["data"]["message"]["ID"] == before["ID"]
    expected = {f"{i}-{n}" for i in range(WRITERS) for n in range(IN_FLIGHT)}
    expected -= {f"3-{n}" for n in range(IN_FLIGHT)} | {f"8-{n}" for n in range(IN_FLIGHT)}
    expected -= {"5-0"}
    stored = {user: await history(zed, f"C2C{user}") for user in users}
    texts = {m["payload"].get("text") for messages in stored.values() for m in messages}
    assert texts == expected | {WARM, "3-before", None}  # None: the file sent once
    # The refused file message took no number: 5-1 has the one after the first file's.
    assert [m["sequence"] for m in stored[users[5]]] == list(range(1, IN_FLIGHT + 1))
    assert [m["payload"].get("text") for m in stored[users[5]]][1:] == [
        f"5-{n}" for n in range(1, IN_FLIGHT)
    ]
    assert await Message.objects.filter(random=500).acount() == 0
    # w08's first message created its conversation with zed, then was refused: undone.
    assert not await Participant.objects.filter(account__user_id=users[8]).aexists()
    assert await pushed_texts(zed) == expected
    await close([*clients, zed])
