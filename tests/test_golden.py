"""Every golden/<CODE>_<name>/<case>/ folder is a test case, found automatically.

A case holds `input.yml` (copied as polytope.yml), `expected.yml` (the file after --write),
`problems.txt` (the report before fixing, one line per problem), and optionally `tree/` (other
files of the project, e.g. bin/ scripts), `modes.txt` / `expected-modes.txt` (`octal path` lines:
the modes before and after --write), `args.txt` (extra options; `--select CODE` of the case's
rule is added unless it has its own), `expected/` (files of `tree/` as they must be after --write;
every other file of `tree/` must stay byte for byte) and `outside/` (a folder next to the project,
for code a module points at outside it: never changed).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from conftest import GOLDEN

CASES = sorted(p for p in GOLDEN.glob("*/*") if (p / "input.yml").is_file())


def _modes(path: Path) -> dict[str, int]:
    if not path.is_file():
        return {}
    out = {}
    for line in path.read_text().splitlines():
        if line.strip():
            mode, name = line.split(None, 1)
            out[name] = int(mode, 8)
    return out


def _tree(folder: Path) -> dict[str, bytes]:
    """Relative path → bytes of every file under a folder."""
    if not folder.is_dir():
        return {}
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _setup(case: Path, tmp: Path) -> Path:
    work = tmp / "project"
    if (case / "outside").is_dir():
        shutil.copytree(case / "outside", tmp / "outside")
    if (case / "tree").is_dir():
        shutil.copytree(case / "tree", work)
    else:
        work.mkdir()
    shutil.copyfile(case / "input.yml", work / "polytope.yml")
    for name, mode in _modes(case / "modes.txt").items():
        os.chmod(work / name, mode)
    return work


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_golden(case: Path, tmp_path: Path, polyfix, monkeypatch):
    work = _setup(case, tmp_path)
    # As in a terminal, where PF005 may take a secret out of a file: it shows the `pt secret set`
    # line (off a terminal the literal stays; tests/test_secrets.py covers that).
    monkeypatch.setattr("polyfix.cli._terminal", lambda err=False: True)
    args = (case / "args.txt").read_text().split() if (case / "args.txt").is_file() else []
    if "--select" not in args:  # a case shows its own rule (the folder is named CODE_name)
        args += ["--select", case.parent.name.split("_", 1)[0]]
    expected_problems = [l for l in (case / "problems.txt").read_text().splitlines() if l.strip()]
    before = (work / "polytope.yml").read_bytes()

    report = polyfix(work, *args)
    reported = [l for l in report.out.splitlines() if ": PF" in l]
    assert reported == expected_problems
    assert report.code == (1 if expected_problems else 0), report.err
    assert (work / "polytope.yml").read_bytes() == before, "a report must not write"

    dry = polyfix(work, "--dry-run", *args)
    assert (work / "polytope.yml").read_bytes() == before, "--dry-run must not write"

    tree_before = _tree(case / "tree")
    assert {n: b for n, b in _tree(work).items() if n != "polytope.yml"} == tree_before, "--dry-run must not write"
    expected_tree = {**tree_before, **_tree(case / "expected")}

    fixed = polyfix(work, "--write", *args)
    assert fixed.err == "", fixed.err
    assert (work / "polytope.yml").read_bytes() == (case / "expected.yml").read_bytes()
    assert {n: b for n, b in _tree(work).items() if n != "polytope.yml"} == expected_tree
    assert _tree(tmp_path / "outside") == _tree(case / "outside"), "nothing outside the project is touched"
    for name, mode in _modes(case / "expected-modes.txt").items():
        assert oct((work / name).stat().st_mode & 0o7777) == oct(mode), name
    changed = (before != (case / "expected.yml").read_bytes() or expected_tree != tree_before
               or _modes(case / "expected-modes.txt") != _modes(case / "modes.txt"))
    assert ("fixed " in fixed.out) == changed
    assert (dry.out != "") == changed, "--dry-run shows a diff exactly when --write changes something"

    again = polyfix(work, "--write", *args)
    assert "fixed " not in again.out, "a second --write must change nothing"
    assert (work / "polytope.yml").read_bytes() == (case / "expected.yml").read_bytes()
    assert {n: b for n, b in _tree(work).items() if n != "polytope.yml"} == expected_tree
