from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import settings

# Property tests draw the same examples in every CI run; POLYFIX_FUZZ_EXAMPLES (see test_fuzz.py)
# asks for a long run with fresh ones.
settings.register_profile("fixed-seed", derandomize=True, database=None)
settings.register_profile("long-run", derandomize=False)
settings.load_profile("long-run" if os.environ.get("POLYFIX_FUZZ_EXAMPLES") else "fixed-seed")

from polyfix.cli import main

REPO = Path(__file__).resolve().parent.parent
GOLDEN = REPO / "golden"
# The maintainers' corpus of real projects: POLYFIX_CORPUS, or where CI puts it beside the checkout.
CORPUS = Path(os.environ.get("POLYFIX_CORPUS") or REPO.parent / "shared" / "corpus")


class Run:
    def __init__(self, result):
        self.code = result.exit_code
        self.out = result.stdout
        self.err = result.stderr
        self.exception = result.exception


@pytest.fixture
def polyfix(monkeypatch):
    """Run the CLI in-process in a folder: polyfix(folder, *args) -> Run."""

    def run(folder, *args) -> Run:
        monkeypatch.chdir(folder)
        result = CliRunner().invoke(main, list(args), catch_exceptions=True)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Run(result)

    return run


def copy_tree(src: Path, dst: Path) -> Path:
    """A writable copy (the shared corpus is read-only in CI)."""
    shutil.copytree(src, dst, symlinks=True)
    for p in dst.rglob("*"):
        if p.is_file() and not p.is_symlink():
            os.chmod(p, stat.S_IMODE(p.stat().st_mode) | stat.S_IWUSR)
        elif p.is_dir() and not p.is_symlink():
            os.chmod(p, stat.S_IMODE(p.stat().st_mode) | stat.S_IWUSR | stat.S_IXUSR)
    return dst
