"""Proof that a fix changed only what it declared: re-parse, and compare the data."""
from __future__ import annotations

import copy

from .document import ParseError, parse_text


def _key(path: tuple):
    return [(0, p) if isinstance(p, int) else (1, str(p)) for p in path]


def expected_data(data, deletes: list[tuple]):
    """The data with the declared paths removed (list indices deepest and last first)."""
    out = copy.deepcopy(data)
    for path in sorted(deletes, key=_key, reverse=True):
        parent = out
        for p in path[:-1]:
            parent = parent[p]
        del parent[path[-1]]
    return out


def same(a, b) -> bool:
    """Equality that also tells 1 from true and 1 from 1.0 (plain == does not)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def check(before_data, after_text: str, deletes: list[tuple]) -> str | None:
    """None when `after_text` parses to `before_data` minus `deletes`; else what differs."""
    try:
        _root, after = parse_text(after_text)
    except ParseError as e:
        return f"the fixed text does not parse ({e})"
    try:
        expected = expected_data(before_data, deletes)
    except (KeyError, IndexError, TypeError):
        return f"a declared path is not in the data: {deletes}"
    if same(expected, after):
        return None
    from deepdiff import DeepDiff  # only when a fix failed: it is slow to import

    return "changed outside the declared paths: " + " ".join(str(DeepDiff(expected, after)).split())[:300]
