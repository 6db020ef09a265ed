"""Declaring params and writing references, shared by the rules that turn literals or values into
params and secrets (PF001, PF005, PF006): the declaration goes on the spec that uses it, in the
file's own conventions (`params:` list or `inputs:` map, block or flow, `"#pt-param x"` or
`pt.param x`)."""
from __future__ import annotations

# json: imported where used, since most runs never need it (start-up time counts in a hook)

import functools

from .document import entries, get, is_map, is_seq, is_shared, items, text_value, written_in
from .edits import Edit, eol_of, indent_width, insert_after, item_prefix, padded_flow_map, seq_offset
from .pattern import plain_name, plain_word
from .project import Definition


@functools.lru_cache(maxsize=64)  # asked for every fix in a file: its text is counted once
def hash_style(text: str, kinds=("param",)) -> bool:
    """Whether a file writes whole references the older way (`"#pt-param x"`) more than the newer
    (`pt.param x`), counting the reference kinds given."""
    old = sum(text.count(f"#pt-{k} ") for k in kinds)
    new = sum(text.count(f"pt.{k} ") for k in kinds)
    return old > new


def use_inputs(d: Definition, file_prefers_inputs: bool) -> bool:
    """Whether new declarations on `d` go under `inputs:` (used as `pt.input x`): where the spec has
    an `inputs:` map, or is a tool with neither key in a file that uses only `inputs:`
    (`prefers_inputs` of the file's definitions)."""
    params, inputs = get(d.node, "params"), get(d.node, "inputs")
    return is_map(inputs) or (inputs is None and params is None and file_prefers_inputs and d.kind == "tool")


def whole_reference(kind: str, name: str, hashed: bool) -> str:
    """The text of a whole-scalar reference (`pt.secret x`, or `"#pt-secret x"`, quoted: a plain
    scalar starting with `#` would be a comment)."""
    return f'"#pt-{kind} {name}"' if hashed else f"pt.{kind} {name}"




def declaration(doc, d: Definition, new: list[tuple], use_inputs: bool):
    """(the edit declaring params/inputs, the data it adds), in the file's style; None when the
    layout is not one polyfix can extend safely."""
    text = doc.text
    if d.node.flow_style:
        return None
    key = "inputs" if use_inputs else "params"
    existing = get(d.node, key)
    key_col = d.node.value[0][0].start_mark.column
    if existing is not None and not (is_seq(existing) if key == "params" else is_map(existing)):
        return None
    if existing is not None and (is_shared(text, existing) or not written_in(existing, d.node)):
        return None  # shared through an anchor (`params: *common`): a new item would be every holder's
    if use_inputs:
        data = {n: {"type": type_data(t, v)} for n, t, v in new}
        if existing is None:
            ind = indent_width(d.node)
            lines = [f"{key}:"] + [line for n, t, v in new for line in
                                   (f"{' ' * ind}{name_text(n)}:", f"{' ' * 2 * ind}type: {type_text(t, v)}")]
            edit = _insert_key(text, d, key_col, lines)
            return (edit, [(d.path + (key,), data)]) if edit else None
        if existing.flow_style or not existing.value:
            return None
        col = existing.value[0][0].start_mark.column
        inner = indent_width(existing)
        edit = insert_after(text, existing, [line for n, t, v in new for line in
                                             (f"{' ' * col}{name_text(n)}:", f"{' ' * (col + inner)}type: {type_text(t, v)}")])
        return (edit, [(d.path + (key, n), entry) for n, entry in data.items()]) if edit else None
    new_items = [{"id": n, "type": type_data(t, v)} for n, t, v in new]
    if existing is None:
        dash = seq_offset(d.node, None)  # the lists nearest to the new one: the spec's own, else the file's
        dash = seq_offset(doc.root) if dash is None else dash
        lines = [f"{key}:"] + [line for n, t, v in new for line in
                               (f"{' ' * dash}- id: {name_text(n)}", f"{' ' * (dash + 2)}type: {type_text(t, v)}")]
        edit = _insert_key(text, d, key_col, lines)
        return (edit, [(d.path + (key,), new_items)]) if edit else None
    count = len(existing.value)
    sets = [(d.path + (key, count + i), item) for i, item in enumerate(new_items)]
    if existing.flow_style:
        end = existing.end_mark.index - 1  # the closing `]`
        if text[end] != "]":
            return None
        pad = _pad(text, existing)
        flow = ", ".join(f"{{{pad}id: {name_text(n)}, type: {type_text(t, v)}{pad}}}" for n, t, v in new)
        return Edit(end, end, (", " if count else "") + flow), sets
    prefix, first = item_prefix(text, existing), existing.value[0]
    if prefix is None:
        return None
    if is_map(first) and first.flow_style:
        pad = _pad(text, existing)
        lines = [f"{prefix}{{{pad}id: {name_text(n)}, type: {type_text(t, v)}{pad}}}" for n, t, v in new]
    else:
        col = first.start_mark.column
        lines = [line for n, t, v in new for line in (f"{prefix}id: {name_text(n)}", f"{' ' * col}type: {type_text(t, v)}")]
    edit = insert_after(text, existing, lines)
    return (edit, sets) if edit else None


def _pad(text: str, seq) -> str:
    """A blank where the flow mapping nearest above the new items (the list's last) is padded, else ""."""
    last = next((i for i in reversed(seq.value) if is_map(i) and i.flow_style), None)
    return " " if last is not None and padded_flow_map(text, last) else ""


def _insert_key(text: str, d: Definition, key_col: int, lines: list[str]) -> Edit | None:
    """Insert a new key's lines before `args:`/`run:` (where the corpus declares params), else after
    the spec's last line."""
    eol = eol_of(text)
    for anchor in ("args", "run"):
        for k, _v in entries(d.node):
            if text_value(k) == anchor:
                ls = text.rfind("\n", 0, k.start_mark.index) + 1
                if not text[ls:k.start_mark.index].strip():
                    ls = _above_comments(text, ls)
                    return Edit(ls, ls, "".join(" " * key_col + line + eol for line in lines))
    return insert_after(text, d.node, [" " * key_col + line for line in lines])


def _above_comments(text: str, ls: int) -> int:
    """The start of the comment lines right above a line: they belong to it, so new lines go above."""
    while ls > 0:
        prev = text.rfind("\n", 0, ls - 1) + 1
        if not text[prev:ls].strip().startswith("#"):
            break
        ls = prev
    return ls


def name_text(name: str) -> str:
    """A param or input name as YAML text: as it is, unless YAML would read that as something other
    than the name (`No` is false, `1.5` a number, `null` nothing): then double-quoted."""
    if plain_word(name):
        return name  # read back as itself, without the loader's patterns (0.1-0.3 ms to compile)
    import yaml

    try:
        if yaml.load(f"{name}\n", Loader=yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader) == name:
            return name
    except yaml.YAMLError:  # `-`, `---`, `...` and the like are YAML's own punctuation
        pass
    return double_quoted(name)


def type_data(typ: str, default):
    return typ if default is None else ["default", typ, default]


def type_text(typ: str, default) -> str:
    if default is None:
        return typ
    return f"[default, {typ}, {yaml_scalar(default)}]"


# A double-quoted string's escapes: JSON's (JSON's strings are YAML's double-quoted ones), and
# the characters YAML does not take as they are there: DEL and the C1 controls, NEL and the
# line and paragraph separators (YAML folds them as line breaks), the byte order mark and the
# two non-characters. json.dumps escaped none of these: a default holding one changed the value
# (the fix was refused) or broke the line.
_ESCAPES = {**{c: f"\\u{c:04x}" for c in [*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF]},
            ord('"'): '\\"', ord("\\"): "\\\\", ord("\b"): "\\b", ord("\f"): "\\f", ord("\n"): "\\n",
            ord("\r"): "\\r", ord("\t"): "\\t"}


def double_quoted(s: str) -> str:
    """`s` as a YAML double-quoted scalar that reads back as `s`."""
    return '"' + s.translate(_ESCAPES) + '"'


def yaml_scalar(v) -> str:
    """A value as YAML text: plain where that reads back as the same string, else quoted."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    s = str(v)
    if plain_name(s) and s.lower() not in ("true", "false", "null", "yes", "no", "on", "off", "y", "n"):
        return s
    return double_quoted(s)


def declared(d: Definition) -> set[str]:
    out = {text_value(get(p, "id")) for p in items(get(d.node, "params"))}
    out |= {text_value(k) for k, _v in entries(get(d.node, "inputs"))}
    return {n for n in out if n}


def prefers_inputs(definitions) -> bool:
    uses_inputs = any(get(d.node, "inputs") is not None for d in definitions)
    uses_params = any(get(d.node, "params") is not None for d in definitions)
    return uses_inputs and not uses_params
