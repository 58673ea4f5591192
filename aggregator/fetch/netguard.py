"""Network guards for fetching: the SSRF check on every connected peer, and the deadline watchdog.

The peer check runs on the socket actually connected to (after DNS), so neither redirects nor
DNS rebinding can reach a private address while the guard is on. Through an environment proxy
(HTTP_PROXY/HTTPS_PROXY) the socket reaches the proxy, so the target is resolved and judged
before each request is handed to it (`check_proxied_target`).
"""

from __future__ import annotations

import ipaddress
import os
import socket
import threading
import time
import urllib.request
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
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # the well-known prefix: IPv4 in the last 32 bits

_allow_private: ContextVar[bool] = ContextVar("allow_private", default=False)
_watchdog: ContextVar[Watchdog | None] = ContextVar("watchdog", default=None)


class RefusedAddress(FetchError):
    """The host resolves to (or connected to) an address we must not reach."""


# --- the SSRF guard: check the peer address of every new connection ---


def forbidden_address(ip: str) -> bool:
    """Anything but a globally routable unicast address (`is_global` covers loopback, private,
    link-local, carrier-grade NAT and the special ranges); IPv6 forms that carry an IPv4
    address (mapped, 6to4, NAT64) are judged by that address."""
    address = _carried_ipv4(ipaddress.ip_address(ip.split("%", 1)[0]))
    return not address.is_global or address.is_multicast or address.is_reserved


def _carried_ipv4(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    if isinstance(address, ipaddress.IPv4Address):
        return address
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.ipv4_mapped or address.sixtofour or address


def _check_peer(sock: socket.socket, host: str) -> None:
    if _allow_private.get():
        return
    peer = sock.getpeername()[0]
    if forbidden_address(peer):
        sock.close()
        raise RefusedAddress(f"refused: {host} resolves to private address {peer}")


class Watchdog:
    """Shuts down the sockets of one fetch when its deadline passes, so a blocked read returns.

    One monitor thread serves every watchdog of the process: a timer thread per fetch cost
    more than the rest of a 304.
    """

    def __init__(self, seconds: float) -> None:
        self.fired = False
        self.seconds = seconds
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def watch(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
            fired = self.fired
        if fired:
            _shut(sock)

    def fire(self) -> None:
        with self._lock:
            self.fired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)

    def __enter__(self) -> Watchdog:
        self._token = _watchdog.set(self)
        _MONITOR.add(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        _MONITOR.discard(self)
        _watchdog.reset(self._token)


class _DeadlineMonitor:
    """A daemon thread firing each registered watchdog whose deadline has passed."""

    def __init__(self) -> None:
        self._deadlines: dict[Watchdog, float] = {}
        self._wakeup = threading.Condition()
        self._thread: threading.Thread | None = None
        self._next_wake = 0.0  # when the monitor will wake up by itself; 0 when awake

    def add(self, watchdog: Watchdog) -> None:
        deadline = time.monotonic() + watchdog.seconds
        with self._wakeup:
            self._deadlines[watchdog] = deadline
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="fetch-deadlines")
                self._thread.daemon = True
                self._thread.start()
            if deadline < self._next_wake:  # else the monitor wakes up in time anyway
                self._wakeup.notify()

    def discard(self, watchdog: Watchdog) -> None:
        with self._wakeup:
            self._deadlines.pop(watchdog, None)

    def _run(self) -> None:
        while True:
            with self._wakeup:
                now = time.monotonic()
                due = [w for w, deadline in self._deadlines.items() if deadline <= now]
                for watchdog in due:
                    del self._deadlines[watchdog]
                if not due:
                    self._next_wake = min(self._deadlines.values(), default=now + 60.0)
                    self._wakeup.wait(self._next_wake - now)
                    self._next_wake = 0.0
            for watchdog in due:
                watchdog.fire()


_MONITOR = _DeadlineMonitor()


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
    _read_environment_once(session)
    return session


def _read_environment_once(session: requests.Session) -> None:
    """requests re-reads proxies and CA bundle from os.environ on every request (a fifth of a
    304's cost). The CA bundle is read here, once (fetch sends through the adapter, which
    would not read it); without proxy variables, so is everything else."""
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle
    if urllib.request.getproxies():
        return  # proxies and NO_PROXY are decided per URL: leave that to requests
    session.trust_env = False


@contextmanager
def guard(allow_private: bool) -> Iterator[None]:
    """While active, new connections of guarded sessions refuse private peers unless allowed."""
    token = _allow_private.set(allow_private)
    try:
        yield
    finally:
        _allow_private.reset(token)


def check_proxied_target(url: str) -> None:
    """Behind a proxy the connected peer is the proxy: resolve the target host here and refuse
    it when any of its addresses is private (unless allowed). The proxy resolves the name again,
    so a name whose DNS answer changes in between can still slip through; `NO_PROXY` targets are
    connected to directly and checked on their socket."""
    if _allow_private.get():
        return
    host = urlsplit(url).hostname or ""
    try:
        found = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise FetchError(f"cannot resolve {host} to check it before the proxy: {exc}") from exc
    for *_, sockaddr in found:
        if forbidden_address(str(sockaddr[0])):
            raise RefusedAddress(f"refused: {host} resolves to private address {sockaddr[0]}")


def check_literal_host(url: str, allow_private: bool) -> None:
    """Refuse IP-literal hosts early; hostnames are checked on the connected socket."""
    if allow_private:
        return
    host = urlsplit(url).hostname or ""
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
