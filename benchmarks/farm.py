"""A feed farm: N sources x M entries in real-world shapes, served on 127.0.0.1 with ETags.

    .venv/bin/python benchmarks/farm.py [--sources 1000] [--entries 20] [--text legacy] [--serve]

Shapes: WordPress RSS 2.0 (content:encoded, dc:creator, ?p= guids), gov.uk-style Atom and
Drupal RSS. About 10% of the stories are syndicated by several sources: the same link with
tracking parameters added, or the same title with another link. Served by nginx (etag on) when
it is installed, otherwise by a multi-process Python server with the same ETag/304 behaviour.

--text chooses the stories' text:
  legacy     pseudo-word titles and bodies over ten months (unrelated stories share no words);
  realistic  titles as boards write them, many identical across boards, and bodies of real
             English sentences (benchmarks/realtext.py), over about two months; ~10% of the
             stories are reposts of another source's: its link with tracking parameters, or the
             reposting source's own page with the same or a near title and the body quoted;
  stress     as realistic, but titles and bodies from a 30-word vocabulary: every item
             resembles every other.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing import get_context
from pathlib import Path
from xml.sax.saxutils import escape

import realtext

SHAPES = ("wordpress", "wordpress", "wordpress", "govuk", "govuk", "drupal")
SYNDICATED_SHARE = 0.10
TRUTH = "truth.json"  # realistic and stress farms: entry link -> the story's own link
WORDS = str.split(
    "safeguarding adults review board partnership published learning practitioners neglect "
    "exploitation training course online workshop domestic abuse homicide children families "
    "housing health police mental capacity self-neglect transitions county lines annual report "
    "multi-agency briefing seven-minute guide conference webinar newsletter procedures update"
)
# Plus ~1,700 pseudo-words, so that unrelated stories rarely share phrases (as in real text).
WORDS += [
    f"{a}{b}{c}"
    for a in ("ba", "co", "de", "fi", "ga", "hu", "li", "mo", "ne", "pa", "re", "su", "ta", "vo")
    for b in ("ra", "le", "mi", "no", "si", "tu", "ve", "lo", "ka", "de", "pi", "ro")
    for c in ("n", "ll", "rt", "sh", "", "m", "ck", "nd", "st", "ry")
]
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
TEXTS = ("legacy", "realistic", "stress")
# Realistic and stress: about two months of posts, up to early December 2026 (fixed, so that
# the farm depends on the seed only; the dates are in the past, like real feeds' dates).
WINDOW_START = datetime(2026, 10, 5, tzinfo=UTC)
WINDOW_DAYS = 61
WINDOW_END = WINDOW_START + timedelta(days=WINDOW_DAYS)


@dataclass(frozen=True)
class Story:
    title: str
    link: str
    body: str
    published: datetime
    paragraphs: tuple[str, ...] = ()  # the body's text (realistic and stress), for quoting


@dataclass(frozen=True)
class FarmSource:
    id: str
    shape: str
    path: str  # URL path on the farm server


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def _story(rng: random.Random, host: str, number: int) -> Story:
    title = _sentence(rng, rng.randint(5, 11)).capitalize()
    slug = "-".join(title.lower().split()[:6])
    paragraphs = "".join(
        f"<p>{escape(_sentence(rng, rng.randint(25, 60)))}.</p>" for _ in range(rng.randint(2, 5))
    )
    body = f'{paragraphs}<p><a href="/news/{slug}">Read more</a> <img src="/img/{number}.jpg"></p>'
    published = START + timedelta(minutes=rng.randint(0, 60 * 24 * 300))
    return Story(title, f"https://{host}/{published:%Y/%m}/{slug}-{number}/", body, published)


def _tracked(link: str, source_id: str) -> str:
    return f"{link}?utm_source={source_id}&utm_medium=rss&utm_campaign=feed"


def _wordpress(source: FarmSource, host: str, entries: list[tuple[int, Story]]) -> str:
    items = "".join(
        f"<item><title>{escape(s.title)}</title><link>{escape(s.link)}</link>"
        f"<dc:creator><![CDATA[Board Manager {n % 7}]]></dc:creator>"
        f"<pubDate>{format_datetime(s.published)}</pubDate>"
        f"<category><![CDATA[News]]></category>"
        f'<guid isPermaLink="false">https://{host}/?p={n}</guid>'
        f"<description><![CDATA[{s.body[:200]} [&#8230;]]]></description>"
        f"<content:encoded><![CDATA[{s.body}]]></content:encoded></item>"
        for n, s in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">'
        f"<channel><title>{source.id} safeguarding board</title><link>https://{host}/</link>"
        f"<description>News</description><language>en-GB</language>"
        f"<generator>https://wordpress.org/?v=6.4.2</generator>{items}</channel></rss>"
    )


def _govuk(source: FarmSource, host: str, entries: list[tuple[int, Story]]) -> str:
    items = "".join(
        f"<entry><id>tag:{host},2005:/government/publications/{n}</id>"
        f"<updated>{s.published.isoformat()}</updated>"
        f'<link rel="alternate" type="text/html" href="{escape(s.link)}"/>'
        f"<title>{escape(s.title)}</title>"
        f'<summary type="html">{escape(s.body[:300])}</summary></entry>'
        for n, s in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom" '
        'xml:lang="en"><id>https://www.gov.uk/search/all</id>'
        f'<link rel="self" type="application/atom+xml" href="https://{host}/{source.id}.atom"/>'
        f"<title>{source.id} - Activity on GOV.UK</title>"
        f"<updated>{START.isoformat()}</updated>{items}</feed>"
    )


def _drupal(source: FarmSource, host: str, entries: list[tuple[int, Story]]) -> str:
    items = "".join(
        f"<item><title>{escape(s.title)}</title><link>{escape(s.link)}</link>"
        f"<description>{escape(s.body)}</description>"
        f"<pubDate>{format_datetime(s.published)}</pubDate>"
        f"<dc:creator>admin</dc:creator>"
        f'<guid isPermaLink="false">{n} at https://{host}</guid></item>'
        for n, s in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xml:base="https://'
        f'{host}/" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>{source.id}</title><link>https://{host}/</link>"
        f"<description></description><language>en</language>{items}</channel></rss>"
    )


RENDER = {"wordpress": _wordpress, "govuk": _govuk, "drupal": _drupal}
EXTENSION = {"wordpress": "xml", "govuk": "atom", "drupal": "xml"}


def build_farm(
    root: Path, sources: int, entries: int, seed: int = 7, text: str = "legacy"
) -> list[FarmSource]:
    """Write one feed file per source under `root`; return the sources in order. `text` is one
    of TEXTS; "legacy" writes the same bytes as before it existed."""
    if text not in TEXTS:
        raise ValueError(f"text must be one of {', '.join(TEXTS)}, not {text!r}")
    if text != "legacy":
        return _build_text_farm(root, sources, entries, seed, text)
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    shared_count = max(1, int(sources * entries * SYNDICATED_SHARE / 3))
    shared = [_story(rng, "partnership-news.example.org", n) for n in range(shared_count)]
    farm: list[FarmSource] = []
    for index in range(sources):
        shape = SHAPES[index % len(SHAPES)]
        source = FarmSource(f"src{index:04d}", shape, f"/{index:04d}.{EXTENSION[shape]}")
        host = f"{source.id}.example.org"
        chosen = [(n, _story(rng, host, n)) for n in range(index * 1000, index * 1000 + entries)]
        for slot in range(entries):
            if rng.random() < SYNDICATED_SHARE:
                chosen[slot] = (chosen[slot][0], _syndicated(rng, shared, source.id))
        (root / source.path.lstrip("/")).write_text(RENDER[shape](source, host, chosen), "utf-8")
        farm.append(source)
    return farm


def _syndicated(rng: random.Random, shared: list[Story], source_id: str) -> Story:
    story = rng.choice(shared)
    if rng.random() < 0.5:  # same link, tracking parameters added
        return Story(story.title, _tracked(story.link, source_id), story.body, story.published)
    digest = hashlib.sha1(story.title.encode()).hexdigest()[:10]
    link = f"https://{source_id}.example.org/news/{digest}"
    return Story(story.title, link, story.body, story.published)  # same title, another link


# --- realistic and stress text (benchmarks/realtext.py) ---


def _farm_source(index: int) -> FarmSource:
    shape = SHAPES[index % len(SHAPES)]
    return FarmSource(f"src{index:04d}", shape, f"/{index:04d}.{EXTENSION[shape]}")


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:80].rstrip("-") or "post"


def _page(shape: str, host: str, published: datetime, title: str, used: set[str]) -> str:
    """The post's own URL as each CMS writes it; a taken slug gets -2, -3... as in WordPress."""
    base, number = _slug(title), 1
    slug = base
    while slug in used:
        number += 1
        slug = f"{base}-{number}"
    used.add(slug)
    if shape == "wordpress":
        return f"https://{host}/{published:%Y/%m}/{slug}/"
    if shape == "govuk":
        return f"https://{host}/government/news/{slug}"
    return f"https://{host}/news/{slug}"


def _published(rng: random.Random) -> datetime:
    """A working-hours time in the window; boards rarely post at weekends."""
    while True:
        day = WINDOW_START + timedelta(days=rng.randrange(WINDOW_DAYS))
        if day.weekday() < 5 or rng.random() < 0.15:
            return day + timedelta(minutes=rng.randint(8 * 60, 18 * 60))


def _html(paragraphs: tuple[str, ...]) -> str:
    return "".join(f"<p>{escape(paragraph)}</p>" for paragraph in paragraphs)


def _text_story(
    rng: random.Random, text: str, source: FarmSource, number: int, used: set[str]
) -> Story:
    published = _published(rng)
    if text == "realistic":
        title, paragraphs = realtext.board_title(rng, published), realtext.paragraphs(rng)
    else:
        title, paragraphs = realtext.stress_title(rng), realtext.stress_paragraphs(rng)
    host = f"{source.id}.example.org"
    link = _page(source.shape, host, published, title, used)
    more = f'<p><a href="{escape(link)}">Read more</a> <img src="/img/{number}.jpg"></p>'
    body = _html(tuple(paragraphs)) + more
    return Story(title, link, body, published, tuple(paragraphs))


def _repost(
    rng: random.Random,
    text: str,
    original: Story,
    origin: FarmSource,
    source: FarmSource,
    used: set[str],
) -> Story:
    """`source` reposts `origin`'s story, a few hours or days later: half the time its link with
    tracking parameters, otherwise a page of its own with the same or a near title and the body
    quoted, whole or in part, under an introduction."""
    later = original.published + timedelta(minutes=rng.randint(30, 4 * 24 * 60))
    published = max(original.published, min(later, WINDOW_END))
    if rng.random() < 0.5:
        link = _tracked(original.link, source.id)
        return Story(original.title, link, original.body, published, original.paragraphs)
    title = realtext.near_title(rng, original.title, origin.id)
    quoted = original.paragraphs[: rng.randint(1, len(original.paragraphs))]
    own: tuple[str, ...] = ()
    if rng.random() < 0.5:
        if text == "realistic":
            own = (" ".join(realtext.prose(rng, 1, 2)),)
        else:
            own = (realtext.stress_sentence(rng, 8, 20),)
    link = _page(source.shape, f"{source.id}.example.org", published, title, used)
    body = (
        f"{_html(own)}<p>Shared from {escape(origin.id)}:</p>"
        f"<blockquote>{_html(quoted)}</blockquote>"
        f'<p><a href="{escape(original.link)}">Read the original post</a></p>'
    )
    return Story(title, link, body, published, own + quoted)


def _build_text_farm(
    root: Path, sources: int, entries: int, seed: int, text: str
) -> list[FarmSource]:
    """The realistic and stress farms: every source's own stories first, then about 10% of the
    slots of each source become reposts of another source's own (kept) stories."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    farm = [_farm_source(index) for index in range(sources)]
    used: list[set[str]] = [set() for _ in farm]
    reposting = [
        {slot for slot in range(entries) if sources > 1 and rng.random() < SYNDICATED_SHARE}
        for _ in farm
    ]
    own = [
        [
            _text_story(rng, text, source, index * 1000 + slot, used[index])
            for slot in range(entries)
            if slot not in reposting[index]
        ]
        for index, source in enumerate(farm)
    ]
    donors = [index for index in range(sources) if own[index]]
    truth: dict[str, str] = {}  # each entry's link -> the link of the story it announces
    for index, source in enumerate(farm):
        stories = iter(own[index])
        others = len(donors) - bool(own[index])
        chosen = []
        for slot in range(entries):
            if slot not in reposting[index]:
                story = next(stories)
            elif others == 0:  # tiny farms: nobody else to repost
                story = _text_story(rng, text, source, index * 1000 + slot, used[index])
            else:
                other = index
                while other == index:
                    other = rng.choice(donors)
                original = rng.choice(own[other])
                story = _repost(rng, text, original, farm[other], source, used[index])
                truth[story.link] = original.link
            chosen.append((index * 1000 + slot, story))
            truth.setdefault(story.link, story.link)
        chosen.sort(key=lambda entry: entry[1].published, reverse=True)  # newest first
        host = f"{source.id}.example.org"
        feed = RENDER[source.shape](source, host, chosen)
        (root / source.path.lstrip("/")).write_text(feed, "utf-8")
    (root / TRUTH).write_text(json.dumps(truth, indent=0), "utf-8")
    return farm


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


NGINX_CONF = """
worker_processes 2;
daemon off;
pid {state}/nginx.pid;
error_log {state}/error.log warn;
{user}
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {state}/body;
  proxy_temp_path {state}/proxy;
  fastcgi_temp_path {state}/fastcgi;
  uwsgi_temp_path {state}/uwsgi;
  scgi_temp_path {state}/scgi;
  types {{ application/rss+xml xml; application/atom+xml atom; }}
  keepalive_requests 100000;
  server {{
    listen 127.0.0.1:{port};
    root {root};
    etag on;
  }}
}}
"""


@contextmanager
def serve(root: Path) -> Iterator[tuple[str, str]]:
    """Serve `root` on loopback; yield (base URL, server description)."""
    nginx = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None
    )
    if nginx:
        with _nginx(nginx, root) as base:
            yield base, "nginx (etag on)"
        return
    with _python_server(root) as base:
        yield base, "Python http.server, 2 processes (nginx not installed)"


@contextmanager
def _nginx(binary: str, root: Path) -> Iterator[str]:
    port = free_port()
    state = Path(tempfile.mkdtemp(prefix="farm-nginx-"))
    user = "user root;" if os.geteuid() == 0 else ""
    config = NGINX_CONF.format(state=state, port=port, root=root.resolve(), user=user)
    (state / "nginx.conf").write_text(config)
    process = subprocess.Popen([binary, "-c", str(state / "nginx.conf"), "-p", str(state)])
    try:
        _wait_for(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGQUIT)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(state, ignore_errors=True)


def _wait_for(port: int, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"farm server exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("farm server did not start")


class _FileHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    root = Path(".")

    def do_GET(self) -> None:
        path = self.root / self.path.split("?")[0].lstrip("/")
        if not path.is_file():
            self.send_error(404)
            return
        body = path.read_bytes()
        etag = '"' + hashlib.md5(body).hexdigest() + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        kind = "application/atom+xml" if path.suffix == ".atom" else "application/rss+xml"
        self.send_header("Content-Type", kind)
        self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


def _serve_forever(sock: socket.socket, root: str) -> None:
    handler = type("Handler", (_FileHandler,), {"root": Path(root)})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler, bind_and_activate=False)
    server.socket.close()
    server.socket = sock
    server.serve_forever()


@contextmanager
def _python_server(root: Path, processes: int = 2) -> Iterator[str]:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    port = int(sock.getsockname()[1])
    context = get_context("fork")
    workers = [
        context.Process(target=_serve_forever, args=(sock, str(root)), daemon=True)
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    try:
        _wait_for(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        for worker in workers:
            worker.terminate()
            worker.join(5)
        sock.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--entries", type=int, default=20)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--text", choices=TEXTS, default="legacy", help="the stories' text")
    parser.add_argument("--serve", action="store_true", help="serve until interrupted")
    args = parser.parse_args()
    root = args.dir or Path(tempfile.mkdtemp(prefix="farm-"))
    farm = build_farm(root, args.sources, args.entries, args.seed, args.text)
    size = sum(f.stat().st_size for f in root.iterdir())
    print(
        f"{len(farm)} sources x {args.entries} entries ({args.text} text) in {root} "
        f"({size / 1e6:.1f} MB)"
    )
    if args.serve:
        with serve(root) as (base, how):
            print(f"serving {base} with {how}; Ctrl-C stops")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass


if __name__ == "__main__":
    main()
