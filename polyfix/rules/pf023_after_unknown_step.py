"""PF023 after-unknown-step: a step waits for a step that its run list does not have.

What it does
    Finds `run-when: {after: X}` (templates) and `after: {step: X}` or a list of them (tool steps)
    where X is the id of no step in the same `run:` list. A step's id is its `id:`, else the name
    of what it runs.

Why
    Polytope orders steps only within one run list; an `after` naming a step that is not there
    (renamed, removed, or a module's name where the step has an explicit `id`) cannot be satisfied.

Example
    templates:
      - id: stack
        run:
          - { id: db-init, module: init-db }
          - { module: api, run-when: { after: init-db } }   # the step's id is `db-init`

Fix
    None; the message suggests the nearest step id.
"""
from __future__ import annotations

from ..document import get, is_map, is_scalar, is_seq, items, text_value
from ..problem import at_node
from ..project import Project, step_id, step_target
from ..refs import has_reference
from ..validate import suggestion

CODE = "PF023"
NAME = "after-unknown-step"
VALIDATOR = True


def check(project: Project, files) -> list:
    problems = []
    for file in files:
        doc = project.docs[file]
        for run in project.run_lists(file):
            ids = {step_id(s) for s in run.steps if is_map(s) or is_scalar(s)} - {None}
            for step in run.steps:
                for node in _awaited(step):
                    name = text_value(node)
                    if name is None or has_reference(name) or name in ids:
                        continue
                    runs_it = [step_id(s) for s in run.steps if step_target(s)[0] == name]
                    why = (f" (the step that runs `{name}` has the id `{runs_it[0]}`)" if len(runs_it) == 1
                           else suggestion(name, ids))
                    msg = (f"a step of {run.owner.kind} `{run.owner.name}` waits for `{name}`, which is no step "
                           f"of that run list{why}")
                    problems.append(at_node(CODE, NAME, msg, file, doc, node, hint="name a step of the same run list"))
    return problems


def _awaited(step):
    """The nodes naming the steps a step waits for."""
    after = get(get(step, "run-when"), "after")
    if is_scalar(after):
        yield after
    after = get(step, "after")
    for entry in items(after) if is_seq(after) else [after]:
        if is_scalar(get(entry, "step")):
            yield get(entry, "step")
