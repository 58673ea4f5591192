"""Polling and publishing, side by side with the `reader` library on the same feed farm.

    .venv/bin/python benchmarks/bench_poll.py [--sources 1000] [--entries 20] [--json out.json]
        [--text {legacy,realistic,stress}]

The farm's stories (--text, default realistic): board-style titles and real English bodies, or
the old pseudo-word text, or a 30-word vocabulary where every item resembles every other.

Ours and reader each run in a process of their own, as a long-running service would: set up
(open the store, add feeds), a cold poll of a fresh SQLite database, then a warm poll in the same
process, where every source answers 304. Another process then does one more warm poll from
scratch, as a one-shot `aggregator poll` would. Wall and CPU times exclude start-up and set-up;
CPU counts every process (our parsing workers too). Peak memory is the largest sum of RSS over
the polling process and all its children, sampled every 50 ms. The scale test seeds stores of 1k
and 100k synthetic items, then times a cold poll of a few farm sources and one publish into
an empty folder.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

# Parsing workers are spawned and re-import the main module: like the `aggregator` script, this
# one imports aggregator.cli and little else at the top (farm, psutil are imported where used).
import aggregator.cli  # noqa: E402, F401

if TYPE_CHECKING:
    from farm import FarmSource

SETTINGS = """[settings]
allow_private_networks = true
per_host_concurrency = 64
per_host_delay = "0s"
robots = false
interval = "1h"
"""


def write_sources(path: Path, base: str, farm: list[FarmSource]) -> Path:
    blocks = [
        f'[[source]]\nid = "{s.id}"\nname = "Farm {s.id}"\ntype = "feed"\nurl = "{base}{s.path}"\n'
        for s in farm
    ]
    path.write_text(SETTINGS + "\n" + "\n".join(blocks))
    return path


# --- children: polls in their own process, one after the other ---


def ours_child(sources_path: str, db_path: str, polls: int) -> dict[str, Any]:
    """`polls` polls of all sources by one Poller, as the service runs them: the first poll of
    a new database is cold, the next ones find every source unchanged (304)."""
    from aggregator.config import load_config
    from aggregator.poll.poller import Poller
    from aggregator.store import Storage

    config = load_config(sources_path)
    storage = Storage.open(f"sqlite:///{db_path}")
    poller = Poller.create(config, storage)
    timings = []
    for _ in range(polls):
        cpu, started = tree_cpu(), time.perf_counter()
        outcomes = poller.poll(list(config.sources))
        elapsed, cpu = time.perf_counter() - started, tree_cpu() - cpu
        failed = [o.error for o in outcomes if not o.ok]
        timings.append({"elapsed": elapsed, "cpu": cpu, "failed": len(failed)})
        timings[-1]["first_error"] = failed[0] if failed else None
    result = {"polls": timings, "items": storage.item_count()}
    poller.close()
    storage.close()
    return result


def reader_child(urls_path: str, db_path: str, workers: int, polls: int) -> dict[str, Any]:
    from reader import make_reader

    reader = make_reader(db_path)
    for url in Path(urls_path).read_text().split():
        reader.add_feed(url, exist_ok=True)
    timings = []
    for _ in range(polls):
        cpu, started = tree_cpu(), time.perf_counter()
        reader.update_feeds(workers=workers, scheduled=False)
        timings.append({"elapsed": time.perf_counter() - started, "cpu": tree_cpu() - cpu})
    failed = sum(1 for feed in reader.get_feeds() if feed.last_exception)
    result = {"polls": timings, "items": reader.get_entry_counts().total, "failed": failed}
    reader.close()
    return result


def farm_quality(db_path: str, www: Path) -> dict[str, float]:
    """Pairs of entries the store put in one item, against the farm's truth (which entries
    announce one story): precision, recall and the wrong merges."""
    import sqlite3
    from itertools import combinations

    from farm import TRUTH

    truth = json.loads((www / TRUTH).read_text())
    with contextlib.closing(sqlite3.connect(db_path)) as db:
        rows = db.execute("SELECT item_id, url FROM sightings").fetchall()
    stored: dict[int, list[str]] = {}
    stories: dict[str, list[str]] = {}
    for item_id, url in rows:
        stored.setdefault(item_id, []).append(url)
        stories.setdefault(truth.get(url, url), []).append(url)
    together = {frozenset(p) for urls in stored.values() for p in combinations(urls, 2)}
    same = {frozenset(p) for urls in stories.values() for p in combinations(urls, 2)}
    hits = len(together & same)
    return {
        "stories": len(stories),
        "items": len(stored),
        "precision": hits / len(together) if together else 1.0,
        "recall": hits / len(same) if same else 1.0,
        "wrong_pairs": len(together - same),
    }


def tree_cpu() -> float:
    """CPU seconds of this process and its children, live (parsing workers) or reaped."""
    import psutil

    me = psutil.Process()
    total = sum(me.cpu_times()[:2])
    for child in me.children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            total += sum(child.cpu_times()[:2])
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    return total + reaped.ru_utime + reaped.ru_stime


def run_child(*args: str) -> dict[str, Any]:
    """Run this script as a child doing its polls; add the tree's peak RSS in MB."""
    command = [sys.executable, __file__, "--child", *args]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    peak = _watch_rss(process.pid, lambda: process.poll() is not None)
    output, _ = process.communicate()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode:
        raise RuntimeError(f"child {args[0]} failed with {process.returncode}")
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return result | {"peak_mb": peak / 2**20, "process_cpu": cpu}


def _watch_rss(pid: int, finished: Any) -> int:
    import psutil

    peak, rounds = 0, 0
    root = psutil.Process(pid)
    tree = [root]
    while not finished():
        try:
            if rounds % 10 == 0:  # listing children scans /proc: costly on a busy 2-core box
                tree = [root, *root.children(recursive=True)]
            peak = max(peak, sum(_rss(p) for p in tree))
        except psutil.NoSuchProcess:
            pass
        rounds += 1
        time.sleep(0.05)
    return peak


def _rss(process: Any) -> int:
    import psutil

    try:
        return int(process.memory_info().rss)
    except psutil.NoSuchProcess:
        return 0


# --- the scale test: poll and publish cost with 1k and 100k stored items ---


def scale_costs(
    base: str, farm: list[FarmSource], sizes: list[int], work: Path
) -> dict[int, dict[str, float]]:
    from seed_store import seeded_storage

    costs = {}
    for size in sizes:
        storage = seeded_storage(work / f"scale-{size}.sqlite", size)
        costs[size] = _poll_and_publish(storage, base, farm, work / f"feeds-{size}")
        storage.close()
    return costs


def _poll_and_publish(
    storage: Any, base: str, farm: list[FarmSource], feeds: Path
) -> dict[str, float]:
    from aggregator.clock import utcnow
    from aggregator.config import parse_config
    from aggregator.poll.poller import Poller
    from aggregator.publish import publish

    polls, publishes = [], []
    for round_ in range(3):
        group = farm[round_ * 10 : round_ * 10 + 10]  # ten sources not polled before
        text = write_sources(feeds.with_suffix(f".{round_}.toml"), base, group).read_text()
        config = parse_config(text, str(feeds.with_suffix(".toml")))
        started = time.perf_counter()
        Poller.create(config, storage).poll(list(config.sources))
        polls.append(time.perf_counter() - started)
        target = feeds / str(round_)
        started = time.perf_counter()
        publish(storage, config, target, now=utcnow())
        publishes.append(time.perf_counter() - started)
    return {"poll": statistics.median(polls), "publish": statistics.median(publishes)}


# --- the whole run ---


def run(
    sources: int,
    entries: int,
    scale_sizes: list[int],
    reader_workers: list[int],
    text: str = "realistic",
    whole_runs: int = 3,
) -> dict[str, Any]:
    from farm import build_farm, serve

    work = Path(tempfile.mkdtemp(prefix="bench-poll-"))
    farm = build_farm(work / "www", sources, entries, text=text)
    results: dict[str, Any] = {"sources": sources, "entries": entries, "text": text}
    with serve(work / "www") as (base, how):
        results["server"] = how
        sources_path = write_sources(work / "sources.toml", base, farm)
        urls_path = work / "urls.txt"
        urls_path.write_text("\n".join(base + s.path for s in farm))
        ours_db, src = str(work / "ours.sqlite"), str(sources_path)
        results["ours"] = run_child("ours", src, ours_db, "2")
        if text != "legacy":
            results["quality"] = farm_quality(ours_db, work / "www")
        results["ours_fresh"] = run_child("ours", src, ours_db, "1")
        for workers in reader_workers:
            db, name = str(work / f"reader-{workers}.sqlite"), f"reader{workers}"
            results[name] = run_child("reader", str(urls_path), db, str(workers), "2")
            results[f"{name}_fresh"] = run_child("reader", str(urls_path), db, str(workers), "1")
        results["whole"] = whole_process_pairs(src, str(urls_path), work, whole_runs)
        if scale_sizes:
            results["scale"] = scale_costs(base, farm, scale_sizes, work)
    return results


def whole_process_pairs(src: str, urls: str, work: Path, runs: int) -> dict[str, list[float]]:
    """Cold polls as cron runs them, ours and reader's in turn (A B A B ...): a whole process
    each, into a fresh store. Ours is `aggregator poll` (poll, store, then publish every
    output); reader's is this script's child: make_reader, add every feed, update_feeds."""
    walls: dict[str, list[float]] = {"ours": [], "reader": []}
    for n in range(runs):
        ours_db, reader_db = work / f"whole-ours-{n}.sqlite", work / f"whole-reader-{n}.sqlite"
        ours = [sys.executable, "-m", "aggregator.cli", "--sources", src]
        ours += ["--db", f"sqlite:///{ours_db}", "--feeds-dir", str(work / f"feeds-{n}"), "poll"]
        reader = [sys.executable, __file__, "--child", "reader", urls, str(reader_db), "1", "1"]
        for who, command in (("ours", ours), ("reader", reader)):
            started = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
            walls[who].append(time.perf_counter() - started)
    return walls


def _warm(same_process: float, fresh_process: float) -> str:
    return f"{same_process:.2f} s after the cold poll; {fresh_process:.2f} s in a fresh process"


def _goal(value: float, limit: float) -> str:
    return "met" if value <= limit else "**missed**"


def polls(results: dict[str, Any], who: str) -> tuple[float, float, float]:
    """Wall seconds of who's cold poll, of the warm poll after it in the same process (the
    service's case) and of a warm poll in a process of its own (a one-shot `aggregator poll`)."""
    cold, warm = (poll["elapsed"] for poll in results[who]["polls"])
    return cold, warm, results[f"{who}_fresh"]["polls"][0]["elapsed"]


def report(results: dict[str, Any]) -> list[tuple[str, str]]:
    """(measure, result) rows for the Markdown table; goals against reader's default setup."""
    ours = results["ours"]
    cold, warm, fresh = polls(results, "ours")
    text = results.get("text", "legacy")  # results written before --text were legacy
    farm = f"{results['sources']:,} sources × {results['entries']} entries ({text} text)"
    rows = [("Feed farm", f"{farm} on 127.0.0.1, served by {results['server']}")]
    rows.append(("Our cold poll, wall", f"{cold:.2f} s ({ours['items']:,} items)"))
    rows.append(("Our warm poll (all 304), wall", _warm(warm, fresh)))
    for name in sorted((k for k in results if k.startswith("reader") and "_" not in k), key=len):
        workers = name[len("reader") :]
        r_cold, r_warm, r_fresh = polls(results, name)
        who = f"reader {reader_version()}, workers={workers}"
        entries = results[name]["items"]
        rows.append((f"{who}: cold poll, wall", f"{r_cold:.2f} s ({entries:,} entries)"))
        rows.append((f"{who}: warm poll, wall", _warm(r_warm, r_fresh)))
        goal = workers == "1"  # the reference: reader as it comes
        cold_note = f" (goal ≤ 0.3×: {_goal(cold / r_cold, 0.3)})" if goal else ""
        warm_note = f" (goal ≤ 0.3×: {_goal(warm / r_warm, 0.3)})" if goal else ""
        rows.append((f"Cold poll ratio, ours / {who}", f"{cold / r_cold:.2f}×{cold_note}"))
        rows.append(
            (
                f"Warm poll ratio, ours / {who}",
                f"{warm / r_warm:.2f}× same process{warm_note}; "
                f"{fresh / r_fresh:.2f}× fresh process",
            )
        )
    if "reader1" in results:
        ours_cpu = ours["polls"][0]["cpu"]
        r_cpu = results["reader1"]["polls"][0]["cpu"]
        rows.append(
            (
                "CPU time of the cold poll, all processes, ours / reader workers=1",
                f"{ours_cpu:.1f} s / {r_cpu:.1f} s (start-up excluded)",
            )
        )
    rate = ours["items"] / cold
    rows.append(("Items ingested per second (our cold poll)", f"{rate:,.0f}"))
    peak = ours["peak_mb"]
    rows.append(
        (
            "Peak memory of our cold and warm polls (RSS, all processes)",
            f"{peak:.0f} MB (goal ≤ 200 MB: {_goal(peak, 200)})",
        )
    )
    if quality := results.get("quality"):
        rows.append(
            (
                f"Dedupe on the {text} farm (its truth: which entries announce one story)",
                f"{quality['items']:,} items for {quality['stories']:,} stories; pairs "
                f"precision {quality['precision']:.4f}, recall {quality['recall']:.4f}, "
                f"wrong merges {quality['wrong_pairs']:,}",
            )
        )
    rows += whole_rows(results)
    scale = results.get("scale", {})
    sizes = sorted(scale, key=int)
    for what, detail in (("poll", "10 new sources × 20 entries"), ("publish", "publish.publish")):
        for size in sizes:
            label = f"{what.capitalize()} cost at {int(size):,} stored items ({detail})"
            rows.append((label, f"{scale[size][what] * 1000:.0f} ms"))
        if len(sizes) > 1:
            ratio = scale[sizes[-1]][what] / scale[sizes[0]][what]
            name = f"{what.capitalize()} cost ratio, {int(sizes[-1]):,} / {int(sizes[0]):,} stored"
            rows.append((name, f"{ratio:.2f}× (goal ≤ 1.5×: {_goal(ratio, 1.5)})"))
    return rows


WHOLE_GOALS = {"realistic": 0.5, "stress": 1.0}  # ours / reader, cold, whole processes


def whole_rows(results: dict[str, Any]) -> list[tuple[str, str]]:
    whole = results.get("whole")
    if not whole:
        return []
    ours, reader = whole["ours"], whole["reader"]
    ratios = sorted(a / b for a, b in zip(ours, reader, strict=True))
    text = results.get("text", "legacy")
    goal = WHOLE_GOALS.get(text)
    note = f" (goal ≤ {goal}×: {_goal(statistics.median(ratios), goal)})" if goal else ""
    who = f"reader {reader_version()}, workers=1"
    return [
        (
            f"Cold poll, whole process ({text} farm): ours / {who}",
            f"{statistics.median(ours):.2f} s / {statistics.median(reader):.2f} s (medians of "
            f"{len(ours)} runs in turn); ratio {statistics.median(ratios):.2f}× "
            f"(range {ratios[0]:.2f}–{ratios[-1]:.2f}){note}",
        )
    ]


def reader_version() -> str:
    from importlib.metadata import version

    return version("reader")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--entries", type=int, default=20)
    parser.add_argument("--scale", type=int, nargs="*", default=[1000, 100_000])
    parser.add_argument("--reader-workers", type=int, nargs="*", default=[1, 16])
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--whole-runs", type=int, default=3, help="whole-process cold poll pairs")
    parser.add_argument(
        "--text",
        choices=("legacy", "realistic", "stress"),  # farm.TEXTS; farm is imported where used
        default="realistic",
        help="the farm's story text (see benchmarks/farm.py)",
    )
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "ours":
            print(json.dumps(ours_child(rest[0], rest[1], int(rest[2]))))
        else:
            print(json.dumps(reader_child(rest[0], rest[1], int(rest[2]), int(rest[3]))))
        return
    results = run(
        args.sources, args.entries, args.scale, args.reader_workers, args.text, args.whole_runs
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    for metric, value in report(results):
        print(f"{metric}: {value}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
