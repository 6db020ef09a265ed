"""Output formats, rule docs, colour, stdin."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import REPO
from polyfix.cli import main
from polyfix.rules import RULES
from test_cli import FIXED, SERVICE_AFTER, write


@pytest.fixture
def project(tmp_path):
    write(tmp_path / "polytope.yml", SERVICE_AFTER)
    write(tmp_path / "bin" / "run", "#!/bin/sh\n", 0o644)
    write(tmp_path / "tools.yml", "tools:\n  x:\n    run:\n      - tool: polytope/python\n"
          "        args: {code: {type: repo, path: .}, cmd: ./bin/run}\n")
    return tmp_path


def test_json_records(project, polyfix):
    r = polyfix(project, "--output-format", "json", ".", "tools.yml")
    records = json.loads(r.out)
    assert {x["code"] for x in records} == {"PF003", "PF004"}
    pf003 = next(x for x in records if x["code"] == "PF003")
    assert pf003["location"] == {"row": 7, "column": 27} and pf003["name"] == "after-on-service"
    assert pf003["filename"] == str(project / "polytope.yml")
    edit = pf003["fix"]["edits"][0]
    assert pf003["fix"]["applicability"] == "safe" and pf003["hint"] is None
    assert (edit["location"], edit["end_location"], edit["content"]) == ({"row": 7, "column": 1}, {"row": 8, "column": 1}, "")
    pf004 = next(x for x in records if x["code"] == "PF004")
    assert pf004["fix"]["mode"] == "0755"
    lines = polyfix(project, "--format", "json-lines", ".", "tools.yml").out.splitlines()
    assert [json.loads(l)["code"] for l in lines] == [x["code"] for x in records]


@pytest.mark.parametrize("fmt", ["json", "json-lines", "sarif", "junit", "github"])
def test_dry_run_with_a_machine_format_keeps_stdout_to_that_format(project, polyfix, fmt):
    r = polyfix(project, "--dry-run", "--output-format", fmt, ".")
    assert r.code == 1
    assert "--- a/polytope.yml" in r.err and "+++ b/polytope.yml" in r.err, "the diff goes with the human lines"
    assert "--- a/" not in r.out and "@@" not in r.out
    if fmt == "json":
        assert json.loads(r.out) == [], "what remains once the fixes the diff shows are applied: nothing"
    elif fmt == "json-lines":
        assert all(json.loads(line) for line in r.out.splitlines())
    elif fmt in ("sarif", "junit"):
        json.loads(r.out) if fmt == "sarif" else ET.fromstring(r.out)


def test_github_annotations(project, polyfix):
    out = polyfix(project, "--output-format", "github").out
    assert out.startswith("::error title=polyfix (PF003),file=polytope.yml,line=7,col=27,endLine=7,endColumn=30::PF003 ")


def test_junit_is_xml(project, polyfix):
    root = ET.fromstring(polyfix(project, "--format", "junit").out)
    case = root.find("testsuite/testcase")
    assert case.get("name") == "PF003 after-on-service" and case.find("failure") is not None


def _sarif_schema(tmp_path: Path) -> dict | None:
    """The SARIF 2.1.0 schema, from the npm package @microsoft/jest-sarif (it ships the OASIS schema)."""
    npm = shutil.which("npm")
    if not npm:
        return None
    try:
        done = subprocess.run([npm, "pack", "--silent", "@microsoft/jest-sarif@1.0.0-beta.0"], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return None
    packs = list(tmp_path.glob("*.tgz"))
    if done.returncode != 0 or not packs:
        return None
    with tarfile.open(packs[0]) as tar:
        member = next((m for m in tar.getmembers() if m.name.endswith("sarif-2.1.0-rtm.5.json")), None)
        return json.load(tar.extractfile(member)) if member else None


def test_sarif_validates_against_the_schema(project, polyfix, tmp_path_factory):
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the test extras")
    schema = _sarif_schema(tmp_path_factory.mktemp("schema"))
    if schema is None:
        pytest.skip("the SARIF schema could not be fetched (npm pack @microsoft/jest-sarif)")
    log = json.loads(polyfix(project, "--output-format", "sarif", ".", "tools.yml").out)
    jsonschema.validate(log, schema)
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [r.CODE for r in RULES]
    assert {x["ruleId"] for x in log["runs"][0]["results"]} == {"PF003", "PF004"}


def test_statistics_in_json(project, polyfix):
    # With --output-format json, stdout holds only the statistics as JSON; the other formats keep the table.
    (project / "secrets.yml").write_text("modules:\n  - id: api\n    module: polytope/python\n"
                                         "    args: {env: [{name: DB_PASSWORD, value: hunter2hunter2}]}\n")
    done = polyfix(project, "--statistics", "--output-format", "json", ".", "tools.yml", "secrets.yml")
    stats = json.loads(done.out)
    assert {"code": "PF003", "name": "after-on-service", "count": 1, "fix": "safe"} in stats
    assert {"code": "PF005", "name": "hardcoded-secret", "count": 1, "fix": "unsafe"} in stats
    assert [s["count"] for s in stats] == sorted((s["count"] for s in stats), reverse=True)
    assert "hunter2" not in done.out + done.err
    table = polyfix(project, "--statistics", "--output-format", "sarif", ".", "tools.yml").out
    assert table.splitlines()[0].split("\t") == ["1", "PF003", "after-on-service", "[*]"]


def test_statistics_and_show_fixes(project, polyfix):
    stats = polyfix(project, "--statistics", ".", "tools.yml").out.splitlines()
    assert stats[0].split("\t") == ["1", "PF003", "after-on-service", "[*]"]
    (project / "secrets.yml").write_text("modules:\n  - id: api\n    module: polytope/python\n"
                                         "    args: {env: [{name: DB_PASSWORD, value: hunter2hunter2}]}\n")
    stats = polyfix(project, "--statistics", "secrets.yml").out.splitlines()
    assert ["1", "PF005", "hardcoded-secret", "[unsafe fix]"] in [line.split("\t") for line in stats]
    shown = polyfix(project, "--write", "--show-fixes", ".", "tools.yml").out
    assert "Fixed 2 problems:\n- polytope.yml:\n    1 × PF003\n- bin/run:\n    1 × PF004\n" in shown or \
           "Fixed 2 problems:\n- bin/run:\n    1 × PF004\n- polytope.yml:\n    1 × PF003\n" in shown


def test_list_rules_and_explain(polyfix, tmp_path):
    listed = polyfix(tmp_path, "--list-rules").out.splitlines()
    assert [l.split()[0] for l in listed] == [r.CODE for r in RULES]
    doc = polyfix(tmp_path, "--explain", "after-on-service").out
    assert doc.startswith("# after-on-service (PF003)") and "Fix (safe)" in doc
    assert polyfix(tmp_path, "--explain", "PF999").code == 2


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.CODE)
def test_explain_cites_nothing_users_cannot_open(rule, polyfix, tmp_path):
    doc = polyfix(tmp_path, "--explain", rule.CODE).out
    assert not re.search(r"§|\.md\b|\.tsv\b|\.\./", doc), "rule docs stand on their own"
    assert "\nWhy\n" in doc


def test_readme_rule_table_matches_the_registry():
    rows = re.findall(r"^\| (PF\d+) \| ([a-z-]+) \|", (REPO / "README.md").read_text(), re.M)
    assert rows == [(r.CODE, r.NAME) for r in RULES]


def test_colour_only_when_asked(project, monkeypatch):
    runner = CliRunner()
    monkeypatch.chdir(project)
    plain = runner.invoke(main, ["--dry-run"], env={"NO_COLOR": "", "FORCE_COLOR": ""})
    assert "\x1b[" not in plain.stdout
    forced = runner.invoke(main, ["--dry-run"], env={"FORCE_COLOR": "1"}, color=True)
    assert "\x1b[31m-        run-when: {after: api}" in forced.stdout
    off = runner.invoke(main, [], env={"FORCE_COLOR": "1", "NO_COLOR": "1"}, color=True)
    assert "\x1b[" not in off.stdout


def test_stdin_filename(project, monkeypatch):
    monkeypatch.chdir(project)
    runner = CliRunner()
    fixed = runner.invoke(main, ["--write", "--stdin-filename", "polytope.yml", "-"], input=SERVICE_AFTER)
    assert fixed.exit_code == 0 and fixed.stdout == FIXED
    assert (project / "polytope.yml").read_text() == SERVICE_AFTER, "stdin mode never writes the file"
    report = runner.invoke(main, ["--stdin-filename", "polytope.yml", "-"], input=SERVICE_AFTER)
    assert report.exit_code == 1 and report.stdout.startswith("polytope.yml:7:27: PF003")
    bad = runner.invoke(main, ["--stdin-filename", "polytope.yml", "-"], input="a: [\n")
    assert bad.exit_code == 2 and bad.stderr.count("polytope.yml: error:") == 1, bad.stderr


def test_stdin_write_prints_the_text_back_when_the_file_is_not_checked(project, monkeypatch):
    # An editor puts --write's output in place of its buffer: an excluded file (by the configuration
    # or, with --force-exclude, by git's ignore files) or one that does not parse printed nothing.
    monkeypatch.chdir(project)
    (project / ".git").mkdir()
    write(project / ".gitignore", "ignored/\n")
    write(project / "polyfix.toml", "exclude = ['vendor']\n")
    runner = CliRunner()
    for name in ("ignored/polytope.yml", "vendor/polytope.yml"):
        done = runner.invoke(main, ["--write", "--force-exclude", "--stdin-filename", name, "-"], input=SERVICE_AFTER)
        assert (done.exit_code, done.stdout) == (0, SERVICE_AFTER), (name, done.stderr)
        dry = runner.invoke(main, ["--dry-run", "--force-exclude", "--stdin-filename", name, "-"], input=SERVICE_AFTER)
        assert (dry.exit_code, dry.stdout) == (0, ""), (name, dry.stderr)
    bad = runner.invoke(main, ["--write", "--stdin-filename", "polytope.yml", "-"], input="a: [\n")
    assert (bad.exit_code, bad.stdout) == (2, "a: [\n") and bad.stderr.count("polytope.yml: error:") == 1
    checked = runner.invoke(main, ["--write", "--stdin-filename", "vendor/polytope.yml", "-"], input=SERVICE_AFTER)
    assert (checked.exit_code, checked.stdout) == (0, FIXED)  # named, not forced: checked and fixed


def test_stdin_filename_with_standard_input_closed(project):
    # It was a traceback (AttributeError: 'NoneType' object has no attribute 'read').
    for mode in ([], ["--write"], ["--output-format", "json"]):
        done = subprocess.run([sys.executable, "-m", "polyfix", *mode, "--stdin-filename", "polytope.yml", "-"],
                              cwd=project, capture_output=True, text=True, preexec_fn=lambda: os.close(0))
        assert (done.returncode, done.stdout) == (2, ""), done.stderr
        assert done.stderr == "polytope.yml: error: standard input could not be read (it is closed)\n", done.stderr
    assert (project / "polytope.yml").read_text() == SERVICE_AFTER


def test_stdin_filename_with_statistics(project, monkeypatch):
    # --statistics was ignored for a file read from stdin: every problem was listed.
    monkeypatch.chdir(project)
    runner = CliRunner()
    table = runner.invoke(main, ["--statistics", "--stdin-filename", "polytope.yml", "-"], input=SERVICE_AFTER)
    assert table.exit_code == 1 and table.stdout.startswith("1\tPF003\tafter-on-service\t[*]\n"), table.stdout
    assert "polytope.yml:7:27" not in table.stdout and "Found 1 problem" in table.stdout
    listed = runner.invoke(main, ["--statistics", "--output-format", "json", "--stdin-filename", "polytope.yml", "-"],
                           input=SERVICE_AFTER)
    assert json.loads(listed.stdout) == [{"code": "PF003", "name": "after-on-service", "count": 1, "fix": "safe"}]


def test_stdin_summary_names_the_path_as_given(project, monkeypatch):
    (project / "sub").mkdir()
    monkeypatch.chdir(project / "sub")
    runner = CliRunner()
    given = "../polytope.yml"
    report = runner.invoke(main, ["--stdin-filename", given, "-"], input=SERVICE_AFTER)
    assert report.stdout.splitlines() == [report.stdout.splitlines()[0], "Found 1 problem (1 fixable with --write)."]
    assert report.stdout.startswith("../polytope.yml:7:27: PF003 waits for `api`")
    fixed = runner.invoke(main, ["--write", "--stdin-filename", given, "-"], input=SERVICE_AFTER)
    assert (fixed.stdout, fixed.stderr) == (FIXED, "Fixed 1 problem; no problems remain.\n")
    diff = runner.invoke(main, ["--dry-run", "--stdin-filename", given, "-"], input=SERVICE_AFTER)
    assert diff.stdout.startswith("diff --git a/../polytope.yml b/../polytope.yml\n")
    assert diff.stderr == "Would fix 1 problem; no problems remain.\n"
    # In a machine format, as with files: the format alone on stdout (what would remain: nothing),
    # the diff and the summary on stderr.
    listed = runner.invoke(main, ["--dry-run", "--output-format", "json", "--stdin-filename", given, "-"],
                           input=SERVICE_AFTER)
    assert json.loads(listed.stdout) == []
    assert listed.stderr.startswith("diff --git a/../polytope.yml b/../polytope.yml\n")
    assert listed.stderr.endswith("Would fix 1 problem; no problems remain.\n")


def test_a_run_that_checked_nothing_claims_no_result(project, polyfix):
    # A missing --values file (or only missing paths) leaves nothing checked: "No problems found" and
    # "Nothing to fix; no problems remain" said more than was known.
    for mode in ((), ("--dry-run",), ("--write",)):
        r = polyfix(project, *mode, "--values", "nosuch.yml", ".")
        closing = (r.err if mode == ("--dry-run",) else r.out).splitlines()
        assert r.code == 2 and "Nothing checked: there was 1 error (below)." in closing, (mode, r.out, r.err)
        assert "nosuch.yml: error: no such file or folder" in r.err
    two = polyfix(project, "nowhere", "elsewhere")
    assert two.code == 2 and two.out.splitlines()[-1] == "Nothing checked: there were 2 errors (below)."
    assert (project / "polytope.yml").read_text() == SERVICE_AFTER


def test_concise_prints_nothing_without_problems(project, polyfix):
    assert polyfix(project, "--output-format", "concise").out.startswith("polytope.yml:7:27: PF003")
    (project / "polytope.yml").write_text(FIXED)
    clean = polyfix(project, "--output-format", "concise")
    assert (clean.code, clean.out) == (0, "")  # it printed a blank line


def test_one_summary_wording_in_every_mode(project, polyfix):
    write(project / "broken" / "polytope.yml", "a: [\n")
    report = polyfix(project)
    assert report.out.splitlines()[-1] == "Found 1 problem (1 fixable with --write). There was 1 error too (below)."
    dry = polyfix(project, "--dry-run")
    assert dry.err.splitlines()[0] == "Would fix 1 problem; no problems remain. There was 1 error too (below)."
    clean = polyfix(project / "broken", "--select", "PF003")
    assert clean.out.splitlines()[-1] == "No problems found, but there was 1 error (below)."
    assert clean.err.startswith("polytope.yml: error: line 2")
    (project / "broken" / "polytope.yml").unlink()
    written = polyfix(project, "--write", ".", "tools.yml")
    assert written.out.splitlines()[-1] == "Fixed 2 problems; no problems remain."
    again = polyfix(project, "--write", ".", "tools.yml")
    assert again.out.splitlines()[-1] == "Nothing to fix; no problems remain."


def test_version_comes_from_one_place(polyfix, tmp_path):
    from importlib.metadata import version

    assert polyfix(tmp_path, "--version").out == f"polyfix, version {version('polyfix')}\n"


def test_the_command_line_does_not_import_the_language_server():
    import sys

    done = subprocess.run([sys.executable, "-c", "import sys, polyfix.cli; print('pygls' in sys.modules)"],
                          capture_output=True, text=True)
    assert done.stdout.strip() == "False"


def test_server_without_the_extra_says_what_to_install():
    import sys

    code = "import sys; sys.modules['pygls'] = None; from polyfix.cli import main; main(['server'])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 2
    assert "pip install '.[server]'" in done.stderr


def test_readme_first_run_samples_match_the_example(polyfix):
    readme = (REPO / "README.md").read_text()
    report = polyfix(REPO, "examples/")
    dry = polyfix(REPO, "--dry-run", "examples/")
    assert report.code == dry.code == 1, "the README says the first command exits 1"
    assert f"\n{report.out.splitlines()[-1]}\n```" in readme
    assert f"\n{dry.err.splitlines()[-1]}\n```" in readme
    assert any(f"\n{line}\n" in readme for line in report.out.splitlines() if ": PF003 " in line)


def test_a_fix_withheld_for_a_shared_params_list_says_why(tmp_path, polyfix):
    # worker's params are api's list (an anchor): no declaration is added there, and the hint says
    # so (it used to claim the param was already declared).
    (tmp_path / "polytope.yml").write_text(
        "modules:\n  - id: api\n    module: polytope/container\n    params: &mp\n"
        "      - { id: log-level, type: [default, str, info] }\n    args:\n      image: alpine\n      env:\n"
        "        - { name: LOG_LEVEL, value: pt.param log-level }\n  - id: worker\n    module: polytope/container\n"
        "    params: *mp\n    args:\n      image: alpine\n      env:\n"
        "        - { name: BACKEND_URL, value: 'http://localhost:3000' }\n")
    [record] = json.loads(polyfix(tmp_path, "--output-format", "json").out)
    assert record["code"] == "PF006" and record["fix"] is None
    assert record["hint"] == "declare the param `backend-url` by hand: polyfix adds no declaration to this spec's layout"


def test_stdin_statistics_beside_a_diff_or_fixed_text(tmp_path, monkeypatch):
    # With --dry-run or --write, a file read from stdin listed every problem left where a file on
    # disk shows the --statistics table.
    text = "modules:\n  - id: api\n    module: polytope/python\n    args:\n      env:\n" \
           "        - {name: API_TOKEN, value: \"sk-9f8e7d6c5b4a3210fedcba\"}\n"
    (tmp_path / "polytope.yml").write_text(text)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for mode in ("--dry-run", "--write"):
        on_disk = runner.invoke(main, [mode, "--statistics", "."])
        piped = runner.invoke(main, [mode, "--statistics", "--stdin-filename", "polytope.yml", "-"], input=text)
        assert (on_disk.exit_code, piped.exit_code) == (1, 1)
        table = on_disk.output.splitlines()[0]
        assert table.startswith("1\tPF005\thardcoded-secret") and "polytope.yml:6" not in on_disk.output
        assert piped.stderr.splitlines()[0] == table and "polytope.yml:6" not in piped.stderr, piped.stderr
    assert (tmp_path / "polytope.yml").read_text() == text
