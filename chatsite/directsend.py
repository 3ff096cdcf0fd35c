"""Pushes written straight to a WebSocket's socket, framed once however many get them.

Through ASGI, every ``websocket.send`` goes through daphne's reply coroutine and checks,
then autobahn's ``sendMessage``, which frames the message again for each socket, then
Twisted, which buffers it and registers the socket with the event loop's selector to
write it on the next turn, and unregisters it after: two ``epoll_ctl`` calls and a
selector-key copy per delivery. In a group fan-out that was over half of daphne's CPU
(bench/README.md, issue 18). So ``chatsite.serve`` puts a ``DirectSend`` in the scope of
each WebSocket connection (extension ``EXTENSION``), and the adapters write their pushes
through it when it is there:

- the frame is built once per payload object (autobahn's ``PreparedMessage``) and
  reused for every connection the same object goes to: a group push is one ``str`` for
  all of a process's members, and they are written one after another;
- it is written with one ``send()`` when nothing of the connection's waits in Twisted's
  buffer. What the socket does not take (a slow reader) goes to Twisted's buffer, as
  everything did before, and so does every frame after it while any is waiting: a
  connection's frames keep their order, and a slow client's backlog grows as it did
  (Twisted buffers without a bound, and daphne never waited for it);
- anything else (TLS, per-message compression, fragmentation, a message past the size
  limit) takes autobahn's own ``sendMessage``, as daphne would have.

A socket that is closing or closed gets nothing (autobahn raised ``Disconnected``, which
the fan-out caught and dropped).
"""

from __future__ import annotations

import sys
from typing import Any

from autobahn.websocket.protocol import PreparedMessage, WebSocketProtocol
from twisted.internet import tcp

# The scope key (``scope["extensions"]``) under which a connection's ``DirectSend`` is
# handed to the application: ``{"send": DirectSend}``.
EXTENSION = "hutong.direct_send"

_OPEN = WebSocketProtocol.STATE_OPEN


class _Frames:
    """The frames of the last few payloads, by the payload object's identity.

    A fan-out writes one payload to all its members before the next; a few entries
    cover a group whose members use different adapters (each has its own payload).
    """

    SIZE = 4

    def __init__(self) -> None:
        self._recent: list[tuple[str | bytes, bytes]] = []

    def frame(self, payload: str | bytes) -> bytes:
        for source, frame in self._recent:
            if source is payload:
                return frame
        binary = isinstance(payload, bytes)
        data = payload if binary else payload.encode("utf-8")
        # Server frames are not masked; compression is per connection (not used here).
        frame = PreparedMessage(data, binary, False, True).payloadHybi
        # Holding the payload keeps its identity from being reused by another object.
        self._recent.insert(0, (payload, frame))
        del self._recent[self.SIZE :]
        return frame


FRAMES = _Frames()


class DirectSend:
    """Write one message to one connection: text for a ``str``, binary for ``bytes``."""

    __slots__ = ("_limit", "_protocol", "_socket", "_transport")

    def __init__(self, protocol: WebSocketProtocol) -> None:
        self._protocol = protocol
        # Known at the first write, when the handshake (and so any compression) is done:
        # the transport whose socket this writes to, or False for autobahn's own path.
        self._transport: Any = None
        self._socket: Any = None
        self._limit = sys.maxsize

    def __call__(self, payload: str | bytes) -> None:
        protocol = self._protocol
        if protocol.state != _OPEN:
            return
        transport = self._transport
        if transport is None:
            transport = self._transport = self._direct_transport(protocol)
        frame = FRAMES.frame(payload)
        if (
            transport is False
            or protocol.send_queue  # autobahn's own paced writes (daphne makes none)
            or len(frame) > self._limit  # longer than its payload: autobahn decides
        ):
            # What daphne's serverSend does (it raises past the size limit, as before).
            binary = isinstance(payload, bytes)
            protocol.sendMessage(payload if binary else payload.encode("utf-8"), binary)
            return
        if (
            transport.offset == len(transport.dataBuffer)
            and not transport._tempDataBuffer
            and transport.connected
            and not transport.disconnecting
        ):
            try:
                sent = self._socket.send(frame)
            except OSError:
                # The socket is full, or the connection is lost: Twisted finds that out
                # when it writes the frame, and closes it its usual way.
                sent = 0
            if sent == len(frame):
                return
            frame = frame[sent:]
        transport.write(frame)

    def _direct_transport(self, protocol: WebSocketProtocol) -> Any:
        """The connection's transport if it is a TCP (or Unix) socket of Twisted's whose
        buffer this module knows how to read, and the connection frames messages whole
        and uncompressed; else False."""
        transport = protocol.transport
        if (
            not isinstance(transport, tcp.Connection)
            or getattr(transport, "TLS", False)
            or not all(
                hasattr(transport, name)
                for name in ("dataBuffer", "offset", "_tempDataBuffer", "socket")
            )
            or protocol._perMessageCompress is not None
            or protocol.autoFragmentSize > 0
        ):
            return False
        if protocol.maxMessagePayloadSize > 0:
            self._limit = protocol.maxMessagePayloadSize
        self._socket = transport.socket
        return transport


def websocket_extension(protocol: WebSocketProtocol) -> dict[str, Any]:
    """The scope extension that hands ``protocol``'s ``DirectSend`` to the application."""
    return {"send": DirectSend(protocol)}
