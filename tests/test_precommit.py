"""The pre-commit hooks, run by the real pre-commit framework on a temporary git repository."""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO
from test_cli import SERVICE_AFTER

pytestmark = pytest.mark.skipif(shutil.which("git") is None or importlib.util.find_spec("pre_commit") is None,
                                reason="needs git and pre-commit (pip install -e '.[test]')")
PRE_COMMIT = [sys.executable, "-m", "pre_commit"]
if not (REPO / ".git").exists():
    pytestmark = pytest.mark.skip(reason="the polyfix checkout is not a git repository")

PROJECT = SERVICE_AFTER + "  - id: worker\n    module: polytope/python\n" \
          "    args: {code: {type: host, path: worker}, cmd: ./bin/run}\n# the end\n"


def git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=check)


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory):
    return tmp_path_factory.mktemp("pre-commit-home")


def run(cwd: Path, home: Path, *args: str) -> subprocess.CompletedProcess:
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    env = dict(os.environ, PRE_COMMIT_HOME=str(home), NO_COLOR="1", PATH=path)
    return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, env=env, timeout=900)


def make_project(path: Path) -> Path:
    path.mkdir()
    git(path, "init", "-q")
    git(path, "config", "user.email", "test@example.com")
    git(path, "config", "user.name", "Test")
    git(path, "config", "commit.gpgsign", "false")
    (path / "polytope.yml").write_text(PROJECT)
    (path / "worker" / "bin").mkdir(parents=True)
    (path / "worker" / "bin" / "run").write_text("#!/bin/sh\nexec python -m worker\n")
    os.chmod(path / "worker" / "bin" / "run", 0o644)
    return path


def test_try_repo_fixes_then_passes(tmp_path, pre_commit_home):
    project = make_project(tmp_path / "project")
    git(project, "add", "-A")
    first = run(project, pre_commit_home, *PRE_COMMIT, "try-repo", str(REPO), "polyfix", "--all-files")
    assert first.returncode == 1, first.stdout + first.stderr
    assert "fixed polytope.yml (PF003)" in first.stdout
    assert (project / "polytope.yml").read_text() == PROJECT.replace("        run-when: {after: api}\n", "")
    assert os.access(project / "worker" / "bin" / "run", os.X_OK)
    git(project, "add", "-A")
    second = run(project, pre_commit_home, *PRE_COMMIT, "try-repo", str(REPO), "polyfix", "--all-files")
    assert second.returncode == 0, second.stdout + second.stderr


def test_installed_hook_stops_the_commit_and_keeps_unstaged_edits(tmp_path, pre_commit_home):
    project = make_project(tmp_path / "project")
    head = git(REPO, "rev-parse", "HEAD").stdout.strip()
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {REPO}\n    rev: {head}\n    hooks:\n      - id: polyfix\n")
    git(project, "add", "-A")
    install = run(project, pre_commit_home, *PRE_COMMIT, "install")
    assert install.returncode == 0, install.stderr
    # A small local edit, not staged: pre-commit stashes it while the hook runs.
    (project / "polytope.yml").write_text(PROJECT.replace("# the end\n", "# the end, edited locally\n"))

    commit = run(project, pre_commit_home, "git", "commit", "-q", "-m", "broken project")
    assert commit.returncode != 0, "the hook stops a commit it had to fix"
    text = (project / "polytope.yml").read_text()
    assert "run-when" not in text, "the fix stays in the work tree"
    assert "# the end, edited locally\n" in text, "the unstaged edit is not rolled back"
    assert os.access(project / "worker" / "bin" / "run", os.X_OK), "PF004 chmods a script that was not staged"
    assert git(project, "rev-list", "--all", check=False).stdout == "", "nothing was committed"

    git(project, "add", "-A")
    again = run(project, pre_commit_home, "git", "commit", "-q", "-m", "fixed project")
    assert again.returncode == 0, again.stdout + again.stderr
    assert git(project, "ls-files", "-s", "worker/bin/run").stdout.startswith("100755")


def test_a_staged_script_rechecks_its_yaml(tmp_path, pre_commit_home):
    project = make_project(tmp_path / "project")
    (project / "polytope.yml").write_text(PROJECT.replace("        run-when: {after: api}\n", ""))
    git(project, "add", "polytope.yml")
    git(project, "commit", "-q", "-m", "clean yaml")
    git(project, "add", "worker/bin/run")  # only the script is staged
    r = run(project, pre_commit_home, *PRE_COMMIT, "try-repo", str(REPO), "polyfix")
    assert r.returncode == 1 and "fixed worker/bin/run (PF004)" in r.stdout, r.stdout + r.stderr
