"""The project gate: what would fail when Polytope runs the project, found before the run.

The validator rules (PF020-PF025) read a Project and report like every rule. The engine also runs
them, all of them whatever the selection, before fixing and after each fix pass: a fix after which
they find a problem that was not there before is not applied (engine.py). So the gate compares
problems by what they say, never by where they are: a message names its subject (the spec, the
param, the step) and no line number.
"""
from __future__ import annotations

# difflib: imported where used, since most runs never need it (start-up time counts in a hook)

from collections import Counter

from .document import entries, get, items, value
from .refs import interpolations, is_code, whole_ref


def references(doc, path: tuple, skip_keys=()):
    """(scalar node, its path, prefix, name, whole) for each reference below a path of a document.
    Code strings (`#pt-clj`, `pt.js` …) and block scalars (scripts, config files) hold no references
    polyfix reads; keys in `skip_keys` right below `path` (declarations, documentation) are not uses."""
    if "references" not in doc.memo:
        by_entry: dict = {(): []}
        for ref in _references(doc):  # indexed by top-level entry, as Document.scalars is
            by_entry[()].append(ref)
            by_entry.setdefault(ref[1][:2], []).append(ref)
        doc.memo["references"] = by_entry
    found = doc.memo["references"]
    for ref in found.get(path, []) if len(path) in (0, 2) else found[()]:
        p = ref[1]
        if p[:len(path)] == path and not (len(p) > len(path) and p[len(path)] in skip_keys):
            yield ref


def _references(doc):
    for n, p, _key, _parent in doc.scalars():
        if "pt" not in n.value or n.style in ("|", ">") or n.tag.endswith((":int", ":bool")):
            continue
        text = n.value
        if is_code(text):
            continue
        whole = whole_ref(text)
        if whole:
            yield n, p, whole[0], whole[1], True
            continue
        # Every occurrence, a name repeated in one string too: the gate counts them, and a fix that
        # adds a second live reference to an undeclared name must count as adding a problem.
        for word, name in interpolations(text):
            yield n, p, word, name, False


def nearest(name: str, candidates) -> str | None:
    """The candidate `name` most likely means: the longest one it extends with a suffix
    (`app-api-staging` → `app-api`), else the closest in spelling."""
    import difflib

    candidates = sorted(set(candidates))
    extended = [c for c in candidates if name.startswith((c + "-", c + "_"))]
    if extended:
        return max(extended, key=len)
    found = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return found[0] if found else None


def suggestion(name: str, candidates) -> str:
    best = nearest(name, candidates)
    return f"{_SUGGESTION}`{best}`?)" if best else ""


def rules():
    from .rules import VALIDATORS  # here: the rules import this module

    return VALIDATORS


def check(project, files) -> list:
    """Every validator rule's problems over `files`, whatever the selection."""
    return [p for found in check_by_rule(project, files).values() for p in found]


def check_by_rule(project, files) -> dict:
    """Rule code → its problems over `files`, each knowing the specs it involves. A rule that fails
    finds nothing here and is left out (the engine reports the failure when the rule runs as a rule)."""
    out = {}
    for rule in rules():
        try:
            out[rule.CODE] = rule.check(project, files)
        except Exception:  # noqa: BLE001 - the gate must not stop fixing; the rule's own run reports it
            continue
        for p in out[rule.CODE]:
            entry = _entry_at(project.docs[p.file], p.line)
            p.involves |= {(p.file, entry)} if entry else set()
    return out


def involving(problem, definition):
    """The problem, marked as also about a spec (a callee whose params it concerns)."""
    problem.involves |= {(definition.file, definition.path)}
    return problem


def _entry_at(doc, line: int):
    """The top-level path, such as ("tools", "api"), of the spec that holds a line."""
    if "entries" not in doc.memo:
        root, spans = doc.root, []
        for section in ("modules", "templates"):
            for i, spec in enumerate(items(get(root, section))):
                spans.append((spec.start_mark.line + 1, spec.end_mark.line + 1, (section, i)))
        for k, spec in entries(get(root, "tools")):
            spans.append((k.start_mark.line + 1, spec.end_mark.line + 1, ("tools", value(k))))
        doc.memo["entries"] = spans
    # A spec's end mark can sit on the next spec's first line: the later start wins.
    holding = [(first, path) for first, last, path in doc.memo["entries"] if first <= line <= last]
    return max(holding, key=lambda h: h[0])[1] if holding else None


_SUGGESTION = " (did you mean "


def keys(problems) -> Counter:
    """What the gate compares: the problems by rule, file and subject."""
    return Counter(key(p) for p in problems)


def key(p) -> tuple:
    return p.code, p.file, subject(p)


def subject(p) -> str:
    """A problem's message without positions (it has none) and without the nearest-name
    suggestion: a fix that adds a module changes suggestions, not errors."""
    return p.message.split(_SUGGESTION, 1)[0]
