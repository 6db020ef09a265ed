"""What --write must never do: lose an edit made meanwhile, change a file outside the project, change
an owner, replace a read-only file, leave temporary files, or run the scanned tree's commands."""
from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from polyfix import cli, engine

from test_catalogue import GOOD, GOOD_FIXED

SCRIPT_PROJECT = ("modules:\n  - id: api\n    module: polytope/python\n    args:\n"
                  "      code: {type: host, path: api}\n      cmd: ./bin/run\n")


def _script_project(folder: Path, script: str = "#!/bin/sh\necho hi\n") -> Path:
    (folder / "api" / "bin").mkdir(parents=True)
    (folder / "polytope.yml").write_text(SCRIPT_PROJECT)
    run = folder / "api" / "bin" / "run"
    run.write_text(script)
    run.chmod(0o644)
    return run


def test_a_fifo_as_cmd_script_is_reported_not_opened(tmp_path, polyfix):
    (tmp_path / "api" / "bin").mkdir(parents=True)
    (tmp_path / "polytope.yml").write_text(SCRIPT_PROJECT)
    os.mkfifo(tmp_path / "api" / "bin" / "run")
    r = polyfix(tmp_path, "--write")
    assert r.code == 1
    assert "polytope.yml:6:12: PF004 `cmd` runs `./bin/run`, but api/bin/run is not a regular file" in r.out


def test_a_hard_linked_script_is_not_chmodded(tmp_path, polyfix):
    run = _script_project(tmp_path / "project")
    outside = tmp_path / "elsewhere"
    os.link(run, outside)
    r = polyfix(tmp_path / "project", "--write")
    assert r.code == 1
    assert "api/bin/run is not executable" in r.out and "[*]" not in r.out
    assert oct(outside.stat().st_mode & 0o777) == oct(0o644)
    r = polyfix(tmp_path / "project", "--output-format", "json")
    assert "it has 2 hard links" in r.out


@pytest.mark.parametrize("block", ["hard link", "owner"])
def test_a_chmod_workaround_stays_when_a_script_it_covers_cannot_be_chmodded(tmp_path, polyfix, monkeypatch, block):
    # Without the chmod, `./bin/run` would fail to start: the workaround is reported, not removed.
    project = tmp_path / "project"
    (project / "api" / "bin").mkdir(parents=True)
    (project / "polytope.yml").write_text(
        "modules:\n  - id: api\n    module: polytope/container\n    args:\n      image: alpine\n"
        "      code: { type: host, path: ./api }\n      cmd: bash -c \"chmod +x ./bin/* && ./bin/run\"\n")
    run = project / "api" / "bin" / "run"
    run.write_text("#!/bin/sh\necho hi\n")
    run.chmod(0o644)
    if block == "hard link":
        os.link(run, tmp_path / "elsewhere")
    else:  # as a user other than its owner (root stands in for one)
        monkeypatch.setattr(os, "geteuid", lambda: run.stat().st_uid + 4242)
    before = (project / "polytope.yml").read_text()
    r = polyfix(project, "--write", "--unsafe-fixes")
    assert r.code == 1 and "[*]" not in r.out
    assert "`cmd` runs `chmod` to make scripts executable at every start" in r.out
    assert (project / "polytope.yml").read_text() == before
    assert oct(run.stat().st_mode & 0o777) == oct(0o644)


def test_a_chmod_workaround_on_a_folder_stays(tmp_path, polyfix):
    # `chmod -R +x bin`: polyfix does not make a folder's files executable, so the scripts the
    # command needs could stay without their bit: the workaround is reported, not removed.
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "run").write_text("#!/bin/sh\necho hi\n")
    (tmp_path / "bin" / "run").chmod(0o644)
    text = ("modules:\n  - id: app\n    module: polytope/container\n    args:\n      image: alpine\n"
            "      code: { type: host, path: . }\n      cmd: sh -c \"chmod -R +x bin && ./bin/run\"\n")
    (tmp_path / "polytope.yml").write_text(text)
    r = polyfix(tmp_path, "--write", "--unsafe-fixes")
    assert r.code == 1 and "[*]" not in r.out and (tmp_path / "polytope.yml").read_text() == text


def test_a_chmod_glob_covering_a_checked_polytope_file_gives_it_its_mode(tmp_path, polyfix):
    # b's `chmod +x ./*` covers a/polytope.yml, which has a fix of its own (PF002). The file's mode
    # as found is known, so the diff shows the change and --write makes it; --write used to refuse
    # the chmod ("changed since polyfix read it", exit 2) after writing the text.
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "polytope.yml").write_text("tools:\n  stack:\n    run:\n      - tool: polytope/redpanda\n")
    os.chmod(tmp_path / "a" / "polytope.yml", 0o644)
    (tmp_path / "b" / "polytope.yml").write_text(
        "tools:\n  api:\n    run:\n      - tool: polytope/container\n        args:\n          image: python:3.12\n"
        "          code: {type: host, path: ../a}\n          cmd: bash -c \"chmod +x ./* && ./polytope.yml\"\n")
    dry = polyfix(tmp_path, "--dry-run", ".")
    assert "diff --git a/a/polytope.yml b/a/polytope.yml\nold mode 100644\nnew mode 100755\n" in dry.out
    done = polyfix(tmp_path, "--write", ".")
    assert done.code == 1 and "error" not in done.out + done.err, done.out + done.err
    assert "fixed a/polytope.yml (PF002, PF004)" in done.out
    assert os.stat(tmp_path / "a" / "polytope.yml").st_mode & 0o777 == 0o755
    assert "data-volume" in (tmp_path / "a" / "polytope.yml").read_text()
    assert "Nothing to fix" in polyfix(tmp_path, "--write", ".").out


def test_an_edit_saved_while_polyfix_runs_is_not_overwritten(tmp_path, polyfix, monkeypatch):
    target = tmp_path / "polytope.yml"
    target.write_text(GOOD)
    real_run = engine.run

    def run_then_edit(*args, **kwargs):
        results = real_run(*args, **kwargs)
        target.write_text(GOOD + "# saved by the user meanwhile\n")
        return results

    monkeypatch.setattr(engine, "run", run_then_edit)
    r = polyfix(tmp_path, "--write")
    assert r.code == 2
    assert "polytope.yml: error: not written: it changed since polyfix read it (run polyfix again)" in r.err
    assert target.read_text() == GOOD + "# saved by the user meanwhile\n"
    # PF003's fix and the PF008 fix it made possible stay undone: both count as remaining
    assert "Nothing fixed; 2 remaining; 1 file not written. There was 1 error too (below)." in r.out
    assert [p.name for p in tmp_path.iterdir()] == ["polytope.yml"]


def test_a_read_only_file_is_reported_not_replaced(tmp_path, polyfix):
    target = tmp_path / "polytope.yml"
    target.write_text(GOOD)
    target.chmod(0o444)
    r = polyfix(tmp_path, "--write")
    assert r.code == 2
    assert "polytope.yml: error: not written: the file is read-only" in r.err
    assert target.read_text() == GOOD and target.stat().st_mode & 0o777 == 0o444
    assert "no problems remain" not in r.out


_STACK_WITH_INLINE_STEP = ("tools:\n  stack:\n    run:\n      - tool: other\n      - tool: polytope/python\n"
                           "        args: { image: python:3.12, cmd: ./bin/a }\n")


def _read_only_file(sub, monkeypatch):
    sub.chmod(0o444)
    return "the file is read-only"


def _read_only_folder(sub, monkeypatch):
    # As a user who may not write the folder (root may write any: the answer is stood in for).
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: False if str(path) == str(sub.parent) and mode & os.W_OK
                        else real_access(path, mode, **kw))
    return "its folder is read-only"


def _foreign_owner(sub, monkeypatch):
    # As user 1000 owning every file but one, which user 4242 owns (root sets the owners, and then
    # stands for user 1000: it may give its new copies away, user 1000 could not).
    if os.geteuid() != 0:
        pytest.skip("giving files to other users needs root")
    for path in sub.parent.parent.rglob("*"):
        os.chown(path, 1000, 1000)
    os.chown(sub.parent.parent, 1000, 1000)
    os.chown(sub, 4242, 4242)
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    monkeypatch.setattr(os, "getegid", lambda: 1000)
    monkeypatch.setattr(os, "getgroups", lambda: [1000])
    st = sub.stat()
    return (f"it belongs to user {st.st_uid} (group {st.st_gid}), and a rewritten copy would belong to whoever "
            f"runs polyfix")


@pytest.mark.parametrize("lock", [_read_only_file, _read_only_folder, _foreign_owner])
def test_an_include_group_with_a_file_polyfix_cannot_write_is_written_whole_or_not_at_all(tmp_path, polyfix,
                                                                                           monkeypatch, lock):
    # The gate proves an include group's fixes together; the other group's fixes still apply.
    root = tmp_path / "polytope.yml"
    root.write_text("include:\n  - sub\n" + _STACK_WITH_INLINE_STEP)
    (tmp_path / "sub").mkdir()
    sub = tmp_path / "sub" / "polytope.yml"
    sub.write_text(_STACK_WITH_INLINE_STEP.replace("stack:", "sub-stack:"))
    (tmp_path / "other").mkdir()
    other = tmp_path / "other" / "polytope.yml"
    other.write_text(_STACK_WITH_INLINE_STEP)
    before = root.read_text(), sub.read_text()
    why = lock(sub, monkeypatch)
    r = polyfix(tmp_path, "--select", "PF007", "--write")
    assert r.code == 2
    assert (f"polytope.yml: error: not written: sub/polytope.yml, of the same include group, cannot be written "
            f"({why}), and the fixes of a group are written together or not at all") in r.err
    assert f"sub/polytope.yml: error: not written: {why}" in r.err
    assert (root.read_text(), sub.read_text()) == before
    assert "  python:\n" in other.read_text()  # another project, fixed as before
    assert "Fixed 1 problem; 2 remaining; 2 files not written." in r.out


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_the_owner_is_kept(tmp_path, polyfix):
    target = tmp_path / "polytope.yml"
    target.write_text(GOOD)
    os.chown(target, 65534, 65534)
    r = polyfix(tmp_path, "--write")
    assert r.code == 0, r.err
    assert target.read_text() == GOOD_FIXED
    assert (target.stat().st_uid, target.stat().st_gid) == (65534, 65534)


def test_stale_temp_files_of_dead_runs_are_removed_live_ones_kept(tmp_path, polyfix):
    (tmp_path / "polytope.yml").write_text(GOOD_FIXED)
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        dead = subprocess.Popen(["true"])
        dead.wait()
        stale = tmp_path / f".polytope.yml.polyfix-{dead.pid}-abcd1234.tmp"
        live = tmp_path / f".polytope.yml.polyfix-{sleeper.pid}-abcd1234.tmp"
        other = tmp_path / f".other.yml.polyfix-{dead.pid}-abcd1234.tmp"
        for p in (stale, live, other):
            p.write_text("")
        polyfix(tmp_path)  # a report writes nothing, so removes nothing
        assert stale.exists()
        r = polyfix(tmp_path, "--write")
        assert r.code == 0
        assert not stale.exists() and live.exists() and other.exists()
    finally:
        sleeper.kill()
        sleeper.wait()


def test_sigterm_during_write_finishes_the_current_file_and_stops(tmp_path, polyfix, monkeypatch):
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "polytope.yml").write_text(GOOD)
    real_write = cli._write

    def write_then_signal(r, identity=None):
        failure = real_write(r, identity)
        os.kill(os.getpid(), signal.SIGTERM)  # arrives while polyfix is writing
        return failure

    monkeypatch.setattr(cli, "_write", write_then_signal)
    r = polyfix(tmp_path, "--write")
    assert r.code == 2
    assert "error: interrupted (SIGTERM): 2 files left as they were" in r.err
    assert [(tmp_path / n / "polytope.yml").read_text() for n in "abc"] == [GOOD_FIXED, GOOD, GOOD]
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def test_an_internal_error_on_one_file_leaves_the_others_fixed(tmp_path, polyfix, monkeypatch):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "polytope.yml").write_text(GOOD)
    (tmp_path / "b" / "polytope.yml").write_text(GOOD + "# boom\n")
    real_init = engine.Project.__init__

    def init(self, docs, *args, **kwargs):
        if any(d.text.endswith("# boom\n") for d in docs.values()):
            raise RuntimeError("boom")
        real_init(self, docs, *args, **kwargs)

    monkeypatch.setattr(engine.Project, "__init__", init)
    r = polyfix(tmp_path, "--write")
    assert r.code == 2
    assert "b/polytope.yml: error: internal error: RuntimeError: boom; please report it" in r.err
    assert (tmp_path / "a" / "polytope.yml").read_text() == GOOD_FIXED
    assert (tmp_path / "b" / "polytope.yml").read_text() == GOOD + "# boom\n"


def _git(folder: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True)


def test_the_scanned_repository_runs_nothing(tmp_path, polyfix):
    """A repo's core.fsmonitor and hooks are commands: discovery reads .gitignore itself, and the
    index chmod turns both off."""
    repo = tmp_path / "repo"
    _script_project(repo)
    (repo / "ignored").mkdir()
    (repo / "ignored" / "polytope.yml").write_text("a: [\n")
    (repo / ".gitignore").write_text("ignored/\n")
    marker = tmp_path / "ran"
    monitor = tmp_path / "monitor.sh"
    monitor.write_text(f"#!/bin/sh\ntouch {marker}\n")
    monitor.chmod(0o755)
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "config", "core.fileMode", "false")
    _git(repo, "config", "core.fsmonitor", str(monitor))
    r = polyfix(repo)
    assert r.code == 1 and "ignored" not in r.out + r.err
    r = polyfix(repo, "--write")
    assert r.code == 0, r.err
    assert not marker.exists()
    staged = subprocess.run(["git", "-C", str(repo), "-c", "core.fsmonitor=false", "ls-files", "-s", "api/bin/run"],
                            capture_output=True, text=True).stdout
    assert staged.startswith("100755")


def test_gitignore_rules_nest_and_negate(tmp_path, polyfix):
    repo = tmp_path
    (repo / ".git").mkdir()
    (repo / ".git" / "info").mkdir()
    (repo / ".git" / "info" / "exclude").write_text("excluded/\n")
    for folder in ("kept", "build", "build/again", "sub/skipped", "excluded"):
        (repo / folder).mkdir(parents=True)
        (repo / folder / "polytope.yml").write_text(GOOD_FIXED)
    (repo / ".gitignore").write_text("build/\n")
    (repo / "sub" / ".gitignore").write_text("skipped\n")
    (repo / "kept" / ".gitignore").write_text("*.yml\n!polytope.yml\n")
    from polyfix.discover import find_files

    assert [Path(f).relative_to(repo).as_posix() for f in find_files(repo)] == ["kept/polytope.yml"]


def test_a_control_character_in_a_path_cannot_forge_a_line(tmp_path, polyfix):
    folder = tmp_path / "a\nb: error: fake"
    folder.mkdir()
    (folder / "polytope.yml").write_text("a: [\n")
    r = polyfix(tmp_path)
    assert r.code == 2
    errors = [line for line in r.err.splitlines() if "error" in line]
    assert len(errors) == 1 and errors[0].startswith("a\\nb: error: fake/polytope.yml: error: line 2")


def test_cr_only_line_endings_give_real_lines(tmp_path, polyfix):
    (tmp_path / "polytope.yml").write_bytes(GOOD.replace("\n", "\r").encode())
    r = polyfix(tmp_path)
    assert "polytope.yml:5:43: PF003" in r.out


def test_a_link_outside_the_project_is_not_offered_a_fix_it_will_not_get(tmp_path, polyfix):
    (tmp_path / "outside.yml").write_text(GOOD)
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "polytope.yml").symlink_to(tmp_path / "outside.yml")
    report = polyfix(tmp_path / "project")
    write = polyfix(tmp_path / "project", "--write")
    assert report.code == write.code == 2
    for r in (report, write):
        assert "polytope.yml: error: is a link to a file outside the project: not fixed" in r.err
    assert "[*]" not in report.out and "PF003" in report.out
    assert (tmp_path / "outside.yml").read_text() == GOOD


REDPANDA_TOOL = "tools:\n  {name}:\n    run:\n      - tool: polytope/redpanda\n"


def test_volume_ids_are_unique_within_a_project_and_independent_across_projects(tmp_path, polyfix):
    (tmp_path / ".git").mkdir()  # one root holding two unrelated projects
    (tmp_path / "one").mkdir()
    (tmp_path / "one" / "polytope.yml").write_text("include:\n  - b.yml\n" + REDPANDA_TOOL.format(name="s"))
    (tmp_path / "one" / "b.yml").write_text(REDPANDA_TOOL.format(name="t"))
    (tmp_path / "two").mkdir()
    (tmp_path / "two" / "polytope.yml").write_text(REDPANDA_TOOL.format(name="u"))
    r = polyfix(tmp_path, "--write")
    assert r.code == 0, r.err
    ids = {f: [line.split("id: ")[1].rstrip("}\n") for line in (tmp_path / f).read_text().splitlines(True) if "id: " in line]
           for f in ("one/polytope.yml", "one/b.yml", "two/polytope.yml")}
    assert sorted(ids["one/polytope.yml"] + ids["one/b.yml"]) == ["redpanda-data", "redpanda-data-2"]
    assert ids["two/polytope.yml"] == ["redpanda-data"]


def test_a_rule_failing_on_one_file_still_fixes_the_others(tmp_path, polyfix, monkeypatch):
    from polyfix.rules import pf003_after_on_service as pf003

    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    (tmp_path / "a" / "polytope.yml").write_text(GOOD)
    (tmp_path / "b" / "polytope.yml").write_text(GOOD + "# boom\n")
    real_check = pf003.check

    def check(project, files):
        if any(project.docs[f].text.endswith("# boom\n") for f in files):
            raise RuntimeError("boom")
        return real_check(project, files)

    monkeypatch.setattr(pf003, "check", check)
    r = polyfix(tmp_path, "--write")
    assert r.code == 2
    errors = [line for line in r.err.splitlines() if ": error: " in line]
    assert errors == ["b/polytope.yml: error: internal error: PF003 failed (RuntimeError: boom); please report it"]
    assert (tmp_path / "a" / "polytope.yml").read_text() == GOOD_FIXED
    assert (tmp_path / "b" / "polytope.yml").read_text() == GOOD + "# boom\n"


def test_an_owner_that_cannot_be_kept_is_reported_and_the_file_left(tmp_path, polyfix, monkeypatch):
    target = tmp_path / "polytope.yml"
    target.write_text(GOOD)
    st = target.stat()
    monkeypatch.setattr(os, "fstat", lambda fd, real=os.fstat: _other_owner(real(fd)))

    def refuse(*_args):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "fchown", refuse)
    r = polyfix(tmp_path, "--write")
    assert r.code == 2
    assert (f"polytope.yml: error: not written: it belongs to user {st.st_uid} (group {st.st_gid}), and a "
            f"rewritten copy would belong to whoever runs polyfix") in r.err
    assert target.read_text() == GOOD and target.stat().st_uid == st.st_uid
    assert [p.name for p in tmp_path.iterdir()] == ["polytope.yml"]


def _other_owner(st: os.stat_result) -> os.stat_result:
    """A temporary file's stat as if the user running polyfix were someone else."""
    fields = list(st)
    fields[4] = st.st_uid + 1  # st_uid
    return os.stat_result(fields)


@pytest.mark.parametrize("change", ["link to a file outside", "chmod"])
def test_a_script_changed_after_the_check_is_not_chmodded(change, tmp_path):
    """Between the check and the write, the script became a link to a file outside the project,
    or got another mode: --write leaves both alone, as it does a changed text."""
    from polyfix import cli, discover, engine

    project = tmp_path / "p"
    (project / "bin").mkdir(parents=True)
    script = project / "bin" / "run"
    script.write_text("#!/bin/sh\n")
    os.chmod(script, 0o644)
    outside = tmp_path / "private"
    outside.write_text("secret\n")
    os.chmod(outside, 0o600)
    info = discover.make_probe(str(project))(str(script))
    result = engine.FileResult(str(script), old_mode=info.mode, new_mode=0o755, identity=info.identity)
    if change == "chmod":
        os.chmod(script, 0o600)
    else:
        script.unlink()
        script.symlink_to(outside)
    assert cli._write(result) == "not written: it changed since polyfix read it"
    assert outside.stat().st_mode & 0o777 == 0o600 and script.stat().st_mode & 0o777 == 0o600
    os.chmod(script, 0o644) if change == "chmod" else None
    fresh = discover.make_probe(str(project))(str(script))
    if change == "chmod":  # checked again as it is now: made executable
        assert cli._write(engine.FileResult(str(script), old_mode=fresh.mode, new_mode=0o755,
                                            identity=fresh.identity)) is None
        assert script.stat().st_mode & 0o777 == 0o755
