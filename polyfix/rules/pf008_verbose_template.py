"""PF008 verbose-template: a template says more than it needs to.

What it does
    In the `templates:` format, finds
    - a run step whose `id` is the name of the module it runs (`{id: api, module: api}`), or an `id`
      nothing needs: the module runs once in that run list, no `run-when: {after: …}` or `after:`
      of the file (or of the files it includes) names the id, and the template holds no code;
    - a step that is `{module: X}` and nothing else, which is the bare entry `- X`;
    - a template param that nothing in the template uses (no `pt.param x`, `#pt-param x`,
      `{pt.param x}`, nor the name anywhere else in the template).

    In the `tools:` format, finds
    - a run step whose `id` is the name of the tool it runs (`{id: api, tool: api}`) where nothing
      names the id: no other step of the run list has that id, no `after: {step: …}` or tool
      `await:` list of the file (or of the files it includes) names it, and the tool holds no code;
    - a tool param (`params:`) or input (`inputs:`) that nothing in the tool uses (reported only).

Why
    A step's id is the name of the module it runs unless it says otherwise; an explicit id is only
    needed to run one module twice in a run list, or to name a different step for `after`. Templates
    are easier to read when they list what they run and nothing more: the module data belongs in
    modules, and a template's params are its interface, so an unused one misleads its callers.

Example
    templates:
      - id: stack
        params:
          - { id: unused, type: str }     # read nowhere
        run:
          - { id: api, module: api }
          - module: web

    becomes

    templates:
      - id: stack
        run:
          - api
          - web

Fix (safe)
    Removes the `id:` entry, writes a `{module: X}` step as `- X` (both in one edit where a step has
    both), and removes the unused param (the `params:` key when every param goes). Steps keep
    their ids: an id is removed only where the step's id stays the same, or where nothing refers to
    it. Not fixed: a param that a caller passes in its `args:` (remove it there too), and params of a
    template holding code (`#pt-js …`), which may read params in ways polyfix cannot follow, nor a
    `params:` list or param templates share through a YAML anchor (`&p` … `*p`): a removal
    changes them all. In a
    tool run list the `id:` entry goes the same way (`{id: api, tool: api}` becomes `{tool: api}`),
    only where nothing names it: no Polytope source says what a tool step's id is without one.

    What does not carry over to the `tools:` format: the bare form (tool run lists are written
    `- tool: X`, and no Polytope source shows a bare name there), so `{tool: X}` stays; ids other
    than the tool's name (there they label steps: in the tool's `await:` list and in what Polytope
    shows of a run, and the newer format's examples give every step one), so they stay; and an
    unused tool param or input is reported, not removed: a tool is what `pt run` and agents call,
    so its params are its interface, and in real projects an unused one is more often a param the
    author forgot to pass on (every caller gives it) than one to drop.
"""
from __future__ import annotations

from .. import builtins
from ..document import entries, get, is_map, is_scalar, is_seq, is_shared, items, text_value, written_in
from ..edits import Edit, content_end, delete_entry, delete_item
from ..pattern import camel_case
from ..problem import Fix, at_node
from ..project import Project, step_id, step_target
from ..refs import CODE_PREFIXES, has_reference

CODE = "PF008"
NAME = "verbose-template"


def check(project: Project, files) -> list:
    problems = []
    for file in files:
        doc = project.docs[file]
        awaited = awaited_names(project, file)
        for run in project.run_lists(file):
            check_step = _check_step if run.owner.kind == "template" else _check_tool_step
            for i, step in enumerate(run.steps):
                found = check_step(doc, run, i, step, awaited)
                if found:
                    problems.append(found)
        for d in project.definitions.get(file, []):
            if d.kind == "template":
                problems.extend(_unused_params(project, doc, d))
            elif d.kind == "tool":
                problems.extend(_unused_tool_params(doc, d))
    return problems


def awaited_names(project: Project, file: str) -> set:
    """The step ids that some `after` or a tool's `await:` list in the file's include group names
    (in any run list: an id used as a name elsewhere is a convention worth keeping)."""
    names = set()
    for f in project.group_files(file):
        for run in project.run_lists(f):
            names |= {text_value(n) for n in items(get(run.owner.node, "await"))}
            for s in run.steps:
                names.add(text_value(get(get(s, "run-when"), "after")))
                after = get(s, "after")
                for entry in items(after) or [after]:
                    names.add(text_value(get(entry, "step")))
    return names


def _check_step(doc, run, i: int, step, awaited: set):
    if not is_map(step) or is_shared(doc.text, step):
        return None
    module = get(step, "module")
    ref = text_value(module)
    if not ref or has_reference(ref) or not is_scalar(module):
        return None
    if builtins.is_builtin(ref) and is_map(get(step, "args")) and get(step, "args").value:
        return None  # PF007 moves the whole step into a module
    keys = [text_value(k) for k, _v in entries(step)]
    ident = get(step, "id")
    path = run.owner.path + ("run", i)
    drop_id = ident is not None and _id_unneeded(doc, run, i, text_value(ident), ref, awaited)
    if ident is not None and not drop_id:
        return None
    if keys == ["module"] or sorted(keys) == ["id", "module"]:
        span = doc.text[step.start_mark.index:content_end(step)]
        fix = None
        if "#" not in span:  # a comment inside would be lost
            source = doc.text[module.start_mark.index:module.end_mark.index]
            fix = Fix(f"Write the step as `- {ref}`", edits=[Edit(step.start_mark.index, content_end(step), source)],
                      sets=[(path, ref)])
        what = f"`{{module: {ref}}}` is the same step as the bare entry `- {ref}`"
        if drop_id:
            what = f"{_why_id(ident, ref)}, and the step is then the bare entry `- {ref}`"
        return at_node(CODE, NAME, what, run.owner.file, doc, step, fix,
                       hint="" if fix else "a comment is in the way: write it by hand")
    if not drop_id:
        return None
    index = keys.index("id")
    edit = delete_entry(doc.text, step, index)
    fix = Fix("Remove the step's `id`", edits=[edit], deletes=[path + ("id",)]) if edit else None
    return at_node(CODE, NAME, _why_id(ident, ref), run.owner.file, doc, ident, fix,
                   hint="" if fix else "remove the `id` by hand")



def _check_tool_step(doc, run, i: int, step, awaited: set):
    """In a tool's run list only an `id` equal to the tool the step runs goes, where nothing names
    it: other ids label the step (the tool's `await:` list, what Polytope shows of a run), and the
    bare form `- X` is not used in tool run lists."""
    if not is_map(step) or is_shared(doc.text, step):
        return None
    tool, ident = get(step, "tool"), get(step, "id")
    ref, name = text_value(tool), text_value(ident)
    if not ref or name != ref or has_reference(ref) or not is_scalar(tool):
        return None
    others = [s for j, s in enumerate(run.steps) if j != i]
    if any(step_id(s) == name for s in others) or not _unreferenced(doc, run, name, awaited):
        return None
    keys = [text_value(k) for k, _v in entries(step)]
    edit = delete_entry(doc.text, step, keys.index("id"))
    path = run.owner.path + ("run", i)
    fix = Fix("Remove the step's `id`", edits=[edit], deletes=[path + ("id",)]) if edit else None
    return at_node(CODE, NAME, f"step id `{name}` is the name of the tool it runs: the id adds nothing",
                   run.owner.file, doc, ident, fix, hint="" if fix else "remove the `id` by hand")


def _why_id(ident, ref: str) -> str:
    name = text_value(ident)
    if name == ref:
        return f"step id `{name}` is the name of the module it runs: the id adds nothing"
    return f"step id `{name}` is not needed: `{ref}` runs once in this run list and nothing refers to `{name}`"


def _id_unneeded(doc, run, i: int, name: str | None, ref: str, awaited: set) -> bool:
    """Whether the step keeps its meaning without its `id`."""
    if name is None:
        return False
    if name == ref:
        return True
    others = [s for j, s in enumerate(run.steps) if j != i]
    if any(step_target(s)[0] == ref or step_id(s) in (ref, name) for s in others):
        return False  # the module runs twice, or the ids would clash: the id is needed
    return _unreferenced(doc, run, name, awaited)


def _unreferenced(doc, run, name: str, awaited: set) -> bool:
    """Whether nothing names the step id `name`: no `after` or `await:` of the include group, no
    ordering polyfix cannot read, no code in the run list's template or tool."""
    if name in awaited or any(has_reference(n) for n in awaited if n):
        return False  # named, or an ordering by a param's value could name any step
    for s in run.steps:
        after = get(get(s, "run-when"), "after")
        if after is not None and text_value(after) is None:
            return False  # an ordering polyfix cannot read could name it
        for entry in items(get(s, "after")) or [get(s, "after")]:
            if entry is not None and (text_value(get(entry, "step")) is None or has_reference(text_value(get(entry, "step")))):
                return False
    if get(run.owner.node, "await") is not None and not is_seq(get(run.owner.node, "await")):
        return False
    owner = doc.text[run.owner.node.start_mark.index:content_end(run.owner.node)]
    if any(p in owner for p in CODE_PREFIXES):
        return False  # code could name the step
    return True


def _unused_params(project: Project, doc, d):
    params = get(d.node, "params")
    specs = items(params)
    if not specs:
        return
    text = doc.text
    start, end = d.node.start_mark.index, content_end(d.node)
    rest = text[start:params.start_mark.index] + "\n" + text[content_end(params):end]
    if not written_in(params, d.node):  # `params: *alias`: the list stands elsewhere
        rest = text[start:end]
    key_node = next(k for k, v in entries(d.node) if v is params)
    rest = rest.replace(text[key_node.start_mark.index:key_node.end_mark.index], "", 1)
    if any(p in text[start:end] for p in CODE_PREFIXES):
        return
    path = d.path + ("params",)
    unused = []  # (index, spec, name, whether a caller passes it)
    for j, spec in enumerate(specs):
        name = text_value(get(spec, "id"))
        if name and not _mentions(rest, name):
            unused.append((j, spec, name, any(get(c.args, name) is not None or not is_map(c.args) and c.args is not None
                                              for c in project.callers(d))))
    # When every param goes, one fix shared by their problems removes `params:`: items removed one
    # by one would each hold alone, and together leave an empty `params:`.
    every = sum(not passed for *_rest, passed in unused) == len(specs)
    # A list shared through an anchor is declared by every template that holds it: a removal for
    # one changes the others (and the alias of a removed `params:` would be left dangling). The
    # same holds for an anchored item; the other items of its list may go, one by one.
    list_shared = is_shared(doc.text, params)
    item_shared = [is_shared(doc.text, spec) for spec in specs]
    remove_all = every and not list_shared and not any(item_shared)
    whole = None
    if remove_all:
        index = next(k for k, (key, _v) in enumerate(entries(d.node)) if key is key_node)
        edit = delete_entry(text, d.node, index)
        whole = Fix("Remove `params:`", edits=[edit], deletes=[path]) if edit else None
    for j, spec, name, passed in unused:
        fix = whole
        shared = list_shared or item_shared[j]
        if not passed and not remove_all and not shared:
            edit = delete_item(text, params, j)
            fix = Fix(f"Remove the param `{name}`", edits=[edit], deletes=[path + (j,)]) if edit else None
        msg = f"template `{d.name}` declares the param `{name}`, which nothing in it uses"
        if passed:
            hint = "remove it, and the args that pass it"
        elif fix:
            hint = ""
        elif shared:
            hint = "it is shared through a YAML anchor: remove it by hand if no template that shares it uses it"
        else:
            hint = "remove it by hand"
        if passed:
            msg += " (a caller passes it: remove it there too)"
        yield at_node(CODE, NAME, msg, d.file, doc, get(spec, "id") or spec, fix, hint=hint)


def _unused_tool_params(doc, d):
    """A tool's params (`params:` list) and inputs (`inputs:` mapping) that nothing in the tool
    reads, reported only: a tool is what `pt run` and agents call, so its params are its
    interface, and in real projects such a param is more often one the author forgot to pass on
    (`create`, given by every caller, read nowhere) than one to drop."""
    text = doc.text
    start, end = d.node.start_mark.index, content_end(d.node)
    if any(p in text[start:end] for p in CODE_PREFIXES):
        return
    for section, kind in (("params", "param"), ("inputs", "input")):
        node = get(d.node, section)
        if node is None:
            continue
        rest = text[start:node.start_mark.index] + "\n" + text[content_end(node):end]
        found = [(text_value(get(spec, "id")), get(spec, "id") or spec) for spec in items(node)]
        found += [(text_value(key), key) for key, _spec in entries(node)]
        for name, at in found:
            if name and not _mentions(rest, name):
                msg = (f"tool `{d.name}` declares the {kind} `{name}`, which nothing in it uses "
                       f"(pass it on where it was meant to go, or remove it)")
                yield at_node(CODE, NAME, msg, d.file, doc, at,
                              hint="a tool's params are its interface to callers and agents: decide by hand")


def _mentions(text: str, name: str) -> bool:
    camel = camel_case(name)
    return any(_whole_word_in(text, n) for n in {name, camel})


def _whole_word_in(text: str, word: str) -> bool:
    """`(?<![\\w-])WORD(?![\\w-])` searched in `text`, without a pattern compiled per name."""
    at = text.find(word)
    while at >= 0:
        end = at + len(word)
        if not (at and _word_char(text[at - 1])) and not (end < len(text) and _word_char(text[end])):
            return True
        at = text.find(word, at + 1)
    return False


def _word_char(c: str) -> bool:
    return c.isalnum() or c in "_-"  # what `\\w` matches, and the hyphen
