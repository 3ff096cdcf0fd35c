"""daphne, as Hutong runs it: ``python -m chatsite.serve`` takes daphne's own arguments
(``-b 0.0.0.0 -p 8001 chatsite.asgi:application``) and starts the same server with these
changes. Pushes are written to WebSockets without the ASGI round trip and framed once for
all the connections they go to (``chatsite.directsend``; under plain daphne the adapters
send them through ASGI). autobahn's WebSocket protocol does not pretty-print what its
debug lines would show unless they are written (``quiet_autobahn_debug_formatting``).
The other three are about request bodies:

- The size of the pieces a body is handed to the application in. daphne receives a
  whole body before it starts the application, then queues all of it at once, in
  ``request_buffer_size`` pieces (8 KiB by default), in one run of the event loop: a
  20 MB upload is 2,560 pieces, ~20-40 ms in which the loop serves no one else, and
  Python overhead per piece again in the endpoint that takes them. In 256 KiB pieces the
  run is the copy alone; every other request fits in one piece either way.
- Bodies are read at a bounded pace when many arrive at once (``im.pacing``), so they
  leave room in each turn of the event loop for the chat.
- With the file system default, the uploads themselves go to another process: the
  upload worker (``chatsite.uploadworker``, started with the server), which gets each
  upload's connection once its head is read, so the bytes never cross the chat's
  process. Without a worker (it could not start, or died), uploads are taken here.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
from typing import Any

import txaio
from autobahn.websocket import protocol as autobahn_protocol
from daphne.cli import CommandLineInterface
from daphne.http_protocol import HTTPFactory, WebRequest
from daphne.server import Server  # installs the asyncio reactor, before anything uses one
from twisted.internet import reactor, tcp

from chatsite.directsend import EXTENSION, websocket_extension
from chatsite.uploadworker import MESSAGE_SIZE, encode_handoff
from im.pacing import PACER

logger = logging.getLogger(__name__)

REQUEST_BUFFER_SIZE = 256 * 1024
# Bodies up to this size are taken here: they are cheap, and Twisted reads 64 KiB at a
# time, so a larger one cannot have arrived whole with its head (see gotLength).
HANDOFF_MIN_LENGTH = 64 * 1024


class HutongRequest(WebRequest):
    """daphne's request: its body's reads counted against the turn's budget, or, for an
    upload, its connection handed to the upload worker."""

    _handing_off: bytearray | None = None

    def gotLength(self, length: int | None) -> None:
        """The head is in (Twisted calls this before any of the body)."""
        super().gotLength(length)
        worker = self.server.upload_worker
        if (
            worker is not None
            and length is not None
            and length > HANDOFF_MIN_LENGTH
            and worker.takes(self.channel._command, self.channel._path)
            and isinstance(self.channel.transport, tcp.Server)  # a plain socket, not TLS
            # Twisted answers "100 Continue" after this: the worker's answer must not
            # overtake it on the socket, so such a request (curl's, never a browser's)
            # stays here.
            and not self.requestHeaders.hasHeader(b"expect")
        ):
            # Read nothing more; what this read brought past the head is kept for the
            # worker, and the connection goes to it on the next turn.
            self._handing_off = bytearray()
            self.channel.transport.pauseProducing()
            reactor.callLater(0, self._hand_off, length)

    def handleContentChunk(self, data: bytes) -> None:
        if self._handing_off is not None:
            self._handing_off += data
            return
        super().handleContentChunk(data)
        PACER.read(len(data), self.channel.transport)

    def _hand_off(self, length: int) -> None:
        transport = self.channel.transport
        already, self._handing_off = bytes(self._handing_off or b""), None
        if transport.disconnected:
            return
        path, _, query = self.channel._path.partition(b"?")
        scope = {
            "method": self.channel._command.decode("latin-1"),
            "path": path.decode("latin-1"),
            "query_string": query,
            "headers": [
                (name.lower(), value)
                for name, values in self.requestHeaders.getAllRawHeaders()
                for value in values
            ],
            "client": [transport.getPeer().host, transport.getPeer().port],
            "server": [transport.getHost().host, transport.getHost().port],
        }
        if not self.server.upload_worker.send(encode_handoff(scope, already), transport.fileno()):
            # No worker: the body is read here after all, as any other.
            super().handleContentChunk(already)
            transport.resumeProducing()
            return
        # The worker has the socket now: close this process's copy of it without the
        # shutdown() that would end the connection for the worker too.
        transport._shouldShutdown = False
        transport.loseConnection()


class HutongHTTPFactory(HTTPFactory):
    def buildProtocol(self, addr: Any) -> Any:
        protocol = super().buildProtocol(addr)
        protocol.requestFactory = HutongRequest
        return protocol


class UploadWorker:
    """The upload worker process and the Unix socket connections are passed over."""

    def __init__(self, path: str) -> None:
        self.path = path  # the upload endpoint's path (im.storage.UPLOAD_PATH)
        self.socket: socket.socket | None = None
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        # A burst of uploads starting at once queues its hand-offs here, not in the loop.
        ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 * MESSAGE_SIZE)
        ours.settimeout(5)
        with theirs:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "chatsite.uploadworker", "--fd", str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
            )
        self.socket = ours

    def takes(self, method: bytes, uri: bytes) -> bool:
        return method == b"PUT" and uri.partition(b"?")[0].decode("latin-1") == self.path

    def send(self, message: bytes, fd: int) -> bool:
        """Pass the connection ``fd`` with ``message``; False if the worker is gone."""
        if self.socket is None:
            return False
        try:
            socket.send_fds(self.socket, [message], [fd])
        except OSError:
            logger.exception("the upload worker is gone: uploads are taken here from now on")
            self.socket.close()
            self.socket = None
            return False
        return True

    def stop(self) -> None:
        # Closing the socket tells the worker no more is coming; it finishes the uploads
        # it has and exits.
        if self.socket is not None:
            self.socket.close()
            self.socket = None
        if self.process is not None:
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


class HutongServer(Server):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("request_buffer_size", REQUEST_BUFFER_SIZE)
        super().__init__(*args, **kwargs)
        self.upload_worker: UploadWorker | None = None

    # daphne's run() makes its HTTP factory and listens with it at once; this is where
    # a subclass can have its own used instead.
    @property
    def http_factory(self) -> HTTPFactory:
        return self._http_factory

    @http_factory.setter
    def http_factory(self, factory: HTTPFactory) -> None:
        self._http_factory = HutongHTTPFactory(self)

    def create_application(self, protocol: Any, scope: dict[str, Any]) -> Any:
        if scope.get("type") == "websocket":
            scope.setdefault("extensions", {})[EXTENSION] = websocket_extension(protocol)
        return super().create_application(protocol, scope)

    def run(self) -> None:
        from im import storage  # Django is set up: the application is loaded

        if not storage.is_s3():
            self.upload_worker = UploadWorker(storage.UPLOAD_PATH)
            self.upload_worker.start()
            reactor.addSystemEventTrigger("after", "shutdown", self.upload_worker.stop)
        super().run()


def quiet_autobahn_debug_formatting() -> None:
    """autobahn's WebSocket protocol ``pformat``s its 29 options and its transport's
    details for two debug lines on every connection, before its logger drops them
    (~230 µs of a login's CPU here, the larger part of its handshake): unless debug
    lines are written (txaio's level, which daphne leaves at "info"), it gets ``repr``
    instead, ~17 µs. autobahn calls ``pformat`` nowhere else but to print timings."""
    if txaio.get_global_log_level() not in ("debug", "trace"):
        autobahn_protocol.pformat = repr


class HutongCommandLine(CommandLineInterface):
    server_class = HutongServer

    def run(self, args: list[str]) -> None:
        quiet_autobahn_debug_formatting()
        super().run(args)


if __name__ == "__main__":
    HutongCommandLine().run(sys.argv[1:])
