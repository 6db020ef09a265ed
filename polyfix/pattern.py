"""Regular expressions compiled when first used.

CPython's `re` compiles in Python: 0.1-1.5 ms a pattern, the most costly being classes beyond
Latin-1 such as the placeholder mask's. A one-file run paid that at import for every rule's
patterns, most of which its file never needs. `on_first_use(source)` stands in for
`re.compile(source)`: the first call compiles it and puts the compiled pattern's methods on the
stand-in, so every later call costs what a compiled pattern's does.
"""
from __future__ import annotations

import re

_METHODS = ("search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split")


class _Later:
    def __init__(self, source: str, flags: int = 0):
        self._args = (source, flags)

    def __getattr__(self, name: str):
        if name.startswith("__"):  # copy, pickle and friends probing: this is not a pattern yet
            raise AttributeError(name)
        compiled = self.__dict__.get("_compiled") or re.compile(*self._args)
        self.__dict__["_compiled"] = compiled
        for method in _METHODS:
            self.__dict__[method] = getattr(compiled, method)
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"on_first_use({self._args[0]!r})"


def on_first_use(source: str, flags: int = 0) -> _Later:
    """`re.compile(source, flags)`, done on first use."""
    return _Later(source, flags)


# The characters that mask a template's placeholders (document.py) and may stand inside a name.
MASK_CHARS = "\ue000-\uefff"
MASK = "{MASK}"


class _MaskAware:
    """One pattern in two forms: with the mask's characters in its classes (written MASK in the
    source), and without them for ASCII text, where no such character can occur, so both forms
    find the same. A class spanning that range costs about ten times more to compile (0.4-1.5 ms),
    and most text is ASCII (`str.isascii` is free)."""

    def __init__(self, source: str, flags: int = 0):
        self._ascii = on_first_use(source.replace(MASK, ""), flags)
        self._full = on_first_use(source.replace(MASK, MASK_CHARS), flags)

    def _for(self, text: str):
        return self._ascii if text.isascii() else self._full

    def search(self, text: str, *span):
        return self._for(text).search(text, *span)

    def match(self, text: str, *span):
        return self._for(text).match(text, *span)

    def fullmatch(self, text: str, *span):
        return self._for(text).fullmatch(text, *span)

    def finditer(self, text: str, *span):
        return self._for(text).finditer(text, *span)

    def sub(self, repl, text: str, count: int = 0):
        return self._for(text).sub(repl, text, count)


def mask_aware(source: str, flags: int = 0) -> _MaskAware:
    """`re.compile(source)` with MASK in `source` standing for the placeholder mask's characters,
    compiled on first use, and without them when the text is ASCII."""
    return _MaskAware(source, flags)


def has_mask_chars(text: str) -> bool:
    """Whether `text` holds a character of the placeholder mask's range (U+E000-U+EFFF)."""
    return not text.isascii() and max(text) >= "\ue000" and any("\ue000" <= c <= "\uefff" for c in text)
