"""Renderers: pure functions from results to text."""
from __future__ import annotations

# difflib and json: imported where used, since most runs never need it (start-up time counts in a hook)

import os
import re

from .problem import SAFE, UNSAFE, Problem


def relative_path(path: str) -> str:
    """A path relative to the working folder when it is below it, else as given."""
    cwd = os.getcwd()
    key = (path, cwd)
    if key not in _relative:  # a file's problems are many: each path is worked out once
        if len(_relative) > 10_000:  # the editor server runs for days
            _relative.clear()
        rel = os.path.relpath(path, cwd)
        _relative[key] = path if rel.startswith("..") else rel
    return _relative[key]


_relative: dict[tuple[str, str], str] = {}


def display_path(path: str) -> str:
    """relative_path for text output, control characters escaped."""
    return escape_text(relative_path(path))


def escape_text(text: str) -> str:
    """Control characters as escapes: a file named `a\nb: error: x` must not print a line of its own."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)


def problem_line(p: Problem, name: str | None = None) -> str:
    """`PATH:LINE:COL: CODE message [*]`; `name` replaces the path (stdin: the path as given)."""
    mark = ""
    if p.fix:
        mark = " [*]" if p.fix.applicability == SAFE else " [unsafe fix]"
    return f"{escape_text(name) if name else display_path(p.file)}:{p.line}:{p.col}: {p.code} {escape_text(p.message)}{mark}"


def fixed_line(path: str, fixed) -> str:
    parts = [code if n == 1 else f"{code} x{n}" for code, n in sorted(fixed.items())]
    return f"fixed {display_path(path)} ({', '.join(parts)})"


def _git_mode(mode: int) -> str:
    return "100755" if mode & 0o111 else "100644"


def diff(path: str, before: str | None, after: str | None, old_mode: int | None, new_mode: int | None,
         name: str | None = None, shown: tuple[str, str] | None = None) -> str:
    """A git-style unified diff of one file: mode lines, then the text hunks; `name` replaces the path.
    With `shown` (the two texts masked line by line), the hunks are found on the texts themselves
    and show the masked lines: a line whose change masking hides still shows as changed."""
    import difflib

    name = name or display_path(path)
    out = []
    modes_differ = old_mode is not None and new_mode is not None and _git_mode(old_mode) != _git_mode(new_mode)
    if modes_differ:
        out += [f"diff --git a/{name} b/{name}\n", f"old mode {_git_mode(old_mode)}\n",
                f"new mode {_git_mode(new_mode)}\n"]
    if before is not None and after is not None and before != after:
        if not modes_differ:
            out.append(f"diff --git a/{name} b/{name}\n")
        a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
        lines = (difflib.unified_diff(a, b, f"a/{name}", f"b/{name}") if shown is None else
                 _unified_shown(a, b, shown[0].splitlines(keepends=True), shown[1].splitlines(keepends=True), name))
        for line in lines:
            out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def _unified_shown(a: list[str], b: list[str], a_shown: list[str], b_shown: list[str], name: str):
    """difflib.unified_diff's lines for the texts `a` and `b`, each line written as the `_shown` lists
    hold it (masked: the same number of lines)."""
    import difflib

    def span(start: int, stop: int) -> str:
        length = stop - start
        return f"{start + 1}" if length == 1 else f"{start + (length > 0)},{length}"

    for k, group in enumerate(difflib.SequenceMatcher(None, a, b).get_grouped_opcodes(3)):
        if k == 0:
            yield f"--- a/{name}\n"
            yield f"+++ b/{name}\n"
        yield f"@@ -{span(group[0][1], group[-1][2])} +{span(group[0][3], group[-1][4])} @@\n"
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                yield from (" " + line for line in a_shown[i1:i2])
                continue
            yield from ("-" + line for line in a_shown[i1:i2])
            yield from ("+" + line for line in b_shown[j1:j2])


MASK = "****"


def mask(text: str, secrets) -> str:
    """The text with each secret literal replaced by MASK where it stands as a value: not inside a
    longer name, not as a key (`password: …`), not as a name quoted in a message (`password`)."""
    values = sorted({v.strip() for v in secrets if v and v.strip()}, key=len, reverse=True)
    if not values or not text:
        return text
    # What the pattern `(?<![\w.\-`/])(?:v1|v2|…)(?![\w.\-`/]|:(?:\s|$))` replaces, longest value
    # first, written out: the pattern changes with the secrets, and compiling it cost 0.15 ms a run.
    starts: dict[int, list[str]] = {}  # where each value stands in the text, the longest first
    for v in values:
        at = text.find(v)
        while at != -1:
            starts.setdefault(at, []).append(v)
            at = text.find(v, at + 1)
    pieces, done = [], 0
    for at in sorted(starts):
        if at < done:
            continue
        inside = at > 0 and _in_name(text[at - 1]) and not _after_short_option(text, at)
        for v in starts[at]:
            end = at + len(v)
            if random_looking(v) or not inside and not _continues(text, end):
                pieces += [text[done:at], MASK]
                done = end
                break
    return "".join(pieces) + text[done:]


def random_looking(v: str) -> bool:
    """A value no word or name holds by chance (six characters or more, with letters and digits; or
    twelve or more): masked wherever it stands, inside a longer word too (`bot123456:AAHsecret/…`).
    A word-like one (`postgres`) only where it stands alone, so names holding it stay readable."""
    return len(v) >= 12 or len(v) >= 6 and any(c.isdigit() for c in v) and any(c.isalpha() for c in v)


def mask_problems(problems, secrets_for) -> None:
    """Mask the secret literals in what the problems say (message, hint, the fix's message and its
    edits' texts), before any format writes them: masking a format's output would mask its own
    words and numbers too (a secret `7` made a row number `****`, which is no JSON). `secrets_for`
    gives the literals to mask in a file's problems."""
    forms: dict[str, set[str]] = {}  # file → the literals as the file may write them
    literals: dict[str, list[str]] = {}
    for p in problems:
        if p.file not in forms:
            literals[p.file] = [literal.strip() for literal in secrets_for(p.file) if literal.strip()]
            forms[p.file] = {form for literal in literals[p.file] for form in _written_forms(literal)}
        secrets = forms[p.file]
        if not secrets:
            continue
        p.message, p.hint = mask(p.message, secrets), mask(p.hint, secrets)
        if p.fix is not None:
            p.fix.message = mask(p.fix.message, secrets)
            p.fix.located = [(*where, _masked_content(text, secrets, literals[p.file]))
                             for *where, text in getattr(p.fix, "located", [])]


def _masked_content(text: str, forms: set[str], literals) -> str:
    """A fix's new text masked: its secrets as written, and the whole text when it still holds one
    in an escape that no written form finds (`ab\\x63123`, a later secret the fix kept as it was)."""
    shown = mask(text, forms)
    if "\\" in shown:
        decoded = _unescaped(shown)
        if any(decoded.count(literal) > shown.count(literal) for literal in literals):
            return MASK
    return shown


def _unescaped(text: str) -> str:
    """The text with the escapes of a double-quoted YAML scalar read (`\\x63`, `\\u0049`, `\\/`), as
    far as Python's own escapes, which they mostly are, read them."""
    import codecs

    try:
        return codecs.decode(text.replace("\\/", "/").encode("latin-1", "backslashreplace"), "unicode_escape")
    except (UnicodeDecodeError, ValueError):
        return text


def _continues(text: str, end: int) -> bool:
    """Whether a name or a key goes on at `end`: a name's character, or `:` ending the line
    (`password:`). A `.`, `-` or `/` that ends a word (`the password is swordfish.`) is punctuation."""
    if end == len(text):
        return False
    c = text[end]
    after = text[end + 1:end + 2]
    if c in ".-/":
        return not (after == "" or after.isspace() or after in "\"'`)]},;")
    return _in_name(c) or c == ":" and (after == "" or after.isspace())


def _after_short_option(text: str, at: int) -> bool:
    """Whether `at` follows an option `-p` starting a word: MySQL's clients take the password glued
    to it (`-proot`), where a word-like secret does not stand alone and would not be masked."""
    return text[at - 2:at] == "-p" and (at == 2 or not _in_name(text[at - 3]))


def _in_name(c: str) -> bool:
    """A character that continues a name or a path (`\\w`, `.`, `-`, a backquote, `/`)."""
    return c.isalnum() or c in "_.-`/"


def masked_text(text: str | None, literals, lines_masked: dict[str, str] | None = None) -> str | None:
    """The text with each secret literal masked on every line that holds it, as the file may write it
    (a multi-line literal line by line), and each line of `lines_masked` (see `scalar_lines_masked`)
    replaced: a line reads the same masked in the text before a fix and after it, so a diff shows
    no change that is only masking."""
    if not text or not (literals or lines_masked):
        return text
    # Only the forms the text holds at all are looked for line by line (a run's secrets are many, a
    # file holds few of them).
    forms = [form for literal in literals for form in _written_forms(literal) if form in text]
    lines_masked = {line: masked for line, masked in (lines_masked or {}).items() if line in text}
    if not forms and not lines_masked:
        return text
    out = []
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        if body in lines_masked:
            line = lines_masked[body] + line[len(body):]
        out.append(mask(line, forms) if any(form in line for form in forms) else line)
    return "".join(out)


def scalar_lines_masked(doc, start: int, end: int, literal: str) -> dict[str, str]:
    """For a secret's scalar at doc.text[start:end] that its written forms do not find (written over
    several lines, or with an escape such as `\\x41`): each line it stands on → that line with the
    scalar masked (from its first character on a line, indentation kept). Empty otherwise."""
    text = doc.text
    region = text[start:end]
    # The value as one piece: an escaped line break (`"x\\nswordfish"`) splits it into pieces.
    if "\n" not in region and "\r" not in region and any(form in region for form in _escaped(literal.strip())):
        return {}
    first = max(text.rfind("\n", 0, start), text.rfind("\r", 0, start)) + 1
    out = {}
    at = first
    for line in text[first:].splitlines(keepends=True):
        body = line.rstrip("\r\n")
        if at >= end:
            break
        lo = max(start, at + len(body) - len(body.lstrip())) - at
        hi = min(end, at + len(body)) - at
        if hi > lo:
            out[doc.unmask(body)] = doc.unmask(body[:lo]) + MASK + doc.unmask(body[hi:])
        at += len(line)
    return out


def _written_forms(literal: str) -> list[str]:
    """The pieces of a literal (a line each) as a file may write them: as they are, and escaped as a
    quoted scalar holds them (`\\` and `\"` in double quotes, `''` in single ones)."""
    return [form for piece in literal.splitlines() if piece.strip() for form in _escaped(piece.strip())]


def _escaped(s: str) -> tuple[str, str, str]:
    """A string as it is, as a double-quoted scalar writes it, and as a single-quoted one does."""
    return s, s.replace("\\", "\\\\").replace('"', '\\"'), s.replace("'", "''")


def summary(problems: int, fixable: int, unsafe: int, fixed: int, mode: str, errors: int = 0,
            not_written: int = 0) -> str:
    """The closing line, worded alike in every mode: `Found …` (report), `Would fix …` (--dry-run),
    `Fixed …` (--write), then the errors listed below it, if any."""
    if mode == "report":
        text = "All checks passed!" if not errors else "No problems found"
        if problems:
            hints = [f"{fixable} fixable with --write"] * bool(fixable)
            hints += [f"{unsafe} more with --write --unsafe-fixes"] * bool(unsafe)
            text = f"Found {_count(problems, 'problem')}" + (f" ({'; '.join(hints)})" if hints else "")
    else:
        verb = "Would fix" if mode == "dry-run" else "Fixed"
        # Fixes found but not written (a read-only file) are no "nothing to fix".
        head = f"{verb} {_count(fixed, 'problem')}" if fixed else "Nothing fixed" if not_written else "Nothing to fix"
        text = f"{head}; {problems} remaining" if problems else f"{head}; no problems remain"
        if not_written:
            text += f"; {_count(not_written, 'file')} not written"
    if not errors:
        return text if text.endswith("!") else text + "."
    if text == "No problems found":
        return f"No problems found, but {'there was 1 error' if errors == 1 else f'there were {errors} errors'} (below)."
    return f"{text}. There {'was 1 error' if errors == 1 else f'were {errors} errors'} too (below)."


def nothing_checked(errors: int) -> str:
    """The closing line of a run that checked no file: the errors below say why (no result to claim)."""
    return f"Nothing checked: {'there was 1 error' if errors == 1 else f'there were {errors} errors'} (below)."


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' * (n != 1)}"


# ---- machine-readable formats ----

def _location(p: Problem) -> dict:
    return {"row": p.line, "column": p.col}


def json_record(p: Problem) -> dict:
    """ruff's JSON record shape: code, name, message, filename, location, end_location, fix."""
    fix = None
    if p.fix:
        fix = {"applicability": p.fix.applicability, "message": p.fix.message,
               "edits": [{"content": content, "location": {"row": r, "column": c},
                          "end_location": {"row": er, "column": ec}}
                         for r, c, er, ec, content in getattr(p.fix, "located", [])]}
        if p.fix.mode is not None:
            fix["mode"] = f"{p.fix.mode:04o}"
            fix["filename"] = os.path.abspath(p.fix_target)
    return {"code": p.code, "name": p.name, "message": p.message, "filename": os.path.abspath(p.file),
            "location": _location(p), "end_location": {"row": p.end_line, "column": p.end_col},
            "noqa_row": p.line, "fix": fix, "hint": p.hint or None}


def as_json(problems: list[Problem]) -> str:
    import json

    return json.dumps([json_record(p) for p in problems], indent=2, ensure_ascii=False) + "\n"


def as_json_lines(problems: list[Problem]) -> str:
    import json

    return "".join(json.dumps(json_record(p), ensure_ascii=False) + "\n" for p in problems)


def _gh_escape(s: str, prop: bool = False) -> str:
    s = s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return s.replace(":", "%3A").replace(",", "%2C") if prop else s


def as_github(problems: list[Problem]) -> str:
    """GitHub Actions workflow commands: one `::error` annotation per problem."""
    out = []
    for p in problems:
        props = (f"title={_gh_escape(f'polyfix ({p.code})', True)},file={_gh_escape(relative_path(p.file), True)},"
                 f"line={p.line},col={p.col},endLine={p.end_line},endColumn={p.end_col}")
        out.append(f"::error {props}::{_gh_escape(f'{p.code} {p.message}')}\n")
    return "".join(out)


def as_sarif(problems: list[Problem], rules, version: str) -> str:
    """SARIF 2.1.0, with the rules of the registry."""
    import json

    index = {r.CODE: i for i, r in enumerate(rules)}
    driver = {"name": "polyfix", "version": version, "informationUri": "https://pypi.org/project/polyfix/",
              "rules": [{"id": r.CODE, "name": r.NAME,
                         "shortDescription": {"text": rule_summary(r)},
                         "fullDescription": {"text": rule_docs(r)},
                         "help": {"text": rule_docs(r)},
                         "defaultConfiguration": {"level": "error"}} for r in rules]}
    results = []
    for p in problems:
        result = {"ruleId": p.code, "level": "error", "message": {"text": p.message},
                  "locations": [{"physicalLocation": {
                      "artifactLocation": {"uri": relative_path(p.file).replace(os.sep, "/")},
                      "region": {"startLine": p.line, "startColumn": p.col,
                                 "endLine": max(p.end_line, p.line),
                                 "endColumn": max(p.end_col, 1)}}}]}
        if p.code in index:
            result["ruleIndex"] = index[p.code]
        results.append(result)
    log = {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
           "runs": [{"tool": {"driver": driver}, "results": results}]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def as_junit(problems: list[Problem]) -> str:
    """JUnit XML: a test suite per file, a failed test case per problem."""
    from xml.sax.saxutils import quoteattr, escape

    by_file: dict[str, list[Problem]] = {}
    for p in problems:
        by_file.setdefault(relative_path(p.file), []).append(p)
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n',
           f'<testsuites name="polyfix" tests="{len(problems)}" failures="{len(problems)}">\n']
    for name, found in sorted(by_file.items()):
        out.append(f'  <testsuite name={quoteattr(name)} tests="{len(found)}" failures="{len(found)}">\n')
        for p in found:
            out.append(f'    <testcase name={quoteattr(f"{p.code} {p.name}")} classname={quoteattr(name)} '
                       f'line="{p.line}">\n'
                       f'      <failure message={quoteattr(p.message)}>{escape(f"{name}:{p.line}:{p.col}: {p.message}")}'
                       f'</failure>\n    </testcase>\n')
        out.append("  </testsuite>\n")
    out.append("</testsuites>\n")
    return "".join(out)


def _counts(problems: list[Problem]) -> list[tuple[str, int, str, str | None]]:
    """(code, count, name, the best fix available: "safe", "unsafe" or None) per code, most first."""
    counts: dict[str, list] = {}
    for p in problems:
        row = counts.setdefault(p.code, [0, p.name, None])
        row[0] += 1
        if p.fix and p.fix.applicability == SAFE:
            row[2] = SAFE
        elif p.fix and not row[2]:
            row[2] = UNSAFE
    return [(code, n, name, fix) for code, (n, name, fix) in sorted(counts.items(), key=lambda kv: (-kv[1][0], kv[0]))]


def statistics(problems: list[Problem]) -> str:
    """Count per code, most first, marked as the problems' lines are: `[*]` where a safe fix is
    available, else `[unsafe fix]` where an unsafe one is."""
    rows = _counts(problems)
    width = max((len(str(n)) for _code, n, _name, _fix in rows), default=1)
    marks = {SAFE: "[*]", UNSAFE: "[unsafe fix]", None: ""}
    return "".join(f"{n:>{width}}\t{code}\t{name}\t{marks[fix]}".rstrip() + "\n" for code, n, name, fix in rows)


def statistics_json(problems: list[Problem]) -> str:
    """The statistics as a JSON list: code, name, count and `fix` (the best fix available for the
    code's problems: "safe", "unsafe" or null), most first."""
    import json

    return json.dumps([{"code": code, "name": name, "count": n, "fix": fix} for code, n, name, fix in _counts(problems)],
                      indent=2) + "\n"


def show_fixes(results) -> str:
    """What --write applied, per file (ruff's --show-fixes layout)."""
    changed = [r for r in results if r.fixed]
    total = sum(sum(r.fixed.values()) for r in changed)
    if not total:
        return ""
    out = [f"Fixed {total} problem{'s' * (total != 1)}:\n"]
    for r in changed:
        out.append(f"- {display_path(r.path)}:\n")
        out.extend(f"    {n} × {code}\n" for code, n in sorted(r.fixed.items()))
    return "".join(out)


def rule_docs(rule) -> str:
    import textwrap

    return textwrap.dedent(rule.__doc__.split("\n", 1)[1]).strip() if "\n" in rule.__doc__ else rule.__doc__


def rule_summary(rule) -> str:
    return rule.__doc__.strip().splitlines()[0].split(": ", 1)[1]


def explain(rule) -> str:
    summary = rule_summary(rule)
    return f"# {rule.NAME} ({rule.CODE})\n\n{summary[:1].upper() + summary[1:]}\n\n{rule_docs(rule)}\n"


def list_rules(rules) -> str:
    width = max(len(r.NAME) for r in rules)
    return "".join(f"{r.CODE}  {r.NAME:<{width}}  {rule_summary(r)}\n" for r in rules)


# ---- colour ----

_SGR = {"bold": "1", "red": "31", "green": "32", "cyan": "36"}


def style(text: str, fg: str | None = None, bold: bool = False) -> str:
    """Text in a colour and/or bold, as ANSI escapes (the codes click.style writes; the command line
    prints without importing click)."""
    codes = ([_SGR[fg]] if fg else []) + (["1"] if bold else [])
    return "".join(f"\x1b[{c}m" for c in codes) + text + "\x1b[0m"


def colour_problem(line: str) -> str:
    m = re.match(r"^(.*?:\d+:\d+:) (PF\d+) (.*?)( \[\*\]| \[unsafe fix\])?$", line)
    if not m:
        return line
    mark = style(m.group(4), fg="cyan") if m.group(4) else ""
    return f"{style(m.group(1), bold=True)} {style(m.group(2), fg='red', bold=True)} {m.group(3)}{mark}"


def colour_diff(text: str) -> str:
    out = []
    for line in text.splitlines(keepends=True):
        body, end = (line[:-1], "\n") if line.endswith("\n") else (line, "")
        if line.startswith(("diff --git", "--- ", "+++ ", "old mode", "new mode")):
            out.append(style(body, bold=True) + end)
        elif line.startswith("@@"):
            out.append(style(body, fg="cyan") + end)
        elif line.startswith("-"):
            out.append(style(body, fg="red") + end)
        elif line.startswith("+"):
            out.append(style(body, fg="green") + end)
        else:
            out.append(line)
    return "".join(out)
