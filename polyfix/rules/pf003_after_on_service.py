"""PF003 after-on-service: a step waits for a long-running service, so it never starts.

What it does
    Finds `run-when: {after: X}` (templates) and `after: {step: X}` or a list of them (tool run
    steps) where X is a step of the same run list that never finishes: a container-based module
    (polytope/python, node, container, postgres, redpanda, couchbase, ...) directly or through local
    modules and tools.

Why
    Container-based modules block until their container exits, so a service step never completes
    and whatever waits for it waits forever: the stack hangs with no error. Steps in a run list
    already start in parallel; a service that needs another should retry its connection instead.

Example
    templates:
      - id: stack
        run:
          - api
          - id: web
            module: web
            run-when: {after: api}    # api runs polytope/python: web never starts

Fix (safe)
    Removes exactly the orderings that name a service: the `run-when:` key when nothing else is left
    in it (an `after-condition` only qualifies `after` and goes with it), or the service entries of an
    `after:` list. Orderings on one-shot jobs stay: couchbase and kafka init modules, scaffold,
    pt/run-script, inline code steps, command runners with `restart: {policy: never}`, and any step
    run with `await: false`. A target polyfix cannot resolve (a remote module, a computed name) is
    never touched.
"""
from __future__ import annotations

from ..builtins import SERVICE
from ..document import entries, get, is_map, is_scalar, is_seq, items, text_value
from ..edits import delete_entry, delete_item
from ..problem import Fix, at_node
from ..project import Project, step_id

CODE = "PF003"
NAME = "after-on-service"


def check(project: Project, files) -> list:
    problems = []
    for file in files:
        doc = project.docs[file]
        for run in project.run_lists(file):
            env = project.env_of(run.owner)
            for i, step in enumerate(run.steps):
                if not is_map(step):
                    continue

                def waits_on_service(name_node, i=i):
                    found = [s for j, s in enumerate(run.steps) if j != i and step_id(s) == name_node.value]
                    if len(found) != 1:
                        return None
                    verdict = project.classify_step(found[0], env)
                    return verdict.why if verdict.kind == SERVICE else None

                path = run.owner.path + ("run", i)
                for name_node, why, fix in _orderings(doc.text, step, path, waits_on_service):
                    msg = (f"waits for `{name_node.value}`, which never finishes ({why}): "
                           f"this step never starts")
                    problems.append(at_node(CODE, NAME, msg, file, doc, name_node, fix,
                                            hint="" if fix else "remove the ordering by hand"))
    return problems


def _orderings(text: str, step, path: tuple, waits_on_service):
    """(node naming the awaited service, why it is one, the fix removing that wait) for each
    ordering of a step on a service."""
    run_when = get(step, "run-when")
    after = get(run_when, "after")
    if is_scalar(after) and text_value(after) and (why := waits_on_service(after)):
        rest = [text_value(k) for k, _ in entries(run_when) if text_value(k) not in ("after", "after-condition")]
        fix = None if rest else _remove_key(text, step, "run-when", path, "Remove the `run-when` ordering")
        yield after, why, fix
    after = get(step, "after")
    if is_map(after) and is_scalar(get(after, "step")):
        name = get(after, "step")
        if why := waits_on_service(name):
            yield name, why, _remove_key(text, step, "after", path, "Remove the `after` ordering")
    elif is_seq(after):
        names = [get(entry, "step") for entry in items(after)]
        found = [(j, n, why) for j, n in enumerate(names) if is_scalar(n) and (why := waits_on_service(n))]
        whole = len(found) == len(names)
        for j, name, why in found:
            if whole:  # every ordering goes: so does the key (an empty list would mean something else)
                fix = _remove_key(text, step, "after", path, "Remove the `after` ordering")
            else:
                edit = delete_item(text, after, j)
                fix = Fix(f"Remove `{{step: {name.value}}}` from `after`", edits=[edit],
                          deletes=[path + ("after", j)]) if edit else None
            yield name, why, fix


def _remove_key(text, mapping, key, path, message):
    i = next(i for i, (k, _v) in enumerate(entries(mapping)) if text_value(k) == key)
    edit = delete_entry(text, mapping, i)
    return Fix(message, edits=[edit], deletes=[path + (key,)]) if edit else None
