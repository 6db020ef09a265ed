"""The engine's safety net and the text deletions it is built on."""
from __future__ import annotations

import pytest

from polyfix import engine
from polyfix.document import ParseError, get, items, mask, parse, text_value
from polyfix.edits import Edit, apply_edits, delete_entry, delete_item
from polyfix.problem import Fix, Problem


def _delete_key(text: str, key: str, *path) -> str:
    doc = parse(text)
    node = doc.root
    for p in path:
        node = items(node)[p] if isinstance(p, int) else get(node, p)
    i = next(i for i, (k, _) in enumerate(node.value) if k.value == key)
    edit = delete_entry(doc.text, node, i)
    return None if edit is None else apply_edits(doc.text, [edit])


@pytest.mark.parametrize("text, key, path, expected", [
    ("a: 1\nb: 2\nc: 3\n", "b", (), "a: 1\nc: 3\n"),
    ("a: 1\nb:\n  x: 1\n  # inside\n  y: 2\n# above c\nc: 3\n", "b", (), "a: 1\n# inside\n# above c\nc: 3\n"),
    ("{a: 1, b: 2, c: 3}\n", "b", (), "{a: 1, c: 3}\n"),
    ("{ a: 1, b: 2 }\n", "b", (), "{ a: 1 }\n"),
    ("- b: 1\n  c: 2\n", "b", (0,), "- c: 2\n"),
    # The comment ending a one-line entry's line is the user's: it stays, on a line of its own.
    ("- b: 1  # kept above the item\n  c: 2\n", "b", (0,), "# kept above the item\n- c: 2\n"),
    ("  - b: 1  # kept\r\n    c: 2\r\n", "b", (0,), "  # kept\r\n  - c: 2\r\n"),
    ("- b: 1\n  # a comment would move behind the dash\n  c: 2\n", "b", (0,), None),
    ("a: 1\nb: |\n  text\n\n  more\nc: 3\n", "b", (), "a: 1\nc: 3\n"),
    ("a: 1\nb: 2", "b", (), "a: 1"),
    ("a: 1\r\nb: 2", "b", (), "a: 1"),
    ("a: 1\nb: 2 # c\n", "b", (), "a: 1\n# c\n"),
    ("a: 1\r\nb: 2 # c\r\nd: 4\r\n", "b", (), "a: 1\r\n# c\r\nd: 4\r\n"),
    ("a: 1\nb: 2 # c", "b", (), "a: 1\n# c"),
    # A suppression goes with its line: alone on a line of its own it would suppress the next.
    ("a: 1\nb: 2  # noqa: PF003\nc: 3\n", "b", (), "a: 1\nc: 3\n"),
    ("- b: 1  # polyfix: ignore[PF008]\n  c: 2\n", "b", (0,), "- c: 2\n"),
    ("a: 1\nb: # a list\n  - x  # y\n  # z\nc: 3\n", "b", (), "a: 1\n# a list\n# y\n  # z\nc: 3\n"),
    ("- b:  # b\n    - x  # y\n  c: 2\n", "b", (0,), "# b\n# y\n- c: 2\n"),
    # A `#` in a scalar is no comment: a script, a quoted string, a plain scalar going on.
    ("a: 1\nb: |\n  # a script line\n  x\nc: 3\n", "b", (), "a: 1\nc: 3\n"),
    ("a: 1\nb: 'x # y'\nc: 3\n", "b", (), "a: 1\nc: 3\n"),
    ("a: 1\nb: x\n  y#z\nc: 3\n", "b", (), "a: 1\nc: 3\n"),
])
def test_delete_entry(text, key, path, expected):
    assert _delete_key(text, key, *path) == expected


@pytest.mark.parametrize("text, index, expected", [
    ("- a\n- b\n- c\n", 1, "- a\n- c\n"),
    ("[a, b, c]\n", 2, "[a, b]\n"),
    ("[a, b, c]\n", 0, "[b, c]\n"),
    ("- {step: a}\n- {step: b}\n", 0, "- {step: b}\n"),
    ("- a\n", 0, None),  # an emptied list means something else: the caller removes the key
    ("  - a\n  - b  # kept\n  - c\n", 1, "  - a\n  # kept\n  - c\n"),
    ("- a\n- b  # kept", 1, "- a\n# kept"),
    ("- a\r\n- step: b  # kept\r\n  x: '#1'\r\n", 1, "- a\r\n# kept\r\n"),
    ("- a\n- b  # noqa: PF003\n- c\n", 1, "- a\n- c\n"),
])
def test_delete_item(text, index, expected):
    doc = parse(text)
    edit = delete_item(doc.text, doc.root, index)
    assert (None if edit is None else apply_edits(doc.text, [edit])) == expected


def test_overlapping_edits_are_refused():
    with pytest.raises(Exception):
        apply_edits("abcdef", [Edit(0, 3, "x"), Edit(2, 4, "y")])


def test_a_fix_that_changes_undeclared_data_is_dropped_and_reported():
    text = "a: 1\nb: 2\nc: 3\n"
    docs = {"/p/f.yml": parse(text)}
    result = engine.FileResult("/p/f.yml", text, text)
    # The edit removes `b` but declares that it removes `c`.
    lying = Problem("PF003", "after-on-service", "m", "/p/f.yml", 2, 1, 2, 1,
                    Fix("remove", edits=[Edit(5, 10)], deletes=[("c",)]))
    assert engine._fix_file("/p/f.yml", [lying], docs, result) is False
    assert result.after == text
    assert len(result.errors) == 1 and result.errors[0].startswith("internal error: PF003 fix at line 2 dropped")


def test_applying_a_fix_reuses_the_gates_composition_and_still_proves_it():
    from polyfix.document import Document, compose

    text = "a: 1\nb: 2\nc: 3\n"
    fixed = "a: 1\nc: 3\n"
    good = Problem("PF003", "n", "m", "/p/f.yml", 2, 1, 2, 1, Fix("x", edits=[Edit(5, 10)], deletes=[("b",)]))
    docs = {"/p/f.yml": parse(text)}
    trial = Document(fixed, compose(fixed), None, {}, False)
    trial.memo["derived"] = "by the validator"
    result = engine.FileResult("/p/f.yml", text, text)
    assert engine._fix_file("/p/f.yml", [good], docs, result, {("/p/f.yml", fixed): trial}) is True
    assert docs["/p/f.yml"] is trial and trial.data == {"a": 1, "c": 3}, "the gate's document, with its data"
    # The proof still holds on the reused composition: a fix whose edit lies about what it deletes fails.
    lying = Problem("PF003", "n", "m", "/p/f.yml", 2, 1, 2, 1, Fix("x", edits=[Edit(5, 10)], deletes=[("c",)]))
    docs = {"/p/f.yml": parse(text)}
    trial = Document(fixed, compose(fixed), None, {}, False)
    result = engine.FileResult("/p/f.yml", text, text)
    assert engine._fix_file("/p/f.yml", [lying], docs, result, {("/p/f.yml", fixed): trial}) is False
    assert result.errors and docs["/p/f.yml"] is not trial


def test_construct_gives_what_a_parse_gives():
    from polyfix.document import compose, construct, parse_text

    for text in ("a: [1, {b: yes}]\nt: 2001-12-14\n", "x: &a {k: 1}\ny: *a\n", "", "- 0x1f\n- ~\n"):
        assert construct(text, compose(text))[1] == parse_text(text)[1]
    with pytest.raises(ParseError, match="duplicate key"):
        construct("a: 1\na: 2\n", compose("a: 1\na: 2\n"))
    assert construct("a: 1\n", object())[1] == {"a": 1}, "a root that is no PyYAML node: parsed again"


def test_a_good_fix_survives_beside_a_bad_one():
    text = "a: 1\nb: 2\nc: 3\n"
    docs = {"/p/f.yml": parse(text)}
    result = engine.FileResult("/p/f.yml", text, text)
    good = Problem("PF003", "n", "m", "/p/f.yml", 1, 1, 1, 1, Fix("x", edits=[Edit(0, 5)], deletes=[("a",)]))
    bad = Problem("PF003", "n", "m", "/p/f.yml", 3, 1, 3, 1, Fix("x", edits=[Edit(10, 15, "c: 4\n")], deletes=[]))
    assert engine._fix_file("/p/f.yml", [good, bad], docs, result) is True
    assert result.after == "b: 2\nc: 3\n"
    assert any("line 3 dropped" in e for e in result.errors)


def test_masking_keeps_offsets_and_round_trips():
    text = 'tools:\n  {{ project-name }}:\n    run: [{tool: "x-{= v =}"}]\n'
    masked, placeholders = mask(text)
    assert len(masked) == len(text)
    doc = parse(text)
    assert doc.unmask(doc.text) == text
    assert len(placeholders) == 2


def test_the_same_placeholder_gets_the_same_token_in_every_file():
    a, map_a = mask("x: {{ project-name }}\ny: {= v =}\n")
    b, map_b = mask("id: {{ project-name }}-api\n")
    token = next(t for t, v in map_a.items() if v == "{{ project-name }}")
    assert map_b == {token: "{{ project-name }}"} and token in a and token in b


# ---- the gate ----

GATED = """tools:
  api:
    params:
      - { id: region, type: [default, str, eu] }
    run:
      - tool: polytope/python
  stack:
    run:
      - { tool: api, args: { region: us } }
"""


def _edit_fix(doc, old: str, new: str, path, value=None, delete=False) -> Problem:
    """A hand-made problem whose fix replaces the one occurrence of `old`."""
    start = doc.text.index(old)
    fix = Fix("test", edits=[Edit(start, start + len(old), new)],
              deletes=[path] if delete else [], sets=[] if delete else [(path, value)])
    return Problem("PF999", "test", "test", "/p/polytope.yml", 1, 1, 1, 1, fix)


def _gate(doc):
    from polyfix import validate
    from polyfix.project import Project

    docs = {"/p/polytope.yml": doc}
    groups = {"/p/polytope.yml": "/p/polytope.yml"}
    baseline = validate.keys(validate.check(Project(docs, groups, "/p"), list(docs)))
    return docs, engine._Gate(baseline, groups, lambda these: Project(these, groups, "/p"))


def test_gate_rejects_a_fix_that_adds_a_runtime_error_and_says_why():
    doc = parse(GATED)
    docs, gate = _gate(doc)
    no_default = _edit_fix(doc, "[default, str, eu]", "str", ("tools", "api", "params", 0, "type"), "str")
    no_arg = _edit_fix(doc, "args: { region: us }", "args: {}", ("tools", "stack", "run", 0, "args", "region"),
                       delete=True)
    harmless = _edit_fix(doc, "polytope/python", "polytope/python", ("tools", "api", "run", 0, "tool"),
                         "polytope/python")
    # Each alone keeps the stack running; together `stack` runs `api` without a required `region`.
    # Both changed a spec the error involves: the project without the first one has no error, so
    # that one is rejected, with the error it would cause, and the other is kept.
    gate.judge([no_default, no_arg, harmless], docs)
    assert no_arg.fix is not None and harmless.fix is not None
    assert no_default.fix is None
    assert no_default.hint == ("not fixed: with this fix, tool `stack` runs tool `api` without `region`, "
                               "a param with no default: the run fails")


def test_gate_ends_and_rejects_fixes_that_leave_no_yaml():
    """A fix whose text is not YAML cannot be tried with the others; judged alone it is refused, and
    the judgement ends (it once came back in every next batch, forever)."""
    doc = parse(GATED)
    docs, gate = _gate(doc)
    broken = _edit_fix(doc, "args: { region: us }", "args: { region: us # }", ("tools", "stack", "run", 0, "args"), {})
    also_broken = _edit_fix(doc, "[default, str, eu]", "[default, str, eu", ("tools", "api", "params", 0, "type"), [])
    fine = _edit_fix(doc, "polytope/python", "polytope/python", ("tools", "api", "run", 0, "tool"), "polytope/python")
    gate.judge([broken, also_broken, fine], docs)
    assert broken.fix is None and also_broken.fix is None and fine.fix is not None
    assert broken.hint == "not fixed: with this fix, the file would not be YAML"


def _insert_fix(doc, before: str, text: str, path, value) -> Problem:
    """A hand-made problem whose fix inserts `text` just before the one occurrence of `before`."""
    at = doc.text.index(before)
    return Problem("PF999", "test", f"adds {text.strip()}", "/p/polytope.yml", 1, 1, 1, 1,
                   Fix("test", edits=[Edit(at, at, text)], sets=[(path, value)]))


def test_gate_tries_items_added_at_one_place_in_one_trial():
    """Two fixes adding params at the end of one `params:` list clash (they insert at one offset),
    but a trial can hold both: one parse and one validation of the file instead of one each."""
    doc = parse(GATED)
    docs, gate = _gate(doc)
    params = ("tools", "api", "params")
    size = _insert_fix(doc, "    run:\n      - tool: polytope/python", "      - { id: size, type: [default, int, 1] }\n",
                       params + (1,), {"id": "size", "type": ["default", "int", 1]})
    zone = _insert_fix(doc, "    run:\n      - tool: polytope/python", "      - { id: zone, type: [default, str, a] }\n",
                       params + (1,), {"id": "zone", "type": ["default", "str", "a"]})
    gate.judge([size, zone], docs)
    assert size.fix is not None and zone.fix is not None
    assert len(gate.trial_docs) == 1, "both items in one trial"
    tried = next(iter(gate.trial_docs.values()))
    assert [text_value(get(p, "id")) for p in items(get(get(get(tried.root, "tools"), "api"), "params"))] == \
        ["region", "size", "zone"]


def test_gate_tries_joinable_inserts_and_still_rejects_the_one_that_breaks_the_run():
    doc = parse(GATED)
    docs, gate = _gate(doc)
    at = "    run:\n      - tool: polytope/python"
    size = _insert_fix(doc, at, "      - { id: size, type: [default, int, 1] }\n", ("tools", "api", "params", 1),
                       {"id": "size", "type": ["default", "int", 1]})
    zone = _insert_fix(doc, at, "      - { id: zone, type: str }\n", ("tools", "api", "params", 1),
                       {"id": "zone", "type": "str"})  # no default: `stack` passes no zone
    gate.judge([size, zone], docs)
    assert size.fix is not None
    assert zone.fix is None and zone.hint == ("not fixed: with this fix, tool `stack` runs tool `api` without "
                                              "`zone`, a param with no default: the run fails")


@pytest.mark.parametrize(("x", "y", "together"), [
    (Edit(5, 5, "  - id: a\n"), Edit(5, 5, "  - id: b\n    type: str\n"), True),  # items of one list
    (Edit(5, 5, "- { id: a, type: str }\n"), Edit(5, 5, "- {id: b}\n- id: c  # note\n"), True),
    (Edit(5, 5, "  - id: a\n"), Edit(5, 5, "  - id: a\n    type: str\n"), False),  # one id twice
    (Edit(5, 5, "  - id: a\n  - id: b\n"), Edit(5, 5, "  - { id: b }\n"), False),
    (Edit(5, 5, "  - id: a\n"), Edit(5, 5, "  - b\n"), False),  # an item without its id
    (Edit(5, 5, "  - id: a\n"), Edit(5, 5, "  - name: b\n    id: c\n"), False),  # its id not first
    (Edit(5, 5, "  - id: a\n"), Edit(5, 5, '  - id: "b"\n'), False),  # quoted ids: not compared
    (Edit(5, 5, "  - id: a\n"), Edit(5, 5, "    - id: b\n"), False),  # a nested list's item
    (Edit(5, 5, "  - id: a\n"), Edit(6, 6, "  - id: b\n"), False),  # two places
    (Edit(5, 5, "  - id: a\n"), Edit(5, 7, "  - id: b\n"), False),  # a replacement
    (Edit(5, 5, "  - id: a\n"), Edit(5, 5, "  params:\n    - id: b\n"), False),  # a key: it could be there twice
    (Edit(5, 5, "  - id: a\n"), Edit(5, 5, "  - id: b\n  c: 1\n"), False),  # ends the list, then a key
    (Edit(5, 5, "  - id: a\n"), Edit(5, 5, "  - id: b"), False),  # no line break: the next line joins it
    (Edit(5, 5, "  - id: a\n"), Edit(5, 5, "  - id: b\n\n"), False),  # a blank line
    (Edit(5, 5, "  - id: a\n"), Edit(5, 5, "  # b\n"), False),  # a comment
    (Edit(5, 5, "  - id: a\n"), Edit(5, 5, ""), False),
    (Edit(5, 5, "  a:\n    type: str\n"), Edit(5, 5, "  b: 1\n  c:\n    d: 2\n"), True),  # entries of one mapping
    (Edit(5, 5, "  a: 1\n"), Edit(5, 5, "  a: 2\n"), False),  # one key twice
    (Edit(5, 5, "  a: 1\n  b: 2\n"), Edit(5, 5, "  c: 1\n  b: 3\n"), False),
    (Edit(5, 5, "  a: 1\n"), Edit(5, 5, "  - id: b\n"), False),  # an entry and an item
    (Edit(5, 5, "  a: 1\n"), Edit(5, 5, "    b: 1\n"), False),  # a nested mapping's entry
    (Edit(5, 5, "  a: 1\n"), Edit(5, 5, "  params:\n  - id: b\n"), False),  # a list at its key's indentation
    (Edit(5, 5, "  a: 1\n"), Edit(5, 5, '  "b": 1\n'), False),  # quoted keys: not compared
    (Edit(5, 5, "  a: 1\n"), Edit(5, 5, "  b:c\n"), False),  # a scalar, not an entry
    (Edit(5, 5, "  a: 1\n"), Edit(5, 5, "  ? b\n  : 1\n"), False),
])
def test_joinable_inserts(x, y, together):
    from polyfix.edits import joinable_inserts

    assert joinable_inserts(x, y) is together
    assert joinable_inserts(y, x) is together


def test_gate_ignores_problems_that_were_there_before():
    doc = parse(GATED.replace("- tool: polytope/python", "- tool: apii"))  # PF022 already
    docs, gate = _gate(doc)
    no_arg = _edit_fix(doc, "args: { region: us }", "args: {}", ("tools", "stack", "run", 0, "args", "region"),
                       delete=True)
    gate.judge([no_arg], docs)
    assert no_arg.fix is not None


def test_no_fix_removes_a_suppression_comment_in_use():
    from polyfix import suppress

    text = "a:\n  b: pt.value x  # polyfix: ignore[PF001]\n  c: 1\n"
    doc = parse(text)
    suppressed = Problem("PF001", "value-to-param", "m", "/p", 2, 6, 2, 16)
    line_start, line_end = text.index("  b:"), text.index("  c:")
    other = Problem("PF003", "after-on-service", "m", "/p", 2, 3, 2, 4,
                    Fix("delete the line", edits=[Edit(line_start, line_end)], deletes=[("a", "b")]))
    untouched = Problem("PF003", "after-on-service", "m", "/p", 3, 3, 3, 4,
                        Fix("delete c", edits=[Edit(line_end, len(text))], deletes=[("a", "c")]))
    kept = suppress.apply([suppressed, other, untouched], doc, "/p")
    assert suppressed not in kept
    assert other in kept and other.fix is None and "suppression comment that is in use" in other.hint
    assert untouched.fix is not None


def _walked_scalars(doc):
    from polyfix.document import is_scalar, walk

    return [(n, p, k, parent) for n, p, k, parent in walk(doc.root) if is_scalar(n)]


def test_the_scalar_index_is_the_walk_of_every_real_file():
    """Document.scalars is built by its own loop (the rules' hot path); it must list exactly what
    the general walk yields, in the same order, for every golden and corpus file."""
    from conftest import CORPUS, GOLDEN

    files = sorted(GOLDEN.rglob("*.yml")) + (sorted(CORPUS.rglob("polytope.y*ml")) if CORPUS.is_dir() else [])
    seen = 0
    for f in files:
        try:
            doc = parse(f.read_text(encoding="utf-8"))
        except (ParseError, UnicodeDecodeError):
            continue
        walked = _walked_scalars(doc)
        assert doc.scalars() == walked, f
        for entry in {p[:2] for _n, p, _k, _parent in walked if len(p) > 2}:
            assert doc.scalars(entry) == [s for s in walked if s[1][:2] == entry and len(s[1]) > 2], (f, entry)
        seen += 1
    assert seen > 100


def test_the_fast_resolver_gives_the_safe_loaders_tags():
    """document's loader answers most tags without patterns; every node of every golden and corpus
    file, and of odd scalars, must get the tag PyYAML's own safe loader gives it."""
    import yaml

    from conftest import CORPUS, GOLDEN
    from polyfix import document

    def tags(loader, text):
        ld = loader(text)
        try:
            stack, out = [ld.get_single_node()], []
        finally:
            ld.dispose()
        while stack:
            n = stack.pop()
            if n is None:
                continue
            out.append((n.tag, n.start_mark.index))
            if n.id == "mapping":
                stack.extend(x for pair in n.value for x in pair)
            elif n.id == "sequence":
                stack.extend(n.value)
        return out

    odd = "\n".join(f"- {v}" for v in ["", "~", "null", "Null", "yes", "No", "on", "OFF", "true", "1", "-1", "+1", "0x1f",
                                       "0o7", "1_000", "1.5", ".inf", "-.inf", ".nan", "2001-12-14", "1:20", "=",
                                       "<<", "x", "é", "Yes please", "'1'", "\"true\"", "!!str 1", "!x y", "abc: def"])
    texts = [odd] + [f.read_text(encoding="utf-8", errors="replace")
                     for f in sorted(GOLDEN.rglob("*.yml")) + (sorted(CORPUS.rglob("polytope.y*ml")) if CORPUS.is_dir() else [])]
    assert document._FAST is not yaml.CSafeLoader  # the fast resolver is in use
    compared = 0
    for text in texts:
        try:
            expected = tags(yaml.CSafeLoader, text)
        except yaml.YAMLError:
            continue
        assert tags(document._FAST, text) == expected
        compared += 1
    assert compared > 100


def test_a_key_overriding_a_merged_one_is_no_duplicate(tmp_path, polyfix):
    # `<<: *args` then `image:` is valid YAML: the explicit key wins. Building the data merges the
    # keys into the mapping's node, where the check used to find `image` twice (exit 2).
    import yaml

    from polyfix.document import parse

    text = ("x-base: &args\n  image: node:20\n  cmd: npm start\nmodules:\n  - id: api\n    module: polytope/container\n"
            "    args: { <<: *args, image: node2 }\n  - id: web\n    module: polytope/container\n    args:\n"
            "      <<: *args\n      image: node:22\n")
    assert parse(text).data == yaml.safe_load(text)
    (tmp_path / "polytope.yml").write_text(text)
    assert polyfix(tmp_path).code == 0
    (tmp_path / "polytope.yml").write_text(text + "      image: node:23\n")
    r = polyfix(tmp_path)
    assert r.code == 2 and "duplicate key `image`" in r.err
    # Two `<<` keys in one mapping: PyYAML merges both, ruamel.yaml refuses: loaders disagree.
    (tmp_path / "polytope.yml").write_text(text.replace("      <<: *args\n", "      <<: *args\n      <<: *args\n"))
    r = polyfix(tmp_path)
    assert r.code == 2 and "duplicate key `<<`" in r.err


def test_pf002_reads_a_file_s_volume_style_once_however_many_volumes_it_adds(tmp_path, polyfix, monkeypatch):
    # It read the whole text for every volume it added: a 900 KB file with 300 stores took 10 s.
    from polyfix.rules import pf002_stateful_without_volume as pf002
    calls = []
    read = pf002._flow_volume_styles
    monkeypatch.setattr(pf002, "_flow_volume_styles", lambda text: calls.append(1) or read(text))
    stores = "".join(f"  db{i}:\n    run:\n      - tool: polytope/container\n        args:\n"
                     f"          image: redis:7\n          id: db{i}\n" for i in range(20))
    (tmp_path / "polytope.yml").write_text("tools:\n  # { id: x, type: volume }\n" + stores)
    dry = polyfix(tmp_path, "--dry-run", "--isolated", "polytope.yml")
    assert dry.err.splitlines()[-1] == "Would fix 20 problems; no problems remain."
    assert dry.out.count("source: { id: db") == 20  # the padded, id-first style of the one volume map
    assert len(calls) == 1
