"""The warm poll (every source answers 304), ours beside `reader`, three ways.

    .venv/bin/python benchmarks/bench_warm.py [--sources 1000] [--runs 5] [--json out.json]

On the realistic farm (benchmarks/farm.py, served by nginx with ETags), after one cold poll of
each into its own SQLite store:

1. whole process, as cron runs it: `aggregator poll` (load sources.toml, open the store, poll,
   publish when something changed) against a script doing
   `make_reader(db).update_feeds(scheduled=False)` (reader's default, 1 worker), run in turn
   A B A B ... so that load on the machine falls on both;
2. inside the running service: `Cycle.poll_and_publish` over every source, timed in a process
   that has already polled once (its pool started, its connections open), against reader's
   whole-process median from 1;
3. CPU seconds per source of 1 and 2 (every process: pool workers included).

Peak memory is the largest sum of RSS of the polling process and its children.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import bench_poll  # noqa: E402

READER_WARM = (
    "import sys; from reader import make_reader; "
    "r = make_reader(sys.argv[1]); r.update_feeds(scheduled=False); r.close()"
)
GOALS = {"whole": 0.3, "service": 0.15}


def service_child(sources_path: str, db_path: str, feeds: str, rounds: int) -> dict[str, Any]:
    """Warm polls inside one long-lived process, as the running service makes them."""
    from aggregator.config import load_config
    from aggregator.runtime.cycle import Cycle
    from aggregator.store import Storage

    config = load_config(sources_path)
    storage = Storage.open(f"sqlite:///{db_path}")
    cycle = Cycle.fixed(storage, config, Path(feeds))
    cycle.poll_and_publish(list(config.sources))  # the service has polled before
    walls, cpus = [], []
    for _ in range(rounds):
        cpu, started = bench_poll.tree_cpu(), time.perf_counter()
        outcomes = cycle.poll_and_publish(list(config.sources))
        walls.append(time.perf_counter() - started)
        cpus.append(bench_poll.tree_cpu() - cpu)
        assert all(o.ok and o.not_modified for o in outcomes), "a warm poll must find all 304"
    cycle.poller.close()
    storage.close()
    return {"walls": walls, "cpus": cpus}


def timed(command: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (the process and its children) and peak RSS of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = bench_poll._watch_rss(process.pid, lambda: process.poll() is not None)
    _, err = process.communicate()
    wall = time.perf_counter() - started
    if process.returncode:
        raise RuntimeError(f"{command[:4]} failed: {err.decode()[-500:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu, peak


def run(sources: int, entries: int, runs: int) -> dict[str, Any]:
    from farm import build_farm, serve

    work = Path(tempfile.mkdtemp(prefix="bench-warm-"))
    farm = build_farm(work / "www", sources, entries, text="realistic")
    with serve(work / "www") as (base, how):
        src = str(bench_poll.write_sources(work / "sources.toml", base, farm))
        urls = work / "urls.txt"
        urls.write_text("\n".join(base + s.path for s in farm))
        ours_db, reader_db, feeds = work / "ours.sqlite", work / "reader.sqlite", work / "feeds"
        ours = [sys.executable, "-m", "aggregator.cli", "--sources", src]
        ours += ["--db", f"sqlite:///{ours_db}", "--feeds-dir", str(feeds), "poll"]
        reader = [sys.executable, "-c", READER_WARM, str(reader_db)]
        timed(ours)  # cold: fills the store and feeds/
        bench_poll.run_child("reader", str(urls), str(reader_db), "1", "1")
        whole: dict[str, list[tuple[float, float, int]]] = {"ours": [], "reader": []}
        for _ in range(runs):
            whole["ours"].append(timed(ours))
            whole["reader"].append(timed(reader))
        child = [sys.executable, __file__, "--child", src, str(ours_db), str(feeds), str(runs)]
        done = subprocess.run(child, cwd=ROOT, capture_output=True, text=True, check=True)
        service = json.loads(done.stdout.strip().splitlines()[-1])
    return {"sources": sources, "server": how, "whole": whole, "service": service}


def rows(results: dict[str, Any]) -> list[tuple[str, str]]:
    n = results["sources"]
    ours, reader = results["whole"]["ours"], results["whole"]["reader"]
    ratios = sorted(a[0] / b[0] for a, b in zip(ours, reader, strict=True))
    o_wall = statistics.median(r[0] for r in ours)
    r_wall = statistics.median(r[0] for r in reader)
    ratio = statistics.median(ratios)
    s_wall = statistics.median(results["service"]["walls"])
    s_cpu = statistics.median(results["service"]["cpus"])
    o_cpu = statistics.median(r[1] for r in ours)
    r_cpu = statistics.median(r[1] for r in reader)
    return [
        (
            f"Warm poll, {n} sources all 304, whole process (`aggregator poll` as cron runs it) "
            f"/ reader {bench_poll.reader_version()} `update_feeds(scheduled=False)` script",
            f"{o_wall:.2f} s / {r_wall:.2f} s: {ratio:.2f}× "
            f"(pairs {ratios[0]:.2f}–{ratios[-1]:.2f}×; "
            f"goal ≤ {GOALS['whole']}×: {bench_poll._goal(ratio, GOALS['whole'])})",
        ),
        (
            "Warm poll inside the running service (`Cycle.poll_and_publish`) "
            "/ reader's whole process",
            f"{s_wall:.2f} s: {s_wall / r_wall:.2f}× (goal ≤ {GOALS['service']}×: "
            f"{bench_poll._goal(s_wall / r_wall, GOALS['service'])})",
        ),
        (
            "Warm poll CPU per source: whole process / in the service / reader's whole process",
            f"{o_cpu / n * 1000:.2f} ms / {s_cpu / n * 1000:.2f} ms / {r_cpu / n * 1000:.2f} ms",
        ),
        (
            "Warm poll peak memory, whole process (RSS, all processes): ours / reader",
            f"{statistics.median(r[2] for r in ours) / 2**20:.0f} MB / "
            f"{statistics.median(r[2] for r in reader) / 2**20:.0f} MB",
        ),
    ]


def config_rows(sizes: tuple[int, ...] = (1000, 5000)) -> list[tuple[str, str]]:
    """Reading sources.toml (parse, validate, find every source's line) in this process."""
    from aggregator.config import parse_config

    costs = []
    for size in sizes:
        blocks = [
            f'[[source]]\nid = "board-{n:05d}"\nname = "Farm board-{n:05d}"\ntype = "feed"\n'
            f'url = "https://boards.example.org/board-{n:05d}/feed/"\n'
            for n in range(size)
        ]  # the shape bench_poll.write_sources gives the farm
        body = bench_poll.SETTINGS + "\n" + "\n".join(blocks)
        best = min(_seconds(partial(parse_config, body, "sources.toml")) for _ in range(3))
        costs.append(f"{size:,} sources {best * 1000:.0f} ms ({best / size * 1e6:.0f} µs each)")
    return [("Reading sources.toml (CPU time, in process)", "; ".join(costs))]


def _seconds(work: Callable[[], object]) -> float:
    """CPU seconds: one thread, so the figure a busy machine disturbs least."""
    started = time.process_time()
    work()
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--entries", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        src, db, feeds, rounds = args.child
        print(json.dumps(service_child(src, db, feeds, int(rounds))))
        return
    results = run(args.sources, args.entries, args.runs)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    for measure, value in rows(results) + config_rows():
        print(f"{measure}: {value}")


if __name__ == "__main__":
    main()
