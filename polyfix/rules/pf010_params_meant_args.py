"""PF010 params-meant-args: a derived module gives its values under `params:` where `args:` was meant.

What it does
    Finds a module that builds on another (`module: X`) and gives `params:` as a mapping of values
    (`params: {cmd: bin/test}`).

Why
    `params:` declares the params a module takes: it is a list of `{id, type, info}` specs, never a
    mapping. The values a derived module passes to the module it builds on go in `args:`. With
    `params:` as a mapping, Polytope rejects the module, or the values never reach the base module
    and it runs with its defaults.

Example
    modules:
      - id: api-test
        module: api
        params: {cmd: bin/test}    # meant: args: {cmd: bin/test}

Fix (safe)
    Renames `params:` to `args:`; where the module already has an `args:` mapping, moves each entry
    into it (in its style: inside its braces, or as lines re-indented to its entries) and removes
    `params:`. A mapping is never a valid params list, so nothing that worked changes. Left for a
    human: a key given in both mappings, an `args:` that is not a literal mapping, and entries that
    span lines when `args:` is written `{ ... }`.
"""
from __future__ import annotations

from ..document import entries, get, is_map, text_value
from ..edits import Edit, content_end, delete_entry, insert_after
from ..problem import Fix, at_node
from ..project import Project

CODE = "PF010"
NAME = "params-meant-args"


def check(project: Project, files) -> list:
    problems = []
    for file in files:
        doc = project.docs[file]
        for d in project.definitions.get(file, []):
            params = get(d.node, "params")
            if d.kind != "module" or not text_value(get(d.node, "module")) or not is_map(params):
                continue
            key = next(k for k, _v in entries(d.node) if text_value(k) == "params")
            fix, hint = _fix(doc, d, key, params)
            msg = (f"module `{d.name}` builds on `{text_value(get(d.node, 'module'))}` and gives `params:` as "
                   f"a mapping of values: values passed to a module go in `args:` (`params:` is a list of specs)")
            problems.append(at_node(CODE, NAME, msg, file, doc, key, fix, hint))
    return problems


def _fix(doc, d, key, params):
    text = doc.text
    path = d.path
    moved_data = _data(doc.data, path + ("params",))
    args = get(d.node, "args")
    if args is None:
        fix = Fix("Rename `params:` to `args:`", edits=[Edit(key.start_mark.index, key.end_mark.index, "args")],
                  deletes=[path + ("params",)], sets=[(path + ("args",), moved_data)])
        return fix, ""
    if not is_map(args):
        return None, "`args:` is not a literal mapping: move the values into it by hand"
    given = {text_value(k) for k, _v in entries(args)}
    both = [text_value(k) for k, _v in entries(params) if text_value(k) in given]
    if both:
        return None, f"{', '.join(f'`{b}`' for b in both)} given in both `params:` and `args:`: merge by hand"
    if not params.value:
        i = next(i for i, (k, _v) in enumerate(entries(d.node)) if k is key)
        edit = delete_entry(text, d.node, i)
        return (Fix("Remove the empty `params:`", edits=[edit], deletes=[path + ("params",)]), "") if edit else (None, "")
    insert = _insert(text, args, params)
    i = next(i for i, (k, _v) in enumerate(entries(d.node)) if k is key)
    delete = delete_entry(text, d.node, i, keep_comment=False)  # each entry's comment moves with it
    if insert is None or delete is None:
        return None, "move the values into `args:` by hand"
    removed = text[delete.start:delete.end]
    for piece in _pieces(text, params):
        removed = removed.replace(piece, "", 1)
    if "#" in removed:  # a comment beside `params:` that moving the values would drop
        return None, "a comment beside `params:` would be lost: move the values into `args:` by hand"
    sets = [(path + ("args", k), v) for k, v in moved_data.items()]
    return Fix("Move the `params:` values into `args:`", edits=[delete, insert],
               deletes=[path + ("params",)], sets=sets), ""


def _pieces(text: str, params) -> list[str]:
    """The text of each entry of `params`, a block entry with the rest of its line (its comment)."""
    ends = [max(content_end(k), content_end(v)) for k, v in entries(params)]
    if not params.flow_style:  # a block entry's line keeps its comment
        ends = [e if text.find("\n", e) < 0 else text.find("\n", e) for e in ends]
    return [text[k.start_mark.index:e].rstrip("\r") for (k, _v), e in zip(entries(params), ends)]


def _insert(text: str, args, params) -> Edit | None:
    """The edit adding the entries of `params` to `args`, in the style of `args`."""
    pieces = _pieces(text, params)
    if args.flow_style:
        if any("\n" in p or "#" in p for p in pieces) or text[args.end_mark.index - 1] != "}":
            return None  # a line break or a comment (which would swallow the closing brace) does not fit
        if not args.value:
            start, at = args.start_mark.index + 1, args.end_mark.index - 1
            if text[start:at] and not text[start:at].strip():  # `{ }`: the entries inside its spaces
                return Edit(start, at, " " + ", ".join(pieces) + " ")
            return Edit(at, at, ", ".join(pieces))
        last = max(content_end(args.value[-1][0]), content_end(args.value[-1][1]))
        return Edit(last, last, "".join(", " + p for p in pieces))
    if not args.value:
        return None
    col = args.value[0][0].start_mark.column
    if params.flow_style:
        if any("\n" in p for p in pieces):
            return None
        return insert_after(text, args, [" " * col + p for p in pieces])
    shift = col - params.value[0][0].start_mark.column
    lines = []
    for p in pieces:
        first, *rest = p.split("\n")
        lines.append(" " * col + first)
        for line in rest:
            if not line.strip():
                lines.append(line.rstrip("\r"))
                continue
            if shift < 0 and line[:-shift].strip():
                return None
            lines.append(" " * shift + line.rstrip("\r") if shift >= 0 else line[-shift:].rstrip("\r"))
    return insert_after(text, args, lines)


def _data(data, path: tuple):
    for p in path:
        data = data[p]
    return data
