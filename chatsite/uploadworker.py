"""The upload worker: a second process that takes the file system default's uploads off
the chat's process (``chatsite.serve`` starts it and hands it each upload's connection).

With the file system default, every byte of an upload passes through the server, and in
one daphne process those bytes share the event loop (and the machine's cores) with the
chat: ten 20 MB uploads at once made chat messages several times slower (bench/README.md
"uploads"). So ``chatsite.serve`` reads only an upload's request head, then passes the
connection's socket to this process over a Unix socket (``SCM_RIGHTS``) with the head and
whatever part of the body it had already read, and forgets it. This process, at a lower
CPU priority than the chat's, reads the rest of the body and answers, running the very
same endpoint (``im.uploadapp.upload``) as an ASGI application over the connection: the
same checks, refusals and answers, no second copy of them.

One request per connection: the answer says ``Connection: close``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import logging
import os
import signal
import socket
from http import HTTPStatus
from typing import Any

logger = logging.getLogger(__name__)

# Body bytes per read from the client (the endpoint writes them to the file as they come).
READ_SIZE = 256 * 1024
# The largest hand-off message: a request head and the part of the body already read
# (one read by the server: 64 KiB), base64-encoded.
MESSAGE_SIZE = 1024 * 1024
# Below the chat's process: when both want a core, the chat gets it.
NICENESS = 10
# A client that sends nothing for this long is taken to have gone (Twisted's HTTP channel
# has the same idle timeout in the server).
IDLE_TIMEOUT = 60.0
# How long the rest of a refused body is read (and dropped) so the answer reaches the client.
LINGER_SECONDS = 10.0


def encode_handoff(scope: dict[str, Any], body: bytes) -> bytes:
    """The message that goes with a connection's socket: its ASGI scope and the part of
    the body the server has read already."""
    fields = {
        "method": scope["method"],
        "path": scope["path"],
        "query_string": scope["query_string"].decode("latin-1"),
        "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in scope["headers"]],
        "client": scope.get("client"),
        "server": scope.get("server"),
        "scheme": scope.get("scheme", "http"),
        "body": base64.b64encode(body).decode("ascii"),
    }
    return json.dumps(fields).encode()


def decode_handoff(message: bytes) -> tuple[dict[str, Any], bytes]:
    fields = json.loads(message)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": fields["method"],
        "path": fields["path"],
        "raw_path": fields["path"].encode("latin-1"),
        "root_path": "",
        "query_string": fields["query_string"].encode("latin-1"),
        "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in fields["headers"]],
        "client": fields["client"],
        "server": fields["server"],
        "scheme": fields["scheme"],
    }
    return scope, base64.b64decode(fields["body"])


class Exchange:
    """One handed-off request: ``receive`` and ``send`` for the endpoint, over the
    connection's socket."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        length: int,
        already: bytes,
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.remaining = length - len(already)
        self.already: bytes | None = already
        self.status = 500
        self.headers: list[tuple[bytes, bytes]] = []

    async def receive(self) -> dict[str, Any]:
        if self.already is not None:
            chunk, self.already = self.already, None
            return {"type": "http.request", "body": chunk, "more_body": self.remaining > 0}
        if self.remaining <= 0:
            # The endpoint reads no further than the body's end; asked again, the
            # client has nothing more to say until it goes.
            await self.reader.read()
            return {"type": "http.disconnect"}
        try:
            chunk = await asyncio.wait_for(
                self.reader.read(min(READ_SIZE, self.remaining)), IDLE_TIMEOUT
            )
        except TimeoutError:
            chunk = b""
        if not chunk:
            return {"type": "http.disconnect"}
        self.remaining -= len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": self.remaining > 0}

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = list(message.get("headers", []))
            return
        body = message.get("body", b"")
        reason = HTTPStatus(self.status).phrase
        head = [f"HTTP/1.1 {self.status} {reason}".encode("latin-1")]
        head += [name + b": " + value for name, value in self.headers]
        head += [f"Content-Length: {len(body)}".encode(), b"Connection: close"]
        self.writer.write(b"\r\n".join(head) + b"\r\n\r\n" + body)
        await self.writer.drain()


async def _linger(exchange: Exchange) -> None:
    """After an answer given before the whole body came (a refusal), read and drop the
    rest for a while before closing: closing with unread bytes would reset the
    connection, and the client could lose the answer to the reset."""
    exchange.writer.write_eof()
    try:
        async with asyncio.timeout(LINGER_SECONDS):
            while exchange.remaining > 0:
                chunk = await exchange.reader.read(min(READ_SIZE, exchange.remaining))
                if not chunk:
                    return
                exchange.remaining -= len(chunk)
    except TimeoutError:
        pass


async def serve_connection(scope: dict[str, Any], already: bytes, conn: socket.socket) -> None:
    from im.uploadapp import upload

    headers = dict(scope["headers"])
    length = int(headers.get(b"content-length", b"0"))
    reader, writer = await asyncio.open_connection(sock=conn, limit=READ_SIZE)
    exchange = Exchange(reader, writer, length, already)
    try:
        await upload(scope, exchange.receive, exchange.send)
        if exchange.remaining > 0:
            await _linger(exchange)
    except Exception:
        logger.exception("the handed-off upload failed")
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except OSError:
            pass


async def run(control: socket.socket) -> None:
    loop = asyncio.get_running_loop()
    control.setblocking(False)
    tasks: set[asyncio.Task[None]] = set()
    done = loop.create_future()

    def take() -> None:
        while True:
            try:
                message, fds, _flags, _addr = socket.recv_fds(control, MESSAGE_SIZE, 1)
            except BlockingIOError:
                return
            if not message:  # the server went away
                loop.remove_reader(control.fileno())
                if not done.done():
                    done.set_result(None)
                return
            if not fds:
                continue
            conn = socket.socket(fileno=fds[0])
            scope, already = decode_handoff(message)
            task = loop.create_task(serve_connection(scope, already, conn))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    loop.add_reader(control.fileno(), take)
    await done
    if tasks:  # the uploads in flight finish; nothing new comes
        await asyncio.gather(*tasks, return_exceptions=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fd", type=int, required=True, help="the Unix socket from the server")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatsite.settings")
    import django

    django.setup()
    os.nice(NICENESS)
    # Ctrl+C in a terminal reaches the whole process group: the server stops, and this
    # process ends when the server's socket closes, once its uploads are done.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    asyncio.run(run(socket.socket(fileno=args.fd)))


if __name__ == "__main__":
    main()
