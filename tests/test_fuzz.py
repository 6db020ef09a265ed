"""Mutated real files through the engine: it never raises, a file that parsed still parses after its
fixes, and fixing is idempotent.

CI runs a fixed number of examples from a fixed seed. A long run draws fresh examples:

    POLYFIX_FUZZ_EXAMPLES=20000 python -m pytest -q tests/test_fuzz.py
"""
from __future__ import annotations

import difflib
import os
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polyfix import engine
from polyfix.document import ParseError, parse

from conftest import CORPUS, GOLDEN

LONG_RUN = os.environ.get("POLYFIX_FUZZ_EXAMPLES")
FUZZ = settings(max_examples=int(LONG_RUN or 300), derandomize=not LONG_RUN, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _seeds() -> list[str]:
    """The golden inputs, and the corpus's polytope files where it is present."""
    files = sorted(GOLDEN.glob("*/*/input.yml"))
    if CORPUS.is_dir():
        files += sorted(p for p in CORPUS.rglob("polytope.y*ml") if p.is_file() and not p.is_symlink())
    return [p.read_bytes().decode("utf-8", "replace") for p in files]


SEEDS = _seeds()
# What a line a fix removes or changes may hold (see tests/test_corpus.py), plus the places the other
# rules edit: a quoted number (PF024), a reference prefix (PF025), a params mapping (PF010), a
# suppression comment (PF100), the scope of a volume (PF002), a service's host port (PF006), a tool
# step's `tool:` (PF007 runs the new tool by name; PF008 removing the id above it moves it behind the dash),
# a command line's secret (`--api-key X`, MySQL's `-pX`, redis-cli's `-a X`),
# also where the step is a flow mapping (`- { id:` ending its line).
FIXABLE = re.compile(r"pt\.value|#pt-value|run-when|after|step:|chmod|^\s*$|^\s*-?\s*\{?\s*(id|module|tool):( |$)"
                     r"|(?i:password|secret|token|_key\b|api-?key)|mysql|mariadb|redis-cli|valkey-cli|keydb-cli"
                     r"|://|localhost|value: |_(URL|URI|ENDPOINT|ORIGIN|HOST|HOSTNAME|PORT)\b"
                     r"|pt\.|#pt-|\"[0-9]+\"|'[0-9]+'|expose-as: [0-9]|params|args|type:|default|scope|polytope/|polyfix:|noqa|module|- \S+\s*(#.*)?$")
FRAGMENTS = [": ", "- ", "[", "]", "{", "}", ", ", "&a ", "*a", "&b [*b]", "\n", "\r\n", "\r", "  ", "    ",
             "# c", "'", '"', "|\n", ">-\n", "!!str ", "!!map ", "? ", "---\n", "...\n", "%YAML 1.3\n",
             "%TAG ! tag:x,2000:\n", "\t", "{{ x }}", "{= y =}", "pt.value db-host", "#pt-value port",
             "run-when: {after: api}", "after: {step: db}", "<<: *a", "\ufeff", "polytope/redpanda",
             "data-volume: {type: volume, scope: job, id: x}", "cmd: ./bin/run", "[[a, b]]: c", "\\x00", "\ue000",
             "- tool: polytope/redpanda\n", "id: x\n", "module: polytope/postgres!simple\n", "1e3", "0o17", "~"]


@st.composite
def mutated(draw):
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["insert", "delete", "duplicate", "swap", "indent"]))
        lines = text.splitlines(keepends=True) or [""]
        if op == "insert":
            at = draw(st.integers(0, len(text)))
            text = text[:at] + draw(st.sampled_from(FRAGMENTS)) + text[at:]
        elif op == "delete":
            at = draw(st.integers(0, len(text)))
            text = text[:at] + text[at + draw(st.integers(1, 12)):]
        elif op == "duplicate":
            i = draw(st.integers(0, len(lines) - 1))
            text = "".join(lines[:i + 1] + lines[i:])
        elif op == "swap":
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            text = "".join(lines)
        else:
            i = draw(st.integers(0, len(lines) - 1))
            lines[i] = draw(st.sampled_from([" ", "  ", "\t"])) + lines[i]
            text = "".join(lines)
    return text


def _fix(text: str) -> engine.FileResult:
    path = "/project/polytope.yml"
    options = engine.Options(fix=True, unsafe_fixes=True)
    return engine.run({path: text}, [path], "/project", None, options)[path]


def _parses(text: str) -> bool:
    try:
        parse(text)
    except ParseError:
        return False
    return True


@pytest.mark.skipif(not SEEDS, reason="no seed files")
@FUZZ
@given(mutated())
def test_mutated_files_never_crash_and_fixes_hold(text):
    result = _fix(text)  # raising is the failure
    if _parses(text):
        assert _parses(result.after)
        # Lines outside the fixes stay: every line the fixes removed or changed holds what a fix
        # may change (the same account the corpus test keeps), or moved (PF007) with its text intact.
        old, new = text.splitlines(), result.after.splitlines()
        kept = {line.strip() for line in new}
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
            for line in old[i1:i2] if tag in ("replace", "delete") else []:
                # an entry added inside a flow collection keeps the line up to its closing brackets
                head = line.rstrip().rstrip("}] ").rstrip()
                extended = any(other.startswith(head) for other in new[j1:j2]) if head.strip() else False
                # a block entry that a fix folded into a flow mapping (PF010: `args: { port: 3000, cmd: x }`)
                folded = re.compile(r"[{,]\s*" + re.escape(line.strip()) + r"\s*[,}]")
                into_flow = bool(line.strip()) and any(folded.search(other) for other in new[j1:j2])
                assert FIXABLE.search(line) or line.strip() in kept or extended or into_flow, \
                    f"unexplained change of {line!r}"
        if not result.errors:
            again = _fix(result.after)
            assert again.after == result.after and not again.fixed
    else:
        assert result.errors and result.after == text
