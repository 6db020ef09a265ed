"""Proof that a fix changed only what it declared: re-parse, and compare the data."""
from __future__ import annotations

# copy: imported where used, since most runs never need it (start-up time counts in a hook)

from .document import ParseError, construct, parse_text


def _key(path: tuple):
    return [(0, p) if isinstance(p, int) else (1, str(p)) for p in path]


def expected_data(data, deletes: list[tuple], sets: list[tuple] = (), shares: bool = True):
    """The data with the declared paths removed (list indices deepest and last first), then the
    declared values set. `data` is never changed: with `shares` (the data may hold one mapping or
    list in two places, through an anchor) it is copied whole, so a change to one place shows in
    both; without, only the mappings and lists on the declared paths are copied."""
    import copy

    if shares:
        out = copy.deepcopy(data)
        parent_of = _walk_to
    else:
        out = _copy(data)
        copied = {id(out)}  # the copies live in `out`, so no id is reused while this runs

        def parent_of(root, path):
            parent = root
            for p in path[:-1]:
                child = parent[p]
                if id(child) not in copied:
                    child = parent[p] = _copy(child)
                    copied.add(id(child))
                parent = child
            return parent
    for path in sorted(deletes, key=_key, reverse=True):
        parent = parent_of(out, path)
        del parent[path[-1]]
    for path, value in sets:
        parent = parent_of(out, path)
        if isinstance(parent, list) and path[-1] == len(parent):
            parent.append(copy.deepcopy(value))
        else:
            parent[path[-1]] = copy.deepcopy(value)
    return out


def _walk_to(root, path: tuple):
    """The mapping or list holding the last step of a path."""
    for p in path[:-1]:
        root = root[p]
    return root


def _copy(x):
    return dict(x) if isinstance(x, dict) else list(x) if isinstance(x, list) else x


def same(a, b) -> bool:
    """Equality that also tells 1 from true and 1 from 1.0 (plain == does not). The order of a
    mapping's keys carries no meaning in YAML, so it is not compared."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def check(before_data, after_text: str, deletes: list[tuple], sets: list[tuple] = (), composed=None,
          shares: bool = True):
    """(None, root, data) when `after_text` parses to `before_data` minus `deletes`, plus `sets`;
    else (what differs, None, None). The parse is returned so that it is not done again.
    `composed`: the text's root node, when the gate composed it already; `shares`: False when the
    text before had no anchor, so no mapping or list of its data stands in two places."""
    try:
        root, after = parse_text(after_text) if composed is None else construct(after_text, composed)
    except ParseError as e:
        return f"the fixed text does not parse ({e})", None, None
    try:
        expected = expected_data(before_data, deletes, sets, shares)
    except (KeyError, IndexError, TypeError):
        return f"a declared path is not in the data: {deletes} {[p for p, _ in sets]}", None, None
    if same(expected, after):
        return None, root, after
    from deepdiff import DeepDiff  # only when a fix failed: it is slow to import

    return "changed outside the declared paths: " + " ".join(str(DeepDiff(expected, after)).split())[:300], None, None


def check_python(before: str, after: str, wrappers: set[str], wraps: int, inserts: list[str]) -> str | None:
    """None when `after` is `before` with exactly `wraps` more calls wrapped in one of `wrappers`
    (expressions whose `lambda: ...` stands for the call) and the top-level statements `inserts`
    added; else what differs. Checked on the syntax trees with the standard library's `ast`, so the
    proof does not rest on the library that made the change."""
    import ast

    try:
        old, new = ast.parse(before), ast.parse(after)
    except SyntaxError as e:
        return f"the fixed code does not parse ({e.msg}, line {e.lineno})"
    templates = {ast.dump(ast.parse(w, mode="eval").body) for w in wrappers}
    unwrapped = _Unwrap(templates).visit(new).count - _Unwrap(templates).visit(old).count
    if unwrapped != wraps:
        return f"{unwrapped} calls were wrapped, not {wraps}"
    body = [ast.dump(s) for s in new.body]
    for source in inserts:
        for stmt in ast.parse(source).body:
            if ast.dump(stmt) not in body:
                return "a declared insertion is missing"
            body.remove(ast.dump(stmt))
    if body != [ast.dump(s) for s in old.body]:
        return "the code changed outside the wrapped calls and the inserted statements"
    return None


class _Unwrap:
    """Replace every expression matching a wrapper by the call in its lambda, counting them."""

    def __init__(self, templates: set[str]):
        import ast

        self.templates, self.count = templates, 0

        class Transformer(ast.NodeTransformer):
            def visit_Call(inner, node):
                inner.generic_visit(node)
                for lam in [n for n in ast.walk(node) if isinstance(n, ast.Lambda)]:
                    body, lam.body = lam.body, ast.Constant(...)
                    matches = ast.dump(node) in self.templates
                    lam.body = body
                    if matches:
                        self.count += 1
                        return body
                return node

        self._transformer = Transformer()

    def visit(self, tree):
        self._transformer.visit(tree)
        return self
