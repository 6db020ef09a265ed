"""Report, --dry-run, --write and --select PF001 agree: the report offers exactly the fixes that
--write then applies, the diff is what --write writes, and PF001's edits do not depend on which
other rules run (its defaults come from the project as first read, never from another fix)."""
from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest

from conftest import CORPUS, REPO, copy_tree
from polyfix import cli

PROJECTS = [pytest.param(REPO / "examples", id="examples"),
            pytest.param(CORPUS, id="corpus", marks=pytest.mark.skipif(
                not CORPUS.is_dir(), reason=f"the corpus of real projects is not at {CORPUS} (POLYFIX_CORPUS names it)"))]


def _records(run, *args) -> list[dict]:
    return json.loads(run(*args, "--output-format", "json").out)


def _pf001(records: list[dict]) -> list[tuple]:
    return sorted((r["filename"], r["location"]["row"], r["location"]["column"], r["message"],
                   json.dumps(r["fix"], sort_keys=True)) for r in records if r["code"] == "PF001")


def _files(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in sorted(root.rglob("polytope*.y*ml"))}


def _changed_lines(before: dict[str, str], after: dict[str, str]) -> list[str]:
    out = []
    for name in before:
        for line in difflib.unified_diff(before[name].splitlines(), after[name].splitlines(), lineterm="", n=0):
            if line[:1] in "+-" and not line.startswith(("+++", "---")):
                out.append(f"{name}: {line}")
    return sorted(out)


@pytest.mark.parametrize("source", PROJECTS)
@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
def test_report_dry_run_write_and_selection_agree(source, unsafe, tmp_path, polyfix, monkeypatch):
    flags = ["--unsafe-fixes"] if unsafe else []
    work = copy_tree(source, tmp_path / "p")
    run = lambda *args: polyfix(work, *args)  # noqa: E731
    everything = _records(run, *flags)
    assert _pf001(everything) == _pf001(_records(run, "--select", "PF001", *flags)), \
        "PF001 offers the same fixes whatever else runs"
    offered = sum(1 for r in everything if r["fix"] and (unsafe or r["fix"]["applicability"] == "safe"))

    piped = run("--dry-run", *flags)  # secret literals masked (PF005)
    monkeypatch.setattr(cli, "_terminal", lambda err=False: True)  # the diff as a terminal shows it
    dry = run("--dry-run", *flags)
    assert len(piped.out.splitlines()) == len(dry.out.splitlines()), "masking changes no line of the diff but its secrets"
    before = _files(work)
    wrote = run("--write", *flags)  # in a terminal too: off one, PF005 leaves secrets (test_secrets)
    monkeypatch.undo()
    after = _files(work)
    assert f"Fixed {offered} problem" in wrote.out, (offered, wrote.out[-400:])
    shown = []
    current = None
    for line in dry.out.splitlines():
        if line.startswith("+++ b/"):
            current = line[len("+++ b/"):]
        elif line[:1] in "+-" and not line.startswith(("+++", "---")) and current:
            shown.append(f"{current}: {line}")
    assert sorted(shown) == _changed_lines(before, after), "--dry-run shows what --write writes"

    # PF001 alone, on a fresh copy, makes exactly the PF001 edits it made among all rules' fixes.
    alone = copy_tree(source, tmp_path / "alone")
    polyfix(alone, "--write", "--select", "PF001", *flags)
    pf001_lines = _changed_lines(before, _files(alone))
    assert pf001_lines or source.name == "corpus" and not unsafe
    assert set(pf001_lines) <= set(_changed_lines(before, after)), "the same PF001 edits in both runs"
