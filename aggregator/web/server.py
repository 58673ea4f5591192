"""Running the WSGI app under waitress, in the foreground or in a thread that can be stopped."""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from types import FrameType
from typing import Any
from wsgiref.types import WSGIApplication

import waitress
from waitress import wasyncore

from aggregator.web.proxy import ProxyTrust
from aggregator.web.strict import use_strict_channels

log = logging.getLogger(__name__)
CLOSE_TIMEOUT = 10.0


class WebServer:
    """A waitress server, bound at once; `run()` blocks, `close()` stops it from any thread."""

    def __init__(
        self,
        app: WSGIApplication,
        host: str,
        port: int,
        *,
        threads: int = 8,
        proxy: ProxyTrust | None = None,
    ) -> None:
        options = proxy.waitress_options() if proxy is not None else {}
        self._server: Any = waitress.create_server(
            app, host=host, port=port, threads=threads, **options
        )
        use_strict_channels(self._server)
        self._running = threading.Event()
        self._finished = threading.Event()
        self._closed = False
        self._lock = threading.Lock()

    @property
    def host(self) -> str:
        return str(self._server.effective_host)

    @property
    def port(self) -> int:
        return int(self._server.effective_port)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def run(self) -> None:
        self._running.set()
        try:
            self._server.run()
        except Exception:
            if not self._closed:
                raise  # a loop that trips over sockets closed from another thread is expected
        finally:
            self._finished.set()

    def close(self) -> None:
        """Stop accepting, let running requests finish, and return once `run()` has returned."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._server.task_dispatcher.shutdown()
        if self._running.is_set() and not self._finished.is_set():
            # Sockets belong to the loop thread: close them there, then wait for it to exit.
            try:
                self._server.trigger.pull_trigger(self._close_sockets)
            except OSError as exc:  # its wake-up pipe is gone: close from here instead
                log.warning("web server wake-up failed (%s); closing its sockets directly", exc)
                self._close_sockets()
            if not self._finished.wait(CLOSE_TIMEOUT):
                log.warning("web server loop did not stop within %.0fs", CLOSE_TIMEOUT)
        else:
            self._close_sockets()

    def _close_sockets(self) -> None:
        dispatchers = list(self._server._map.values())
        wasyncore.close_all(self._server._map, ignore_all=True)
        for dispatcher in dispatchers:  # one whose close failed part-way still holds its socket
            sock = getattr(dispatcher, "socket", None)
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.close()


def make_server(
    app: WSGIApplication,
    host: str,
    port: int,
    *,
    threads: int = 8,
    proxy: ProxyTrust | None = None,
) -> WebServer:
    """A bound (port 0: any free port) server, not yet running: `.run()` it, later `.close()`.
    With `proxy`, requests from that proxy are taken as its clients' (see web.proxy)."""
    return WebServer(app, host, port, threads=threads, proxy=proxy)


def serve(
    app: WSGIApplication,
    host: str = "127.0.0.1",
    port: int = 8080,
    *,
    threads: int = 8,
    proxy: ProxyTrust | None = None,
) -> None:
    """Serve in the foreground until Ctrl-C or SIGTERM."""
    server = make_server(app, host, port, threads=threads, proxy=proxy)
    _stop_on_sigterm()
    log.info("serving %s", server.url)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


def _stop_on_sigterm() -> None:
    if threading.current_thread() is not threading.main_thread():
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)
