"""git's ignore patterns (gitignore(5)), read as git reads them, without git or a library.

Loading a general library for this cost a run in a git work tree about 20 ms, half of a one-file
run, to decide a few folders. The rules, from git's documentation:
- lines end at `\\n` (a `\\r` before it is dropped; a UTF-8 byte-order mark at the start too); a
  blank line, or one starting with `#`, is no pattern; trailing spaces are dropped unless escaped
  (`\\ `); `!` in front re-includes what an earlier pattern left out; `\\` escapes a character;
- a pattern ending with `/` matches folders only;
- a pattern with no other `/` matches a name at any depth below its file's folder; one with a `/`
  at its start or in its middle matches the path from that folder;
- `*` is any run of characters but `/`, `?` one character but `/`, `[...]` one of a set (`!` or `^`
  after `[` inverts it; never `/`); `**/` at the start or between slashes is any number of folders,
  and `/**` at the end everything inside; any other `**` is a `*`, with one exception (below).
A folder a pattern leaves out is not walked into, so nothing inside it can be re-included: the
walk asks about each folder before what it holds (discover.find_files).

What git does besides (2.39; tests/test_gitignore.py holds polyfix to git on random trees): it
compares the text before a pattern's first wildcard as it is, and matches the rest; a `**` that
starts that rest and ends a part runs on across folders (`b**/y` matches b/x/y, `/deps**`
deps/a/b), and before a `/` may also take nothing and the `/` with it (`b**/y` matches `by`). A
set's reversed range (`[b-a]`) holds its first character; an unknown class (`[[:x:]]`) or a `[`
without its `]` makes the pattern match nothing; `\\/` is a `/`.

Matching is by parts, with no regular expression: a pattern like `*a*a*a*a*b` made a regex
backtrack for minutes on a long name, and a scanned repository chooses its ignore files. Within a
part, `*` is any run of characters; across parts, `**` is any run of parts. Both are matched by
remembering only the last star, in steps no more than the product of the two lengths.
"""
from __future__ import annotations

import bisect

_CLASSES = {"alnum": lambda c: c.isascii() and c.isalnum(), "alpha": lambda c: c.isascii() and c.isalpha(),
            "blank": lambda c: c in " \t", "cntrl": lambda c: c < " " or c == "\x7f",
            "digit": lambda c: "0" <= c <= "9", "graph": lambda c: "!" <= c <= "~",
            "lower": lambda c: "a" <= c <= "z", "print": lambda c: " " <= c <= "~",
            "punct": lambda c: "!" <= c <= "~" and not c.isalnum(), "space": lambda c: c in " \t\n\r",
            "upper": lambda c: "A" <= c <= "Z", "xdigit": lambda c: c in "0123456789abcdefABCDEF"}
_SPECIAL = "*?[\\"


class Rules:
    """The patterns of one file. Most lines name a file or a folder: those are looked up by name,
    and only the others are matched one by one (a file of 100,000 names took 40 s)."""

    def __init__(self, rules: list[Rule]):
        self.rules = rules
        self.by_name: dict[tuple[bool, str], list[int]] = {}  # (name only, text) → the lines that say it
        self.others = []  # indexes of the rules with a wildcard
        for i, rule in enumerate(rules):
            if rule.literal:
                self.by_name.setdefault((rule.name_only, rule.text), []).append(i)
            else:
                self.others.append(i)

    def decide(self, path: str, is_dir: bool) -> bool | None:
        """True when the last pattern matching the path leaves it out, False when it re-includes it,
        None when none matches. `path`: relative to the file's folder, `/` between its parts."""
        best = -1
        for key in ((True, path.rpartition("/")[2]), (False, path)):
            for i in reversed(self.by_name.get(key, ())):
                if i <= best:
                    break
                if is_dir or not self.rules[i].folders_only:
                    best = i
                    break
        for i in reversed(self.others):
            if i <= best:
                break
            if self.rules[i].matches(path, is_dir):
                best = i
                break
        return None if best < 0 else not self.rules[best].negated


class Rule:
    """One pattern line: whether it re-includes, matches folders only, matches a name (no `/`)."""

    __slots__ = ("text", "negated", "folders_only", "name_only", "literal", "_spellings")

    def __init__(self, text: str, negated: bool, folders_only: bool, name_only: bool):
        self.text, self.negated, self.folders_only, self.name_only = text, negated, folders_only, name_only
        self.literal = not any(c in text for c in _SPECIAL)
        self._spellings: list | None | bool = False  # False: not made yet

    def matches(self, path: str, is_dir: bool) -> bool:
        """For a pattern with a wildcard (Rules looks the others up by name)."""
        if self.folders_only and not is_dir:
            return False
        subject = path.rpartition("/")[2] if self.name_only else path
        text = self.text
        if text[0] == "*" and "/" not in subject and not any(c in text[1:] for c in _SPECIAL):
            return subject.endswith(text[1:])  # `*.log`
        if self._spellings is False:
            self._spellings = _spellings_of(text)
        if self._spellings is None:  # a pattern git's matcher gives up on: it matches nothing
            return False
        items = subject.split("/")
        return any(_match(parts, items, _part_matches) for parts in self._spellings)


def lines_of(data: bytes) -> list[str]:
    """An ignore file's lines, as git splits them. Bytes that are not UTF-8 stay as os.walk gives
    such names (surrogate escapes), so a pattern still matches the name it was written for."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    text = data.decode("utf-8", "surrogateescape")
    return [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]


def parse(lines: list[str]) -> Rules:
    rules = []
    for line in lines:
        if not line or line[0] == "#":
            continue
        line = _without_trailing_spaces(line)
        negated = line[:1] == "!"
        if negated:
            line = line[1:]
        folders_only = line.endswith("/")
        if folders_only:
            line = line[:-1]
        if not line:
            continue
        anchored = line[0] == "/"
        if anchored:
            line = line[1:]
        line = _slashes_unescaped(line)
        rules.append(Rule(line, negated, folders_only, not anchored and "/" not in line))
    return Rules(rules)


def _slashes_unescaped(line: str) -> str:
    """`\\/` is a `/` to git's matcher: a separator like any other."""
    if "\\/" not in line:
        return line
    out, i = [], 0
    while i < len(line):
        if line[i] == "\\" and i + 1 < len(line):
            out.append("/" if line[i + 1] == "/" else line[i:i + 2])
            i += 2
        else:
            out.append(line[i])
            i += 1
    return "".join(out)


def _without_trailing_spaces(line: str) -> str:
    end = len(line)
    while end and line[end - 1] == " ":
        backslashes = len(line[:end - 1]) - len(line[:end - 1].rstrip("\\"))
        if backslashes % 2:  # `\ `: an escaped space stays
            break
        end -= 1
    return line[:end]


class _Token:
    """A wildcard, told apart from the same character escaped (`\\*`) by identity."""

    __slots__ = ()


_STAR, _ANY = _Token(), _Token()  # in a part, besides one-character strings and sets (_Set)
_STARS, _ONE_PART = _Token(), _Token()  # among parts, besides each part's tokens


class _Set:
    """`[...]`: its single characters, its ranges (merged, sorted), its named classes."""

    __slots__ = ("inverted", "chars", "starts", "ends", "classes")

    def __init__(self, inverted: bool, chars: set, ranges: list, classes: list):
        self.inverted, self.chars, self.classes = inverted, frozenset(chars), tuple(classes)
        merged: list[list[str]] = []
        for low, high in sorted(ranges):
            if merged and ord(low) <= ord(merged[-1][1]) + 1:
                merged[-1][1] = max(merged[-1][1], high)
            else:
                merged.append([low, high])
        self.starts, self.ends = [m[0] for m in merged], [m[1] for m in merged]

    def holds(self, c: str) -> bool:
        i = bisect.bisect_right(self.starts, c) - 1
        found = c in self.chars or (i >= 0 and c <= self.ends[i]) or any(_CLASSES[n](c) for n in self.classes)
        return found != self.inverted


def _spellings_of(pattern: str) -> list | None:
    """The pattern's spellings (one, or more for `b**/y`), each its parts as lists of tokens, `**`
    for any number of parts; None when git's matcher gives up on it."""
    spellings = []
    while True:  # a loop, one spelling a turn: each join may leave another `x**/` first
        pieces = _split(pattern)
        if pieces is None:
            return None
        # The part holding the first wildcard, when that wildcard is a `**` ending the part and
        # following other characters: git runs it on across folders, and before a `/`, may take
        # nothing and the `/` with it (the next spelling: the two parts joined).
        first = _first_wildcard(pattern)
        at, offset, crossing = 0, 0, False
        for at, piece in enumerate(pieces):
            if offset + len(piece) >= first:
                start = first - offset
                crossing = start > 0 and piece[start:start + 2] == "**" and piece[start:].strip("*") == ""
                break
            offset += len(piece) + 1
        parts = []
        for i, piece in enumerate(pieces):
            if len(piece) >= 2 and piece.strip("*") == "":
                parts += [_ONE_PART, _STARS] if i == len(pieces) - 1 and len(pieces) > 1 else [_STARS]
                continue
            tokens = _tokens(piece)
            if tokens is None:
                return None
            parts.append(tokens)
            if crossing and i == at:
                parts.append(_STARS)
        spellings.append(parts)
        if not crossing or at == len(pieces) - 1 or len(spellings) == _MOST_SPELLINGS:
            return spellings
        # The `**/` parts right after take nothing too (`b**/**/y` matches `by`): joined past them.
        # Taking some of them would spell what the spelling above already matches.
        after = at + 1
        while after < len(pieces) - 1 and len(pieces[after]) >= 2 and pieces[after].strip("*") == "":
            after += 1
        pattern = "/".join(pieces[:at] + [pieces[at][:first - offset] + pieces[after]] + pieces[after + 1:])


# A line like `a**/b**/c**/…` has a spelling per join, each as long as the line: the first few are
# kept, so that a scanned repository's one long line cannot hold the search for minutes.
_MOST_SPELLINGS = 16


def _first_wildcard(pattern: str) -> int:
    return min((i for i in (pattern.find(c) for c in _SPECIAL) if i >= 0), default=len(pattern))


def _split(pattern: str) -> list[str] | None:
    """The pattern's parts between slashes; a `/` inside a set does not split."""
    pieces, current, i, n = [], [], 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "/":
            pieces.append("".join(current))
            current = []
            i += 1
        elif c == "\\" and i + 1 < n:
            current.append(pattern[i:i + 2])
            i += 2
        elif c == "[":
            found = _set(pattern, i)
            if found is None:
                return None
            current.append(pattern[i:found[1]])
            i = found[1]
        else:
            current.append(c)
            i += 1
    pieces.append("".join(current))
    return pieces


def _tokens(piece: str) -> tuple | None:
    tokens, i, n = [], 0, len(piece)
    while i < n:
        c = piece[i]
        if c == "\\":
            if i + 1 == n:  # a `\` at the end: git's matcher gives up
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
            found = _set(piece, i)
            if found is None:
                return None
            members, i = found
            tokens.append(members)
        else:
            tokens.append(c)
            i += 1
    return tuple(tokens)


def _set(piece: str, start: int) -> tuple[_Set, int] | None:
    """The set `[...]` at `start`, and where the part goes on after it; None for one git gives up on."""
    i, n = start + 1, len(piece)
    inverted = i < n and piece[i] in "!^"
    if inverted:
        i += 1
    chars, ranges, classes, first = set(), [], [], True
    while i < n:
        c = piece[i]
        if c == "]" and not first:
            return _Set(inverted, chars, ranges, classes), i + 1
        first = False
        end = _class_end(piece, i)
        if end is not None:
            if piece[i + 2:end - 2] not in _CLASSES:
                return None
            classes.append(piece[i + 2:end - 2])
            i = end
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
            if c <= high:
                ranges.append((c, high))
            else:  # reversed: git's set then holds its first character
                chars.add(c)
            continue
        chars.add(c)
    return None


def _class_end(text: str, i: int) -> int | None:
    """After the `[:name:]` at `i` in a set; None when no `:]` comes before the next `]` (git then
    reads the `[` as a character)."""
    if not text.startswith("[:", i):
        return None
    close = text.find("]", i + 2)
    return close + 1 if close > i + 2 and text[close - 1] == ":" else None


def _char_matches(token, c: str) -> bool:
    if token is _ANY:
        return True
    if token.__class__ is _Set:
        return token.holds(c) and c != "/"
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
