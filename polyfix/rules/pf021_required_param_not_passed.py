"""PF021 required-param-not-passed: a step runs a spec without a param it requires.

What it does
    Finds each run step (`- tool: api`, `{module: api, args: …}`, `{template: …}`) and each module's
    base (`module: api` with `args:`) that runs a module, tool or template of this project whose
    param or input has no default and is not `[maybe, T]`, without giving it in `args:`. Steps whose
    `args` are computed (a reference or code) are not judged.

Why
    A param with no default is required: Polytope refuses to run the spec without it, so the calling
    step fails and, with it, the stack it belongs to.

Example
    tools:
      api:
        params:
          - { id: db-host, type: str }
        run: [ … ]
      stack:
        run:
          - tool: api          # no `db-host`: `pt run stack` fails

Fix
    None: give the param a default, or pass it from the caller. polyfix's own fixes never add such a
    problem: a fix that would (a param declared without a default) is not applied.
"""
from __future__ import annotations

from ..builtins import is_builtin
from ..document import get, is_map
from ..problem import at_node
from ..project import Project, _kinds_for, is_required, param_specs
from ..validate import involving

CODE = "PF021"
NAME = "required-param-not-passed"
VALIDATOR = True


def check(project: Project, files) -> list:
    wanted = set(files)
    problems = []
    for call in project.calls:
        if call.owner.file not in wanted or is_builtin(call.ref):
            continue
        target = project.lookup(call.ref, call.owner.file, _kinds_for(call))
        if target is None or (call.args is not None and not is_map(call.args)):
            continue
        for name, spec in param_specs(target).items():
            if is_required(spec) and get(call.args, name) is None:
                doc = project.docs[call.owner.file]
                there = project.docs.get(target.file, doc)  # names as written, placeholders and all
                name = there.unmask(name)
                msg = (f"{call.owner.kind} `{doc.unmask(call.owner.name)}` runs {target.kind} "
                       f"`{there.unmask(target.name)}` without `{name}`, a param with no default: the run fails")
                problems.append(involving(at_node(CODE, NAME, msg, call.owner.file, doc, call.ref_node,
                                                  hint=f"pass `{name}` in args, or give it a default"), target))
    return problems
