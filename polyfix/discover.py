"""Command-line paths → the polytope files to check, the project root, and what a file system says
about scripts. All the file I/O of a check lives here and in cli.py."""
from __future__ import annotations

import os
from pathlib import Path

from .project import ScriptInfo, include_targets, within

NAMES = ("polytope.yml", "polytope.yaml")
SKIP_DIRS = {".git", "node_modules"}


class Targets(list):
    """Files to check, remembering which were named on the command line."""

    def __init__(self):
        super().__init__()
        self.explicit: set[str] = set()


class InputError(Exception):
    """A path given on the command line that cannot be used."""


def posix(path: Path | str) -> str:
    return Path(os.path.abspath(path)).as_posix()


def git_root(folder: Path) -> Path | None:
    """The work tree holding a folder: the nearest folder above with a `.git` (a folder, or a file
    in worktrees and submodules). Looked up on disk: asking git costs a process per run."""
    folder = Path(os.path.abspath(folder))
    for candidate in (folder, *folder.parents):
        if os.path.exists(os.path.join(candidate, ".git")):
            return candidate
    return None


def project_root(path: Path) -> str:
    """The git work-tree root when inside one, else the folder given (or the file's folder)."""
    folder = path if path.is_dir() else path.parent
    top = git_root(folder)
    return posix(top if top else folder)


def find_files(folder: Path) -> list[str]:
    """polytope.yml / polytope.yaml below a folder, leaving out what git ignores when in a work tree."""
    if git_root(folder):
        import subprocess  # here: a check of named files never starts a process

        try:
            out = subprocess.run(["git", "-C", str(folder), "ls-files", "-z", "--cached", "--others",
                                  "--exclude-standard"], capture_output=True, timeout=120)
        except (OSError, subprocess.SubprocessError):  # no git here: walk the folder instead
            out = None
        if out is not None and out.returncode == 0:
            names = [n for n in out.stdout.decode("utf-8", "surrogateescape").split("\0") if n]
            found = [posix(folder / n) for n in names
                     if Path(n).name in NAMES and not SKIP_DIRS & set(Path(n).parts)]
            return sorted(f for f in set(found) if os.path.isfile(f))
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        found.extend(posix(Path(dirpath) / n) for n in filenames if n in NAMES)
    return sorted(found)


def is_script(path: Path) -> bool:
    """A file named on the command line that is a script, not a polytope file: in a bin/ folder, or
    starting with `#!`."""
    if path.suffix in (".yml", ".yaml"):
        return False
    if path.parent.name == "bin":
        return True
    try:
        with open(path, "rb") as f:
            return f.read(2) == b"#!"
    except OSError:
        return False


def read_text(path: str) -> str:
    """A file's text, decoded as UTF-8 with line endings kept."""
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise InputError(e.strerror or str(e)) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"not UTF-8 text (byte {e.start})") from None


def context_files(target: str, root: str) -> list[str]:
    """polytope files in the folders above a target, up to the root: they may define what it uses."""
    out = []
    folder = Path(target).parent
    while within(posix(folder), root):
        out.extend(posix(folder / n) for n in NAMES if (folder / n).is_file())
        if posix(folder) == root:
            break
        folder = folder.parent
    return out


def include_closure(paths: list[str], texts: dict[str, str], root: str, parse) -> list[str]:
    """Files reached from `paths` through `include:` (inside the root), read into `texts`."""
    reached, queue = [], list(paths)
    while queue:
        path = queue.pop()
        if path not in texts:
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


def make_probe(root: str):
    """What PF004 asks of the file system: existence, mode, the first line, the bin/ siblings."""
    real_root = os.path.realpath(root)
    seen: dict[str, ScriptInfo] = {}

    def probe(path: str) -> ScriptInfo:
        """Memoised: a check asks about the same scripts many times; a copy, so callers may adjust."""
        if path not in seen:
            seen[path] = _probe(path)
        info = seen[path]
        return ScriptInfo(info.exists, info.is_dir, info.mode, info.inside_root, info.first_line, info.siblings)

    def _probe(path: str) -> ScriptInfo:
        try:
            st = os.stat(path)
        except OSError:
            return ScriptInfo(exists=False)
        inside = within(Path(os.path.realpath(path)).as_posix(), Path(real_root).as_posix())
        if os.path.isdir(path):
            return ScriptInfo(exists=True, is_dir=True, mode=st.st_mode & 0o7777, inside_root=inside)
        first = b""
        try:
            with open(path, "rb") as f:
                first = f.readline(512).rstrip(b"\n")
        except OSError:
            pass
        siblings = []
        parent = os.path.dirname(path)
        if os.path.basename(parent) == "bin":
            siblings = sorted(f"{parent}/{n}" for n in os.listdir(parent)
                              if f"{parent}/{n}" != path and os.path.isfile(f"{parent}/{n}"))
        return ScriptInfo(exists=True, mode=st.st_mode & 0o7777, inside_root=inside, first_line=first,
                          siblings=siblings)

    return probe


def make_reader(root: str):
    """The text of a file inside the project (PF011 reads the Python a service runs), or None when
    it is missing, not UTF-8, or lies outside the project (itself or through a link)."""
    real_root = Path(os.path.realpath(root)).as_posix()
    seen: dict[str, str | None] = {}

    def read(path: str) -> str | None:
        if path not in seen:
            real = Path(os.path.realpath(path)).as_posix()
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
    if not git_root(Path(folder)):
        return
    try:
        mode = subprocess.run(["git", "-C", folder, "config", "--get", "core.fileMode"],
                              capture_output=True, text=True)
        if mode.stdout.strip().lower() == "false":
            subprocess.run(["git", "-C", folder, "update-index", "--chmod=" + ("+x" if executable else "-x"),
                            "--", os.path.basename(path)], capture_output=True)  # untracked: nothing to record
    except OSError:
        pass  # no git to ask: the chmod stands on its own
