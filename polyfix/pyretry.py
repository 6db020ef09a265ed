"""PF011's codemod: wraps the calls that connect at start-up in a retry. Apart from pycode.py
because libcst.codemod (and the matchers it loads) costs half a second to import, and only a run
that found a call to wrap needs it."""
from __future__ import annotations

import libcst as cst
from libcst.codemod import CodemodCommand, CodemodContext
from libcst.codemod.visitors import AddImportsVisitor
from libcst.metadata import MetadataWrapper, PositionProvider

from .pycode import ASYNC_HELPER, HELPER, HELPER_SOURCE, _after_imports, wrapped


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
        wrapper = MetadataWrapper(tree)
        positions = wrapper.resolve(PositionProvider)
        styles: set[str] = set()
        outer = self

        class _Wrap(cst.CSTTransformer):
            def leave_Call(self, original, updated):
                pos = positions.get(original)
                style = pos and outer.targets.get((pos.start.line, pos.start.column + 1, pos.end.line, pos.end.column + 1))
                if not style:
                    return updated
                styles.add(style)
                outer.wrapped += 1
                return wrapped(updated, style)

        tree = wrapper.module.visit(_Wrap())
        defined = {s.name.value for s in tree.body if isinstance(s, cst.FunctionDef)}
        helpers = []
        for style in ("stdlib", "async"):
            name = HELPER if style == "stdlib" else ASYNC_HELPER
            if style in styles and name not in defined:
                # In the file's line endings: the docstring's line break is inside a string token.
                source = HELPER_SOURCE[style].replace("\n", tree.default_newline)
                helper = cst.parse_module(source).body[0]  # two blank lines above it, as PEP 8 has it
                helpers.append(helper.with_changes(leading_lines=[cst.EmptyLine(), cst.EmptyLine()]))
                self.inserted.append(HELPER_SOURCE[style])
        for library in ("tenacity", "backoff"):
            if library in styles:  # added after this, by the codemod's import pass, when missing
                AddImportsVisitor.add_needed_import(self.context, library)
        if helpers:
            at = _after_imports(tree)
            tree = tree.with_changes(body=[*tree.body[:at], *helpers, *tree.body[at:]])
        return tree
