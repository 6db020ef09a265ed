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

    With `after-on-service = "await-false"` in the configuration, the ordering stays and the
    service gets `await: false` instead, so the step returns once its container has started and
    the staged start is kept: in the awaited step's args when it runs a built-in (a bare step
    becomes `{module: X, args: {await: false}}`), else in the one place of this file where the
    local module or tool it runs starts its service container. Where that is not one literal place
    (several services, computed args, another file), the problem is only reported.
"""
from __future__ import annotations

from ..builtins import SERVICE, is_builtin
from ..document import entries, get, is_map, is_scalar, is_seq, items, text_value
from ..edits import Edit, add_entry, delete_entry, delete_item
from ..problem import Fix, at_node
from ..project import Project, step_id, step_target

CODE = "PF003"
NAME = "after-on-service"


def check(project: Project, files) -> list:
    problems = []
    for file in files:
        doc = project.docs[file]
        for run in project.run_lists(file):
            env = project.env_of(run.owner)
            ids = [step_id(s) for s in run.steps]  # once per run list, not once per ordering
            for i, step in enumerate(run.steps):
                if not is_map(step):
                    continue

                def waits_on_service(name_node, i=i):
                    found = [s for j, s in enumerate(run.steps) if j != i and ids[j] == name_node.value]
                    if len(found) != 1:
                        return None
                    verdict = project.classify_step(found[0], env)
                    return verdict.why if verdict.kind == SERVICE else None

                path = run.owner.path + ("run", i)
                for name_node, why, fix in _orderings(doc.text, step, path, waits_on_service):
                    msg = (f"waits for `{name_node.value}`, which never finishes ({why}): "
                           f"this step never starts")
                    if project.after_on_service == "await-false":
                        j = next(j for j, s in enumerate(run.steps) if j != i and ids[j] == name_node.value)
                        fix = _await_false(project, file, run, j)
                    by_hand = ("add `await: false` where its container starts, or remove the ordering, by hand"
                               if project.after_on_service == "await-false" else "remove the ordering by hand")
                    problems.append(at_node(CODE, NAME, msg, file, doc, name_node, fix,
                                            hint="" if fix else by_hand))
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


def _await_false(project: Project, file: str, run, j: int):
    """The fix adding `await: false` where the blocking step's container is started: that step's
    args when it runs a built-in, else the one place inside the local specs it runs that does (a
    module's base call, or the one service step of a tool or template). None when that place is not
    one literal site in this file."""
    site = _container_site(project, run.owner, run.steps[j], run.owner.path + ("run", j), 0)
    if site is None:
        return None
    owner, node, path, ref = site
    if owner.file != file:
        return None
    text = project.docs[file].text
    message = f"Add `await: false` to `{ref}` (it returns once its container has started)"
    if is_scalar(node):  # a bare step: `- polytope/postgres`
        key = "module" if owner.kind == "template" else "tool"
        new = f"{{{key}: {node.value}, args: {{await: false}}}}"
        return Fix(message, edits=[Edit(node.start_mark.index, node.end_mark.index, new)],
                   sets=[(path, {key: node.value, "args": {"await": False}})])
    args = get(node, "args")
    if args is None:
        edit = add_entry(text, node, "args", "{await: false}")
        return Fix(message, edits=[edit], sets=[(path + ("args",), {"await": False})]) if edit else None
    if not is_map(args) or get(args, "await") is not None:
        return None
    edit = add_entry(text, args, "await", "false")
    return Fix(message, edits=[edit], sets=[(path + ("args", "await"), False)]) if edit else None


def _container_site(project: Project, owner, step, path: tuple, depth: int):
    """(definition holding it, the step or module node that calls a built-in service, its data path,
    the name shown) for the service a step runs; None when it is not one place polyfix can read."""
    ref, _node, kinds = step_target(step)
    if ref is None or depth > 10 or (not is_scalar(step) and not is_map(step)):
        return None
    if is_builtin(ref):
        return owner, step, path, ref
    d = project.lookup(ref, owner.file, kinds)
    if d is None or (is_map(step) and get(step, "args") is not None and not is_map(get(step, "args"))):
        return None
    if d.kind == "module":
        base = text_value(get(d.node, "module"))
        if base and is_builtin(base):
            return d, d.node, d.path, d.name
        return None
    env = project.env_of(d)
    services = [(k, s) for k, s in enumerate(items(get(d.node, "run")))
                if project.classify_step(s, env).kind == SERVICE]
    if len(services) != 1:
        return None
    k, s = services[0]
    return _container_site(project, d, s, d.path + ("run", k), depth + 1)


def _remove_key(text, mapping, key, path, message):
    i = next(i for i, (k, _v) in enumerate(entries(mapping)) if text_value(k) == key)
    edit = delete_entry(text, mapping, i)
    return Fix(message, edits=[edit], deletes=[path + (key,)]) if edit else None
