"""polyfix on a copy of a corpus of real projects, when one is present: what users have."""
from __future__ import annotations

import difflib
import json
import os
import re
from collections import Counter
from pathlib import Path

import pytest

from conftest import CORPUS, copy_tree
from polyfix.document import ParseError, parse
from polyfix.rules import VALIDATORS

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the corpus of real projects is not at {CORPUS} (POLYFIX_CORPUS names it)")

# What a line removed or changed by a fix may hold (PF001 references, PF003 orderings, PF004's chmod
# workaround, PF005 secrets: under a secret's name, on an env entry's `value:` line, inside URLs and
# commands; PF006 endpoints: a URL or a host, a service's literal `expose-as`; PF008 step ids and
# `module:` keys), and what a line a fix adds may hold (rewritten references, declarations, the plain
# cmd, PF008's `- module: X` and bare `- X` steps).
REMOVED = re.compile(r"pt\.value|#pt-value|run-when|after|step:|chmod|^\s*$|^\s*(- )?(id|module): [\w.!/@-]+\s*$"
                     r"|(?i:password|secret|token|_key\b)|://[^/@\s]+@|^\s*(- )?value: |://|localhost"
                     r"|_(URL|URI|ENDPOINT|ORIGIN|HOST|HOSTNAME|PORT)\b|expose-as: [0-9]")
ADDED = re.compile(r"pt\.param|pt\.input|#pt-param|pt\.secret|#pt-secret|^\s*(- )?id: |^\s*type: |^\s*(params|inputs):$"
                   r"|^\s*[^:#]+:$|^\s*cmd: |^\s*- (module: )?[\w.!/@-]+\s*$")


def _configs(root: Path) -> dict[Path, bytes]:
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and re.fullmatch(r"polytope.*\.ya?ml", p.name)}


def _parses(data: bytes) -> bool:
    try:
        parse(data.decode("utf-8"))
        return True
    except ParseError:
        return False


@pytest.fixture(scope="module")
def fixed_corpus(tmp_path_factory):
    work = copy_tree(CORPUS, tmp_path_factory.mktemp("corpus") / "c")
    return work


def _validator_problems(root, polyfix) -> Counter:
    """The runtime-error rules' findings, by file, rule and message (positions move with fixes)."""
    r = polyfix(root, "--select", ",".join(r.CODE for r in VALIDATORS), "--output-format", "json")
    return Counter((p["filename"], p["code"], p["message"]) for p in json.loads(r.out))


def _counts(out: str) -> tuple[int, int]:
    """(fixable, unsafe) from a report's summary line."""
    m = re.search(r"\((\d+) fixable with --write(?:; (\d+) more with --write --unsafe-fixes)?\)", out)
    return (int(m.group(1)), int(m.group(2) or 0)) if m else (0, 0)


def test_write_twice_on_the_corpus(fixed_corpus, polyfix, monkeypatch):
    # As in a terminal: there PF005 takes secrets out too (off one, it leaves them; see test_secrets).
    monkeypatch.setattr("polyfix.cli._terminal", lambda err=False: True)
    before = _configs(fixed_corpus)
    assert len(before) == 104
    validator_before = _validator_problems(fixed_corpus, polyfix)
    report = polyfix(fixed_corpus, "--unsafe-fixes")
    fixable, unsafe = _counts(report.out)
    first = polyfix(fixed_corpus, "--write", "--unsafe-fixes")
    assert "Traceback" not in first.out + first.err
    assert first.code in (0, 1), first.err
    after = _configs(fixed_corpus)

    for name, old in before.items():
        new = after[name]
        if _parses(old):
            assert _parses(new), f"{name} parsed before the fix and not after"
        if old != new:  # every removed and added line belongs to a fix
            a, b = old.splitlines(), new.splitlines()
            for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
                for line in a[i1:i2] if tag in ("replace", "delete") else []:
                    assert REMOVED.search(line.decode()), f"{name}: unexplained removal {line!r}"
                for line in b[j1:j2] if tag in ("replace", "insert") else []:
                    assert ADDED.search(line.decode()), f"{name}: unexplained addition {line!r}"
            assert f"fixed {name}" in first.out

    # The report offered exactly what --write then fixed.
    assert f"Fixed {fixable + unsafe} problems" in first.out, (fixable, unsafe, first.out[-300:])
    # No flag makes a running project fail: the runtime-error rules find nothing new.
    assert _validator_problems(fixed_corpus, polyfix) - validator_before == Counter()
    # Every pt.value left is still reported, each with the reason it was not converted.
    values_left = sum(len(re.findall(rb"(?:^|[\s{\"'])(?:pt\.value|#pt-value) ", data, re.M)) for data in after.values())
    left = [line for line in polyfix(fixed_corpus, "--select", "PF001").out.splitlines() if ": PF001 " in line]
    assert values_left > 0 and len(left) == values_left, (values_left, len(left))
    assert all("no default known" in line for line in left), "only values without a default stay"

    second = polyfix(fixed_corpus, "--write", "--unsafe-fixes")
    assert "fixed " not in second.out, "a second --write changes nothing"
    assert _configs(fixed_corpus) == after


def test_cmd_scripts_end_up_executable(fixed_corpus, polyfix):
    polyfix(fixed_corpus, "--write")
    rows = [line.split("\t") for line in (CORPUS / "CMDS.tsv").read_text().splitlines()[1:]]
    needed = {(r[0], r[3]) for r in rows if len(r) >= 5 and r[4] == "100644"}
    assert needed, "the corpus has cmd scripts without +x"
    for repo, script in needed:
        path = fixed_corpus / repo.replace("/", "__") / script
        assert os.access(path, os.X_OK), f"{path} is still not executable"


def test_report_on_the_corpus_has_no_errors(fixed_corpus, polyfix):
    r = polyfix(fixed_corpus)
    assert r.err == ""
    assert r.code in (0, 1)


@pytest.mark.parametrize("variant", ["crlf", "bom", "no-final-newline"])
def test_line_ending_variants_fix_the_same_way(variant):
    """prettier's variant matrix on the real corpus: the same files with CRLF, with a BOM, without
    a final newline get the same fixes, and keep their variant."""
    from polyfix import engine

    def convert(text: str) -> str:
        if variant == "crlf":
            return text.replace("\n", "\r\n")
        if variant == "bom":
            return "\ufeff" + text
        return text.rstrip("\n")

    def back(text: str) -> str:
        if variant == "crlf":
            assert "\n" not in text.replace("\r\n", ""), "no bare LF was added"
            return text.replace("\r\n", "\n")
        if variant == "bom":
            assert text.startswith("\ufeff")
            return text[1:]
        return text

    options = engine.Options(fix=True, unsafe_fixes=True)
    for repo in sorted(p for p in CORPUS.iterdir() if p.is_dir()):
        texts = {p.as_posix(): p.read_text(encoding="utf-8") for p in repo.rglob("polytope.y*ml")}
        plain = engine.run(texts, list(texts), repo.as_posix(), None, options)
        varied = engine.run({k: convert(v) for k, v in texts.items()}, list(texts), repo.as_posix(), None, options)
        for path, text in texts.items():
            if plain[path].errors:
                continue
            expected = plain[path].after
            if variant == "no-final-newline":
                expected = expected.rstrip("\n") if text.endswith("\n") else expected
            assert back(varied[path].after) == expected, path
