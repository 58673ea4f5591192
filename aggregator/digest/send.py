"""Sending the digests that are due: one subscriber at a time, claimed in the store, so several
processes (the service's schedule, `aggregator digests send` from cron) never send one twice."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from aggregator.clock import utcnow
from aggregator.config.types import Config
from aggregator.digest.compose import chosen_items, compose
from aggregator.digest.periods import period_ends, retry_after_failure
from aggregator.digest.tokens import unsubscribe_token
from aggregator.notify.mail import Mail, SmtpServer
from aggregator.notify.webhook import DeliveryError
from aggregator.store import Storage
from aggregator.store.digests import Subscriber

log = logging.getLogger(__name__)

CLAIM_TTL = 600.0  # seconds: well above one SMTP exchange, so live claims never lapse
SECRET_NAME = "digest-links"


def link_key(storage: Storage) -> bytes:
    """The key signing confirmation and unsubscribe links, shared by every node."""
    import secrets

    return storage.secret(SECRET_NAME, lambda: secrets.token_hex(32)).encode()


@dataclass
class DigestSender:
    storage: Storage
    config: Callable[[], Config]
    owner: str
    clock: Callable[[], datetime] = utcnow
    ttl: float = CLAIM_TTL
    send_mail: Callable[[Mail], None] | None = None  # default: SMTP from [settings]
    _key: bytes | None = None

    def send_due(self, limit: int | None = None) -> int:
        """Send every digest due now (at most `limit`); how many emails went out."""
        sent = 0
        handled = 0
        while limit is None or handled < limit:
            now = self.clock()
            subscriber = self.storage.claim_digest(
                self.owner, period_ends(now), now=now, ttl=self.ttl
            )
            if subscriber is None:
                break
            handled += 1
            sent += self.send_one(subscriber)
        return sent

    def send_one(self, subscriber: Subscriber) -> bool:
        """Compose and send one subscriber's digest, then record it; True if an email went out."""
        config, now = self.config(), self.clock()
        end = period_ends(now)[subscriber.frequency]
        feeds = [feed for feed in config.feeds if feed.id in subscriber.feeds]
        items = chosen_items(
            self.storage.items_created_between(subscriber.sent_until, end), feeds, end
        )
        digest = compose(
            items,
            frequency=subscriber.frequency,
            period_end=end,
            unsubscribe_url=self.unsubscribe_url(config, subscriber),
            site_url=config.settings.site_url,
        )
        if digest is not None:
            mail = Mail(subscriber.email, digest.subject, digest.text, digest.html, digest.headers)
            try:
                self._send(config, mail)
            except DeliveryError as exc:
                retry = retry_after_failure(subscriber.failures, now, hard=exc.permanent)
                log.warning("digest to subscriber %d failed: %s", subscriber.id, exc)
                self.storage.digest_failed(subscriber.id, self.owner, retry)
                return False
        self.storage.digest_sent(subscriber.id, self.owner, end)
        return digest is not None

    def unsubscribe_url(self, config: Config, subscriber: Subscriber) -> str:
        if self._key is None:
            self._key = link_key(self.storage)
        token = unsubscribe_token(self._key, subscriber.id, subscriber.email)
        return f"{config.settings.site_url.rstrip('/')}/unsubscribe?t={quote(token)}"

    def _send(self, config: Config, mail: Mail) -> None:
        if self.send_mail is not None:
            self.send_mail(mail)
            return
        settings = config.settings
        if not (settings.smtp_url and settings.smtp_from):
            raise DeliveryError("smtp_url and smtp_from are not set in [settings]")
        SmtpServer(settings.smtp_url, settings.smtp_from).send(mail)
