"""check → fix → verify, until nothing more applies. Pure: texts in, results out.

The file system is reached only through `probe` (what PF004 needs to know of scripts) and `read`
(the text of a project file, for the Python PF011 reads), which the CLI supplies; mode changes and
new Python texts are recorded in the results, never applied here.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from . import verify
from .document import BOM, MASK_TOKEN, Document, ParseError, parse
from .edits import apply_edits, overlaps
from .problem import SAFE, Problem
from .project import Project, ScriptInfo, include_targets
from .rules import RULES

MAX_PASSES = 10


@dataclass
class FileResult:
    path: str
    before: str | None = None  # decoded text, BOM included; None for scripts
    after: str | None = None
    old_mode: int | None = None
    new_mode: int | None = None
    problems: list[Problem] = field(default_factory=list)  # what remains
    fixed: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the user must still do after the fixes

    @property
    def changed(self) -> bool:
        return self.before != self.after or self.old_mode != self.new_mode


@dataclass
class Options:
    fix: bool = False
    unsafe_fixes: bool = False
    select: frozenset | None = None  # rule codes; None means all
    fixable: frozenset | None = None  # rule codes whose fixes may apply; None means all
    safety: dict = field(default_factory=dict)  # rule code → SAFE/UNSAFE, overriding the rule's own
    ignored: Callable[[str], set] | None = None  # file → codes ignored there (per-file-ignores)
    values: dict = field(default_factory=dict)  # value name → value (a values file)
    stateful: dict = field(default_factory=dict)  # module → volume argument ([tool.polyfix.stateful])


def parse_all(texts: dict[str, str], parser=parse) -> tuple[dict[str, Document], dict[str, str]]:
    docs, errors = {}, {}
    for path, text in texts.items():
        try:
            docs[path] = parser(text)
        except ParseError as e:
            errors[path] = str(e)
    return docs, errors


def include_groups(docs: dict[str, Document]) -> dict[str, str]:
    """Each file's group: the files joined by `include:` links (either way) share one."""
    parent = {f: f for f in docs}

    def find(f):
        while parent[f] != f:
            parent[f] = parent[parent[f]]
            f = parent[f]
        return f

    for f, doc in docs.items():
        for t in include_targets(doc, f):
            for cand in (t, t + "/polytope.yml", t + "/polytope.yaml"):
                if cand in parent:
                    parent[find(cand)] = find(f)
    return {f: find(f) for f in docs}


def run(texts: dict[str, str], targets: list[str], root: str, probe: Callable[[str], ScriptInfo] | None,
        options: Options, parser=parse, read: Callable[[str], str | None] | None = None) -> dict[str, FileResult]:
    """Check (and with options.fix, fix) the target files; `texts` also holds context files.
    `parser` may be a memoised `document.parse` (the CLI parses includes before this).
    `read` gives a project file's text, or None (missing, unreadable, outside the project)."""
    docs, parse_errors = parse_all(texts, parser)
    results: dict[str, FileResult] = {}
    for path in targets:
        results[path] = FileResult(path, texts.get(path), texts.get(path))
        if path in parse_errors:
            results[path].errors.append(parse_errors[path])
    modes: dict[str, int] = {}
    code: dict[str, str] = {}  # Python file → its text after this run's fixes

    def read_now(path: str) -> str | None:
        return code[path] if path in code else read(path)

    def probe_now(path: str) -> ScriptInfo:
        info = probe(path)
        if path in modes:
            info.mode = modes[path]
        return info

    live = [p for p in targets if p in docs]
    crashes: list[str] = []
    groups = include_groups(docs)
    def check_now() -> list[Problem]:
        project = Project(docs, groups, root, probe_now if probe else None, options.values, options.stateful,
                          read_now if read else None)
        return _check(project, live, options, crashes)

    for _ in range(MAX_PASSES if options.fix else 1):
        problems = check_now()
        if not options.fix or not _apply_fixes(problems, docs, results, modes, probe_now, options, code, read):
            break
    else:  # the last pass still fixed something: what remains is unknown, and a bug
        for path in live:
            results[path].errors.append(f"internal error: fixes did not converge in {MAX_PASSES} passes")
        problems = check_now()
    # Otherwise the last pass applied nothing: its problems are what remains.
    for crash in dict.fromkeys(crashes):
        for path in live:
            _once(results[path].errors, crash)
    for p in problems:
        results.setdefault(p.file, _script_result(p.file, probe, modes)).problems.append(p)
        doc = docs.get(p.fix_target) if p.fix else None
        if doc is not None:  # edits as rows and columns, for machine-readable output
            p.fix.located = [(*doc.line_col(e.start), *doc.line_col(e.end), doc.unmask(e.text)) for e in p.fix.edits]
        elif p.fix and p.fix.python is not None and read:
            text = read_now(p.fix_target) or ""
            p.fix.located = [(*_line_col(text, e.start), *_line_col(text, e.end), e.text) for e in p.fix.edits]
    for path, mode in modes.items():
        results[path].new_mode = mode
    return results


def _line_col(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of an offset in a text."""
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


def _script_result(path, probe, modes) -> FileResult:
    """The result of a file known only through the probe (a script)."""
    old = probe(path).mode if probe else None
    return FileResult(path, old_mode=old, new_mode=modes.get(path, old))


def _check(project: Project, files: list[str], options: Options, crashes: list[str]) -> list[Problem]:
    def selected(code):
        return options.select is None or code in options.select

    problems = []
    for rule in RULES:
        if selected(rule.CODE) and not getattr(rule, "AFTER_OTHERS", False):
            try:
                problems.extend(rule.check(project, files))
            except Exception as e:  # noqa: BLE001 - a bug in one rule must not stop the others
                crashes.append(f"internal error: {rule.CODE} failed ({type(e).__name__}: {e}); please report it")
    for rule in RULES:  # suppressions apply to everything found so far
        if getattr(rule, "AFTER_OTHERS", False):
            problems = rule.check_after(project, files, problems, selected)
    if options.ignored:
        problems = [p for p in problems if p.code not in options.ignored(p.file)]
    for p in problems:
        if p.fix and p.code in options.safety:
            p.fix.applicability = options.safety[p.code]
    if options.fixable is not None:
        for p in problems:
            if p.code not in options.fixable:
                p.fix, p.hint = None, p.hint or "its fixes are turned off (fixable/unfixable)"
    masked = {t: v for d in project.docs.values() for t, v in d.placeholders.items()}
    if masked:  # messages quote names: show placeholders as the user wrote them
        for p in problems:
            p.message = re.sub(MASK_TOKEN, lambda m: masked.get(m.group(), m.group()), p.message)
    problems.sort(key=lambda p: (p.file, p.line, p.col, p.code))
    return problems


def _apply_fixes(problems, docs, results, modes, probe_now, options, code, read) -> bool:
    """Apply one pass of fixes; True when anything changed."""
    allowed = [p for p in problems if p.fix and (p.fix.applicability == SAFE or options.unsafe_fixes)]
    changed = False
    chmodded = set()
    for p in allowed:
        if p.fix.mode is None:
            continue
        if modes.get(p.fix_target) != p.fix.mode:
            results.setdefault(p.fix_target, _script_result(p.fix_target, probe_now, {}))
            modes[p.fix_target] = p.fix.mode
            chmodded.add(p.fix_target)
            changed = True
        if p.fix_target in chmodded:  # one chmod can fix several problems
            results[p.fix_target].fixed[p.code] += 1
    by_file: dict[str, list[Problem]] = {}
    for p in allowed:
        if p.fix.edits and p.fix_target in docs:
            by_file.setdefault(p.fix_target, []).append(p)
    for path, fixes in by_file.items():
        changed |= _fix_file(path, fixes, docs, results[path])
    by_code: dict[str, list[Problem]] = {}
    for p in allowed:
        if p.fix.python is not None and p.fix.edits and read is not None:
            by_code.setdefault(p.fix_target, []).append(p)
    for path, fixes in by_code.items():
        result = results.setdefault(path, FileResult(path))
        if result.before is None:  # first fixed here (or known so far only as a script PF004 chmods)
            result.before = result.after = read(path)
        changed |= _fix_code(path, fixes, code, code.get(path, result.before), result)
    return changed


def _fix_code(path: str, fixes: list[Problem], code: dict[str, str], text: str | None, result: FileResult) -> bool:
    """Apply the fixes to a Python file, when they prove to change only what they promise (see
    verify.check_python). Problems sharing one fix object share its edits; fixes that overlap
    wait for the next pass."""
    if text is None:
        return False
    chosen: list = []
    for p in fixes:
        if all(p.fix is not c for c in chosen) and not any(overlaps(c.edits, p.fix.edits) for c in chosen):
            chosen.append(p.fix)
    after = apply_edits(text, [e for f in chosen for e in f.edits])
    failure = verify.check_python(text, after, {w for f in chosen for w in f.python.wrappers},
                                  sum(f.python.wraps for f in chosen), [s for f in chosen for s in f.python.inserts])
    if failure is not None:
        _once(result.errors, f"internal error: {fixes[0].code} fix of {len(chosen)} change(s) dropped: {failure}")
        return False
    if after == text:
        return False
    code[path] = result.after = after
    for p in fixes:
        if any(p.fix is c for c in chosen):
            result.fixed[p.code] += 1
            result.notes.extend(n for n in p.fix.notes if n not in result.notes)
    return True


def _fix_file(path: str, fixes: list[Problem], docs, result: FileResult) -> bool:
    """Apply the non-overlapping fixes of one file; a fix that fails verification is dropped and
    reported as an internal error, the others still apply."""
    doc = docs[path]
    chosen: list[Problem] = []
    for p in fixes:
        same_edit = any(c.fix.edits == p.fix.edits for c in chosen)  # one edit fixing two problems
        if same_edit or not any(overlaps(c.fix.edits, p.fix.edits) for c in chosen):
            chosen.append(p)
    text, (failure, root, data) = _try(doc, chosen)
    if failure is not None:
        good = []
        for p in chosen:
            alone = _try(doc, [p])[1][0]
            if alone is None:
                good.append(p)
            else:
                _once(result.errors, f"internal error: {p.code} fix at line {p.line} dropped: {alone}")
        if not good:
            return False
        chosen = good
        text, (failure, root, data) = _try(doc, chosen)
        if failure is not None:
            _once(result.errors, f"internal error: fixes dropped together: {failure}")
            return False
    result.after = (BOM if doc.bom else "") + doc.unmask(text)
    docs[path] = Document(text, root, data, doc.placeholders, doc.bom)  # the verified parse, kept
    for p in chosen:
        result.fixed[p.code] += 1
        result.notes.extend(n for n in p.fix.notes if n not in result.notes)
    return True


def _once(errors: list[str], message: str) -> None:
    if message not in errors:
        errors.append(message)


def _try(doc: Document, group: list[Problem]) -> tuple[str, tuple]:
    """The text with a group of fixes applied, and verify.check's verdict on it."""
    edits = list({e for p in group for e in p.fix.edits})
    deletes = list({d for p in group for d in p.fix.deletes})
    sets, seen = [], set()
    for p in group:  # problems sharing one fix share its sets: count them once
        if id(p.fix) not in seen:
            seen.add(id(p.fix))
            sets.extend(p.fix.sets)
    text = apply_edits(doc.text, edits)
    return text, verify.check(doc.data, text, deletes, sets)
