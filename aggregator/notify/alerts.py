"""After every poll and publish (runtime.cycle calls these): open and close source incidents,
queue the alert emails and webhook events they cause, and send what is due."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from aggregator.clock import utcnow
from aggregator.config.types import Config
from aggregator.errors import StorageError
from aggregator.models import PollOutcome
from aggregator.notify import messages
from aggregator.notify.deliver import Deliverer, deliver_quietly
from aggregator.notify.incidents import Problem, Rules, Transition, transitions
from aggregator.store import Storage
from aggregator.store.outbox import IncidentChange, NewDelivery

log = logging.getLogger(__name__)


def enabled(config: Config) -> bool:
    return bool(config.settings.alert_emails or config.webhooks)


@dataclass
class Notifier:
    storage: Storage
    config: Callable[[], Config]
    owner: str
    clock: Callable[[], datetime] = utcnow
    deliverer: Deliverer = field(init=False)

    def __post_init__(self) -> None:
        self.deliverer = Deliverer(self.storage, self.config, self.owner, self.clock)

    def after_poll(self, outcomes: Sequence[PollOutcome], started: datetime) -> None:
        """Judge the polled sources, announce their new items, send what is due."""
        if not enabled(self.config()) or not outcomes:
            return
        try:
            self.judge([outcome.source_id for outcome in outcomes])
            fresh = [outcome.source_id for outcome in outcomes if outcome.new]
            if fresh:
                self.announce_items(fresh, started)
        except StorageError as exc:
            log.warning("alerts not judged this round: %s", exc)
        deliver_quietly(self.deliverer)

    def after_publish(self, files: Iterable[Path]) -> None:
        names = [path.name for path in files]
        if not names or not enabled(self.config()):
            return
        event = messages.publish_event(names, _event_id(), self.clock())
        try:
            self._enqueue(messages.PUBLISH, messages.body(event))
        except StorageError as exc:
            log.warning("publish event not queued: %s", exc)
        deliver_quietly(self.deliverer)

    def deliver_pending(self) -> None:
        """Retries that came due while nothing was polled."""
        if enabled(self.config()):
            deliver_quietly(self.deliverer)

    def judge(self, source_ids: Sequence[str]) -> int:
        """Open, change and close incidents of these sources; how many this process changed."""
        config, now = self.config(), self.clock()
        wanted = set(source_ids)
        states = [state for state in self.storage.source_states() if state.source_id in wanted]
        incidents = {
            source_id: Problem(kind, detail)
            for source_id, (kind, detail) in self.storage.open_incidents().items()
        }
        rules = Rules(config.settings.alert_after_failures, config.settings.alert_idle)
        last_new = self.storage.last_new_at(sorted(wanted))
        changed = 0
        for transition in transitions(states, incidents, last_new, rules, now):
            changed += self._apply(transition, config, now)
        return changed

    def announce_items(self, source_ids: Sequence[str], since: datetime) -> None:
        rows = self.storage.items_created_since(source_ids, since)
        if rows:
            items = [messages.NewItem(*row) for row in rows]
            event = messages.item_new_event(items, _event_id(), self.clock())
            self._enqueue(messages.ITEM_NEW, messages.body(event))

    def _apply(self, transition: Transition, config: Config, now: datetime) -> bool:
        new = transition.new
        change = IncidentChange(
            transition.source_id,
            transition.old.kind if transition.old else None,
            new.kind if new else None,
            new.detail if new else "",
        )
        if transition.old is not None and new is not None:
            # A new kind of trouble: the old incident's recovery is not announced, the new one is.
            transition = Transition(transition.source_id, None, new)
        done = self.storage.change_incident(change, self._alerts(transition, config), now=now)
        if done:
            log.info("incident source=%s %s -> %s", change.source_id, change.old, change.new)
        return done

    def _alerts(self, transition: Transition, config: Config) -> list[NewDelivery]:
        source = config.source(transition.source_id)
        event = messages.event_name(transition)
        email = messages.alert_email(transition, source, config.settings.site_url)
        found = [NewDelivery("email", to, event, email) for to in config.settings.alert_emails]
        payload = messages.body(
            messages.incident_event(transition, source, _event_id(), self.clock())
        )
        found += [
            NewDelivery("webhook", hook.url, event, payload)
            for hook in config.webhooks
            if event in hook.events
        ]
        return found

    def _enqueue(self, event: str, payload: str) -> None:
        hooks = [hook for hook in self.config().webhooks if event in hook.events]
        deliveries = [NewDelivery("webhook", hook.url, event, payload) for hook in hooks]
        self.storage.enqueue(deliveries, now=self.clock())


def node_name() -> str:
    """This process, as deliveries' claims name it."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _event_id() -> str:
    return uuid.uuid4().hex
