"""PF007 module-in-template: a template step carries a module's data instead of running a module.

What it does
    Finds template run steps that run a built-in with its `args:` written in the step
    (`{module: polytope/python, args: {...}}`), and, in the `tools:` format, steps of a stack tool
    (a tool that runs more than one step) that run a built-in long-running service with the args
    that describe it (`image`, `cmd`, `code`, `services`, `env`, `mounts`, `entrypoint`) inline.
    A command runner told never to restart (`restart: {policy: never}`) is a one-shot job of the
    stack, not a service, and stays.

Why
    Templates read best as a short list of what runs, with the module data in modules: a named
    module can be run again, reached by its name from other steps and checked on its own, and the
    template shows at a glance what the stack is made of. In the `tools:` format the same holds
    for stack tools: each service is a tool of its own (one step running the built-in with its
    args), and the stack tool runs them with `- tool: <name>`.

Example
    templates:
      - id: stack
        run:
          - module: polytope/python
            args: { image: python:3.12, cmd: ./bin/run }
            run-when: { after: init }

    becomes

    templates:
      - id: stack
        run:
          - module: python
            run-when: { after: init }
    modules:
      - id: python
        module: polytope/python
        args: { image: python:3.12, cmd: ./bin/run }

    and in the `tools:` format

    tools:
      stack:
        run:
          - tool: api
          - id: worker
            tool: polytope/python
            args: { image: python:3.12, cmd: ./bin/work }
            after: { step: migrate }

    becomes

    tools:
      stack:
        run:
          - tool: api
          - id: worker
            tool: worker
            after: { step: migrate }
      worker:
        run:
          - tool: polytope/python
            args: { image: python:3.12, cmd: ./bin/work }

Fix (safe)
    The step's `args:` move, byte for byte (comments included, re-indented), into a new module at
    the end of `modules:` (created when missing) or, in the `tools:` format, into a new tool after
    the last one (laid out as the stack tool is), and the step runs it by name. Its name is the
    step's `id` when it has one, else the id of the service the args declare, else the built-in's
    service name (`postgres`, `python`), made unique with `-2`, `-3`. The step keeps `run-when` /
    `after` and everything else. A template step keeps its `id` only where an `after` names it, and
    a template step left with nothing else becomes the bare entry `- <name>`; a tool step keeps its
    `id` (it names the step in the tool's `await:` list and in what Polytope shows of a run; PF008
    removes one that only repeats the tool's name) and stays `- tool: <name>`, the form tool run
    lists use. All steps moved in a file share one fix.

    Reported only: args that read the template's or tool's params (`pt.param x`, `pt.input x`,
    `params.x`): the new module or tool would need those params declared; in the `tools:` format,
    args holding code (`pt.js`, `#pt-clj`, ...), a step without an `id` that an `after` or the
    tool's `await:` names (or in a tool holding code, which could name it), and projects with an include polyfix cannot read (`repo: gh:...`): a
    tool there could already have the new name; args sharing a YAML anchor with the rest of the
    file; a layout polyfix does not rewrite (a flow `modules:` list or `tools:` mapping, a line
    that starts left of its args).
"""
from __future__ import annotations

import re

from .. import builtins
from ..builtins import SERVICE
from ..document import entries, get, is_map, is_scalar, is_seq, items, text_value, walk
from ..edits import (Edit, add_list_item, content_end, delete_entry, insert_after, item_prefix,
                     list_item_layout)
from ..pattern import on_first_use
from ..problem import Fix, at_node
from ..project import Project, step_id
from ..refs import CODE_PREFIXES, has_reference
from .pf008_verbose_template import awaited_names

CODE = "PF007"
NAME = "module-in-template"

_SERVICE_ARGS = {"image", "cmd", "code", "services", "env", "mounts", "entrypoint"}
_READS_PARAMS = on_first_use(r"pt\.param|#pt-param|pt\.input|params")


def check(project: Project, files) -> list:
    problems = []
    claimed: dict[str, set] = {}  # include group → the module and tool names given in it
    for file in files:
        doc = project.docs[file]
        moves: list = []  # (problem, plan) of the steps moved into `modules:` by this file's one fix
        tool_moves: list = []  # the same for the steps moved into `tools:`
        # Files joined by includes share one namespace: two of them must not both add `python`.
        names = claimed.setdefault(project.groups.get(file, file), set())
        for run in project.run_lists(file):
            template = run.owner.kind == "template"
            if not template and len(run.steps) < 2:
                continue
            for i, step in enumerate(run.steps):
                ref_node = get(step, "module" if template else "tool")
                ref, args = text_value(ref_node), get(step, "args")
                if not ref or not builtins.is_builtin(ref) or not is_map(args) or not args.value:
                    continue
                if not template and (builtins.base_kind(ref) != SERVICE or not _defines_service(args)
                                     or _runs_once(ref, args)):
                    continue  # scaffolds, one-shot jobs and a built-in given only a volume stay
                if template:
                    plan, why = _plan(project, doc, run, i, step, ref_node, args, names)
                    msg = (f"step runs `{ref}` with its args written in template `{run.owner.name}`: "
                           f"module data belongs in a module of `modules:`, run by name")
                else:
                    plan, why = _plan_tool(project, doc, run, i, step, ref_node, args, names)
                    msg = (f"stack tool `{run.owner.name}` runs `{ref}` with its args inline: "
                           f"the service could be a tool of its own")
                if why:
                    msg += f" ({why})"
                problem = at_node(CODE, NAME, msg, file, doc, step, hint=why)
                problems.append(problem)
                if plan:
                    names.add(plan["name"])
                    (moves if template else tool_moves).append((problem, plan))
        _share_fix(doc, moves)
        _share_tool_fix(doc, tool_moves)
    return problems


def _share_fix(doc, moves: list) -> None:
    """One fix for every step moved in a file: the new modules go to the same place, so fixes of
    their own would collide there and need a pass each."""
    if not moves:
        return
    layout = list_item_layout(doc.text, doc.root, "modules")
    modules = get(doc.root, "modules")
    prefix, col, _step = layout
    lines, edits, deletes, sets, datas = [], [], [], [], []
    for _problem, plan in moves:
        lines += [f"{prefix}id: {plan['name']}{plan['id_comment']}", f"{' ' * col}module: {plan['ref']}"]
        lines += [" " * col + line if line else "" for line in plan["args"]]
        edits += plan["edits"]
        deletes += plan["deletes"]
        sets += plan["sets"]
        datas.append(plan["data"])
    add = add_list_item(doc.text, doc.root, "modules", lines)
    if add is None:
        for problem, _plan in moves:
            problem.hint = "polyfix does not rewrite this layout"
        return
    if modules is None:
        sets.append((("modules",), datas))
    else:
        sets += [(("modules", len(modules.value) + k), d) for k, d in enumerate(datas)]
    names = ", ".join(f"`{plan['name']}`" for _p, plan in moves)
    fix = Fix(f"Move the args into modules ({names}) and run them by name", edits=edits + [add],
              deletes=deletes, sets=sets)
    for problem, _plan in moves:
        problem.fix, problem.hint = fix, ""


def _plan(project: Project, doc, run, i: int, step, ref_node, args, names: set):
    """(how the step's args move into a new module, why they cannot)."""
    text = doc.text
    keys = [text_value(k) for k, _v in entries(step)]
    start, end, moved = _args_text(text, step, args)
    if _READS_PARAMS.search(text[start:end]):
        return None, "its args read the template's params: move them by hand and declare those params"
    if _shares_anchor(doc.root, args):
        return None, _ANCHOR
    if _ends_in_block_scalar(args):
        return None, _BLOCK_END
    modules = get(doc.root, "modules")
    if list_item_layout(text, doc.root, "modules") is None or modules is not None and not is_seq(modules):
        return None, "polyfix does not rewrite this `modules:` layout"
    if moved is None:
        return None, "a line of its args starts left of them"
    ref = text_value(ref_node)
    name = _module_name(project, run, i, step, ref, args, names)
    ident = get(step, "id")
    path = run.owner.path + ("run", i)
    if ident is None and ref in _awaited(run):
        return None, f"a step waits for `{ref}`: give the step that id by hand"
    drop_id = ident is not None and (text_value(ident) == name
                                     or text_value(ident) not in awaited_names(project, run.owner.file))
    left = set(keys) - {"args", "module"} - ({"id"} if drop_id else set())
    outside = text[step.start_mark.index:start] + text[end:content_end(step)]
    if not left and "#" not in outside:  # nothing else in the step: it becomes the bare entry `- name`
        edits, deletes, sets = [Edit(step.start_mark.index, content_end(step), name)], [], [(path, name)]
    else:
        edits = [Edit(ref_node.start_mark.index, ref_node.end_mark.index, name),
                 delete_entry(text, step, keys.index("args"), keep_comment=False)]  # it moves with them
        deletes, sets = [path + ("args",)], [(path + ("module",), name)]
        if drop_id:
            edits.append(delete_entry(text, step, keys.index("id"), keep_comment=False))  # see id_comment
            deletes.append(path + ("id",))
        if None in edits:
            return None, "polyfix does not rewrite this layout"
    data = {"id": name, "module": ref, "args": _data_at(doc.data, path + ("args",))}
    # The comment ending a dropped `id:` line (`- id: db  # the database`) goes with the id, to the
    # new module's: deleting the entry would lose it.
    comment = _line_comment(text, ident) if drop_id else ""
    return {"name": name, "ref": text[ref_node.start_mark.index:ref_node.end_mark.index], "args": moved,
            "edits": edits, "deletes": deletes, "sets": sets, "data": data,
            "id_comment": f"  {comment}" if comment else ""}, ""


def _line_comment(text: str, node) -> str:
    """The comment after a block entry's value on its line (`id: db  # the database`), or ""."""
    line_end = text.find("\n", node.end_mark.index)
    rest = text[node.end_mark.index:len(text) if line_end < 0 else line_end].strip()
    return rest if rest.startswith("#") else ""


def _args_text(text: str, step, args) -> tuple[int, int, list | None]:
    """Where a step's `args:` entry starts and ends (with a comment ending its last line), and its
    lines relative to the `args` key's column (None when a line starts left of it)."""
    args_key = next(k for k, v in entries(step) if v is args)
    start, end = args_key.start_mark.index, content_end(args)
    line_end = text.find("\n", end)
    rest = text[end:] if line_end < 0 else text[end:line_end]
    if rest.strip().startswith("#"):
        end += len(rest.rstrip("\r"))  # the comment ending the args goes with them
    lines = text[start:end].split("\n")
    moved = [lines[0].rstrip("\r")]
    key_col = args_key.start_mark.column
    for line in lines[1:]:
        line = line.rstrip("\r")
        if not line.strip():
            moved.append("")
        elif len(line) - len(line.lstrip(" ")) <= key_col:
            return start, end, None
        else:
            moved.append(line[key_col:])
    return start, end, moved


def _plan_tool(project: Project, doc, run, i: int, step, ref_node, args, names: set):
    """(how a stack tool's step moves its args into a new tool, why it cannot). The step keeps
    every other key, its `id` included: in the `tools:` format the id is the step's name in the
    tool's `await:` list and in what Polytope shows of a run, and no source says what a step's id
    is without one."""
    text = doc.text
    keys = [text_value(k) for k, _v in entries(step)]
    start, end, moved = _args_text(text, step, args)
    source = text[start:end]
    if _READS_PARAMS.search(source):
        return None, "its args read the tool's params: move them by hand and declare those params"
    if any(p in source for p in CODE_PREFIXES):
        return None, "its args hold code, which polyfix does not follow: move them by hand"
    if _shares_anchor(doc.root, args):
        return None, _ANCHOR
    if _ends_in_block_scalar(args):
        return None, _BLOCK_END
    layout = _tool_layout(text, doc.root, run)
    if layout is None or moved is None:
        return None, "polyfix does not rewrite this layout"
    ref = text_value(ref_node)
    if get(step, "id") is None and ref in _awaited(run):
        return None, f"a step waits for `{ref}`: give the step that id by hand"
    owner = text[run.owner.node.start_mark.index:content_end(run.owner.node)]
    if get(step, "id") is None and any(p in owner for p in CODE_PREFIXES):
        # Without an `id`, the step's name changes with what it runs; code could use the old one.
        return None, f"code in tool `{run.owner.name}` could name the step `{ref}`: give it an id by hand"
    name = _module_name(project, run, i, step, ref, args, names)
    if not project.names_knowable(run.owner.file):
        # A tool of an include polyfix cannot read (`repo: gh:...`) may have the same name.
        return None, f"an include polyfix cannot read could define a tool named `{name}`: move it by hand"
    edits = [Edit(ref_node.start_mark.index, ref_node.end_mark.index, name),
             delete_entry(text, step, keys.index("args"), keep_comment=False)]  # it moves with them
    if None in edits:
        return None, "polyfix does not rewrite this layout"
    path = run.owner.path + ("run", i)
    key_col, run_col, prefix = layout
    ref_text = text[ref_node.start_mark.index:ref_node.end_mark.index]
    lines = [f"{' ' * key_col}{name}:", f"{' ' * run_col}run:", f"{prefix}tool: {ref_text}"]
    lines += [" " * len(prefix) + line if line else "" for line in moved]
    data = {"run": [{"tool": ref, "args": _data_at(doc.data, path + ("args",))}]}
    return {"name": name, "lines": lines, "edits": edits, "deletes": [path + ("args",)],
            "sets": [(path + ("tool",), name), (("tools", name), data)]}, ""


def _tool_layout(text: str, root, run) -> tuple[int, int, str] | None:
    """How a new tool copies the stack tool's layout: (the column of its name, of its `run:`, and
    the `  - ` before its step); None for a layout polyfix does not copy (flow collections)."""
    tools = get(root, "tools")
    spec = run.owner.node
    if not is_map(tools) or tools.flow_style or not is_map(spec) or spec.flow_style:
        return None
    prefix = item_prefix(text, run.node)
    if prefix is None:
        return None
    name_key = next(k for k, v in entries(tools) if v is spec)
    run_key = next(k for k, v in entries(spec) if v is run.node)
    return name_key.start_mark.column, run_key.start_mark.column, prefix


def _share_tool_fix(doc, moves: list) -> None:
    """One fix for every step moved into `tools:` in a file: the new tools all go after its last
    tool (a blank line before each where the file separates its tools so)."""
    if not moves:
        return
    tools = get(doc.root, "tools")
    above = doc.text[:entries(tools)[-1][0].start_mark.index].split("\n")[:-1]  # the lines above the last tool
    while above and above[-1].lstrip().startswith("#"):
        above.pop()  # its comments
    spaced = len(entries(tools)) > 1 and bool(above) and not above[-1].strip()
    lines, edits, deletes, sets = [], [], [], []
    for _problem, plan in moves:
        lines += ([""] if spaced else []) + plan["lines"]
        edits += plan["edits"]
        deletes += plan["deletes"]
        sets += plan["sets"]
    add = insert_after(doc.text, tools, lines)
    if add is None:
        for problem, _plan in moves:
            problem.hint = "polyfix does not rewrite this layout"
        return
    names = ", ".join(f"`{plan['name']}`" for _p, plan in moves)
    fix = Fix(f"Move the args into tools of their own ({names}) and run them by name",
              edits=edits + [add], deletes=deletes, sets=sets)
    for problem, _plan in moves:
        problem.fix, problem.hint = fix, ""


def _module_name(project: Project, run, i: int, step, ref: str, args, names: set) -> str:
    """The step's id, else the id of the one service its args declare, else the built-in's
    hostname or name (`redpanda-console`, `python`): the first that names no definition, no other
    step and no module this rule names, else the first made unique with `-2`, `-3`."""
    taken = {d.name for f in project.group_files(run.owner.file) for d in project.definitions.get(f, [])}
    taken |= {step_id(s) for j, s in enumerate(run.steps) if j != i} | names
    taken |= _awaited(run) - {step_id(step)}  # a wait for a step that is not there stays unmet
    services = items(get(args, "services"))
    fallback = builtins.SERVICE_HOSTS.get(builtins.normalise(ref)) or ref.rsplit("/", 1)[-1].replace("!", "-")
    candidates = [text_value(get(step, "id")),
                  text_value(get(services[0], "id")) if len(services) == 1 else None,
                  text_value(get(args, "service-id")), text_value(get(args, "id")), fallback]
    ok = [c for c in candidates if c and not has_reference(c) and re.fullmatch(r"[a-z0-9_-]+", c)]
    for c in ok:
        if c not in taken:
            return c
    base, n = (ok[0] if ok else "module"), 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _defines_service(args) -> bool:
    """Whether a tool step's args describe the service itself (what it runs), not only a volume or
    an id given to a built-in."""
    return any(text_value(k) in _SERVICE_ARGS for k, _v in entries(args))


_ANCHOR = "its args share a YAML anchor (`&x`, `*x`) with the rest of the file: move them by hand"


_BLOCK_END = "its args end in a block scalar (`|`, `>`), whose end polyfix does not move: move them by hand"


def _ends_in_block_scalar(node) -> bool:
    """Whether the last text of a block collection is a `|`/`>` scalar: its end lies past its line
    break (and blank lines), so the args' text has no clean end to cut at."""
    while node is not None and not is_scalar(node) and not node.flow_style and node.value:
        node = node.value[-1][1] if is_map(node) else node.value[-1]
    return is_scalar(node) and node.style in ("|", ">")


def _shares_anchor(root, args) -> bool:
    """Whether a node of the args is also reached from elsewhere (an anchor and its alias): moved
    below its alias, an anchor no longer parses. Composed aliases are the anchored node itself."""
    seen, shared = set(), set()
    for node, *_rest in walk(root):
        (shared if id(node) in seen else seen).add(id(node))
    return any(id(node) in shared for node, *_rest in walk(args))


def _runs_once(ref: str, args) -> bool:
    """A command runner told never to restart is a one-shot job of the stack, not a service."""
    return builtins.is_command_runner(ref) and text_value(get(get(args, "restart"), "policy")) == "never"


def _awaited(run) -> set:
    """The step ids something in the run list waits for: `run-when: {after: X}` (templates),
    `after: {step: X}` or a list of those, and the tool's `await:` list."""
    names = {text_value(n) for n in items(get(run.owner.node, "await"))}
    for s in run.steps:
        names.add(text_value(get(get(s, "run-when"), "after")))
        after = get(s, "after")
        for entry in items(after) or [after]:
            names.add(text_value(get(entry, "step")))
    return names


def _data_at(data, path: tuple):
    for p in path:
        data = data[p]
    return data
