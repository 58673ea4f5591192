"""`make demo`: the whole service, offline, for a newcomer.

Serves the bundled sample sources in demo/samples/ on 127.0.0.1 (a WordPress feed, a calendar, a
listing page two pages long, gov.uk search results and a JSON Feed, with stories repeated across
them), writes demo/.run/sources.toml pointing at them, starts with a new database there, adds
an admin user with a new password, prints where to look, and runs the service on
http://127.0.0.1:8080/ until Ctrl-C.
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
SAMPLES = HERE / "samples"
RUN = HERE / ".run"
ADMIN = "admin"

HTML = "text/html; charset=UTF-8"
# path on the sample server -> (file under samples/, Content-Type)
ROUTES = {
    "/eastborough/feed/": ("eastborough/feed.xml", "application/rss+xml; charset=UTF-8"),
    "/eastborough/events/": ("eastborough/events.ics", "text/calendar; charset=utf-8"),
    "/northshire/safeguarding-adults-reviews/": ("northshire/sars.html", HTML),
    "/northshire/safeguarding-adults-reviews/page/2/": ("northshire/sars-page-2.html", HTML),
    "/api/search.json": ("govuk/search.json", "application/json; charset=utf-8"),
    "/westmere/feed/json/": ("westmere/feed.json", "application/feed+json; charset=UTF-8"),
}


class _Samples(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        route = ROUTES.get(urlsplit(self.path).path)
        if route is None:
            self.send_error(404)
            return
        body = (SAMPLES / route[0]).read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", route[1])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def serve_samples(port: int = 0) -> ThreadingHTTPServer:
    """The sample sources on 127.0.0.1, served from a daemon thread."""
    server = ThreadingHTTPServer(("127.0.0.1", port), _Samples)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def prepare(folder: Path, samples_base: str, site_url: str) -> Path:
    """A fresh demo folder: its sources.toml (pointing at the samples), no database, no feeds."""
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "feeds").mkdir(parents=True)
    text = (HERE / "sources.toml").read_text(encoding="utf-8").replace("{base}", samples_base)
    text = text.replace('site_url = "http://127.0.0.1:8080"', f'site_url = "{site_url}"')
    sources = folder / "sources.toml"
    sources.write_text(text, encoding="utf-8")
    return sources


def add_admin(db_url: str) -> str:
    """Create the database and the admin user; the user's new password."""
    from aggregator.admin.auth import hash_password
    from aggregator.store import Storage

    password = secrets.token_urlsafe(12)
    with Storage.open(db_url) as storage:
        storage.add_user(ADMIN, hash_password(password))
    return password


def where_to_look(site: str, samples: str, password: str, folder: Path) -> str:
    return f"""
safeguarding-feeds demo: the service on {site}/ polls the bundled sample sources served
on {samples}/ (no internet needed). The first poll starts now; give it a few seconds.

  Feeds     {site}/all.atom  {site}/reviews.rss  {site}/training.atom  {site}/all.json
  Block     {site}/latest.html  (the site's "Latest News and Training & Events")
  Console   {site}/admin/  user: {ADMIN}  password: {password}
            (sources with their health, preview, poll now; items seen in several places)
  Files     {folder}/ : its own sources.toml, database and feeds/

Ctrl-C stops it; `make demo` again starts afresh.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--folder", type=Path, default=RUN)
    args = parser.parse_args(argv)
    from aggregator.cli import main as aggregator

    samples = serve_samples()
    samples_base = f"http://127.0.0.1:{samples.server_address[1]}"
    site = f"http://{args.host}:{args.port}"
    sources = prepare(args.folder, samples_base, site)
    db_url = f"sqlite:///{args.folder / 'demo.sqlite'}"
    password = add_admin(db_url)
    print(where_to_look(site, samples_base, password, args.folder), flush=True)
    common = ["--sources", str(sources), "--db", db_url, "--feeds-dir", str(args.folder / "feeds")]
    try:
        return aggregator([*common, "run", "--host", args.host, "--port", str(args.port)])
    finally:
        samples.shutdown()


if __name__ == "__main__":
    sys.exit(main())
