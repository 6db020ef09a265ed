"""PF022 unknown-name: a step runs a module, tool or template that does not exist.

What it does
    Finds a `module:`, `tool:` or `template:` reference, a bare run entry (`- api`) or a module's base
    that names nothing defined in the file or the files joined to it by `include:`, and is no
    built-in. Only where the answer is certain: when a file of the group includes a remote repository
    (`repo: gh:…`) or a local file polyfix did not read, names may be defined there, and nothing is
    said. `owner/name` references to other repositories are not judged; `polytope/<x>` is judged
    against the built-in packages polyfix knows.

Why
    Polytope looks the name up when the step runs; a name that resolves to nothing (a typo, a module
    renamed while its callers were not) fails the run.

Example
    tools:
      api: { run: [ … ] }
      stack:
        run:
          - tool: apii        # no tool `apii` (did you mean `api`?)

Fix
    None; the message suggests the nearest defined name.
"""
from __future__ import annotations

from .. import builtins
from ..problem import at_node
from ..project import Project
from ..refs import has_reference
from ..validate import nearest, suggestion

CODE = "PF022"
NAME = "unknown-name"
VALIDATOR = True


def check(project: Project, files) -> list:
    wanted = set(files)
    problems = []
    knowable: dict[str, bool] = {}
    names_in: dict[str, set] = {}  # group → the names defined in it
    for call in project.calls:
        file, ref = call.owner.file, call.ref
        if file not in wanted or has_reference(ref):
            continue
        doc = project.docs[file]
        if builtins.is_builtin(ref):
            package = builtins.package(ref)
            if package is not None and package not in builtins.PACKAGES:
                best = nearest(package, builtins.PACKAGES)
                msg = f"`{ref}` is no built-in module polyfix knows of" + (
                    f" (did you mean `polytope/{best}`?)" if best else "")
                problems.append(at_node(CODE, NAME, msg, file, doc, call.ref_node,
                                        hint="check the module's name"))
            continue
        if any(c in ref for c in "/@:!") or ref.strip() != ref:
            continue  # another repository's module, or a form polyfix does not read
        group = project.groups.get(file, file)
        if group not in names_in:
            names_in[group] = {d.name for f in project.group_files(file) for d in project.definitions.get(f, [])}
        names = names_in[group]
        if ref in names:
            continue
        if file not in knowable:
            knowable[file] = project.names_knowable(file)
        if not knowable[file]:
            continue
        msg = (f"{call.owner.kind} `{call.owner.name}` runs `{ref}`, which is defined nowhere in this "
               f"project{suggestion(ref, names - {call.owner.name})}")  # never the caller itself
        problems.append(at_node(CODE, NAME, msg, file, doc, call.ref_node, hint="define it or correct the name"))
    return problems
