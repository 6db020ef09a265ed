"""A big tree in parts: the engine runs on one part at a time, so memory holds one part's working
state, and with enough work and more than one usable core the parts run side by side in forked
processes.

Rules resolve every name within an include group (the files joined by `include:`), so files of
different groups are separate projects and can be checked apart. What parts can still share lies
outside the YAML: a script or Python file two of them ask about (PF004 makes a script executable,
PF011 rewrites a Python file, and either reports a file once). Parts that asked about the same path
run again as one, so the results are always those of one run over everything (tests/test_parts.py
compares them on real and generated trees).
"""
from __future__ import annotations

import os
from collections.abc import Callable

from .discover import may_include
from .document import ParseError
from .engine import include_groups

# Text per part: a part's fixed costs (the project model, the gate's baseline) do not show at this
# size, and memory stays near one part's worth.
PART_CHARS = 100_000
# Less text than this is checked sooner in one process than by starting others (measured on 2 cores:
# the real corpus, 104 files and 330 KB, gains a third).
POOL_CHARS = 200_000


def split(texts: dict[str, str], targets: list[str], parse: Callable) -> list[list[str]]:
    """The files of `texts` in parts of whole include groups, each part in the order of `texts`.
    Groups without a target are left out: they are context no target's project reads."""
    docs = {}
    for path, text in texts.items():
        try:
            if may_include(text):  # the others are parsed in their part
                docs[path] = parse(text)
        except ParseError:  # its own group; the engine reports it
            pass
    groups = include_groups(docs, texts)
    members: dict[str, list[str]] = {}
    for path in texts:
        members.setdefault(groups.get(path, path), []).append(path)
    wanted = set(targets)
    order = {path: i for i, path in enumerate(texts)}
    parts: list[list[str]] = []
    part: list[str] = []
    size = 0
    for files in members.values():
        if wanted.isdisjoint(files):
            continue
        part += files
        size += sum(len(texts[f]) for f in files)
        if size >= PART_CHARS:
            parts.append(sorted(part, key=order.__getitem__))
            part, size = [], 0
    if part:
        parts.append(sorted(part, key=order.__getitem__))
    return parts


def workers(parts: list[list[str]], texts: dict[str, str], asked: int | None = None) -> int:
    """How many processes to run the parts in: `asked` (POLYFIX_JOBS) when given, else every usable core once
    there is enough text to pay for starting them; one where the platform cannot fork or other
    threads run."""
    if asked:
        jobs = asked
    elif sum(len(texts[f]) for part in parts for f in part) < POOL_CHARS:
        return 1
    else:
        jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    jobs = min(jobs, len(parts))
    if jobs > 1:
        import multiprocessing
        import threading

        # A fork copies only the thread that forks: a lock another thread held (an import, a
        # stream) would stay locked in the child forever. The command line has one thread.
        if "fork" not in multiprocessing.get_all_start_methods() or threading.active_count() > 1:
            return 1
    return max(jobs, 1)


def run_all(parts: list[list[str]], run_part: Callable, jobs: int, order: dict[str, int]) -> dict:
    """Every part's results, merged; `run_part(files)` gives (results, the paths it asked the file
    system about). A part that asked about a file another part has a result for (a script it
    reports or fixes, a Python file it rewrites) could have seen it differently in one run: the two
    run again together. Paths that parts only read never join them."""
    outcomes = _map(run_part, parts, jobs)
    joined = list(range(len(parts)))

    def find(i: int) -> int:
        while joined[i] != i:
            joined[i] = joined[joined[i]]
            i = joined[i]
        return i

    outside: dict[str, list[int]] = {}  # a path that is no YAML file of its part → the parts with a result for it
    for i, (results, _asked) in enumerate(outcomes):
        mine = set(parts[i])
        for path in results:
            if path not in mine:
                outside.setdefault(path, []).append(i)
    for i, (_results, asked) in enumerate(outcomes):
        for path in asked:
            for j in outside.get(path, ()):
                joined[find(i)] = find(j)
    together: dict[int, list[int]] = {}
    for i in range(len(parts)):
        together.setdefault(find(i), []).append(i)
    results: dict = {}
    for members in together.values():
        if len(members) == 1:
            results.update(outcomes[members[0]][0])
        else:
            files = sorted((f for i in members for f in parts[i]), key=order.__getitem__)
            results.update(run_part(files)[0])
    return results


_RUN_PART: Callable | None = None  # what a forked worker runs: set by _map before the fork
_PARTS: list[list[str]] = []


def _map(run_part: Callable, parts: list[list[str]], jobs: int) -> list:
    global _RUN_PART, _PARTS
    if jobs < 2 or len(parts) < 2:
        return [run_part(p) for p in parts]
    import multiprocessing

    import signal

    _RUN_PART, _PARTS = run_part, parts
    # SIGTERM (a hook's timeout, a cancelled CI job) would end this process at once, its workers
    # left running: it ends it through the `finally` below instead, as Ctrl-C does.
    try:
        previous = signal.signal(signal.SIGTERM, _exit_on_term)
    except ValueError:  # not the main thread: SIGTERM keeps its meaning
        previous = None
    pool = multiprocessing.get_context("fork").Pool(jobs, initializer=_quiet, initargs=(os.getpid(),))
    try:
        return pool.map(_run_index, range(len(parts)), chunksize=1)
    finally:
        pool.terminate()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        _RUN_PART, _PARTS = None, []


def _exit_on_term(number, _frame):
    raise SystemExit(128 + number)


def _run_index(i: int):
    return _RUN_PART(_PARTS[i])


def _quiet(parent: int) -> None:
    """A worker leaves Ctrl-C to the parent, which stops them all (no traceback from each), and ends
    when the parent is gone however it ended (SIGKILL included): no worker outlives a run."""
    import signal
    import threading
    import time

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()
