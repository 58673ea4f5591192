"""Every benchmark in one go, as a Markdown table (`make bench`).

    .venv/bin/python benchmarks/run_all.py [--sources 1000] [--write-readme] [--json out.json]

Runs benchmarks/bench_poll.py (ours vs `reader` on the realistic feed farm, memory, cost at
1k/100k stored items; then the cold poll of the stress farm as whole processes),
benchmarks/bench_warm.py (the warm poll as cron runs it, inside the service, CPU per source;
reading sources.toml at 1,000 and 5,000 sources), then the headline figures of
benchmarks/dedupe_quality.py, benchmarks/dedupe_store_cost.py and
benchmarks/classify_accuracy.py. With --write-readme, the table replaces what is between
<!-- perf:start --> and <!-- perf:end --> in README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import bench_poll  # noqa: E402
import bench_warm  # noqa: E402

START, END = "<!-- perf:start -->", "<!-- perf:end -->"


def run_script(name: str, *args: str) -> str:
    command = [sys.executable, str(HERE / name), *args]
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
    return done.stdout


LABELLED = {
    "announcements": "Dedupe, labelled announcements (369 items, 14 sources)",
    "generic_families": "Dedupe, generic-title families and reposts (250 items, 46 sources)",
}


def dedupe_rows() -> list[tuple[str, str]]:
    out = run_script("dedupe_quality.py")
    rows = []
    for name, label in LABELLED.items():
        block = out.split(f"== {name}:", 1)[1] if f"== {name}:" in out else ""
        scores = re.search(r"precision (\S+)\s+recall (\S+)\s+F1 (\S+)\s+wrong merges (\d+)", block)
        orders = re.search(r"groupings over (\d+) random orders: (\d+)", block)
        if scores and orders:
            precision, recall, f1, wrong = scores.groups()
            value = (
                f"precision {precision}, recall {recall}, F1 {f1}, wrong merges {wrong}; "
                f"{orders.group(2)} grouping(s) over {orders.group(1)} random arrival orders"
            )
            rows.append((label, value))
    costs = re.findall(r"stored\s+([\d,]+) .*?:\s+(\S+) µs per added item", out)
    for size, micros in costs:
        rows.append(
            (
                f"Dedupe cost per added item, {size} stored (in memory, realistic text)",
                f"{micros} µs",
            )
        )
    if found := re.search(r"ratio largest/smallest: (\S+)", out):
        rows.append(
            (
                "Dedupe cost per added item, 100k / 1k stored (in memory)",
                f"{found.group(1)}× (goal ≤ 1.25×)",
            )
        )
    out = run_script("dedupe_store_cost.py")
    for size, micros in re.findall(r"stored\s+([\d,]+): +(\S+) µs per added item", out):
        label = f"Dedupe + store cost per added item, {size} stored (SQLite, realistic text)"
        rows.append((label, f"{micros} µs"))
    if found := re.search(r"ratio largest/smallest \(median\): (\S+)", out):
        rows.append(("Dedupe + store cost, 100k / 1k stored", f"{found.group(1)}× (goal ≤ 1.25×)"))
    return rows


def classify_rows() -> list[tuple[str, str]]:
    out = run_script("classify_accuracy.py")
    rows = []
    for split in ("all", "holdout"):
        block = out.split(f"== {split}:", 1)[1] if f"== {split}:" in out else ""
        category = re.search(r"category accuracy\s+(\S+)", block)
        review = re.search(r"review_type accuracy\s+(\S+)", block)
        if category and review:
            value = f"category {category.group(1)}, review type {review.group(1)}"
            rows.append((f"Classification accuracy ({split})", value))
    return rows + theme_rows(out)


def theme_rows(out: str) -> list[tuple[str, str]]:
    """Precision and recall, per split: over every theme (micro), and of joint review types."""
    rows = []
    for heading, line, metric in (
        ("themes", "micro", "Theme precision / recall, all themes"),
        ("joint types", "joint types", "Joint review types precision / recall"),
    ):
        found = []
        for split in ("tune", "holdout"):
            marker = f"== {heading} {split}:"
            block = out.split(marker, 1)[1] if marker in out else ""
            pattern = rf"^{line}\s+precision (\S+)\s+recall (\S+)\s+\(n=(\d+)\)"
            if score := re.search(pattern, block, re.M):
                precision, recall, labelled = score.groups()
                found.append(f"{split} precision {precision}, recall {recall} ({labelled} labels)")
        rows += [(metric, "; ".join(found))] if found else []
    return rows


def markdown(rows: list[tuple[str, str]], note: str) -> str:
    lines = [note, "", "| Measure | Result |", "|---|---|"]
    lines += [f"| {metric} | {value} |" for metric, value in rows]
    return "\n".join(lines) + "\n"


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores, {round(memory)} GiB RAM, Python {platform.python_version()}"


def write_readme(table: str, readme: Path = ROOT / "README.md") -> None:
    text = readme.read_text()
    if START not in text:
        text = text.rstrip("\n") + f"\n\n## Performance\n\n{START}\n{END}\n"
    head, rest = text.split(START, 1)
    _old, tail = rest.split(END, 1)
    readme.write_text(f"{head}{START}\n{table}{END}{tail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--entries", type=int, default=20)
    parser.add_argument("--scale", type=int, nargs="*", default=[1000, 100_000])
    parser.add_argument("--reader-workers", type=int, nargs="*", default=[1, 16])
    parser.add_argument("--write-readme", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    started = time.monotonic()
    results = bench_poll.run(args.sources, args.entries, args.scale, args.reader_workers)
    stress = bench_poll.run(args.sources, args.entries, [], [1], text="stress")
    warm = bench_warm.run(args.sources, args.entries, runs=5)
    rows = bench_poll.report(results) + bench_poll.whole_rows(stress)
    rows += bench_warm.rows(warm) + bench_warm.config_rows()
    rows += dedupe_rows() + classify_rows()
    if args.json:
        args.json.write_text(
            json.dumps({"realistic": results, "stress": stress, "warm": warm}, indent=2)
        )
    load = os.getloadavg()[0]
    note = (
        f"Measured by `make bench` on {machine()}, {time.strftime('%Y-%m-%d')}; "
        f"load average {load:.1f} at the end (other work on the machine inflates every time)."
    )
    table = markdown(rows, note)
    print(table)
    print(f"(benchmarks took {time.monotonic() - started:.0f} s)", file=sys.stderr)
    if args.write_readme:
        write_readme(table)


if __name__ == "__main__":
    main()
