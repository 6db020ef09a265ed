"""PF006 on the corpus, and with the other rules on one spec."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import CORPUS, copy_tree
from test_cli import write


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the corpus of real projects is not at {CORPUS} (POLYFIX_CORPUS names it)")
def test_corpus_endpoints(tmp_path, polyfix):
    work = copy_tree(CORPUS, tmp_path / "c")
    found = [line for line in polyfix(work, "--select", "PF006").out.splitlines() if ": PF006 " in line]
    assert len(found) == 213 and all(line.endswith("[*]") for line in found)
    assert sum("`localhost` is the developer's machine" in line for line in found) == 163
    # Services' host ports: Cillers' kong, the starters' api and frontend, bluetext's templates.
    assert sum(": PF006 `expose-as` of service " in line for line in found) == 49
    # Every front-end param default in the corpus is on localhost, which a browser reaches.
    assert not any("hands to the browser" in line for line in found)
    fixed = polyfix(work, "--select", "PF006", "--write")
    assert "Fixed 213 problems; no problems remain." in fixed.out and fixed.err == ""
    assert "fixed " not in polyfix(work, "--select", "PF006", "--write").out


def test_with_pf001_and_pf005_on_one_spec(tmp_path, polyfix, monkeypatch):
    monkeypatch.setattr("polyfix.cli._terminal", lambda err=False: True)  # where PF005 may fix
    write(tmp_path / "polytope.yml", """\
tools:
  web:
    run:
      - tool: polytope/node
        args:
          env:
            - { name: REACT_APP_API_URL, value: http://localhost:8080/api }
            - { name: API_TOKEN, value: 'tok-1234567890abcdef' }
            - { name: LOG_LEVEL, value: pt.value log-level }
""")
    write(tmp_path / "config" / "values.yml", "log-level: info\n")
    r = polyfix(tmp_path, "--write", "--unsafe-fixes")
    assert "fixed polytope.yml (PF001, PF005, PF006)" in r.out, r.out
    assert (tmp_path / "polytope.yml").read_text() == """\
tools:
  web:
    params:
      - id: react-app-api-url
        type: [default, str, "http://localhost:8080/api"]
      - id: log-level
        type: [default, str, info]
    run:
      - tool: polytope/node
        args:
          env:
            - { name: REACT_APP_API_URL, value: pt.param react-app-api-url }
            - { name: API_TOKEN, value: pt.secret api-token }
            - { name: LOG_LEVEL, value: pt.param log-level }
"""
    assert "fixed " not in polyfix(tmp_path, "--write", "--unsafe-fixes").out


def test_in_job_hostnames_stay_within_their_project(tmp_path, polyfix):
    """A service of one project is no hostname in another project checked in the same run."""
    write(tmp_path / "a" / "polytope.yml", "tools:\n  api:\n    run:\n      - tool: polytope/python\n"
                                          "        args: {services: [{id: api, ports: [{protocol: http, port: 3000}]}]}\n")
    write(tmp_path / "b" / "polytope.yml", "tools:\n  web:\n    run:\n      - tool: polytope/node\n        args:\n"
                                          "          env:\n            - { name: VITE_API_URL, value: \"http://api:3000\" }\n")
    alone = [l for l in polyfix(tmp_path, "--select", "PF006", "b").out.splitlines() if ": PF006 " in l]
    together = [l for l in polyfix(tmp_path, "--select", "PF006", ".").out.splitlines() if " PF006 " in l and l.startswith("b/")]
    assert together == alone


def test_a_front_end_host_made_a_param_stays_reported(tmp_path, polyfix):
    """The fix makes the address configurable; its default still names an in-job host, so the
    problem stays in sight (report only) until each environment passes its own address."""
    case = Path(__file__).resolve().parent.parent / "golden" / "PF006_hardcoded-endpoint" / "front_end_bare_host_then_reported"
    write(tmp_path / "polytope.yml", (case / "input.yml").read_text())
    assert "1 fixable" in polyfix(tmp_path, "--select", "PF006").out
    after = polyfix(tmp_path, "--select", "PF006", "--write").out
    assert "Fixed 1 problem; 1 remaining." in after
    assert "the default of param `vite-api-host` of tool `web` is `api`" in after
