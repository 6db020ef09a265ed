"""check → fix → verify, until nothing more applies. Pure: texts in, results out.

The file system is reached only through `probe` (what PF004 needs to know of scripts) and `read`
(the text of a project file, for the Python PF011 reads), which the CLI supplies; mode changes and
new Python texts are recorded in the results, never applied here.
"""
from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Callable

from . import report, suppress, validate, verify
from .document import BOM, MASK_TOKEN, Document, ParseError, compose, parse
from .edits import Edit, apply_edits, clash, joinable_inserts, moved, overlaps
from .problem import SAFE, Problem
from .project import Project, ScriptInfo, include_targets
from .record import new, record
from .rules import RULES

MAX_PASSES = 10


@record
class FileResult:
    path: str
    before: str | None = None  # decoded text, BOM included; None for scripts (cli.AS_READ: unchanged, not kept)
    after: str | None = None
    old_mode: int | None = None
    new_mode: int | None = None
    problems: list[Problem] = new(list)  # what remains
    fixed: Counter = new(Counter)
    errors: list[str] = new(list)
    notes: list[tuple[int, str]] = new(list)  # (line, what the user must still do there), once fixing ends
    note_spots: list[tuple[int, str]] = new(list)  # (offset, note) in the text fixed so far
    secrets: dict[str, str] = new(dict)  # secret name → the literal PF005 found (never printed)
    hidden: list[str] = new(list)  # more secret literals, not reported yet (Problem.hidden): masked as well
    # A line holding a secret its written forms do not find (a folded value, an escape) → that line
    # with the secret's scalar masked; found in any pass's text, applied wherever the line stands
    secret_lines: dict[str, str] = new(dict)
    identity: tuple = ()  # a script's discover.identity() as probed: --write checks it again
    group: str = ""  # a YAML file's include group (engine.include_groups): --write writes it whole or not at all

    @property
    def changed(self) -> bool:
        return self.before != self.after or self.old_mode != self.new_mode


@record
class Options:
    fix: bool = False
    unsafe_fixes: bool = False
    select: frozenset | None = None  # rule codes; None means all
    fixable: frozenset | None = None  # rule codes whose fixes may apply; None means all
    safety: dict = new(dict)  # rule code → SAFE/UNSAFE, overriding the rule's own
    ignored: Callable[[str], set] | None = None  # file → codes ignored there (per-file-ignores)
    values: dict = new(dict)  # value name → value (a values file)
    stateful: dict = new(dict)  # module → volume argument ([tool.polyfix.stateful])
    after_on_service: str = "remove"  # PF003's fix: "remove" the wait, or "await-false" on the service
    # A secret literal may be taken out of a file only where its `pt secret set` line can be shown
    # (a terminal): elsewhere its value would be gone from everywhere but git history.
    keep_secrets: bool = False


def parse_all(texts: dict[str, str], parser=parse) -> tuple[dict[str, Document], dict[str, str]]:
    docs, errors = {}, {}
    for path, text in texts.items():
        try:
            docs[path] = parser(text)
        except ParseError as e:
            errors[path] = str(e)
    return docs, errors


def include_groups(docs: dict[str, Document], paths=None) -> dict[str, str]:
    """Each file's group: the files joined by `include:` links (either way) share one. `paths`
    (default: the files of `docs`) are the files there are; `docs` those that may include others."""
    parent = {f: f for f in (docs if paths is None else paths)}

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
    return {f: find(f) for f in parent}


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
    crashes: list[tuple] = []  # (file, internal error)
    groups = include_groups(docs)
    scripts = probe_now if probe else None

    def project_now(these: dict[str, Document], origin: Project | None, probe_fn=None) -> Project:
        project = Project(these, groups, root, probe_fn, options.values, options.stateful,
                          read_now if read and probe_fn else None)
        project.origin = origin or project
        project.suppressed = _suppressions(these)
        project.after_on_service = options.after_on_service
        return project

    first = project_now(docs, None, scripts)
    # The gate's reference: what would fail at run time before polyfix changed anything. The
    # first check reuses the project and these findings.
    found_first = validate.check_by_rule(first, list(docs))
    baseline = validate.keys(p for found in found_first.values() for p in found)
    gate = _Gate(baseline, groups, lambda these: project_now(these, first))
    unused = [(first, found_first)]

    def check_now() -> list[Problem]:
        project, ready = unused.pop() if unused else (project_now(docs, first, scripts), {})
        return _check(project, live, options, crashes, ready)

    for n in range(MAX_PASSES if options.fix else 1):
        problems = check_now()
        _keep_secrets(problems, results, docs)
        if n == 0:  # masked whether PF005 is selected, ignored or suppressed or not: a secret is a secret
            _keep_secrets(_secrets_found(first, live), results, docs)
        if not options.fix:
            break
        allowed = [p for p in problems if p.fix and (p.fix.applicability == SAFE or options.unsafe_fixes)]
        gate.judge(allowed, docs)
        if not _apply_fixes(problems, docs, results, modes, probe_now, options, code, read, gate.trial_docs):
            break
    else:  # the last pass still fixed something: what remains is unknown, and a bug
        for path in live:
            results[path].errors.append(f"internal error: fixes did not converge in {MAX_PASSES} passes")
        problems = check_now()
    noted = [r for path, r in results.items() if r.note_spots and path in docs]
    if noted:  # every file of the run: an include group shares its values
        texts = [d.unmask(d.text) for d in docs.values()]
        # A later pass may have given a param the default a note asks for (PF009, from its callers).
        gives = any(note.startswith("give ") for r in noted for _at, note in r.note_spots)
        final = project_now(docs, first) if gives else None
        for result in noted:
            definitions = final.definitions.get(result.path, []) if final else []
            result.notes = _notes(docs[result.path], result.note_spots, texts, definitions)
    # What remains fixable is judged too, so a report offers exactly the fixes --write applies.
    gate.judge([p for p in problems if p.fix], docs)
    # Otherwise the last pass applied nothing: its problems are what remains.
    for path, crash in crashes:
        _once(results[path].errors, crash)
    for p in problems:
        results.setdefault(p.file, _script_result(p.file, probe, modes)).problems.append(p)
        doc = docs.get(p.fix_target) if p.fix else None
        if doc is not None:  # edits as rows and columns, for machine-readable output
            p.fix.located = [(*doc.line_col(e.start), *doc.line_col(e.end), doc.unmask(e.text)) for e in p.fix.edits]
        elif p.fix and p.fix.python is not None and read:
            text = read_now(p.fix_target) or ""
            p.fix.located = [(*_line_col(text, e.start), *_line_col(text, e.end), e.text) for e in p.fix.edits]
    for path, result in results.items():
        if path in docs or path in parse_errors:
            result.group = groups.get(path, path)
    for path, mode in modes.items():
        if results[path].old_mode is None and probe:  # a checked file a chmod covers: its mode as found
            results[path].old_mode = probe(path).mode
        results[path].new_mode = mode
    return results


def _secrets_found(project: Project, files: list[str]) -> list[Problem]:
    """PF005's findings, for masking only (its rule finds each document's secrets once: when PF005
    runs too, this costs little)."""
    rule = next(r for r in RULES if r.CODE == "PF005")
    try:
        return rule.check(project, files)
    except Exception:  # noqa: BLE001 - PF005's own run reports its failure
        return []


def _keep_secrets(problems: list[Problem], results: dict[str, FileResult], docs: dict[str, Document]) -> None:
    """Remember the secret literals found (a fixed one is gone from later passes): output masks them
    on every line that holds them."""
    for p in problems:
        if p.secret and p.file in results:
            results[p.file].secrets.setdefault(*p.secret)
            results[p.file].hidden += [v for v in p.hidden if v not in results[p.file].hidden]
            if p.secret_at and p.file in docs:
                results[p.file].secret_lines.update(report.scalar_lines_masked(docs[p.file], *p.secret_at, p.secret[1]))


class _Gate:
    """Keeps fixes from making the project fail at run time: a fix after which the validator finds a
    problem that was not there before polyfix started is not applied, and says why."""

    def __init__(self, baseline, groups: dict[str, str], project_of: Callable):
        self.baseline = baseline
        self.groups = groups
        self.project_of = project_of
        self.judged: dict[int, object] = {}  # id → fix (kept alive, so no id is reused)
        self.rejected: dict[tuple, list[str]] = {}  # _fix_key → the errors the fix would add
        # Trials repeat themselves: a leave-one-out round gives most files the text of the first
        # trial. A text is composed once, and an include group's findings are made once per texts.
        # Applying the fixes then finds the fixed text composed, with what the validator derived.
        self.trial_docs: dict[tuple[str, str], Document | None] = {}
        self.findings: dict[tuple, list[Problem]] = {}

    def judge(self, problems: list[Problem], docs: dict[str, Document]) -> None:
        """Take the fix away from the problems whose fix the gate rejects.

        The fixes are tried together; each new error is blamed on the fix it comes from (below),
        that fix is rejected, and the rest are tried together again until nothing new is found.
        Fixes that overlap others are judged the same way in a batch of their own. A rejection
        holds for this pass: the next one judges the fix again on the text the other fixes made
        (where they can make it hold), as a second run would. The cost is a few trials per batch,
        not one per fix."""
        self.rejected.clear()
        by_fix: dict[int, list[Problem]] = {}
        for p in problems:
            if p.fix and p.fix.edits and p.fix_target in docs and id(p.fix) not in self.judged:
                if _fix_key(p) in self.rejected:
                    _reject([p], self.rejected[_fix_key(p)])
                else:
                    by_fix.setdefault(id(p.fix), []).append(p)
        self.judged.update((key, ps[0].fix) for key, ps in by_fix.items())
        self.trial_docs.clear()  # the last pass's texts: applying its fixes has used them
        self.findings.clear()
        batch = list(by_fix.values())
        while batch:
            batch = self._judge_batch(batch, docs)

    def _judge_batch(self, pending: list[list[Problem]], docs) -> list[list[Problem]]:
        """Judge fixes that can be tried together; return those that overlapped the others."""
        overlapping: list[list[Problem]] = []
        while pending:
            new, applied, broken = self._new(docs, [p for ps in pending for p in ps])
            overlapping += [ps for ps in pending if id(ps[0]) not in applied and id(ps[0]) not in broken]
            for ps in (ps for ps in pending if id(ps[0]) in broken):  # judged alone, or a batch would
                alone, _applied, still = self._new(docs, ps)        # come back with them forever
                if still or alone:
                    self._reject(ps, ["the file would not be YAML"] if still else self._messages(alone))
            pending = [ps for ps in pending if id(ps[0]) in applied]
            if not new:
                break
            blamed, unsure = self._blame(pending, new, docs)
            for i, errors in blamed.items():
                self._reject(pending[i], errors)
            for i in unsure - set(blamed):
                errors = self._messages(self._new(docs, pending[i])[0])
                if errors:
                    self._reject(pending[i], errors)
            pending = [ps for i, ps in enumerate(pending) if i not in blamed and i not in unsure]
        return overlapping

    def _blame(self, pending, new: list[Problem], docs) -> tuple[dict[int, list[str]], set[int]]:
        """Which fix each new error comes from. Its culprits are the fixes that changed a spec it
        involves: one culprit is to blame; among several, each round tries the project without the
        next culprit of every open error, and the one whose absence makes the error go is to blame.
        Errors still open name their culprits as unsure (to be judged alone), and an error that
        involves no changed spec makes every fix unsure."""
        touched = [_touched(ps[0]) for ps in pending]
        blamed: dict[int, list[str]] = {}
        open_errors = []
        for error in new:
            culprits = [i for i, t in enumerate(touched) if t is None or t & error.involves]
            if not culprits:
                return blamed, set(range(len(pending)))
            if len(culprits) == 1:
                blamed.setdefault(culprits[0], []).append(validate.subject(error))
            else:
                open_errors.append((error, culprits))
        for k in range(max((len(c) for _e, c in open_errors), default=0)):
            trying = {c[k] for e, c in open_errors if len(c) > k} - set(blamed)
            if not trying:
                break
            left = validate.keys(self._new(docs, [p for i, ps in enumerate(pending)
                                                  if i not in trying and i not in blamed for p in ps])[0])
            still = []
            for error, culprits in open_errors:
                if len(culprits) > k and culprits[k] in trying and validate.key(error) not in left:
                    blamed.setdefault(culprits[k], []).append(validate.subject(error))
                elif not set(culprits) & set(blamed):
                    still.append((error, culprits))
            open_errors = still
        return blamed, {i for _e, culprits in open_errors for i in culprits}

    def _trial_doc(self, path: str, text: str, doc: Document) -> Document | None:
        """The file with a trial's fixes applied, or None when that is not YAML. The tree is enough
        here: applying a fix for real proves its data (verify.py)."""
        if (path, text) not in self.trial_docs:
            try:
                self.trial_docs[path, text] = Document(text, compose(text), None, doc.placeholders, doc.bom)
            except ParseError:
                self.trial_docs[path, text] = None
        return self.trial_docs[path, text]

    def _reject(self, problems: list[Problem], errors: list[str]) -> None:
        for p in problems:
            self.rejected[_fix_key(p)] = errors
        _reject(problems, errors)

    @staticmethod
    def _messages(new: list[Problem]) -> list[str]:
        return [validate.subject(p) for p in new]

    def _new(self, docs: dict[str, Document], problems: list[Problem]) -> tuple[list[Problem], set[int], set[int]]:
        """The validator's problems that the fixes of these problems would add, which of the
        problems' fixes could be applied together, and which were chosen for a file that would then
        not be YAML (ids of the problems)."""
        trial = dict(docs)
        applied: set[int] = set()
        broken: set[int] = set()
        for path, fixes in _by_target(problems).items():
            # Items or entries two fixes add at one place in a block list or mapping are tried
            # together: a trial of its own for each costs a parse and a validation of the whole file
            # more (PF001 and PF006 declaring params of one spec; in a generated file of 10,000
            # lines, a fifth of its report's time).
            chosen = _non_overlapping(fixes, joinable=joinable_inserts)
            text = apply_edits(docs[path].text, list({e for p in chosen for e in p.fix.edits}))
            doc = self._trial_doc(path, text, docs[path])
            if doc is not None:
                trial[path] = doc
                applied.update(id(p) for p in chosen)
            else:
                broken.update(id(p) for p in chosen)
        changed = {f for f in trial if trial[f] is not docs[f]}
        if not changed:
            return [], applied, broken
        touched = {self.groups.get(f, f) for f in changed}
        files = [f for f in trial if self.groups.get(f, f) in touched]
        left = Counter({k: n for k, n in self.baseline.items() if k[1] in files})
        by_group: dict[str, list[str]] = {}
        for f in files:
            by_group.setdefault(self.groups.get(f, f), []).append(f)
        found = []
        for members in by_group.values():
            key = tuple((f, trial[f].text) for f in members)
            if key not in self.findings:
                self.findings[key] = validate.check(self.project_of({f: trial[f] for f in members}), members)
            found += self.findings[key]
        new = []
        for p in found:
            key = validate.key(p)
            if left[key] > 0:
                left[key] -= 1
            else:
                new.append(p)
        return new, applied, broken


def _touched(p: Problem) -> set | None:
    """The specs a fix changes, as (file, top-level path); None when it changes the file's
    structure (a new section) and could touch anything."""
    paths = list(p.fix.deletes) + [path for path, _value in p.fix.sets]
    if any(len(path) < 2 for path in paths):
        return None
    return {(p.fix_target, tuple(path[:2])) for path in paths}


def _fix_key(p: Problem) -> tuple:
    """A fix as found again in a later pass: its rule, file, problem and edits' texts (offsets move)."""
    return (p.code, p.fix_target, p.message, p.fix.message, tuple(sorted(e.text for e in p.fix.edits)))


def _reject(problems: list[Problem], new: list[str]) -> None:
    """Take the fix away; each problem names the new error closest to it (the one sharing most of
    its quoted names: a shared fix can add one error per value it declares)."""
    for p in problems:
        names = set(re.findall(r"`([^`]+)`", p.message))
        why = max(new, key=lambda m: len(names & set(re.findall(r"`([^`]+)`", m))))
        p.fix = None
        p.hint = f"not fixed: with this fix, {why}"
        p.message += f" (not fixed: with this fix, {why})"


def _suppressions(docs: dict[str, Document]) -> Callable[[str, int, str], bool]:
    """file, line, code → whether a comment there suppresses that rule (for rules that must leave a
    suppressed place out of a fix they share with other places)."""
    found = {f: suppress.directives(d) for f, d in docs.items()}

    def suppressed(file: str, line: int, code: str) -> bool:
        return bool(found.get(file)) and suppress.suppresses(found[file], line, code)

    return suppressed


def _by_target(problems: list[Problem]) -> dict[str, list[Problem]]:
    out: dict[str, list[Problem]] = {}
    for p in problems:
        out.setdefault(p.fix_target, []).append(p)
    return out


def _non_overlapping(fixes: list[Problem], joinable: Callable[[Edit, Edit], bool] | None = None) -> list[Problem]:
    """The fixes, in order, that clash with none chosen before them (edits.clash), where two edits
    that clash but are `joinable` do not count; a fix whose edits are those of a chosen one (one
    edit fixing two problems) is chosen too. The chosen edits are kept sorted, so a big file's
    thousand fixes are not each compared with every other."""
    chosen: list[Problem] = []
    seen: set[tuple] = set()  # the edits of each chosen fix
    starts: list[int] = []  # every chosen edit, sorted by start
    spans: list[Edit] = []
    longest = 0

    def hits(y: Edit) -> bool:
        # Only an edit starting where y ends or before can clash with it, and none that ends
        # before y starts: no chosen edit is longer than `longest`.
        j = bisect.bisect_right(starts, y.end) - 1
        while j >= 0 and spans[j].start + longest >= y.start:
            if clash(spans[j], y) and not (joinable and joinable(spans[j], y)):
                return True
            j -= 1
        return False

    for p in fixes:
        key = tuple(p.fix.edits)
        if key in seen or not any(hits(y) for y in p.fix.edits):
            chosen.append(p)
            if key not in seen:
                seen.add(key)
                for x in p.fix.edits:
                    i = bisect.bisect_right(starts, x.start)
                    starts.insert(i, x.start)
                    spans.insert(i, x)
                    longest = max(longest, x.end - x.start)
    return chosen


def _line_col(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of an offset in a text."""
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


def _script_result(path, probe, modes) -> FileResult:
    """The result of a file known only through the probe (a script)."""
    info = probe(path) if probe else None
    old = info.mode if info else None
    return FileResult(path, old_mode=old, new_mode=modes.get(path, old), identity=info.identity if info else ())


def _check(project: Project, files: list[str], options: Options, crashes: list[tuple],
           ready: dict | None = None) -> list[Problem]:
    """Every selected rule's problems in `files`; `ready` holds rules' findings already made on
    this project over a superset of the files."""
    def selected(code):
        return options.select is None or code in options.select

    problems = []
    wanted = set(files)
    for rule in RULES:
        if selected(rule.CODE) and not getattr(rule, "AFTER_OTHERS", False):
            if ready and rule.CODE in ready:
                problems.extend(p for p in ready[rule.CODE] if p.file in wanted)
                continue
            try:
                problems.extend(rule.check(project, files))
            except Exception:  # noqa: BLE001 - a bug in one rule must not stop the others
                for f in files:  # nor its problems on the files it does not fail on
                    try:
                        problems.extend(rule.check(project, [f]))
                    except Exception as e:  # noqa: BLE001
                        crashes.append((f, f"internal error: {rule.CODE} failed ({type(e).__name__}: {e}); "
                                           f"please report it"))
    for rule in RULES:  # suppressions apply to everything found so far
        if getattr(rule, "AFTER_OTHERS", False):
            problems = rule.check_after(project, files, problems, selected)
    if options.ignored:
        problems = [p for p in problems if p.code not in options.ignored(p.file)]
    for p in problems:
        if p.fix and p.code in options.safety:
            p.fix.applicability = options.safety[p.code]
    for p in problems:
        doc = project.docs.get(p.file)
        if p.fix and p.fix.edits and doc is not None and _lone_cr(doc.text):
            # Lines a fix adds would end in LF, and the line-finding of every fix reads LF or CRLF:
            # reported, not edited (a fix must leave every line it does not touch as it was).
            p.fix, p.hint = None, ("not fixed: a line of the file ends in a lone CR, which polyfix does not edit: "
                                   "end its lines in LF or CRLF")
            p.message += f" ({p.hint})"
    for p in problems:
        doc = project.docs.get(p.fix_target) if p.fix and p.fix.edits and p.fix.python is None else None
        if doc is not None and _in_shared_node(p.fix.edits, doc.shared_spans()):
            p.fix, p.hint = None, ("not fixed: the change would land inside a YAML anchor that an alias or merge key "
                                   "reuses elsewhere, and change that place too: fix it by hand")
            p.message += f" ({p.hint})"
    if options.fixable is not None:  # first: a fix turned off is no fix to send to a terminal
        for p in problems:
            if p.code not in options.fixable:
                p.fix, p.hint = None, p.hint or "its fixes are turned off (fixable/unfixable)"
    if options.keep_secrets:
        for p in problems:
            if p.secret and p.fix:
                # The command that fixes it in a terminal: with --unsafe-fixes where the fix needs it,
                # whether this run had it or not (the hint is read as the whole command).
                command = "--write" if p.fix.applicability == SAFE else "--write --unsafe-fixes"
                p.fix, p.hint = None, ("not fixed here: off a terminal polyfix cannot show the command that puts "
                                       f"the value in the secret store; run {command} in a terminal")
                p.message += f" ({p.hint})"  # in every format, as a refusal by the gate is
    masked = {t: v for d in project.docs.values() for t, v in d.placeholders.items()}
    if masked:  # messages quote names: show placeholders as the user wrote them
        for p in problems:
            p.message = re.sub(MASK_TOKEN, lambda m: masked.get(m.group(), m.group()), p.message)
    problems.sort(key=lambda p: (p.file, p.line, p.col, p.code))
    return _once_each(problems)


def _once_each(problems: list[Problem]) -> list[Problem]:
    """The problems less repeats: a node a YAML alias reuses is found once through each of its uses,
    at the same place, with the same message and the same edits."""
    seen, out = set(), []
    for p in problems:
        fix = (tuple(p.fix.edits), p.fix.mode, p.fix.target) if p.fix else None
        key = (p.file, p.line, p.col, p.end_line, p.end_col, p.code, p.message, p.hint, fix)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def _in_shared_node(edits, spans: list[tuple[int, int, int]]) -> bool:
    """Whether an edit changes text inside a node that several places share (Document.shared_spans):
    it overlaps the node, or inserts inside it or on the line after its last one (where a new last
    entry of a block mapping or list goes: it would be the shared node's)."""
    for e in edits:
        for start, end, line_after in spans:
            if (e.start < end and start < e.end) or (e.start == e.end and start < e.start <= line_after):
                return True
    return False


def _lone_cr(text: str) -> bool:
    """Whether a line of `text` ends in a CR without an LF after it (YAML reads that as a line break)."""
    return "\r" in text and text.count("\r") != text.count("\r\n")


def _apply_fixes(problems, docs, results, modes, probe_now, options, code, read, trials=None) -> bool:
    """Apply one pass of fixes; True when anything changed. `trials`: (path, text) → the document
    the gate composed for that text."""
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
        changed |= _fix_file(path, fixes, docs, results[path], trials)
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


def _fix_file(path: str, fixes: list[Problem], docs, result: FileResult, trials: dict | None = None) -> bool:
    """Apply the non-overlapping fixes of one file; a fix that fails verification is dropped and
    reported as an internal error, the others still apply."""
    doc = docs[path]
    chosen = _non_overlapping(fixes)
    text, (failure, root, data) = _try(doc, chosen, trials, path)
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
        text, (failure, root, data) = _try(doc, chosen, trials, path)
        if failure is not None:
            _once(result.errors, f"internal error: fixes dropped together: {failure}")
            return False
    result.after = (BOM if doc.bom else "") + doc.unmask(text)
    trial = (trials or {}).get((path, text))
    if trial is not None and trial.root is root:  # the gate's document, with what it derived
        trial.data = data
        docs[path] = trial
    else:
        docs[path] = Document(text, root, data, doc.placeholders, doc.bom)  # the verified parse, kept
    edits = list({e for p in chosen for e in p.fix.edits})
    # Notes are kept as offsets and moved with every pass's edits: a later pass moves their lines.
    result.note_spots = [(moved(at, edits), note) for at, note in result.note_spots]
    for p in chosen:
        result.fixed[p.code] += 1
        result.note_spots += [(moved(where, edits), note) for note, where in p.fix.notes]
    return True


def _notes(doc: Document, spots: list[tuple[int, str]], texts: list[str], definitions=()) -> list[tuple[int, str]]:
    """The notes left for the user in a fixed file, by line, each once. A `pt value set` or `pt secret
    set` line only while some file of the run may still read that value or secret (`texts`, unmasked):
    a later pass may have made the reference a param with a default (PF001 after PF025). A "give
    param x a default" line only while the file's spec (`definitions`) still has none for it."""
    out: dict[str, int] = {}
    for at, note in sorted(spots):
        to_set = re.fullmatch(r"pt (value|secret) set (.+) <value>", note)
        give = re.match(r"give (?:param|input) `(.+?)` of (\w+) `(.+?)` a default: ", note)
        if give and any(d.kind == give[2] and doc.unmask(d.name) == give[3] and d.param_default(give[1]) is not None
                        for d in definitions):
            continue
        if to_set is None or _read(*to_set.groups(), texts):
            out.setdefault(note, doc.line_col(at)[0])
    return sorted((line, note) for note, line in out.items())


def _read(store: str, name: str, texts: list[str]) -> bool:
    """Whether a text may read that value or secret, in any form and anywhere (code strings, block
    scalars, comments too): a note is dropped only when nothing could still need it."""
    name = re.escape(name)
    found = re.compile(rf"(?:pt\.{store}|#pt-{store})\s+{name}(?![\w.\-])|pt[./]{store}\(?\s*[\"']{name}[\"']")
    return any(found.search(text) for text in texts)


def _once(errors: list[str], message: str) -> None:
    if message not in errors:
        errors.append(message)


def _try(doc: Document, group: list[Problem], trials: dict | None = None, path: str = "") -> tuple[str, tuple]:
    """The text with a group of fixes applied, and verify.check's verdict on it (on the gate's
    composition of that text, when `trials` holds one)."""
    edits = list({e for p in group for e in p.fix.edits})
    deletes = list({d for p in group for d in p.fix.deletes})
    sets, seen = [], set()
    for p in group:  # problems sharing one fix share its sets: count them once
        if id(p.fix) not in seen:
            seen.add(id(p.fix))
            sets.extend(p.fix.sets)
    text = apply_edits(doc.text, edits)
    trial = (trials or {}).get((path, text))
    return text, verify.check(doc.data, text, deletes, sets, trial.root if trial is not None else None,
                              shares="&" in doc.text)


def try_fixes(doc: Document, problems: list[Problem]) -> tuple[str, tuple]:
    """The masked text with these problems' fixes applied, and the proof's verdict on it
    ((None, root, data) when it holds): what one quick fix in an editor applies."""
    return _try(doc, problems)
