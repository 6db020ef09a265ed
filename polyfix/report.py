"""Renderers: pure functions from results to text."""
from __future__ import annotations

import difflib
import os

from .problem import SAFE, Problem


def display_path(path: str) -> str:
    """A path relative to the working folder when it is below it, else as given."""
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def problem_line(p: Problem) -> str:
    mark = ""
    if p.fix:
        mark = " [*]" if p.fix.applicability == SAFE else " [unsafe fix]"
    return f"{display_path(p.file)}:{p.line}:{p.col}: {p.code} {p.message}{mark}"


def fixed_line(path: str, fixed) -> str:
    parts = [code if n == 1 else f"{code} x{n}" for code, n in sorted(fixed.items())]
    return f"fixed {display_path(path)} ({', '.join(parts)})"


def _git_mode(mode: int) -> str:
    return "100755" if mode & 0o111 else "100644"


def diff(path: str, before: str | None, after: str | None, old_mode: int | None, new_mode: int | None) -> str:
    """A git-style unified diff of one file: mode lines, then the text hunks."""
    name = display_path(path)
    out = []
    modes_differ = old_mode is not None and new_mode is not None and _git_mode(old_mode) != _git_mode(new_mode)
    if modes_differ:
        out += [f"diff --git a/{name} b/{name}\n", f"old mode {_git_mode(old_mode)}\n",
                f"new mode {_git_mode(new_mode)}\n"]
    if before is not None and after is not None and before != after:
        if not modes_differ:
            out.append(f"diff --git a/{name} b/{name}\n")
        for line in difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                         f"a/{name}", f"b/{name}"):
            out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def summary(problems: int, fixable: int, unsafe: int, fixed: int, mode: str) -> str:
    if mode == "write":
        head = f"Fixed {fixed} problem{'s' * (fixed != 1)}" if fixed else "Nothing to fix"
        return f"{head}, {problems} remaining." if problems else f"{head}; no problems remain."
    if not problems:
        return "All checks passed!"
    text = f"Found {problems} problem{'s' * (problems != 1)}"
    hints = []
    if fixable:
        hints.append(f"{fixable} fixable with --write")
    if unsafe:
        hints.append(f"{unsafe} more with --write --unsafe-fixes")
    return text + (f" ({'; '.join(hints)})." if hints else ".")
