"""PF011 service-not-fault-tolerant: a Python service connects to another service at start-up without retry.

What it does
    Reads the Python code that `polytope/python` modules, and containers whose `cmd` runs Python,
    execute. The entry is found from the `cmd` (through `pt.param` defaults and callers' args) and
    the module's `code:` source: a Python script the cmd runs, or a `python path.py`,
    `python -m pkg.mod`, `uvicorn pkg.mod:app`, `gunicorn pkg.mod:app` or `fastapi run path` line
    in the cmd or in a shell script it runs (also after `uv run`, `poetry run` and the like); then
    every module that entry imports from the code folder, transitively (virtualenvs,
    `node_modules`, `site-packages` and vendored folders are skipped, and nothing outside the
    project is read). In that code it reports each call that opens a connection to another service
    on the start-up path: module-level code, `if __name__ == "__main__":`, FastAPI or Starlette
    `startup` handlers and `lifespan` functions, and the module-level functions these call by
    name, in the same file or imported from another file of the service
    (`from .db import init_db`). The calls are psycopg/psycopg2/asyncpg `connect` and pools,
    SQLAlchemy engines' `connect()`/`begin()`/`metadata.create_all(engine)`, the first call on a
    redis client (in each function), couchbase `Cluster`, kafka-python producers, consumers and
    admin clients, aiokafka's `start()`, pika and aio-pika connections, temporalio
    `Client.connect`, and `requests`/`httpx` calls to a URL whose host is a service of the project. A call counts as retried inside a loop that catches the
    failure (`try`) and sleeps, inside a function with a retry decorator (tenacity `@retry`,
    `backoff.on_exception`, or any decorator named `retry`) or called from such a place, or with a
    retry option (`retry=`, `retries=`, `max_retries=` …). Code in request handlers, nested
    functions, classes and lambdas is not start-up code and is left alone. confluent-kafka
    producers and consumers are not reported: librdkafka keeps retrying the brokers by itself.

Why
    Polytope starts the services of a stack together, in no order (PF003 removes `after` on
    services for that reason), so a service that connects once at start-up and dies when its
    database or broker is not up yet fails at random, and restarts hide it only sometimes.
    Services must connect with retries.

Example
    # api/main.py, run by `cmd: uvicorn main:app` of module `api`
    import psycopg
    conn = psycopg.connect("postgresql://postgres@postgres:5432/app")

Fix (unsafe)
    A libcst codemod wraps exactly the flagged call: `conn = _polyfix_retry(lambda:
    psycopg.connect(...))`, with one small standard-library helper (a loop with exponential
    backoff, giving up after 60 seconds) inserted after the file's imports once; an awaited call
    gets an async helper. Where the service's code already imports tenacity (or backoff) for sync
    calls, the call is wrapped with `tenacity.Retrying(...)` (or `backoff.on_exception(...)`)
    instead and `import tenacity` is added when missing. Every other byte of the file stays as it
    was, and the engine checks on the syntax trees that only those calls and insertions changed.
    It is unsafe because the service then waits up to a minute for its dependency instead of
    failing at once. Calls used by `async with`, or coroutines that are not awaited, are only
    reported.
"""
from __future__ import annotations

# difflib: imported where used, since most runs never need it (start-up time counts in a hook)

import itertools
import posixpath
import re
import shlex

from .. import builtins
from ..connects import LIBRARIES
from ..document import get, is_seq, items, text_value
from ..edits import Edit
from ..pattern import on_first_use
from ..problem import UNSAFE, Fix, Problem, PythonChange
from ..project import Project, within
from .pf004_script_not_executable import cmd_values, code_base

CODE = "PF011"
NAME = "service-not-fault-tolerant"
_SKIP_DIRS = {".venv", "venv", "env", ".env", "node_modules", "site-packages", "vendor", "vendored",
              "third_party", "__pypackages__", ".git", ".tox", "build", "dist"}
def _is_python(prog: str) -> bool:
    """`python`, `python3`, `python3.12`: what the pattern `python(\\d+(\\.\\d+)?)?$` matches at the
    start of a word, without compiling it (a run's every command line asks)."""
    rest = prog[6:].removesuffix("\n") if prog.startswith("python") else None
    if rest is None:
        return False
    major, dot, minor = rest.partition(".")
    return not rest or major.isdecimal() and (not dot or minor.isdecimal())


def _assignment(word: str) -> bool:
    """`NAME=value` before a command: what the pattern `^\\w+=` matches."""
    at = word.find("=")
    return at > 0 and all(c.isalnum() or c == "_" for c in word[:at])
_SERVERS = {"uvicorn", "gunicorn", "hypercorn"}
_RUNNERS = {"uv", "poetry", "pipenv", "pdm", "hatch"}  # `uv run uvicorn …` runs what follows
_MAX_FILES = 500


def check(project: Project, files) -> list:
    if project.read is None or project.probe is None:
        return []
    targets = set(files)
    scans: dict[tuple, object] = {}  # (file, in-job hostnames) → pycode.Scan (or None: does not parse)
    found: dict[str, dict] = {}  # file → (line, col) → (finding, who runs it)
    libraries: dict[str, set] = {}  # file → the packages its services' code imports
    for call in project.calls:
        if call.owner.file not in targets or not builtins.is_command_runner(call.ref):
            continue
        base = code_base(project, call)
        if base is None:
            continue
        entries = []
        for node, _file in cmd_values(project, get(call.args, "cmd"), call.owner, 0):
            entries += _entries(project, base, _cmd_text(node), 0)
        if not entries or not _may_connect(project, base, entries):
            continue
        from .. import pycode  # only now: it loads libcst, which a run without Python code must not pay for

        hosts = frozenset(project.service_ids(call.owner.file)) | frozenset(builtins.DEFAULT_PORTS)
        closure = {f: scans[f, hosts] for f in _closure(project, base, dict.fromkeys(entries), scans, hosts)
                   if scans.get((f, hosts))}
        used = set().union(*(c.libraries for c in closure.values()))
        who = f"{call.owner.kind} `{call.owner.name}` in {posixpath.relpath(call.owner.file, project.root)}"

        def resolve(file, level, module):
            return next(iter(_import_files(project, base, file, level, module)), None)

        for f, findings in pycode.startup_findings(closure, resolve).items():
            libraries.setdefault(f, set()).update(used)
            for finding in findings:
                found.setdefault(f, {}).setdefault((finding.line, finding.col), (finding, who))
    problems = []
    for path in sorted(found):
        problems += _problems(project, path, sorted(found[path].values(), key=lambda fw: (fw[0].line, fw[0].col)),
                              libraries[path])
    return problems


def _problems(project: Project, path: str, found: list, libraries: set[str]) -> list[Problem]:
    from .. import pycode

    sync_style = next((lib for lib in pycode.RETRY_LIBRARIES if lib in libraries), "stdlib")
    targets = {(f.line, f.col, f.end_line, f.end_col): ("async" if f.awaited else sync_style)
               for f, _who in found if f.fixable}
    text = project.read(path) or ""
    fix, why = _fix(text, targets, path) if targets else (None, "")
    out = []
    for f, who in found:
        msg = f"{f.what} connects to {f.service} at start-up without retry (run by {who})"
        hint = why if f.fixable else "wrap it in a retry by hand: a lambda cannot carry an `async with` or an un-awaited coroutine"
        out.append(Problem(CODE, NAME, msg, path, f.line, f.col, f.end_line, f.end_col,
                           fix if f.fixable else None, "" if fix and f.fixable else hint))
    return out


def _fix(text: str, targets: dict, path: str) -> tuple[Fix | None, str]:
    """One fix for all the flagged calls of a file (its problems share it): the codemod's output as
    line edits on the text; or None and why not."""
    from .. import pycode

    if text.startswith("\ufeff"):  # libcst drops a byte order mark: leave such a file alone
        return None, "the file starts with a byte order mark, which the codemod would drop: wrap the call by hand"
    done = pycode.rewrite(text, targets)
    if done is None:
        return None, "the codemod could not wrap it: wrap the call by hand"
    styles = frozenset(pycode.WRAPPERS[s] for s in targets.values())
    change = PythonChange(styles, done.wrapped, tuple(done.inserted))
    n = done.wrapped
    return Fix(f"wrap {n} start-up connection{'s' * (n != 1)} in a retry", UNSAFE,
               edits=_line_edits(text, done.text), target=path, python=change), ""


def _line_edits(before: str, after: str) -> list[Edit]:
    """The edits that turn `before` into `after`, whole lines at a time."""
    import difflib

    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    starts = [0]
    for line in old:
        starts.append(starts[-1] + len(line))
    edits = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag != "equal":
            edits.append(Edit(starts[i1], starts[i2], "".join(new[j1:j2])))
    return edits


# ---- which code a command runs ----

def _cmd_text(node) -> str:
    if is_seq(node):
        return shlex.join(text_value(i) or "" for i in items(node))
    return text_value(node) or ""


def _entries(project: Project, base: str, text: str, depth: int) -> list[str]:
    """The Python files a command (or a shell script's text) starts, found under `base`."""
    if depth > 3 or text.lstrip().startswith("#pt-"):  # code strings are not commands
        return []
    out = []
    for words in _commands(text):
        while words and (_assignment(words[0]) or words[0] in ("exec", "env", "nohup")):
            words = words[1:]
        if len(words) > 1 and words[0] in _RUNNERS and words[1] == "run":
            words = list(itertools.dropwhile(lambda w: w.startswith("-"), words[2:]))
        if not words:
            continue
        prog = posixpath.basename(words[0])
        if prog in ("sh", "bash") and "-c" in words[1:-1]:
            out += _entries(project, base, words[words.index("-c") + 1], depth + 1)
        elif _is_python(prog):
            out += _python_args(project, base, words[1:])
        elif prog in _SERVERS:
            out += _server_app(project, base, words[1:])
        elif prog == "fastapi" and len(words) > 1 and words[1] in ("run", "dev"):
            out += _fastapi(project, base, words[2:])
        elif "/" in words[0] or words[0].endswith(".py"):
            out += _script(project, base, words[0], depth)
    return out


def _commands(text: str) -> list[list[str]]:
    """The simple commands of a shell text, as words: one per line and per `;`, `&&`, `||`, `|`
    or `&` outside quotes."""
    out = []
    for line in text.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|<>")
        lexer.whitespace_split = True
        try:
            tokens = list(lexer)
        except ValueError:  # an unclosed quote
            continue
        words: list[str] = []
        for token in tokens + [";"]:
            if token and set(token) <= set(";&|"):
                out.append(words)
                words = []
            else:
                words.append(token)
    return out


def _python_args(project, base, args) -> list[str]:
    i = 0
    while i < len(args) and args[i].startswith("-") and args[i] != "-m":
        i += 2 if args[i] in ("-X", "-W") else 1
    if i >= len(args):
        return []
    if args[i] == "-m" and i + 1 < len(args):
        mod = args[i + 1]
        if mod in _SERVERS:
            return _server_app(project, base, args[i + 2:])
        if mod == "fastapi" and i + 2 < len(args) and args[i + 2] in ("run", "dev"):
            return _fastapi(project, base, args[i + 3:])
        return _module_files(project, [base], mod, main=True)[:1]
    return _existing(project, posixpath.join(base, args[i]))


def _server_app(project, base, args) -> list[str]:
    app = next((a for a in args if re.fullmatch(r"[A-Za-z_][\w.]*:[\w.()]+", a)), None)
    return _module_files(project, [base], app.split(":")[0])[:1] if app else []


def _fastapi(project, base, args) -> list[str]:
    paths = [a for a in args if not a.startswith("-")][:1] or ["main.py", "app.py"]
    for p in paths:
        full = posixpath.join(base, p)
        for cand in (full, posixpath.join(full, "main.py"), posixpath.join(full, "app.py")):
            if cand.endswith(".py") and _existing(project, cand):
                return [posixpath.normpath(cand)]
    return []


def _script(project, base, word, depth) -> list[str]:
    path = posixpath.normpath(posixpath.join(base, word))
    text = _read(project, path)
    if text is None:
        return []
    first = text.split("\n", 1)[0]
    if path.endswith(".py") or (first.startswith("#!") and "python" in first):
        return [path]
    return _entries(project, base, text, depth + 1)


def _existing(project, path) -> list[str]:
    path = posixpath.normpath(path)
    return [path] if path.endswith(".py") and _read(project, path) is not None else []


def _read(project: Project, path: str) -> str | None:
    """A file's text, if it is inside the project and in no skipped folder."""
    rel = posixpath.relpath(path, project.root)
    if not within(path, project.root) or _SKIP_DIRS & set(rel.split("/")[:-1]):
        return None
    return project.read(path)


def _module_files(project, roots: list[str], dotted: str, main: bool = False) -> list[str]:
    """The files a dotted module name loads, searched in `roots`: its packages' `__init__.py`
    files and the module itself (`__main__.py` too, for `python -m pkg`)."""
    if not re.fullmatch(r"[\w.]+", dotted or ""):
        return []
    parts = dotted.split(".")
    for root in roots:
        found = []
        for i in range(1, len(parts)):
            found += _existing(project, posixpath.join(root, *parts[:i], "__init__.py"))
        module = posixpath.join(root, *parts)
        own = _existing(project, module + ".py") or (
            (_existing(project, posixpath.join(module, "__main__.py")) if main else [])
            + _existing(project, posixpath.join(module, "__init__.py")))
        if own:
            return own + found  # the module first: it is the entry
    return []


def _import_files(project, base: str, path: str, level: int, name: str) -> list[str]:
    """The project files an import in `path` loads, the module itself first: relative to the
    file's package, else from the code folder or the file's own folder (where `python path.py`
    looks)."""
    folder = posixpath.dirname(path)
    if level:
        for _ in range(level - 1):
            folder = posixpath.dirname(folder)
        return _module_files(project, [folder], name) if name else []
    return _module_files(project, [base, folder], name)


_LIBRARY = on_first_use(r"\b(?:" + "|".join(sorted(LIBRARIES)) + r")\b")


def _may_connect(project, base: str, entries: list[str]) -> bool:
    """Whether the code the entries load could open a connection PF011 looks for: a finding is a
    call of a library its own file imports, so code that never names one needs no libcst (whose
    import and parse cost a one-file run about a second). Imports are followed with the standard
    library's parser; what it cannot read is left to libcst."""
    import ast

    seen, queue = dict.fromkeys(entries), list(entries)
    while queue:
        path = queue.pop()
        text = _read(project, path)
        if text is None:
            continue
        if _LIBRARY.search(text):
            return True
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return True
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imports = [(0, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base_name = node.module or ""
                imports = [(node.level, base_name)] + [(node.level, f"{base_name}.{a.name}" if base_name else a.name)
                                                        for a in node.names if a.name != "*"]
            else:
                continue
            for level, name in imports:
                for t in _import_files(project, base, path, level, name):
                    if t not in seen:
                        if len(seen) >= 10 * _MAX_FILES:
                            return True
                        seen[t] = None
                        queue.append(t)
    return False


def _closure(project, base: str, files: dict, scans: dict, hosts: frozenset) -> list[str]:
    """The entry files and every project module they import, transitively."""
    from .. import pycode

    queue = list(files)
    while queue and len(files) < _MAX_FILES:
        path = queue.pop(0)
        if (path, hosts) not in scans:
            text = _read(project, path)
            scans[path, hosts] = pycode.scan(text, hosts) if text is not None else None
        found = scans[path, hosts]
        if found is None:
            continue
        for level, name in found.imports:
            for t in _import_files(project, base, path, level, name):
                if t not in files:
                    files[t] = None
                    queue.append(t)
    return list(files)
