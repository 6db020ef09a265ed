"""A tree checked in parts (one after another, or side by side in processes) gives exactly the
results of one run over everything: reports, diffs, written files and modes."""
from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CORPUS, REPO, copy_tree
from polyfix import parts
from polyfix.cli import _memo_parse

sys.path.insert(0, str(REPO / "bench"))
import generate  # noqa: E402


def tree(root: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mode & 0o7777)
            for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink()}


# One run over everything; every include group a part of its own, one after another; the same in
# two processes; parts of a few groups in three.
WAYS = {"whole": (10**12, "1"), "groups": (1, "1"), "groups, 2 processes": (1, "2"), "small, 3 processes": (3000, "3")}


def outcomes(polyfix, monkeypatch, src: Path, work: Path, way: str) -> dict:
    size, jobs = WAYS[way]
    monkeypatch.setattr(parts, "PART_CHARS", size)
    monkeypatch.setenv("POLYFIX_JOBS", jobs)
    processes = []
    real_map = parts._map

    def spy(run_part, in_parts, n, warn, *pool_and_job):
        processes.append((n, len(in_parts)))
        return real_map(run_part, in_parts, n, warn, *pool_and_job)

    monkeypatch.setattr(parts, "_map", spy)
    copy = copy_tree(src, work / way.replace(" ", "_").replace(",", ""))
    out = {}
    for args in (["--output-format", "json"], ["--dry-run"], ["--output-format", "concise", "--statistics"]):
        r = polyfix(copy, ".", *args)
        out[" ".join(args)] = (r.code, r.out.replace(str(copy), "TREE"), r.err.replace(str(copy), "TREE"))
    r = polyfix(copy, ".", "--write", "--unsafe-fixes")
    out["--write"] = (r.code, r.out.replace(str(copy), "TREE"), r.err.replace(str(copy), "TREE"), tree(copy))
    for n, count in processes:  # as many processes as asked, where there are parts enough
        assert n == min(int(jobs), count), f"{way}: {count} parts ran in {n} process(es)"
    if size == 1:  # every include group a part: the trees here all have several
        assert max(count for _n, count in processes) > 1, f"{way}: the tree ran in one part"
    return out


def assert_same_in_every_way(polyfix, monkeypatch, src: Path, work: Path) -> None:
    whole = outcomes(polyfix, monkeypatch, src, work, "whole")
    assert whole["--write"][3] != tree(src), "the tree has something to fix: the comparison shows fixes"
    for way in list(WAYS)[1:]:
        got = outcomes(polyfix, monkeypatch, src, work, way)
        for mode in whole:
            assert got[mode] == whole[mode], f"{way}, {mode}"


def test_examples_in_parts(polyfix, monkeypatch, tmp_path):
    assert_same_in_every_way(polyfix, monkeypatch, REPO / "examples", tmp_path)


def test_a_generated_repository_in_parts(polyfix, monkeypatch, tmp_path):
    generate.generate(tmp_path / "gen", 60, seed=5)
    assert_same_in_every_way(polyfix, monkeypatch, tmp_path / "gen", tmp_path / "runs")


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the corpus of real projects is not at {CORPUS} (POLYFIX_CORPUS names it)")
def test_the_corpus_in_parts(polyfix, monkeypatch, tmp_path):
    assert_same_in_every_way(polyfix, monkeypatch, CORPUS, tmp_path)


SERVICE = """\
tools:
  {name}:
    info: runs the shared script
    run:
      - tool: polytope/container
        args:
          image: python:3.12
          code: {{type: host, path: .}}
          cmd: ./bin/{script}
"""


def test_projects_sharing_a_script_folder(polyfix, monkeypatch, tmp_path):
    """Two projects no include joins, in one folder: one runs bin/run, the other bin/serve, both
    not executable, and bin/tool starts with `#!`. Each reports the other's script as a bin/
    sibling only in a run that does not see the other's cmd: the parts must run again together."""
    src = tmp_path / "src"
    (src / "bin").mkdir(parents=True)
    for name in ("run", "serve", "tool"):
        (src / "bin" / name).write_text("#!/bin/sh\necho hi\n")
        os.chmod(src / "bin" / name, 0o644)
    (src / "polytope.yml").write_text(SERVICE.format(name="api", script="run"))
    (src / "other.polytope.yml").write_text("")  # not a name polyfix reads: ignored
    (src / "b").mkdir()
    (src / "b" / "polytope.yml").write_text(SERVICE.format(name="web", script="../bin/serve").replace("path: .", "path: .."))
    assert_same_in_every_way(polyfix, monkeypatch, src, tmp_path / "runs")


@pytest.mark.parametrize("outside", [False, True])
def test_a_chmod_workaround_covering_another_projects_files(outside, polyfix, monkeypatch, tmp_path):
    """`chmod +x ./*` on a folder that holds another project's polytope.yml: the part with the
    workaround has a result for a file another part owns (its mode), and the two results are one.
    The folder lies beside the project (`../a`) or below it (`./sub`)."""
    src = tmp_path / "src"
    other = src / ("a" if outside else "z/sub")
    other.mkdir(parents=True)
    (other / "polytope.yml").write_text("tools:\n  stack:\n    info: the stack\n    run:\n"
                                       "      - tool: polytope/redpanda\n")
    (other / "run").write_text("#!/bin/sh\necho hi\n")
    os.chmod(other / "run", 0o644)
    (src / "z").mkdir(exist_ok=True)
    (src / "z" / "polytope.yml").write_text(SERVICE.format(name="api", script="run").replace(
        "cmd: ./bin/run", 'cmd: bash -c "chmod +x ./* && ./run"').replace(
        "path: .", "path: ../a" if outside else "path: ./sub"))
    assert_same_in_every_way(polyfix, monkeypatch, src, tmp_path / "runs")


def test_split_keeps_include_groups_whole_and_drops_context_only_groups(tmp_path):
    texts = {
        "/p/a/polytope.yml": "include: [b]\n",
        "/p/a/b/polytope.yml": "tools: {}\n",
        "/p/c/polytope.yml": '"\\x69nclude": [d]\n',  # an escaped key: the file holds no `include`
        "/p/c/d/polytope.yml": "tools: {}\n",
        "/p/e/polytope.yml": "[not: valid\n",
        "/p/polytope.yml": "tools: {}\n",  # context of no target
    }
    parse = _memo_parse()
    sizes = {path: len(text) for path, text in texts.items()}
    got = parts.split(texts, ["/p/a/b/polytope.yml", "/p/c/polytope.yml", "/p/e/polytope.yml"], parse, sizes)
    assert sorted(map(sorted, got)) == [["/p/a/b/polytope.yml", "/p/a/polytope.yml", "/p/c/d/polytope.yml",
                                         "/p/c/polytope.yml", "/p/e/polytope.yml"]]  # all small: one part
    old = parts.PART_CHARS
    try:
        parts.PART_CHARS = 1
        got = parts.split(texts, ["/p/a/b/polytope.yml", "/p/c/polytope.yml", "/p/e/polytope.yml"], parse, sizes)
    finally:
        parts.PART_CHARS = old
    assert got == [["/p/a/polytope.yml", "/p/a/b/polytope.yml"], ["/p/c/polytope.yml", "/p/c/d/polytope.yml"],
                   ["/p/e/polytope.yml"]]


def test_a_tree_with_few_parts_per_process_is_cut_finer():
    # 40 projects of 9,000 characters: 360,000 in all. One process: parts of PART_CHARS (4 parts).
    # Two: each would get two parts and the last one leaves the other idle, so they are cut to
    # 45,000 (8 parts). Never below a quarter of PART_CHARS, never above it.
    texts = {f"/p/{i:02}/polytope.yml": "tools: {}\n#" + "x" * 8988 + "\n" for i in range(40)}
    sizes = {path: len(text) for path, text in texts.items()}
    assert sum(sizes.values()) == 360_000
    one = parts.split(texts, list(texts), _memo_parse(), sizes)
    two = parts.split(texts, list(texts), _memo_parse(), sizes, jobs=2)
    assert [len(p) for p in one] == [12, 12, 12, 4]
    assert [len(p) for p in two] == [5] * 8
    assert [f for p in two for f in p] == list(texts)
    assert parts.part_chars(360_000, 2) == 45_000
    assert parts.part_chars(50_000_000, 2) == parts.PART_CHARS
    assert parts.part_chars(100_000, 8) == parts.PART_CHARS // 4


def test_parts_join_only_over_a_file_one_has_a_result_for():
    calls = []

    def run_part(files):
        calls.append(list(files))
        asked = {"/p/shared-read", "/p/script"} if "/p/a.yml" in files else {"/p/shared-read"}
        results = {f: f"result of {f} with {sorted(files)}" for f in files}
        if "/p/b.yml" in files:
            results["/p/script"] = f"script result with {sorted(files)}"
        return results, asked

    order = {"/p/a.yml": 0, "/p/b.yml": 1, "/p/c.yml": 2}
    got = parts.run_all([["/p/a.yml"], ["/p/b.yml"], ["/p/c.yml"]], run_part, 1, order)
    assert calls[3:] == [["/p/a.yml", "/p/b.yml"]], "a asked about b's script: they run again together"
    assert got["/p/a.yml"] == got["/p/b.yml"].replace("/p/b.yml with", "/p/a.yml with")
    assert got["/p/c.yml"] == "result of /p/c.yml with ['/p/c.yml']", "a path both only read joins nothing"


def test_workers():
    small = {"/a": 10, "/b": 10}
    assert parts.workers([["/a"], ["/b"]], small) == 1, "too little text to pay for processes"
    big = {"/a": parts.POOL_CHARS, "/b": 1}
    assert parts.workers([["/a", "/b"]], big) == 1, "one part: one process"
    assert parts.workers([["/a"], ["/b"]], small, 4) == 2, "never more processes than parts"


@pytest.mark.parametrize("given", ["0", "-1", "many", "2.5", "\u00b2", "\u0663", "9" * 5000])
def test_a_jobs_value_that_is_no_number_of_processes_is_ignored_with_a_warning(given, polyfix, monkeypatch):
    monkeypatch.setenv("POLYFIX_JOBS", given)
    monkeypatch.setattr("polyfix.cli._jobs_warned", [])
    r = polyfix(REPO / "examples", ".")
    assert r.code == 1 and "Found 14 problems" in r.out
    assert r.err.count(f"warning: POLYFIX_JOBS={given} is not a number of processes (1 or more): ignored") == 1


def _children(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads processes from /proc (Linux)")
@pytest.mark.parametrize("signal_name, group", [("SIGTERM", False), ("SIGKILL", False), ("SIGTERM", True),
                                                 ("SIGINT", True)])
def test_no_worker_outlives_a_stopped_run(signal_name, group, tmp_path):
    """Stopped as a hook's timeout does (the run alone), as a terminal or CI does (all its
    processes: Ctrl-C, a cancelled job), or killed: the run ends at once and its workers with it."""
    import signal
    import subprocess
    import time

    generate.generate(tmp_path / "gen", 400, seed=2)
    env = {**os.environ, "POLYFIX_JOBS": "2"}
    run = subprocess.Popen([sys.executable, "-m", "polyfix", "."], cwd=tmp_path / "gen", env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=group,
                           preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    workers = []
    deadline = time.monotonic() + 60
    while len(workers) < 2 and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
        workers = _children(run.pid)
    assert len(workers) == 2, "the run started its two workers"
    number = getattr(signal, signal_name)
    if group:
        os.killpg(run.pid, number)
    else:
        run.send_signal(number)
    err = run.communicate(timeout=30)[1]
    if signal_name == "SIGINT":
        assert run.returncode == 1 and err.strip() == "Aborted!"
    else:
        assert run.returncode in (-number, 128 + number)
    assert "Traceback" not in err
    deadline = time.monotonic() + 5
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [w for w in workers if _alive(w)], "the workers ended with the run"


def _dies_in_a_worker(parent: int, dying: set[int]):
    """A run_part that ends its process with SIGKILL on the parts in `dying`, unless that process is
    the parent: as the kernel's out-of-memory killer would end a worker."""
    import signal

    def run_part(files):
        if os.getpid() != parent and int(files[0]) in dying:
            os.kill(os.getpid(), signal.SIGKILL)
        return {f: "checked by a process" for f in files}, {"/asked"}

    return run_part


@pytest.mark.parametrize("dying", [{3}, set(range(8))], ids=["one worker", "every worker"])
def test_a_worker_that_dies_leaves_its_part_to_the_run(dying):
    in_parts = [[str(i)] for i in range(8)]
    warnings = []
    got = parts._map(_dies_in_a_worker(os.getpid(), dying), in_parts, 2, warnings.append)
    assert got == [({str(i): "checked by a process"}, {"/asked"}) for i in range(8)]
    assert warnings and set(warnings) == {
        "warning: a checking process was ended by SIGKILL: its part is checked again in this one"}
    assert len(warnings) == (1 if len(dying) == 1 else 2)
    assert not _children(os.getpid()), "no worker is left"


def test_an_error_in_a_worker_reaches_the_run():
    def run_part(files):
        if files == ["2"]:
            raise LookupError("part 2 went wrong")
        return {}, set()

    with pytest.raises(LookupError, match="part 2 went wrong"):
        parts._map(run_part, [[str(i)] for i in range(5)], 2, print)
    assert not _children(os.getpid()), "no worker is left"


def _fds() -> int:
    return len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else 0


def _checked(files):
    return {f: "checked" for f in files}, set()


def test_a_worker_that_dies_between_parts_leaves_its_next_part_to_the_run(monkeypatch):
    """Killed after an answer and before the next part reaches it (the out-of-memory killer does not
    wait for a good moment): writing to it fails, and its part runs here."""
    import signal

    real_give = parts._Worker.give
    killed = []

    def give(worker, part, job):
        if part == 3 and not killed:
            os.kill(worker.pid, signal.SIGKILL)
            while _alive(worker.pid):  # its pipes close when it is gone
                time.sleep(0.01)
            killed.append(worker.pid)
        return real_give(worker, part, job)

    monkeypatch.setattr(parts._Worker, "give", give)
    before, warnings = _fds(), []
    got = parts._map(_checked, [[str(i)] for i in range(8)], 2, warnings.append)
    assert killed and got == [_checked([str(i)]) for i in range(8)]
    assert warnings == ["warning: a checking process was ended by SIGKILL: its part is checked again in this one"]
    assert not _children(os.getpid()) and _fds() == before


@pytest.mark.parametrize("failing", ["fork", "pipe"])
def test_workers_that_cannot_be_started_leave_their_share_to_the_run(failing, monkeypatch):
    """No memory to fork (overcommit off, a big process) or no file descriptors left: the run goes on
    with the workers it has, or none."""
    import errno

    real = getattr(os, failing)
    calls = []

    def refuse_the_second(*args):
        calls.append(1)
        if len(calls) >= 2:
            raise OSError(errno.ENOMEM if failing == "fork" else errno.EMFILE, "refused")
        return real(*args)

    monkeypatch.setattr(os, failing, refuse_the_second)
    before, warnings = _fds(), []
    got = parts._map(_checked, [[str(i)] for i in range(6)], 3, warnings.append)
    assert got == [_checked([str(i)]) for i in range(6)]
    assert len(warnings) == 1 and warnings[0].startswith("warning: ") and "refused" in warnings[0]
    assert not _children(os.getpid()) and _fds() == before


def test_an_exception_that_cannot_be_made_again_reaches_the_run_as_its_traceback():
    with pytest.raises(RuntimeError, match="TwoArguments: part 1"):
        parts._map(_raises_two_arguments, [[str(i)] for i in range(3)], 2, print)
    assert not _children(os.getpid())


class TwoArguments(Exception):
    def __init__(self, message, extra):
        super().__init__(message)
        self.extra = extra


def _raises_two_arguments(files):
    if files == ["1"]:
        raise TwoArguments("part 1", "extra")
    return _checked(files)


def test_a_signal_while_workers_start_stops_them_all(monkeypatch):
    """SIGTERM arriving while the second worker starts waits until this process knows both, then
    ends the run before a third is forked, with no worker left and no pipe open."""
    import signal

    real_start = parts._start
    started = []

    def start(*args):
        worker = real_start(*args)
        started.append(worker)
        if len(args[1]) == 1:  # one started before this one
            os.kill(os.getpid(), signal.SIGTERM)  # blocked here: pending until the start is over
        return worker

    monkeypatch.setattr(parts, "_start", start)
    before = _fds()
    with pytest.raises(SystemExit) as stopped:
        parts._map(_checked, [[str(i)] for i in range(6)], 3, print)
    assert stopped.value.code == 128 + signal.SIGTERM
    assert len(started) == 2, "no fork after the signal"
    assert not _children(os.getpid()) and _fds() == before
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL or signal.getsignal(signal.SIGTERM) != parts._exit_on_term


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads processes from /proc (Linux)")
def test_workers_with_sigchld_ignored(tmp_path):
    """With SIGCHLD ignored (`trap '' CHLD` in a calling script), the system reaps the workers
    itself: the run must not wait for them, and gives the same output."""
    import subprocess

    generate.generate(tmp_path / "gen", 120, seed=3)
    outs = []
    for jobs, ignore in (("1", False), ("2", True)):
        code = ("import signal, sys; signal.signal(signal.SIGCHLD, signal.SIG_IGN) if sys.argv[1] == 'y' else None;"
                "sys.argv = ['polyfix', '.']; from polyfix.cli import entry; entry()")
        done = subprocess.run([sys.executable, "-c", code, "y" if ignore else "n"], cwd=tmp_path / "gen",
                              env={**os.environ, "POLYFIX_JOBS": jobs}, capture_output=True, text=True)
        outs.append((done.returncode, done.stdout, done.stderr))
    assert outs[0] == outs[1] and outs[0][0] == 1 and "Found" in outs[0][1]


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=5), st.text(alphabet=st.characters(codec=None) | st.just("\udc80"), max_size=40),
                       max_size=5))
def test_packed_texts_give_back_what_was_put_in(texts):
    from polyfix.cli import _Packed

    packed = _Packed(texts)
    assert dict(packed) == texts and packed.sizes == {p: len(t) for p, t in texts.items()}
    assert all(type(v) is bytes for v in packed._packed.values())
    for path in list(texts):
        assert path in packed
        del packed[path]
    assert len(packed) == 0 and packed.sizes == {}


def test_a_big_tree_keeps_its_texts_compressed_and_its_file_system_answers_per_part(polyfix, monkeypatch, tmp_path):
    from polyfix import cli, discover

    src = tmp_path / "gen"
    generate.generate(src, 40, 5)
    monkeypatch.setattr(parts, "PART_CHARS", 3000)
    monkeypatch.setenv("POLYFIX_JOBS", "1")
    seen = {}
    real_split, real_run_all, real_probe = parts.split, parts.run_all, discover.make_probe
    probes = []

    def split(texts, *args):
        seen["texts"] = texts
        return real_split(texts, *args)

    def run_all(split_parts, *args, **kwargs):
        seen["parts"] = len(split_parts)
        seen["results"] = real_run_all(split_parts, *args, **kwargs)
        return seen["results"]

    monkeypatch.setattr(parts, "split", split)
    monkeypatch.setattr(parts, "run_all", run_all)
    monkeypatch.setattr(discover, "make_probe", lambda root: probes.append(root) or real_probe(root))
    polyfix(src, ".", "--dry-run")
    assert isinstance(seen["texts"], cli._Packed)
    assert seen["parts"] > 1 and len(probes) >= seen["parts"], "each part asks the file system afresh"
    results = [r for r in seen["results"].values() if r.path.endswith((".yml", ".yaml"))]
    unchanged = [r for r in results if r.before is cli.AS_READ]
    changed = [r for r in results if r.before is not cli.AS_READ]
    assert unchanged and all(r.after is cli.AS_READ for r in unchanged), "no text kept for a file no fix changed"
    assert changed and all(isinstance(r.before, str) and r.before != r.after for r in changed)


@pytest.mark.parametrize("args", [["--dry-run"], ["--dry-run", "--output-format", "json"], ["--write"]])
def test_a_big_trees_file_whose_mode_alone_changes_shows_its_diff(args, polyfix, tmp_path):
    # (found by a hostile review) A polytope.yml that a `chmod +x *` covers gets a new mode and no
    # text change; its secret is masked in the diff, which reads the text the big tree had not kept.
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "polytope.yml").write_text(
        "tools:\n  api:\n    run:\n      - tool: polytope/python\n        args:\n"
        "          image: python:3.12-slim\n          code: { type: repo, path: . }\n"
        "          cmd: \"sh -c 'chmod +x * && ./run'\"\n"
        "          env:\n            - { name: DB_PASSWORD, value: \"hunter2hunter2\" }\n")
    (tmp_path / "a" / "run").write_text("#!/bin/sh\n")
    (tmp_path / "filler").mkdir()
    (tmp_path / "filler" / "polytope.yml").write_text("tools: {}\n" + "#" * parts.PART_CHARS + "\n")
    r = polyfix(tmp_path, ".", *args)
    assert "Traceback" not in r.err and "internal error" not in r.err, r.err
    if args[0] == "--dry-run":
        assert "new mode 100755" in (r.out + r.err) and "a/run" in (r.out + r.err)
    else:
        assert os.stat(tmp_path / "a" / "run").st_mode & 0o111


def test_workers_start_before_the_tree_is_read_and_answer_as_this_process_would(polyfix, monkeypatch, tmp_path):
    """The workers of a big tree are forked once the run has read enough text to want them, not
    after the whole tree: what a process holds when it is forked stays with it. Their results are
    those of a run in one process, and carry what a fix is but not the edits it made."""
    from polyfix import cli, discover

    generate.generate(tmp_path / "gen", 300, seed=7)
    read_before_start = []
    real_read, real_start = discover.read_text, parts.Pool.start
    reads = []

    def read_text(path, *args):
        reads.append(path)
        return real_read(path, *args)

    def start(pool):
        read_before_start.append(len(reads))
        return real_start(pool)

    monkeypatch.setattr(discover, "read_text", read_text)
    monkeypatch.setattr(parts.Pool, "start", start)
    outs = {}
    for jobs in ("1", "2"):
        monkeypatch.setenv("POLYFIX_JOBS", jobs)
        reads.clear()
        r = polyfix(tmp_path / "gen", ".", "--output-format", "json")
        outs[jobs] = (r.code, r.out)
        if jobs == "2":
            assert len(read_before_start) == 1, "one start, while reading"
            assert 0 < read_before_start[0] < len(reads) / 2, "forked early: most files were read after"
    assert outs["1"] == outs["2"] and '"content": ' in outs["1"][1], "the fixes' edits, as json shows them"

    seen = []
    real_engine = cli._run_engine

    def engine(*args):
        results = real_engine(*args)
        seen.extend(p.fix for r in results.values() for p in r.problems if p.fix)
        return results

    monkeypatch.setattr(cli, "_run_engine", engine)
    monkeypatch.setenv("POLYFIX_JOBS", "1")
    polyfix(tmp_path / "gen", ".")
    assert seen and all(f.edits == [] and f.sets == [] and f.deletes == [] and f.python is None for f in seen)
    assert any(f.located for f in seen), "where each fix changes the file stays, for the json output"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(codec=None, exclude_characters="\0") | st.just("\udc80"))))
def test_paths_kept_compressed_give_back_what_was_put_in(paths):
    assert list(parts.Paths(paths)) == paths
    many = [f"{i}/{path}" for i in range(max(1, parts.PACK_FROM // max(1, len("".join(paths)) + len(paths))) + 1)
            for path in paths or ["x" * 40]]
    assert list(parts.Paths(many)) == many


def test_many_paths_are_kept_compressed_and_a_few_as_they_are():
    many = [f"/work/project/services/service-{i}/bin/run-{i}.sh" for i in range(2000)]
    packed = parts.Paths(many)._packed
    assert isinstance(packed, bytes) and len(packed) < len("".join(many)) / 3
    few = many[:20]
    assert parts.Paths(few)._packed == "".join(path + "\0" for path in few)


def test_a_one_file_run_sets_up_no_compression(polyfix, monkeypatch, tmp_path):
    """zlib sets up about 256 KB of state for each call (0.1 ms, a fifth of a small file's own fixed
    cost): a run on one file keeps what it asked the file system as it is."""
    import zlib

    compress, calls = zlib.compress, []
    monkeypatch.setattr(zlib, "compress", lambda *args: calls.append(len(args[0])) or compress(*args))
    (tmp_path / "polytope.yml").write_text("tools:\n  api:\n    info: The API\n    run:\n      - cmd: ./bin/run\n")
    r = polyfix(tmp_path, "polytope.yml")
    assert r.code in (0, 1) and "Traceback" not in r.err
    assert calls == []


def test_no_more_workers_than_parts_when_many_are_asked_for(polyfix, monkeypatch, tmp_path):
    """POLYFIX_JOBS=64 (or 64 cores) on a tree of a few parts: the early start forks about as many
    workers as there will be parts, not 64."""
    generate.generate(tmp_path / "gen", 300, seed=7)
    started, counts = [], []
    real_start, real_map = parts._start, parts._map

    def start(*args):
        started.append(1)
        return real_start(*args)

    def spy(run_part, in_parts, *rest):
        counts.append(len(in_parts))
        return real_map(run_part, in_parts, *rest)

    monkeypatch.setattr(parts, "_start", start)
    monkeypatch.setattr(parts, "_map", spy)
    monkeypatch.setenv("POLYFIX_JOBS", "64")
    r = polyfix(tmp_path / "gen", ".")
    assert r.code == 1 and counts and counts[0] > 1
    assert 1 < len(started) <= counts[0] + 1, f"{len(started)} workers for {counts[0]} parts"


def test_one_big_file_is_checked_without_forking_workers(polyfix, monkeypatch, tmp_path):
    """A file is never cut in parts: a tree of one big polytope.yml is one part, and its run forks
    no worker that would have nothing to do."""
    path = generate.generate_lines(tmp_path / "one", 10_000, 11)
    assert path.stat().st_size > parts.POOL_CHARS
    started = []
    real_start = parts._start

    def start(*args):
        started.append(1)
        return real_start(*args)

    monkeypatch.setattr(parts, "_start", start)
    monkeypatch.setenv("POLYFIX_JOBS", "4")
    r = polyfix(tmp_path / "one", ".")
    assert r.code == 1 and "problems" in r.out
    assert started == [], "no worker for a one-file tree"


def test_a_part_is_not_collected_while_its_trees_are_being_made(polyfix, monkeypatch, tmp_path):
    """A part's trees live until it ends: Python's collector, run while they are being made, goes
    through them and finds nothing. A 3,000-line file (YAML alone: libcst's trees hold cycles) is
    checked without one."""
    import gc

    from polyfix import cli

    path = generate.generate_lines(tmp_path / "one", 3_000, 11)
    shutil.rmtree(path.parent / "code")
    in_part, young = [], []
    real_engine = cli._run_engine

    def engine(*args):
        in_part.append(1)
        try:
            return real_engine(*args)
        finally:
            in_part.pop()

    def count(phase, info):
        if phase == "start" and in_part and info["generation"] < 2:
            young.append(info["generation"])

    monkeypatch.setattr(cli, "_run_engine", engine)
    gc.callbacks.append(count)
    try:
        r = polyfix(tmp_path / "one", ".")
    finally:
        gc.callbacks.remove(count)
    assert r.code == 1 and "problems" in r.out
    assert young == [], f"{len(young)} collections during the part"
