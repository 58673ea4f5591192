"""waitress's request parser, stricter on one point (RFC 9112 section 6.1): a request with both
Transfer-Encoding and Content-Length may be an attempt to smuggle a second request past a proxy
that reads the other header, so the connection closes once it is answered."""

from __future__ import annotations

from typing import Any

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser


class StrictParser(HTTPRequestParser):  # type: ignore[misc]
    def parse_header(self, header_plus: bytes) -> None:
        super().parse_header(header_plus)
        # waitress dropped Transfer-Encoding and set `chunked`; Content-Length is the client's.
        if self.chunked and "CONTENT_LENGTH" in self.headers:
            self.headers["CONNECTION"] = "close"
            self.connection_close = True


class StrictChannel(HTTPChannel):  # type: ignore[misc]
    parser_class = StrictParser


def use_strict_channels(server: Any) -> None:
    """Make a waitress server (one listening socket, or several) parse with StrictParser."""
    for listener in [server, *getattr(server, "map", {}).values()]:
        if hasattr(listener, "channel_class"):
            listener.channel_class = StrictChannel
