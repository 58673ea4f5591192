"""Routes and the per-request `Page` handed to every view."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jinja2 import Environment

from aggregator.admin.auth import Session, Signer
from aggregator.admin.console import Console
from aggregator.admin.http import BadRequest, Request, Response, redirect
from aggregator.admin.signin import SignInGuard

FLASH_SECONDS = 120


@dataclass
class Page:
    request: Request
    console: Console
    signer: Signer
    templates: Environment
    signin: SignInGuard
    session: Session | None
    user: str | None
    params: dict[str, str] = field(default_factory=dict)
    new_session: Session | None = None  # set when the view starts a session (sign-in)

    @property
    def actor(self) -> str:
        return f"admin:{self.user}"

    def start_session(self, user: str) -> None:
        """A fresh signed-in session (and CSRF token) for this browser, kept in the store."""
        session = Session.new(user, self.console.clock())
        assert session.key is not None
        self.console.storage.start_session(session.key, user, self.console.clock())
        self.new_session = session

    def end_session(self) -> None:
        """Sign-out: the stored session ends, so a copy of the cookie is worthless too."""
        if self.session is not None and self.session.key is not None:
            self.console.storage.end_session(self.session.key)
        self.new_session = Session.new(None, self.console.clock())

    def render(self, template: str, status: int = 200, **context: Any) -> Response:
        session = self.new_session or self.session
        body = self.templates.get_template(template).render(
            url=self.request.url,
            user=self.user,
            csrf=session.csrf if session else "",
            flash=self._flash(),
            **context,
        )
        return Response(status, body.encode("utf-8"))

    def done(self, path: str, message: str, **query: str) -> Response:
        """Post/Redirect/Get, carrying a signed message so a link cannot forge one."""
        flash = self.signer.sign({"m": message, "e": self.console.clock() + FLASH_SECONDS})
        return redirect(self.request.url(path, **query, flash=flash))

    def _flash(self) -> str | None:
        token = self.request.query.get("flash", "")
        if not token.isascii():
            raise BadRequest("the flash token is not ASCII")
        payload = self.signer.unsign(token)
        if payload is None:
            return None
        message, expires = payload.get("m"), payload.get("e")
        fresh = isinstance(expires, int | float) and expires > self.console.clock()
        return message if isinstance(message, str) and fresh else None


View = Callable[[Page], Response]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str  # e.g. "/sources/{source_id}/edit"
    view: View
    public: bool = False

    @property
    def regex(self) -> re.Pattern[str]:
        return _compile(self.pattern)

    def example_path(self) -> str:
        """A concrete path for this route (tests use it to knock on every door)."""
        return re.sub(
            r"\{(\w+)\}", lambda m: "1" if m.group(1).endswith("id") else "x", self.pattern
        )


def _compile(pattern: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", pattern)
    regex = "".join(
        f"(?P<{part}>[^/]+)" if i % 2 else re.escape(part) for i, part in enumerate(parts)
    )
    return re.compile(f"^{regex}$")


def match(routes: list[Route], method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
    """(route, path parameters, path known for another method)."""
    path_known = False
    for route in routes:
        found = route.regex.match(path)
        if found is None:
            continue
        if route.method == method or (method == "HEAD" and route.method == "GET"):
            return route, found.groupdict(), True
        path_known = True
    return None, {}, path_known
