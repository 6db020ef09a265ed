"""Configuration files and their keys, through the CLI."""
from __future__ import annotations

from pathlib import Path

import pytest

from test_cli import FIXED, SERVICE_AFTER, write

VALUE = "tools:\n  api:\n    run:\n      - tool: polytope/python\n        args:\n          env:\n" \
        "            - { name: MODE, value: pt.value api-mode }\n"
# The same, run by a stack that passes `api-mode`: a param without a default may be declared there.
VALUE_PASSED = VALUE + "  stack:\n    run:\n      - { tool: api, args: { api-mode: dev } }\n"


def codes(out: str) -> list[str]:
    return [line.split(": ")[1].split()[0] for line in out.splitlines() if ": PF" in line]


def test_nearest_configuration_wins(tmp_path: Path, polyfix):
    write(tmp_path / "pyproject.toml", "[tool.polyfix]\nselect = ['PF003']\n")
    write(tmp_path / "a" / "polytope.yml", SERVICE_AFTER + VALUE.replace("tools:\n", "extra:\n"))
    write(tmp_path / "b" / "polytope.yml", VALUE)
    write(tmp_path / "b" / ".polyfix.toml", "select = ['value-to-param']\n")
    r = polyfix(tmp_path)
    lines = [l for l in r.out.splitlines() if ": PF" in l]
    assert {l.split(":")[0] + " " + l.split(": ")[1].split()[0] for l in lines} == {
        "a/polytope.yml PF003", "b/polytope.yml PF001"}


def test_pyproject_without_table_is_passed_over(tmp_path, polyfix):
    write(tmp_path / "polyfix.toml", "ignore = ['PF003']\n")
    write(tmp_path / "sub" / "pyproject.toml", "[project]\nname = 'x'\n")
    write(tmp_path / "sub" / "polytope.yml", SERVICE_AFTER)
    assert polyfix(tmp_path).code == 0


@pytest.mark.parametrize("content, message", [
    ("[tool.polyfix]\nselct = ['PF001']\n", "unknown key `selct`"),
    ("[tool.polyfix]\nselect = ['PF999']\n", "unknown rule selector `PF999`"),
    ("[tool.polyfix]\nunsafe-fixes = 'yes'\n", "`unsafe-fixes` must be true or false"),
    ("[tool.polyfix\n", "not valid TOML"),
])
def test_bad_configuration_is_exit_2_naming_file_and_key(tmp_path, polyfix, content, message):
    write(tmp_path / "pyproject.toml", content)
    write(tmp_path / "polytope.yml", SERVICE_AFTER)
    r = polyfix(tmp_path, "--write")
    assert r.code == 2
    assert "pyproject.toml: error: " in r.err and message in r.err, r.err
    assert (tmp_path / "polytope.yml").read_text() == SERVICE_AFTER


def test_isolated_and_explicit_config(tmp_path, polyfix):
    write(tmp_path / "pyproject.toml", "[tool.polyfix]\nignore = ['PF003']\n")
    write(tmp_path / "other.toml", "select = ['PF004']\n")
    write(tmp_path / "polytope.yml", SERVICE_AFTER)
    assert polyfix(tmp_path).code == 0
    assert polyfix(tmp_path, "--isolated").code == 1
    assert polyfix(tmp_path, "--config", "other.toml").code == 0
    missing = polyfix(tmp_path, "--config", "nope.toml")
    assert missing.code == 2 and "nope.toml: error" in missing.err


def test_per_file_ignores_block_reports_and_fixes(tmp_path, polyfix):
    write(tmp_path / "polyfix.toml", "[per-file-ignores]\n'legacy/*' = ['after-on-service']\n")
    write(tmp_path / "legacy" / "polytope.yml", SERVICE_AFTER)
    write(tmp_path / "new" / "polytope.yml", SERVICE_AFTER)
    r = polyfix(tmp_path, "--write")
    assert (tmp_path / "legacy" / "polytope.yml").read_text() == SERVICE_AFTER
    assert (tmp_path / "new" / "polytope.yml").read_text() == FIXED
    assert r.code == 0


def test_unfixable_reports_without_fixing(tmp_path, polyfix):
    write(tmp_path / "polyfix.toml", "unfixable = ['PF003']\n")
    write(tmp_path / "polytope.yml", SERVICE_AFTER)
    r = polyfix(tmp_path, "--write")
    assert r.code == 1 and "PF003" in r.out and "[*]" not in r.out
    assert (tmp_path / "polytope.yml").read_text() == SERVICE_AFTER


def test_unsafe_fixes_and_values_file_keys(tmp_path, polyfix):
    write(tmp_path / "polytope.yml", VALUE_PASSED)
    write(tmp_path / "polyfix.toml", "unsafe-fixes = true\n")
    polyfix(tmp_path, "--write", "--select", "PF001")  # PF009 would then give it the caller's value
    assert "type: str\n" in (tmp_path / "polytope.yml").read_text()
    write(tmp_path / "polytope.yml", VALUE)
    write(tmp_path / "polyfix.toml", "values-file = 'settings/values.yaml'\n")
    write(tmp_path / "settings" / "values.yaml", "api-mode: dev\n")
    assert polyfix(tmp_path, "--write").code == 0
    assert "type: [default, str, dev]" in (tmp_path / "polytope.yml").read_text()


def test_exclude_leaves_out_found_files_but_not_named_ones(tmp_path, polyfix):
    write(tmp_path / "polyfix.toml", "exclude = ['vendor']\n")
    write(tmp_path / "vendor" / "x" / "polytope.yml", SERVICE_AFTER)
    assert polyfix(tmp_path).code == 0
    assert polyfix(tmp_path, "vendor/x/polytope.yml").code == 1
    assert polyfix(tmp_path, "--force-exclude", "vendor/x/polytope.yml").code == 0


def test_force_exclude_leaves_out_named_files_git_ignores(tmp_path, polyfix):
    # As ruff's: what a folder search leaves out (the ignore files too) is left out when named.
    (tmp_path / ".git").mkdir()
    write(tmp_path / ".gitignore", "build/\n*.gen.yml\n")
    write(tmp_path / "build" / "x" / "polytope.yml", SERVICE_AFTER)
    write(tmp_path / "stack.gen.yml", SERVICE_AFTER)
    write(tmp_path / "app" / "polytope.yml", SERVICE_AFTER)
    named = ("build/x/polytope.yml", "stack.gen.yml", "app/polytope.yml")
    assert polyfix(tmp_path, *named).out.count("PF003") == 3
    forced = polyfix(tmp_path, "--force-exclude", *named)
    assert forced.code == 1 and forced.out.count("PF003") == 1 and "app/polytope.yml:" in forced.out
    assert polyfix(tmp_path, "--force-exclude", "build/x/polytope.yml").code == 0
    assert polyfix(tmp_path / "build" / "x", "--force-exclude", "polytope.yml").code == 0  # run from inside
    write(tmp_path / "node_modules" / "x" / "polytope.yml", SERVICE_AFTER)  # never searched: left out too
    assert polyfix(tmp_path, "node_modules/x/polytope.yml").code == 1
    assert polyfix(tmp_path, "--force-exclude", "node_modules/x/polytope.yml").code == 0


def test_cli_selection_beats_the_file(tmp_path, polyfix):
    write(tmp_path / "polyfix.toml", "select = ['PF004']\n")
    write(tmp_path / "polytope.yml", SERVICE_AFTER)
    assert codes(polyfix(tmp_path, "--select", "PF003").out) == ["PF003"]
    assert polyfix(tmp_path, "--select", "PF003", "--ignore", "PF003").code == 0
    assert codes(polyfix(tmp_path, "--extend-select", "PF003").out) == ["PF003"]


def test_fix_safety_can_be_changed_per_rule(tmp_path, polyfix):
    write(tmp_path / "polyfix.toml", "extend-unsafe-fixes = ['after-on-service']\n")
    write(tmp_path / "polytope.yml", SERVICE_AFTER)
    r = polyfix(tmp_path, "--write")
    assert r.code == 1 and "[unsafe fix]" in r.out
    assert (tmp_path / "polytope.yml").read_text() == SERVICE_AFTER
    assert polyfix(tmp_path, "--write", "--unsafe-fixes").code == 0
    write(tmp_path / "polytope.yml", VALUE_PASSED)
    write(tmp_path / "polyfix.toml", "extend-safe-fixes = ['PF001']\n")
    assert polyfix(tmp_path, "--write", "--select", "PF001").code == 0  # PF009 would then give it a default
    assert "type: str\n" in (tmp_path / "polytope.yml").read_text()


def test_after_on_service_option(tmp_path, polyfix):
    write(tmp_path / "polytope.yml", SERVICE_AFTER)
    write(tmp_path / "polyfix.toml", "after-on-service = 'await-false'\n")
    assert polyfix(tmp_path, "--write").code == 0
    text = (tmp_path / "polytope.yml").read_text()
    assert "await: false" in text and "after" in text, text
    write(tmp_path / "polytope.yml", SERVICE_AFTER)
    write(tmp_path / "polyfix.toml", "after-on-service = 'remove'\n")
    assert polyfix(tmp_path, "--write").code == 0
    assert (tmp_path / "polytope.yml").read_text() == FIXED
    write(tmp_path / "polyfix.toml", "after-on-service = 'keep'\n")
    bad = polyfix(tmp_path)
    assert bad.code == 2 and "`after-on-service` must be one of `remove`, `await-false`" in bad.err
