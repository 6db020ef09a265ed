"""The reference syntaxes of Polytope scalars (docs/polytope.md, "References")."""
from __future__ import annotations

import re
from .pattern import on_first_use

# A whole scalar that is a param or input reference: `pt.param x`, `"#pt-param x"`, `pt.input x`.
_PARAM_REF = on_first_use(r"\s*(?:pt\.param|#pt-param|pt\.input)\s+([A-Za-z0-9_.-]+)\s*")
CODE_PREFIXES = ("#pt-js", "#pt-clj", "pt.js", "pt.clj", "#pt-py")


def param_ref(s) -> str | None:
    """The param id a whole-scalar reference names, or None."""
    if not isinstance(s, str) or ("pt." not in s and "#pt-" not in s):
        return None
    m = _PARAM_REF.fullmatch(s)
    return m.group(1) if m else None


def is_code(s) -> bool:
    return isinstance(s, str) and s.lstrip().startswith(CODE_PREFIXES)


def is_js(s) -> bool:
    return isinstance(s, str) and s.lstrip().startswith(("#pt-js", "pt.js"))


def has_reference(s) -> bool:
    """True when a string holds an interpolation or reference polyfix cannot evaluate."""
    # Every form holds `pt.` or `#pt-`: most strings are ruled out without the pattern.
    return (isinstance(s, str) and ("pt." in s or "#pt-" in s)
            and bool(re.search(r"\{\s*pt\.|pt\.(?:param|value|secret|input)|#pt-", s)))
