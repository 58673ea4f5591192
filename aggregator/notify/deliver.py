"""Sending what the outbox holds: each delivery claimed by one process, sent, and recorded as
sent, retried later (capped backoff) or given up."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import requests

from aggregator.clock import utcnow
from aggregator.config.types import Config, WebhookConfig
from aggregator.errors import StorageError
from aggregator.notify.mail import Mail, SmtpServer
from aggregator.notify.retry import retry_at
from aggregator.notify.webhook import DeliveryError, post_webhook
from aggregator.store import Storage
from aggregator.store.outbox import Delivery

log = logging.getLogger(__name__)

CLAIM_TTL = 300.0  # seconds: above the longest send (SMTP timeout), so live claims never lapse
BATCH = 20


@dataclass
class Deliverer:
    storage: Storage
    config: Callable[[], Config]
    owner: str
    clock: Callable[[], datetime] = utcnow
    session: requests.Session | None = None  # made on the first webhook

    def deliver_due(self, rounds: int = 5) -> int:
        """Send what is due (a few batches at most); how many were sent."""
        sent = 0
        for _ in range(rounds):
            batch = self.storage.claim_deliveries(
                self.owner, now=self.clock(), ttl=CLAIM_TTL, limit=BATCH
            )
            sent += sum(self.deliver(delivery) for delivery in batch)
            if len(batch) < BATCH:
                break
        return sent

    def deliver(self, delivery: Delivery) -> bool:
        try:
            self.send(delivery)
        except DeliveryError as exc:
            when = retry_at(delivery.attempts, self.clock(), permanent=exc.permanent)
            log.warning(
                "delivery %d (%s to %s) failed%s: %s",
                delivery.id,
                delivery.event,
                delivery.target,
                "" if when else ", giving up",
                exc,
            )
            self.storage.delivery_failed(delivery.id, str(exc), when)
            return False
        self.storage.delivery_sent(delivery.id, now=self.clock())
        return True

    def send(self, delivery: Delivery) -> None:
        config = self.config()
        if delivery.channel == "webhook":
            hook = _webhook(config, delivery.target)
            if self.session is None:
                self.session = _session()
            post_webhook(
                self.session,
                hook.url,
                hook.secret,
                delivery.payload.encode("utf-8"),
                delivery_id=delivery.id,
                event=delivery.event,
                allow_private=config.settings.allow_private_networks,
            )
            return
        settings = config.settings
        if not (settings.smtp_url and settings.smtp_from):
            raise DeliveryError("smtp_url and smtp_from are not set", permanent=True)
        message = json.loads(delivery.payload)
        mail = Mail(delivery.target, message["subject"], message["text"], message.get("html"))
        SmtpServer(settings.smtp_url, settings.smtp_from).send(mail)


def deliver_quietly(deliverer: Deliverer) -> None:
    """Deliver what is due; a database that is briefly away is the next round's problem."""
    try:
        deliverer.deliver_due()
    except StorageError as exc:
        log.warning("deliveries postponed: %s", exc)


def _webhook(config: Config, url: str) -> WebhookConfig:
    hook = next((hook for hook in config.webhooks if hook.url == url), None)
    if hook is None:
        raise DeliveryError(f"{url} is no longer a [[webhook]] in sources.toml", permanent=True)
    return hook


def _session() -> requests.Session:
    from aggregator.fetch.netguard import new_session

    return new_session()
