"""daphne, as Hutong runs it: ``python -m chatsite.serve`` takes daphne's own arguments
(``-b 0.0.0.0 -p 8001 chatsite.asgi:application``) and starts the same server with one
change: the size of the pieces a request body is handed to the application in.

daphne receives a whole request body before it starts the application, then queues all
of it at once, in ``request_buffer_size`` pieces (8 KiB by default), in one run of the
event loop. A 20 MB upload is 2,560 pieces: ~20-40 ms in which the loop serves no one
else, and Python overhead per piece again in the upload endpoint (``im.uploadapp``)
that takes them. In 256 KiB pieces the run is the copy alone (a few ms for 20 MB); every
other request fits in one piece either way.
"""

from __future__ import annotations

import sys
from typing import Any

from daphne.cli import CommandLineInterface
from daphne.server import Server

REQUEST_BUFFER_SIZE = 256 * 1024


class HutongServer(Server):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("request_buffer_size", REQUEST_BUFFER_SIZE)
        super().__init__(*args, **kwargs)


class HutongCommandLine(CommandLineInterface):
    server_class = HutongServer


if __name__ == "__main__":
    HutongCommandLine().run(sys.argv[1:])
