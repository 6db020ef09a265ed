"""The CLI contract: modes, exit codes, errors, writing."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SERVICE_AFTER = """\
templates:
  - id: stack
    run:
      - api
      - id: web
        module: web-app
        run-when: {after: api}
      - { id: web-preview, module: web-app }
modules:
  - id: api
    module: polytope/python
  - id: web-app
    module: polytope/node
"""
FIXED = SERVICE_AFTER.replace("        run-when: {after: api}\n", "")


def write(path: Path, text: str, mode: int | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if mode is not None:
        os.chmod(path, mode)
    return path


def test_report_lists_problems_and_exits_1(tmp_path, polyfix):
    write(tmp_path / "polytope.yml", SERVICE_AFTER)
    r = polyfix(tmp_path)
    assert r.code == 1
    assert r.out.splitlines()[0].startswith("polytope.yml:7:27: PF003 waits for `api`")
    assert r.out.splitlines()[0].endswith("[*]")
    assert r.out.splitlines()[-1] == "Found 1 problem (1 fixable with --write)."


def test_clean_project_exits_0(tmp_path, polyfix):
    write(tmp_path / "polytope.yml", FIXED)
    r = polyfix(tmp_path)
    assert (r.code, r.out.strip()) == (0, "All checks passed!")


def test_dry_run_prints_a_patch_and_writes_nothing(tmp_path, polyfix):
    write(tmp_path / "polytope.yml", SERVICE_AFTER)
    write(tmp_path / "bin" / "run", "#!/bin/sh\n", 0o644)
    write(tmp_path / "stack.yml", "tools:\n  x:\n    run:\n      - tool: polytope/python\n"
          "        args: {code: {type: repo, path: .}, cmd: ./bin/run}\n")
    r = polyfix(tmp_path, "--dry-run", ".", "stack.yml")
    assert r.code == 1
    assert "--- a/polytope.yml\n+++ b/polytope.yml\n" in r.out
    assert "-        run-when: {after: api}\n" in r.out
    assert "diff --git a/bin/run b/bin/run\nold mode 100644\nnew mode 100755\n" in r.out
    assert (tmp_path / "polytope.yml").read_text() == SERVICE_AFTER
    assert (tmp_path / "bin" / "run").stat().st_mode & 0o777 == 0o644
    # the patch applies with git
    patch = tmp_path / "fix.patch"
    patch.write_text(r.out)
    done = subprocess.run(["git", "apply", "--check", str(patch)], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_write_fixes_and_reports_what_it_changed(tmp_path, polyfix):
    write(tmp_path / "polytope.yml", SERVICE_AFTER, 0o640)
    r = polyfix(tmp_path, "--write")
    assert r.code == 0
    assert r.out.splitlines()[0] == "fixed polytope.yml (PF003)"
    assert (tmp_path / "polytope.yml").read_text() == FIXED
    assert (tmp_path / "polytope.yml").stat().st_mode & 0o777 == 0o640, "the file keeps its mode"
    again = polyfix(tmp_path, "--write", "--exit-non-zero-on-fix")
    assert again.code == 0 and "fixed" not in again.out


def test_exit_non_zero_on_fix(tmp_path, polyfix):
    write(tmp_path / "polytope.yml", SERVICE_AFTER)
    assert polyfix(tmp_path, "--write", "--exit-non-zero-on-fix").code == 1


def test_write_exits_1_when_problems_remain(tmp_path, polyfix):
    write(tmp_path / "polytope.yml", "modules:\n  - id: a\n    module: polytope/python\n"
          "    args: {code: {type: host, path: a}, cmd: ./bin/missing}\n")
    (tmp_path / "a").mkdir()
    r = polyfix(tmp_path, "--write")
    assert r.code == 1
    assert "does not exist" in r.out


def test_unchanged_files_are_not_rewritten(tmp_path, polyfix):
    f = write(tmp_path / "polytope.yml", FIXED)
    os.utime(f, (1_000_000, 1_000_000))
    polyfix(tmp_path, "--write")
    assert f.stat().st_mtime == 1_000_000


@pytest.mark.parametrize("content, expected", [
    ("templates: [\n  - x\n", "polytope.yml: error: line "),
    ("a: 1\na: 2\n", "duplicate key `a`"),
    ("tools:\n  {{ name }}: x\n  - [\n", "unrendered template"),
])
def test_bad_yaml_is_one_line_exit_2_and_others_still_run(tmp_path, polyfix, content, expected):
    bad = write(tmp_path / "bad" / "polytope.yml", content)
    write(tmp_path / "good" / "polytope.yml", SERVICE_AFTER)
    r = polyfix(tmp_path, "--write")
    assert r.code == 2
    errors = r.err.strip().splitlines()
    assert len(errors) == 1 and expected in errors[0], r.err
    assert errors[0].startswith("bad/polytope.yml: error: ")
    assert "Traceback" not in r.out + r.err
    assert bad.read_text() == content, "a bad file is never written"
    assert (tmp_path / "good" / "polytope.yml").read_text() == FIXED, "the other files are still fixed"


def test_not_utf8_and_missing_path(tmp_path, polyfix):
    (tmp_path / "polytope.yml").write_bytes(b"a: \xff\n")
    r = polyfix(tmp_path, "polytope.yml", "nowhere")
    assert r.code == 2
    assert "polytope.yml: error: not UTF-8 text (byte 3)" in r.err
    assert "nowhere: error: no such file or folder" in r.err


def test_a_missing_values_file_is_named_as_a_missing_path_is(tmp_path, polyfix):
    # The same words for a path that leads nowhere, whichever option or argument named it.
    write(tmp_path / "polytope.yml", SERVICE_AFTER)
    r = polyfix(tmp_path, "--values", "nosuch.yml", "polytope.yml", "nowhere/polytope.yml")
    assert r.code == 2
    assert "nosuch.yml: error: no such file or folder" in r.err
    assert "nowhere/polytope.yml: error: no such file or folder" in r.err
    assert "No such file or directory" not in r.err


def test_an_empty_path_names_nothing(tmp_path, polyfix):
    # "" was read as ".": `polyfix --write ""` fixed the whole folder.
    write(tmp_path / "polytope.yml", SERVICE_AFTER)
    for args in (["--write", ""], ["--values", "", "."], ["--config", "", "."]):
        r = polyfix(tmp_path, *args)
        assert r.code == 2 and '"": error: no such file or folder' in r.err.splitlines(), (args, r.err)
        assert (tmp_path / "polytope.yml").read_text() == SERVICE_AFTER


def test_explicit_file_of_any_name_and_include_targets(tmp_path, polyfix):
    write(tmp_path / "stack.yaml", "include:\n  - services/api\n  - repo: gh:acme/x\n")
    write(tmp_path / "services" / "api" / "polytope.yml", SERVICE_AFTER)
    r = polyfix(tmp_path, "stack.yaml")
    assert "services/api/polytope.yml:7:27: PF003" in r.out


def test_directory_walk_skips_git_ignored_and_node_modules(tmp_path, polyfix):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    write(tmp_path / ".gitignore", "generated/\n")
    write(tmp_path / "generated" / "polytope.yml", SERVICE_AFTER)
    write(tmp_path / "node_modules" / "x" / "polytope.yml", SERVICE_AFTER)
    write(tmp_path / "app" / "polytope.yaml", SERVICE_AFTER)
    r = polyfix(tmp_path)
    files = {line.split(":")[0] for line in r.out.splitlines() if ": PF" in line}
    assert files == {"app/polytope.yaml"}


def test_symlinked_file_is_written_through_the_link(tmp_path, polyfix):
    real = write(tmp_path / "real" / "polytope.yml", SERVICE_AFTER)
    (tmp_path / "polytope.yml").symlink_to("real/polytope.yml")
    r = polyfix(tmp_path, "--write", "polytope.yml")
    assert r.code == 0, r.err
    assert (tmp_path / "polytope.yml").is_symlink()
    assert real.read_text() == FIXED


def test_link_leaving_the_project_is_not_written(tmp_path, polyfix):
    outside = write(tmp_path / "outside" / "polytope.yml", SERVICE_AFTER)
    project = tmp_path / "project"
    project.mkdir()
    (project / "polytope.yml").symlink_to(outside)
    r = polyfix(project, "--write", "polytope.yml")
    assert r.code == 2
    assert "outside the project" in r.err
    assert outside.read_text() == SERVICE_AFTER


def test_script_behind_a_link_that_leaves_the_project_is_not_touched(tmp_path, polyfix):
    outside = write(tmp_path / "elsewhere" / "run", "#!/bin/sh\n", 0o644)
    project = tmp_path / "project"
    write(project / "polytope.yml", "modules:\n  - id: a\n    module: polytope/python\n"
          "    args: {code: {type: host, path: a}, cmd: ./bin/run}\n")
    (project / "a" / "bin").mkdir(parents=True)
    (project / "a" / "bin" / "run").symlink_to(outside)
    r = polyfix(project, "--write", "polytope.yml")
    assert r.code == 1
    assert "not executable" in r.out and "[*]" not in r.out
    assert outside.stat().st_mode & 0o777 == 0o644


def test_select_and_unknown_selector(tmp_path, polyfix):
    write(tmp_path / "polytope.yml", SERVICE_AFTER)
    assert polyfix(tmp_path, "--select", "PF004").code == 0
    assert polyfix(tmp_path, "--select", "after-on-service").code == 1
    bad = polyfix(tmp_path, "--select", "PF999")
    assert bad.code == 2 and "unknown rule selector" in bad.err


def test_a_path_too_long_is_an_error_not_a_traceback(tmp_path, polyfix):
    # Path.exists() raised OSError (ENAMETOOLONG): a traceback, exit 1.
    write(tmp_path / "polytope.yml", SERVICE_AFTER)
    long = "x" * 5000
    r = polyfix(tmp_path, "polytope.yml", long)
    assert r.code == 2 and r.err.endswith(f"{long}: error: file name too long\n"), r.err[-200:]
    assert "PF003" in r.out


def test_dry_run_and_write_together_is_a_usage_error(tmp_path, polyfix):
    assert polyfix(tmp_path, "--dry-run", "--write").code == 2


def test_python_dash_m(tmp_path):
    write(tmp_path / "polytope.yml", SERVICE_AFTER)
    r = subprocess.run([sys.executable, "-m", "polyfix", str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 1 and "PF003" in r.stdout


def test_the_command_freezes_the_collectors_objects_only_as_its_process_exits(tmp_path, polyfix):
    """Python's exit goes through every object the collector tracks (a tenth of a one-file run):
    the command freezes them as its process exits, so that it need not. Before that, a program that
    catches the command's SystemExit goes on with its collector as it was; its exit handlers, a
    profiler's and coverage's among them, still run; the output is that of the same run in-process."""
    for i in range(40):
        write(tmp_path / f"p{i}" / "polytope.yml", SERVICE_AFTER)
    script = ("import atexit, gc, sys\n"
              "atexit.register(lambda: sys.stderr.write(f'at exit: frozen {gc.get_freeze_count() > 0}\\n'))\n"
              "from polyfix import main\n"
              "sys.argv = ['polyfix', *sys.argv[1:]]\n"
              "try:\n"
              "    main()\n"
              "except SystemExit as e:\n"
              "    sys.stderr.write(f'caller goes on: frozen {gc.get_freeze_count() > 0}\\n')\n"
              "    raise\n")
    for args in ([], ["--dry-run"], ["--output-format", "json"]):
        done = subprocess.run([sys.executable, "-c", script, *args, "."], cwd=tmp_path, capture_output=True, text=True)
        same = polyfix(tmp_path, *args, ".")
        assert done.stderr.endswith("caller goes on: frozen False\nat exit: frozen True\n"), done.stderr
        assert (done.returncode, done.stdout) == (same.code, same.out), args
        assert done.stderr.startswith(same.err)
        assert all(f"p{i}/polytope.yml" in done.stdout for i in range(40)), args


def test_the_command_loads_its_modules_without_the_collector(tmp_path):
    """The collector went through polyfix's modules 12 to 18 times as they loaded (2-3 ms of a one-file
    run) and freed nothing: it is off until they are loaded, then as the caller had it."""
    write(tmp_path / "polytope.yml", SERVICE_AFTER)
    script = ("import gc, sys\n"
              "loading, called = [], []\n"
              "def seen(phase, info):\n"
              "    if called and phase == 'start' and not hasattr(sys.modules.get('polyfix.cli'), 'entry'):\n"
              "        loading.append(info['generation'])\n"
              "gc.callbacks.append(seen)\n"
              "if sys.argv[1] == 'off':\n"
              "    gc.disable()\n"
              "from polyfix import main\n"
              "sys.argv = ['polyfix', '.']\n"
              "called.append(True)  # what finding the package costs is not polyfix's to save\n"
              "try:\n"
              "    main()\n"
              "except SystemExit:\n"
              "    sys.stderr.write(f'collections while loading: {len(loading)}; enabled: {gc.isenabled()}\\n')\n")
    for state in ("on", "off"):
        done = subprocess.run([sys.executable, "-c", script, state], cwd=tmp_path, capture_output=True, text=True)
        assert "PF003" in done.stdout, done.stderr
        assert done.stderr.endswith(f"collections while loading: 0; enabled: {state == 'on'}\n"), done.stderr


def test_index_mode_follows_where_git_ignores_file_modes(tmp_path, polyfix):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "config", "core.fileMode", "false"], check=True)
    write(tmp_path / "polytope.yml", "modules:\n  - id: a\n    module: polytope/python\n"
          "    args: {code: {type: host, path: a}, cmd: ./bin/run}\n")
    write(tmp_path / "a" / "bin" / "run", "#!/bin/sh\n", 0o644)
    subprocess.run(["git", "-C", str(tmp_path), "add", "-A"], check=True)
    assert polyfix(tmp_path, "--write").code == 0
    staged = subprocess.run(["git", "-C", str(tmp_path), "ls-files", "-s", "a/bin/run"], capture_output=True, text=True)
    assert staged.stdout.startswith("100755"), "the index records the new mode"


def test_the_example_project_shows_every_rule(tmp_path, polyfix):
    from conftest import REPO, copy_tree

    project = copy_tree(REPO / "examples", tmp_path / "examples")
    report = polyfix(project)
    assert {line.split(": ")[1].split()[0] for line in report.out.splitlines() if ": PF" in line} == {
        "PF001", "PF002", "PF003", "PF004", "PF008", "PF024", "PF025"}
    fixed = polyfix(project, "--write", "--unsafe-fixes")
    left = [line for line in fixed.out.splitlines() if ": PF" in line]
    # `stack` runs `api` without args: a param without a default would stop it, so the gate keeps
    # that one fix out, whatever the flags, and says why.
    assert fixed.code == 1 and len(left) == 1, fixed.out + fixed.err
    assert "PF001 value `api-port`" in left[0] and "not fixed: with this fix, tool `stack` runs tool `api` without `api-port`" in left[0]
    (project / "config").mkdir()
    (project / "config" / "values.yml").write_text("api-port: 8080\n")
    assert polyfix(project, "--write").code == 0
    assert "type: [default, int, 8080]" in (project / "polytope.yml").read_text()
    assert polyfix(project).code == 0


@pytest.mark.parametrize("odd", ["\x85", "\x7f", "\u2028", "\x9b", "\ufeff"])
def test_a_default_holding_a_character_yaml_folds_or_refuses_is_written_escaped(odd, tmp_path, polyfix):
    import yaml

    write(tmp_path / "polytope.yml", "tools:\n  api:\n    run:\n      - tool: polytope/python\n"
          "        args:\n          env:\n            - {name: GREETING, value: pt.value greeting}\n")
    write(tmp_path / "config" / "values.yml", f'greeting: "a\\u{ord(odd):04x}b"\n')
    assert "[*]" in polyfix(tmp_path).out, "a safe fix is offered"
    dry = polyfix(tmp_path, "--dry-run")
    assert dry.code == 1 and "internal error" not in dry.err and dry.out.count("\n+") >= 1, dry.err
    assert polyfix(tmp_path, "--write").code == 0
    text = (tmp_path / "polytope.yml").read_text()
    assert odd not in text and len(text.splitlines()) == len(text.split("\n")) - 1, "escaped, on one line"
    declared = yaml.safe_load(text)["tools"]["api"]["params"][0]
    assert declared["type"] == ["default", "str", f"a{odd}b"]


def test_a_placeholder_in_a_name_reads_as_written_in_every_message(tmp_path, polyfix):
    write(tmp_path / "polytope.yml", "tools:\n  api:\n    run:\n      - tool: polytope/python\n"
          "        args:\n          env:\n            - {name: DB_HOST, value: pt.value {{ project-name }}-host}\n"
          "  stack:\n    run:\n      - tool: api\n")
    for args in ([], ["--output-format", "json"], ["--dry-run"]):
        r = polyfix(tmp_path, *args)
        assert "{{ project-name }}-host" in r.out + r.err
        assert not any("\ue000" <= c <= "\uefff" for c in r.out + r.err), (args, r.out, r.err)


@pytest.mark.parametrize("name", ["No", "yes", "null", "1.5", "0x1f", "1_000", "2001-12-14", "-", "..."])
def test_a_new_param_whose_name_yaml_would_read_otherwise_is_quoted(name, tmp_path, polyfix):
    # (found by a hostile review) `- id: No` reads back as false: the fix was dropped with an internal error
    import yaml

    write(tmp_path / "polytope.yml", "tools:\n  api:\n    run:\n      - tool: polytope/python\n"
          f"        args:\n          env:\n            - {{name: GREETING, value: pt.value {name}}}\n")
    write(tmp_path / "config" / "values.yml", "{}\n" if name in ("-", "...") else f'"{name}": hello\n')
    r = polyfix(tmp_path, "--write")
    assert "internal error" not in r.err, r.err
    data = yaml.safe_load((tmp_path / "polytope.yml").read_text())
    params = data["tools"]["api"].get("params", [])
    if params:
        assert params[0]["id"] == name
        assert data["tools"]["api"]["run"][0]["args"]["env"][0]["value"] == f"pt.param {name}"


def test_a_new_param_with_a_plain_name_stays_plain(tmp_path, polyfix):
    write(tmp_path / "polytope.yml", "tools:\n  api:\n    run:\n      - tool: polytope/python\n"
          "        args:\n          env:\n            - {name: PORT, value: pt.value 3scale-port}\n")
    write(tmp_path / "config" / "values.yml", "3scale-port: 8080\n")
    assert polyfix(tmp_path, "--write").code == 0
    assert "- id: 3scale-port\n" in (tmp_path / "polytope.yml").read_text()


def test_a_folder_given_inside_another_given_is_checked_once(tmp_path, polyfix):
    # Outside a git work tree each folder given is a root: `a/x` and `a` were two, and a/x's files
    # were checked (and fixed) twice: reports doubled, --write tripped over its own first write.
    for name in ("x", "y"):
        (tmp_path / "a" / name / "bin").mkdir(parents=True)
        (tmp_path / "a" / name / "bin" / "run").write_text("#!/bin/sh\necho hi\n")
        os.chmod(tmp_path / "a" / name / "bin" / "run", 0o644)
        (tmp_path / "a" / name / "polytope.yml").write_text(
            f"tools:\n  {name}:\n    run:\n      - tool: polytope/python\n"
            f"        args: {{ cmd: ./bin/run, code: {{ type: host, path: . }} }}\n"
            f"      - tool: polytope/postgres\n")
    alone = polyfix(tmp_path, "a")
    for args in (["a/x", "a"], ["a", "a/x"], ["a/x/polytope.yml", "a"], ["a/x", "a/x/polytope.yml", "a"]):
        assert polyfix(tmp_path, *args).out == alone.out, args
    written = polyfix(tmp_path, "--write", "a/x", "a")
    assert "Fixed 6 problems" in written.out and written.code == 0 and "error" not in written.out + written.err, written.out + written.err
    assert polyfix(tmp_path, "--write", "a").out.startswith("Nothing to fix")


def test_a_file_reached_by_two_paths_is_checked_once_at_its_real_path(tmp_path, polyfix):
    # A polytope.yml linked from another folder, and a folder given through a link: each file once.
    (tmp_path / "real").mkdir()
    (tmp_path / "a").mkdir()
    (tmp_path / "real" / "polytope.yml").write_text("tools:\n  stack:\n    run:\n      - tool: polytope/redpanda\n")
    (tmp_path / "a" / "polytope.yml").symlink_to("../real/polytope.yml")
    (tmp_path / "link").symlink_to("real")
    for args in (["."], [".", "link"], ["link", "."], ["a", "real"]):
        done = polyfix(tmp_path, *args)
        assert done.out.count("PF002") == 1 and "real/polytope.yml:4:15: PF002" in done.out, (args, done.out)
    written = polyfix(tmp_path, "--write", ".", "link")
    assert written.code == 0 and "fixed real/polytope.yml (PF002)" in written.out, written.out + written.err
    assert polyfix(tmp_path, "link").out.startswith("All checks passed")  # alone, a link is checked as before


def test_ctrl_c_while_polyfix_loads_ends_it_without_a_traceback(tmp_path):
    # The command as its console script runs it, with Ctrl-C arriving while polyfix.cli is imported.
    script = (
        "import sys\n"
        "class Interrupt:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'polyfix.cli':\n"
        "            raise KeyboardInterrupt\n"
        "sys.meta_path.insert(0, Interrupt())\n"
        "from polyfix import main\n"
        "sys.exit(main())\n")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 1 and done.stderr == "\nAborted!\n" and done.stdout == "", done.stderr


def test_ctrl_c_while_click_loads_ends_it_without_a_traceback(tmp_path):
    # A run other than a plain one (here a machine format) loads click on its way: Ctrl-C then too.
    script = (
        "import sys\n"
        "class Interrupt:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'click':\n"
        "            raise KeyboardInterrupt\n"
        "sys.meta_path.insert(0, Interrupt())\n"
        "from polyfix import main\n"
        "sys.exit(main())\n")
    for args in (["--output-format", "concise"], ["check", "--help"]):
        done = subprocess.run([sys.executable, "-c", script, *args, str(tmp_path)], capture_output=True, text=True)
        assert done.returncode == 1 and done.stderr == "\nAborted!\n" and done.stdout == "", (args, done.stderr)
