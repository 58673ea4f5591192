"""Every benchmark in one go, as a Markdown table (`make bench`).

    .venv/bin/python benchmarks/run_all.py [--sources 1000] [--write-readme] [--json out.json]

Runs benchmarks/bench_poll.py (ours vs `reader` on the feed farm, memory, cost at 1k/100k
stored items), then the headline figures of benchmarks/dedupe_quality.py and
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

START, END = "<!-- perf:start -->", "<!-- perf:end -->"


def run_script(name: str, *args: str) -> str:
    command = [sys.executable, str(HERE / name), *args]
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
    return done.stdout


def dedupe_rows() -> list[tuple[str, str]]:
    out = run_script("dedupe_quality.py")
    rows = []
    if found := re.search(r"precision (\S+)\s+recall (\S+)\s+F1 (\S+)", out):
        precision, recall, f1 = found.groups()
        rows.append(("Dedupe, labelled set", f"precision {precision}, recall {recall}, F1 {f1}"))
    if found := re.search(r"ratio largest/smallest \(growing\): (\S+)", out):
        rows.append(("Dedupe cost per added item, 100k / 1k stored", f"{found.group(1)}×"))
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
    rows = bench_poll.report(results) + dedupe_rows() + classify_rows()
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
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
