"""PF004 script-not-executable: a script that `cmd:` runs cannot be executed.

What it does
    Follows every `cmd:` given to a command-running module (polytope/python, python!simple, node,
    container), through `pt.param` defaults and every caller's args, to the script it runs: the first
    word of a string cmd, the first item of a list cmd, or the first string literal of a `#pt-js`
    cmd (`"./bin/add-dependencies " + params.packages`). The script is resolved through the module's
    `code:` source (`{type: host|repo, path}`) relative to its polytope file, or the project root for
    `./`-paths that only exist there. It reports a script that is not executable, that does not
    exist, or that has no `#!` line (or one ending in CRLF); and every file directly in the same
    `bin/` folder that starts with `#!` but is not executable. A `cmd` that works around missing bits
    with `chmod` at start-up (`bash -c "chmod +x ./bin/* && ./bin/run"`) is reported too, and so is
    each file its `chmod` covers (the glob resolved in the `code:` folder) that is not executable.

Why
    `cmd: ./bin/run` executes the file directly: without its execute bit the container fails with
    "permission denied" and the service never starts. Git keeps the bit, so a script created on a
    file system that drops it, or by a tool that forgets `chmod +x`, breaks every checkout.

Example
    modules:
      - id: api
        module: polytope/python
        args:
          code: {type: host, path: ./api}
          cmd: ./bin/run          # api/bin/run is 100644

Fix (safe)
    `chmod +x`: the owner's execute bit, and the group's and others' where they can read the file
    (0644 becomes 0755). Nothing outside the project root is touched, nor anything reached through a
    symlink that leaves it, nor a file with more than one hard link or another user's (only its
    owner, or root, may chmod it). A missing script or a missing `#!` line is only reported: which
    interpreter a script wants is not certain from outside it.

    The chmod workaround: the files it covers get `chmod +x` (safe), and `cmd` becomes the plain
    command it wraps (`./bin/run`, **unsafe**: the workaround also fixes modes lost later, for
    example on a file system that drops them), offered only where that script exists in the
    project and every file the chmod covers can be made executable (not through a hard link, nor
    another user's file; not a `chmod -R` on a folder): without them the plain command would fail
    to start. A glob in a folder name, or a `chmod` that does not add `x`, is left alone.
"""
from __future__ import annotations

# json: imported where used, since most runs never need it (start-up time counts in a hook)

import fnmatch
import posixpath
import re

from .. import builtins
from ..document import get, is_map, is_scalar, is_seq, items, text_value
from ..edits import Edit
from ..pattern import on_first_use
from ..problem import UNSAFE, Fix, Problem, at_node
from ..project import UNRESOLVED, Env, Project, within
from ..refs import is_code, is_js, param_ref

CODE = "PF004"
NAME = "script-not-executable"
_GLOB_OR_VARIABLE = frozenset("{}$*?[]")  # a word holding one is no one script's path
_CHMOD_WORD = on_first_use(r"\bchmod\b", needs=("chmod",))
def _first_quoted(text: str) -> str:
    """The first non-empty string in quotes (`"…"`, `'…'` or backquotes, any of them closing it) in a
    code string; "" when there is none: what the pattern `["'`]([^"'`]+)["'`]` finds first."""
    at = next((i for i, c in enumerate(text) if c in _QUOTES), -1)
    while at != -1:
        end = at + 1
        while end < len(text) and text[end] not in _QUOTES:
            end += 1
        if end == len(text):
            return ""
        if end > at + 1:
            return text[at + 1:end]
        at = end  # two quotes together: the second may open one
    return ""


_QUOTES = "\"'`"


def check(project: Project, files) -> list:
    if project.probe is None:
        return []
    targets = set(files)
    problems: dict[tuple, Problem] = {}
    referenced: set[str] = set()
    for call in project.calls:
        if not builtins.is_command_runner(call.ref):
            continue
        base = code_base(project, call)
        for node, file in cmd_values(project, get(call.args, "cmd"), call.owner, 0):
            if file not in targets:
                continue
            if _CHMOD_WORD.search(text_value(node) or ""):
                for p in _workaround(project, base, node, file):
                    problems.setdefault((p.file, p.line, p.col, p.message), p)
            word = _script_word(node)
            if word is None or base is None:
                continue
            script = posixpath.normpath(posixpath.join(base, word))
            referenced.add(script)
            for p in _problems_for(project, script, word, node, file):
                problems.setdefault((p.file, p.line, p.col, p.message), p)  # several cmds, one script
    # A script that a cmd runs is reported at that cmd, not again as a bin/ sibling.
    return [p for p in problems.values() if p.file in project.docs or p.file not in referenced]


_CHMOD = on_first_use(r"""\bchmod\s+(?:-[A-Za-z]+\s+)*(\S+)\s+([^&;|"']+)""")
_WRAPPED = on_first_use(r"""\s*(?:bash|sh)\s+-c\s+(["'])\s*chmod\s[^&;|"']+&&\s*([^"'&;|$`<>]+?)\s*\1\s*""")


def _workaround(project: Project, base: str | None, node, file: str):
    """A cmd that runs `chmod` at start-up: the scripts it covers that are not executable (each with
    its chmod), and the workaround itself (with the plain command as an unsafe fix)."""
    import json

    doc = project.docs[file]
    covered = _covered(project, base, text_value(node)) if base else None
    fix, hint = None, "edit the cmd by hand"
    plain = _WRAPPED.fullmatch(text_value(node))
    word = _script_word_of(plain.group(2)) if plain else None
    if word and covered is not None:
        script = project.probe(posixpath.normpath(posixpath.join(base, word)))
        path = next((p for n, p, _k, _parent in doc.scalars() if n is node), None)
        # Without the chmod the plain command fails: offered only where every covered script that
        # is not executable gets its execute bit from polyfix.
        blocked = next((why for s in covered for info in [project.probe(s)]
                        if info.exists and not info.is_dir and not info.mode & 0o100
                        for fixed, why in [_chmod(s, info)] if fixed is None), None)
        folder = next((s for s in covered if project.probe(s).is_dir), None)
        if folder and not blocked:  # `chmod -R +x bin`: polyfix does not make a folder's files executable
            blocked = f"it covers the folder {posixpath.relpath(folder, project.root)}, whose files polyfix leaves as they are"
        if blocked:
            hint = f"edit the cmd by hand once its scripts are executable (one cannot be made so here: {blocked})"
        elif script.exists and not script.is_dir and script.inside_root and path is not None:
            new = plain.group(2)
            text = new if re.fullmatch(r"[A-Za-z0-9_./][A-Za-z0-9_./ =-]*", new) else json.dumps(new)
            fix = Fix(f"Run `{new}` without the chmod", UNSAFE,
                      edits=[Edit(node.start_mark.index, node.end_mark.index, text)], sets=[(path, new)])
            hint = ""
    msg = ("`cmd` runs `chmod` to make scripts executable at every start: give them their execute "
           "bit in git instead (polyfix --write does, for the scripts it finds) and drop the workaround")
    yield at_node(CODE, NAME, msg, file, doc, node, fix, hint)
    for script in covered or []:
        info = project.probe(script)
        if info.exists and not info.is_dir and not info.mode & 0o100:
            rel = posixpath.relpath(script, project.root)
            msg = f"`cmd` runs `chmod` on {rel} at every start: it is not executable in the project"
            yield at_node(CODE, NAME, msg, file, doc, node, *_chmod(script, info))


def _covered(project: Project, base: str, cmd: str) -> list[str] | None:
    """The files a `chmod` in a cmd makes executable, its operands (a glob only in the last part)
    resolved in the folder the cmd runs in; None when they cannot be read."""
    out = []
    for mode, operands in _CHMOD.findall(cmd):
        if not re.fullmatch(r"[ugoa]*\+[rwxX]*x[rwxX]*|[0-7]*[1357][0-7]{2}", mode):
            continue
        for word in operands.split():
            folder, name = posixpath.split(posixpath.normpath(posixpath.join(base, word)))
            if word.startswith(("/", "~")) or "$" in word or re.search(r"[*?\[]", folder):
                return None
            if not within(folder, project.root):
                continue
            if re.search(r"[*?\[]", name):
                listing = project.probe(folder).children
                out += [f for f in listing if fnmatch.fnmatchcase(posixpath.basename(f), name)
                        and (name.startswith(".") or not posixpath.basename(f).startswith("."))]
            else:
                out.append(posixpath.join(folder, name))
    return out


def _script_word_of(command: str) -> str | None:
    parts = command.split()
    word = parts[0] if parts else None
    return word if word and "/" in word and not word.startswith(("/", "~")) else None


def _problems_for(project: Project, script: str, word: str, node, file: str):
    doc = project.docs[file]
    rel = posixpath.relpath(script, project.root)
    info = project.probe(script)
    if not info.exists:
        yield at_node(CODE, NAME, f"`cmd` runs `{word}`, but {rel} does not exist", file, doc, node)
        return
    if info.is_dir:
        return
    if not info.regular:
        yield at_node(CODE, NAME, f"`cmd` runs `{word}`, but {rel} is not a regular file", file, doc, node,
                      hint="point `cmd` at a script file")
        return
    if not info.mode & 0o100:
        msg = f"`cmd` runs `{word}`, but {rel} is not executable"
        yield at_node(CODE, NAME, msg, file, doc, node, *_chmod(script, info))
    if not info.first_line.startswith((b"#!", b"\x7fELF")):
        yield at_node(CODE, NAME, f"`cmd` runs `{word}`, but {rel} has no `#!` line", file, doc, node,
                      hint="add the interpreter line the script needs")
    elif info.first_line.endswith(b"\r"):
        yield at_node(CODE, NAME, f"`cmd` runs `{word}`, but the `#!` line of {rel} ends in CRLF",
                      file, doc, node, hint="convert the script to LF line endings")
    if posixpath.basename(posixpath.dirname(script)) == "bin":
        for sibling in info.siblings:
            s = project.probe(sibling)
            if s.exists and not s.is_dir and s.regular and s.first_line.startswith(b"#!") and not s.mode & 0o100:
                msg = "starts with `#!` but is not executable, in a bin/ folder whose scripts `cmd` runs"
                yield Problem(CODE, NAME, msg, sibling, 1, 1, 1, 1, *_chmod(sibling, s))


def _chmod(path: str, info):
    """(fix, hint) making a script executable, where the project may touch it."""
    if not info.inside_root:
        return None, "it is outside the project (or behind a link that leaves it): not touched"
    if info.hard_links > 1:  # the other names may lie outside the project, where no path check can see them
        return None, f"it has {info.hard_links} hard links, and chmod would change every one of them: not touched"
    if not info.owned:
        return None, "it belongs to another user, and only its owner may chmod it: not touched"
    mode = info.mode | 0o100 | (0o010 if info.mode & 0o040 else 0) | (0o001 if info.mode & 0o004 else 0)
    return Fix(f"chmod +x (mode {info.mode & 0o7777:04o} to {mode & 0o7777:04o})", mode=mode, target=path), ""


def cmd_values(project: Project, node, owner, depth: int):
    """(literal node, its file) for every value a `cmd` can take: the node itself, or where a param
    reference leads: the param's default and what every caller passes."""
    if node is None or depth > 10:
        return
    name = param_ref(text_value(node)) if is_scalar(node) else None
    if name is None:
        yield node, owner.file
        return
    default = owner.param_default(name)
    if default is not None:
        yield from cmd_values(project, default, owner, depth + 1)
    for call in project.callers(owner):
        yield from cmd_values(project, get(call.args, name), call.owner, depth + 1)


def _script_word(node) -> str | None:
    """The relative path a cmd executes, when it names one."""
    if is_seq(node):
        first = items(node)[0] if items(node) else None
        text = text_value(first)
        word = text.strip() if text else None
    else:
        text = text_value(node)
        if not text or (is_code(text) and not is_js(text)):
            return None
        if is_js(text):
            text = _first_quoted(text)
        parts = text.split()
        word = parts[0].strip("\"'") if parts else None
    if not word or "/" not in word or word.startswith(("/", "~")) or not _GLOB_OR_VARIABLE.isdisjoint(word):
        return None
    return word


def code_base(project: Project, call) -> str | None:
    """The folder the command runs in, on the host: the `code:` source, or for polytope/container
    the host or repo mount on its `workdir`."""
    env = Env(call.owner)
    source = env.lookup(call.args, "code")
    if not is_map(source):
        workdir = env.lookup(call.args, "workdir")
        mounts = env.lookup(call.args, "mounts")
        if not isinstance(workdir, str) or not is_seq(mounts):
            return None
        source = next((get(m, "source") for m in items(mounts)
                       if text_value(get(m, "path")) and text_value(get(m, "path")).rstrip("/") == workdir.rstrip("/")), None)
        if not is_map(source):
            return None
    kind, path = env.lookup(source, "type"), env.lookup(source, "path")
    if path is UNRESOLVED or not isinstance(path, str) or kind not in ("host", "repo"):
        return None
    if kind == "repo" and get(source, "repo") is not None:
        return None  # another repository's content
    folder = posixpath.dirname(call.owner.file)
    if path.startswith("/"):
        return posixpath.normpath(posixpath.join(project.root, path.lstrip("/"))) if kind == "repo" else None
    candidates = [posixpath.join(folder, path)]
    if kind == "host" and path.startswith("./"):
        candidates.insert(0, posixpath.join(project.root, path))  # `./dir` is relative to where pt runs
    for c in candidates:
        c = posixpath.normpath(c)
        if within(c, project.root) and project.probe(c).is_dir:
            return c
    return None
