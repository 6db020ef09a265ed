"""What a rule returns: a problem at a place, with an optional fix."""
from __future__ import annotations

from .record import new, record

from .edits import Edit

SAFE, UNSAFE = "safe", "unsafe"


@record
class Fix:
    """Text edits on one file plus what they do to its data, or a new mode for a script, or text
    edits on a Python file with the `python` change they make.

    `deletes` and `sets` are the fix's promise: after the edits the file's data must equal the old
    data with exactly those paths removed, then those (path, value) pairs set (an index one past the
    end of a list appends); the engine checks it and drops a fix that breaks it."""

    message: str
    applicability: str = SAFE
    edits: list[Edit] = new(list)
    deletes: list[tuple] = new(list)
    sets: list[tuple] = new(list)
    notes: list[tuple[str, int]] = new(list)  # what the user must still do once it is
    # applied, each with the offset (in the old text) of the place it is about
    located: list[tuple] = new(list)  # (row, col, end row, end col, text) per edit
    mode: int | None = None  # for PF004: the script's new permission bits
    target: str | None = None  # the file the fix changes, when not the problem's file
    python: "PythonChange | None" = None  # set when `edits` apply to a Python file (PF011)


@record(frozen=True)
class PythonChange:
    """What a fix to a Python file promises, for the engine to check: `wraps` more calls wrapped in
    one of `wrappers` (expressions whose `lambda: ...` stands for the call), and the top-level
    statements `inserts` added. Nothing else may change."""

    wrappers: frozenset
    wraps: int
    inserts: tuple = ()


@record
class Problem:
    code: str
    name: str
    message: str
    file: str  # absolute posix path
    line: int
    col: int
    end_line: int
    end_col: int
    fix: Fix | None = None
    hint: str = ""  # why there is no fix, when there is none
    # The specs a runtime error is about, as (file, top-level path) such as ("/p/polytope.yml",
    # ("tools", "api")): the spec it stands in, and the one it calls. The gate blames fixes by it.
    involves: frozenset = frozenset()
    secret: tuple[str, str] | None = None  # (name, value) of a secret literal: never printed (PF005)
    # Other secret literals of the same string, found in a later pass once this one is fixed: never
    # printed either, before then too
    hidden: tuple = ()
    # (start, end) offsets of the scalar holding the secret in the text it was found in: where its
    # written forms cannot find it (on several lines, or escaped) output masks that whole span
    secret_at: tuple = ()

    @property
    def fix_target(self) -> str:
        return (self.fix.target if self.fix and self.fix.target else self.file)


def at_node(code: str, name: str, message: str, file: str, doc, node, fix: Fix | None = None,
            hint: str = "") -> Problem:
    line, col = doc.line_col(node.start_mark.index)
    end_line, end_col = doc.line_col(node.end_mark.index)
    return Problem(code, name, message, file, line, col, end_line, end_col, fix, hint)
