"""The one poll-then-publish cycle: `run`, `worker`, `poll`, the CLI's curation and the console's
"poll now" all poll and publish through a `Cycle`."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from aggregator.clock import utcnow
from aggregator.config import ConfigWatcher
from aggregator.config.types import Config, SourceConfig
from aggregator.models import PollOutcome
from aggregator.notify.alerts import Notifier, node_name
from aggregator.poll.poller import Poller
from aggregator.publish.run import publish
from aggregator.store import Storage

OnOutcome = Callable[[PollOutcome], object]


@dataclass
class Cycle:
    """The store, the current configuration and a Poller over them, and the feeds they make."""

    storage: Storage
    config: Callable[[], Config]
    feeds_dir: Path
    poller: Poller
    on_outcome: OnOutcome | None = None  # hears of every poll (metrics), beside the caller's
    publish_timer: Callable[[], AbstractContextManager[object]] = nullcontext
    notifier: Notifier | None = None  # alerts and webhooks after polls and publishes
    _publish_lock: threading.Lock = field(default_factory=threading.Lock)
    _poll_lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def fixed(cls, storage: Storage, config: Config, feeds_dir: Path, fetches: int = 8) -> Cycle:
        """A cycle over one configuration (a CLI command)."""
        poller = Poller.create(config, storage, fetches=fetches)
        notifier = Notifier(storage, lambda: config, node_name())
        return cls(storage, lambda: config, feeds_dir, poller, notifier=notifier)

    @classmethod
    def watching(
        cls,
        watcher: ConfigWatcher,
        storage: Storage,
        feeds_dir: Path,
        *,
        fetches: int = 8,
    ) -> Cycle:
        """A cycle that follows `watcher`: call `take_config` from its on_change."""
        poller = Poller.create(watcher.current, storage, fetches=fetches)
        notifier = Notifier(storage, lambda: watcher.current, node_name())
        return cls(storage, lambda: watcher.current, feeds_dir, poller, notifier=notifier)

    def take_config(self, config: Config) -> None:
        self.poller.config = config

    def publish(self) -> list[Path]:
        """Regenerate every output; return the files that changed."""
        with self._publish_lock, self.publish_timer():
            files = publish(self.storage, self.config(), self.feeds_dir, now=utcnow())
        if self.notifier is not None:
            self.notifier.after_publish(files)
        return files

    def poll(
        self, sources: Sequence[SourceConfig], on_outcome: OnOutcome | None = None
    ) -> list[PollOutcome]:
        """Poll and store (never two polls at once); publishing is the caller's next step."""
        hooks = [hook for hook in (self.on_outcome, on_outcome) if hook is not None]

        def heard(outcome: PollOutcome) -> None:
            for hook in hooks:
                hook(outcome)

        with self._poll_lock:
            started = utcnow()
            outcomes = self.poller.poll(sources, on_outcome=heard if hooks else None)
        if self.notifier is not None:  # sending may wait on a mail server: not under the lock
            self.notifier.after_poll(outcomes, started)
        return outcomes

    def poll_and_publish(
        self, sources: Sequence[SourceConfig], on_outcome: OnOutcome | None = None
    ) -> list[PollOutcome]:
        """Poll, then publish: what the poll changed, or what time did (a feed's max_age, an event
        that is over). When neither, publishing finds so in one read (see publish.stamp)."""
        outcomes = self.poll(sources, on_outcome)
        self.publish()
        return outcomes

    def deliver_pending(self) -> None:
        """Send alerts and webhook retries that came due while nothing was polled."""
        if self.notifier is not None:
            self.notifier.deliver_pending()

    def poll_now(self, source_id: str) -> PollOutcome:
        """Poll one source at once, whether due or not (the console's "poll now")."""
        source = self.config().source(source_id)
        if source is None:
            return PollOutcome(source_id, ok=False, error="no such source")
        return self.poll_and_publish([source])[0]
