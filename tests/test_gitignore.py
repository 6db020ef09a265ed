"""git's ignore patterns as polyfix reads them (polyfix/gitignore.py): the examples of gitignore(5),
and random trees and pattern files, where git itself says what it ignores."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polyfix import gitignore
from polyfix.discover import find_files


def ignored(lines: list[str], path: str, is_dir: bool = False) -> bool | None:
    return gitignore.parse(lines).decide(path, is_dir)


@pytest.mark.parametrize("lines, path, is_dir, expected", [
    # gitignore(5)'s own examples
    (["doc/frotz/"], "doc/frotz", True, True),
    (["doc/frotz/"], "a/doc/frotz", True, None),
    (["frotz/"], "frotz", True, True),
    (["frotz/"], "a/frotz", True, True),
    (["frotz/"], "a/frotz", False, None),  # a file: `/` at the end matches folders only
    (["/*.c"], "cat-file.c", False, True),
    (["/*.c"], "mozilla-sha1/sha1.c", False, None),
    (["*.html"], "a/b/index.html", False, True),
    (["foo/*"], "foo/test.json", False, True),
    (["foo/*"], "foo/bar", True, True),
    (["foo/*"], "foo/bar/hello.c", False, None),
    (["**/foo"], "foo", True, True),
    (["**/foo"], "a/b/foo", False, True),
    (["**/foo/bar"], "x/foo/bar", False, True),
    (["abc/**"], "abc/x/y", False, True),
    (["abc/**"], "abc", True, None),
    (["a/**/b"], "a/b", False, True),
    (["a/**/b"], "a/x/y/b", False, True),
    (["a/**/b"], "a/xb", False, None),
    (["a**b"], "axyb", False, True),  # not a whole part: one `*`
    (["a**b"], "ax/yb", False, None),
    # what git does and its documentation leaves out: `**` before a `/` runs on across folders, or
    # takes nothing and the `/` with it
    (["a**/b"], "ax/y/b", True, True),
    (["a**/b"], "ab", True, True),
    (["a**/b"], "axb", True, None),
    (["x/a\\**/b"], "x/a*/b", True, True),  # an escaped star, then one star: no such run
    (["x/a\\**/b"], "x/a/b", True, None),
    # negation, the last match deciding, escapes, comments, spaces
    (["*.yml", "!polytope.yml"], "polytope.yml", False, False),
    (["!polytope.yml", "*.yml"], "polytope.yml", False, True),
    (["\\!important"], "!important", False, True),
    (["\\#keep"], "#keep", False, True),
    (["#keep"], "#keep", False, None),
    (["name   "], "name", False, True),
    (["name\\ "], "name ", False, True),
    (["name\\ "], "name", False, None),
    (["?.yml"], "a.yml", False, True),
    (["?.yml"], "ab.yml", False, None),
    (["[ab].yml"], "b.yml", False, True),
    (["[!ab].yml"], "c.yml", False, True),
    (["[!ab].yml"], "a.yml", False, None),
    (["[a-c]x"], "bx", False, True),
    (["[[:digit:]]x"], "7x", False, True),
    (["a[/]b"], "a/b", False, None),  # a set never holds `/`
    (["[ab"], "[ab", False, None),  # `[` without `]`: nothing
    (["trailing\\"], "trailing\\", False, None),
    (["/"], "anything", True, None),
    (["   "], "x", False, None),
    # git's matcher compares the text before the first wildcard as it is: only a `**` that starts
    # the rest runs on across folders (below: not the first wildcard)
    (["**/build**/out"], "src/build/tmp/out", True, None),
    (["**/build**/out"], "src/buildout", True, None),
    (["?/a**/b"], "x/a/c/b", True, None),
    (["/deps**"], "deps/a/b", False, True),
    (["[b-a]"], "b", True, True),  # a reversed range: its first character
    (["[b-a]"], "a", True, None),
    (["x/[a/b]"], "x/a", True, True),  # a `/` in a set does not split the pattern
    (["[[:bogus:]]"], "b", True, None),  # an unknown class: nothing
    (["x/a\\/*"], "x/a/c", True, True),  # `\/` is a `/`
    (["b**/**/y"], "by", True, True),  # each `**/` may take nothing, one after the other
    (["b**/**/**/y"], "by", True, True),
    (["b**/**"], "b", True, True),
    (["[[:]:]"], "[:]", True, True),  # no `:]` before the `]`: the `[` is a character of the set
    (["[[:]:]"], "::]", True, True),
    (["x[[:space:]]"], "x\v", True, None),  # git's space: space, tab, \n, \r
    (["\\/keep"], "keep", True, None),
])
def test_what_gitignore_documents(lines, path, is_dir, expected):
    assert ignored(lines, path, is_dir) is expected


_NAMES = ["a", "b", "ab", "a*", "[a]"]
_SEGMENTS = ["a", "b", "ab", "*", "**", "?", "a*", "*b", "[ab]", "[!a]", "[a-b]", "polytope.yml", "*.yml",
             "poly*", "\\a", "a?", "[a", "a\\", "\\*", "***", "[]a]", "[!]", "[[:alpha:]]", "[\\]]", "a**",
             "\\[a]", "[b-a]", "[[:bogus:]]", "b**", "?**", "a\\/b", "[a/b]", "[[:]:]"]


@st.composite
def patterns(draw) -> str:
    body = "/".join(draw(st.lists(st.sampled_from(_SEGMENTS), min_size=1, max_size=3)))
    return (draw(st.sampled_from(["", "!"])) + draw(st.sampled_from(["", "/"])) + body
            + draw(st.sampled_from(["", "", "/", " ", "\\ "])))


@st.composite
def trees(draw) -> tuple[list[str], dict[str, list[str]]]:
    folders = draw(st.lists(st.lists(st.sampled_from(_NAMES), max_size=3).map("/".join), min_size=1, max_size=6))
    ignore_files = draw(st.dictionaries(st.sampled_from(["", *sorted(set(folders) - {""})]),
                                        st.lists(patterns(), min_size=1, max_size=4), max_size=3))
    exclude = draw(st.lists(patterns(), max_size=2))
    if exclude:
        ignore_files[".git/info"] = exclude
    return folders, ignore_files, draw(st.sampled_from(["", "", *folders]))


def _git_keeps(folder: str) -> set[str]:
    """The untracked files below a folder that git does not ignore (no one's global ignores)."""
    env = dict(os.environ, HOME=folder, XDG_CONFIG_HOME=folder, GIT_CONFIG_NOSYSTEM="1")
    out = subprocess.run(["git", "-C", folder, "-c", "core.fsmonitor=false", "ls-files", "--others",
                          "--exclude-standard", "-z"], capture_output=True, text=True, env=env, check=True).stdout
    return {os.path.normpath(f"{folder}/{path}") for path in out.split("\0") if path.rsplit("/", 1)[-1] == "polytope.yml"}


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
@settings(max_examples=300, deadline=None)
@given(trees())
def test_the_walk_keeps_what_git_keeps(tree):
    """From the top, or from a folder below it (`polyfix sub`, or run there), maybe an ignored one."""
    folders, ignore_files, start = tree
    with tempfile.TemporaryDirectory() as tmp:
        top = os.path.realpath(tmp) + "/work"
        subprocess.run(["git", "init", "-q", top], check=True, env=dict(os.environ, GIT_CONFIG_NOSYSTEM="1"))
        for folder in folders:
            os.makedirs(os.path.join(top, folder), exist_ok=True)
            with open(os.path.join(top, folder, "polytope.yml"), "w") as f:
                f.write("tools: {}\n")
        for folder, lines in ignore_files.items():
            os.makedirs(os.path.join(top, folder), exist_ok=True)
            name = "exclude" if folder == ".git/info" else ".gitignore"
            with open(os.path.join(top, folder, name), "w") as f:
                f.write("".join(line + "\n" for line in lines))
        here = os.path.join(top, start) if start else top
        assert set(find_files(here)) == _git_keeps(here), (ignore_files, start)


def test_matching_takes_no_more_steps_than_the_lengths_allow(monkeypatch):
    """Patterns were regular expressions, and `*a*a*a*a*a*a*a*a*b` backtracked for minutes on a long
    name: a scanned repository chooses its ignore files. Each part's characters are now compared at
    most (pattern length) × (name length) times, and parts likewise."""
    steps = []
    compare = gitignore._char_matches
    monkeypatch.setattr(gitignore, "_char_matches", lambda token, c: steps.append(1) or compare(token, c))
    pattern, name = "*a" * 8 + "*b", "a" * 255
    assert ignored([pattern], name) is None
    assert 0 < len(steps) <= len(pattern) * len(name)
    chain = gitignore.parse(["a" + "**/" * 100_000 + "y", "/".join(f"x{i}**" for i in range(5_000)) + "/y"])
    assert chain.decide("ay", False) is True and chain.decide("a/b/y", False) is True
    assert chain.decide("x0/y", False) is None  # the second line, tried: its spellings are bounded
    assert max(len(rule._spellings) for rule in chain.rules) <= gitignore._MOST_SPELLINGS
    deep = "/".join(["a"] * 200)
    assert ignored(["**/a/**/a/**/a/**/a/**/b"], deep) is None
    assert ignored(["**/a/**/a/**/a/**/a/**/a"], deep) is True


def test_an_ignore_file_is_split_as_git_splits_it():
    data = b"\xef\xbb\xbfa\r\nb\r\r\n# caf\xe9 (Latin-1, in a comment)\nc\x0bd\n\x85e\nlast"
    assert gitignore.lines_of(data) == ["a", "b\r", "# caf\udce9 (Latin-1, in a comment)", "c\x0bd", "\udc85e", "last"]
    rules = gitignore.parse(gitignore.lines_of(data))
    assert [rules.decide(name, False) for name in ("a", "b", "c\x0bd", "last", "x")] == [True, None, True, True, None]


def test_sets_with_many_ranges_are_merged_and_names_looked_up():
    """A 3 MB line of `b-b` ranges took 18 s against one long name; a file of 100,000 names 40 s."""
    rules = gitignore.parse(["*[" + "b-b" * 100_000 + "]x"])
    assert rules.decide("a" * 254 + "bx", False) is True and rules.decide("a" * 255, False) is None
    sets = [token for parts in rules.rules[0]._spellings for part in parts for token in part
            if isinstance(token, gitignore._Set)]
    assert [(s.starts, s.ends) for s in sets] == [(["b"], ["b"])]
    names = gitignore.parse([f"file{i}.txt" for i in range(100_000)] + ["!file7.txt"])
    assert names.others == [] and names.decide("file99999.txt", False) is True
    assert names.decide("file7.txt", False) is False and names.decide("file100000.txt", False) is None


def test_a_folder_inside_an_ignored_one_is_not_searched(tmp_path):
    """`polyfix build/sub`, or run from there: git sees nothing there, and neither does the search."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("build/\n")
    (tmp_path / "build" / "sub").mkdir(parents=True)
    (tmp_path / "build" / "sub" / "polytope.yml").write_text("tools: {}\n")
    (tmp_path / "kept").mkdir()
    (tmp_path / "kept" / "polytope.yml").write_text("tools: {}\n")
    assert find_files(str(tmp_path / "build" / "sub")) == []
    assert find_files(str(tmp_path / "build")) == []
    assert find_files(str(tmp_path)) == [(tmp_path / "kept" / "polytope.yml").as_posix()]


def test_a_linked_ignore_file_is_not_read(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "elsewhere").write_text("kept/\n")
    (tmp_path / ".gitignore").symlink_to(tmp_path / "elsewhere")
    (tmp_path / "kept").mkdir()
    (tmp_path / "kept" / "polytope.yml").write_text("tools: {}\n")
    assert find_files(str(tmp_path)) == [(tmp_path / "kept" / "polytope.yml").as_posix()]


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_a_linked_worktree_and_a_submodule_read_their_repository_s_exclude_file(tmp_path):
    """`.git` is a file there (`gitdir: …`): a linked worktree's info/exclude is the main one's (its
    `commondir`), a submodule's is in its own folder under the superproject's `.git/modules`."""
    env = dict(os.environ, HOME=str(tmp_path), GIT_CONFIG_NOSYSTEM="1", GIT_AUTHOR_NAME="a", GIT_AUTHOR_EMAIL="a@b",
               GIT_COMMITTER_NAME="a", GIT_COMMITTER_EMAIL="a@b")

    def git(*args, cwd=tmp_path):
        subprocess.run(["git", "-c", "protocol.file.allow=always", *args], cwd=cwd, check=True, env=env,
                       capture_output=True)

    main = tmp_path / "main"
    git("init", "-q", str(main))
    (main / "README").write_text("x\n")
    git("add", "README", cwd=main)
    git("commit", "-qm", "x", cwd=main)
    git("worktree", "add", "-q", str(tmp_path / "linked"), cwd=main)
    # git reads its `.git` file to a NUL and trims only line ends: names ending in other blanks or
    # holding other line breaks are the worktree's own (str.strip and splitlines cut them).
    odd = [tmp_path / "wt\u2003", tmp_path / "wt\x85x", tmp_path / "wt\u2029x"]
    for i, folder in enumerate(odd):
        git("worktree", "add", "-q", "-b", f"odd{i}", str(folder), cwd=main)
    (main / ".git" / "info").mkdir(exist_ok=True)
    (main / ".git" / "info" / "exclude").write_text("hidden/\n")
    super_ = tmp_path / "super"
    git("init", "-q", str(super_))
    git("submodule", "add", "-q", str(main), "sub", cwd=super_)
    (super_ / ".git" / "modules" / "sub" / "info").mkdir(parents=True, exist_ok=True)
    (super_ / ".git" / "modules" / "sub" / "info" / "exclude").write_text("secret/\n")
    for top in (tmp_path / "linked", super_ / "sub", *odd):
        assert (top / ".git").is_file()
        for folder in ("hidden", "secret", "kept"):
            (top / folder).mkdir()
            (top / folder / "polytope.yml").write_text("tools: {}\n")
        assert set(find_files(str(top))) == _git_keeps(str(top))
    assert find_files(str(tmp_path / "linked")) == sorted(
        (tmp_path / "linked" / f / "polytope.yml").as_posix() for f in ("kept", "secret"))
    assert find_files(str(super_ / "sub")) == sorted(
        (super_ / "sub" / f / "polytope.yml").as_posix() for f in ("hidden", "kept"))
    # From the superproject, the submodule's files are as its own rules say, not the superproject's
    # (whose `kept/` would match in there too, and whose exclude file has no `secret/`).
    (super_ / ".gitignore").write_text("kept/\n")
    (super_ / "kept").mkdir()
    (super_ / "kept" / "polytope.yml").write_text("tools: {}\n")
    assert find_files(str(super_)) == find_files(str(super_ / "sub"))


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_a_git_entry_that_is_no_repository_leaves_its_folder_under_the_outer_rules(tmp_path):
    """An empty `.git` file or folder, or a link to nowhere, makes no work tree: git applies the outer
    ignore files there, and so does the search."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("outerign/\n")
    for name in ("emptyfile", "emptydir", "dangling", "kept"):
        (tmp_path / name / "outerign").mkdir(parents=True)
        (tmp_path / name / "outerign" / "polytope.yml").write_text("tools: {}\n")
        (tmp_path / name / "polytope.yml").write_text("tools: {}\n")
    (tmp_path / "emptyfile" / ".git").write_text("")
    (tmp_path / "emptydir" / ".git").mkdir()
    (tmp_path / "dangling" / ".git").symlink_to(tmp_path / "nowhere")
    found = find_files(str(tmp_path))
    assert set(found) == _git_keeps(str(tmp_path))
    assert not any("/outerign/" in f for f in found) and len(found) == 4


def test_a_tree_a_thousand_folders_deep_is_searched(tmp_path):
    """os.walk nests a call per folder: 1,100 deep ended the search in a RecursionError."""
    deep = str(tmp_path)
    for _ in range(1100):  # os.makedirs nests a call per folder too
        deep = os.path.join(deep, "a")
        os.mkdir(deep)
    try:
        with open(os.path.join(deep, "polytope.yml"), "w") as f:
            f.write("tools: {}\n")
        assert find_files(str(tmp_path)) == [os.path.join(deep, "polytope.yml")]
    finally:  # taken down here: pytest's later clean-up of old temporary folders nests a call per folder
        if os.path.exists(os.path.join(deep, "polytope.yml")):
            os.unlink(os.path.join(deep, "polytope.yml"))
        while deep != str(tmp_path):
            os.rmdir(deep)
            deep = os.path.dirname(deep)
