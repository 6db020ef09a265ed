"""The catalogue of bad inputs: each kind runs in a batch beside a good file, in every mode. The bad
file gets exactly one `PATH: error: what` line and exit 2, it is left as it was (bytes, mode,
owner), there is no traceback, and the good file is still reported and fixed."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

GOOD = """\
templates:
  - id: stack
    run:
      - api
      - { module: web, run-when: { after: api } }
modules:
  - id: api
    module: polytope/python
  - id: web
    module: polytope/node
"""
GOOD_FIXED = GOOD.replace("- { module: web, run-when: { after: api } }", "- web")  # PF003, then PF008
REDPANDA = "tools:\n  s:\n    run:\n      - tool: polytope/redpanda\n"


def _laughs(levels: int) -> str:
    """A billion-laughs file: each level is nine aliases of the one before."""
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels + 1):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]")
    return REDPANDA + "\n".join(lines) + "\n"


def _nested_blocks(depth: int) -> str:
    return REDPANDA + "x:\n" + "".join(" " * (2 * i) + "- \n" for i in range(1, depth)) + " " * (2 * depth) + "- 1\n"


def _write(text: str | bytes):
    def make(folder: Path) -> Path:
        path = folder / "polytope.yml"
        path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
        return path
    return make


def _fifo(folder: Path) -> Path:
    path = folder / "polytope.yml"
    os.mkfifo(path)
    return path


def _link_to_device(folder: Path) -> Path:
    path = folder / "polytope.yml"
    path.symlink_to("/dev/zero")
    return path


def _too_large(folder: Path) -> Path:
    path = folder / "polytope.yml"
    with open(path, "wb") as f:  # sparse: its size says 11 MB without writing them
        f.write(GOOD.encode())
        f.truncate(11 * 1024 * 1024)
    return path


def _link_loop(folder: Path) -> Path:
    path = folder / "polytope.yml"
    path.symlink_to("polytope.yml")
    return path


# (id, how to make the bad file in its folder, what its one error line says)
CATALOGUE = [
    ("collection-as-key", _write("[ a, [ [[b,c]]: d, e]]: 23\n"), "YAML polyfix cannot work on"),
    ("yaml-1.3-directive", _write("%YAML 1.3\n---\n" + GOOD), "YAML polyfix cannot work on"),
    ("recursive-alias", _write(REDPANDA + "x: &a [*a]\n"), "an alias used inside its own anchor"),
    ("recursive-alias-in-mapping", _write(REDPANDA + "x: &a {b: [1, {c: *a}]}\n"), "an alias used inside its own anchor"),
    ("billion-laughs", _write(_laughs(9)), "nodes once its aliases are expanded"),
    ("nested-500-blocks", _write(_nested_blocks(500)), "nested more than 100 levels deep"),
    ("nested-150-flow", _write(REDPANDA + "x: " + "[" * 150 + "]" * 150 + "\n"), "nested more than 100 levels deep"),
    ("nested-100000-flow", _write("[" * 100_000 + "]" * 100_000 + "\n"), "nested too deeply"),
    ("fifo", _fifo, "is not a regular file (a FIFO)"),
    ("link-to-device", _link_to_device, "is not a regular file (a character device)"),
    ("larger-than-10-MB", _too_large, "is larger than 10 MB"),
    ("link-loop", _link_loop, "error: too many levels of symbolic links"),
    ("not-utf-8", _write(b"a: \xff\n"), "not UTF-8 text (byte 3)"),
    ("duplicate-key", _write("modules: []\nmodules: []\n"), "duplicate key `modules`"),
    ("syntax-error", _write("a: [1, 2\n"), "line "),
    ("tab-indentation", _write("a:\n\tb: 1\n"), "line 2"),
    ("two-documents", _write("a: 1\n---\nb: 2\n"), "single document"),
    ("private-use-characters", _write("a: \ue000\n"), "private-use characters"),
    ("unrendered-template", _write("{{ a }}: [\n"), "unrendered template"),
]

MODES = {"report": (), "dry-run": ("--dry-run",), "write": ("--write", "--unsafe-fixes")}


def _state(path: Path):
    """Bytes, mode and owner of what a path names, without following links or opening a FIFO."""
    st = os.lstat(path)
    data = path.read_bytes() if stat.S_ISREG(st.st_mode) and st.st_size < 1 << 20 else None
    return data, st.st_mode, st.st_uid, st.st_gid, st.st_size, st.st_mtime_ns


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name, make, says", CATALOGUE, ids=[c[0] for c in CATALOGUE])
def test_bad_input_beside_a_good_file(tmp_path, polyfix, name, make, says, mode):
    (tmp_path / "good").mkdir()
    (tmp_path / "bad").mkdir()
    (tmp_path / "good" / "polytope.yml").write_text(GOOD)
    bad = make(tmp_path / "bad")
    before = _state(bad)

    r = polyfix(tmp_path, *MODES[mode], "good", "bad")

    assert r.code == 2, r.err
    assert "Traceback" not in r.out + r.err
    errors = [line for line in r.err.splitlines() if ": error: " in line]
    assert errors == [line for line in errors if line.startswith("bad/polytope.yml: error: ")], r.err
    assert len(errors) == 1 and says in errors[0], r.err
    assert _state(bad) == before
    assert sorted(p.name for p in (tmp_path / "bad").iterdir()) == ["polytope.yml"]  # no temp file left
    good = (tmp_path / "good" / "polytope.yml").read_text()
    assert good == (GOOD_FIXED if mode == "write" else GOOD)
    if mode == "report":
        assert "good/polytope.yml:5:" in r.out and "PF003" in r.out


def test_alias_graph_does_not_hang_a_report_with_a_redpanda_elsewhere(tmp_path, polyfix):
    """A shared (not recursive) alias graph within the bound: each node is walked once."""
    (tmp_path / "polytope.yml").write_text(_laughs(3))
    r = polyfix(tmp_path, "--write")
    assert "Traceback" not in r.err and r.code in (0, 1), r.err
