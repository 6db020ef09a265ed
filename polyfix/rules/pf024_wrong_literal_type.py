"""PF024 wrong-literal-type: a string where Polytope requires an integer.

What it does
    Finds quoted numbers (`"8080"`) and other strings in integer slots: `port` and `expose-as` of a
    service's ports (not a `range` entry, whose `expose-as` is a string), `max-restarts` of a
    `restart`, an `int` param's `[default, int, …]`, and the args a step passes to an `int` param of
    a spec of this project. References (`pt.param x` …) and code are not literals and are left alone.

Why
    Polytope checks types when a step runs: a string in an integer slot fails with
    `Must be an integer (got "8080")`.

Example
    services:
      - { id: api, ports: [{ protocol: http, port: "8080" }] }

Fix (safe)
    A quoted whole number loses its quotes (`port: 8080`). Any other string is only reported.
"""
from __future__ import annotations

import re

from ..document import entries, get, is_map, is_scalar, items, text_value, value
from ..edits import Edit
from ..problem import Fix, at_node
from ..project import Project, _kinds_for, param_specs
from ..refs import has_reference, is_code
from ..validate import involving

CODE = "PF024"
NAME = "wrong-literal-type"
VALIDATOR = True
_PORT_KEYS = ("port", "expose-as")


def check(project: Project, files) -> list:
    problems = []
    for file in files:
        doc = project.docs[file]
        for d in project.definitions.get(file, []):
            for node, path, key, parent in doc.scalars(d.path):
                slot = _int_slot(path, key, parent)
                if slot:
                    problems.extend(_judge(file, doc, node, path, slot))
            for spec_path, spec in _specs(d):
                typ = items(get(spec, "type"))
                if len(typ) == 3 and text_value(typ[0]) == "default" and _is_int_type(typ[1]):
                    problems.extend(_judge(file, doc, typ[2], spec_path + ("type", 2), "the default of an `int` param"))
        for call in project.calls_in(file):
            if not is_map(call.args):
                continue
            target = project.lookup(call.ref, file, _kinds_for(call))
            for name, spec in (param_specs(target).items() if target else ()):
                given = get(call.args, name)
                if given is not None and _is_int_type(get(spec, "type")):
                    args_path = call.path + ("args", name)
                    problems.extend(involving(p, target) for p in _judge(
                        file, doc, given, args_path, f"param `{name}` of {target.kind} `{target.name}`"))
    return problems


def _int_slot(path: tuple, key, parent) -> str | None:
    """What integer slot a node fills, or None."""
    if key in _PORT_KEYS and len(path) >= 3 and path[-3] == "ports" and get(parent, "range") is None:
        return f"`{key}`"
    if key == "max-restarts" and len(path) >= 2 and path[-2] == "restart":
        return "`max-restarts`"
    return None


def _judge(file, doc, node, path, slot) -> list:
    if text_value(node) is None:  # an int, a null, a collection: nothing to say
        return []
    text = node.value
    if has_reference(text) or is_code(text) or "\ue000" in text:
        return []
    number = re.fullmatch(r"\s*([0-9]+)\s*", text)
    if number and node.style in ('"', "'"):
        digits = number.group(1)
        fix = Fix(f"Unquote {digits}", edits=[Edit(node.start_mark.index, node.end_mark.index, digits)],
                  sets=[(path, int(digits))])
        msg = f"{slot} must be an integer, not the string \"{text}\": Polytope stops with `Must be an integer`"
        return [at_node(CODE, NAME, msg, file, doc, node, fix)]
    msg = f"{slot} must be an integer, not the string \"{text}\""
    return [at_node(CODE, NAME, msg, file, doc, node, hint="write a whole number or a reference")]


def _specs(d):
    """(path, spec) of each param and input a definition declares."""
    for i, spec in enumerate(items(get(d.node, "params"))):
        yield d.path + ("params", i), spec
    for key, spec in entries(get(d.node, "inputs")):
        yield d.path + ("inputs", value(key)), spec


def _is_int_type(typ) -> bool:
    if is_scalar(typ):
        return text_value(typ) == "int"
    parts = items(typ)
    if len(parts) >= 2 and text_value(parts[0]) in ("default", "maybe"):
        return _is_int_type(parts[1])
    return False
