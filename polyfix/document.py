"""A polytope file as text plus its YAML node tree: the one place ruamel.yaml is configured.

Rules locate things through the composed node tree (every node carries `start_mark`/`end_mark`
character offsets into the text) and fix them with text edits, so the file is never re-dumped.

Scaffold templates hold `{{ project-name }}` / `{= name =}` placeholders that are not YAML until
rendered. They are masked with tokens of the same length (private-use characters, which YAML
accepts in plain scalars), so offsets stay valid; `unmask` puts every placeholder back byte for byte.
"""
from __future__ import annotations

import bisect
import re
import zlib
from .pattern import on_first_use
from .record import new, record

PLACEHOLDER = on_first_use(r"\{\{.*?\}\}|\{=.*?=\}", needs=("{{", "{="))
_TOKEN_START, _TOKEN_FILL = "\ue000", "\ue001"
_DIGIT_BASE, _DIGITS = 0xE100, 0x0F00  # two digits: 3840**2 placeholders per file
_LINE_BREAK = on_first_use(r"\r\n|\r|\n")
MASK_TOKEN = "\ue000[\ue100-\uefff]{2}\ue001*"  # compiled on first use (re caches it)
BOM = "\ufeff"


class ParseError(Exception):
    """The text is not YAML polyfix can work on; the message says what and where."""


class _Unbuilt:
    """The data of a Document, before it is first read."""

    def __repr__(self):
        return "UNBUILT"

    def __reduce__(self):  # one of a kind, also through pickle (a worker's results)
        return "UNBUILT"


UNBUILT = _Unbuilt()


@record
class Document:
    """One parsed file. `text` is the masked text without BOM; offsets in nodes index into it."""

    text: str
    root: object  # ruamel Node or None for an empty document
    data: object
    placeholders: dict[str, str] = new(dict)
    bom: bool = False
    memo: dict = new(dict)  # what rules derive once per text

    def scalars(self, path: tuple = ()) -> list:
        """Every scalar node below `path` (a top-level entry such as ("tools", "api"), or the root)
        as (node, data path, its key, the mapping holding it), in document order. Walked once per
        document and shared by the rules: the validator reads every scalar of every spec."""
        if "scalars" not in self.memo:
            self.memo["scalars"] = _scalar_index(self.root)
        if len(path) in (0, 2):
            return self.memo["scalars"].get(path, [])
        return [s for s in self.memo["scalars"][()] if s[1][:len(path)] == path]

    def shared_spans(self) -> list[tuple[int, int, int]]:
        """(start, end of content, end of that line) of each node that more than one place of the
        document holds: an anchored node (`&x`) some alias (`*x`, `<<: *x`) reuses. An edit inside
        one changes every place, which no fix's proof can tell from what it meant to change."""
        if "shared" not in self.memo:
            # Without an anchor (`&`) and an alias (`*`) no node is shared: most files skip the walk.
            self.memo["shared"] = _shared_spans(self.text, self.root) if "&" in self.text and "*" in self.text else []
        return self.memo["shared"]

    def unmask(self, text: str) -> str:
        """The text with every placeholder token replaced by the placeholder it stood for."""
        if not self.placeholders:
            return text
        return re.sub(MASK_TOKEN, lambda m: self.placeholders.get(m.group(), m.group()), text)

    def line_col(self, index: int) -> tuple[int, int]:
        """1-based line and column of a character offset. A line ends at LF, CRLF or a lone CR, as in YAML."""
        starts = self.memo.get("line starts")
        if starts is None:  # where each line starts, once per text: problems and edits ask by the thousand
            starts = self.memo["line starts"] = _line_starts(self.text)
            self.memo["LF only"] = "\r" not in self.text
        line = bisect.bisect_right(starts, index)  # between the CR and the LF of one break: still its line
        if self.memo["LF only"]:  # the line starts after the last LF before the offset (searching the
            return line, index - starts[line - 1] + 1  # text for a CR that is not there went through all of it)
        col = index - (max(self.text.rfind("\n", 0, index), self.text.rfind("\r", 0, index)) + 1) + 1
        return line, col


def _line_starts(text: str) -> list[int]:
    """Where each line of `text` starts (after LF, CRLF or a lone CR)."""
    if "\r" in text:
        return [0, *(m.end() for m in _LINE_BREAK.finditer(text))]
    starts, at = [0], 0
    for line in text.split("\n")[:-1]:  # LF alone, the common case: no pattern to compile
        at += len(line) + 1
        starts.append(at)
    return starts


def _data(doc: Document) -> object:
    if doc._data is UNBUILT:  # a tree parse_text found plain
        doc._data = _build_plain(doc.root)
    return doc._data


def _set_data(doc: Document, data: object) -> None:
    doc._data = data


# `data` is built on first read: most documents are only ever read through their nodes.
Document.data = property(_data, _set_data, doc="The plain data of the file (built on first read).")


def mask(text: str) -> tuple[str, dict[str, str]]:
    """Replace each placeholder by a token of the same length. A token is derived from the
    placeholder's text, so the same placeholder gets the same token in every file: names still
    match across files, and any file's map unmasks a message that quotes another file's names."""
    if _TOKEN_START in text or _TOKEN_FILL in text:
        raise ParseError("holds private-use characters polyfix uses to mask placeholders")
    placeholders: dict[str, str] = {}
    tokens: dict[str, str] = {}

    def token(m: re.Match) -> str:
        text = m.group()
        if text not in tokens:
            n = zlib.crc32(text.encode("utf-8")) % (_DIGITS * _DIGITS)
            tok = ""
            for _ in range(_DIGITS * _DIGITS):  # a collision within the file takes the next number
                tok = _TOKEN_START + chr(_DIGIT_BASE + n // _DIGITS) + chr(_DIGIT_BASE + n % _DIGITS)
                tok += _TOKEN_FILL * (len(text) - 3)
                if tok not in placeholders:
                    break
                n = (n + 1) % (_DIGITS * _DIGITS)
            tokens[text] = tok
            placeholders[tok] = text
        return tokens[text]

    return PLACEHOLDER.sub(token, text), placeholders


def _import_yaml():
    """`import yaml`, with the patterns its modules compile at import deferred to their first use.
    They serve its pure-Python reader and resolver, which the libyaml loader barely uses; compiling
    them (one character class alone takes about 12 ms) was a tenth of a one-file run."""
    import sys

    compile_now = re.compile

    def compile_later(pattern, flags=0):
        if sys._getframe(1).f_globals.get("__name__", "").startswith("yaml."):
            return on_first_use(pattern, flags)
        return compile_now(pattern, flags)

    re.compile = compile_later
    try:
        import yaml
    finally:
        re.compile = compile_now
    return yaml


def _fast_loader():
    """PyYAML's libyaml loader when installed: composing with it is about 15 times faster than
    ruamel.yaml's pure-Python parser, and its marks carry the same character offsets."""
    try:
        yaml = _import_yaml()
    except ImportError:
        return None
    if not yaml.__with_libyaml__:
        return None
    base = yaml.CSafeLoader
    starts = frozenset(base.yaml_implicit_resolvers)  # first characters some implicit type starts with
    if None in starts or base.yaml_path_resolvers:
        return base
    scalar, mapping, sequence = yaml.ScalarNode, yaml.MappingNode, yaml.SequenceNode
    tags = {mapping: base.DEFAULT_MAPPING_TAG, sequence: base.DEFAULT_SEQUENCE_TAG}

    plain = base.DEFAULT_SCALAR_TAG
    resolved: dict[str, str] = {}  # a plain scalar's text → its tag: with no path resolvers, the text decides

    class Loader(base):
        """libyaml asks Python for every node's tag; most are collections or plain words, whose
        tag needs no pattern, and the rest repeat (`true`, `8080`, `postgres`): the same answers as
        the safe resolver, sooner."""

        def resolve(self, kind, value, implicit):
            if kind is scalar:
                if not implicit[0]:  # quoted, or a block: a string
                    return plain
                if value[:1] not in starts and value:
                    return plain
                tag = resolved.get(value)
                if tag is None:
                    tag = _word_tag(value) or base.resolve(self, kind, value, implicit)
                    if len(value) <= 64 and len(resolved) < 10_000:
                        resolved[value] = tag
                return tag
            return tags.get(kind) or base.resolve(self, kind, value, implicit)

        # Path resolvers (there are none) are what these would track, for every node.
        def descend_resolver(self, current_node, current_index):
            return None

        def ascend_resolver(self):
            return None

    return Loader


_CORE = "tag:yaml.org,2002:"
_STR, _NULL, _BOOL, _INT_TAG, _FLOAT, _MAP, _SEQ = (_CORE + t for t in ("str", "null", "bool", "int", "float", "map",
                                                                         "seq"))
# The commonest implicit scalars, tagged as PyYAML's safe resolver tags them (YAML 1.1: its bool
# and null words; a decimal digit string with no leading zero is an int, never a float or a time),
# without compiling its patterns (about 1.4 ms a run). A test compares these with the resolver.
_WORD_TAGS = {**dict.fromkeys("yes Yes YES no No NO true True TRUE false False FALSE on On ON off Off OFF".split(),
                              _BOOL),
              **dict.fromkeys("~ null Null NULL".split(), _NULL), "": _NULL}


# Every character some number or timestamp of the resolver's (YAML 1.1) may hold: a plain scalar that
# starts with a digit and holds any other (`16-alpine`, `5432/tcp`) is a string.
_NUMBER_CHARS = frozenset("0123456789_.:+-eEbxabcdefABCDEFTtZ \t")


def _word_tag(text: str) -> str | None:
    """The tag PyYAML's safe resolver gives a plain scalar `text` that starts with one of its
    resolvers' first characters, where that is plain to see; None where its patterns must decide."""
    if text.isdigit() and text.isascii() and (text[0] != "0" or text == "0"):
        return _INT_TAG
    tag = _WORD_TAGS.get(text)
    if tag is not None or not text or "\n" in text:  # `$` in its patterns also matches before a last \n
        return tag
    first, second = text[0], text[1:2]
    if first.isalpha():  # y n t f o: only the bool and null words above
        return _STR
    if first in "-+":  # a sign: a number follows, or `.inf`
        return None if second and second in "0123456789." else _STR
    if first == ".":  # .5, .inf, .nan
        return None if second and second in "0123456789iInN" else _STR
    if first.isdigit() and not _NUMBER_CHARS.issuperset(text):
        return _STR
    if first.isdigit() and "." in text and text.isascii() and not text.strip("0123456789."):
        # Digits and dots (`3.11`, `1.3.0`, `0.0.0.0`): one dot is a float, more a string (a version,
        # an address); ints and times hold no dot or a `-`.
        return _FLOAT if text.count(".") == 1 else _STR
    return None


_FAST = _fast_loader()


def parse_text(text: str, later: bool = False) -> tuple[object, object]:
    """(root node, plain data) of YAML text; ParseError with line and column when it is not YAML.

    libyaml composes when it can; whatever it rejects goes to ruamel.yaml, which has the final say
    (and the clearer message). Duplicate keys are an error either way: loaders disagree on which
    value wins, so no fix could be proven on such a file. With `later`, the data of a tree that
    cannot fail to construct is UNBUILT: most files are only read through their nodes."""
    if _FAST is not None:
        try:
            loader = _FAST(text)
            try:
                root = loader.get_single_node()
                state = _walk_tree(text, root) if root is not None else _SOUND
                if later and state == _PLAIN:
                    return root, UNBUILT
                # Checked before building: building merges `<<: *x` keys into the mapping's node,
                # where a key overriding a merged one (valid YAML) would read as a duplicate.
                _check_tree(text, root, state)
                data = loader.construct_document(root) if root is not None else None
            finally:
                loader.dispose()
            return root, data
        except ParseError:
            raise
        except RecursionError:
            raise ParseError("nested too deeply") from None
        except Exception as e:  # noqa: BLE001 - any other failure: let ruamel decide and explain
            if "maximum nesting depth" in str(e):  # ruamel would take seconds to find the same
                raise ParseError("nested too deeply") from None
    return _parse_ruamel(text)


def construct(text: str, root) -> tuple[object, object]:
    """parse_text(text) for a text `compose` already gave `root` for: only the rest of the work."""
    if _FAST is None or root is None or type(root).__module__ != "yaml.nodes":
        return parse_text(text)
    try:
        state = _walk_tree(text, root)
        if state == _PLAIN:
            return root, _build_plain(root)
        _check_tree(text, root, state)  # before building (see parse_text)
        loader = _FAST("")
        try:
            data = loader.construct_document(root)
        finally:
            loader.dispose()
        return root, data
    except Exception:  # noqa: BLE001 - whatever parse_text makes of it, error or fallback
        return parse_text(text)


def compose(text: str) -> object:
    """The root node of YAML text, without building its data (for a look at a trial text)."""
    if _FAST is not None:
        try:
            loader = _FAST(text)
            try:
                return loader.get_single_node()
            finally:
                loader.dispose()
        except Exception:  # noqa: BLE001 - let the full parse decide and explain
            pass
    return parse_text(text)[0]


def _parse_ruamel(text: str) -> tuple[object, object]:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    import warnings

    yaml = YAML(typ="safe", pure=True)
    try:
        with warnings.catch_warnings():  # a reused anchor is valid YAML: no warning text on stderr
            warnings.simplefilter("ignore")
            root = yaml.compose(text)
            _check_tree(text, root)  # before building (see parse_text)
            data = yaml.constructor.construct_document(root) if root is not None else None
    except ParseError:
        raise
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem, context = (" ".join(str(x).split()) if x else "" for x in (e.problem, e.context))
        if problem.startswith("but ") and context:
            what = f"{context}, {problem}"
        else:
            what = problem + (f" ({context})" if context and problem else context) or "invalid YAML"
        if "duplicate key" in str(e):
            what = "duplicate key " + " ".join(str(e.problem).split())
        raise ParseError(f"{where}{what}") from None
    except YAMLError as e:
        raise ParseError(" ".join(str(e).split())) from None
    except RecursionError:
        raise ParseError("nested too deeply") from None
    except Exception as e:  # noqa: BLE001 - valid but unusual YAML the parser cannot hold (a list as a key,
        # `%YAML 1.3`): this file's error, never the run's
        raise ParseError(f"YAML polyfix cannot work on ({type(e).__name__}: {' '.join(str(e).split())})") from None
    return root, data


MAX_DEPTH = 100  # far deeper than any Polytope file; the checks and the proof of a fix stay within Python's stack
MAX_NODES = 200_000  # nodes with every alias expanded: what a walk over the data may visit


def _check_tree(text: str, root, state: int | None = None) -> None:
    """Duplicate keys (`_check_duplicates`), then the shape (`_check_shape`), each with its exact
    message; a tree the one quick walk (`state`, when the caller has it) finds sound needs neither."""
    if root is not None and (_walk_tree(text, root) if state is None else state) == _UNSURE:
        _check_duplicates(root)
        _check_shape(root)


_UNSURE, _SOUND, _PLAIN = 0, 1, 2
# What a plain tree's scalars may be, so that building its data cannot fail: strings, nulls, the
# bools PyYAML maps, and ints written in plain decimal with no more digits than Python reads.
_BOOLS = {"yes": True, "no": False, "true": True, "false": False, "on": True, "off": False}
_DECIMAL = on_first_use(r"[-+]?(?:0|[1-9][0-9]*)")


def _is_decimal(text: str) -> bool:
    """_DECIMAL.fullmatch(text), without compiling it for the common unsigned number."""
    if text.isdigit() and text.isascii():
        return text[0] != "0" or len(text) == 1
    return bool(_DECIMAL.fullmatch(text))


def _build_plain(node) -> object:
    """The data of a tree _walk_tree found plain, as PyYAML's safe constructor builds it (a test
    compares the two on every real file): its tags leave one way to read each scalar, and no key
    repeats, so this is a plain copy, several times faster than the general constructor."""
    kind = node.id
    if kind == "scalar":
        tag = node.tag
        if tag == _STR:
            return node.value
        if tag == _NULL:
            return None
        if tag == _BOOL:
            return _BOOLS[node.value.lower()]
        return int(node.value)  # an int in plain decimal
    if kind == "mapping":
        return {_build_plain(k): _build_plain(v) for k, v in node.value}
    return [_build_plain(item) for item in node.value]


def _walk_tree(text: str, root) -> int:
    """_SOUND when the tree has no duplicate key, is no deeper than MAX_DEPTH and holds no more than
    MAX_NODES nodes; _PLAIN when, besides, building its data cannot fail (scalar keys, plain
    collections, the scalars above); _UNSURE when that takes the full checks. A text without
    an anchor (`&`) shares no node, so one walk counting nodes and depth tells."""
    if "&" in text:
        return _UNSURE
    plain = True
    count = 0
    stack = [(root, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        node, depth = pop()
        count += 1
        kind = node.id
        if kind == "scalar":
            if plain:
                tag = node.tag
                if tag == _BOOL:  # `!!bool maybe` is a bool PyYAML cannot build
                    plain = node.value.lower() in _BOOLS
                elif tag != _STR and tag != _NULL:
                    plain = tag == _INT_TAG and len(node.value) <= 4000 and _is_decimal(node.value)
            continue
        if depth >= MAX_DEPTH or count > MAX_NODES:
            return _UNSURE
        if kind == "mapping":
            plain = plain and node.tag == _MAP
            keys = set()
            for k, v in node.value:
                if k.id == "scalar":
                    if k.value in keys:  # two `<<` too: PyYAML merges both, ruamel.yaml refuses
                        return _UNSURE
                    keys.add(k.value)
                else:
                    plain = False  # a collection as a key cannot be a dict's key
                push((k, depth + 1))
                push((v, depth + 1))
        else:
            plain = plain and node.tag == _SEQ
            for item in node.value:
                push((item, depth + 1))
    if count > MAX_NODES:
        return _UNSURE
    return _PLAIN if plain else _SOUND


def _check_shape(root) -> None:
    """Refuse what would make later walks hang or overflow: an alias inside its own anchor (a cycle),
    nesting deeper than MAX_DEPTH, or more than MAX_NODES nodes once aliases are expanded (a
    "billion laughs" file). One pass over each distinct node, post-order, with no recursion."""
    if root is None:
        return
    size: dict[int, int] = {}  # node id → nodes below it, itself included, aliases expanded
    depth: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack = [(root, None)]
    while stack:
        node, kids = stack.pop()
        key = id(node)
        if kids is not None:  # its children are done
            open_nodes.discard(key)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            depth[key] = 1 + max((depth[id(k)] for k in kids), default=0)
            if depth[key] > MAX_DEPTH:
                raise ParseError(f"line {node.start_mark.line + 1}: nested more than {MAX_DEPTH} levels deep")
            if size[key] > MAX_NODES:
                raise ParseError(f"more than {MAX_NODES:,} nodes once its aliases are expanded")
            continue
        if key in size:
            continue
        if node.id == "scalar":
            size[key], depth[key] = 1, 1
            continue
        kids = [x for pair in node.value for x in pair] if node.id == "mapping" else list(node.value)
        open_nodes.add(key)
        stack.append((node, kids))
        for k in kids:
            if id(k) in open_nodes:
                raise ParseError(f"line {k.start_mark.line + 1}: an alias used inside its own anchor "
                                 f"(a recursive structure)")
            if id(k) not in size:
                stack.append((k, None))


def _check_duplicates(root) -> None:
    stack = [root] if root is not None else []
    seen_nodes = set()
    while stack:
        node = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if node.id == "mapping":
            keys = set()
            for k, v in node.value:
                if k.id == "scalar":
                    if k.value in keys:  # two `<<` too: PyYAML merges both, ruamel.yaml refuses
                        raise ParseError(f"line {k.start_mark.line + 1}, column {k.start_mark.column + 1}: "
                                         f"duplicate key `{k.value}`")
                    keys.add(k.value)
                stack.extend((k, v))
        elif node.id == "sequence":
            stack.extend(node.value)


def parse(text: str) -> Document:
    """Parse a file's decoded text (a leading BOM is remembered and restored by the caller)."""
    bom = text.startswith(BOM)
    if bom:
        text = text[1:]
    masked, placeholders = mask(text)
    try:
        root, data = parse_text(masked, later=True)
    except ParseError as e:
        if placeholders:
            raise ParseError(f"looks like an unrendered template that is not YAML even with its "
                             f"placeholders masked ({e})") from None
        raise
    return Document(text=masked, root=root, data=data, placeholders=placeholders, bom=bom)


# ---- node helpers: rules read the tree only through these ----

def is_map(node) -> bool:
    return getattr(node, "id", None) == "mapping"


def is_seq(node) -> bool:
    return getattr(node, "id", None) == "sequence"


def is_scalar(node) -> bool:
    return getattr(node, "id", None) == "scalar"


def scalar_spans(nodes) -> list[tuple[int, int]]:
    """(start, end) of every scalar node below `nodes` (None among them is skipped), sorted: where a
    `#` is text, not a comment."""
    spans = []
    stack = [n for n in nodes if n is not None]
    while stack:
        node = stack.pop()
        if node.id == "scalar":
            spans.append((node.start_mark.index, node.end_mark.index))
        elif node.id == "mapping":
            stack.extend(x for pair in node.value for x in pair)
        else:
            stack.extend(node.value)
    return sorted(spans)


def _shared_spans(text: str, root) -> list[tuple[int, int, int]]:
    from .edits import content_end  # edits imports this module

    seen: set[int] = set()
    shared: dict[int, object] = {}
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen:
            shared[id(node)] = node
            continue  # an alias: its node was gone through where it is anchored
        seen.add(id(node))
        if node.id == "mapping":
            stack.extend(x for pair in node.value for x in pair)
        elif node.id == "sequence":
            stack.extend(node.value)
    out = []
    for n in shared.values():
        end = content_end(n)
        line_end = text.find("\n", end)
        out.append((n.start_mark.index, end, len(text) if line_end < 0 else line_end + 1))
    return sorted(out)


def is_shared(text: str, node) -> bool:
    """An anchored, aliased or tagged node (its text starts `&`, `*` or `!`; a composed alias is the
    anchored node itself): another place shares it, and a change to it changes both."""
    return text[node.start_mark.index:node.start_mark.index + 1] in ("&", "*", "!")


def written_in(node, outer) -> bool:
    """Whether a node is written inside `outer`'s text: an alias's node (`params: *common`) and the
    keys a `<<: *x` merges in stand where their anchor is written."""
    return outer.start_mark.index <= node.start_mark.index < outer.end_mark.index


def has_merged_keys(node) -> bool:
    """Whether a mapping holds keys a `<<: *x` merges in (once its data is built they stand among its
    own, though written elsewhere: an edit next to them would land in the anchor)."""
    if getattr(node, "id", None) != "mapping":
        return False
    return any(k.value == "<<" or not written_in(k, node) for k, _v in node.value)


def entries(node) -> list:
    """(key node, value node) pairs of a mapping node; [] for anything else."""
    return list(node.value) if is_map(node) else []


def items(node) -> list:
    return list(node.value) if is_seq(node) else []


def get(node, key: str):
    """The value node under a string key of a mapping node, or None. The last one: building the data
    puts the keys a `<<: *x` merges in before the mapping's own, which override them."""
    if getattr(node, "id", None) == "mapping":
        for k, v in reversed(node.value):
            if k.value == key and k.id == "scalar":
                return v
    return None


def _int_text(v: str) -> bool:
    """YAML 1.2 core's int: what the pattern `[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+` matches whole."""
    if v.isdigit():  # the common case first: value() asks of every plain scalar
        return v.isascii()
    first = v[:1]
    if not first or first not in "+-0":
        return False
    if v.startswith(("0o", "0x")):
        return len(v) > 2 and set(v[2:]) <= (_OCTAL if v[1] == "o" else _HEX)
    digits = v[1:] if first != "0" else v
    return digits.isdigit() and digits.isascii()


_OCTAL, _HEX = frozenset("01234567"), frozenset("0123456789abcdefABCDEF")


def value(node) -> object:
    """The plain value of a scalar node (bool, int, None or str) by YAML 1.2 core rules, so it does
    not depend on the parser; None for collections."""
    if getattr(node, "id", None) != "scalar":
        return None
    v = node.value
    if node.style or (v[:1].isalpha() and v[:1] not in "tTfFnN"):
        return v  # quoted or block; or a plain word, which no rule below reads as anything else
    if node.tag and not node.tag.startswith(_CORE):
        return v  # explicitly tagged: a string
    if v in ("true", "True", "TRUE", "false", "False", "FALSE"):
        return v.lower() == "true"
    if v in ("", "~", "null", "Null", "NULL"):
        return None
    if _int_text(v):
        return int(v, 0) if v.startswith(("0o", "0x")) else int(v)
    return v


def text_value(node) -> str | None:
    """The scalar's value if it is a string, else None."""
    v = value(node)
    return v if isinstance(v, str) else None  # only a scalar has a string value


def _scalar_index(root) -> dict:
    """Document.scalars' index: every scalar below the root, and those of each top-level entry.
    The one walk every document gets, so it is a plain loop (the same order as `walk`)."""
    every: list = []
    by_entry: dict = {(): every}
    # Each node comes with the list of the top-level entry it is below (None above the entries).
    stack = [(root, (), None, None, None)] if root is not None else []
    pop, push = stack.pop, stack.append
    while stack:
        node, path, key, parent, entry = pop()
        kind = node.id
        if kind == "scalar":
            found = (node, path, key, parent)
            every.append(found)
            if entry is not None:
                entry.append(found)
            continue
        if len(path) == 2:  # a top-level entry: what is below it is its own
            entry = by_entry.setdefault(path, [])
        if kind == "mapping":
            for k, v in reversed(node.value):
                kv = k.value
                if k.id != "scalar" or k.style or not kv[:1].isalpha() or kv[:1] in "tTfFnN":
                    kv = value(k)  # value's plain-word case, inline: this runs for every key of every document
                push((v, path + (kv,), kv, node, entry))
        elif kind == "sequence":
            for i in range(len(node.value) - 1, -1, -1):
                push((node.value[i], path + (i,), None, None, entry))
    return by_entry


def walk(node, path: tuple = (), key=None, parent=None):
    """Every node below `node` (itself first) as (node, data path, its key, the mapping holding it),
    without recursion: a deep file cannot exhaust the stack."""
    stack = [(node, path, key, parent)]
    while stack:
        node, path, key, parent = stack.pop()
        if node is None:
            continue
        yield node, path, key, parent
        if is_map(node):
            stack.extend((v, path + (value(k),), value(k), node) for k, v in reversed(entries(node)))
        elif is_seq(node):
            stack.extend((v, path + (i,), None, None) for i, v in reversed(list(enumerate(items(node)))))
