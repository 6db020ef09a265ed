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
    return gitignore.decide(gitignore.parse(lines), path, is_dir)


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
])
def test_what_gitignore_documents(lines, path, is_dir, expected):
    assert ignored(lines, path, is_dir) is expected


_NAMES = ["a", "b", "ab", "a*", "[a]"]
_SEGMENTS = ["a", "b", "ab", "*", "**", "?", "a*", "*b", "[ab]", "[!a]", "[a-b]", "polytope.yml", "*.yml",
             "poly*", "\\a", "a?", "[a", "a\\", "\\*", "***", "[]a]", "[!]", "[[:alpha:]]", "[\\]]", "a**",
             "\\[a]"]


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
    return folders, ignore_files


def _git_keeps(top: str) -> set[str]:
    """The untracked files git does not ignore, as `git status` finds them (no one's global ignores)."""
    env = dict(os.environ, HOME=top, XDG_CONFIG_HOME=top, GIT_CONFIG_NOSYSTEM="1")
    out = subprocess.run(["git", "-C", top, "-c", "core.fsmonitor=false", "ls-files", "--others", "--exclude-standard",
                          "-z"], capture_output=True, text=True, env=env, check=True).stdout
    return {f"{top}/{path}" for path in out.split("\0") if path.rsplit("/", 1)[-1] == "polytope.yml"}


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
@settings(max_examples=300, deadline=None)
@given(trees())
def test_the_walk_keeps_what_git_keeps(tree):
    folders, ignore_files = tree
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
        assert set(find_files(top)) == _git_keeps(top), ignore_files


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
    deep = "/".join(["a"] * 200)
    assert ignored(["**/a/**/a/**/a/**/a/**/b"], deep) is None
    assert ignored(["**/a/**/a/**/a/**/a/**/a"], deep) is True
