"""The one local test server: a threaded HTTP(S) server on 127.0.0.1, on a port the OS picks.

Subclasses answer in `handle(request)`; a plain `LocalServer(handle)` answers with a function.
`with server:` starts it in a thread and stops it after; every request is served in a thread of
its own, and a client hanging up half-way is not an error.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable
from contextlib import suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self

Handle = Callable[[BaseHTTPRequestHandler], None]
HUNG_UP = (BrokenPipeError, ConnectionResetError, ssl.SSLError)


class LocalServer:
    def __init__(self, handle: Handle | None = None, tls: ssl.SSLContext | None = None) -> None:
        self._handle = handle
        self.serve(tls)

    def serve(self, tls: ssl.SSLContext | None = None) -> None:
        """Bind the socket (a dataclass subclass calls this from __post_init__)."""
        self._lock = threading.Lock()
        self._tls = tls
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        if tls is not None:
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        assert self._handle is not None, "give a handle function or override handle()"
        self._handle(request)

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base(self) -> str:
        return f"{'https' if self._tls else 'http'}://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def start(self) -> Self:
        self._thread.start()
        return self

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                with suppress(*HUNG_UP):
                    server.handle(self)

            def do_POST(self) -> None:
                with suppress(*HUNG_UP):
                    server.handle(self)

        return Handler
