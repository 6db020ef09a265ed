"""PF011's codemod where the project retries with tenacity or backoff: pycode.wrap_calls, then
libcst's import pass adds the library's import where it is missing. Apart from pycode.py because
libcst.codemod (and the matchers it loads) costs half a second to import, and only a call wrapped
in one of those libraries needs it."""
from __future__ import annotations

import libcst as cst
from libcst.codemod import CodemodCommand, CodemodContext
from libcst.codemod.visitors import AddImportsVisitor

from .pycode import RETRY_LIBRARIES, wrap_calls


class RetryConnects(CodemodCommand):
    """Wrap the calls that start at the given positions in a retry, adding what the wrapper needs
    (the stdlib helper, or tenacity's/backoff's import) once per file. Nothing else changes."""

    DESCRIPTION = "Wrap start-up connections in a retry (polyfix PF011)."

    def __init__(self, context: CodemodContext, targets: dict[tuple[int, int, int, int], str]):
        """`targets` maps the span of a call (line, column, end line, end column; columns 1-based)
        to its wrapper style (a WRAPPERS key). The whole span, because `f(x).g()` and `f(x)` start
        at the same place."""
        super().__init__(context)
        self.targets = targets
        self.inserted: list[str] = []  # what was added besides the wrapped calls (HELPER_SOURCE values)
        self.wrapped = 0

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        tree, styles, inserted, count = wrap_calls(tree, self.targets)
        self.wrapped += count
        self.inserted += inserted
        for library in RETRY_LIBRARIES:
            if library in styles:  # added after this, by the codemod's import pass, when missing
                AddImportsVisitor.add_needed_import(self.context, library)
        return tree
