"""Sign-in, sign-out and changing one's password."""

from __future__ import annotations

import logging

from aggregator.admin.auth import hash_password, needs_rehash, password_problem, verify_password
from aggregator.admin.http import Response, redirect
from aggregator.admin.routing import Page, Route
from aggregator.admin.signin import (
    DEVICE_SECONDS,
    Attempt,
    Verdict,
    device_cookie,
    known_device,
)
from aggregator.clock import utcnow

log = logging.getLogger(__name__)
DEVICE_COOKIE = "sgf_device"  # this browser has signed in as the name inside (admin/signin.py)


def safe_next(page: Page, target: str | None) -> str:
    """Only ever redirect inside the console after sign-in (no open redirect), to a path that
    can go into a Location header as it is (printable ASCII)."""
    root = page.request.root
    if not target:
        return page.request.url("/sources")
    printable = target.isascii() and target.isprintable() and "\\" not in target
    if printable and target.startswith(root + "/") and not target.startswith("//"):
        return target
    log.warning("ignored next=%r: not a console path", target[:200])
    return page.request.url("/sources")


def login_form(page: Page) -> Response:
    if page.user is not None:
        return redirect(safe_next(page, page.request.query.get("next")))
    return page.render("login.html", next=page.request.query.get("next", ""), error=None)


REFUSALS = {
    Verdict.WRONG: (403, "Wrong name or password."),
    Verdict.BLOCKED: (429, "Too many sign-in attempts. Wait a few minutes and try again."),
    Verdict.BUSY: (503, "Too many sign-ins at this moment. Try again in a few seconds."),
    Verdict.SLOWED: (429, "Many sign-ins for this name failed lately. Try again in a few seconds."),
}


def login(page: Page) -> Response:
    form = page.request.form
    name, password = form.get("name", "").strip(), form.get("password", "")
    storage, now = page.console.storage, page.console.clock()
    device = known_device(page.signer, page.request.cookies.get(DEVICE_COOKIE), name, now)
    attempt = Attempt(name, password, page.request.address, device)
    verdict, user = page.signin.check(storage, attempt, now)
    if verdict is not Verdict.OK or user is None:
        status, message = REFUSALS.get(verdict, REFUSALS[Verdict.WRONG])
        return page.render("login.html", status, next=form.get("next", ""), error=message)
    rehashed = hash_password(password) if needs_rehash(user.password_hash) else None
    page.console.storage.set_user_login(name, at=utcnow(), password_hash=rehashed)
    # A fresh session (and CSRF token) on sign-in: a token planted before cannot be reused.
    page.start_session(user.name)
    response = redirect(safe_next(page, form.get("next")))
    response.set_cookie(
        DEVICE_COOKIE,
        device_cookie(page.signer, user.name, now),
        path=page.request.root or "/",
        secure=page.request.is_https,
        max_age=int(DEVICE_SECONDS),
    )
    return response


def logout(page: Page) -> Response:
    page.end_session()
    return redirect(page.request.url("/login"))


def password_form(page: Page) -> Response:
    return page.render("password.html", error=None)


def change_password(page: Page) -> Response:
    """A new password ends every session of the user; this browser gets a fresh one."""
    form, user = page.request.form, page.user
    assert user is not None
    stored = page.console.storage.user(user)
    problem = password_problem(form.get("new", ""))
    if stored is None or not verify_password(stored.password_hash, form.get("current", "")):
        problem = "The current password is wrong."
    elif form.get("new") != form.get("again"):
        problem = "The new passwords differ."
    if problem is not None:
        return page.render("password.html", 400, error=problem)
    page.console.storage.set_password(user, hash_password(form["new"]))
    page.start_session(user)
    return page.done("/sources", "Password changed; every other session of yours has ended.")


def home(page: Page) -> Response:
    return redirect(page.request.url("/sources"))


ROUTES = [
    Route("GET", "/login", login_form, public=True),
    Route("POST", "/login", login, public=True),
    Route("POST", "/logout", logout),
    Route("GET", "/password", password_form),
    Route("POST", "/password", change_password),
    Route("GET", "/", home),
]
