"""Start the HiAPI emulator CLI for benchmarks, tuned for load: Nagle off, a deep backlog.

The stock emulator (`langchain_hiapi.testing`) writes a reply's headers and body in two
`send` calls on a socket with Nagle's algorithm on: the body then waits for the client's
delayed ACK (40 ms on Linux), so every small reply costs ~44 ms on loopback and per-call
overheads of a millisecond disappear in the noise. The fix belongs in the emulator
(`disable_nagle_algorithm = True` on its request handler, or one write per reply); until
then this launcher sets it before running the unchanged CLI. Clients are unaffected:
httpcore already sets TCP_NODELAY on its own sockets.

The stock server also listens with socketserver's default backlog of 5: 64 clients
connecting at once overflow it and some connections are reset (httpx.ReadError). The
launcher raises it to 1024 (the emulator should set `request_queue_size` itself).
"""

from __future__ import annotations

import sys

from langchain_hiapi.testing import __main__ as cli
from langchain_hiapi.testing import _server

if __name__ == "__main__":
    handler = _server._Handler
    if not getattr(handler, "disable_nagle_algorithm", False):
        handler.disable_nagle_algorithm = True
    _server._Server.request_queue_size = max(_server._Server.request_queue_size, 1024)
    sys.exit(cli.main())
