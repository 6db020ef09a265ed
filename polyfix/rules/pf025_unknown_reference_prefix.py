"""PF025 unknown-reference-prefix: a reference whose prefix Polytope does not know.

What it does
    Finds whole scalars and `{…}` interpolations shaped like a reference whose prefix is a near miss
    of a real one: `pt.secrets x`, `pt.values x`, `pt.params x`, `"#pt-params x"`, `pt.sceret x`.
    The real prefixes are `pt.param`, `pt.value`, `pt.secret`, `pt.input` and `#pt-param`,
    `#pt-value`, `#pt-secret`; code (`#pt-clj`, `pt.js` …) is not read.

Why
    An unknown prefix is not a reference at all: the step receives the literal text `pt.secrets x`
    (a password that is the string "pt.secrets db-password"), or fails on a type check. Such a
    typo survives until someone notices the service misbehaving.

Example
    env:
      - { name: DB_PASSWORD, value: pt.secrets db-password }

Fix (safe)
    When exactly one real prefix is nearest (at most two letters off, a swap counting as one), the
    prefix is replaced by it. Otherwise it is only reported. A corrected `pt.secret x` / `pt.value x`
    makes the run read that store: `--write` lists `pt secret set x <value>` (or `pt value set …`)
    under "Still to do by hand". Like every fix it passes the gate: a corrected `#pt-param x` that
    names no declared param is not applied.
"""
from __future__ import annotations

import re

from ..edits import Edit
from ..problem import Fix, at_node
from ..project import Project
from ..validate import references

CODE = "PF025"
NAME = "unknown-reference-prefix"
VALIDATOR = True
KNOWN = {"pt.": ("param", "value", "secret", "input"), "#pt-": ("param", "value", "secret")}
_ALSO_KNOWN = {"pt.clj", "pt.js", "#pt-clj", "#pt-js", "#pt-py", "#pt-host"}


def check(project: Project, files) -> list:
    problems = []
    for file in files:
        doc = project.docs[file]
        if "pt" not in doc.text:
            continue
        for node, path, prefix, name, whole in references(doc, ()):
            if prefix in _ALSO_KNOWN:
                continue
            style = "#pt-" if prefix.startswith("#") else "pt."
            word = prefix[len(style):]
            if word in KNOWN[style]:
                continue
            scored = sorted((_distance(word, k), k) for k in KNOWN[style])
            best = [k for dist, k in scored if dist == scored[0][0] and dist <= 2]
            if not best:
                continue
            if len(best) == 1:
                right = style + best[0]
                msg = f"`{prefix}` is no reference prefix: `{prefix} {name}` is passed on as plain text (meant `{right}`?)"
                problems.append(at_node(CODE, NAME, msg, file, doc, node, _fix(doc, node, path, prefix, right, name)))
            else:
                msg = (f"`{prefix}` is no reference prefix: `{prefix} {name}` is passed on as plain text "
                       f"(one of {', '.join(f'`{style}{k}`' for k in best)}?)")
                problems.append(at_node(CODE, NAME, msg, file, doc, node, hint="correct the prefix"))
    return problems


def _fix(doc, node, path, wrong: str, right: str, name: str) -> Fix | None:
    raw = doc.text[node.start_mark.index:node.end_mark.index]
    pattern = re.compile(re.escape(wrong) + r"(?=\s)")
    if len(pattern.findall(raw)) != len(pattern.findall(node.value)):
        return None  # escapes or folding hide it: leave it to a human
    new_raw = pattern.sub(right, raw)
    # The run now reads the store the text only named: it must hold the name.
    notes = []
    if right.endswith(("secret", "value")):
        store = "secret" if right.endswith("secret") else "value"
        notes.append((f"pt {store} set {doc.unmask(name)} <value>", node.start_mark.index))
    return Fix(f"Write `{right}`", edits=[Edit(node.start_mark.index, node.end_mark.index, new_raw)],
               sets=[(path, pattern.sub(right, node.value))], notes=notes)


def _distance(a: str, b: str) -> int:
    """Edit distance where swapping two neighbouring letters counts as one edit."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]
