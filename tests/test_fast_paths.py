"""Shortcuts taken for speed must answer exactly what the long way answers: a document's data built
on first read, the one-walk tree check, `within` by string comparison, the probe's folder cache.
Each is compared with the long way on real files and on generated or odd inputs."""
from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import CORPUS, GOLDEN
from polyfix import discover, document
from polyfix.document import UNBUILT, ParseError, parse, parse_text
from polyfix.project import pure, within

# Scalars and shapes whose data PyYAML builds in some other way than a plain string, or fails to
# build: each must take the eager way and give what it gave before.
ODD = ["a: 2001-12-14", "a: 2001-13-45", "a: 0b_", "a: 0b101", "a: 0o17", "a: 0x1f", "a: 017", "a: 1_000",
       "a: ._", "a: 1.5", "a: .inf", "a: .nan", "a: 1:20", "a: =", "= : 1", "<<: {b: 1}", "a: {<<: [1]}",
       "a: !!str 1", "a: !x y", "a: !!binary aGk=", "a: !!binary '%%'", "a: !!set {b, c}", "a: !!omap [b: 1]",
       "{[a]: 1}", "? {a: 1}\n: 2", "a: &x [*x]", "a: &x 1\nb: *x", "a: 1\na: 2", "a: yes", "a: Off",
       "a: ~", "a:", "- -1\n- +1\n- 0\n- 00", "a: +0", "a: -0", "a: 'x'", "a: |\n  x\n", "a: [1, [2, [3]]]",
       "[" * 120 + "]" * 120, "", "# only a comment", "a: b: c", "a: [", "\ue000",
       "x: !!bool maybe", "x: !!bool y", "x: !!bool ''", "!!bool y: 1", "x: " + "1" * 4301,
       "x: -" + "1" * 4301, "x: !<tag:yaml.org,2002:bool> nope",
       "1: a\n+1: b\n-0: c\n0: d", "true: a\nTrue: b\nyes: c", "~: a\nnull: b\n: c", "a: [YES, n, On, oFF]"]


def _outcome(text: str, later: bool):
    try:
        root, data = parse_text(text, later=later)
    except ParseError as e:
        return "error", str(e)
    if data is UNBUILT:
        doc = document.Document(text, root, data)
        data = doc.data
        assert doc.data is data, "built once"
    return "data", data


def _same(a, b) -> bool:
    """Equal data, telling 1 from True and a date from its string."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b or a != a and b != b  # nan


def _files() -> list[Path]:
    return sorted(GOLDEN.rglob("*.yml")) + (sorted(CORPUS.rglob("polytope.y*ml")) if CORPUS.is_dir() else [])


def test_data_built_later_is_the_data_built_at_once_on_real_files():
    later = 0
    for f in _files():
        text = f.read_text(encoding="utf-8", errors="replace")
        at_once, built_later = _outcome(text, False), _outcome(text, True)
        assert at_once[0] == built_later[0] and _same(at_once[1], built_later[1]), f
        try:
            later += parse_text(text, later=True)[1] is UNBUILT
        except ParseError:
            pass
    assert later > 100, "most real files are built later"


@pytest.mark.parametrize("text", ODD)
def test_data_built_later_is_the_data_built_at_once_on_odd_input(text):
    at_once, built_later = _outcome(text, False), _outcome(text, True)
    assert at_once[0] == built_later[0]
    assert _same(at_once[1], built_later[1]) if at_once[0] == "data" else at_once[1] == built_later[1]


def test_only_plain_trees_are_built_later():
    assert parse_text("a: [x, 1, true, null, -2]\nb: {c: 'd'}\n", later=True)[1] is UNBUILT
    for text in ["a: 2001-12-14", "a: 0x1f", "a: 1.5", "a: !!float 1", "<<: {b: 1}", "{[a]: 1}", "a: &x 1"]:
        assert parse_text(text, later=True)[1] is not UNBUILT, text


_SCALARS = st.sampled_from(["x", "1", "-1", "01", "0b1", "0b_", "1_0", "1.", "._", "1e3", "1.0e+3", "true", "y", "No",
                            "on", "~", "null", "=", "<<", "2020-02-30", "2020-02-03", "12:30", "'q'", '"1"', "!!str 2",
                            "!!int 3", "!!float x", "!t z", "[]", "{}", "[a, b]", "{k: v}", "é", "0o8", "0x", "+.5"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "1", "<<", "true", "[k]"]), _SCALARS), max_size=6),
       st.booleans())
def test_data_built_later_is_the_data_built_at_once_on_generated_input(pairs, as_list):
    text = "".join(f"- {{{k}: {v}}}\n" if as_list else f"{k}: {v}\n" for k, v in pairs)
    at_once, built_later = _outcome(text, False), _outcome(text, True)
    assert at_once[0] == built_later[0]
    assert _same(at_once[1], built_later[1]) if at_once[0] == "data" else at_once[1] == built_later[1]


def test_a_document_built_later_survives_pickling():
    import pickle

    doc = parse("a: [1, x]\n")
    assert doc._data is UNBUILT
    assert pickle.loads(pickle.dumps(doc)).data == {"a": [1, "x"]}


def test_the_one_walk_tree_check_refuses_what_the_full_checks_refuse():
    nested = "a: " + "[" * 101 + "]" * 101
    with pytest.raises(ParseError, match="nested more than 100 levels deep"):
        parse(nested)
    parse("a: " + "[" * 98 + "]" * 98)  # 100 levels, the map and its value included: allowed
    many = "".join(f"- {i}\n" for i in range(document.MAX_NODES))  # the sequence itself is one more
    with pytest.raises(ParseError, match="nodes once its aliases are expanded"):
        parse(many)
    with pytest.raises(ParseError, match="duplicate key `b`"):
        parse("a: 1\nc: {b: 1, b: 2}\n")


_PARTS = st.sampled_from(["", "/", "a", "b", "ab", ".", "..", "//", "a/", "/a", "./", "a/b", "é"])


@settings(max_examples=2000, deadline=None)
@given(st.lists(_PARTS, max_size=5).map("".join), st.lists(_PARTS, max_size=5).map("".join))
def test_within_by_strings_is_within_by_paths(path, root):
    p, r = PurePosixPath(path), PurePosixPath(root)
    assert within(path, root) == (p == r or r in p.parents)


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.one_of(_PARTS, st.sampled_from(["bin", "x.yml", ".yml", "a.yaml", "y.", "..yml"])),
                max_size=6).map("".join))
def test_paths_as_strings_are_what_pathlib_makes_of_them(path):
    """A plain run does not load pathlib (2 ms): its strings must say what pathlib's objects said."""
    assert pure(path) == str(PurePosixPath(path))
    assert discover.posix(path) == Path(os.path.abspath(path)).as_posix()
    if os.name == "posix":
        shown = discover.as_given(path)
        assert shown == str(Path(path))
        # No such file here: a script by its name alone (a `.yml`/`.yaml` suffix, a bin/ folder).
        assert discover.is_script(path) == (Path(path).suffix not in (".yml", ".yaml") and Path(path).parent.name == "bin")
        folder = os.path.dirname(shown)  # the folder project_root and context_files start from
        assert discover.posix(folder or ".") == Path(os.path.abspath(Path(path).parent)).as_posix()


@pytest.mark.skipif(os.name != "posix", reason="symbolic links as POSIX makes them")
def test_the_probe_tells_inside_from_outside_as_realpath_does(tmp_path):
    project, outside = tmp_path / "project", tmp_path / "outside"
    (project / "bin").mkdir(parents=True)
    (project / "svc" / "bin").mkdir(parents=True)
    outside.mkdir()
    for f in [project / "bin" / "run", project / "svc" / "bin" / "go", outside / "elsewhere"]:
        f.write_text("#!/bin/sh\n")
    (project / "linked").symlink_to(outside)
    (project / "inner").symlink_to(project / "svc")
    (project / "bin" / "out").symlink_to(outside / "elsewhere")
    (project / "bin" / "in").symlink_to("../svc/bin/go")
    (project / "bin" / "loop").symlink_to("loop")
    real_root = Path(os.path.realpath(project)).as_posix()
    paths = ["bin/run", "bin/out", "bin/in", "bin/loop", "linked/elsewhere", "inner/bin/go", "inner/../bin/run",
             "linked/../project/bin/run", "./bin/run", "bin//run", "svc/bin/../bin/go", "bin/missing", "bin/"]
    for base in [str(project), os.path.relpath(project)]:
        probe = discover.make_probe(base)
        for rel in paths:
            path = f"{base}/{rel}"
            info = probe(path)
            if info.exists:
                assert info.inside_root == within(Path(os.path.realpath(path)).as_posix(), real_root), path


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["a", "bc", "\n", "\r", "\r\n", "\n\r", "\ue000"]), max_size=20).map("".join))
def test_line_numbers_from_the_line_index_are_those_counted_from_the_start(text):
    doc = document.Document(text, None, None)
    for index in range(len(text) + 1):
        line = text.count("\n", 0, index) + text.count("\r", 0, index) - text.count("\r\n", 0, index) + 1
        if index > 0 and text[index - 1] == "\r" and text[index:index + 1] == "\n":
            line -= 1  # between the CR and the LF of one line break
        col = index - (max(text.rfind("\n", 0, index), text.rfind("\r", 0, index)) + 1) + 1
        assert doc.line_col(index) == (line, col)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["a", "bc", "\n", "\n\n", "\ue000"]), max_size=30).map("".join))
def test_columns_in_a_text_of_lf_breaks_are_counted_from_the_last_lf(text):
    doc = document.Document(text, None, None)
    for index in range(len(text) + 2):  # an offset past the end too, as an edit's end may be
        assert doc.line_col(index) == (text.count("\n", 0, index) + 1, index - text.rfind("\n", 0, index))


def _apply_edits_one_by_one(text, edits):
    """edits.apply_edits the long way: the text rebuilt for each edit, from the last to the first."""
    from polyfix.edits import OverlappingEdits

    out, last_start = text, len(text) + 1
    for e in sorted(edits, reverse=True):
        if e.end > last_start:
            raise OverlappingEdits(f"edits overlap at offset {e.start}")
        out = out[: e.start] + e.text + out[e.end:]
        last_start = e.start
    return out


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="ab\n", max_size=12),
       st.lists(st.tuples(st.integers(0, 12), st.integers(0, 4), st.sampled_from(["", "x", "yz"])), max_size=6))
def test_edits_joined_once_give_the_text_rebuilt_for_each_edit(text, spans):
    from polyfix.edits import Edit, OverlappingEdits, apply_edits

    # Edits are made on the text they apply to: each lies within it.
    edits = [Edit(min(start, len(text)), min(start + n, len(text)), new) for start, n, new in spans]
    try:
        expected = _apply_edits_one_by_one(text, edits)
    except OverlappingEdits as refused:
        with pytest.raises(OverlappingEdits, match=f"^{refused}$"):
            apply_edits(text, edits)
    else:
        assert apply_edits(text, edits) == expected


_DATA = st.recursive(st.one_of(st.integers(0, 3), st.sampled_from(["x", "y"]), st.none()),
                     lambda inner: st.one_of(st.lists(inner, max_size=3),
                                             st.dictionaries(st.sampled_from(["a", "b", "c"]), inner, max_size=3)),
                     max_leaves=12)


def _paths(data, path=()):
    yield path
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _paths(v, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _paths(v, path + (i,))


@settings(max_examples=400, deadline=None)
@given(_DATA.filter(lambda d: isinstance(d, (dict, list))), st.data())
def test_copying_only_the_changed_paths_expects_what_a_whole_copy_expects(data, draw):
    import copy

    from polyfix import verify

    paths = [p for p in _paths(data) if p]
    deletes = draw.draw(st.lists(st.sampled_from(paths), max_size=2, unique=True)) if paths else []
    sets = [(p, draw.draw(_DATA)) for p in (draw.draw(st.lists(st.sampled_from(paths), max_size=2)) if paths else [])]
    before = copy.deepcopy(data)
    outcomes = []
    for shares in (True, False):
        try:
            outcomes.append(("data", verify.expected_data(data, deletes, sets, shares)))
        except (KeyError, IndexError, TypeError) as e:
            outcomes.append(("error", type(e)))
        assert verify.same(data, before), "the data given is never changed"
    assert outcomes[0][0] == outcomes[1][0]
    assert verify.same(outcomes[0][1], outcomes[1][1]) if outcomes[0][0] == "data" else outcomes[0] == outcomes[1]


def test_a_run_leaves_the_garbage_collector_as_it_found_it(polyfix, tmp_path):
    """The CLI tunes Python's collector for its run (rarer, not through import-time objects): a program
    using polyfix as a library gets its own settings back."""
    import gc

    (tmp_path / "polytope.yml").write_text("tools:\n  api:\n    run:\n      - tool: x\n")
    before = gc.get_threshold()
    r = polyfix(tmp_path, ".")
    assert r.code in (0, 1)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def _non_overlapping_by_pairs(fixes):
    """engine._non_overlapping the long way: each fix against every chosen one."""
    from polyfix.edits import overlaps

    chosen = []
    for p in fixes:
        same_edit = any(c.fix.edits == p.fix.edits for c in chosen)
        if same_edit or not any(overlaps(c.fix.edits, p.fix.edits) for c in chosen):
            chosen.append(p)
    return chosen


_EDITS = st.lists(st.tuples(st.integers(0, 12), st.sampled_from([0, 0, 1, 2, 5])), min_size=1, max_size=3)


@settings(max_examples=1000, deadline=None)
@given(st.lists(_EDITS, max_size=12), st.data())
def test_choosing_fixes_by_sorted_edits_chooses_what_pairwise_comparison_chooses(fixes, draw):
    from polyfix import engine
    from polyfix.edits import Edit
    from polyfix.problem import Fix, Problem

    problems = []
    for edits in fixes:
        p = Problem("PF001", "x", "m", "f", 1, 1, 1, 1)
        p.fix = Fix("fix", edits=[Edit(a, a + n, "t") for a, n in edits])
        problems.append(p)
    for _ in range(draw.draw(st.integers(0, 3))):  # one edit fixing two problems
        if problems:
            twin = Problem("PF001", "x", "m", "f", 1, 1, 1, 1)
            twin.fix = Fix("fix", edits=list(draw.draw(st.sampled_from(problems)).fix.edits))
            problems.insert(draw.draw(st.integers(0, len(problems))), twin)
    assert [id(p) for p in engine._non_overlapping(problems)] == [id(p) for p in _non_overlapping_by_pairs(problems)]


def test_an_insertion_where_another_edit_ends_clashes_with_it():
    # Text inserted just after lines another fix removes lands in what is left there (PF001's new
    # param below the `params:` PF008 removes): the two wait for separate passes.
    from polyfix.edits import Edit, clash

    removed, inserted = Edit(10, 40, ""), Edit(40, 40, "      - id: x\n")
    assert clash(removed, inserted) and clash(inserted, removed)
    assert clash(Edit(10, 10, "a"), Edit(10, 10, "b"))  # two insertions at one place
    assert not clash(Edit(10, 20, "a"), Edit(20, 30, "b"))  # neighbouring replacements apply together
    assert not clash(Edit(10, 10, "a"), Edit(11, 11, "b"))
    assert not clash(Edit(40, 40, "a"), Edit(41, 50, ""))


def test_a_run_leaves_objects_its_caller_froze_frozen(polyfix, tmp_path):
    import gc

    (tmp_path / "polytope.yml").write_text("tools:\n  api:\n    run:\n      - tool: x\n")
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        polyfix(tmp_path, ".")
        assert gc.get_freeze_count() >= frozen > 0
    finally:
        gc.unfreeze()


# ---- patterns compiled on first use, ASCII forms, the resolver's common words -------------------

_WORDS = ["yes", "Yes", "YES", "yEs", "no", "NO", "nO", "true", "TRUE", "tRUE", "false", "on", "ON", "oN", "off",
          "OFF", "Off", "y", "n", "~", "null", "NULL", "nULL", "Null", "", "0", "00", "007", "08", "1", "10", "12_3",
          "1:20", "1.5", "2001-12-14", "+1", "-0", "--port", "-c", "+x", "-.inf", "+.5", ".env", "./bin/run", ".", ".nan",
          ".Inf", ".5", "16-alpine", "5432/tcp", "8080:80", "3.11", "1e5", "0x1F", "0b101", "2001-12-14t21:59:43.10-05:00",
          "nginx", "nothing", "off-peak", "yes\n", "1.5\n", "-", "+", "<<", "٣", "²", "12" * 40, "1" * 70, "0x1f", "0o17", ".inf"]


@settings(max_examples=1500, deadline=None)
@given(st.one_of(st.sampled_from(_WORDS), st.text(alphabet="0123456789_:.-+eE", max_size=12),
                 st.text(alphabet="0123456789.", min_size=1, max_size=12),
                 st.text(alphabet="yesnoYESNOtrufalTRUFALl~", max_size=6), st.text(max_size=8),
                 st.text(alphabet="0123456789_.:+-eEbxafATtZ \t\nioINnp/l", max_size=14),
                 st.from_regex(r"[-+.][.0-9iInN][0-9a-zA-Z.:_/-]{0,8}\n?", fullmatch=True),
                 st.from_regex(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt]| )[0-9]{1,2}:[0-9]{2}:[0-9]{2}(\.[0-9]*)? ?(Z|[-+][0-9]{1,2})?",
                               fullmatch=True)))
def test_the_resolvers_common_words_are_tagged_as_pyyaml_tags_them(text):
    import yaml

    base = yaml.CSafeLoader("")
    try:
        expected = yaml.CSafeLoader.resolve(base, yaml.ScalarNode, text, (True, False))
    finally:
        base.dispose()
    assert document._word_tag(text) in (None, expected), text


def test_a_file_of_common_words_compiles_none_of_pyyamls_patterns():
    out = _compiled_in_a_fresh_interpreter(
        "from polyfix.document import parse\n"
        "parse('port: 8080\\non: true\\na: ~\\nb: null\\nc: 0\\nyes: NO\\nd: [1, 20, 300]\\n"
        "image: nginx\\ncmd: [./bin/run, --port, -c]\\ntag: 16-alpine\\nnone: nothing\\nexpose: 5432/tcp\\n"
        "host: 0.0.0.0\\nversion: 1.3.0\\npython: 3.11\\n')\n",
        "")
    assert "true|True" not in out and "0b[0-1_]" not in out and "null|Null" not in out and "[eE][-+]" not in out
    # and a number outside those does compile them, so the spy sees PyYAML's patterns at all
    assert "[eE][-+]" in _compiled_in_a_fresh_interpreter(
        "from polyfix.document import parse\nparse('x: 1.5e+3\\ny: True\\n')\n", "")


def test_checking_references_and_command_options_compiles_no_pattern(tmp_path):
    # A typical file: references and interpolations of every kind, command lines with `-p` and `-a`
    # options of programs other than MySQL's and redis-cli. Each pattern compiled cost 0.1-0.3 ms of
    # a run, a tenth of a short file's whole check.
    spec = ("modules:\n  - id: api\n    module: polytope/container\n    params:\n"
            "      - {id: port, type: [default, int, 8080]}\n    args:\n      image: pt.param image\n"
            "      cmd: ./bin/run -p 8080 -a all --verbose --log {pt.value level} {pt.param port}\n"
            "      env: [{name: TOKEN, value: pt.secret token}, {name: MODE, value: '#pt-value mode'}]\n")
    (tmp_path / "polytope.yml").write_text(spec)
    code = (f"import os, sys\nos.chdir({str(tmp_path)!r})\nsys.argv = ['polyfix', '.']\n"
            "sys.stdout = sys.stderr = open(os.devnull, 'w')\n"
            "from polyfix.cli import entry\ntry:\n    entry()\nexcept SystemExit:\n    pass\n")
    assert _compiled_in_a_fresh_interpreter(code, "polyfix") == ""


def _compiled_in_a_fresh_interpreter(code: str, where: str) -> str:
    """The patterns compiled while `code` runs, called for by a module whose file path holds `where`."""
    import subprocess
    import sys

    spy = ("import re._compiler as c, sys, traceback\n"
           "real = c.compile\n"
           "def spy(p, flags=0):\n"
           "    caller = [f for f in traceback.extract_stack()[:-1] if '/re/' not in f.filename][-1]\n"
           f"    if {where!r} in caller.filename:\n"
           "        print(repr(p), file=sys.__stdout__)\n"
           "    return real(p, flags)\n"
           "c.compile = spy\n")
    return subprocess.run([sys.executable, "-c", spy + code], capture_output=True, text=True, check=True).stdout


_NAME_TEXT = st.text(alphabet=st.sampled_from(list("pt.value #{}()'\"-_aZ09 \t/") + ["\ue000", "\ue0ff", "\uefff",
                                                                                     "\uf000", "é", "\udfff"]),
                     max_size=30)


@settings(max_examples=1500, deadline=None)
@given(_NAME_TEXT)
def test_mask_aware_patterns_find_what_the_full_pattern_finds(text):
    import re

    from polyfix.pattern import MASK, MASK_CHARS
    from polyfix.rules import pf001_value_to_param as pf001

    for aware in (pf001._CODE_READ,):
        source, flags = aware._full._args
        assert MASK not in source and MASK_CHARS in source
        full = re.compile(source, flags)
        for method in ("search", "match", "fullmatch"):
            got, want = getattr(aware, method)(text), getattr(full, method)(text)
            assert (got and (got.span(), got.groups())) == (want and (want.span(), want.groups())), (method, text)
        assert [m.groups() for m in aware.finditer(text)] == [m.groups() for m in full.finditer(text)]
        assert aware.sub("<\\g<0>>", text) == full.sub("<\\g<0>>", text)


@settings(max_examples=1500, deadline=None)
@given(_NAME_TEXT)
def test_has_mask_chars_is_a_search_for_the_mask_range(text):
    import re

    from polyfix.pattern import has_mask_chars

    assert has_mask_chars(text) == bool(re.search("[\ue000-\uefff]", text))


def test_a_pattern_on_first_use_is_the_compiled_pattern():
    import copy
    import pickle
    import re

    from polyfix.pattern import on_first_use

    later, now = on_first_use(r"(a+)(b)?", re.I), re.compile(r"(a+)(b)?", re.I)
    assert "_compiled" not in vars(later)  # nothing compiled yet
    copy.copy(later), pickle.dumps(later)  # probes of copy and pickle do not compile it either
    assert "_compiled" not in vars(later)
    assert later.search("xAAb").groups() == now.search("xAAb").groups()
    assert later.sub("-", "aXab") == now.sub("-", "aXab") and later.split("xay") == now.split("xay")
    assert (later.pattern, later.flags, later.groups) == (now.pattern, now.flags, now.groups)
    assert [m.span() for m in later.finditer("aa b a")] == [m.span() for m in now.finditer("aa b a")]


def test_importing_the_rules_compiles_no_pattern_of_polyfixs():
    assert _compiled_in_a_fresh_interpreter("import polyfix.cli, polyfix.rules\n", "polyfix") == ""
    # the spy does see polyfix's patterns when they are used
    assert "pt" in _compiled_in_a_fresh_interpreter(
        "from polyfix.rules.pf001_value_to_param import _CODE_READ\n_CODE_READ.search('pt.value(\"x\")')\n", "polyfix")


_YAML_ODD = ["\x7f", "\x85", "\x9f", "\xa0", "\u2028", "\u2029", "\ufeff", "\ufffe", "\uffff", "\U0001f600", "\x00",
             "\t", "\n", "\r", '"', "\\", "#", ":", "\ue000"]


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", max_codepoint=0x3000) | st.sampled_from(_YAML_ODD), max_size=20))
def test_double_quoted_reads_back_as_the_string(text):
    import io

    import yaml
    from ruamel.yaml import YAML

    from polyfix.declare import double_quoted

    quoted = double_quoted(text)
    assert yaml.safe_load(f"x: {quoted}\n") == {"x": text}
    assert YAML(typ="rt").load(io.StringIO(f"x: {quoted}\n"))["x"] == text
    assert "\n" not in quoted and "\u2028" not in quoted and "\x85" not in quoted  # one line, whatever the reader


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", max_codepoint=0x3000), max_size=20))
def test_double_quoted_is_what_json_writes_where_yaml_takes_that(text):
    import json

    from polyfix.declare import double_quoted

    if not any(c in text for c in "\x7f\x85\u2028\u2029\ufeff\ufffe\uffff") and not any("\x80" <= c <= "\x9f" for c in text):
        assert double_quoted(text) == json.dumps(text, ensure_ascii=False)


# ---- plain tests standing in for patterns, each against the pattern it replaces ------------------

@settings(max_examples=1500, deadline=None)
@given(st.data())
def test_pf001_finds_the_value_references_a_pattern_of_their_names_finds(data):
    import re

    from polyfix.rules.pf001_value_to_param import _value_words

    names = data.draw(st.lists(st.from_regex(r"[a-z\ue001][a-z.\-\ue001]{0,5}", fullmatch=True), min_size=1, max_size=3, unique=True))
    pieces = data.draw(st.lists(st.one_of(st.sampled_from(names), st.sampled_from(
        ["pt.value", "#pt-value", "pt.value ", " ", "  ", "\n", "\t", "-", ".", "x", "{", "}", "\ue001", "pt.", "é"])),
        max_size=12))
    raw = "".join(pieces)
    pattern = re.compile(rf"(pt\.value|#pt-value)(\s+)({'|'.join(re.escape(n) for n in names)})(?![A-Za-z0-9_.\-])")
    expected = [(m.start(), m.end(), *m.groups()) for m in pattern.finditer(raw)]
    assert _value_words(raw, names) == expected, raw


@settings(max_examples=1500, deadline=None)
@given(st.one_of(st.text(max_size=12), st.from_regex(r"\s*[A-Za-z.*<>…xX ]{0,12}\s*", fullmatch=True),
                 st.sampled_from(["change-me", "CHANGEME", "Your_key", "yourKey", "insert here", "TBD", "todo!", "<key>",
                                  "XXXX", "***", "a...b", "none", "NULL", "example.com", "secret", "ſecret"])))
def test_pf005_rules_out_only_values_that_are_no_placeholder(text):
    from polyfix.rules.pf005_hardcoded_secret import _PLACEHOLDER, _may_be_placeholder

    s = text.strip()
    if s and _PLACEHOLDER.search(s):
        assert _may_be_placeholder(s), s


@settings(max_examples=1000, deadline=None)
@given(st.one_of(st.text(max_size=10), st.text(alphabet="0123456789+-_xo", max_size=8)))
def test_the_decimal_and_int_shortcuts_agree_with_their_patterns(text):
    import re

    from polyfix.document import _DECIMAL, _int_text, _is_decimal

    assert _is_decimal(text) == bool(_DECIMAL.fullmatch(text)), text
    assert _int_text(text) == bool(re.fullmatch(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+", text)), text


@settings(max_examples=1000, deadline=None)
@given(st.one_of(st.text(max_size=12), st.from_regex(r"[A-Z_]{0,12}(URL|URI|ENDPOINT|ORIGIN|HOST|HOSTNAME)?\n{0,2}",
                                                   fullmatch=True), st.sampled_from(["PUBLIC_URL\n", "API_URL\n\n"])))
def test_pf006_endpoint_names_are_those_its_pattern_named(name):
    import re

    from polyfix.rules.pf006_hardcoded_endpoint import _is_endpoint_name

    by_pattern = bool(re.search(r"_(URL|URI|ENDPOINT|ORIGIN|HOST|HOSTNAME)$|^PUBLIC_URL$", name))
    assert _is_endpoint_name(name) == by_pattern, repr(name)


@settings(max_examples=1000, deadline=None)
@given(st.from_regex(r"[A-Z0-9_]{0,20}", fullmatch=True))
def test_pf005_secret_words_are_those_its_pattern_named(name):
    import re

    from polyfix.rules.pf005_hardcoded_secret import _SECRET_WORDS

    by_pattern = re.search(r"PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|AUTH_?KEY", name)
    assert any(word in name for word in _SECRET_WORDS) == bool(by_pattern), name


@settings(max_examples=1500, deadline=None)
@given(st.text(alphabet="ab-_ .\n{}é٣x", max_size=16), st.sampled_from(["a", "ab", "a-b", "a_b", "b", "x", "é", "ab-"]))
def test_pf008_finds_a_name_where_its_pattern_found_it(text, name):
    import re

    from polyfix.rules.pf008_verbose_template import _whole_word_in

    assert _whole_word_in(text, name) == bool(re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text)), (text, name)


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet="ab\n\r", max_size=20))
def test_line_starts_are_where_the_pattern_of_line_breaks_puts_them(text):
    from polyfix.document import _LINE_BREAK, _line_starts

    assert _line_starts(text) == [0, *(m.end() for m in _LINE_BREAK.finditer(text))], text


def _patterns_with_needs():
    """Every pattern of polyfix's modules that declares the strings its matches hold."""
    import importlib
    import pkgutil

    import polyfix
    from polyfix.pattern import _MaskAware, _Needing

    found = {}
    for info in pkgutil.walk_packages(polyfix.__path__, "polyfix."):
        if info.name.endswith(("__main__", "server", "pycode", "pyretry")):
            continue  # the command itself, and modules of optional dependencies (they declare none)
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            for form in ([obj._ascii, obj._full] if isinstance(obj, _MaskAware) else [obj]):
                if isinstance(form, _Needing):
                    found[f"{info.name}.{name}:{form._args[0][:20]}"] = form
    return found


@pytest.mark.parametrize("name", sorted(_patterns_with_needs()))
def test_every_match_of_a_pattern_holds_one_of_the_strings_it_needs(name):
    import re

    form = _patterns_with_needs()[name]
    source, flags = form._args

    @settings(max_examples=300, deadline=None)
    @given(st.from_regex(re.compile(source, flags)))
    def holds(text):
        compiled = re.compile(source, flags)
        for m in compiled.finditer(text):
            assert any(need in text for need in form._needs), (text, m)
        assert bool(form.search(text)) == bool(compiled.search(text)), text

    holds()


# The reference kinds, told apart by the word one pattern for every reference finds.
_REF_TEXT = st.one_of(_NAME_TEXT, st.lists(st.sampled_from(
    ["pt.value", "pt.param", "pt.input", "pt.secret", "pt.js", "#pt-value", "#pt-param", "#pt-secret", "pt.", "#pt-",
     "{", "}", " ", "  ", "\t", "\n", "\x1c", "\xa0", "db", "a.b", "x-1", "\ue001", "é", "pt", "valu", "pt.values"]),
    max_size=10).map("".join))


@settings(max_examples=3000, deadline=None)
@given(_REF_TEXT)
def test_pf001_reads_the_value_references_its_own_patterns_read(text):
    import re

    from polyfix.pattern import MASK_CHARS
    from polyfix.refs import VALUE_WORDS, interpolations, whole_ref

    name = rf"[A-Za-z0-9_.\-{MASK_CHARS}]+"
    whole = re.fullmatch(rf"\s*(pt\.value|#pt-value)\s+({name})\s*", text)
    got = whole_ref(text)
    got = got if got and got[0] in VALUE_WORDS else None
    assert got == (whole and whole.groups()), text
    interp = [m.group(1) for m in re.finditer(rf"\{{\s*pt\.value\s+({name})\s*\}}", text)]
    assert [n for word, n in interpolations(text) if word == "pt.value"] == interp, text


@settings(max_examples=3000, deadline=None)
@given(_REF_TEXT)
def test_references_written_out_find_what_their_patterns_found(text):
    # whole_ref and interpolations stand for two patterns, which cost 0.2-0.3 ms to compile: every
    # reference kind, spaces of every kind, and the placeholder mask's characters inside names.
    import re

    from polyfix.pattern import MASK_CHARS
    from polyfix.refs import interpolations, whole_ref

    name = rf"[A-Za-z0-9_.\-{MASK_CHARS}]+"
    whole = re.fullmatch(rf"\s*(#pt-[A-Za-z]+|pt\.[A-Za-z]+)\s+({name})\s*", text)
    assert whole_ref(text) == (whole and whole.groups()), text
    assert interpolations(text) == [m.groups() for m in re.finditer(rf"\{{\s*(pt\.[A-Za-z]+)\s+({name})\s*\}}", text)]


@settings(max_examples=3000, deadline=None)
@given(_REF_TEXT)
def test_param_references_and_any_reference_are_what_their_patterns_found(text):
    import re

    from polyfix.refs import has_reference, param_ref

    m = re.fullmatch(r"\s*(?:pt\.param|#pt-param|pt\.input)\s+([A-Za-z0-9_.-]+)\s*", text)
    assert param_ref(text) == (m and m.group(1)), text
    assert has_reference(text) == bool(re.search(r"\{\s*pt\.|pt\.(?:param|value|secret|input)|#pt-", text)), text


@settings(max_examples=3000, deadline=None)
@given(_REF_TEXT)
def test_value_words_and_names_read_are_what_their_patterns_found(text):
    import re

    from polyfix.refs import VALUE_WORDS, names_read, word_spans

    assert word_spans(text, VALUE_WORDS) == [(m.start(), m.end(1), m.end()) for m in
                                             re.finditer(r"(pt\.value|#pt-value)(\s+)", text)], text
    secrets = re.findall(r"(?:pt\.secret|#pt-secret)\s+([A-Za-z0-9_.\-]+)", text)
    assert names_read(text, ("pt.secret", "#pt-secret")) == secrets, text


_LABEL = st.one_of(st.text(max_size=14), st.text(alphabet="aZz09_-. AbCé\u0130ß٣\t", max_size=14))


@settings(max_examples=3000, deadline=None)
@given(_LABEL)
def test_names_made_from_labels_are_those_their_patterns_made(label):
    import re

    from polyfix.rules.pf005_hardcoded_secret import _kebab, _label_kind
    from polyfix.pattern import LETTERS_DIGITS, camel_case, camel_split, kebab, runs

    assert camel_split(label, "_") == re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", label), label
    assert "_".join(runs(camel_split(label, "_"), LETTERS_DIGITS)).upper() == re.sub(
        r"[^A-Za-z0-9]+", "_", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", label)).upper().strip("_"), label
    assert _kebab(label) == re.sub(r"[^a-z0-9]+", "-", re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", label).lower()).strip("-")
    assert kebab(label) == re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-"), label
    assert camel_case(label) == re.sub(r"[-_](\w)", lambda m: m.group(1).upper(), label), label
    _label_kind(label)  # answers for any label


@settings(max_examples=3000, deadline=None)
@given(st.one_of(st.text(max_size=10), st.text(alphabet="aZ_09./-\ue000\uefff\uf000é:", max_size=10)))
def test_plain_names_are_what_the_plain_pattern_matched(text):
    import re

    from polyfix.pattern import plain_name as _plain_name
    from polyfix.pattern import MASK_CHARS

    assert _plain_name(text) == bool(re.fullmatch(rf"[A-Za-z_{MASK_CHARS}][A-Za-z0-9_./\-{MASK_CHARS}]*", text)), text


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=" -\t\n\xa0a", max_size=8))
def test_a_block_items_dash_is_what_its_pattern_matched(prefix):
    import re

    from polyfix.edits import _spaces_dash_spaces

    assert _spaces_dash_spaces(prefix) == bool(re.fullmatch(r"[ ]*-[ ]+", prefix)), prefix


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="ab/!:", max_size=10))
def test_the_last_part_of_a_reference_is_what_splitting_by_pattern_gave(ref):
    import re

    from polyfix.project import _last_part

    assert _last_part(ref) == re.split(r"[/!:]", ref)[-1], ref


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.text(alphabet="ab:-é ", min_size=1, max_size=4), max_size=3),
       st.text(alphabet="ab:-./`_ \n\té٣x*", max_size=24))
def test_masking_replaces_what_the_masking_pattern_replaced(secrets, text):
    import re

    from polyfix.report import MASK, mask

    values = sorted({v.strip() for v in secrets if v and v.strip()}, key=len, reverse=True)
    want = text
    if values and text:
        alts = "|".join(re.escape(v) for v in values)
        # A `.`, `-` or `/` ending a word is punctuation: the value before it is masked.
        want = re.sub(rf"(?<![\w.\-`/])(?:{alts})(?![\w`]|[.\-/](?![\s\"'`)\]}},;]|$)|:(?:\s|$))", MASK, text)
    assert mask(text, secrets) == want, (secrets, text)


_ADDRESS = st.one_of(
    st.text(max_size=12),
    st.lists(st.sampled_from(["http", "s3+x", "://", ":", "//", "/", "@", "u:p@", "db", "a.b", "_", "-", "[", "]", "::1",
                              "fe80", "5432", "?", "#", "q=1", " ", "\n", "\xa0", "é", "1", "x", "[]"]), max_size=8).map("".join))


@settings(max_examples=5000, deadline=None)
@given(_ADDRESS)
def test_addresses_are_read_as_their_pattern_read_them(text):
    import re

    from polyfix.rules.pf006_hardcoded_endpoint import _endpoint

    m = re.fullmatch(r"(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://)?(?P<user>[^/@\s]*@)?(?P<host>\[[0-9a-fA-F:]+\]|"
                     r"[A-Za-z0-9_\-.]+)(?::(?P<port>[0-9]+))?(?P<rest>[/?#].*)?", text)
    got = _endpoint(text)
    assert (got and (got.scheme, got.user, got.host, got.port, got.rest)) == (
        m and (m["scheme"], m["user"], m["host"], m["port"], m["rest"])), text


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="ab1:-./_ ", min_size=6, max_size=10).filter(lambda v: v.strip() == v),
       st.text(alphabet="ab1:-./_ \n", max_size=12), st.text(alphabet="ab1:-./_ \n", max_size=12))
def test_a_random_looking_secret_is_masked_wherever_it_stands(secret, left, right):
    from polyfix.report import MASK, mask, random_looking

    if not random_looking(secret):
        return
    assert secret not in mask(left + secret + right, [secret]), (left, secret, right)
    assert MASK in mask(left + secret + right, [secret])


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(["a\n", "b\n", "c\n", "d", "e\n"]), max_size=12),
       st.lists(st.sampled_from(["a\n", "b\n", "x\n", "d", "e\n"]), max_size=12))
def test_a_diff_shown_masked_has_difflibs_hunks(a, b):
    import difflib

    from polyfix.report import _unified_shown

    assert list(_unified_shown(a, b, a, b, "f")) == list(difflib.unified_diff(a, b, "a/f", "b/f"))


@settings(max_examples=3000, deadline=None)
@given(st.one_of(st.sampled_from(["yes", "No", "TRUE", "off", "On", "null", "Null", "y", "n", "nan", "inf", "a_1",
                                  "openai-api-key", "x.y/z", "_", "-", "---", "...", "a:b", "1.5", "0x1f", "NULL-x"]),
                 st.text(alphabet=st.sampled_from(list("yesnoYESNOtrufalTRUFALl_.-/:#~ 019aZ") + ["\ue000", "é"]),
                         min_size=1, max_size=10)))
def test_a_names_yaml_text_reads_back_as_the_name(name):
    # name_text answers plain words without PyYAML's loader, whose patterns cost 0.1-0.3 ms to compile.
    import yaml

    from polyfix.declare import double_quoted, name_text

    try:
        plain = yaml.load(f"{name}\n", Loader=yaml.CSafeLoader) == name
    except yaml.YAMLError:
        plain = False
    assert name_text(name) == (name if plain else double_quoted(name)), name


_WORDISH = st.lists(st.sampled_from(list("python3.12=_aZ09-/:@ \n{}'`\"+xo7fF") + ["pt.param", "pt.input", "pt.value", "python",
                                                                          "\u0663", "é", "\ue001", "\t"]),
                    max_size=16).map("".join)


@settings(max_examples=3000, deadline=None)
@given(_WORDISH)
def test_rules_string_tests_answer_as_their_old_patterns(text):
    # Patterns that typical files compiled in every run (0.05-0.2 ms each), written out.
    import re

    from polyfix.rules import pf002_stateful_without_volume as pf002
    from polyfix.rules import pf006_hardcoded_endpoint as pf006
    from polyfix.rules import pf011_service_not_fault_tolerant as pf011

    assert pf011._is_python(text) == bool(re.match(r"python(\d+(\.\d+)?)?$", text)), text
    assert pf011._assignment(text) == bool(re.match(r"^\w+=", text)), text
    assert pf006._plain_id(text) == bool(re.fullmatch(r"[a-z0-9][a-z0-9_-]*", text)), text
    interpolated = r"\{\s*(?:pt\.param|pt\.input)\s+([A-Za-z0-9_.-]+)\s*\}"
    assert [n for _s, _e, n in pf006._interpolated(text)] == re.findall(interpolated, text), text
    assert [(s, e) for s, e, _n in pf006._interpolated(text)] == [m.span() for m in re.finditer(interpolated, text)]
    image = text.split("@", 1)[0]
    assert pf002._image_repo(text) == pf002._image_repo(re.sub(r":[^/]*$", "", image)), text
    from polyfix import document
    from polyfix.rules import pf004_script_not_executable as pf004
    from polyfix.rules import pf005_hardcoded_secret as pf005

    for t in (text, text.replace(" ", "")):
        key = re.fullmatch(r"(?=.*[0-9])(?=.*[A-Za-z])[A-Za-z0-9+/=_.\-]{16,}", t)
        assert pf005._keylike(t) == bool(key), t
        assert document._int_text(t) == bool(re.fullmatch(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+", t)), t
        quoted = re.search(r"""["'`]([^"'`]+)["'`]""", t)
        assert pf004._first_quoted(t) == (quoted.group(1) if quoted else ""), t


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="aZq09+/=_.-é \n", min_size=14, max_size=20))
def test_a_keylike_value_is_what_its_old_pattern_matched(text):
    import re

    from polyfix.rules.pf005_hardcoded_secret import _keylike

    assert _keylike(text) == bool(re.fullmatch(r"(?=.*[0-9])(?=.*[A-Za-z])[A-Za-z0-9+/=_.\-]{16,}", text)), text


_JOIN_BASE = "top:\n  list:\n  - p\n  map:\n    k: 1\n  end: 0\nlast:\n- 1\n"


@st.composite
def _join_text(draw, indent, item):
    """Mostly whole items or entries at `indent` (keys from a few, so two texts share some), with
    lines below them; sometimes a line the gate must not join (a comment, a blank, a complex key)."""
    lines = []
    for _ in range(draw(st.integers(1, 2))):
        head = draw(st.sampled_from(["id: a", "id: b", "{id: q}", "{ id: r, type: str }", "a", "- i"]) if item else
                    st.sampled_from(["c: 2", "d:", "k: 3", "end: 1", "list: x", "j: [1, 2]"]))
        lines.append(" " * indent + ("- " if item else "") + head)
        if head.endswith(":") or draw(st.integers(0, 3)) == 0:
            lines.append(" " * (indent + draw(st.sampled_from([2, 4]))) + draw(st.sampled_from(["m: 1", "- n"])))
    if draw(st.integers(0, 5)) == 0:
        lines.insert(draw(st.integers(0, len(lines))), " " * draw(st.sampled_from([0, indent, indent + 2])) +
                     draw(st.sampled_from(["# note", "", "? e", "f:g", "'h': 1", "-", "- a", "c: 9"])))
    return "".join(line + "\n" for line in lines)


_JOIN_TEXTS = st.tuples(st.sampled_from([0, 2, 4]), st.booleans(), st.sampled_from([0, 2, 4]), st.booleans(),
                        st.booleans()).flatmap(  # mostly two texts of one shape
    lambda s: st.tuples(_join_text(s[0], s[1]), _join_text(*(s[:2] if s[4] else s[2:4]))))


def _lists_in(data):
    """Every item of every list in some YAML data."""
    if isinstance(data, dict):
        for v in data.values():
            yield from _lists_in(v)
    elif isinstance(data, list):
        for v in data:
            yield v
            yield from _lists_in(v)


def _keys_and_leaves(data, out=None):
    from collections import Counter

    out = Counter() if out is None else out
    if isinstance(data, dict):
        for k, v in data.items():
            out[repr(k)] += 1
            _keys_and_leaves(v, out)
    elif isinstance(data, list):
        for v in data:
            _keys_and_leaves(v, out)
    else:
        out[repr(data)] += 1
    return out


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(_JOIN_TEXTS, st.sampled_from(["  map:", "  end:", "last:", "- 1\n"]))
@example(("  - id: a\n", "  - {id: b}\n    m: 1\n"), "  map:")  # items of top.list
@example(("    c: 2\n", "    d:\n      - n\n"), "  end:")  # entries of top.map
@example(("c: 2\n", "d:\n  m: 1\n"), "- 1\n")  # top-level entries at the end
def test_inserts_the_gate_joins_add_both_as_two_passes_would(texts, before):
    """Two insertions the gate tries in one text (edits.joinable_inserts), each of which alone adds
    to the file just what it holds (the fixes the gate tries are such: applying one proves it), are
    YAML together in either order and add both: no key or item id written twice, nothing landing in
    another node or continuing another's scalar."""
    import textwrap

    import yaml
    from hypothesis import assume

    from polyfix.edits import Edit, joinable_inserts

    x, y = texts
    at = _JOIN_BASE.index(before) + (len(before) if before == "- 1\n" else 0)
    assume(joinable_inserts(Edit(at, at, x), Edit(at, at, y)))

    def load(text):
        return yaml.load(text, Loader=yaml.CSafeLoader)

    base = _keys_and_leaves(load(_JOIN_BASE))
    own = {}
    for text in (x, y):
        try:
            own[text] = _keys_and_leaves(load(textwrap.dedent(text)))
            alone = _keys_and_leaves(load(_JOIN_BASE[:at] + text + _JOIN_BASE[at:]))
        except yaml.YAMLError:
            assume(False)
        assume(alone == base + own[text])
    for first, second in ((x, y), (y, x)):
        both = load(_JOIN_BASE[:at] + first + second + _JOIN_BASE[at:])
        assert _keys_and_leaves(both) == base + own[x] + own[y], (first, second)
        ids = [item["id"] for item in _lists_in(both) if isinstance(item, dict) and "id" in item]
        assert len(ids) == len(set(ids)), (first, second)  # a reader would take one of the two


# PF002 writes a volume spec in the style of the file's other flow maps; it reads that style with str
# methods, not the two patterns it once used. Texts made of the pieces those patterns look at.
_STYLE_PIECES = st.sampled_from(["{", "}", "{ ", ",", ", ", " ", "\n", "\t", "\u2003", "id: ", "id:", "i", "x",
                                 "type: volume", "type: volum", "ttype: volume", "-", "# {"])


@settings(max_examples=3000, deadline=None)
@given(st.lists(_STYLE_PIECES, max_size=14).map("".join))
@example("{ type: volume}")
@example("{id: v, type: volume}")
@example("{ id:  ,\n  type: volume }")
@example("{id: a, b, type: volume}")
@example("{id: , type: volume} {x, type: volume}")
@example("{ a } type: volume")
def test_the_volume_style_read_with_str_methods_is_what_the_patterns_found(text):
    import re

    from polyfix.rules.pf002_stateful_without_volume import _flow_volume_styles
    padded = re.search(r"\{ [^{}]*type: volume", text) is not None
    id_first = re.search(r"\{\s*id: [^{},]+,\s*type: volume", text) is not None
    found = re.search(r"\{[^{}]*type: volume", text) is not None
    assert _flow_volume_styles(text) == (padded, id_first, found)
