"""Property tests: generated projects in many layouts; the generator also writes the exact expected
output, so every byte that no fix touches is checked, in LF and CRLF, with and without BOM and
final newline, both sequence-indent styles, flow and block steps, comments and trailing spaces."""
from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polyfix import engine
from polyfix.document import ParseError, parse
from polyfix.verify import same

KINDS = {"polytope/python": True, "polytope/node": True, "polytope/postgres!simple": True,
         "polytope/couchbase!init-cluster": False, "polytope/scaffold": False, "acme/remote": False}


@st.composite
def projects(draw):
    ind = " " * draw(st.sampled_from([2, 4]))
    dash = draw(st.sampled_from(["", ind]))  # indentless `- ` or indented `  - ` sequences
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    n = draw(st.integers(2, 5))
    kinds = [draw(st.sampled_from(sorted(KINDS))) for _ in range(n)]
    lines: list[tuple[str, str | None]] = []  # (input line, expected line or None when removed)

    def keep(s):
        lines.append((s, s))

    keep("# generated" + draw(st.sampled_from(["", "   "])))
    keep("templates:")
    keep(f"{dash}- id: stack")
    item = dash + "  "
    keep(f"{item}run:")
    for i in range(n):
        target = draw(st.one_of(st.none(), st.integers(0, n - 1).filter(lambda j, i=i: j != i)))
        style = draw(st.sampled_from(["bare", "block", "flow"]))
        comment = draw(st.sampled_from(["", "  # note", "   "]))
        pre = f"{item}{dash}- "
        body = item + dash + "  "
        if draw(st.booleans()):
            keep(f"{item}{dash}# step {i}")
        removed = target is not None and KINDS[kinds[target]]
        if style == "bare":  # a bare step cannot carry an ordering
            keep(f"{pre}m{i}{comment}")
        elif style == "flow":
            after = f", run-when: {{after: m{target}}}" if target is not None else ""
            old = f"{pre}{{id: m{i}, module: m{i}{after}}}{comment}"
            lines.append((old, old.replace(after, "") if removed else old))
        else:
            keep(f"{pre}id: m{i}{comment}")
            keep(f"{body}module: m{i}")
            if target is not None:
                flow = draw(st.booleans())
                if flow:
                    s = f"{body}run-when: {{ after: m{target} }}"
                    lines.append((s, None if removed else s))
                else:
                    s1, s2 = f"{body}run-when:", f"{body}{ind}after: m{target}{comment}"
                    lines.append((s1, None if removed else s1))
                    # A removed entry's comment stays, on a line of its own at the entry's column.
                    gone = f"{body}{comment.strip()}" if comment.strip() else None
                    lines.append((s2, gone if removed else s2))
    keep("modules:")
    for i, kind in enumerate(kinds):
        keep(f"{dash}- id: m{i}")
        keep(f"{dash}  module: {kind}")
    bom = "\ufeff" if draw(st.booleans()) else ""
    final = eol if draw(st.booleans()) else ""
    before = bom + eol.join(a for a, _ in lines) + final
    kept = [b for _, b in lines if b is not None]
    after = bom + eol.join(kept) + final
    return before, after


def fix(text: str) -> str:
    results = engine.run({"/p/polytope.yml": text}, ["/p/polytope.yml"], "/p", None, engine.Options(fix=True, select=frozenset({"PF003"})))
    r = results["/p/polytope.yml"]
    assert not r.errors, r.errors
    return r.after


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(projects())
def test_fix_gives_exactly_the_expected_bytes(case):
    before, expected = case
    parse(before)  # the generator makes valid YAML
    after = fix(before)
    assert after == expected
    assert fix(after) == after, "a second pass changes nothing"


@settings(max_examples=100, deadline=None)
@given(projects())
def test_report_only_never_changes_text(case):
    before, _ = case
    r = engine.run({"/p/polytope.yml": before}, ["/p/polytope.yml"], "/p", None, engine.Options())
    assert r["/p/polytope.yml"].after == before


def test_same_tells_types_apart():
    assert same({"a": [1, "x"]}, {"a": [1, "x"]})
    assert not same({"a": 1}, {"a": True})
    assert not same([1], [1.0])
    assert same({"a": 1, "b": 2}, {"b": 2, "a": 1}), "key order carries no meaning"
    assert not same({"a": 1}, {"a": 1, "b": 2})


@st.composite
def value_projects(draw):
    """A tools file whose env lists use pt.value, in many layouts."""
    ind = " " * draw(st.sampled_from([2, 4]))
    dash = draw(st.sampled_from(["", ind]))
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    decl = draw(st.sampled_from(["none", "params", "inputs", "flow-params"]))
    names = draw(st.lists(st.sampled_from(["api-port", "log-level", "db-host", "mode"]), min_size=1, max_size=5))
    flow_env = draw(st.booleans())
    lines = ["tools:", f"{ind}api:"]
    if draw(st.booleans()):
        lines.append(f"{ind * 2}info: The API.")
    if decl == "params":
        lines += [f"{ind * 2}params:", f"{ind * 2}{dash}- id: cmd", f"{ind * 2}{dash}  type: [default, str, ./bin/run]"]
    elif decl == "inputs":
        lines += [f"{ind * 2}inputs:", f"{ind * 3}cmd:", f"{ind * 4}type: [default, str, ./bin/run]"]
    elif decl == "flow-params":
        lines.append(f"{ind * 2}params: []")
    base = ind * 2
    lines += [f"{base}run:", f"{base}{dash}- tool: polytope/python", f"{base}{dash}  args:", f"{base}{dash}  {ind}env:"]
    env = f"{base}{dash}  {ind}{dash}"
    for i, n in enumerate(names):
        name = "PORT" if n == "api-port" else f"VAR_{i}"
        if flow_env:
            lines.append(f"{env}- {{ name: {name}, value: pt.value {n} }}")
        else:
            lines += [f"{env}- name: {name}", f"{env}  value: pt.value {n}"]
    text = ("\ufeff" if draw(st.booleans()) else "") + eol.join(lines) + (eol if draw(st.booleans()) else "")
    return text, names, decl


# Every name has a default in the values file: nothing calls `api`, so a param without one would
# make `pt run api` fail, and PF001 does not declare such a param.
VALUES = {"api-port": "8080", "log-level": "info", "db-host": "db", "mode": "dev"}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value_projects())
def test_values_become_declared_params(case):
    before, names, decl = case
    results = engine.run({"/p/polytope.yml": before}, ["/p/polytope.yml"], "/p", None,
                         engine.Options(fix=True, select=frozenset({"PF001"}), values=VALUES))
    r = results["/p/polytope.yml"]
    assert not r.errors, r.errors
    after = r.after
    assert "pt.value" not in after
    data = parse(after).data["tools"]["api"]
    kind = "input" if decl == "inputs" else "param"
    env = data["run"][0]["args"]["env"]
    assert [e["value"] for e in env] == [f"pt.{kind} {n}" for n in names]
    declared = list(data["inputs"]) if decl == "inputs" else [p["id"] for p in data["params"]]
    assert sorted(set(declared) - {"cmd"}) == sorted(set(names)), "each name declared exactly once"
    assert len(declared) == len(set(declared))
    # every line that held no reference is still there, byte for byte, in order
    old_lines = [l for l in before.lstrip("\ufeff").splitlines() if "pt.value" not in l and "params: []" not in l]
    new_lines = after.lstrip("\ufeff").splitlines()
    it = iter(new_lines)
    assert all(any(l == m for m in it) for l in old_lines)
    assert after.startswith("\ufeff") == before.startswith("\ufeff")
    assert ("\r\n" in after) == ("\r\n" in before)
    again = engine.run({"/p/polytope.yml": after}, ["/p/polytope.yml"], "/p", None,
                       engine.Options(fix=True, unsafe_fixes=True, select=frozenset({"PF001"}), values=VALUES))
    assert again["/p/polytope.yml"].after == after


STATEFUL = ["polytope/redpanda", "polytope/postgres", "polytope/postgres!simple", "polytope/couchbase", "polytope/mailpit"]


@st.composite
def stateful_projects(draw):
    """Old-format templates running stateful built-ins bare or as `{module: ...}` steps."""
    ind = " " * draw(st.sampled_from([2, 4]))
    dash = draw(st.sampled_from(["", ind]))
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    builtins_used = draw(st.lists(st.sampled_from(STATEFUL), min_size=1, max_size=3, unique_by=lambda b: b.split("!")[0]))
    lines = ["# stack", "templates:", f"{dash}- id: stack", f"{dash}  run:"]
    for b in builtins_used:
        if draw(st.booleans()):
            lines.append(f"{dash}  {dash}- {b}")
        else:
            lines += [f"{dash}  {dash}- module: {b}"]
    lines.append(f"{dash}  {dash}- api")
    if draw(st.booleans()):
        lines += ["modules:", f"{dash}- id: api", f"{dash}  module: polytope/python"]
    text = eol.join(lines) + (eol if draw(st.booleans()) else "")
    return text, builtins_used


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stateful_projects())
def test_stateful_steps_get_project_volumes(case):
    before, used = case
    options = engine.Options(fix=True, select=frozenset({"PF002"}))
    r = engine.run({"/p/polytope.yml": before}, ["/p/polytope.yml"], "/p", None, options)["/p/polytope.yml"]
    assert not r.errors, r.errors
    assert not r.problems, [p.message for p in r.problems]
    data = parse(r.after).data
    modules = {m["id"]: m for m in data["modules"]}
    for step in data["templates"][0]["run"]:
        ref = step if isinstance(step, str) else step["module"]
        assert not ref.startswith("polytope/"), "every stateful step runs a wrapper"
        if ref != "api":
            volume = modules[ref]["args"]["data-volume"]
            assert volume == {"type": "volume", "scope": "project", "id": f"{ref}-data"}
    kept = [l for l in before.splitlines() if "polytope/" not in l]
    it = iter(r.after.splitlines())
    assert all(any(l == m for m in it) for l in kept), "lines without a stateful step are untouched"
    again = engine.run({"/p/polytope.yml": r.after}, ["/p/polytope.yml"], "/p", None, options)["/p/polytope.yml"]
    assert again.after == r.after


GOLDEN_INPUTS = sorted(p.read_text(encoding="utf-8") for p in
                       (Path(__file__).resolve().parent.parent / "golden").glob("*/*/input.yml"))


@st.composite
def mutated_inputs(draw):
    """A golden input with a few lines deleted, repeated or swapped: odd shapes of real mistakes."""
    lines = draw(st.sampled_from(GOLDEN_INPUTS)).splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        if len(lines) < 2:
            break
        i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["delete", "repeat", "swap"]))
        if op == "delete":
            del lines[i]
        elif op == "repeat":
            lines.insert(i, lines[j])
        else:
            lines[i], lines[j] = lines[j], lines[i]
    return "".join(lines)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(mutated_inputs())
def test_odd_shapes_never_crash_or_break_a_file(text):
    try:
        parse(text)
    except ParseError:
        return  # not YAML: the CLI reports it and touches nothing (tests/test_cli.py)
    options = engine.Options(fix=True, unsafe_fixes=True)
    r = engine.run({"/p/polytope.yml": text}, ["/p/polytope.yml"], "/p", None, options)["/p/polytope.yml"]
    assert not r.errors, r.errors
    parse(r.after)
    again = engine.run({"/p/polytope.yml": r.after}, ["/p/polytope.yml"], "/p", None, options)["/p/polytope.yml"]
    assert again.after == r.after, "fixes converge"
