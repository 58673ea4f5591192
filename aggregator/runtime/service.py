"""The long-running service: scheduled polling, publishing after changes, and the web server."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from wsgiref.types import WSGIApplication

from apscheduler.schedulers.background import BackgroundScheduler

from aggregator.clock import utcnow
from aggregator.config import ConfigWatcher
from aggregator.config.types import Config
from aggregator.errors import AggregatorError
from aggregator.models import PollOutcome
from aggregator.ops.metrics import Metrics
from aggregator.ops.webmetrics import HttpCounters, HttpMetrics
from aggregator.runtime.cycle import Cycle
from aggregator.store import Storage
from aggregator.web.proxy import ProxyTrust
from aggregator.web.server import WebServer

log = logging.getLogger(__name__)

TICK_SECONDS = 5.0  # how often due sources are looked for
DIGEST_SECONDS = 60.0  # how often due digests are looked for
CONFIG_CHECK_SECONDS = 2.0


class Liveness:
    """When the scheduler last ticked: a tick in progress, or one finished recently, is alive."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.running = 0
        self.finished: float | None = None

    @contextmanager
    def ticking(self) -> Iterator[None]:
        self.running += 1
        try:
            yield
        finally:
            self.running -= 1
            self.finished = self.clock()

    def alive(self, tick_seconds: float) -> bool:
        if self.running:
            return True
        # Before the first tick ends (or shortly after start-up) there is nothing to judge yet.
        if self.finished is None:
            return True
        return self.clock() - self.finished < max(60.0, 6 * tick_seconds)


@dataclass
class Service:
    sources_path: Path
    db_url: str
    feeds_dir: Path
    host: str = "127.0.0.1"
    port: int = 8080
    proxy: ProxyTrust | None = None  # the reverse proxy whose X-Forwarded-For/-Proto count
    _stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.watcher = ConfigWatcher(self.sources_path, self._config_changed)
        self.storage = Storage.open(self.db_url)
        self.cycle = Cycle.watching(self.watcher, self.storage, self.feeds_dir)
        self.poller = self.cycle.poller
        self.metrics = Metrics(backlog=lambda: len(self.poller.due_sources()))
        self.http_counters = HttpCounters(self.metrics.registry)
        self.cycle.publish_timer = self.metrics.publish_seconds.time
        self.cycle.on_outcome = self._record
        self.liveness = Liveness()
        self._scheduler: BackgroundScheduler | None = None
        self._server: WebServer | None = None

    def _config_changed(self, config: Config) -> None:
        log.info("config reloaded path=%s sources=%d", config.path, len(config.sources))
        self.cycle.take_config(config)
        self.publish()

    def publish(self) -> list[Path]:
        return self.cycle.publish()

    def tick(self) -> list[PollOutcome]:
        """Poll what is due; publish when anything changed."""
        with self.liveness.ticking():
            due = self.poller.due_sources()
            if not due:
                self.cycle.deliver_pending()
                return []
            return self.cycle.poll_and_publish(due)

    def send_digests(self) -> int:
        """Send the email digests that are due (when [settings] has an SMTP server)."""
        from aggregator.digest.send import DigestSender
        from aggregator.notify.alerts import node_name

        settings = self.watcher.current.settings
        if not (settings.smtp_url and settings.smtp_from):
            return 0
        try:
            return DigestSender(self.storage, lambda: self.watcher.current, node_name()).send_due()
        except AggregatorError as exc:
            log.warning("digests not sent this round: %s", exc)
            return 0

    def poll_now(self, source_id: str) -> PollOutcome:
        """Poll one source at once (the console's "poll now"), whether due or not."""
        return self.cycle.poll_now(source_id)

    def _record(self, outcome: PollOutcome) -> None:
        self.metrics.record_outcome(outcome, at=time.time())

    def health(self) -> dict[str, object]:
        return {"service": "aggregator"}

    def ready(self) -> tuple[bool, dict[str, object]]:
        """Ready when the database answers and the scheduler is running and ticking."""
        try:
            self.storage.ping()
            database = "ok"
        except AggregatorError as exc:
            database = f"error: {exc}"
        running = self._scheduler is not None and self._scheduler.running
        alive = running and self.liveness.alive(TICK_SECONDS)
        details: dict[str, object] = {
            "database": database,
            "scheduler": "alive" if alive else ("stalled" if running else "not running"),
        }
        return database == "ok" and alive, details

    def web_app(self) -> WSGIApplication:
        """Published feeds at /, the admin console at /admin, Prometheus metrics at /metrics."""
        from aggregator.admin import AdminApp, Console
        from aggregator.digest.web import SubscribeApp
        from aggregator.web import create_app

        console = Console(
            storage=self.storage,
            config=lambda: self.watcher.current,
            sources_path=self.sources_path,
            feeds_dir=self.feeds_dir,
            reload=self.watcher.check_now,
            republish=self.publish,
            poll_now=self.poll_now,
        )
        subscribe = SubscribeApp(self.storage, lambda: self.watcher.current)
        mounts: dict[str, WSGIApplication] = {
            "/admin": AdminApp(console),
            "/metrics": self.metrics.wsgi_app(),
            "/subscribe": subscribe,
            "/unsubscribe": subscribe,
        }
        app = create_app(self.feeds_dir, health=self.health, ready=self.ready, mounts=mounts)
        return HttpMetrics(app, self.http_counters)

    def run(self) -> None:
        """Start, then block until stop() (or SIGINT/SIGTERM)."""
        self._install_signal_handlers()
        server = self.start()
        log.info(
            "serving http://%s:%d/ feeds_dir=%s db=%s",
            server.host,
            server.port,
            self.feeds_dir,
            self.db_url,
        )
        try:
            self._stop.wait()
        finally:
            self.shutdown()

    def start(self) -> WebServer:
        """Publish, start the scheduler and the web server (in threads); return the server."""
        from aggregator.web.server import make_server

        self.feeds_dir.mkdir(parents=True, exist_ok=True)
        self.publish()
        scheduler = BackgroundScheduler(timezone="UTC")
        scheduler.add_job(
            self.tick,
            "interval",
            seconds=TICK_SECONDS,
            next_run_time=utcnow(),
            max_instances=1,
            coalesce=True,
            id="poll",
        )
        scheduler.add_job(
            self.watcher.check_now,
            "interval",
            seconds=CONFIG_CHECK_SECONDS,
            max_instances=1,
            coalesce=True,
            id="config",
        )
        scheduler.add_job(
            self.send_digests,
            "interval",
            seconds=DIGEST_SECONDS,
            max_instances=1,
            coalesce=True,
            id="digests",
        )
        server = make_server(self.web_app(), self.host, self.port, proxy=self.proxy)
        self._scheduler, self._server = scheduler, server
        scheduler.start()
        threading.Thread(target=server.run, name="web", daemon=True).start()
        return server

    def shutdown(self) -> None:
        log.info("stopping")
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=True)
        if self._server is not None:
            self._server.close()
        self.storage.close()

    def stop(self) -> None:
        self._stop.set()

    def _install_signal_handlers(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return

        def handler(signum: int, frame: FrameType | None) -> None:
            self.stop()

        signal.signal(signal.SIGINT, handler)
        signal.signal(signal.SIGTERM, handler)
