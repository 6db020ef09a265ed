"""Command-line paths → the polytope files to check, the project root, and what a file system says
about scripts. All the file I/O of a check lives here and in cli.py."""
from __future__ import annotations

import errno
import os
import stat
from . import gitignore
from .project import ScriptInfo, include_targets, pure, within

NAMES = ("polytope.yml", "polytope.yaml")
SKIP_DIRS = {".git", "node_modules"}


class Targets(list):
    """Files to check, remembering which were named on the command line."""

    def __init__(self):
        super().__init__()
        self.explicit: set[str] = set()


class InputError(Exception):
    """A path given on the command line that cannot be used."""


# Paths are strings here, written with `/`: loading pathlib took 2 ms of every run's start-up.

def posix(path) -> str:
    """The absolute path, normalised, with `/` between its parts."""
    return _slashes(os.path.abspath(path))


def real_posix(path) -> str:
    """The path with its links resolved (os.path.realpath), with `/` between its parts."""
    return _slashes(os.path.realpath(path))


def _slashes(path: str) -> str:
    return path if os.sep == "/" else path.replace(os.sep, "/")


def as_given(path) -> str:
    """A path from the command line as it is shown and used: `./a/` is `a`, and nothing is `.`
    (`path`: a string, or a pathlib path as the language server has them)."""
    path = os.fspath(path)
    if os.sep != "/":  # the system's own rules for its separators and drives
        from pathlib import PurePath

        return str(PurePath(path))
    return pure(path)


def git_root(folder) -> str | None:
    """The work tree holding a folder: the nearest folder above with a `.git` (a folder, or a file
    in worktrees and submodules). Looked up on disk: asking git costs a process per run."""
    folder = os.path.abspath(folder)
    while True:
        if os.path.exists(os.path.join(folder, ".git")):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def project_root(path) -> str:
    """The git work-tree root when inside one, else the folder given (or the file's folder)."""
    folder = path if os.path.isdir(path) else os.path.dirname(as_given(path)) or "."
    top = git_root(folder)
    return posix(top if top else folder)


def find_files(folder: str) -> list[str]:
    """polytope.yml / polytope.yaml below a folder, leaving out what the work tree's `.gitignore`
    files (and `.git/info/exclude`) ignore; below a folder with a `.git` of its own (a submodule, a
    repository inside another), what that work tree's ignore. The patterns are read as text, never
    by running git: a scanned tree's git configuration (`core.fsmonitor`) could run commands."""
    top = git_root(folder)
    ignores = GitIgnores(top) if top else None
    start = os.path.abspath(folder)
    if ignores and ignores.inside_ignored(start):  # `polyfix build/sub`, or run from there: git sees nothing
        return []
    found = []
    folders = [(start, ignores)]  # a loop over a list, not os.walk: its calls nest a level per folder,
    while folders:                # and a tree 1,000 folders deep ended it in a RecursionError
        folder, ignores = folders.pop()
        try:
            with os.scandir(folder) as entries:
                entries = list(entries)
        except OSError:  # unreadable, or gone meanwhile: as os.walk, passed over
            continue
        if folder != start and any(entry.name == ".git" for entry in entries) and _own_repository(folder):
            ignores = GitIgnores(folder)  # a work tree of its own (a submodule): its rules, as git's there
        for entry in entries:
            path = os.path.join(folder, entry.name)
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:  # a link to a folder is not followed, as os.walk does not
                if (entry.name not in SKIP_DIRS and not entry.is_symlink()
                        and not (ignores and ignores.ignored(path, is_dir=True))):
                    folders.append((path, ignores))
            elif entry.name in NAMES and not (ignores and ignores.ignored(path, is_dir=False)):
                found.append(posix(path))
    return sorted(found)


def _own_repository(folder: str) -> bool:
    """Whether a folder inside a work tree is a repository's work tree of its own, as git tells: its
    `.git` is a folder with a HEAD, or a file naming one (`gitdir: …`). Any other `.git` (an empty
    file or folder, a FIFO, a broken link) leaves it a folder of the outer tree, under its rules."""
    dot_git = os.path.join(folder, ".git")
    if os.path.isdir(dot_git):
        return os.path.isfile(os.path.join(dot_git, "HEAD"))
    named = _git_file_path(dot_git) if os.path.isfile(dot_git) else None
    return (named is not None and named.startswith("gitdir: ")
            and os.path.isfile(os.path.join(folder, named[len("gitdir: "):], "HEAD")))


def in_skipped_folder(path: str, root: str) -> bool:
    """Whether a file lies in a folder the search never enters (`.git`, `node_modules`) below `root`."""
    return any(part in SKIP_DIRS for part in os.path.relpath(path, root).split(os.sep)[:-1])


def _git_file_path(path: str) -> str | None:
    """A file of git's that holds a path (`.git` as a file, `commondir`), read as git reads it: up to
    a NUL byte, without the line ends at its end (and nothing else trimmed), the bytes as the file
    system's names; None where it cannot be read."""
    try:
        data = read_bytes(path)
    except InputError:
        return None
    return os.fsdecode(data.split(b"\0", 1)[0].rstrip(b"\r\n"))


def git_ignored(path: str, known: dict) -> bool:
    """Whether the work tree holding a file ignores it, or a folder above it (as the folder search
    would leave it out); False outside a work tree. `known`: work tree → its GitIgnores, kept
    between calls (each reads a tree's ignore files once)."""
    folder = os.path.dirname(os.path.abspath(path))
    top = git_root(folder)
    if top is None:
        return False
    ignores = known.get(top) or known.setdefault(top, GitIgnores(top))
    return ignores.inside_ignored(folder) or ignores.ignored(os.path.abspath(path), is_dir=False)


class GitIgnores:
    """git's ignore rules for one work tree: `.git/info/exclude`, then each folder's `.gitignore`
    from the top down; the last pattern that matches decides (as in git). Files git tracks although
    a pattern ignores them are left out too: knowing them would mean reading git's index."""

    def __init__(self, top):
        self.top = os.path.abspath(top)
        self._rules: dict[str, list] = {}
        self._exclude: str | None = None

    def exclude_file(self) -> str:
        """`info/exclude` of the repository's own folder: `.git/info/exclude`, or, where `.git` is a
        file (`gitdir: <folder>`: a linked worktree, a submodule), that folder's, or the folder its
        `commondir` names (a linked worktree shares the main one's)."""
        if self._exclude is None:
            dot_git = os.path.join(self.top, ".git")
            git_dir = dot_git
            if os.path.isfile(dot_git):
                named = _git_file_path(dot_git)
                if named is not None and named.startswith("gitdir: "):
                    git_dir = os.path.join(self.top, named[len("gitdir: "):])
                    common = os.path.join(git_dir, "commondir")
                    if os.path.isfile(common):
                        git_dir = os.path.join(git_dir, _git_file_path(common) or "")
            self._exclude = os.path.join(git_dir, "info", "exclude")
        return self._exclude

    def _rules_in(self, file: str) -> gitignore.Rules:
        if file not in self._rules:
            lines = []
            if os.path.isfile(file) and not os.path.islink(file):  # git does not follow a linked one
                try:
                    lines = gitignore.lines_of(read_bytes(file))
                except InputError:
                    pass
            self._rules[file] = gitignore.parse(lines)
        return self._rules[file]

    def inside_ignored(self, folder: str) -> bool:
        """Whether a folder below the top, or one between them, is ignored: the walk never asks."""
        rel = os.path.relpath(folder, self.top).replace(os.sep, "/")
        if rel == "." or rel.startswith("../"):
            return False
        parts = rel.split("/")
        return any(self.ignored(os.path.join(self.top, *parts[:i]), is_dir=True) for i in range(1, len(parts) + 1))

    def ignored(self, path: str, is_dir: bool) -> bool:
        """`path`: absolute, inside the work tree, as os.walk gives it."""
        rel = os.path.relpath(path, self.top).replace(os.sep, "/")
        parts = rel.split("/")
        decision = self._rules_in(self.exclude_file()).decide(rel, is_dir)
        folder = self.top
        for i in range(len(parts)):  # the top's .gitignore, then each folder's down to the path's own
            if i:
                folder = os.path.join(folder, parts[i - 1])
            here = self._rules_in(os.path.join(folder, ".gitignore")).decide("/".join(parts[i:]), is_dir)
            if here is not None:
                decision = here
        return bool(decision)


def is_script(path) -> bool:
    """A file named on the command line that is a script, not a polytope file: in a bin/ folder, or
    starting with `#!`."""
    folder, name = os.path.split(as_given(path))
    dot = name.rfind(".")
    if 0 < dot < len(name) - 1 and name[dot:] in (".yml", ".yaml"):  # its suffix, as pathlib finds it
        return False
    if os.path.basename(folder) == "bin":
        return True
    try:
        return _first_bytes(path, 2) == b"#!"
    except (OSError, InputError):
        return False


MAX_BYTES = 10 * 1024 * 1024  # a polytope file is a few kB; anything this large is not one


def _open_regular(path: str) -> int:
    """A descriptor on a regular file; InputError for a FIFO, device, socket or folder. Opened
    without blocking, so a FIFO is found out instead of waited on."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as e:
        raise InputError(os_error_text(e)) from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise InputError(f"is not a regular file ({_file_kind(st.st_mode)}): not read")
    return fd


def shown(path) -> str:
    """A path as an error names it: as given, and `""` for an empty one (which names no file)."""
    return os.fspath(path) or '""'


def os_error_text(e: OSError) -> str:
    """What an error says about a path, in the words of polyfix's other errors: "no such file or
    folder" where the path leads nowhere (a missing part, a file taken for a folder); the system's
    own words in lower case otherwise ("permission denied", "too many levels of symbolic links")."""
    if e.errno in (errno.ENOENT, errno.ENOTDIR):
        return "no such file or folder"
    return (e.strerror or str(e)).lower()


def _file_kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a file"


def _first_bytes(path: str, n: int) -> bytes:
    fd = _open_regular(path)
    try:
        return os.read(fd, n)
    finally:
        os.close(fd)


def identity(st: os.stat_result) -> tuple:
    """What tells whether a file changed since it was read (the bytes are compared too)."""
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def size_of(path: str) -> int:
    """A file's size in bytes; 0 when it cannot be asked."""
    try:
        return os.stat(path).st_size
    except (OSError, ValueError):
        return 0


def read_text(path: str, identities: dict | None = None) -> str:
    """A file's text, decoded as UTF-8 with line endings kept. Only regular files up to MAX_BYTES
    are read. `identities` (when given) records the file's identity() at the time of reading."""
    data = read_bytes(path, identities)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"not UTF-8 text (byte {e.start})") from None


def read_bytes(path: str, identities: dict | None = None) -> bytes:
    """A regular file's bytes, up to MAX_BYTES (read_text's reading)."""
    fd = _open_regular(path)
    try:
        st = os.fstat(fd)
        if st.st_size > MAX_BYTES:
            raise InputError(f"is larger than {MAX_BYTES // 2**20} MB ({st.st_size:,} bytes): not read")
        chunks, total = [], 0
        while total <= MAX_BYTES:  # the size may have grown since the fstat
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > MAX_BYTES:
            raise InputError(f"is larger than {MAX_BYTES // 2**20} MB: not read")
        data = b"".join(chunks)
    except OSError as e:
        raise InputError(e.strerror or str(e)) from None
    finally:
        os.close(fd)
    if identities is not None:
        identities[path] = identity(st)
    return data


def context_files(target: str, root: str, seen: dict[str, list[str]] | None = None) -> list[str]:
    """polytope files in the folders above a target, up to the root: they may define what it uses.
    `seen` remembers each folder's files across the targets of a run (they share their folders)."""
    seen = {} if seen is None else seen
    out = []
    folder = posix(os.path.dirname(as_given(target)) or ".")
    while within(folder, root):
        if folder not in seen:
            seen[folder] = [f for f in (folder.rstrip("/") + "/" + n for n in NAMES) if os.path.isfile(f)]
        out.extend(seen[folder])
        parent = posix(os.path.dirname(folder))
        if folder == root or parent == folder:
            break
        folder = parent
    return out


def include_closure(paths: list[str], texts: dict[str, str], root: str, parse) -> list[str]:
    """Files reached from `paths` through `include:` (inside the root), read into `texts`."""
    reached, queue = [], list(paths)
    while queue:
        path = queue.pop()
        if path not in texts or not may_include(texts[path]):
            continue
        try:
            doc = parse(texts[path])
        except Exception:  # a file that does not parse is reported where it is checked
            continue
        for t in include_targets(doc, path):
            for cand in (t, f"{t}/polytope.yml", f"{t}/polytope.yaml"):
                if os.path.isfile(cand) and within(cand, root):
                    if cand not in texts:
                        try:
                            texts[cand] = read_text(cand)
                        except InputError:
                            break
                        queue.append(cand)
                        reached.append(cand)
                    break
    return reached


def may_include(text: str) -> bool:
    """Whether a file can hold an `include:` at all, without parsing it: the key is spelled out in
    it, unless escaped in a double-quoted key (then the file holds a backslash)."""
    return "include" in text or "\\" in text


def make_probe(root: str):
    """What PF004 asks of the file system: existence, mode, the first line, the bin/ siblings."""
    real_root = real_posix(root)
    seen: dict[str, ScriptInfo] = {}
    real_folders: dict[str, str] = {}

    def real_path(path: str) -> str:
        """os.path.realpath, with each folder resolved once: the scripts of a project share a few
        folders, and resolving one looks at every folder above it."""
        folder, name = os.path.split(path)
        if os.sep != "/" or name in ("", ".", "..") or os.path.islink(path):
            return real_posix(path)
        if folder not in real_folders:
            real_folders[folder] = os.path.realpath(folder or os.curdir)
        return os.path.join(real_folders[folder], name)

    def probe(path: str) -> ScriptInfo:
        """Memoised: a check asks about the same scripts many times; a copy, so callers may adjust."""
        if path not in seen:
            seen[path] = _probe(path)
        info = seen[path]
        return ScriptInfo(*info._values())

    def _probe(path: str) -> ScriptInfo:
        try:
            st = os.stat(path)
        except OSError:
            return ScriptInfo(exists=False)
        inside = within(real_path(path), real_root)
        if os.path.isdir(path):
            children = sorted(f"{path}/{n}" for n in os.listdir(path) if os.path.isfile(f"{path}/{n}"))
            return ScriptInfo(exists=True, is_dir=True, mode=st.st_mode & 0o7777, inside_root=inside,
                              children=children)
        if not stat.S_ISREG(st.st_mode):  # a FIFO would block the `#!` probe: never opened
            return ScriptInfo(exists=True, mode=st.st_mode & 0o7777, inside_root=inside, regular=False)
        first = b""
        try:
            first = _first_bytes(path, 512).split(b"\n", 1)[0]
        except (OSError, InputError):
            pass
        siblings = []
        parent = os.path.dirname(path)
        if os.path.basename(parent) == "bin":
            siblings = sorted(f"{parent}/{n}" for n in os.listdir(parent)
                              if f"{parent}/{n}" != path and os.path.isfile(f"{parent}/{n}"))
        return ScriptInfo(exists=True, mode=st.st_mode & 0o7777, inside_root=inside, first_line=first,
                          siblings=siblings, hard_links=st.st_nlink, identity=identity(st),
                          owned=os.geteuid() in (0, st.st_uid))

    return probe


def make_reader(root: str):
    """The text of a file inside the project (PF011 reads the Python a service runs), or None when
    it is missing, not UTF-8, or lies outside the project (itself or through a link)."""
    real_root = real_posix(root)
    seen: dict[str, str | None] = {}

    def read(path: str) -> str | None:
        if path not in seen:
            real = real_posix(path)
            try:
                seen[path] = read_text(path) if within(real, real_root) and os.path.isfile(real) else None
            except InputError:
                seen[path] = None
        return seen[path]

    return read


def record_mode_in_index(path: str, executable: bool) -> None:
    """Where git keeps modes only in the index (core.fileMode=false, e.g. on some Windows or mounted
    file systems), a chmod alone changes nothing git sees: record it with `git update-index`."""
    import subprocess

    folder = os.path.dirname(path)
    if not git_root(folder):
        return
    # The tree's own configuration must run nothing: no file-system monitor, no hooks.
    git = ["git", "-C", folder, "-c", "core.fsmonitor=false", "-c", f"core.hooksPath={os.devnull}"]
    try:
        mode = subprocess.run([*git, "config", "--get", "core.fileMode"], capture_output=True, text=True)
        if mode.stdout.strip().lower() == "false":
            subprocess.run([*git, "update-index", "--chmod=" + ("+x" if executable else "-x"),
                            "--", os.path.basename(path)], capture_output=True)  # untracked: nothing to record
    except OSError:
        pass  # no git to ask: the chmod stands on its own
