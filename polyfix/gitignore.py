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
  and `/**` at the end everything inside; any other `**` is a `*`, but before a `/` (below).
A folder a pattern leaves out is not walked into, so nothing inside it can be re-included: the
walk asks about each folder before what it holds (discover.find_files).
"""
from __future__ import annotations

_CLASSES = {"alnum": lambda c: c.isascii() and c.isalnum(), "alpha": lambda c: c.isascii() and c.isalpha(),
            "blank": lambda c: c in " \t", "cntrl": lambda c: c < " " or c == "\x7f",
            "digit": lambda c: "0" <= c <= "9", "graph": lambda c: "!" <= c <= "~",
            "lower": lambda c: "a" <= c <= "z", "print": lambda c: " " <= c <= "~",
            "punct": lambda c: "!" <= c <= "~" and not c.isalnum(), "space": lambda c: c in " \t\n\r\f\v",
            "upper": lambda c: "A" <= c <= "Z", "xdigit": lambda c: c in "0123456789abcdefABCDEF"}
_SPECIAL = frozenset("*?[\\")


class Rule:
    """One pattern line: whether it re-includes, matches folders only, matches a name (no `/`)."""

    __slots__ = ("negated", "folders_only", "name_only", "_text", "_parts")

    def __init__(self, text: str, negated: bool, folders_only: bool, name_only: bool):
        self.negated, self.folders_only, self.name_only = negated, folders_only, name_only
        self._text = text
        self._parts = None

    def matches(self, path: str, is_dir: bool) -> bool:
        """`path`: relative to the folder of the file the pattern is in, `/` between its parts."""
        if self.folders_only and not is_dir:
            return False
        subject = path.rpartition("/")[2] if self.name_only else path
        text = self._text
        if not _SPECIAL.intersection(text):  # most lines name a file or a folder: nothing to match by parts
            return subject == text
        if text[0] == "*" and "/" not in subject and not _SPECIAL.intersection(text[1:]):
            return subject.endswith(text[1:])  # `*.log`
        if self._parts is None:
            self._parts = _parts(text)
        spellings = self._parts
        if spellings is None:  # a pattern git's matcher gives up on: it matches nothing
            return False
        items = subject.split("/")
        return any(_match(parts, items, _part_matches) for parts in spellings)


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


# Matching is by parts, with no regular expression: a pattern like `*a*a*a*a*b` made a regex
# backtrack for minutes on a long name, and a scanned repository chooses its ignore files.
# Within a part, `*` is any run of characters; across parts, `**` is any run of parts. Both are
# matched by remembering only the last star: time grows with the product of the lengths, no faster.
class _Token:
    """A wildcard, told apart from the same character escaped (`\\*`) by identity."""

    __slots__ = ()


_STAR, _ANY = _Token(), _Token()  # in a part, besides one-character strings and sets (tuples)
_STARS, _ONE_PART = _Token(), _Token()  # among parts, besides each part's tokens


def _parts(pattern: str) -> list | None:
    """The pattern's spellings (one, or more for `b**/y`), each its parts as lists of tokens, `**`
    for any number of folders; None when git's matcher gives up on it (a `[` without its `]`, a
    `\\` at the end)."""
    spellings = []
    for pieces in _spellings(pattern.split("/")):
        out = []
        for i, piece in enumerate(pieces):
            if len(piece) >= 2 and piece.strip("*") == "":
                if i == len(pieces) - 1 and len(pieces) > 1:  # `/**` at the end: everything inside
                    out += [_ONE_PART, _STARS]
                else:
                    out.append(_STARS)
                continue
            tokens = _tokens(piece)
            if tokens is None:
                return None
            out.append(tokens)
            if i < len(pieces) - 1 and _two_stars_at_end(piece):  # `b**/y` matches b/x/y
                out.append(_STARS)
        spellings.append(out)
    return spellings


# git (2.39, tested against it) does what its documentation leaves out: `**` just before a `/` runs
# on across folders whatever comes before it (`b**/y` matches b/x/y), or takes nothing and the `/`
# with it (`b**/y` matches `by`). So such a pattern has two spellings: as written, and joined there.
# A line with many of them keeps the first few joins: each doubles the spellings.
_MOST_JOINS = 6


def _spellings(pieces: list[str], start: int = 0, joins: int = 0) -> list[list[str]]:
    for i in range(start, len(pieces) - 1):
        piece = pieces[i]
        if piece.strip("*") and _two_stars_at_end(piece) and joins < _MOST_JOINS:
            stem = piece.rstrip("*") + ("*" if _escaped_star_at_end(piece.rstrip("*")) else "")
            joined = pieces[:i] + [stem + pieces[i + 1]] + pieces[i + 2:]
            return _spellings(pieces, i + 1, joins + 1) + _spellings(joined, i, joins + 1)
    return [pieces]


def _two_stars_at_end(piece: str) -> bool:
    stars = len(piece) - len(piece.rstrip("*"))
    return stars - _escaped_star_at_end(piece.rstrip("*")) >= 2


def _escaped_star_at_end(before: str) -> bool:
    """Whether the star after `before` is escaped (`\\*`): an odd run of backslashes ends it."""
    return (len(before) - len(before.rstrip("\\"))) % 2 == 1


def _tokens(piece: str) -> tuple | None:
    tokens, i, n = [], 0, len(piece)
    while i < n:
        c = piece[i]
        if c == "\\":
            if i + 1 == n:
                return None
            tokens.append(piece[i + 1])
            i += 2
        elif c == "*":
            if not tokens or tokens[-1] is not _STAR:
                tokens.append(_STAR)
            i += 1
        elif c == "?":
            tokens.append(_ANY)
            i += 1
        elif c == "[":
            found = _bracket(piece, i)
            if found is None:
                return None
            members, i = found
            tokens.append(members)
        else:
            tokens.append(c)
            i += 1
    return tuple(tokens)


def _bracket(piece: str, start: int) -> tuple[tuple, int] | None:
    """The set `[...]` at `start` as (inverted, characters, ranges), and where the part goes on."""
    i, n = start + 1, len(piece)
    inverted = i < n and piece[i] in "!^"
    if inverted:
        i += 1
    chars, ranges, first = [], [], True
    while i < n:
        c = piece[i]
        if c == "]" and not first:
            return (inverted, "".join(chars), tuple(ranges)), i + 1
        first = False
        if c == "[" and piece.startswith("[:", i):
            end = piece.find(":]", i + 2)
            if end != -1 and piece[i + 2:end] in _CLASSES:
                ranges.append(piece[i + 2:end])
                i = end + 2
                continue
        if c == "\\":
            if i + 1 == n:
                return None
            i += 1
            c = piece[i]
        i += 1
        if i + 1 < n and piece[i] == "-" and piece[i + 1] != "]":
            high = piece[i + 1]
            i += 2
            if high == "\\":
                if i == n:
                    return None
                high = piece[i]
                i += 1
            ranges.append((c, high))
            continue
        chars.append(c)
    return None


def _in_set(members: tuple, c: str) -> bool:
    inverted, chars, ranges = members
    found = c in chars or any(_CLASSES[r](c) if isinstance(r, str) else r[0] <= c <= r[1] for r in ranges)
    return found != inverted


def _char_matches(token, c: str) -> bool:
    if token is _ANY:
        return True
    if isinstance(token, tuple):
        return _in_set(token, c)
    return token == c


def _part_matches(tokens: tuple, part: str) -> bool:
    if tokens is _ONE_PART:
        return True
    return _match(tokens, part, _char_matches)


def _match(pattern, items, one) -> bool:
    """Whether `items` match `pattern`, a sequence of tokens where the star (`*` in a part, `**`
    among parts) stands for any run of items and each other token for one item that `one` accepts."""
    star_token = _STARS if isinstance(items, list) else _STAR
    p = i = 0
    star, mark = -1, 0
    while i < len(items):
        if p < len(pattern) and pattern[p] is star_token:
            star, mark = p, i
            p += 1
        elif p < len(pattern) and one(pattern[p], items[i]):
            p += 1
            i += 1
        elif star >= 0:  # the last star takes one more item, and the rest is tried again
            p, mark = star + 1, mark + 1
            i = mark
        else:
            return False
    while p < len(pattern) and pattern[p] is star_token:
        p += 1
    return p == len(pattern)
