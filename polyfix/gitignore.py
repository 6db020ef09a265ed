"""git's ignore patterns (gitignore(5)), read as git reads them, without git or a library.

Loading a general library for this cost a run in a git work tree about 20 ms, half of a one-file
run, to decide a few folders. The rules, from git's documentation:
- a blank line, or one starting with `#`, is no pattern; trailing spaces are dropped unless
  escaped (`\\ `); `!` in front re-includes what an earlier pattern left out; `\\` escapes a
  character (`\\#`, `\\!`);
- a pattern ending with `/` matches folders only;
- a pattern with no other `/` matches a name at any depth below its file's folder; one with a `/`
  at its start or in its middle matches the path from that folder;
- `*` is any run of characters but `/`, `?` one character but `/`, `[...]` one of a set (`!` or `^`
  after `[` inverts it; never `/`); `**/` at the start or between slashes is any number of folders,
  and `/**` at the end everything inside; any other `**` is a `*`.
A folder a pattern leaves out is not walked into, so nothing inside it can be re-included: the
walk asks about each folder before what it holds (discover.find_files).
"""
from __future__ import annotations

import re

_CLASSES = {"alnum": "a-zA-Z0-9", "alpha": "a-zA-Z", "blank": " \\t", "cntrl": "\\x00-\\x1f\\x7f",
            "digit": "0-9", "graph": "!-~", "lower": "a-z", "print": " -~", "punct": "!-/:-@\\[-`{-~",
            "space": " \\t\\n\\r\\f\\v", "upper": "A-Z", "xdigit": "0-9a-fA-F"}
_SPECIAL = frozenset("*?[\\")


class Rule:
    """One pattern line: whether it re-includes, matches folders only, matches a name (no `/`)."""

    __slots__ = ("negated", "folders_only", "name_only", "_text", "_compiled")

    def __init__(self, text: str, negated: bool, folders_only: bool, name_only: bool):
        self.negated, self.folders_only, self.name_only = negated, folders_only, name_only
        self._text = text
        self._compiled = None

    def matches(self, path: str, is_dir: bool) -> bool:
        """`path`: relative to the folder of the file the pattern is in, `/` between its parts."""
        if self.folders_only and not is_dir:
            return False
        subject = path.rpartition("/")[2] if self.name_only else path
        text = self._text
        if not _SPECIAL.intersection(text):  # most lines name a file or a folder: no pattern to compile
            return subject == text
        if text[0] == "*" and "/" not in subject and not _SPECIAL.intersection(text[1:]):
            return subject.endswith(text[1:])  # `*.log`
        if self._compiled is None:
            self._compiled = re.compile(_regex(text))
        return self._compiled.fullmatch(subject) is not None


def parse(lines: list[str]) -> list[Rule]:
    rules = []
    for line in lines:
        if not line or line[0] == "#":
            continue
        line = _without_trailing_spaces(line)
        negated = line[0] == "!" if line else False
        if negated:
            line = line[1:]
        folders_only = line.endswith("/")
        if folders_only:
            line = line[:-1]
        if not line:
            continue
        name_only = "/" not in line
        if line[0] == "/":
            line = line[1:]
        rules.append(Rule(line, negated, folders_only, name_only))
    return rules


def decide(rules: list[Rule], path: str, is_dir: bool) -> bool | None:
    """True when the last pattern matching the path leaves it out, False when it re-includes it,
    None when none matches."""
    for rule in reversed(rules):
        if rule.matches(path, is_dir):
            return not rule.negated
    return None


def _without_trailing_spaces(line: str) -> str:
    end = len(line)
    while end and line[end - 1] == " ":
        backslashes = len(line[:end - 1]) - len(line[:end - 1].rstrip("\\"))
        if backslashes % 2:  # `\ `: an escaped space stays
            break
        end -= 1
    return line[:end]


def _regex(pattern: str) -> str:
    out, i, n = [], 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            if i + 1 == n:  # a lone backslash at the end: git never matches it
                return "(?!)"
            out.append(re.escape(pattern[i + 1]))
            i += 2
        elif c == "*":
            j = i
            while j < n and pattern[j] == "*":
                j += 1
            whole = (i == 0 or pattern[i - 1] == "/") and (j == n or pattern[j] == "/")
            if j - i >= 2 and whole:
                if j == n:
                    out.append(".*")
                    i = j
                else:
                    out.append("(?:.*/)?")  # `**/`: no folder, or any
                    i = j + 1
            else:
                out.append("[^/]*")
                i = j
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            found = _bracket(pattern, i)
            if found is None:  # `[` without its `]`: git's matcher gives up, and nothing matches
                return "(?!)"
            cls, i = found
            out.append(cls)
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)


def _bracket(pattern: str, start: int) -> tuple[str, int] | None:
    """The regex class for the `[...]` at `start`, and where the pattern goes on after it."""
    i, n = start + 1, len(pattern)
    inverted = i < n and pattern[i] in "!^"
    if inverted:
        i += 1
    members, first = [], True
    while i < n:
        c = pattern[i]
        if c == "]" and not first:
            body = "".join(members)
            return (f"[^/{body}]" if inverted else f"(?!/)[{body}]") if body else ("[^/]" if inverted else "(?!)"), i + 1
        first = False
        if c == "[" and pattern.startswith("[:", i):
            end = pattern.find(":]", i + 2)
            if end != -1 and pattern[i + 2:end] in _CLASSES:
                members.append(_CLASSES[pattern[i + 2:end]])
                i = end + 2
                continue
        if c == "\\":
            if i + 1 == n:
                return None
            c = pattern[i + 1]
            i += 1
        low = c
        i += 1
        if i + 1 < n and pattern[i] == "-" and pattern[i + 1] != "]":
            high = pattern[i + 1]
            if high == "\\":
                if i + 2 == n:
                    return None
                high = pattern[i + 2]
                i += 1
            i += 2
            if low <= high:
                members.append(f"{_in_class(low)}-{_in_class(high)}")
            continue
        members.append(_in_class(low))
    return None


def _in_class(c: str) -> str:
    return "\\" + c if c in "\\]^-[" else c
