"""Sign-in and sign-out."""

from __future__ import annotations

from aggregator.admin.auth import Session, hash_password, needs_rehash, verify_password
from aggregator.admin.http import Response, redirect
from aggregator.admin.routing import Page, Route
from aggregator.clock import utcnow


def safe_next(page: Page, target: str | None) -> str:
    """Only ever redirect inside the console after sign-in (no open redirect)."""
    root = page.request.root
    if target and target.startswith(root + "/") and not target.startswith("//"):
        return target
    return page.request.url("/sources")


def login_form(page: Page) -> Response:
    if page.user is not None:
        return redirect(safe_next(page, page.request.query.get("next")))
    return page.render("login.html", next=page.request.query.get("next", ""), error=None)


def login(page: Page) -> Response:
    form = page.request.form
    name, password = form.get("name", "").strip(), form.get("password", "")
    address = page.request.address
    limiter = page.limiter
    if limiter.blocked(name, address):
        message = "Too many failed attempts. Wait a few minutes and try again."
        return page.render("login.html", 429, next=form.get("next", ""), error=message)
    user = page.console.storage.user(name) if name else None
    if not verify_password(user.password_hash if user else None, password):
        limiter.failed(name, address)
        message = "Wrong name or password."
        return page.render("login.html", 403, next=form.get("next", ""), error=message)
    assert user is not None
    limiter.succeeded(name, address)
    rehashed = hash_password(password) if needs_rehash(user.password_hash) else None
    page.console.storage.set_user_login(name, at=utcnow(), password_hash=rehashed)
    # A fresh session (and CSRF token) on sign-in: a token planted before cannot be reused.
    page.new_session = Session.new(user.name, page.console.clock())
    return redirect(safe_next(page, form.get("next")))


def logout(page: Page) -> Response:
    page.new_session = Session.new(None, page.console.clock())
    return redirect(page.request.url("/login"))


def home(page: Page) -> Response:
    return redirect(page.request.url("/sources"))


ROUTES = [
    Route("GET", "/login", login_form, public=True),
    Route("POST", "/login", login, public=True),
    Route("POST", "/logout", logout),
    Route("GET", "/", home),
]
