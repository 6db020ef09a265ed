"""PF100 unused-suppression: a `# polyfix: ignore[...]` or `# noqa` comment that suppresses nothing.

What it does
    After every other rule has run, reports each suppression comment (`ignore`, `file-ignore`,
    `disable`, `noqa`) for the codes it names that no problem there was reported for, like ruff's
    RUF100, and names in them that select no rule (a typo such as `value-to-parm`, like RUF102).
    Only rules that ran are judged: with `--select PF001`, a `noqa: PF003` is left alone.
    Suppressions are described in polyfix/suppress.py and the README.

Why
    A suppression outlives the problem it was written for: once the problem is fixed, the comment
    only hides the next, different problem at that place.

Example
    - { name: PORT, value: pt.param port }  # polyfix: ignore[PF001]

Fix (safe)
    Removes the comment (with its line when it stands alone), or only the unused codes from it.
    Suppress PF100 itself with `ignore[PF100]` in the same comment, or turn it off in the configuration.
"""
from __future__ import annotations

from .. import suppress

CODE = suppress.UNUSED_CODE
NAME = suppress.UNUSED_NAME
AFTER_OTHERS = True  # it needs the other rules' problems: the engine runs it through check_after


def check_after(project, files, problems, selected) -> list:
    """The problems minus the suppressed ones, plus PF100 problems when PF100 is selected."""
    out = []
    by_file: dict[str, list] = {}
    for p in problems:
        by_file.setdefault(p.file, []).append(p)
    for file, found in by_file.items():
        doc = project.docs.get(file)
        out.extend(suppress.apply(found, doc, file, selected) if doc is not None else found)
    for file in files:
        if file not in by_file and file in project.docs:
            out.extend(suppress.apply([], project.docs[file], file, selected))
    return [p for p in out if p.code != CODE or selected(CODE)]
