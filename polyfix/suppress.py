"""Inline suppressions in YAML comments, and the problems they leave unused (PF100).

    key: value  # polyfix: ignore[PF001]       this line (or, alone on a line, the next node's line)
    # polyfix: file-ignore[PF002]               the whole file
    # polyfix: disable[PF003] … # polyfix: enable[PF003]   the lines between
    key: value  # noqa: PF001                  this line (a bare `# noqa` suppresses every rule)

Codes, code prefixes and rule names are accepted, comma-separated. Comments are found through the
parse: a `#` counts only outside every scalar, so `'#pt-clj …'` strings and `#pt-clj` lines in block
scalars are never taken for comments. A suppressed problem is neither reported nor fixed.
"""
from __future__ import annotations

import re
from .record import new, record

from .document import scalar_spans
from .edits import Edit
from .problem import SAFE, Fix, Problem

# Compiled on first use (re caches it): most files hold no directive, and a case-blind pattern with
# \w costs a start-up milliseconds to compile.
_DIRECTIVE = r"#\s*(?:polyfix:\s*(ignore|file-ignore|disable|enable)\[([^\]]*)\]|(noqa)(?::\s*([\w\-, ]+))?)"
UNUSED_CODE, UNUSED_NAME = "PF100", "unused-suppression"


@record
class Directive:
    kind: str  # ignore | file-ignore | disable | enable | noqa
    codes: set[str] | None  # None: every rule
    line: int  # 1-based line of the comment
    start: int  # offset of the `#`
    end: int  # end of the comment text
    alone: bool  # the comment is the only thing on its line
    applies_to: int = 0  # the line it suppresses (ignore/noqa)
    used: set[str] = new(set)
    raw_codes: list[str] = new(list)


def comments(text: str, root) -> list[tuple[int, int]]:
    """(start, end) of every comment: a `#` at a line start or after white space, outside every
    scalar node's span."""
    spans = scalar_spans((root,))
    out = []
    for m in re.finditer(r"(?:(?<=\s)|^)#[^\n]*", text, re.M):
        i = m.start()
        if _inside(spans, i):
            continue
        out.append((i, m.end() - (1 if m.group().endswith("\r") else 0)))
    return out


def _inside(spans, i) -> bool:
    lo, hi = 0, len(spans)
    while lo < hi:  # the last span starting at or before i
        mid = (lo + hi) // 2
        if spans[mid][0] <= i:
            lo = mid + 1
        else:
            hi = mid
    return lo > 0 and spans[lo - 1][0] <= i < spans[lo - 1][1]


def _registry():
    from .rules import BY_CODE, BY_NAME  # here, not at import: the rules import this module

    return BY_CODE, BY_NAME


def _selector_codes(raw: str) -> tuple[set[str], list[str]]:
    BY_CODE, BY_NAME = _registry()
    codes, items = set(), [s.strip() for s in raw.split(",") if s.strip()]
    for item in items:
        if item in BY_NAME:
            codes.add(BY_NAME[item].CODE)
        else:
            codes.update(c for c in BY_CODE if c.startswith(item.upper()))
            if item.upper() == UNUSED_CODE:
                codes.add(UNUSED_CODE)
    return codes, items


def directives(doc) -> list[Directive]:
    text = doc.text
    lowered = text.lower()
    if "polyfix" not in lowered and "noqa" not in lowered:
        return []  # the common case costs a substring search
    out = []
    lines = text.split("\n")
    for start, end in comments(text, doc.root):
        m = re.compile(_DIRECTIVE, re.I).match(text, start, end)
        if not m:
            continue
        line = text.count("\n", 0, start) + 1
        alone = not text[text.rfind("\n", 0, start) + 1:start].strip()
        if m.group(3):
            kind, raw = "noqa", m.group(4)
        else:
            kind, raw = m.group(1).lower(), m.group(2)
        codes, items = _selector_codes(raw) if raw and raw.strip() else (None, [])
        d = Directive(kind, codes, line, start, end, alone, raw_codes=items)
        d.applies_to = _next_content_line(lines, line) if alone and kind in ("ignore", "noqa") else line
        out.append(d)
    return out


def _next_content_line(lines: list[str], line: int) -> int:
    for n in range(line, len(lines)):
        stripped = lines[n].strip()
        if stripped and not stripped.startswith("#"):
            return n + 1
    return line


def apply(problems: list[Problem], doc, path: str, selected=lambda code: True) -> list[Problem]:
    """The problems of one file that no directive suppresses, plus a PF100 problem for each directive
    naming selected rules that reported nothing there (rules that did not run are not judged)."""
    found = directives(doc)
    if not found:
        return problems
    kept = []
    for p in problems:
        by = _suppressor(found, p.line, p.code)
        if by is None:
            kept.append(p)
        else:
            by.used.add(p.code)
    in_use = [d for d in found if d.used]
    for p in kept:  # another rule's edit must not take a working suppression with it
        if p.fix and p.fix.target in (None, path) and any(
                e.start < d.end and d.start < e.end for e in p.fix.edits for d in in_use):
            p.fix, p.hint = None, "not fixed: the fix would remove a suppression comment that is in use"
    return kept + _unused(found, doc, path, selected)


def suppresses(found: list[Directive], line: int, code: str) -> bool:
    """Whether one of a file's directives suppresses `code` on `line`."""
    return _suppressor(found, line, code) is not None


def _suppressor(found: list[Directive], line: int, code: str) -> Directive | None:
    def matches(d):
        return d.codes is None or code in d.codes

    for d in found:
        if d.kind in ("ignore", "noqa") and d.applies_to == line and matches(d):
            return d
        if d.kind == "file-ignore" and matches(d):
            return d
    open_: dict[str, Directive] = {}
    for d in sorted((d for d in found if d.kind in ("disable", "enable")), key=lambda d: d.line):
        if d.line > line:
            break
        for code in (d.codes or set(_registry()[0])):
            if d.kind == "disable":
                open_[code] = d
            else:
                open_.pop(code, None)
    return open_.get(code)


def _unused(found: list[Directive], doc, path: str, selected) -> list[Problem]:
    out = []
    for d in found:
        if d.kind == "enable" or (d.codes is not None and UNUSED_CODE in d.codes):
            continue
        unknown = [item for item in d.raw_codes if not _selector_codes(item)[0]]
        if d.codes is not None:
            unused = sorted(c for c in d.codes - d.used if selected(c))
        else:
            unused = [] if d.used else ["all rules"]
        if not unused and not unknown:
            continue
        line_start = doc.text.rfind("\n", 0, d.start) + 1
        col = d.start - line_start + 1
        parts = [f"nothing here is reported for {', '.join(unused)}"] if unused else []
        parts += [f"no rule is called {', '.join(f'`{u}`' for u in unknown)}"] if unknown else []
        msg = "unused suppression: " + "; ".join(parts)
        out.append(Problem(UNUSED_CODE, UNUSED_NAME, msg, path, d.line, col, d.line, col + (d.end - d.start),
                           _removal(doc.text, d, unused)))
    return out


def _removal(text: str, d: Directive, unused: list[str]) -> Fix:
    """Remove the comment (its line when it is alone there), or only the unused codes from it
    (unknown names, which select no rule, go too)."""
    kept = [c for c in d.raw_codes if not (_selector_codes(c)[0] <= set(unused))] if d.codes is not None else []
    if kept and d.kind != "noqa":
        old = text[d.start:d.end]
        new = re.sub(r"\[[^\]]*\]", "[" + ", ".join(kept) + "]", old, count=1)
        return Fix("Remove the unused codes", SAFE, edits=[Edit(d.start, d.end, new)])
    if kept:
        return Fix("Remove the unused codes", SAFE, edits=[Edit(d.start, d.end, "# noqa: " + ", ".join(kept))])
    if d.alone:
        ls = text.rfind("\n", 0, d.start) + 1
        nl = text.find("\n", d.end)
        return Fix("Remove the unused suppression", SAFE, edits=[Edit(ls, len(text) if nl < 0 else nl + 1)])
    start = d.start
    while start > 0 and text[start - 1] in " \t":
        start -= 1
    return Fix("Remove the unused suppression", SAFE, edits=[Edit(start, d.end)])
