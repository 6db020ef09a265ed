"""A big tree in parts: the engine runs on one part at a time, so memory holds one part's working
state, and with enough work and more than one usable core the parts run side by side in forked
processes.

Rules resolve every name within an include group (the files joined by `include:`), so files of
different groups are separate projects and can be checked apart. What parts can still share lies
outside their own YAML: a script or Python file two of them ask about (PF004 makes a script
executable, PF011 rewrites a Python file, and either reports a file once), or a file of one part that
another's `chmod +x ./*` covers. A part with a result for a file outside it runs again as one with the
parts that asked about that file, own it or have a result for it, so the results are always those of
one run over everything (tests/test_parts.py compares them on real and generated trees).

The workers are plain forks talking over pipes rather than a multiprocessing pool: a pool hangs when
a worker dies, or when a signal to the whole process group kills a worker holding its queue's lock.
A run can fork them early (`Pool`), while it has read little: a process holds what it had when it
was forked, so workers forked once the tree is read would grow with the number of files.
"""
from __future__ import annotations

import os
import sys
import zlib
from collections.abc import Callable

from .discover import may_include
from .document import ParseError
from .engine import include_groups

# Text per part: a part's fixed costs (the project model, the gate's baseline) do not show at this
# size, and memory stays near one part's worth.
PART_CHARS = 100_000
# Processes take the next part as they finish one, and the last part leaves the others idle. A tree
# with fewer than this many parts per process is cut finer (down to a quarter of PART_CHARS): the
# real corpus, 104 files in 4 parts on 2 cores, takes a tenth less time in 8.
PARTS_PER_PROCESS = 4
# Less text than this is checked sooner in one process than by starting others (measured on 2 cores:
# the real corpus, 104 files and 330 KB, gains a third).
POOL_CHARS = 200_000


def split(texts, targets: list[str], parse: Callable, sizes: dict[str, int], jobs: int = 1) -> list[list[str]]:
    """The files of `texts` (a mapping of paths to texts) in parts of whole include groups, each part
    in the order of `texts`; `sizes` are the texts' lengths, `jobs` the processes that will check
    the parts (see part_chars). Groups without a target are left out: they are context no target's
    project reads."""
    limit = part_chars(sum(sizes.values()), jobs)
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
        size += sum(sizes[f] for f in files)
        if size >= limit:
            parts.append(sorted(part, key=order.__getitem__))
            part, size = [], 0
    if part:
        parts.append(sorted(part, key=order.__getitem__))
    return parts


def part_chars(total: int, jobs: int) -> int:
    """The text per part for a tree of `total` characters checked by `jobs` processes."""
    if jobs < 2:
        return PART_CHARS
    return max(PART_CHARS // 4, min(PART_CHARS, total // (PARTS_PER_PROCESS * jobs)))


def workers(parts: list[list[str]], sizes: dict[str, int], asked: int | None = None) -> int:
    """How many processes to run the parts in: `asked` (POLYFIX_JOBS) when given, else every usable core once
    there is enough text to pay for starting them; one where the platform cannot fork or other
    threads run."""
    if not asked and sum(sizes[f] for part in parts for f in part) < POOL_CHARS:
        return 1
    return min(usable(asked), max(len(parts), 1))


def usable(asked: int | None = None) -> int:
    """`asked` processes, or one per usable core; one where forking is not safe."""
    if asked:
        jobs = asked
    else:
        jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if jobs > 1:
        import signal
        import threading

        # A fork copies only the thread that forks: a lock another thread held (an import, a
        # stream) would stay locked in the child forever. The command line has one thread.
        if not hasattr(os, "fork") or not hasattr(signal, "pthread_sigmask") or threading.active_count() > 1:
            return 1
    return max(jobs, 1)


# Below this many characters, the paths a part asked about are kept as they are: zlib sets up about
# 256 KB of state for each call, 0.1 ms, which is more than a one-file run's list of paths costs to keep.
PACK_FROM = 16_384


class Paths:
    """Paths kept compressed when there are many (the paths a part asked about: thousands in a big
    part, held until every part has run); iterating gives them back."""

    def __init__(self, paths):
        joined = "".join(path + "\0" for path in paths)
        self._packed = (zlib.compress(joined.encode("utf-8", "surrogatepass"), 1) if len(joined) >= PACK_FROM
                        else joined)

    def __iter__(self):
        packed = self._packed
        joined = packed if isinstance(packed, str) else zlib.decompress(packed).decode("utf-8", "surrogatepass")
        return iter(joined.split("\0")[:-1])


def run_all(parts: list[list[str]], run_part: Callable, jobs: int, order: dict[str, int],
            warn: Callable[[str], None] = lambda message: None, pool: Pool | None = None,
            job: Callable | None = None) -> dict:
    """Every part's results, merged; `run_part(files)` gives (results, the paths it asked the file
    system about). A part with a result for a file outside it (a script it reports or fixes, a Python
    file it rewrites, even another part's polytope.yml that a chmod covers) could have seen that file
    differently in one run: it runs again together with every part that asked about the file, owns
    it, or has a result for it too. Paths that parts only read never join them. `pool` and `job`: as
    _map takes them."""
    outcomes = _map(run_part, parts, jobs, warn, pool, job)
    joined = list(range(len(parts)))

    def find(i: int) -> int:
        while joined[i] != i:
            joined[i] = joined[joined[i]]
            i = joined[i]
        return i

    foreign = [(i, path) for i, (results, _asked) in enumerate(outcomes) for path in results.keys() - set(parts[i])]
    wanted = {path for _i, path in foreign}
    touching: dict[str, list[int]] = {}  # such a path → the parts that asked about it, own it or have a result for it
    for i, (results, asked) in enumerate(outcomes if wanted else ()):
        for path in {p for p in (*asked, *parts[i], *results) if p in wanted}:
            touching.setdefault(path, []).append(i)
    for i, path in foreign:
        for j in touching[path]:
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


def _map(run_part: Callable, parts: list[list[str]], jobs: int, warn: Callable[[str], None],
         pool: Pool | None = None, job: Callable | None = None) -> list:
    """run_part on every part: here, or in `jobs` processes (or `pool`'s, forked earlier) that take the
    next part as they finish one; a worker is handed `job(files)` (default: the files) and answers
    with what run_part gives for them. A worker that dies (killed, out of memory) leaves its parts to
    this process, as do workers that cannot be started (no memory to fork, no file descriptors left)."""
    if jobs < 2 or len(parts) < 2:
        return [run_part(p) for p in parts]
    if pool is None:
        with Pool(run_part, jobs, warn) as own:
            return _map(run_part, parts, jobs, warn, own.start(), job)
    import pickle
    import selectors

    outcomes: list = [None] * len(parts)
    todo = iter(range(len(parts)))
    left: list[int] = []  # parts whose worker died
    choose = selectors.DefaultSelector()
    workers = {worker.results: worker for worker in pool.workers}

    def lose(worker: _Worker) -> None:
        """It died: its part (if it had one) is left to this process."""
        choose.unregister(worker.results)
        pool.workers.remove(worker)
        if worker.part is not None:
            left.append(worker.part)
        warn(_died(worker.stop()))

    def hand_out(worker: _Worker) -> None:
        part = next(todo, None)
        message = None if part is None else pickle.dumps(job(parts[part]) if job else parts[part])
        if not worker.give(part, message):  # it died since its last answer
            lose(worker)
        elif worker.part is None:
            choose.unregister(worker.results)

    try:
        for worker in list(workers.values()):
            choose.register(worker.results, selectors.EVENT_READ)
            hand_out(worker)
        while choose.get_map():
            for key, _events in choose.select():
                worker = workers[key.fd]
                done = worker.receive()
                if done is None:
                    continue
                if done is _DIED:
                    lose(worker)
                    continue
                ok, value = done
                if not ok:
                    raise value
                outcomes[worker.part] = value
                hand_out(worker)
        for i in left + list(todo):  # the workers that died or never started
            outcomes[i] = run_part(parts[i])
        return outcomes
    finally:
        choose.close()


class Pool:
    """Worker processes, each running `run` on what it is handed (see _map); used as a context
    manager, which stops them all however it is left. SIGTERM (a hook's timeout, a cancelled CI job)
    would end this process at once, its workers left running: from `start` on, it ends it through
    that exit instead, as Ctrl-C does."""

    def __init__(self, run: Callable, jobs: int, warn: Callable[[str], None]):
        self.run, self.jobs, self.warn = run, jobs, warn
        self.workers: list[_Worker] = []
        self.started = False
        self._previous = None

    def start(self) -> Pool:
        """Fork the workers (once); fewer, or none, with a warning where the system cannot."""
        import signal

        if self.started:
            return self
        self.started = True
        try:
            self._previous = signal.signal(signal.SIGTERM, _exit_on_term)
        except ValueError:  # not the main thread: SIGTERM keeps its meaning
            self._previous = None
        _flush()
        try:
            for _ in range(self.jobs):
                # Ctrl-C or SIGTERM arriving while a worker starts waits until it has set its own
                # handlers and this process knows it, then stops the run here (before the next fork).
                unblocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
                try:
                    self.workers.append(_start(self.run, self.workers, unblocked))
                finally:
                    signal.pthread_sigmask(signal.SIG_SETMASK, unblocked)
        except OSError as e:  # what a one-process run does not need: fewer workers, or none
            self.warn(f"warning: {len(self.workers)} of {self.jobs} checking processes started ({e}): "
                      f"this one does the rest")
        return self

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *_exc) -> None:
        if not self.started:  # a run in this process alone: no need for the signal module (0.7 ms)
            return
        import signal

        # A second signal here would cut this short and leave workers unreaped: it waits.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        try:
            for worker in self.workers:
                worker.stop(kill=True)
            self.workers = []
            if self._previous is not None:
                signal.signal(signal.SIGTERM, self._previous)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


_DIED = object()  # what receive() says of a worker that ended without answering


class _Worker:
    """A forked process running parts: it reads pickled jobs and answers each with the pickled
    (True, outcome) or (False, exception), each message 8 bytes of length first; no more jobs (the
    pipe closed) and it ends."""

    def __init__(self, pid: int, tasks: int, results: int):
        self.pid, self.tasks, self.results = pid, tasks, results
        self.part: int | None = None
        self.buffer = b""

    def give(self, part: int | None, job: bytes | None) -> bool:
        """Hand it part number `part` as the pickled `job`, or None: no more. False when it has died."""
        self.part = part
        if part is None:
            os.close(self.tasks)
            self.tasks = -1
            return True
        try:
            _send(self.tasks, job)
        except BrokenPipeError:
            return False
        return True

    def receive(self):
        """The answer once all of it has come, None while it is still coming, _DIED at its end."""
        import pickle

        chunk = os.read(self.results, 1 << 20)
        if not chunk:
            return _DIED
        self.buffer += chunk
        size = int.from_bytes(self.buffer[:8], "big") if len(self.buffer) >= 8 else None
        if size is None or len(self.buffer) < 8 + size:
            return None
        message, self.buffer = self.buffer[8:8 + size], self.buffer[8 + size:]
        return pickle.loads(message)

    def stop(self, kill: bool = False) -> int | None:
        """Close its pipes and wait for it to end (killed first with `kill`); its exit status, None
        where the system reaped it (SIGCHLD ignored)."""
        import signal

        for fd in (self.tasks, self.results):
            if fd >= 0:
                os.close(fd)
        self.tasks = self.results = -1
        if self.pid < 0:
            return None
        pid, self.pid = self.pid, -1
        if kill:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            return os.waitpid(pid, 0)[1]
        except ChildProcessError:
            return None


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):  # what is buffered is printed once, by this process
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass


def _start(run: Callable, others, unblocked) -> _Worker:
    """Fork a worker (signals blocked by the caller); OSError when the system cannot."""
    tasks_read, tasks_write = os.pipe()
    try:
        results_read, results_write = os.pipe()
    except OSError:
        os.close(tasks_read)
        os.close(tasks_write)
        raise
    try:
        pid = os.fork()
    except OSError:
        for fd in (tasks_read, tasks_write, results_read, results_write):
            os.close(fd)
        raise
    if pid == 0:
        try:
            for fd in [fd for w in others for fd in (w.tasks, w.results)] + [tasks_write, results_read]:
                os.close(fd)  # another's pipe held open here would hide that one's end
            _work(run, tasks_read, results_write, unblocked)
        finally:
            os._exit(1)
    os.close(tasks_read)
    os.close(results_write)
    return _Worker(pid, tasks_write, results_read)


def _work(run: Callable, tasks: int, results: int, mask) -> None:
    """A worker's life; it never returns into the parent's code. Ctrl-C is left to the parent, which
    stops every worker (no traceback from each); SIGTERM ends it at once; and it ends when the parent
    is gone however it ended (SIGKILL included): no worker outlives a run."""
    import pickle
    import signal
    import threading
    import time
    import traceback

    status = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        parent = os.getppid()

        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(0.2)
            os._exit(1)

        threading.Thread(target=watch, daemon=True).start()
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        while True:
            size = _read_exactly(tasks, 8)
            job = size and _read_exactly(tasks, int.from_bytes(size, "big"))
            if job is None:
                status = 0
                break
            try:
                answer = pickle.dumps((True, run(pickle.loads(job))))
            except Exception as e:
                try:
                    answer = pickle.dumps((False, e))
                    pickle.loads(answer)  # some exceptions pickle but cannot be made again
                except Exception:
                    answer = pickle.dumps((False, RuntimeError(traceback.format_exc())))
            _send(results, answer)
    finally:
        os._exit(status)


def _send(fd: int, message: bytes) -> None:
    """A message as both ends read it: its length in 8 bytes, then the message."""
    data = len(message).to_bytes(8, "big") + message
    while data:
        data = data[os.write(fd, data):]


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _died(status: int | None) -> str:
    import signal

    if status is None:
        how = "ended"
    elif os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        how = f"was ended by {signal.Signals(number).name if number in signal.valid_signals() else number}"
    else:
        how = f"exited with code {os.waitstatus_to_exitcode(status)}"
    return f"warning: a checking process {how}: its part is checked again in this one"


def _exit_on_term(number, _frame):
    raise SystemExit(128 + number)
