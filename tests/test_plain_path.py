"""The plain command line (paths and on/off flags) runs without click: it must mean exactly what the
click command means, print the same bytes and exit with the same code."""
from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys

import click
import pytest

from conftest import REPO
from polyfix import cli, report
from polyfix.command import main

FLAGS = ["--dry-run", "--diff", "--write", "--fix", "--unsafe-fixes", "--exit-non-zero-on-fix", "--isolated",
         "--force-exclude", "--statistics", "--show-fixes"]


def _clicks(argv):
    with main.make_context("polyfix", list(argv)) as ctx:
        return dict(ctx.params)


@pytest.mark.parametrize("argv", [[], ["a.yml"], ["a", "b/c"], *([f] for f in FLAGS),
                                  *(list(pair) + ["x"] for pair in itertools.combinations(FLAGS, 2)),
                                  ["--unsafe-fixes", "--unsafe-fixes", "p", "--statistics"]])
def test_plain_arguments_are_what_click_parses(argv, monkeypatch):
    monkeypatch.delenv("POLYFIX_OUTPUT_FORMAT", raising=False)
    plain = cli.plain_arguments(argv)
    writes, dry = {"--write", "--fix"} & set(argv), {"--dry-run", "--diff"} & set(argv)
    if writes and dry:  # click's own usage error
        assert plain is None
        return
    assert plain == _clicks(argv)


@pytest.mark.parametrize("argv", [["-"], ["--select", "PF001"], ["--select=PF001"], ["-h"], ["--help"],
                                  ["--version"], ["server"], ["--", "x"], [""], ["--list-rules"], ["--wri"],
                                  ["--output-format", "json"], ["--write", "--dry-run"]])
def test_anything_else_goes_to_click(argv, monkeypatch):
    monkeypatch.delenv("POLYFIX_OUTPUT_FORMAT", raising=False)
    assert cli.plain_arguments(argv) is None


def test_the_output_format_variable_goes_to_click(monkeypatch):
    monkeypatch.setenv("POLYFIX_OUTPUT_FORMAT", "json")
    assert cli.plain_arguments(["x"]) is None


@pytest.mark.parametrize("fg,bold", [(None, True), ("red", True), ("cyan", False), ("red", False), ("green", False)])
def test_style_writes_what_click_writes(fg, bold):
    assert report.style("x y", fg=fg, bold=bold) == click.style("x y", fg=fg, bold=bold or None)


def _polyfix(args, cwd, click_path: bool, colour: bool = False):
    env = {k: v for k, v in os.environ.items() if k not in ("POLYFIX_OUTPUT_FORMAT", "NO_COLOR", "FORCE_COLOR")}
    if colour:
        env["FORCE_COLOR"] = "1"
    if click_path:  # the variable sends any command line to click; `text` is the default format
        env["POLYFIX_OUTPUT_FORMAT"] = "text"
    return subprocess.run([sys.executable, "-m", "polyfix", *args], cwd=cwd, env=env, capture_output=True)


@pytest.mark.parametrize("args", [[], ["--dry-run"], ["--statistics"], ["--write", "--show-fixes"],
                                  ["--write", "--unsafe-fixes", "--exit-non-zero-on-fix"], ["missing"]])
@pytest.mark.parametrize("colour", [False, True])
def test_both_paths_print_and_exit_alike(args, colour, tmp_path):
    runs = []
    for click_path in (False, True):
        work = tmp_path / str(click_path)
        shutil.copytree(REPO / "examples", work)
        done = _polyfix(args, work, click_path, colour)
        files = {p.relative_to(work): (p.read_bytes(), p.stat().st_mode) for p in sorted(work.rglob("*")) if p.is_file()}
        runs.append((done.returncode, done.stdout, done.stderr, files))
    assert runs[0] == runs[1]
    assert b"Traceback" not in runs[0][2]


# A plain run needs neither: click (the fast path parses its command line itself), nor json (the
# text report; a rule's top-level `import json` cost every run 1-2 ms, 5 million instructions).
@pytest.mark.parametrize("module, args", [("click", []), ("json", ["--dry-run"])])
def test_a_plain_run_does_not_import(module, args, tmp_path):
    shutil.copytree(REPO / "examples", tmp_path / "e")
    code = (f"import sys, atexit; atexit.register(lambda: sys.stderr.write('{module}' + str('{module}' in sys.modules)));"
            f"sys.argv = ['polyfix', *{args!r}, 'e']; from polyfix.cli import entry; entry()")
    env = {k: v for k, v in os.environ.items() if k != "POLYFIX_OUTPUT_FORMAT"}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 1, done.stderr
    assert done.stderr.endswith(f"{module}False"), done.stderr[-300:]


@pytest.mark.parametrize("click_path", [False, True])
def test_a_closed_or_full_stdout_is_an_error_not_a_traceback(click_path, tmp_path):
    work = shutil.copytree(REPO / "examples", tmp_path / "e")
    # Buffered, as on a machine without PYTHONUNBUFFERED: what a failed write leaves in the buffer is
    # flushed again at exit, where a second failure would end the run with code 120.
    env = {k: v for k, v in os.environ.items() if k not in ("POLYFIX_OUTPUT_FORMAT", "PYTHONUNBUFFERED")}
    if click_path:
        env["POLYFIX_OUTPUT_FORMAT"] = "text"
    closed = subprocess.run([sys.executable, "-m", "polyfix", "--write", "."], cwd=work, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, preexec_fn=lambda: os.close(1))
    assert closed.returncode == 2 and "Traceback" not in closed.stderr
    assert "error: the output could not be printed" in closed.stderr
    assert (work / "polytope.yml").read_bytes() != (REPO / "examples" / "polytope.yml").read_bytes(), "--write still writes"
    if os.path.exists("/dev/full"):
        with open("/dev/full", "w") as full:
            done = subprocess.run([sys.executable, "-m", "polyfix", "."], cwd=work, env=env, stdout=full,
                                  stderr=subprocess.PIPE, text=True)
        assert done.returncode == 2 and "Traceback" not in done.stderr


@pytest.mark.parametrize("args", [["--list-rules"], ["--explain", "PF001"], ["--version"], ["--help"]])
@pytest.mark.parametrize("stdout", ["closed", "full"])
def test_what_only_prints_fails_when_it_cannot_print(args, stdout):
    env = {k: v for k, v in os.environ.items() if k not in ("POLYFIX_OUTPUT_FORMAT", "PYTHONUNBUFFERED")}
    if stdout == "full" and not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    with open("/dev/full" if stdout == "full" else os.devnull, "w") as out:
        done = subprocess.run([sys.executable, "-m", "polyfix", *args], env=env, stdout=out, stderr=subprocess.PIPE,
                              text=True, preexec_fn=(lambda: os.close(1)) if stdout == "closed" else None)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: the output could not be printed") and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1


def test_shell_completion_goes_to_click(monkeypatch):
    monkeypatch.setenv("_POLYFIX_COMPLETE", "bash_source")
    assert cli.plain_arguments([]) is None


@pytest.mark.parametrize("click_path", [False, True])
def test_a_folder_named_dash_is_a_folder(click_path, tmp_path):
    work = shutil.copytree(REPO / "examples", tmp_path / "-")
    done = _polyfix(["./-"], tmp_path, click_path)
    assert done.returncode == 1 and b"problems" in done.stdout, done.stderr
    assert (work / "polytope.yml").exists()


def test_a_pipe_its_parent_left_non_blocking_gets_the_whole_report(tmp_path):
    """A parent may hand polyfix a non-blocking pipe (some tools' pipes and terminals do): Python's
    buffered writer dropped, without an error, what the full pipe could not take at once, and a
    slow reader got the first 64 KiB and exit code 1. The descriptor is shared with the parent:
    polyfix leaves its flag alone."""
    import threading
    import time

    for i in range(120):
        (tmp_path / f"p{i}").mkdir()
        (tmp_path / f"p{i}" / "polytope.yml").write_text(
            "templates:\n  - id: stack\n    run:\n      - api\n      - {id: web, module: web, run-when: {after: api}}\n"
            "modules:\n  - id: api\n    module: polytope/container\n    args: {image: nginx}\n"
            "  - id: web\n    module: polytope/container\n    args: {image: nginx}\n")
    whole = subprocess.run([sys.executable, "-m", "polyfix", "--output-format", "json", "."], cwd=tmp_path,
                           capture_output=True)
    assert len(whole.stdout) > 2 * 65536
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    run = subprocess.Popen([sys.executable, "-m", "polyfix", "--output-format", "json", "."], cwd=tmp_path,
                           stdout=write_end, stderr=subprocess.PIPE)
    got = []

    def read_slowly():
        time.sleep(1)  # the pipe fills up before anyone reads it
        while chunk := os.read(read_end, 65536):
            got.append(chunk)

    reader = threading.Thread(target=read_slowly)
    reader.start()
    err = run.stderr.read()
    run.wait()
    left_as_it_was = not os.get_blocking(write_end)
    os.close(write_end)  # the reader's end of file
    reader.join()
    os.close(read_end)
    assert (run.returncode, b"".join(got), err) == (whole.returncode, whole.stdout, whole.stderr)
    assert left_as_it_was, "the descriptor it shares with its parent is non-blocking again"


# Every kind of path a plain run meets: folders in and out of a git work tree (its ignore files), a
# file, a bin/ script (the polytope files above it), `./x/`, a missing path, a values file.
_PATHS_CASES = [["."], ["e"], ["./e/"], ["e/polytope.yml"], ["e/services/api/bin/run"], ["missing", "e"],
                ["--dry-run", "e"], ["--write", "--unsafe-fixes", "e"], ["--statistics", "git"]]


@pytest.mark.parametrize("args", _PATHS_CASES, ids=" ".join)
def test_a_plain_run_does_not_load_pathlib_and_means_the_same(args, tmp_path):
    """Loading pathlib took 2 ms of every run: a plain run works on strings. With pathlib's import
    made to fail, every kind of path gives what a run with it gives, byte for byte."""
    outcomes = []
    for blocked in (False, True):
        work = tmp_path / str(blocked)
        shutil.copytree(REPO / "examples", work / "e")
        (work / "e" / "services" / "api" / "bin").mkdir(parents=True, exist_ok=True)
        (work / "e" / "services" / "api" / "bin" / "run").write_text("#!/bin/sh\nexec python -m api\n")
        shutil.copytree(REPO / "examples", work / "git")
        subprocess.run(["git", "init", "-q", str(work / "git")], check=False, capture_output=True)
        (work / "git" / ".gitignore").write_text("legacy/\n")
        (work / "git" / "config").mkdir()
        (work / "git" / "config" / "values.yml").write_text("[not, a, mapping]\n")
        code = ("import sys, atexit\n"
                + ("sys.modules['pathlib'] = None\n" if blocked else "")
                + "atexit.register(lambda: sys.stderr.write('pathlib' + str(sys.modules.get('pathlib') is not None)))\n"
                + f"sys.argv = ['polyfix', *{args!r}]\nimport polyfix\npolyfix.main()\n")
        env = {k: v for k, v in os.environ.items() if k != "POLYFIX_OUTPUT_FORMAT"}
        done = subprocess.run([sys.executable, "-c", code], cwd=work, env=env, capture_output=True, text=True)
        files = {p.relative_to(work).as_posix(): (p.read_bytes(), p.stat().st_mode)
                 for p in sorted(work.rglob("*")) if p.is_file() and ".git" not in p.parts}
        outcomes.append((done.returncode, done.stdout.replace(str(work), "W"),
                         done.stderr.replace(str(work), "W").removesuffix("pathlibTrue").removesuffix("pathlibFalse"),
                         files))
        assert "Traceback" not in done.stderr, done.stderr
        if blocked:
            assert done.stderr.endswith("pathlibFalse")
    assert outcomes[0] == outcomes[1]
