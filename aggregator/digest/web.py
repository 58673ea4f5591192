"""The public /subscribe pages: a form (CSRF-protected, rate-limited per client and per
address), the confirmation link that alone stores a subscription, and the one-click
/unsubscribe (RFC 8058: a POST to the List-Unsubscribe URL, no sign-in, no cookie)."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from urllib.parse import parse_qs, quote
from wsgiref.types import StartResponse, WSGIEnvironment

from aggregator.admin.http import MAX_FIELDS, MAX_FORM_BYTES, Request, Response
from aggregator.clock import utcnow
from aggregator.config.notify import is_address
from aggregator.config.types import Config
from aggregator.digest import tokens
from aggregator.digest.periods import FREQUENCIES
from aggregator.digest.send import link_key
from aggregator.errors import AggregatorError
from aggregator.notify.mail import Mail, SmtpServer
from aggregator.store import Storage

log = logging.getLogger(__name__)

COOKIE = "sgf_subscribe"
FORM_SECONDS = 3600
PER_CLIENT_HOUR = 10  # subscribe requests from one client address in a clock hour
PER_ADDRESS_DAY = 3  # confirmation emails to one address in a UTC day


@dataclass
class SubscribeApp:
    storage: Storage
    config: Callable[[], Config]
    send_mail: Callable[[Mail], None] | None = None  # default: SMTP from [settings]
    clock: Callable[[], float] = time.time

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        path = request.root + request.path.rstrip("/")
        try:
            response = self.route(request, path)
        except AggregatorError as exc:
            log.warning("subscribe page failed: %s", exc)
            response = page(503, "Please try again later", "<p>Something went wrong.</p>")
        return response.send(start_response)

    def route(self, request: Request, path: str) -> Response:
        post = request.method == "POST"
        if path == "/subscribe":
            return self.submit(request) if post else self.form(request)
        if path == "/subscribe/confirm":
            return self.confirm(request, post)
        if path == "/unsubscribe":
            return self.unsubscribe(request, post)
        return page(404, "Not found", "<p>No such page.</p>")

    def key(self) -> bytes:
        return link_key(self.storage)

    def form(self, request: Request, status: int = 200, problem: str = "") -> Response:
        nonce = secrets.token_urlsafe(16)
        csrf = tokens.sign(self.key(), {"n": nonce, "e": int(self.clock() + FORM_SECONDS)})
        body = form_html(self.config(), csrf, problem)
        response = page(status, "Subscribe to the digest", body)
        response.set_cookie(COOKIE, nonce, path="/subscribe", secure=request.is_https)
        return response

    def submit(self, request: Request) -> Response:
        fields = read_form(request)
        if not self.csrf_ok(request, first(fields, "csrf")):
            return page(403, "Form expired", "<p>The form expired: please load it again.</p>")
        config = self.config()
        email = first(fields, "email").strip()
        feed_ids = {feed.id for feed in config.feeds}
        feeds = tuple(f for f in fields.get("feeds", []) if f in feed_ids)
        frequency = first(fields, "frequency")
        if not is_address(email) or not feeds or frequency not in FREQUENCIES:
            return self.form(request, 400, "Give an email address, a feed and how often.")
        if self.limited(request.address, email):
            return page(429, "Too many requests", "<p>Too many requests: try again later.</p>")
        self.send_confirmation(config, tokens.Request(email, feeds, frequency))
        return page(200, "Check your inbox", f"<p>We sent a link to {escape(email)}.</p>")

    def confirm(self, request: Request, post: bool) -> Response:
        token = request.query.get("t", "")
        wanted = tokens.read_confirm(self.key(), token, self.clock())
        if wanted is None:
            return page(400, "Link expired", "<p>This link is not valid any more.</p>")
        if not post:
            return button_page("Confirm your subscription", f"/subscribe/confirm?t={quote(token)}")
        self.storage.subscribe(wanted.email, wanted.feeds, wanted.frequency, now=utcnow())
        return page(200, "Subscribed", f"<p>{escape(wanted.email)} gets the digest.</p>")

    def unsubscribe(self, request: Request, post: bool) -> Response:
        token = request.query.get("t", "")
        found = tokens.read_unsubscribe(self.key(), token)
        if found is None:
            return page(400, "Link not valid", "<p>This link is not valid.</p>")
        if not post:
            return button_page("Unsubscribe", f"/unsubscribe?t={quote(token)}")
        self.storage.unsubscribe(*found)
        return page(200, "Unsubscribed", "<p>The address is deleted; nothing more is sent.</p>")

    def csrf_ok(self, request: Request, token: str) -> bool:
        payload = tokens.unsign(self.key(), token)
        nonce = request.cookies.get(COOKIE, "")
        if payload is None or not nonce or payload.get("n") != nonce:
            return False
        expires = payload.get("e")
        return isinstance(expires, int) and expires > self.clock()

    def limited(self, client: str, email: str) -> bool:
        now = datetime.fromtimestamp(self.clock(), UTC)
        hour = now.replace(minute=0, second=0, microsecond=0)
        if self.storage.count_request(f"client {client}", hour) > PER_CLIENT_HOUR:
            return True
        day = hour.replace(hour=0)
        return self.storage.count_request(f"address {email.lower()}", day) > PER_ADDRESS_DAY

    def send_confirmation(self, config: Config, wanted: tokens.Request) -> None:
        token = tokens.confirm_token(self.key(), wanted, self.clock())
        link = f"{config.settings.site_url.rstrip('/')}/subscribe/confirm?t={quote(token)}"
        text = (
            f"Someone (we hope you) asked for a {wanted.frequency} digest of new safeguarding "
            f"items to be sent to this address.\n\nTo confirm, open:\n{link}\n\n"
            "The link works for 7 days. If it was not you, ignore this email: nothing is stored.\n"
        )
        mail = Mail(wanted.email, "Confirm your safeguarding digest", text)
        if self.send_mail is not None:
            self.send_mail(mail)
        elif config.settings.smtp_url and config.settings.smtp_from:
            SmtpServer(config.settings.smtp_url, config.settings.smtp_from).send(mail)
        else:
            raise AggregatorError("smtp_url and smtp_from are not set in [settings]")


def read_form(request: Request) -> dict[str, list[str]]:
    try:
        length = int(request.environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = request.environ["wsgi.input"].read(min(length, MAX_FORM_BYTES)) if length > 0 else b""
    try:
        return parse_qs(body.decode("utf-8", "replace"), max_num_fields=MAX_FIELDS)
    except ValueError:
        return {}


def first(fields: dict[str, list[str]], name: str) -> str:
    return (fields.get(name) or [""])[0]


def form_html(config: Config, csrf: str, problem: str) -> str:
    boxes = "".join(
        f'<label><input type="checkbox" name="feeds" value="{escape(feed.id)}"> '
        f"{escape(feed.title)}</label><br>"
        for feed in config.feeds
    )
    often = "".join(
        f'<label><input type="radio" name="frequency" value="{f}"{" checked" * (f == "weekly")}>'
        f" {f}</label> "
        for f in FREQUENCIES
    )
    shown = f'<p role="alert">{escape(problem)}</p>' if problem else ""
    return (
        f'{shown}<form method="post" action="/subscribe">'
        f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
        '<p><label>Email address <input type="email" name="email" required></label></p>'
        f"<fieldset><legend>Feeds</legend>{boxes}</fieldset>"
        f"<fieldset><legend>How often</legend>{often}</fieldset>"
        "<p><button>Subscribe</button></p></form>"
        "<p>We store only your address and these choices; every digest has a one-click "
        "unsubscribe link, which deletes them.</p>"
    )


def button_page(title: str, action: str) -> Response:
    body = f'<form method="post" action="{escape(action)}"><button>{escape(title)}</button></form>'
    return page(200, title, body)


def page(status: int, title: str, body: str) -> Response:
    html = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}'
        f"</title></head><body><h1>{escape(title)}</h1>{body}</body></html>\n"
    )
    return Response(status, html.encode("utf-8"))
