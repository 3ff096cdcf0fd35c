"""daphne, as Hutong runs it: ``python -m chatsite.serve`` takes daphne's own arguments
(``-b 0.0.0.0 -p 8001 chatsite.asgi:application``) and starts the same server with one
change: the size of the pieces a request body is handed to the application in.

daphne receives a whole request body before it starts the application, then queues all
of it at once, in ``request_buffer_size`` pieces (8 KiB by default), in one run of the
event loop. A 20 MB upload is 2,560 pieces: ~20-40 ms in which the loop serves no one
else, and Python overhead per piece again in the upload endpoint (``im.uploadapp``)
that takes them. In 256 KiB pieces the run is the copy alone (a few ms for 20 MB); every
other request fits in one piece either way.

And one addition: bodies are read at a bounded pace when many arrive at once
(``im.pacing``), so uploads leave room in each turn of the event loop for the chat.
"""

from __future__ import annotations

import sys
from typing import Any

from daphne.cli import CommandLineInterface
from daphne.http_protocol import HTTPFactory, WebRequest
from daphne.server import Server

from im.pacing import PACER

REQUEST_BUFFER_SIZE = 256 * 1024


class PacedRequest(WebRequest):
    """daphne's request, its body's reads counted against the turn's budget."""

    def handleContentChunk(self, data: bytes) -> None:
        super().handleContentChunk(data)
        PACER.read(len(data), self.channel.transport)


class PacedHTTPFactory(HTTPFactory):
    def buildProtocol(self, addr: Any) -> Any:
        protocol = super().buildProtocol(addr)
        protocol.requestFactory = PacedRequest
        return protocol


class HutongServer(Server):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("request_buffer_size", REQUEST_BUFFER_SIZE)
        super().__init__(*args, **kwargs)

    # daphne's run() makes its HTTP factory and listens with it at once; this is where
    # a subclass can have its own used instead.
    @property
    def http_factory(self) -> HTTPFactory:
        return self._http_factory

    @http_factory.setter
    def http_factory(self, factory: HTTPFactory) -> None:
        self._http_factory = PacedHTTPFactory(self)


class HutongCommandLine(CommandLineInterface):
    server_class = HutongServer


if __name__ == "__main__":
    HutongCommandLine().run(sys.argv[1:])
