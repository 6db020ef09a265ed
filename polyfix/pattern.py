"""Regular expressions compiled when first used.

CPython's `re` compiles in Python: 0.1-1.5 ms a pattern, the most costly being classes beyond
Latin-1 such as the placeholder mask's. A one-file run paid that at import for every rule's
patterns, most of which its file never needs. `on_first_use(source)` stands in for
`re.compile(source)`: the first call compiles it and puts the compiled pattern's methods on the
stand-in, so every later call costs what a compiled pattern's does. With `needs`, the strings one of
which every match holds, a text holding none of them is answered "no match" without compiling.

Below them, plain string code for names made from labels and ids (`dbPassword`, `DB_PASSWORD` →
`db-password`): a pattern costs 0.03-0.06 ms to compile, more than the few short names a run makes
take to build.
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


class _Needing:
    """A pattern compiled on first use that only a text holding one of `needs` can match."""

    def __init__(self, source: str, flags: int, needs: tuple[str, ...]):
        self._args = (source, flags)
        self._pattern = _Later(source, flags)
        self._needs = needs

    def _may_match(self, text: str) -> bool:
        for need in self._needs:
            if need in text:
                return True
        return False

    def search(self, text: str, *span):
        return self._pattern.search(text, *span) if self._may_match(text) else None

    def match(self, text: str, *span):
        return self._pattern.match(text, *span) if self._may_match(text) else None

    def fullmatch(self, text: str, *span):
        return self._pattern.fullmatch(text, *span) if self._may_match(text) else None

    def finditer(self, text: str, *span):
        return self._pattern.finditer(text, *span) if self._may_match(text) else iter(())

    def sub(self, repl, text: str, count: int = 0):
        return self._pattern.sub(repl, text, count) if self._may_match(text) else text

    def __repr__(self) -> str:
        return f"on_first_use({self._args[0]!r}, needs={self._needs!r})"


def on_first_use(source: str, flags: int = 0, needs: tuple[str, ...] = ()) -> _Later | _Needing:
    """`re.compile(source, flags)`, done on first use; with `needs` (strings one of which every
    match of `source` holds), not done at all for texts that hold none of them."""
    return _Needing(source, flags, needs) if needs else _Later(source, flags)


# The characters that mask a template's placeholders (document.py) and may stand inside a name.
MASK_CHARS = "\ue000-\uefff"
MASK = "{MASK}"


class _MaskAware:
    """One pattern in two forms: with the mask's characters in its classes (written MASK in the
    source), and without them for ASCII text, where no such character can occur, so both forms
    find the same. A class spanning that range costs about ten times more to compile (0.4-1.5 ms),
    and most text is ASCII (`str.isascii` is free)."""

    def __init__(self, source: str, flags: int = 0, needs: tuple[str, ...] = ()):
        self._ascii = on_first_use(source.replace(MASK, ""), flags, needs)
        self._full = on_first_use(source.replace(MASK, MASK_CHARS), flags, needs)

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


def mask_aware(source: str, flags: int = 0, needs: tuple[str, ...] = ()) -> _MaskAware:
    """`re.compile(source)` with MASK in `source` standing for the placeholder mask's characters,
    compiled on first use (with `needs` as on_first_use takes it), and without them when the text is ASCII."""
    return _MaskAware(source, flags, needs)


def has_mask_chars(text: str) -> bool:
    """Whether `text` holds a character of the placeholder mask's range (U+E000-U+EFFF)."""
    return not text.isascii() and max(text) >= "\ue000" and any("\ue000" <= c <= "\uefff" for c in text)


# ---- names from labels, without patterns ----

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"  # ASCII only, as `[A-Za-z]`
LOWER_DIGITS = "abcdefghijklmnopqrstuvwxyz0123456789"
LETTERS_DIGITS = LETTERS + "0123456789"
_PLAIN_FIRST = LETTERS + "_"
_PLAIN_REST = LETTERS_DIGITS + "_./-"


def plain_name(s: str) -> bool:
    """A letter or `_`, then letters, digits and `_./-`, placeholder mask characters anywhere: what
    the pattern `[A-Za-z_M][A-Za-z0-9_./\\-M]*` (M the mask's range) matches, without compiling it."""
    if not s:
        return False
    if s.isascii():
        return s[0] in _PLAIN_FIRST and not s.lstrip(_PLAIN_REST)
    return _in(s[0], _PLAIN_FIRST) and all(_in(c, _PLAIN_REST) for c in s)


def _in(c: str, chars: str) -> bool:
    return c in chars or "\ue000" <= c <= "\uefff"


# The plain words PyYAML's safe loader reads as a boolean or null (YAML 1.1's, less `y` and `n`).
_BOOL_NULL_WORDS = frozenset("yes Yes YES no No NO true True TRUE false False FALSE on On ON off Off OFF "
                             "null Null NULL".split())


def plain_word(s: str) -> bool:
    """Whether YAML reads `s`, written plain, back as that string, known without a loader: a plain
    name in ASCII that is no boolean or null word. Names it cannot vouch for may still be plain."""
    return s.isascii() and plain_name(s) and s not in _BOOL_NULL_WORDS


def runs(text: str, keep: str) -> list[str]:
    """The runs of characters of `keep` in `text`, in order (`keep` holds no whitespace)."""
    return "".join(c if c in keep else " " for c in text).split()


def camel_split(text: str, sep: str) -> str:
    """`sep` between a lower-case letter or digit and the capital after it: `dbPassword` → `db-Password`."""
    out = []
    previous = ""
    for c in text:
        if "A" <= c <= "Z" and previous and previous in LOWER_DIGITS:
            out.append(sep)
        out.append(c)
        previous = c
    return "".join(out)


def kebab(text: str) -> str:
    """Lower case, every run of other characters than ASCII letters and digits one `-`, none at the ends."""
    return "-".join(runs(text.lower(), LOWER_DIGITS))


def camel_case(name: str) -> str:
    """`-` or `_` and the word character after it become that character in upper case: `db-host` → `dbHost`."""
    out = []
    i = 0
    while i < len(name):
        after = name[i + 1:i + 2]
        if name[i] in "-_" and after and (after.isalnum() or after == "_"):
            out.append(after.upper())
            i += 2
        else:
            out.append(name[i])
            i += 1
    return "".join(out)
