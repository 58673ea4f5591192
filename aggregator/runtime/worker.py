"""`aggregator worker`: the polling side only; any number of them share one database.

Each round a worker reloads sources.toml if it changed, leases a batch of due sources
(`Storage.claim_due`), polls them with the ordinary Poller and gives the leases back.
After a change it publishes, unless another node holds the publish lock: then it keeps the
publish pending and tries again next round, so every change is published by someone after
it was committed.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from prometheus_client import Gauge

from aggregator.clock import utcnow
from aggregator.config import ConfigWatcher
from aggregator.config.types import Config, SourceConfig
from aggregator.models import PollOutcome
from aggregator.ops.metrics import Metrics
from aggregator.ops.webmetrics import metrics_only_app
from aggregator.runtime.cycle import Cycle
from aggregator.store import Storage
from aggregator.web.server import WebServer, make_server

log = logging.getLogger(__name__)

DEFAULT_BATCH = 20
DEFAULT_LEASE_TTL = 600.0  # seconds: well above a fetch deadline, so live leases never lapse
IDLE_SECONDS = 1.0
FINAL_PUBLISH_WAIT = 60.0  # --once: how long to wait for another node's publish lock


def default_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class Worker:
    sources_path: Path
    db_url: str
    feeds_dir: Path
    name: str = field(default_factory=default_name)
    batch: int = DEFAULT_BATCH
    lease_ttl: float = DEFAULT_LEASE_TTL
    idle_seconds: float = IDLE_SECONDS
    publish_pending: bool = False
    metrics_port: int | None = None  # serve /metrics on this port (0: any free one)
    metrics_host: str = "127.0.0.1"
    _stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.watcher = ConfigWatcher(self.sources_path, self._config_changed)
        self.storage = Storage.open(self.db_url)
        self.cycle = Cycle.watching(self.watcher, self.storage, self.feeds_dir)
        self.metrics = Metrics()
        self.leases_held = Gauge(
            "aggregator_leases_held",
            "Sources this worker holds leases on now",
            registry=self.metrics.registry,
        )
        self.cycle.on_outcome = lambda o: self.metrics.record_outcome(o, at=time.time())
        self.cycle.publish_timer = self.metrics.publish_seconds.time
        self.metrics_server: WebServer | None = None

    @property
    def config(self) -> Config:
        return self.watcher.current

    def _config_changed(self, config: Config) -> None:
        log.info("config reloaded worker=%s sources=%d", self.name, len(config.sources))
        self.cycle.take_config(config)
        self.publish_pending = True

    def claim(self) -> list[SourceConfig]:
        """Lease a batch of due, enabled sources, in sources.toml order."""
        enabled = [source for source in self.config.sources if source.enabled]
        ids = self.storage.claim_due(
            self.name,
            [source.id for source in enabled],
            now=utcnow(),
            ttl=self.lease_ttl,
            limit=self.batch,
        )
        claimed = set(ids)
        return [source for source in enabled if source.id in claimed]

    def round(self) -> list[PollOutcome]:
        """One claim-poll-release round; [] when nothing was due."""
        self.watcher.check_now()
        sources = self.claim()
        if not sources:
            self.cycle.deliver_pending()
            return []
        self.leases_held.set(len(sources))
        try:
            outcomes = self.cycle.poll(sources)
        finally:
            self.storage.release_sources(self.name, [source.id for source in sources])
            self.leases_held.set(0)
        log.info("worker=%s polled=%d", self.name, len(outcomes))
        # What the poll changed, or what time did (max_age, an event over); when neither, the
        # publish run finds so in one read (see publish.stamp).
        self.publish_pending = True
        return outcomes

    def publish_if_pending(self) -> bool:
        """Publish when a change is pending and no other node is publishing; True if done."""
        if not self.publish_pending:
            return False
        with self.storage.publish_lock() as held:
            if not held:
                return False
            self.publish_pending = False
            self.cycle.publish()
        return True

    def run(self, *, once: bool = False) -> None:
        """Poll until stopped (or, with `once`, until nothing is due), then release and close."""
        self.feeds_dir.mkdir(parents=True, exist_ok=True)
        self.start_metrics()
        try:
            while not self._stop.is_set():
                outcomes = self.round()
                self.publish_if_pending()
                if not outcomes:
                    if once:
                        break
                    self._stop.wait(self.idle_seconds)
            self._final_publish()
        finally:
            if self.metrics_server is not None:
                self.metrics_server.close()
            self.storage.close()

    def start_metrics(self) -> WebServer | None:
        """With `metrics_port`, serve /metrics (polls, errors, durations, leases) in a thread."""
        if self.metrics_port is None or self.metrics_server is not None:
            return self.metrics_server
        app = metrics_only_app(self.metrics.registry)
        server = make_server(app, self.metrics_host, self.metrics_port, threads=2)
        threading.Thread(target=server.run, name="metrics", daemon=True).start()
        log.info("worker=%s metrics on %s/metrics", self.name, server.url)
        self.metrics_server = server
        return server

    def _final_publish(self) -> None:
        deadline = time.monotonic() + FINAL_PUBLISH_WAIT
        while self.publish_pending and not self.publish_if_pending():
            if time.monotonic() > deadline:
                log.warning("worker=%s gave up waiting for the publish lock", self.name)
                return
            time.sleep(0.2)

    def stop(self) -> None:
        self._stop.set()

    def install_signal_handlers(self) -> None:
        def handler(signum: int, frame: FrameType | None) -> None:
            log.info("worker=%s stopping after this round (signal %d)", self.name, signum)
            self.stop()

        signal.signal(signal.SIGINT, handler)
        signal.signal(signal.SIGTERM, handler)
