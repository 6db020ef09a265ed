"""Text edits located through the node tree, and the deletions rules need.

Every function here returns an `Edit` on the original text, or None when the deletion cannot be
made without touching something it should not (a comment in the way, an unusual layout): the rule
then reports without a fix. Nothing is ever re-serialised.
"""
from __future__ import annotations

import functools
import re
from .pattern import on_first_use, plain_word
from .record import record

from .document import get, is_map, is_scalar, is_seq, scalar_spans


@record(frozen=True, order=True)
class Edit:
    start: int
    end: int
    text: str = ""


class OverlappingEdits(Exception):
    pass


def apply_edits(text: str, edits: list[Edit]) -> str:
    """Apply non-overlapping edits. The text is joined once from the pieces between them: rebuilding
    it for each edit made a file's fixes cost its size times their number."""
    ordered = sorted(edits)
    limits = [e.start for e in ordered[1:]] + [len(text) + 1]  # where each edit must end by
    overlapping = [e for e, limit in zip(ordered, limits) if e.end > limit]
    if overlapping:  # the last, as a search from the end of the text meets them
        raise OverlappingEdits(f"edits overlap at offset {overlapping[-1].start}")
    pieces = []
    done = 0  # the old text is copied up to here
    for e in ordered:
        pieces += (text[done:e.start], e.text)
        done = e.end
    pieces.append(text[done:])
    return "".join(pieces)


def moved(index: int, edits: list[Edit]) -> int:
    """Where an offset of the old text lands once the edits are applied."""
    return index + sum(len(e.text) - (e.end - e.start) for e in edits if e.end <= index)


def clash(x: Edit, y: Edit) -> bool:
    """Whether two edits cannot be proven apart and applied together: they overlap, start at one
    place, or one inserts where the other's change ends. Text inserted just after lines another fix
    removes or moves lands in what is left there (PF001 adding a param below the `params:` that
    PF008 removes, PF002 adding an arg below args that PF007 moves): the file would not parse."""
    return (x.start < y.end and y.start < x.end or x.start == y.start
            or y.start == y.end == x.end > x.start or x.start == x.end == y.end > y.start)


def joinable_inserts(x: Edit, y: Edit) -> bool:
    """Whether two edits only insert, at one place, block sequence items with ids of their own at
    one indentation, or block mapping entries with keys of their own at one indentation (two fixes
    declaring two params at the end of one `params:` list, or two inputs at the end of one `inputs:`
    mapping). Applied together they add both to that list or mapping, as two passes would; a trial
    of the fixes can then hold both (engine._Gate). Two fixes declaring one name are not joined: the
    name written twice, a reader takes one of the two, and a trial could pass a fix whose own
    declaration breaks the run."""
    if not x.start == x.end == y.start == y.end:
        return False
    a, b = _block_of(x.text), _block_of(y.text)
    return a is not None and b is not None and a[:2] == b[:2] and not a[2] & b[2]


def _block_of(text: str) -> tuple[str, int, frozenset] | None:
    """("item", indentation, ids) for a text made of whole block sequence items, each naming its id
    on its first line (`- id: x`, `- { id: x, … }`); ("entry", indentation, keys) for one made of whole
    block mapping entries with plain keys. Each line ends in a line break, and each line below an
    item or entry is indented more and not blank. None for any other text."""
    if not text.endswith("\n"):
        return None
    lines = text[:-1].split("\n")
    indent = len(lines[0]) - len(lines[0].lstrip(" "))
    kind = "item" if lines[0].startswith("- ", indent) else "entry"
    names = set()
    for i, line in enumerate(lines):
        at = len(line) - len(line.lstrip(" "))
        if i and at > indent and line.strip():
            continue
        if at != indent:
            return None
        if kind == "item":
            name = _item_id(line[at + 2:]) if line.startswith("- ", at) else None
        else:
            key, colon, rest = line[at:].partition(":")
            name = key if colon and plain_word(key) and (not rest or rest.startswith(" ")) else None
        if name is None or name in names:
            return None
        names.add(name)
    return kind, indent, frozenset(names)


def _item_id(item: str) -> str | None:
    """The plain id an item's first line gives (`id: x`, `{ id: x, … }`), or None."""
    if item.startswith("{"):
        item = item[1:].lstrip(" ")
        if not item.startswith("id:"):
            return None
        value = item[3:].split(",", 1)[0].split("}", 1)[0]
    elif item.startswith("id:"):
        value = item[3:]
        if " #" in value:
            value = value.split(" #", 1)[0]
    else:
        return None
    value = value.strip(" ")
    return value if plain_word(value) else None


def overlaps(a: list[Edit], b: list[Edit]) -> bool:
    return any(clash(x, y) for x in a for y in b)


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _after_line(text: str, index: int) -> int | None:
    """Offset just past the line break ending the line that holds `index`, when the rest of that
    line is blank or a comment; None when something else follows on the line."""
    if index > 0 and text[index - 1] == "\n":
        return index  # already at a line start (block scalars end there)
    nl = text.find("\n", index)
    rest = text[index:] if nl < 0 else text[index:nl]
    if rest.strip() and not rest.lstrip().startswith("#"):
        return None
    return len(text) if nl < 0 else nl + 1


def content_end(node) -> int:
    """Where a node's own text ends. Block collections' end marks lie past trailing comments and
    blank lines, so their end is that of their last child."""
    if is_scalar(node) or node.flow_style:
        return node.end_mark.index
    children = node.value
    if not children:
        return node.end_mark.index
    last = children[-1]
    if is_map(node):
        key, val = last
        return max(content_end(key), content_end(val))
    return content_end(last)


def _entry_end(key, val) -> int:
    return max(content_end(key), content_end(val))


_FLOW_SEP = on_first_use(r"\s*,\s*")


def _delete_flow(text: str, starts: list[int], ends: list[int], i: int) -> Edit | None:
    """Delete element i of a flow collection whose elements span [starts[k], ends[k])."""
    n = len(starts)
    if n == 1:
        return Edit(starts[0], ends[0])
    if i < n - 1:
        if not _FLOW_SEP.fullmatch(text[ends[i]:starts[i + 1]]):
            return None
        return Edit(starts[i], starts[i + 1])
    if not _FLOW_SEP.fullmatch(text[ends[i - 1]:starts[i]]):
        return None
    return Edit(ends[i - 1], ends[i])


def _delete_lines(text: str, ls: int, stop: int, prefix: str = "", kept: list[str] = ()) -> Edit:
    """Delete whole lines [ls, stop), leaving the comments `kept` on lines of their own, indented
    as `prefix` (what starts the first line); at the end of a file without a final newline the line
    break before them goes instead, so the file still ends without one."""
    if kept:
        lines = _comment_lines(text, prefix, kept)
        return Edit(ls, stop, lines if text[stop - 1:stop] == "\n" else lines[:-len(eol_of(text))])
    if stop == len(text) and not text.endswith("\n") and ls > 0:
        ls -= 2 if text[ls - 2:ls] == "\r\n" else 1
    return Edit(ls, stop)


def _delete_block(text: str, start: int, end: int, next_start: int | None, keep_comment: bool = True,
                  nodes=()) -> Edit | None:
    """Delete a block element spanning [start, end) (its nodes `nodes`): whole lines when it starts
    its line, else (it follows a `- ` indicator) up to the next element, which moves up behind the
    indicator. Its comments stay, each on a line of its own where it was (see _kept_comments),
    unless `keep_comment` is False (the caller moves them elsewhere)."""
    ls = _line_start(text, start)
    prefix = text[ls:start]
    stop = _after_line(text, end)
    if stop is None:
        return None
    kept = _kept_comments(text, start, stop, nodes) if keep_comment else []
    if not prefix.strip():
        return _delete_lines(text, ls, stop, prefix, kept)
    if not re.fullmatch(r"[ \t]*(-[ \t]+)+", prefix) or next_start is None:
        return None
    between = text[stop:next_start]
    if between.strip():  # a comment line in between would end up behind the indicator
        return None
    if not kept:
        return Edit(start, next_start)
    return Edit(ls, next_start, _comment_lines(text, prefix, kept) + prefix)  # the next element keeps the dash


def _comment_lines(text: str, prefix: str, comments: list[str]) -> str:
    """Comments as whole lines, indented as `prefix` is, with the file's line endings."""
    indent = prefix[:len(prefix) - len(prefix.lstrip())]
    return "".join(indent + c + eol_of(text) for c in comments)


def _kept_comments(text: str, start: int, stop: int, nodes) -> list[str]:
    """The comments of an element polyfix deletes, on the lines [start, stop): a user's words are
    never lost. A `#` counts outside the element's scalars only (a `#` in a string or a script is
    no comment). A suppression (`# noqa`, `# polyfix: ignore[…]`) goes with its line: alone on a
    line it would suppress the next one."""
    spans = scalar_spans(nodes)
    kept = []
    at = text.find("#", start, stop)
    while at != -1:
        line_end = text.find("\n", at, stop)
        line_end = stop if line_end == -1 else line_end
        in_scalar = any(a <= at < b for a, b in spans)
        if not in_scalar and (at == 0 or text[at - 1] in " \t\n"):
            comment = text[at:line_end].rstrip()
            if "polyfix:" not in comment and "noqa" not in comment.lower():
                kept.append(comment)
            at = text.find("#", line_end, stop)
        else:
            at = text.find("#", at + 1, stop)
    return kept


def delete_entry(text: str, mapping, i: int, keep_comment: bool = True) -> Edit | None:
    """Delete the i-th key/value pair of a mapping node (a block entry's comment as _delete_block
    keeps it)."""
    pairs = mapping.value
    if mapping.flow_style:
        return _delete_flow(text, [k.start_mark.index for k, _ in pairs],
                            [_entry_end(k, v) for k, v in pairs], i)
    key, val = pairs[i]
    nxt = pairs[i + 1][0].start_mark.index if i + 1 < len(pairs) else None
    if nxt is None and len(pairs) == 1:
        return None  # the mapping would become empty: the caller deletes its parent instead
    return _delete_block(text, key.start_mark.index, _entry_end(key, val), nxt, keep_comment, (key, val))


def delete_item(text: str, sequence, i: int) -> Edit | None:
    """Delete the i-th item of a sequence node (never the last one: the caller deletes the key); a
    block item's comments stay, as _delete_block keeps them."""
    elems = sequence.value
    if len(elems) < 2:
        return None
    if sequence.flow_style:
        return _delete_flow(text, [e.start_mark.index for e in elems], [content_end(e) for e in elems], i)
    item = elems[i]
    start = item.start_mark.index
    ls = _line_start(text, start)
    prefix = text[ls:start]
    # A block item starts its line with its indicator: `  - item`; anything else is left alone.
    if not re.fullmatch(r"[ \t]*-[ \t]+|[ \t]*-(?=\n)", prefix):
        return None
    stop = _after_line(text, content_end(item))
    if stop is None:
        return None
    return _delete_lines(text, ls, stop, prefix, _kept_comments(text, start, stop, (item,)))


@functools.lru_cache(maxsize=64)  # asked for every line a fix adds: each text is searched once
def eol_of(text: str) -> str:
    """The file's line ending, for lines a fix adds."""
    return "\r\n" if "\r\n" in text else "\n"


def insert_after(text: str, node, lines: list[str]) -> Edit | None:
    """Insert whole lines after the last line of a block node, with the file's line endings; a file
    that ends without a final newline still does. None when something else follows the node on its
    last line."""
    at = _after_line(text, content_end(node))
    if at is None:
        return None
    eol = eol_of(text)
    body = eol.join(lines)
    if at == len(text) and not text.endswith("\n"):
        return Edit(at, at, eol + body)
    return Edit(at, at, body + eol)


def item_prefix(text: str, seq) -> str | None:
    """The `  - ` before a block sequence's first item (new items copy it); None for other layouts."""
    if not is_seq(seq) or seq.flow_style or not seq.value:
        return None
    first = seq.value[0]
    prefix = text[_line_start(text, first.start_mark.index):first.start_mark.index]
    return prefix if _spaces_dash_spaces(prefix) else None


def _spaces_dash_spaces(prefix: str) -> bool:
    """What the pattern `[ ]*-[ ]+` matches whole, without compiling it."""
    dash = prefix.lstrip(" ")
    return dash[:1] == "-" and len(dash) > 1 and not dash[1:].strip(" ")


def seq_offset(root, default: int | None = 2) -> int | None:
    """How far the file (or the node `root`) puts a block sequence's dash right of its key: 0
    (indentless) or more; `default` when it holds no block sequence."""
    stack = [root]
    while stack:
        node = stack.pop()
        for k, v in (node.value if is_map(node) else []):
            if is_seq(v) and not v.flow_style and v.value:
                return max(0, v.start_mark.column - k.start_mark.column)
            stack.append(v)
        stack.extend(node.value if is_seq(node) else [])
    return default


def padded_flow_map(text: str, node) -> bool:
    """Whether a flow mapping is written with a space inside its braces (`{ a: 1 }`; a line break or
    a tab there is no padding, as PF002 reads its volume maps)."""
    return text[node.start_mark.index + 1:node.start_mark.index + 2] == " "


def flow_maps_padded(text: str, nodes) -> bool:
    """Whether most of the non-empty flow mappings among `nodes` are padded (`{ a: 1 }`): the style a
    new one follows where no mapping of its own kind shows one; False when there are none."""
    votes = [padded_flow_map(text, n) for n in nodes if is_map(n) and n.flow_style and n.value]
    return 2 * sum(votes) > len(votes)


def indent_width(mapping) -> int:
    """How far a mapping indents the block mappings it holds (2 when it holds none)."""
    base = mapping.value[0][0].start_mark.column if is_map(mapping) and mapping.value else 0
    for _k, v in (mapping.value if is_map(mapping) else []):
        if is_map(v) and not v.flow_style and v.value:
            return v.value[0][0].start_mark.column - base
        for item in (v.value if is_seq(v) else []):
            if is_map(item) and not item.flow_style and len(item.value) > 1:
                return item.value[1][0].start_mark.column - item.value[0][0].start_mark.column or 2
    return 2


def add_entry(text: str, mapping, key: str, value_text: str) -> Edit | None:
    """Add `key: value_text` (a one-line value) as the last entry of a mapping, in its style: inside
    the braces of a flow mapping, or as a line after the last entry of a block mapping."""
    if mapping.flow_style:
        close = mapping.end_mark.index - 1
        if text[close] != "}":
            return None
        if not mapping.value:
            return Edit(close, close, f"{key}: {value_text}")
        last = _entry_end(*mapping.value[-1])
        return Edit(last, last, f", {key}: {value_text}")
    if not mapping.value:
        return None
    col = mapping.value[0][0].start_mark.column
    return insert_after(text, mapping, [f"{' ' * col}{key}: {value_text}"])


def list_item_layout(text: str, root, key: str) -> tuple[str, int, int] | None:
    """How a new item of the block sequence under the top-level `key` is laid out: (the `  - ` before
    its first line, the column of its content, the indent of what it nests), copied from the first
    item, or from the file's layout when `key` is missing. None for other layouts (a flow list, a
    first item that is not a block mapping)."""
    seq = get(root, key)
    if seq is None:
        top = root.value[0][0].start_mark.column
        pad = " " * (top + seq_offset(root))
        return pad + "- ", len(pad) + 2, 2
    prefix = item_prefix(text, seq)
    first = seq.value[0] if is_seq(seq) and seq.value else None
    if prefix is None or not is_map(first) or first.flow_style:
        return None
    return prefix, len(prefix), indent_width(first)


def add_list_item(text: str, root, key: str, lines: list[str]) -> Edit | None:
    """Append an item, its lines laid out with `list_item_layout`, to the block sequence under the
    top-level `key`; a missing `key:` is added after the last top-level entry."""
    seq = get(root, key)
    if seq is None:
        return insert_after(text, root, [" " * root.value[0][0].start_mark.column + f"{key}:"] + lines)
    return insert_after(text, seq, lines)

