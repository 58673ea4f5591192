"""Network guards for fetching: the SSRF check on every connected peer, and the deadline watchdog.

The peer check runs on the socket actually connected to (after DNS), so neither redirects nor
DNS rebinding can reach a private address while the guard is on.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3.response
from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool, PoolManager
from urllib3.connection import HTTPConnection, HTTPSConnection

from aggregator.errors import FetchError

POOL_SIZE = 32

_allow_private: ContextVar[bool] = ContextVar("allow_private", default=False)
_watchdog: ContextVar[Watchdog | None] = ContextVar("watchdog", default=None)


class RefusedAddress(FetchError):
    """The host resolves to (or connected to) an address we must not reach."""


# --- the SSRF guard: check the peer address of every new connection ---


def forbidden_address(ip: str) -> bool:
    address = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return bool(
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def _check_peer(sock: socket.socket, host: str) -> None:
    if _allow_private.get():
        return
    peer = sock.getpeername()[0]
    if forbidden_address(peer):
        sock.close()
        raise RefusedAddress(f"refused: {host} resolves to private address {peer}")


class Watchdog:
    """Shuts down the sockets of one fetch when its deadline passes, so a blocked read returns."""

    def __init__(self, seconds: float) -> None:
        self.fired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def watch(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
            fired = self.fired
        if fired:
            _shut(sock)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)

    def __enter__(self) -> Watchdog:
        self._token = _watchdog.set(self)
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()
        _watchdog.reset(self._token)


def _shut(sock: socket.socket) -> None:
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _watch(sock: socket.socket | None) -> None:
    watchdog = _watchdog.get()
    if watchdog is not None:
        watchdog.watch(sock)


class _GuardedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _check_peer(sock, self.host)
        return sock

    def getresponse(self) -> urllib3.response.HTTPResponse:  # type: ignore[override]
        _watch(self.sock)  # new or reused, this socket now waits on the server
        return super().getresponse()


class _GuardedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _check_peer(sock, self.host)
        return sock

    def getresponse(self) -> urllib3.response.HTTPResponse:  # type: ignore[override]
        _watch(self.sock)
        return super().getresponse()


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class GuardedAdapter(HTTPAdapter):
    """An HTTPAdapter whose connections refuse private peers while the guard is on."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        manager: PoolManager = self.poolmanager
        manager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}


def new_session() -> requests.Session:
    """A session whose connection pools suit concurrent polling and carry the SSRF guard."""
    session = requests.Session()
    adapter = GuardedAdapter(pool_connections=POOL_SIZE, pool_maxsize=POOL_SIZE, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


@contextmanager
def guard(allow_private: bool) -> Iterator[None]:
    """While active, new connections of guarded sessions refuse private peers unless allowed."""
    token = _allow_private.set(allow_private)
    try:
        yield
    finally:
        _allow_private.reset(token)


def check_literal_host(url: str, allow_private: bool) -> None:
    """Refuse IP-literal hosts early; hostnames are checked on the connected socket."""
    host = urlsplit(url).hostname or ""
    if allow_private:
        return
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        return
    if forbidden_address(str(literal)):
        raise RefusedAddress(f"refused: {host} resolves to private address {literal}")


def deadline_passed() -> bool:
    """True when the current fetch's watchdog has fired (its socket shutdown reads as EOF)."""
    watchdog = _watchdog.get()
    return watchdog is not None and watchdog.fired
