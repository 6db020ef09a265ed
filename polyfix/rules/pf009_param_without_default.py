"""PF009 param-without-default: a module or tool param that has no default.

What it does
    Finds each param (`params:` list) and input (`inputs:` mapping) of a module or tool whose type
    gives no default (`type: str` rather than `type: [default, str, x]`) and is not `[maybe, T]`.

Why
    A param without a default is required: every step that runs the spec, and everyone who runs it
    with `pt run`, must pass it, or the run fails. Polytope's own guidance is to give every param a
    sensible default, so a stack starts as it is and a value is overridden only where it differs.

Example
    modules:
      - id: api
        module: polytope/python
        params:
          - { id: db-host, type: str }     # every caller must pass db-host
        args:
          env: [{ name: DB_HOST, value: pt.param db-host }]

Fix (safe, only where the default is certain)
    The type becomes `[default, T, value]` when the value is certain: the values file
    (`--values FILE`, `config/values.yml`) sets a value of the param's name, or every step that runs
    the spec passes the same literal, unless that value is a secret (as PF005 tells one): it is not
    copied into the file. Only `str`, `int`, `bool` and `[enum, …]` params get one (an
    `int` default must be a whole number, an enum default one of its choices). Anything else is only
    reported: a default polyfix would have to guess could hide a missing setting. A spec that no
    step of the project runs is an entry point a person runs with its arguments (`pt run api-add`
    with `packages`): its required params are its interface, and are reported only where a default
    is certain.
"""
from __future__ import annotations

import re

from ..document import entries, get, is_map, is_scalar, is_seq, items, text_value, value
from ..edits import Edit
from ..problem import Fix, at_node
from ..project import Definition, Project, is_required
from ..refs import has_reference
from ..declare import yaml_scalar
from .pf005_hardcoded_secret import secret_setting

CODE = "PF009"
NAME = "param-without-default"


def check(project: Project, files) -> list:
    problems = []
    for file in files:
        doc = project.docs[file]
        for d in project.definitions.get(file, []):
            if d.kind not in ("module", "tool"):
                continue
            for name, where, spec, path, kind in _specs(d):
                if not is_map(spec) or not is_required(spec):
                    continue
                fix, source = _fix(project, doc, d, name, spec, path)
                if fix is None and not project.callers(d):
                    continue  # an entry point a person runs with that argument: required on purpose
                msg = (f"{kind} `{name}` of {d.kind} `{d.name}` has no default: every run of `{d.name}` must "
                       f"pass it, or the run fails")
                if source:
                    msg += f" ({source})"
                hint = "" if fix else "give it a default: type: [default, <type>, <value>]"
                problems.append(at_node(CODE, NAME, msg, file, doc, where, fix, hint))
    return problems


def _specs(d: Definition):
    """(name, the node naming it, spec node, data path of the spec, param|input) for each declared
    param and input."""
    for j, spec in enumerate(items(get(d.node, "params"))):
        name = text_value(get(spec, "id"))
        if name:
            yield name, get(spec, "id"), spec, d.path + ("params", j), "param"
    for key, spec in entries(get(d.node, "inputs")):
        if text_value(key):
            yield text_value(key), key, spec, d.path + ("inputs", value(key)), "input"


def _fix(project: Project, doc, d: Definition, name: str, spec, path: tuple):
    """(the fix giving the param its certain default, where the default comes from), or (None, "")."""
    typ = get(spec, "type")
    origin = project.origin
    candidates = []
    if name in origin.values or doc.unmask(name) in origin.values:
        candidates.append((origin.values.get(name, origin.values.get(doc.unmask(name))), "default from the values file"))
    passed = _passed_by_every_caller(project, d, name)  # as the file is now: PF010 may have moved args
    if passed is not None:
        candidates.append((passed, "every caller passes the same value"))
    for raw, source in candidates:
        default = _typed(typ, raw)
        if isinstance(default, str) and secret_setting(doc.unmask(name), default):
            return None, "its value is a secret: keep it in the secret store, not as a default in the file"
        if default is not None:
            text = doc.text[typ.start_mark.index:typ.end_mark.index]
            if "\n" in text:
                return None, ""
            new = f"[default, {text}, {yaml_scalar(default)}]"
            type_data = value(typ) if is_scalar(typ) else doc_data(doc, path + ("type",))
            fix = Fix(f"Give `{name}` the default {yaml_scalar(default)}",
                      edits=[Edit(typ.start_mark.index, typ.end_mark.index, new)],
                      sets=[(path + ("type",), ["default", type_data, default])])
            return fix, source
    return None, ""


def _passed_by_every_caller(project: Project, d: Definition, name: str):
    """The one literal every call of the spec passes for `name` (there must be a call); else None."""
    calls = project.callers(d)
    found = set()
    for c in calls:
        given = get(c.args, name) if is_map(c.args) else None
        if not is_scalar(given) or has_reference(text_value(given)):
            return None
        found.add((type(value(given)), value(given)))
    return next(iter(found))[1] if len(found) == 1 else None


def _typed(typ, raw):
    """The default as the type wants it, or None when the type or value does not allow one."""
    if isinstance(raw, (dict, list)) or raw is None:
        return None
    if is_seq(typ):
        choices = items(typ)
        if not choices or text_value(choices[0]) != "enum":
            return None
        allowed = [value(c) for c in choices[1:] if is_scalar(c)]
        return raw if raw in allowed and not isinstance(raw, bool) else None
    t = text_value(typ)
    if t == "str":
        return raw if isinstance(raw, str) else (None if isinstance(raw, bool) else str(raw))
    if t == "int":
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        return int(raw) if isinstance(raw, str) and re.fullmatch(r"[0-9]+", raw) else None
    if t == "bool":
        if isinstance(raw, bool):
            return raw
        return {"true": True, "false": False}.get(raw) if isinstance(raw, str) else None
    return None


def doc_data(doc, path: tuple):
    data = doc.data
    for p in path:
        data = data[p]
    return data
