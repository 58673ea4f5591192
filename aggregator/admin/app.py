"""The admin console WSGI app: sessions, CSRF and sign-in checks in front of every view."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import cached_property
from wsgiref.types import StartResponse, WSGIEnvironment

from jinja2 import Environment, PackageLoader, select_autoescape

from aggregator.admin import views_alerts, views_auth, views_feeds, views_items, views_sources
from aggregator.admin.auth import (
    SESSION_LIMITS,
    SESSION_SECRET_NAME,
    Session,
    Signer,
    csrf_ok,
    new_secret,
)
from aggregator.admin.console import Console
from aggregator.admin.http import BadRequest, FormTooLarge, Request, Response, redirect, text
from aggregator.admin.routing import Page, Route, match
from aggregator.admin.shown import shown
from aggregator.admin.signin import SignInGuard

log = logging.getLogger(__name__)
SESSION_COOKIE = "sgf_session"
ROUTES: list[Route] = [
    *views_auth.ROUTES,
    *views_sources.ROUTES,
    *views_items.ROUTES,
    *views_feeds.ROUTES,
    *views_alerts.ROUTES,
]


class AdminApp:
    def __init__(self, console: Console, *, signin: SignInGuard | None = None) -> None:
        self.console = console
        self.signin = signin or SignInGuard()
        self.routes = ROUTES
        self.templates = Environment(
            loader=PackageLoader("aggregator", "templates/admin"),
            autoescape=select_autoescape(default=True),
        )
        self.templates.filters["shown"] = shown

    @cached_property
    def signer(self) -> Signer:
        key = self.console.storage.secret(SESSION_SECRET_NAME, new_secret)
        return Signer(key.encode("utf-8"))

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        try:
            response = self.handle(request)
        except FormTooLarge:
            response = text(413, "form too large\n")
        except BadRequest as exc:
            log.warning("bad request path=%r: %s", request.path[:200], exc)
            response = text(400, f"bad request: {exc}\n")
        except Exception:
            log.exception("admin request failed path=%s", request.path)
            response = text(500, "internal error\n")
        if request.method == "HEAD":
            response.body = b""
        return response.send(start_response)

    def handle(self, request: Request) -> Response:
        route, params, path_known = match(self.routes, request.method, request.path)
        if route is None:
            return text(405, "method not allowed\n") if path_known else text(404, "not found\n")
        session = self.signer.read_session(
            request.cookies.get(SESSION_COOKIE), self.console.clock()
        )
        user = self._signed_in_user(session)
        if not route.public and user is None:
            if request.method in ("GET", "HEAD"):
                return redirect(request.url("/login", next=request.root + request.path))
            return text(403, "sign in first\n")
        if request.method == "POST" and not csrf_ok(session, request.form.get("csrf")):
            return text(403, "missing or wrong CSRF token: reload the page and try again\n")
        page = Page(
            request, self.console, self.signer, self.templates, self.signin, session, user, params
        )
        if session is None:
            page.new_session = Session.new(None, self.console.clock())
        response = route.view(page)
        if page.new_session is not None:
            self._set_session(request, response, page.new_session)
        return response

    def _signed_in_user(self, session: Session | None) -> str | None:
        if session is None or session.key is None:
            return None
        now = self.console.clock()
        user = self.console.storage.session_user(session.key, now, SESSION_LIMITS)
        return user if user == session.user else None

    def _set_session(self, request: Request, response: Response, session: Session) -> None:
        lifetime = max(0, int(session.expires - self.console.clock()))
        response.set_cookie(
            SESSION_COOKIE,
            self.signer.session_cookie(session),
            path=request.root or "/",
            secure=request.is_https,
            max_age=lifetime,
        )
