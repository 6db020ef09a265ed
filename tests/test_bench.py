"""The benchmark's generator and a smoke run of bench/bench.py. No timing is asserted here."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))
import generate  # noqa: E402

PROBLEM = re.compile(r"^\S.*:\d+:\d+: PF\d{3} ")


def tree(root: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mode & 0o777)
            for p in sorted(root.rglob("*")) if p.is_file()}


def run_polyfix(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "polyfix", *args], capture_output=True, text=True)


def assert_no_errors(done: subprocess.CompletedProcess) -> None:
    assert done.returncode in (0, 1), done.stdout + done.stderr
    bad = [line for line in (done.stdout + done.stderr).splitlines() if "error:" in line and not PROBLEM.match(line)]
    assert not bad, bad


def test_generator_is_deterministic(tmp_path):
    a = generate.generate(tmp_path / "a", 40, seed=3)
    b = generate.generate(tmp_path / "b", 40, seed=3)
    assert len(a) == len(b) == 40
    assert tree(tmp_path / "a") == tree(tmp_path / "b")
    generate.generate(tmp_path / "c", 40, seed=4)
    assert tree(tmp_path / "a") != tree(tmp_path / "c")


def test_generated_projects_parse_in_both_formats(tmp_path):
    files = generate.generate(tmp_path, 120, seed=7)
    assert len(files) == len(set(files)) == 120
    formats = set()
    for f in files:
        doc = yaml.safe_load(f.read_text())
        assert isinstance(doc, dict), f
        assert doc.keys() <= {"include", "tools", "templates", "modules"}, f
        formats.add("tools" if "tools" in doc else "templates/modules")
        for entry in doc.get("include", []):
            assert (f.parent / entry / "polytope.yml").is_file(), (f, entry)
    assert formats == {"tools", "templates/modules"}
    sizes = sorted(len(f.read_text().splitlines()) for f in files)
    assert sizes[0] < 30 and sizes[-1] > 100  # small files and large ones, as in real repositories


@pytest.mark.parametrize("legacy", [False, True])
def test_single_file_of_about_n_lines(tmp_path, legacy):
    path = generate.generate_lines(tmp_path, 1000, seed=1, legacy=legacy)
    n = len(path.read_text().splitlines())
    assert 1000 <= n <= 1300
    assert isinstance(yaml.safe_load(path.read_text()), dict)
    assert_no_errors(run_polyfix(str(path)))


def test_copies_of_one_project_have_one_make_up(tmp_path):
    # A file of k copies holds k times the unit's lines (and its header: a comment, `tools:`) and k times its
    # problems, each of the kind the unit has: the sizes differ in nothing but size.
    def problems(path: Path) -> list[str]:
        done = run_polyfix("--output-format", "concise", str(path))
        assert_no_errors(done)
        return [line.split(": ", 1)[1].split(" ", 1)[0] for line in done.stdout.splitlines() if PROBLEM.match(line)]

    unit = generate.generate_repeated(tmp_path / "one", 100, seed=5)
    unit_lines = len(unit.read_text().splitlines()) - 2
    unit_codes = problems(unit)
    assert 100 <= unit_lines <= 200 and unit_codes
    many = generate.generate_repeated(tmp_path / "many", 6 * unit_lines, seed=5)
    assert len(many.read_text().splitlines()) - 2 == 6 * unit_lines
    codes = problems(many)
    assert sorted(codes) == sorted(unit_codes * 6)
    assert generate.generate_repeated(tmp_path / "again", 6 * unit_lines, seed=5).read_bytes() == many.read_bytes()
    doc = yaml.safe_load(many.read_text())
    assert len(doc["tools"]) == 6 * len(yaml.safe_load(unit.read_text())["tools"])  # no name twice


def test_polyfix_runs_on_generated_repository(tmp_path):
    generate.generate(tmp_path, 150, seed=11)
    done = run_polyfix(str(tmp_path))
    assert_no_errors(done)
    assert done.returncode == 1  # the generated files hold some of the mistakes real ones do
    assert_no_errors(run_polyfix("--dry-run", str(tmp_path)))


def test_bench_quick_runs_end_to_end(tmp_path):
    beside = Path(sys.executable).parent
    if not ((beside / "yamllint").exists() or shutil.which("yamllint")):
        pytest.skip("yamllint is not installed (pip install '.[bench]'): the benchmark compares against it")
    out = tmp_path / "out" / "RESULTS.md"
    done = subprocess.run([sys.executable, str(BENCH / "bench.py"), "--quick", "--out", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    for heading in ("## 1. One file", "## 2. A folder", "## 3. A generated repository", "## 4. Peak memory"):
        assert heading in text
    for row in ("| CPU |", "| Cores |", "| Python (polyfix's) |", "| OS |", "| polyfix |", "| yamllint |",
                "| Date (UTC) |"):
        assert row in text
    assert "**Warning**" not in text  # every run exited 0 or 1
    if shutil.which("git"):  # the folder again inside a git work tree, whose ignore files the search reads
        folder_rows = re.findall(r"^\| (.+?) \| (report|--dry-run) \| (\d+) \| (\d+) \|", text, re.M)
        by_label = {(label, mode): (files, lines) for label, mode, files, lines in folder_rows}
        plain = [key for key in by_label if key[1] == "report" and "git" not in key[0] and "×" not in key[0]]
        assert len(plain) == 1 and by_label[plain[0][0] + " in a git work tree", "report"] == by_label[plain[0]]
    for label in ("with its Python services' code", "without that code"):  # linear growth: cost per added line
        assert re.search(rf"Cost per added line, {re.escape(label)}: \d+ → \d+ lines: polyfix -?\d+ µs", text)
    # The copies of one project: the same make-up at every size, as the problems per line show.
    assert re.search(r"Cost per added line, copies of one project, without code: \d+ → \d+ lines: polyfix -?\d+ µs", text)
    # In one process: each size a row with its time and its problems (polyfix found some in each file).
    for label in ("without that code", "copies of one project, without code"):
        section = re.search(rf"### In one process, one file of \d+ to \d+ lines, {re.escape(label)}\n(.*?)(?=\n## |\n### |\Z)",
                            text, re.S).group(1)
        rows = re.findall(r"^\| (\d+) \| \d+ \| [\d.]+ \| -?\d+ \| (\d+) \| ([\d.]+) \|$", section, re.M)
        assert len(rows) == 2 and all(int(problems) > 0 for _lines, problems, _density in rows), section
        assert re.search(rf"Net time per line in one process from \d+ to \d+ lines, {re.escape(label)}: spread \d+%",
                         section)
        if label.startswith("copies"):  # k copies: k times the problems in k times the lines (and 2 lines of header)
            (lines_a, problems_a, _), (lines_b, problems_b, _) = rows
            assert int(problems_a) * (int(lines_b) - 2) == int(problems_b) * (int(lines_a) - 2), section
    # Repositories of about the same lines in files of each size: every size a row, the whole run's
    # time per line, and its spread against the goal.
    for label in ("without that code", "copies of one project, without code"):
        section = re.search(rf"### Repositories of files of about 100 to 300 lines, {re.escape(label)}\n(.*?)(?=\n## |\n### |\Z)",
                            text, re.S).group(1)
        rows = re.findall(r"^\| (100|300) \| (\d+) \| (\d+) \| \d+ \| [\d.]+ \(", section, re.M)
        assert [size for size, _files, _lines in rows] == ["100", "300"], section
        assert all(int(files) >= 2 and 400 <= int(lines) <= 800 for _size, files, lines in rows), section  # about 600
        assert int(rows[0][1]) > int(rows[1][1]), section  # more files of the smaller size
        assert re.search(rf"Time per line, repositories of files of 100 to 300 lines, {re.escape(label)}: spread \d+% "
                         r"in one process; goal: flat within 20% \((met|not met)\)\. As users run it \(.*?\): spread \d+%", section)


def test_timed_runs_read_bytecode_compiled_once(tmp_path):
    # Under PYTHONDONTWRITEBYTECODE a checkout's modules were compiled again on every timed run (the
    # installed yamllint's were not): the timed commands' environment caches both tools' bytecode.
    import bench

    env = bench.cached_bytecode({"PYTHONDONTWRITEBYTECODE": "1", "PATH": "/usr/bin"}, tmp_path / "cache")
    assert "PYTHONDONTWRITEBYTECODE" not in env and env["PATH"] == "/usr/bin"
    subprocess.run([sys.executable, "-c", "import polyfix.engine"], env=env, check=True)
    assert list((tmp_path / "cache").rglob("engine.cpython-*.pyc"))
