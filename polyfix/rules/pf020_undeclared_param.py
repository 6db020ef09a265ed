"""PF020 undeclared-param: a param reference that names no declared param.

What it does
    Finds `pt.param x`, `"#pt-param x"`, `{pt.param x}`, `pt.input x` and `{pt.input x}` in a
    module, template or tool whose `params:` list and `inputs:` mapping declare no `x`. Code strings
    (`#pt-clj`, `pt.js` …) and block scalars are not read.

Why
    Polytope resolves a param reference against the spec's own declarations when the step runs; a
    name that is not declared (often a typo, or a param deleted while its uses stayed) stops the run
    there, however long after start-up that is.

Example
    tools:
      api:
        params:
          - { id: port, type: [default, int, 8080] }
        run:
          - tool: polytope/python
            args:
              env:
                - { name: PORT, value: pt.param prot }   # no param `prot`

Fix
    None: whether the name or the declaration is wrong is the author's call. The message suggests the
    nearest declared name.
"""
from __future__ import annotations

from ..problem import at_node
from ..project import Project, param_specs
from ..validate import references, suggestion

CODE = "PF020"
NAME = "undeclared-param"
VALIDATOR = True


def check(project: Project, files) -> list:
    problems = []
    for file in files:
        doc = project.docs[file]
        for d in project.definitions.get(file, []):
            declared = param_specs(d)
            for node, _path, prefix, name, _whole in references(doc, d.path, ("params", "inputs", "info")):
                if prefix not in ("pt.param", "#pt-param", "pt.input") or name in declared:
                    continue
                what = "input" if prefix == "pt.input" else "param"
                msg = (f"`{prefix} {name}` names no param or input of {d.kind} `{d.name}`: the run stops "
                       f"here{suggestion(name, declared)}")
                problems.append(at_node(CODE, NAME, msg, file, doc, node,
                                        hint=f"declare the {what} `{name}` or correct the name"))
    return problems
