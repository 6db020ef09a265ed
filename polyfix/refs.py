"""The reference syntaxes of Polytope scalars (docs/polytope.md, "References")."""
from __future__ import annotations

from .pattern import on_first_use

# A whole scalar that is a param or input reference: `pt.param x`, `"#pt-param x"`, `pt.input x`.
_PARAM_REF = on_first_use(r"\s*(?:pt\.param|#pt-param|pt\.input)\s+([A-Za-z0-9_.-]+)\s*", needs=("pt.", "#pt-"))
# Any interpolation or reference; every form holds `pt.` or `#pt-`.
_REFERENCE = on_first_use(r"\{\s*pt\.|pt\.(?:param|value|secret|input)|#pt-", needs=("pt.", "#pt-"))
CODE_PREFIXES = ("#pt-js", "#pt-clj", "pt.js", "pt.clj", "#pt-py")


def param_ref(s) -> str | None:
    """The param id a whole-scalar reference names, or None."""
    if not isinstance(s, str):
        return None
    m = _PARAM_REF.fullmatch(s)
    return m.group(1) if m else None


def is_code(s) -> bool:
    return isinstance(s, str) and s.lstrip().startswith(CODE_PREFIXES)


def is_js(s) -> bool:
    return isinstance(s, str) and s.lstrip().startswith(("#pt-js", "pt.js"))


def has_reference(s) -> bool:
    """True when a string holds an interpolation or reference polyfix cannot evaluate."""
    return isinstance(s, str) and bool(_REFERENCE.search(s))
