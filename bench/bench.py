#!/usr/bin/env python3
"""Time polyfix against yamllint on the same files, and print the ratios.

    python bench/bench.py [CORPUS] [--repeat N]

CORPUS is a folder of Polytope projects (default: the repository's examples/, which is small: point it
at your own projects for numbers that mean something). It is copied to a temporary folder first. Measured:
- whole tree: `polyfix DIR` (report) and `polyfix --dry-run DIR` against `yamllint DIR`;
- one file (the pre-commit case): each of a sample of files, polyfix against yamllint.
Best of N wall-clock runs each (N=5). Budgets: one file at most 1.0x yamllint (goal 0.6x), a whole
repository at most 0.5x. Needs yamllint: `pip install '.[bench]'`.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def best(cmd: list[str], repeat: int, cwd: Path) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", nargs="?", default=str(Path(__file__).resolve().parents[1] / "examples"))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--sample", type=int, default=10)
    a = ap.parse_args()
    polyfix, yamllint = shutil.which("polyfix"), shutil.which("yamllint")
    if not polyfix or not yamllint:
        print("needs both polyfix and yamllint on PATH: pip install '.[bench]'", file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="pf-bench-"))
    work = tmp / "c"
    shutil.copytree(a.corpus, work)
    files = sorted(p.relative_to(work) for p in work.rglob("polytope.y*ml"))
    lint = [yamllint, "-d", "relaxed"]
    print(f"{len(files)} files, {sum(len((work / f).read_text().splitlines()) for f in files)} lines; best of {a.repeat}")

    y_all = best(lint + ["."], a.repeat, work)
    rows = [("whole tree: yamllint -d relaxed", y_all, None)]
    for label, args in (("polyfix (report)", []), ("polyfix --dry-run", ["--dry-run"])):
        t = best([polyfix, *args, "."], a.repeat, work)
        rows.append((f"whole tree: {label}", t, t / y_all))

    step = max(1, len(files) // a.sample)
    sample = files[::step][: a.sample]
    ratios = []
    for f in sample:
        y = best(lint + [str(f)], a.repeat, work)
        p = best([polyfix, str(f)], a.repeat, work)
        ratios.append(p / y)
    rows.append((f"one file, median of {len(sample)}: polyfix / yamllint", statistics.median(ratios), None))
    for label, t, ratio in rows:
        extra = f"  ratio {ratio:.2f}x" if ratio is not None else ""
        unit = "x" if "median" in label else " s"
        print(f"{label:<48} {t:7.3f}{unit}{extra}")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
