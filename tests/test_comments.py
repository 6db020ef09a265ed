"""No fix loses a comment: a comment planted at the end of every line of real files (the golden
inputs, and the corpus of real projects when present) is still in each file after --write."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import CORPUS, GOLDEN, copy_tree


def _plant(path: Path) -> list[str]:
    """A comment `# cN` at the end of each line where one does not change what the file holds (not
    in block scalars or multi-line strings), written into the file; the comments planted."""
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.load(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return []
    lines, planted = text.split("\n"), []
    for i, line in enumerate(lines):
        if not line.strip() or "#" in line:
            continue
        mark = f"# c{len(planted)}"
        trial = lines[:i] + [f"{line}  {mark}"] + lines[i + 1:]
        try:
            if yaml.load("\n".join(trial), Loader=yaml.CSafeLoader) != data:
                continue
        except yaml.YAMLError:
            continue
        lines, planted = trial, planted + [mark]
    path.write_text("\n".join(lines), encoding="utf-8")
    return planted


def _projects(tmp_path: Path, with_corpus: bool) -> dict[Path, list[str]]:
    tree = tmp_path / "tree"
    if with_corpus:
        copy_tree(CORPUS, tree)
    else:
        for case in sorted(GOLDEN.glob("*/*")):
            if (case / "input.yml").is_file():
                target = tree / case.parent.name / case.name
                if (case / "tree").is_dir():
                    shutil.copytree(case / "tree", target)
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy(case / "input.yml", target / "polytope.yml")
    return {p: _plant(p) for p in sorted(tree.rglob("polytope.y*ml")) if p.is_file() and not p.is_symlink()}


@pytest.mark.parametrize("with_corpus", [False, True], ids=["golden inputs", "corpus"])
def test_no_fix_loses_a_comment(tmp_path, polyfix, with_corpus):
    if with_corpus and not CORPUS.is_dir():
        pytest.skip(f"the corpus of real projects is not at {CORPUS} (POLYFIX_CORPUS names it)")
    planted = _projects(tmp_path, with_corpus)
    assert sum(len(p) for p in planted.values()) > 1000  # enough lines to mean something
    before = {path: path.read_text(encoding="utf-8") for path in planted}
    run = polyfix(tmp_path / "tree", "--write", "--unsafe-fixes", ".")
    assert run.code in (0, 1), run.out + run.err
    changed = [path for path in planted if path.read_text(encoding="utf-8") != before[path]]
    assert len(changed) > 10  # the fixes did run
    for path, marks in planted.items():
        text = path.read_text(encoding="utf-8")
        found = re.findall(r"# c\d+\b", text)
        lost = [m for m in marks if m not in found]
        assert not lost, (path, lost)
        assert len(found) == len(set(found)), (path, "a comment was copied")
