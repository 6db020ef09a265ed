"""The reference syntaxes of Polytope scalars (docs/polytope.md, "References")."""
from __future__ import annotations

from .pattern import LETTERS_DIGITS

PARAM_WORDS = ("pt.param", "#pt-param", "pt.input")
VALUE_WORDS = ("pt.value", "#pt-value")
# Every reference or interpolation holds one of these; `{pt.` (any interpolation) is looked for apart.
_REFERENCE_WORDS = ("#pt-", "pt.param", "pt.value", "pt.secret", "pt.input")
CODE_PREFIXES = ("#pt-js", "#pt-clj", "pt.js", "pt.clj", "#pt-py")
NAME_CHARS = frozenset(LETTERS_DIGITS + "_.-")
_ASCII_LETTERS_TEXT = "".join(c for c in LETTERS_DIGITS if c.isalpha())
_NAME_TEXT = LETTERS_DIGITS + "_.-"


def whole_ref(s: str) -> tuple[str, str] | None:
    """(word, name) when the whole string is one reference, `pt.param x` or `"#pt-value x"`, spaces
    around it allowed: what the pattern `\\s*(#pt-[A-Za-z]+|pt\\.[A-Za-z]+)\\s+(NAME)\\s*` matches whole,
    written out (compiling it cost 0.2-0.3 ms, a tenth of a short file's whole check). A name may
    hold the placeholder mask's characters (document.py)."""
    if "pt" not in s:
        return None
    text = s.strip()
    letters_at = 4 if text.startswith("#pt-") else 3 if text.startswith("pt.") else 0
    word_end = _letters_end(text, letters_at)
    name_at = _spaces_end(text, word_end)
    name_end = _name_end(text, name_at)
    if not letters_at or word_end == letters_at or name_at == word_end or name_end == name_at or name_end < len(text):
        return None
    return text[:word_end], text[name_at:]


def interpolations(s: str) -> list[tuple[str, str]]:
    """(word, name) of each interpolation `{pt.value x}` in a string, in order: what the pattern
    `\\{\\s*(pt\\.[A-Za-z]+)\\s+(NAME)\\s*\\}` finds, written out as whole_ref is."""
    return [(word, name) for _start, _end, word, name in interpolation_spans(s)]


def interpolation_spans(s: str) -> list[tuple[int, int, str, str]]:
    """(start, end, word, name) of each interpolation in a string, as `interpolations` finds them."""
    found: list[tuple[int, int, str, str]] = []
    at = s.find("{") if "pt." in s else -1
    while at != -1:
        word_at = _spaces_end(s, at + 1)
        if s.startswith("pt.", word_at):
            word_end = _letters_end(s, word_at + 3)
            name_at = _spaces_end(s, word_end)
            name_end = _name_end(s, name_at)
            close = _spaces_end(s, name_end)
            if word_end > word_at + 3 and name_at > word_end and name_end > name_at and s[close:close + 1] == "}":
                found.append((at, close + 1, s[word_at:word_end], s[name_at:name_end]))
                at = s.find("{", close + 1)
                continue
        at = s.find("{", at + 1)
    return found


# The ends below are found with str.lstrip, which runs in C: a loop over the characters in Python
# cost a run on a large file more than the patterns these functions replace.
def _letters_end(s: str, at: int) -> int:
    rest = s[at:]
    return len(s) - len(rest.lstrip(_ASCII_LETTERS_TEXT))


def _spaces_end(s: str, at: int) -> int:
    rest = s[at:]
    return len(s) - len(rest.lstrip())  # str.isspace's spaces: what `\\s` matches in a pattern on text


def _name_end(s: str, at: int) -> int:
    rest = s[at:]
    end = len(s) - len(rest.lstrip(_NAME_TEXT))
    while end < len(s) and ("\ue000" <= s[end] <= "\uefff" or s[end] in NAME_CHARS):  # a placeholder's mask
        end = len(s) - len(s[end + 1:].lstrip(_NAME_TEXT))
    return end


def param_ref(s) -> str | None:
    """The param id a whole-scalar reference names, or None."""
    if not isinstance(s, str):
        return None
    ref = whole_ref(s)
    # A plain name only: a placeholder (masked while parsing) inside it is no param polyfix can follow.
    return ref[1] if ref and ref[0] in PARAM_WORDS and ref[1].isascii() else None


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
