"""Generated projects that mix the rules' violations, in both formats and many valid stylings
(block or flow steps, indents 2 or 4, both sequence styles, comments, trailing spaces, CRLF, BOM):
fixing with every rule never raises, the output parses, a second run changes nothing, the runtime
errors the validator finds never grow, and every line that holds no violation is still there, in
order, byte for byte.

CI runs a fixed number of examples from a fixed seed; `POLYFIX_FUZZ_EXAMPLES=5000` draws more.
"""
from __future__ import annotations

import os
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polyfix import engine, validate
from polyfix.document import parse
from polyfix.project import Project

LONG_RUN = os.environ.get("POLYFIX_FUZZ_EXAMPLES")
MIXED = settings(max_examples=int(LONG_RUN or 120), derandomize=not LONG_RUN, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.too_slow])
NEUTRAL = "# neutral"  # marks the lines no fix may touch


@st.composite
def tools_projects(draw):
    """The `tools:` format: a stack and services, some with violations."""
    ind = " " * draw(st.sampled_from([2, 4]))
    dash = draw(st.sampled_from(["", ind]))
    pad = draw(st.sampled_from(["", "  "]))  # trailing spaces on neutral lines
    lines = [f"{NEUTRAL} file{pad}", "tools:", f"{ind}stack:", f"{ind * 2}info: The stack.  {NEUTRAL}",
             f"{ind * 2}run:"]
    services = draw(st.lists(st.sampled_from(["api", "web", "worker"]), min_size=1, max_size=3, unique=True))
    for s in services:
        step = f"{ind * 2}{dash}- tool: {s}"
        if draw(st.booleans()) and s != services[0]:
            lines += [step, f"{ind * 2}{dash}  after: {{ step: {services[0]} }}"]  # PF003
        else:
            lines.append(step)
    if draw(st.booleans()):
        lines.append(f"{ind * 2}{dash}- tool: polytope/redpanda")  # PF002
    for s in services:
        base = f"{ind * 2}{dash}  "  # the keys of the step
        lines += [f"{ind}{s}:", f"{ind * 2}info: The {s} service.  {NEUTRAL}", f"{ind * 2}run:",
                  f"{ind * 2}{dash}- tool: polytope/python", f"{base}args:",
                  f"{base}{ind}image: python:3.12-slim  {NEUTRAL}"]
        port = draw(st.sampled_from(['"8080"', "8080", "pt.value {s}-port".format(s=s)]))  # PF024, PF001
        if draw(st.booleans()):
            lines.append(f"{base}{ind}services: [{{ id: {s}, ports: [{{ protocol: http, port: {port} }}] }}]")
        env = draw(st.lists(st.sampled_from(["value", "secrets", "plain"]), max_size=3))
        if env:
            lines.append(f"{base}{ind}env:")
            for i, kind in enumerate(env):
                value = {"value": f"pt.value {s}-setting-{i}", "secrets": f"pt.secrets {s}-key-{i}",
                         "plain": f"plain-{i}"}[kind]
                lines.append(f"{base}{ind}{dash}- {{ name: VAR_{i}, value: {value} }}")
    return lines


@st.composite
def template_projects(draw):
    """The older format: a template running modules, some with violations."""
    dash = draw(st.sampled_from(["", "  "]))
    lines = [f"{NEUTRAL} file", "templates:", f"{dash}- id: stack", f"{dash}  info: The stack.  {NEUTRAL}",
             f"{dash}  run:"]
    mods = draw(st.lists(st.sampled_from(["api", "web", "db-init"]), min_size=1, max_size=3, unique=True))
    for m in mods:
        form = draw(st.sampled_from(["bare", "module", "id", "after"]))
        step = {"bare": f"- {m}", "module": f"- {{ module: {m} }}",  # PF008
                "id": f"- {{ id: {m}, module: {m} }}",  # PF008
                "after": f"- {{ module: {m}, run-when: {{ after: {mods[0]} }} }}"}[form]
        lines.append(f"{dash}  {dash}{step if m != mods[0] or form != 'after' else f'- {m}'}")
    if draw(st.booleans()):
        lines.append(f"{dash}  {dash}- polytope/postgres!simple")  # PF002
    lines.append("modules:")
    for m in mods:
        base = "polytope/couchbase!init-cluster" if m == "db-init" else "polytope/python"
        lines += [f"{dash}- id: {m}", f"{dash}  info: The {m} module.  {NEUTRAL}", f"{dash}  module: {base}"]
        if draw(st.booleans()) and m != "db-init":
            lines += [f"{dash}  args:", f"{dash}    image: python:3.12-slim  {NEUTRAL}",
                      f"{dash}    env:",
                      f"{dash}    {dash}- {{ name: HOST, value: \"#pt-value {m}-host\" }}"]  # PF001
    return lines


@st.composite
def projects(draw):
    lines = draw(st.one_of(tools_projects(), template_projects()))
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    bom = "\ufeff" if draw(st.booleans()) else ""
    return bom + eol.join(lines) + (eol if draw(st.booleans()) else "")


# Defaults for some of the values the projects read (PF001 declares those; the others stay reported).
VALUES = {f"{s}-setting-{i}": f"v{i}" for s in ("api", "web", "worker") for i in range(2)} | {"web-host": "web"}


def _runtime_errors(text: str) -> Counter:
    doc = parse(text)
    project = Project({"/p/polytope.yml": doc}, {"/p/polytope.yml": "/p/polytope.yml"}, "/p")
    return validate.keys(validate.check(project, ["/p/polytope.yml"]))


@MIXED
@given(projects())
def test_mixed_violations_fix_cleanly(text):
    options = engine.Options(fix=True, unsafe_fixes=True, values=VALUES)
    result = engine.run({"/p/polytope.yml": text}, ["/p/polytope.yml"], "/p", None, options)["/p/polytope.yml"]
    assert not result.errors, result.errors
    after = result.after
    parse(after)  # it parses
    again = engine.run({"/p/polytope.yml": after}, ["/p/polytope.yml"], "/p", None, options)["/p/polytope.yml"]
    assert again.after == after, "a second run changes nothing"
    assert _runtime_errors(after) - _runtime_errors(text) == Counter(), "no fix adds a runtime error"
    neutral = [line for line in text.lstrip("\ufeff").splitlines() if NEUTRAL in line]
    remaining = iter(after.lstrip("\ufeff").splitlines())
    assert all(any(line == other for other in remaining) for line in neutral), "untouched lines stay, in order"
    assert after.startswith("\ufeff") == text.startswith("\ufeff")
    assert ("\r\n" in after) == ("\r\n" in text)
