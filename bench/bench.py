#!/usr/bin/env python3
"""Time polyfix against yamllint on the same files, and write bench/RESULTS.md.

    python bench/bench.py [CORPUS] [--quick] [--out FILE] [--repeat N] [--sample N] [--seed N]

Each measurement runs the `polyfix` CLI (report mode unless said) and `yamllint -d relaxed` on the same
files, alternating (polyfix first on odd rounds, yamllint first on even ones), and prints the median,
the min–max and the ratio polyfix / yamllint of the medians. Peak memory (max RSS) of every run is read
with os.wait4. Scenarios:

1. One file (the pre-commit case): a sample of files of typical sizes (evenly spaced by size from the
   5th to the 95th percentile of CORPUS, topped up with generated files when CORPUS has too few), each
   alone; the median ratio.
2. A folder of projects, CORPUS (default: the repository's examples/, which is small: point it at your
   own projects), in report mode and with `--dry-run`; the same inside a git work tree (a copy, with
   a .gitignore: where users run it); then ten copies of it side by side.
3. A generated repository (bench/generate.py, fixed seed) of 500, 1,000, 2,000 and 5,000 files, every
   size in every round (the machine's drift then reaches all sizes alike): time per file, also net of
   start-up (the time of a run on an empty folder), and its spread across the sizes (flat within 20%
   is the goal); then single files of about 100, 1,000 and 10,000 lines: time
   per line, with the Python code their services run (which PF011 reads) and again without it, then
   for copies of one project of the smallest size (one make-up at every size); for the two series
   without code, the time per line again in one process that checks each file many times (no
   start-up, nothing done once a process) with each file's count of problems, and the machine
   instructions per line (valgrind's callgrind, when installed; not with --quick), which the
   machine's load does not move; then repositories of about 20,000 lines made of files of each of
   those sizes, in both make-ups: the whole run's time per line.
4. Peak memory for each of the above, and its spread across the sizes of scenario 3.

CORPUS is copied to a temporary folder first; nothing is written outside it but the results file.
`--quick` is a smoke run (few repeats, small sizes; what the test suite runs): its numbers mean little.
The full run takes about 20 minutes on 2 cores when polyfix's time grows linearly with the files.
Needs yamllint: `pip install '.[bench]'`. Plain standard library otherwise.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
import generate  # noqa: E402  (bench/generate.py, beside this file)

OK_EXIT = {0, 1}  # both tools: 0 nothing found, 1 problems found


# ---------------------------------------------------------------------------------------------------
# Measuring


@dataclass
class Runs:
    """The wall-clock times (s) and peak memory (KiB) of the runs of one command."""

    times: list[float] = field(default_factory=list)
    rss: list[int] = field(default_factory=list)
    bad_exit: set[int] = field(default_factory=set)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def spread(self) -> str:
        return f"{min(self.times):.3f}–{max(self.times):.3f}"

    @property
    def max_rss_mb(self) -> float:
        return max(self.rss) / 1024


def run_once(cmd: list[str], cwd: Path, runs: Runs, env: dict[str, str] | None = None) -> None:
    """Run `cmd` once (in `env`, or this process's environment); add its wall time and its max RSS
    (from os.wait4, this child only)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    runs.times.append(time.perf_counter() - start)
    proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped: keep Popen from waiting again
    rss = usage.ru_maxrss // 1024 if sys.platform == "darwin" else usage.ru_maxrss  # bytes on macOS
    runs.rss.append(rss)
    if proc.returncode not in OK_EXIT:
        runs.bad_exit.add(proc.returncode)


def cached_bytecode(env: dict[str, str], folder: Path) -> dict[str, str]:
    """`env` for the timed commands: both tools' modules compiled once, by the warm-up, into `folder`.
    With PYTHONDONTWRITEBYTECODE set, a tool whose install never compiled its modules (an editable
    install, as a checkout of polyfix is) compiled every one of them on every run, about 85 ms a
    run, while the other tool read what pip had compiled: the ratio then compared compilers."""
    out = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    out["PYTHONPYCACHEPREFIX"] = str(folder)
    return out


def alternate(cmds: dict[str, list[str]], cwd: Path, repeat: int) -> dict[str, Runs]:
    """Run each command `repeat` times, alternating them, the order reversed every other round."""
    out = {name: Runs() for name in cmds}
    names = list(cmds)
    for i in range(repeat):
        for name in names if i % 2 == 0 else reversed(names):
            run_once(cmds[name], cwd, out[name])
    return out


def spread_pct(values: list[float]) -> float:
    """(max - min) / min, in percent."""
    lo = min(values)
    return 100 * (max(values) - lo) / lo if lo > 0 else float("inf")


def met(values: list[float]) -> str:
    """The verdict on a goal of flat within 20%."""
    return "met" if spread_pct(values) <= 20 else "not met"


def count_lines(files: list[Path]) -> int:
    return sum(len(f.read_bytes().splitlines()) for f in files)


def polytope_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("polytope.y*ml") if p.is_file())


# ---------------------------------------------------------------------------------------------------
# The machine


def _run_text(cmd: list[str], cwd: Path | None = None) -> str:
    try:
        done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return (done.stdout or done.stderr).strip() or "?"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith(("model name", "hardware", "cpu model")):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    if sys.platform == "darwin":
        return _run_text(["sysctl", "-n", "machdep.cpu.brand_string"])
    return platform.processor() or platform.machine() or "?"


def interpreter_of(script: str) -> str:
    """The Python that runs a console script (its `#!` line), else this one."""
    try:
        first = Path(script).read_bytes().split(b"\n", 1)[0].decode()
    except (OSError, UnicodeDecodeError):
        return sys.executable
    parts = first[2:].split() if first.startswith("#!") else []
    if parts and Path(parts[0]).name.startswith("python"):
        return parts[0]
    return sys.executable


def machine(polyfix: str, yamllint: str) -> list[tuple[str, str]]:
    py = interpreter_of(polyfix)
    cores = str(os.cpu_count())
    if hasattr(os, "sched_getaffinity"):
        cores += f" ({len(os.sched_getaffinity(0))} usable)"
    commit = _run_text(["git", "rev-parse", "--short", "HEAD"], REPO)
    if commit != "?" and _run_text(["git", "status", "--porcelain", "--untracked-files=no"], REPO) != "?":
        commit += " (with uncommitted changes)"
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return [
        ("CPU", cpu_model()),
        ("Cores", cores),
        ("Python (polyfix's)", _run_text([py, "-c", "import platform; print(platform.python_version(), "
                                               "platform.python_implementation())"])),
        ("OS", platform.platform()),
        ("polyfix", f"{_run_text([polyfix, '--version'])}, commit {commit}"),
        ("yamllint", _run_text([yamllint, "--version"])),
        ("Date (UTC)", datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")),
        ("Load average at start (1/5/15 min)", load),
    ]


# ---------------------------------------------------------------------------------------------------
# Output


class Report:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, text: str = "") -> None:
        print(text, flush=True)
        self.lines.append(text)

    def table(self, head: list[str], rows: list[list[str]]) -> None:
        self("| " + " | ".join(head) + " |")
        self("|" + "|".join("---" for _ in head) + "|")
        for r in rows:
            self("| " + " | ".join(r) + " |")
        self()


def progress(text: str) -> None:
    print(f"  … {text}", file=sys.stderr, flush=True)


def warn_exits(rep: Report, label: str, results: dict[str, Runs]) -> None:
    for name, r in results.items():
        if r.bad_exit:
            rep(f"**Warning**: {name} exited with {sorted(r.bad_exit)} on {label}: that time is not a normal run.")
            rep()


def pair_row(p: Runs, y: Runs) -> list[str]:
    return [f"{p.median:.3f} ({p.spread})", f"{y.median:.3f} ({y.spread})", f"{p.median / y.median:.2f}x",
            f"{p.max_rss_mb:.0f}", f"{y.max_rss_mb:.0f}"]


# The single files' series (section 3), as their headings name them.
WITH_CODE, WITHOUT_CODE = "with its Python services' code", "without that code"
COPIES = "copies of one project, without code"

PAIR_HEAD = ["polyfix s, median (min–max)", "yamllint s, median (min–max)", "ratio", "polyfix MB", "yamllint MB"]


# ---------------------------------------------------------------------------------------------------
# Scenarios


@dataclass
class Setup:
    polyfix: str
    yamllint: str
    tmp: Path
    quick: bool
    repeat: int | None
    seed: int
    sample: int

    def lint(self, *paths: str) -> list[str]:
        return [self.yamllint, "-d", "relaxed", *paths]

    def reps(self, default: int) -> int:
        return self.repeat if self.repeat else default


def startup(s: Setup) -> dict[str, Runs]:
    """Both tools on an empty folder: interpreter start-up, imports, discovery of nothing."""
    empty = s.tmp / "empty"
    empty.mkdir()
    return alternate({"polyfix": [s.polyfix, "."], "yamllint": s.lint(".")}, empty, s.reps(3 if s.quick else 7))


def one_file(s: Setup, rep: Report, corpus: Path, generated: Path, name: str) -> None:
    rep("## 1. One file, report mode (the pre-commit case)")
    rep()
    files = [(corpus, f) for f in polytope_files(corpus)]
    if len(files) < s.sample:  # a small corpus: add generated files of typical sizes
        files += [(generated, f) for f in polytope_files(generated)]
    files.sort(key=lambda cf: (count_lines([cf[1]]), str(cf[1])))
    n = min(s.sample, len(files))
    if n == len(files):
        picks = files
    else:  # typical sizes: evenly spaced by size from the 5th to the 95th percentile
        last = len(files) - 1
        picks = list(dict.fromkeys(files[round(last * (0.05 + 0.9 * i / max(1, n - 1)))] for i in range(n)))
    rows, ratios = [], []
    for base, f in picks:
        rel = f.relative_to(base)
        progress(f"one file: {rel}")
        r = alternate({"polyfix": [s.polyfix, str(rel)], "yamllint": s.lint(str(rel))}, base, s.reps(3 if s.quick else 7))
        warn_exits(rep, str(rel), r)
        label = (name if base == corpus else "generated: ") + str(rel)
        rows.append([f"`{label}`", str(count_lines([f]))] + pair_row(r["polyfix"], r["yamllint"]))
        ratios.append(r["polyfix"].median / r["yamllint"].median)
    rep.table(["file", "lines", *PAIR_HEAD], rows)
    rep(f"**Median ratio over {len(ratios)} files: {statistics.median(ratios):.2f}x** "
        f"(min {min(ratios):.2f}x, max {max(ratios):.2f}x).")
    rep()


def folders(s: Setup, rep: Report, corpus: Path, name: str) -> None:
    rep(f"## 2. A folder of projects: {name}, and ten copies of it")
    rep()
    ten = s.tmp / "ten"
    for i in range(10):
        shutil.copytree(corpus, ten / f"copy-{i}", symlinks=True)
    # Where users run it: inside a git work tree, whose ignore files the search reads (yamllint's
    # default configuration reads none).
    in_git = s.tmp / "in-git"
    shutil.copytree(corpus, in_git, symlinks=True)
    (in_git / ".gitignore").write_text("node_modules/\n__pycache__/\n*.log\n.env\n/build/\n")
    git = shutil.which("git")
    made = git is not None and subprocess.run([git, "init", "-q", str(in_git)], capture_output=True).returncode == 0
    rows = []
    for label, folder in ((name, corpus), (f"{name} in a git work tree", in_git), (f"10 × {name}", ten)):
        if folder is in_git and not made:
            continue
        files = polytope_files(folder)
        per = s.reps(2 if s.quick else 5)
        progress(f"folder: {label}")
        r = alternate({"polyfix": [s.polyfix, "."], "polyfix --dry-run": [s.polyfix, "--dry-run", "."],
                       "yamllint": s.lint(".")}, folder, per)
        warn_exits(rep, label, r)
        y = r["yamllint"]
        for mode in ("polyfix", "polyfix --dry-run"):
            rows.append([label, mode.replace("polyfix", "report").replace("report --dry-run", "--dry-run"),
                         str(len(files)), str(count_lines(files))] + pair_row(r[mode], y))
    rep.table(["folder", "mode", "files", "lines", *PAIR_HEAD], rows)
    rep("yamllint has no `--dry-run`: both rows of a folder compare with the same yamllint runs.")
    rep()


def generated_repo(s: Setup, rep: Report, sizes: list[int], lines: list[int], base: dict[str, Runs]) -> None:
    rep("## 3. A generated repository (bench/generate.py), report mode")
    rep()
    rep(f"Seed {s.seed}. Net: minus the start-up (a run on an empty folder: polyfix {base['polyfix'].median:.3f} s, "
        f"yamllint {base['yamllint'].median:.3f} s).")
    rep()
    # Every size in every round, one after the other: the machine's speed drifts over minutes (a
    # tool's time for the same files moved by a third between scenarios), and a size measured only
    # early or only late would carry that drift into the comparison between sizes.
    folders, file_lists = {}, {}
    for n in sizes:
        folders[n] = s.tmp / f"gen-{n}"
        progress(f"generating {n} files")
        file_lists[n] = generate.generate(folders[n], n, s.seed)
    # Five rounds: a run of a few seconds is the one a busy moment of the machine moves most, and
    # a median of three took two such moments for the 500-file tree in one run.
    reps = s.reps(2 if s.quick else 5)
    results = {n: {"polyfix": Runs(), "yamllint": Runs()} for n in sizes}
    cmds = {"polyfix": [s.polyfix, "."], "yamllint": s.lint(".")}
    for i in range(reps):
        for n in sizes if i % 2 == 0 else reversed(sizes):
            progress(f"generated repository of {n} files, round {i + 1} of {reps}")
            for name in cmds if i % 2 == 0 else reversed(cmds):  # each goes first as often
                run_once(cmds[name], folders[n], results[n][name])
    rows, per_file, net_file, mem, ratios = [], [], [], [], []
    for n in sizes:
        files, r = file_lists[n], results[n]
        warn_exits(rep, f"{n} generated files", r)
        p, y = r["polyfix"], r["yamllint"]
        pf, pn = p.median / n, (p.median - base["polyfix"].median) / n
        yf, yn = y.median / n, (y.median - base["yamllint"].median) / n
        per_file.append(pf)
        net_file.append(pn)
        mem.append(p.max_rss_mb)
        ratios.append(p.median / y.median)
        rows.append([str(n), str(count_lines(files)), str(reps)] + pair_row(p, y)[:3] +
                    [f"{1000 * pf:.2f}", f"{1000 * pn:.2f}", f"{1000 * yf:.2f}", f"{1000 * yn:.2f}",
                     f"{p.max_rss_mb:.0f}", f"{y.max_rss_mb:.0f}"])
        shutil.rmtree(folders[n], ignore_errors=True)
    rep.table(["files", "lines", "rounds", *PAIR_HEAD[:3], "polyfix ms/file", "net", "yamllint ms/file", "net",
               "polyfix MB", "yamllint MB"], rows)
    rep(f"Time per file from {sizes[0]} to {sizes[-1]} files: spread {spread_pct(per_file):.0f}% "
        f"(net of start-up: {spread_pct(net_file):.0f}%); goal: flat within 20% "
        f"({met(net_file)}, net). The sizes ran in turn in every round. "
        f"Ratio to yamllint (whose work per file does not depend on the number of files), "
        f"{sizes[0]} to {sizes[-1]} files: spread {spread_pct(ratios):.0f}%.")
    rep()

    # Three series of single files. The generated ones (generate.generate_lines) with the Python
    # their services run (PF011 reads it, with libcst), then with that code removed (polyfix's YAML
    # work alone; yamllint reads the same file both times). Those change make-up with their size: the
    # smallest is two stores and a service, with about twice the problems per line of the others. So
    # the third series is copies of one project of about the smallest size (generate.generate_repeated):
    # one make-up at every size, whose time per line shows how the work grows with the lines alone.
    series = {label: ([], [], [], []) for label in (WITH_CODE, WITHOUT_CODE, COPIES)}
    # The start-up these files' net times subtract is measured in the same rounds, alternating with
    # them: a run of 50 ms moves by several ms with the machine between minutes, as much as a
    # 128-line file's lines cost. And every size runs in every round, as in the generated
    # repository: measured one size after the other, the sizes' times per line were taken minutes
    # apart, and the machine's drift (the start-up moved from 36 to 55 ms within one run) went into
    # their comparison.
    empty = s.tmp / "empty-beside"
    empty.mkdir(exist_ok=True)
    medians: dict[str, list[tuple[int, float, float]]] = {label: [] for label in series}  # (lines, polyfix, yamllint)
    files: dict[str, dict[int, tuple[Path, Path]]] = {"generated": {}, "copies": {}}
    for n in lines:
        folder = s.tmp / f"lines-{n}"
        files["generated"][n] = (folder, generate.generate_lines(folder, n, s.seed))
        folder = s.tmp / f"copies-{n}"
        files["copies"][n] = (folder, generate.generate_repeated(folder, n, s.seed, unit=min(lines)))
        shutil.rmtree(folder / "code", ignore_errors=True)
    actual = {kind: [count_lines([path]) for _folder, path in made.values()] for kind, made in files.items()}
    empties = {"polyfix, empty": [s.polyfix, str(empty)], "yamllint, empty": s.lint(str(empty))}
    for label, (rows, per_line, net_line, _mem) in series.items():
        folders = files["copies" if label == COPIES else "generated"]
        actual_lines = actual["copies" if label == COPIES else "generated"]
        # The smallest file's net time is two medians of about 40 ms apart by a few ms, and single
        # runs move by as much: in 7 rounds its net per line came out 22 µs on one run of this script
        # and 57 µs on another. The series without code run 31 rounds (about a minute more each).
        reps = s.reps(2 if s.quick else 7 if label == WITH_CODE else 31)
        if label == WITHOUT_CODE:
            for folder, _path in folders.values():
                shutil.rmtree(folder / "code", ignore_errors=True)
        runs = {(n, tool): Runs() for n in lines for tool in ("polyfix", "yamllint")}
        runs.update({(None, name): Runs() for name in empties})
        ordered = [(n, tool, [s.polyfix, path.name] if tool == "polyfix" else s.lint(path.name), folder)
                   for n, (folder, path) in folders.items() for tool in ("polyfix", "yamllint")]
        ordered += [(None, name, cmd, empty) for name, cmd in empties.items()]
        for i in range(reps):
            progress(f"one file of each size, {label}, round {i + 1} of {reps}")
            for n, tool, cmd, cwd in ordered if i % 2 == 0 else reversed(ordered):  # each goes first as often
                run_once(cmd, cwd, runs[n, tool])
        p0, y0 = runs[None, "polyfix, empty"].median, runs[None, "yamllint, empty"].median
        for n, count in zip(lines, actual_lines):
            r = {"polyfix": runs[n, "polyfix"], "yamllint": runs[n, "yamllint"]}
            warn_exits(rep, f"a file of {count} lines, {label}", r)
            p, y = r["polyfix"], r["yamllint"]
            pl, pn = p.median / count, (p.median - p0) / count
            medians[label].append((count, p.median, y.median))
            per_line.append(pl)
            net_line.append(pn)
            rows.append([str(count), str(reps)] + pair_row(p, y)[:3] +
                        [f"{1e3 * p0:.0f}", f"{1e6 * pl:.0f}", f"{1e6 * pn:.0f}", f"{1e3 * y0:.0f}",
                         f"{1e6 * y.median / count:.0f}", f"{1e6 * (y.median - y0) / count:.0f}",
                         f"{p.max_rss_mb:.0f}", f"{y.max_rss_mb:.0f}"])
    for label, (rows, per_line, net_line, _mem) in series.items():
        actual_lines = actual["copies" if label == COPIES else "generated"]
        rep(f"### One file of {actual_lines[0]} to {actual_lines[-1]} lines, {label}")
        rep()
        rep("Every size and a run on an empty folder (the start-up, which net times subtract) ran in every round.")
        rep()
        rep.table(["lines", "rounds", *PAIR_HEAD[:3], "polyfix start-up ms", "polyfix µs/line", "polyfix net µs/line",
                   "yamllint start-up ms", "yamllint µs/line", "yamllint net µs/line", "polyfix MB", "yamllint MB"],
                  rows)
        rep(f"Time per line from {actual_lines[0]} to {actual_lines[-1]} lines, {label}: spread "
            f"{spread_pct(per_line):.0f}% (net of start-up: {spread_pct(net_line):.0f}%; a run's fixed costs, "
            f"the start-up and what the first file costs once, weigh most on small files); goal: flat within 20% "
            f"({met(net_line)}, net).")
        rep()
        # Linear growth means a constant cost per added line, whatever the fixed costs of a run (the
        # start-up, and what the first file costs once: patterns compiled, modules imported on use).
        steps = list(zip(medians[label], medians[label][1:]))
        if not steps:  # one size: nothing to compare
            continue
        marginal = [(b[1] - a[1]) / (b[0] - a[0]) for a, b in steps]
        y_marginal = [(b[2] - a[2]) / (b[0] - a[0]) for a, b in steps]
        spreads = (f"; polyfix's spread {spread_pct(marginal):.0f}% (yamllint's {spread_pct(y_marginal):.0f}%)"
                   if len(steps) > 1 and min(marginal) > 0 and min(y_marginal) > 0 else "")
        rep(f"Cost per added line, {label}: "
            + ", ".join(f"{a[0]} → {b[0]} lines: polyfix {1e6 * m:.0f} µs, yamllint {1e6 * ym:.0f} µs"
                        for (a, b), m, ym in zip(steps, marginal, y_marginal))
            + spreads + ".")
        rep()

    for kind, label in (("generated", WITHOUT_CODE), ("copies", COPIES)):
        paths = [path for _folder, path in files[kind].values()]
        in_one_process(s, rep, label, paths, actual[kind], empty)
        if not s.quick:  # minutes under valgrind: not for a smoke run
            instructions_per_line(s, rep, label, paths, actual[kind], empty)
    for made in files.values():
        for folder, _path in made.values():
            shutil.rmtree(folder, ignore_errors=True)

    repositories_by_file_size(s, rep, lines)

    rep("## 4. Peak memory")
    rep()
    rep("Max RSS of each run (os.wait4), in the tables above. polyfix on the generated repository: "
        + ", ".join(f"{n} files {m:.0f} MB" for n, m in zip(sizes, mem))
        + f"; spread {spread_pct(mem):.0f}% ({'flat' if spread_pct(mem) <= 20 else 'not flat'} in the number "
          f"of files, goal: within 20%).")
    rep()


def repositories_by_file_size(s: Setup, rep: Report, lines: list[int]) -> None:
    """About 20,000 lines (twice the largest file) as a repository of files of each size, both
    make-ups without code (the generated files in both formats); every size in every round. The
    time per line is the whole run's, start-up included (a few percent of it). What a check of one
    file costs beyond its lines (about 1 ms: each rule's code run for the first time, the CPU's
    caches cold for it) is shared here by a repository's files; a single small file's net time holds
    it once beside few lines. Without code: the Python of alike services is read once (pycode's
    cache), so with it the repositories would differ in how much distinct code they hold. polyfix
    runs as users run it and in one process (POLYFIX_JOBS=1), which carries the goal: a file is
    the unit of a process's work, and two or three large files share two cores unevenly."""
    total = 2 * max(lines) if s.quick else 20_000
    made: dict[str, dict[int, tuple[Path, int, int]]] = {"generated": {}, "copies": {}}
    for kind in made:
        for n in lines:
            folder = s.tmp / f"repo-{kind}-{n}"

            def write(i: int) -> Path:  # one project per folder, each of its own seed (no two alike)
                sub = folder / f"p{i}"
                path = (generate.generate_lines(sub, n, s.seed + i, legacy=i % 2 == 1) if kind == "generated"
                        else generate.generate_repeated(sub, n, s.seed + i, unit=min(lines)))
                shutil.rmtree(sub / "code", ignore_errors=True)
                return path

            first = count_lines([write(0)])  # files of about n lines: as many as make about `total`
            files = max(2, round(total / first))
            count = first + sum(count_lines([write(i)]) for i in range(1, files))
            made[kind][n] = (folder, files, count)
    reps = s.reps(2 if s.quick else 5)
    serial = dict(os.environ, POLYFIX_JOBS="1")
    tools = {"polyfix": None, "polyfix, one process": serial, "yamllint": None}
    for kind, label in (("generated", WITHOUT_CODE), ("copies", COPIES)):
        runs = {(n, tool): Runs() for n in lines for tool in tools}
        ordered = [(n, tool) for n in lines for tool in tools]
        for i in range(reps):
            progress(f"repositories of files of each size, {label}, round {i + 1} of {reps}")
            for n, tool in ordered if i % 2 == 0 else reversed(ordered):
                cmd = s.lint(".") if tool == "yamllint" else [s.polyfix, "."]
                run_once(cmd, made[kind][n][0], runs[n, tool], tools[tool])
        rows, per_line, one_process = [], [], []
        for n in lines:
            folder, files, count = made[kind][n]
            p, p1, y = runs[n, "polyfix"], runs[n, "polyfix, one process"], runs[n, "yamllint"]
            warn_exits(rep, f"a repository of files of about {n} lines, {label}", {"polyfix": p, "yamllint": y})
            warn_exits(rep, f"a repository of files of about {n} lines, {label}, one process", {"polyfix": p1})
            per_line.append(p.median / count)
            one_process.append(p1.median / count)
            rows.append([str(n), str(files), str(count), str(reps)] + pair_row(p, y)[:3] +
                        [f"{1e6 * p.median / count:.1f}", f"{p1.median:.3f}", f"{1e6 * p1.median / count:.1f}",
                         f"{1e6 * y.median / count:.1f}"])
            shutil.rmtree(folder, ignore_errors=True)
        rep(f"### Repositories of files of about {lines[0]} to {lines[-1]} lines, {label}")
        rep()
        rep(f"About {total:,} lines in each repository, in files of one size; the whole run's time per line, "
            "start-up included; polyfix as users run it, then in one process (`POLYFIX_JOBS=1`).")
        rep()
        rep.table(["file lines", "files", "lines", "rounds", *PAIR_HEAD[:3], "polyfix µs/line",
                   "one process s", "one process µs/line", "yamllint µs/line"], rows)
        rep(f"Time per line, repositories of files of {lines[0]} to {lines[-1]} lines, {label}: spread "
            f"{spread_pct(one_process):.0f}% in one process; goal: flat within 20% "
            f"({met(one_process)}). As users run it (a process per core "
            f"once a tree holds more than about 200 KB of YAML, each taking whole files): spread "
            f"{spread_pct(per_line):.0f}%.")
        rep()


# Runs polyfix's command in one process: each folder once unmeasured, then `rounds` rounds over
# them all (the order reversed every other round); writes each folder's times as JSON.
_IN_ONE_PROCESS = """
import json, os, sys, time
from polyfix.cli import main
out, rounds, folders = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
def once(folder):
    os.chdir(folder)
    start = time.perf_counter()
    try:
        main(["."], standalone_mode=False)
    except SystemExit:
        pass
    return time.perf_counter() - start
times = {f: [] for f in folders}
for f in folders:
    once(f)
for i in range(rounds):
    for f in folders if i % 2 == 0 else folders[::-1]:
        times[f].append(once(f))
with open(out, "w") as fh:
    json.dump(times, fh)
"""


def in_one_process(s: Setup, rep: Report, label: str, files: list[Path], lines: list[int], empty: Path) -> None:
    """The single files without their Python code again, each checked many times in one process after
    a first run: no start-up and nothing a process does once (its first run of each function, the
    memory it asks the system for). What remains per line beside the lines' own work is what every
    check of a file costs, and what a file's problems cost (their fixes, judged and written out)."""
    progress(f"one file of each size, {label}, in one process")
    counts = []
    for path in files:
        listed = subprocess.run([s.polyfix, "--output-format", "json", path.name], cwd=path.parent,
                                stdin=subprocess.DEVNULL, capture_output=True, text=True)
        try:
            counts.append(len(json.loads(listed.stdout)))
        except ValueError:
            counts.append(None)
    out = s.tmp / ("in-one-process-" + "".join(c if c.isalnum() else "-" for c in label) + ".json")
    folders = [str(empty)] + [str(path.parent) for path in files]
    rounds = s.reps(3 if s.quick else 31)
    done = subprocess.run([interpreter_of(s.polyfix), "-c", _IN_ONE_PROCESS, str(out), str(rounds), *folders],
                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0 or not out.exists():
        rep(f"In one process: not measured ({(done.stderr.strip().splitlines() or ['no output'])[-1]}).")
        rep()
        return
    times = json.loads(out.read_text())
    base = statistics.median(times[str(empty)])
    rows, net = [], []
    for path, n, count in zip(files, lines, counts):
        median = statistics.median(times[str(path.parent)])
        net.append((median - base) / n)
        rows.append([str(n), str(rounds), f"{1e3 * median:.1f}", f"{1e6 * net[-1]:.0f}",
                     "?" if count is None else str(count), "?" if count is None else f"{100 * count / n:.1f}"])
    rep(f"### In one process, one file of {lines[0]} to {lines[-1]} lines, {label}")
    rep()
    rep(f"polyfix's command called in one Python process, each file (and the empty folder: {1e3 * base:.2f} ms, "
        "which net times subtract) once unmeasured, then in every round; medians. What a process does once "
        "(start-up, its first run of each function) is left out; what every check of a file costs is not.")
    rep()
    rep.table(["lines", "rounds", "ms, median", "net µs/line", "problems", "problems per 100 lines"], rows)
    rep(f"Net time per line in one process from {lines[0]} to {lines[-1]} lines, {label}: spread "
        f"{spread_pct(net):.0f}%.")
    rep()


def instructions_per_line(s: Setup, rep: Report, label: str, files: list[Path], lines: list[int], empty: Path) -> None:
    """The single files without their Python code again, counted in machine instructions: a count
    does not move with the machine as a time does (the same run gives the same count within 0.2%),
    so it shows how the work grows with the lines however busy the machine is."""
    if not shutil.which("valgrind"):
        rep("Instructions per line: not counted (valgrind is not installed).")
        rep()
        return
    progress(f"instructions per line, {label}, under valgrind")
    base = {"polyfix": instructions([s.polyfix, "."], empty), "yamllint": instructions(s.lint("."), empty)}
    net: dict[str, list[float]] = {"polyfix": [], "yamllint": []}
    rows = []
    for path, n in zip(files, lines):
        row = [str(n)]
        for tool, cmd in (("polyfix", [s.polyfix, path.name]), ("yamllint", s.lint(path.name))):
            count = instructions(cmd, path.parent)
            if count is None or base[tool] is None:
                rep("Instructions per line: valgrind counted nothing.")
                rep()
                return
            net[tool].append((count - base[tool]) / n)
            row += [f"{count / 1e6:.1f}", f"{net[tool][-1] / 1e3:.0f}"]
        rows.append(row)
    rep(f"### Instructions per line, one file of {lines[0]} to {lines[-1]} lines, {label}")
    rep()
    rep(f"Counted by valgrind (callgrind), every process of a run together, PYTHONHASHSEED=0. Net: minus a run "
        f"on an empty folder (polyfix {base['polyfix'] / 1e6:.1f} M, yamllint {base['yamllint'] / 1e6:.1f} M).")
    rep()
    rep.table(["lines", "polyfix M instructions", "polyfix net k/line", "yamllint M instructions",
               "yamllint net k/line"], rows)
    rep(f"Net instructions per line from {lines[0]} to {lines[-1]} lines, {label}: polyfix's spread "
        f"{spread_pct(net['polyfix']):.0f}%, yamllint's {spread_pct(net['yamllint']):.0f}%. A count leaves out "
        f"what a time holds besides the work (caches, memory the system hands out, the machine's other load).")
    rep()


def instructions(cmd: list[str], cwd: Path) -> int | None:
    """The machine instructions a command runs, all its processes together (valgrind's callgrind)."""
    proc = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *cmd], cwd=cwd,
                          env=dict(os.environ, PYTHONHASHSEED="0"), stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    counts = [int(line.rsplit(":", 1)[1]) for line in proc.stderr.splitlines() if "Collected :" in line]
    return sum(counts) if counts else None


# ---------------------------------------------------------------------------------------------------


def find_tool(name: str) -> str | None:
    beside = Path(sys.executable).parent / name  # the environment running this script first
    return str(beside) if beside.exists() else shutil.which(name)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", nargs="?", default=str(REPO / "examples"), help="a folder of Polytope projects")
    ap.add_argument("--quick", action="store_true", help="a smoke run: few repeats, small sizes")
    ap.add_argument("--out", help="where to write the results (default bench/RESULTS.md; with --quick, "
                    "bench/RESULTS-quick.md, which git ignores: a smoke run does not replace the measured results)")
    ap.add_argument("--repeat", type=int, help="rounds for every measurement (default: per scenario)")
    ap.add_argument("--sample", type=int, help="files in scenario 1 (default 10, quick 3)")
    ap.add_argument("--seed", type=int, default=11, help="seed of the generated repository")
    ap.add_argument("--sizes", help="files of scenario 3, comma-separated (default 500,1000,2000,5000)")
    ap.add_argument("--lines", help="lines of scenario 3's single files (default 100,1000,10000)")
    a = ap.parse_args(argv)
    a.out = a.out or str(HERE / ("RESULTS-quick.md" if a.quick else "RESULTS.md"))
    polyfix, yamllint = find_tool("polyfix"), find_tool("yamllint")
    if not polyfix or not yamllint:
        print("needs both polyfix and yamllint: pip install '.[bench]'", file=sys.stderr)
        return 2
    corpus_in = Path(a.corpus).resolve()
    if not corpus_in.is_dir():
        print(f"no such folder: {a.corpus}", file=sys.stderr)
        return 2
    sizes = [int(x) for x in (a.sizes or ("20,40" if a.quick else "500,1000,2000,5000")).split(",")]
    lines = [int(x) for x in (a.lines or ("100,300" if a.quick else "100,1000,10000")).split(",")]
    s = Setup(polyfix, yamllint, Path(tempfile.mkdtemp(prefix="pf-bench-")), a.quick, a.repeat, a.seed,
              a.sample or (3 if a.quick else 10))
    began = time.perf_counter()
    timed_env = cached_bytecode(dict(os.environ), s.tmp / "bytecode")
    os.environ.clear()  # every command from here on runs in it
    os.environ.update(timed_env)
    try:
        rep = Report()
        rep("# polyfix benchmark" + (" (--quick: a smoke run, the numbers mean little)" if a.quick else ""))
        rep()
        shown = " ".join(x if x != str(corpus_in) else Path(x).name for x in (sys.argv[1:] if argv is None else argv))
        rep(f"Written by `python bench/bench.py{' ' + shown if shown else ''}`. Times are wall-clock "
            "seconds of the `polyfix` and `yamllint -d relaxed` commands, alternating on the same files; "
            "ratio = polyfix / yamllint (medians); MB = peak memory (max RSS of the largest single process). "
            "polyfix checks a tree of more than about 200 KB of YAML in several processes, one per usable "
            "core (`POLYFIX_JOBS` sets the number); yamllint uses one. Both tools' modules are compiled "
            "once, by a warm-up run, into a temporary bytecode cache that every timed run reads. On a busy machine the "
            "numbers are noisy: compare ratios, measured side by side, rather than seconds.")
        rep()
        rep.table(["machine", ""], [[k, v] for k, v in machine(polyfix, yamllint)])
        corpus = s.tmp / "corpus"
        shutil.copytree(corpus_in, corpus, symlinks=True)
        name = "examples/" if corpus_in == (REPO / "examples").resolve() else corpus_in.name + "/"
        progress("warming up")
        alternate({"polyfix": [polyfix, "."], "yamllint": s.lint(".")}, corpus, 1)
        base = startup(s)
        sample_pool = s.tmp / "typical"
        generate.generate(sample_pool, 60, s.seed)
        one_file(s, rep, corpus, sample_pool, name)
        folders(s, rep, corpus, name)
        generated_repo(s, rep, sizes, lines, base)
        rep(f"Whole run: {(time.perf_counter() - began) / 60:.1f} minutes.")
        out = Path(a.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("\n".join(rep.lines) + "\n")
        print(f"\nwritten: {out}", file=sys.stderr)
    finally:
        shutil.rmtree(s.tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
