"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps every message it accepts.

`refuse` holds addresses answered with a 550 at RCPT TO.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from types import TracebackType
from typing import Any, Self

from aiosmtpd.controller import Controller


@dataclass
class Received:
    to: list[str]
    message: EmailMessage


@dataclass
class SmtpServer:
    refuse: set[str] = field(default_factory=set)
    received: list[Received] = field(default_factory=list)
    hold_at: int | None = None  # the message with this number (1-based) waits for release()

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self.holding = threading.Event()
        self._released = threading.Event()
        self._data_seen = 0
        self.port = _free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def messages_to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [r.message for r in self.received if address in r.to]

    def count(self) -> int:
        with self._lock:
            return len(self.received)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self._data_seen += 1
            hold = self._data_seen == self.hold_at
        if hold:  # like a server stuck mid-DATA: the message is never accepted
            self.holding.set()
            while not self._released.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 try again later"
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.received.append(Received(list(envelope.rcpt_tos), message))
        return "250 Message accepted"

    def release(self) -> None:
        self._released.set()

    def __enter__(self) -> Self:
        self._controller.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
        self._controller.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
