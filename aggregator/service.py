"""The long-running service: scheduled polling, publishing after changes, and the web server."""

from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler

from aggregator.config import ConfigWatcher
from aggregator.config.types import Config
from aggregator.errors import AggregatorError, ConfigErrors
from aggregator.models import PollOutcome
from aggregator.poll import Poller, utcnow
from aggregator.publish import render_outputs, write_outputs
from aggregator.store import Storage

log = logging.getLogger(__name__)

TICK_SECONDS = 5.0  # how often due sources are looked for
CONFIG_CHECK_SECONDS = 2.0


def publish(storage: Storage, config: Config, feeds_dir: Path, now: datetime) -> list[Path]:
    """Regenerate every output (files, and the store for web nodes); ping WebSub on change."""
    outputs = render_outputs(storage, config, now=now)
    changed = write_outputs(outputs, feeds_dir)
    storage.save_documents(document_bodies(outputs), now=now)
    hub = config.settings.websub_hub
    if hub and changed:
        from aggregator.fetch import new_session
        from aggregator.publish import ping_websub

        site = config.settings.site_url.rstrip("/")
        urls = [f"{site}/{path.name}" for path in changed if path.suffix in (".atom", ".rss")]
        try:
            ping_websub(hub, urls, new_session())
        except AggregatorError as exc:
            log.warning("websub ping failed hub=%s error=%s", hub, exc)
    return changed


def document_bodies(outputs: dict[str, bytes]) -> dict[str, tuple[bytes, str]]:
    """name -> (bytes, content type) as web nodes will serve them."""
    from aggregator.web.static import content_type_for

    return {
        name: (body, content_type_for(name) or "application/octet-stream")
        for name, body in outputs.items()
    }


@dataclass
class Service:
    sources_path: Path
    db_url: str
    feeds_dir: Path
    host: str = "127.0.0.1"
    port: int = 8080
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.watcher = ConfigWatcher(self.sources_path, self._config_changed, self._config_bad)
        self.storage = Storage.open(self.db_url)
        self.poller = Poller.create(self.watcher.current, self.storage)

    def _config_changed(self, config: Config) -> None:
        log.info("config reloaded path=%s sources=%d", config.path, len(config.sources))
        self.poller.config = config
        self.publish()

    def _config_bad(self, errors: ConfigErrors) -> None:
        for error in errors.errors:
            log.error("config rejected, keeping the last good one: %s", error)

    def publish(self) -> list[Path]:
        with self._lock:
            return publish(self.storage, self.watcher.current, self.feeds_dir, utcnow())

    def tick(self) -> list[PollOutcome]:
        """Poll what is due; publish when anything changed."""
        due = self.poller.due_sources()
        if not due:
            return []
        outcomes = self.poller.poll(due)
        if any(o.new or o.updated or o.merged for o in outcomes):
            self.publish()
        return outcomes

    def run(self) -> None:
        from aggregator.web import create_app
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
        server = make_server(create_app(self.feeds_dir), self.host, self.port)
        web = threading.Thread(target=server.run, name="web", daemon=True)
        self._install_signal_handlers()
        scheduler.start()
        web.start()
        log.info(
            "serving http://%s:%d/ feeds_dir=%s db=%s",
            self.host,
            self.port,
            self.feeds_dir,
            self.db_url,
        )
        try:
            self._stop.wait()
        finally:
            log.info("stopping")
            scheduler.shutdown(wait=True)
            server.close()
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
