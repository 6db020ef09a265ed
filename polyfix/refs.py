"""The reference syntaxes of Polytope scalars (docs/polytope.md, "References")."""
from __future__ import annotations

from .pattern import LETTERS_DIGITS, mask_aware

# A whole scalar or an interpolation that is a reference: `pt.param x`, `"#pt-param x"`, `{pt.input x}`.
# One pattern for every kind of reference, the rules telling the kinds apart by the word: each
# pattern costs 0.1 ms to compile, once a process, more than a short file's references take to find.
_NAME = r"[A-Za-z0-9_.\-{MASK}]+"  # placeholder mask characters may be part of a name
WHOLE_REF = mask_aware(rf"\s*(#pt-[A-Za-z]+|pt\.[A-Za-z]+)\s+({_NAME})\s*", needs=("pt.", "#pt-"))
INTERP_REF = mask_aware(rf"\{{\s*(pt\.[A-Za-z]+)\s+({_NAME})\s*\}}", needs=("pt.",))
PARAM_WORDS = ("pt.param", "#pt-param", "pt.input")
VALUE_WORDS = ("pt.value", "#pt-value")
# Every reference or interpolation holds one of these; `{pt.` (any interpolation) is looked for apart.
_REFERENCE_WORDS = ("#pt-", "pt.param", "pt.value", "pt.secret", "pt.input")
CODE_PREFIXES = ("#pt-js", "#pt-clj", "pt.js", "pt.clj", "#pt-py")
NAME_CHARS = frozenset(LETTERS_DIGITS + "_.-")


def param_ref(s) -> str | None:
    """The param id a whole-scalar reference names, or None."""
    if not isinstance(s, str):
        return None
    m = WHOLE_REF.fullmatch(s)
    # A plain name only: a placeholder (masked while parsing) inside it is no param polyfix can follow.
    return m.group(2) if m and m.group(1) in PARAM_WORDS and m.group(2).isascii() else None


def is_code(s) -> bool:
    return isinstance(s, str) and s.lstrip().startswith(CODE_PREFIXES)


def is_js(s) -> bool:
    return isinstance(s, str) and s.lstrip().startswith(("#pt-js", "pt.js"))


def has_reference(s) -> bool:
    """True when a string holds an interpolation or reference polyfix cannot evaluate."""
    if not isinstance(s, str) or "pt" not in s:
        return False
    if any(word in s for word in _REFERENCE_WORDS):
        return True
    at = s.find("pt.")
    while at != -1:  # an interpolation of any kind: `{pt.js …}`, `{ pt.clj …}`
        before = at - 1
        while before >= 0 and s[before].isspace():
            before -= 1
        if before >= 0 and s[before] == "{":
            return True
        at = s.find("pt.", at + 1)
    return False


def word_spans(text: str, words: tuple[str, ...]) -> list[tuple[int, int, int]]:
    """(start, end of the word, end of the whitespace after it) for each of `words` in `text` that
    whitespace follows, in order: what the pattern `(word|…)(\\s+)` finds, for words such as
    `pt.value`, none of which can begin inside another or inside whitespace."""
    found = []
    for word in words:
        at = text.find(word)
        while at != -1:
            end = spaces_end = at + len(word)
            while spaces_end < len(text) and text[spaces_end].isspace():
                spaces_end += 1
            if spaces_end > end:
                found.append((at, end, spaces_end))
            at = text.find(word, end)
    found.sort()
    return found


def names_read(text: str, words: tuple[str, ...]) -> list[str]:
    """The name after each of `words` and whitespace (`pt.secret db-password`), anywhere in `text`,
    comments and code included, as the pattern `(?:word|…)\\s+([A-Za-z0-9_.-]+)` finds them."""
    names, read_to = [], 0
    for start, _end, spaces_end in word_spans(text, words):
        if start < read_to:
            continue  # inside the name just read (`pt.secret pt.secret`)
        name_end = spaces_end
        while name_end < len(text) and text[name_end] in NAME_CHARS:
            name_end += 1
        if name_end > spaces_end:
            names.append(text[spaces_end:name_end])
            read_to = name_end
    return names
