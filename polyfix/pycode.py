"""The Python a service runs, read and rewritten with libcst (for PF011).

Imported only when a rule has Python source to read: libcst is heavy, and a YAML-only run must not
load it. `scan` finds the calls that open a connection to another service on the start-up path;
`wrap_calls` is the codemod that wraps exactly those calls in a retry (`RetryConnects`, around it,
adds a retry library's import).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import libcst as cst
from libcst.metadata import MetadataWrapper, ParentNodeProvider, PositionProvider

from .connects import CONNECTS, HTTP_CALLS, LAZY, NOT_CONNECTING

RETRY_LIBRARIES = ("tenacity", "backoff")

# The wrappers the fix writes: `...` stands for the wrapped call. The stdlib helpers are inserted
# once per file; tenacity's and backoff's only need their import. A lambda returning a coroutine
# is retried by neither library, so awaited calls always get the async stdlib helper.
HELPER, ASYNC_HELPER = "_polyfix_retry", "_polyfix_retry_async"
WRAPPERS = {
    "stdlib": f"{HELPER}(lambda: ...)",
    "async": f"{ASYNC_HELPER}(lambda: ...)",
    "tenacity": "tenacity.Retrying(stop=tenacity.stop_after_delay(60), wait=tenacity.wait_exponential(max=5), "
                "reraise=True)(lambda: ...)",
    "backoff": "backoff.on_exception(backoff.expo, Exception, max_time=60)(lambda: ...)()",
}
HELPER_SOURCE = {
    "stdlib": f'''

def {HELPER}(connect, deadline=60.0):
    """Call connect() until it succeeds, waiting longer each time, for up to `deadline` seconds
    (added by polyfix: the services of a stack start together, so a dependency may not be up yet)."""
    import time

    delay, give_up = 0.5, time.monotonic() + deadline
    while True:
        try:
            return connect()
        except Exception:
            if time.monotonic() + delay > give_up:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
''',
    "async": f'''

async def {ASYNC_HELPER}(connect, deadline=60.0):
    """Await connect() until it succeeds, waiting longer each time, for up to `deadline` seconds
    (added by polyfix: the services of a stack start together, so a dependency may not be up yet)."""
    import asyncio
    import time

    delay, give_up = 0.5, time.monotonic() + deadline
    while True:
        try:
            return await connect()
        except Exception:
            if time.monotonic() + delay > give_up:
                raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
''',
    "tenacity": "import tenacity\n",
    "backoff": "import backoff\n",
}


@dataclass
class Finding:
    line: int  # 1-based
    col: int  # 1-based
    end_line: int
    end_col: int
    what: str  # the call as written, e.g. `psycopg.connect()`
    service: str  # the host it names, else what kind of server
    awaited: bool
    fixable: bool  # False where a lambda cannot carry the call (`async with`, an un-awaited coroutine)


@dataclass
class Scan:
    findings: list[Finding] = field(default_factory=list)  # within this file alone (see startup_findings)
    imports: list[tuple[int, str]] = field(default_factory=list)  # (relative level, dotted name)
    libraries: set[str] = field(default_factory=set)  # top-level packages imported
    scopes: dict = field(default_factory=dict)  # None (module level) or function name → _Scope
    startup: set[str] = field(default_factory=set)  # names of the startup/lifespan handlers
    imported: dict[str, tuple[int, str, str]] = field(default_factory=dict)  # local name → (level, module, name)


def scan(text: str, hosts: set[str]) -> Scan | None:
    """The start-up connections without retry in one file, and what it imports; None when the
    text does not parse. `hosts` are the in-job hostnames an HTTP call may name. Remembered: a
    --write checks again after each pass, and most files have not changed (do not mutate it)."""
    return _scan(text, frozenset(hosts))


@functools.lru_cache(maxsize=512)
def _scan(text: str, hosts: frozenset) -> Scan | None:
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError:
        return None
    wrapper = MetadataWrapper(module)
    calls = _Calls(module, hosts)
    wrapper.visit(calls)
    out = Scan(imports=calls.imports, libraries=calls.libraries, scopes=calls.scopes, startup=calls.startup,
               imported=calls.imported)
    out.findings = startup_findings({"": out}, lambda _file, _level, _module: None)[""]
    return out


def startup_findings(scans: dict[str, Scan], resolve) -> dict[str, list[Finding]]:
    """File → the connections without retry that run at start-up: module-level code (every file
    is imported at start-up), the startup/lifespan handlers, and the functions these call by name,
    in the same file or imported with `from module import name`. `resolve(file, level, module)`
    is the file a module of an import in `file` loads, or None."""

    def target(file: str, name: str):
        if name in scans[file].scopes:
            return file, name
        level, module, original = scans[file].imported.get(name, (0, "", ""))
        found = resolve(file, level, module) if original else None
        return (found, original) if found in scans and original in scans[found].scopes else None

    queue = [(f, None, False) for f in scans]
    queue += [(*t, False) for f in scans for n in sorted(scans[f].startup) if (t := target(f, n))]
    reached: set[tuple] = set()
    out: dict[str, list[Finding]] = {f: [] for f in scans}
    while queue:
        file, name, retried = queue.pop(0)
        if (file, name, retried) in reached:
            continue
        reached.add((file, name, retried))
        scope = scans[file].scopes[name]
        retried = retried or scope.retried
        for callee, here in scope.callees:
            t = target(file, callee)
            if t is not None:
                queue.append((*t, retried or here))
        if not retried:
            out[file] += [s.finding for s in scope.sites if not s.retried and s.finding not in out[file]]
    for findings in out.values():
        findings.sort(key=lambda f: (f.line, f.col))
    return out


@dataclass
class _Site:
    finding: Finding
    retried: bool


@dataclass
class _Scope:
    """A module-level function, or the module itself (name None)."""

    name: str | None
    retried: bool = False  # a retry decorator
    sites: list[_Site] = field(default_factory=list)
    callees: list[tuple[str, bool]] = field(default_factory=list)  # (function name, called inside a retry)
    clients: dict[str, tuple] = field(default_factory=dict)  # name → (LAZY entry, has a retry option, host)


class _Calls(cst.CSTVisitor):
    """Every call in the module-level code and in module-level functions, with what it connects to."""

    METADATA_DEPENDENCIES = (PositionProvider, ParentNodeProvider)

    def __init__(self, module: cst.Module, hosts: set[str]):
        super().__init__()
        self.module = module
        self.hosts = hosts
        self.scopes: dict[str | None, _Scope] = {None: _Scope(None)}
        self.startup: set[str] = set()  # startup/lifespan handlers
        self.stack: list = []  # enclosing defs, classes and lambdas
        self.imports: list[tuple[int, str]] = []
        self.libraries: set[str] = set()
        self.imported: dict[str, tuple[int, str, str]] = {}
        self.used: set[tuple] = set()  # (scope, client) pairs whose first connecting call was seen
        # Local name → the dotted name it was imported as. libcst's QualifiedNameProvider does this
        # through a full scope analysis, which costs seconds on a large file; shadowing an imported
        # name is rare enough in start-up code to ignore.
        self.aliases: dict[str, str] = {}

    # ---- where we are ----
    def _scope(self) -> _Scope | None:
        """The scope whose code runs when it is entered, or None (class bodies, nested defs, lambdas)."""
        if not self.stack:
            return self.scopes[None]
        if len(self.stack) == 1 and isinstance(self.stack[0], cst.FunctionDef):
            return self.scopes[self.stack[0].name.value]
        return None

    def visit_FunctionDef(self, node):
        if not self.stack:
            self.scopes[node.name.value] = _Scope(node.name.value, any(self._is_retry(d.decorator) for d in node.decorators))
            if any(_is_startup_decorator(d.decorator) for d in node.decorators):
                self.startup.add(node.name.value)
        self.stack.append(node)

    def leave_FunctionDef(self, node):
        self.stack.pop()

    def visit_ClassDef(self, node):
        self.stack.append(node)

    def leave_ClassDef(self, node):
        self.stack.pop()

    def visit_Lambda(self, node):
        self.stack.append(node)

    def leave_Lambda(self, node):
        self.stack.pop()

    # ---- imports ----
    def visit_Import(self, node):
        for alias in node.names:
            name = self.module.code_for_node(alias.name)
            self.imports.append((0, name))
            self.libraries.add(name.split(".")[0])
            if alias.asname and isinstance(alias.asname.name, cst.Name):
                self.aliases[alias.asname.name.value] = name
            else:
                self.aliases[name.split(".")[0]] = name.split(".")[0]

    def visit_ImportFrom(self, node):
        level = len(node.relative)
        base = self.module.code_for_node(node.module) if node.module else ""
        if level == 0 and base:
            self.libraries.add(base.split(".")[0])
        self.imports.append((level, base))
        if not isinstance(node.names, cst.ImportStar):
            for alias in node.names:  # `from pkg import mod` may name a submodule
                name = self.module.code_for_node(alias.name)
                self.imports.append((level, f"{base}.{name}" if base else name))
                local = alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) else name
                if level == 0 and base:
                    self.aliases[local] = f"{base}.{name}"
                if not self.stack:
                    self.imported[local] = (level, base, name)

    # ---- calls ----
    def visit_Assign(self, node):
        scope = self._scope()
        if scope is None or not isinstance(node.value, cst.Call):
            return
        lazy = self._lazy(node.value)
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                if lazy is not None:
                    scope.clients[target.target.value] = (lazy, _has_retry_option(node.value),
                                                          _host_in(node.value, self.hosts, any=True))
                else:
                    scope.clients.pop(target.target.value, None)

    def visit_Call(self, node):
        for arg in node.args:  # FastAPI(lifespan=f), Starlette(on_startup=[f]), add_event_handler("startup", f)
            if arg.keyword and arg.keyword.value == "lifespan" and isinstance(arg.value, cst.Name):
                self.startup.add(arg.value.value)
            if arg.keyword and arg.keyword.value == "on_startup" and isinstance(arg.value, (cst.List, cst.Tuple)):
                self.startup.update(e.value.value for e in arg.value.elements if isinstance(e.value, cst.Name))
        if (isinstance(node.func, cst.Attribute) and node.func.attr.value == "add_event_handler" and len(node.args) == 2
                and _string(node.args[0].value) == "startup" and isinstance(node.args[1].value, cst.Name)):
            self.startup.add(node.args[1].value.value)
        scope = self._scope()
        if scope is None:
            return
        retried = self._retried_here(node)
        if isinstance(node.func, cst.Name):
            scope.callees.append((node.func.value, retried))
        service = self._connects(node, scope)
        if service is None:
            return
        pos = self.get_metadata(PositionProvider, node)
        parent = self.get_metadata(ParentNodeProvider, node)
        awaited = isinstance(parent, cst.Await)
        in_async_with = isinstance(parent, cst.WithItem) and self._async_with(parent)
        coroutine = _is_async_library(self._names(node))
        fixable = not in_async_with and (awaited or not coroutine)
        what = f"`{self.module.code_for_node(node.func)}()`"
        finding = Finding(pos.start.line, pos.start.column + 1, pos.end.line, pos.end.column + 1, what, service,
                          awaited, fixable)
        scope.sites.append(_Site(finding, retried or _has_retry_option(node)))

    def _names(self, node) -> set[str]:
        """The qualified name a call's function has through the imports (`pg.connect` after
        `import psycopg2 as pg` is `psycopg2.connect`), as a set: empty when it is no dotted name."""
        return self._qualified(node.func)

    def _qualified(self, node) -> set[str]:
        parts = []
        while isinstance(node, cst.Attribute):
            parts.append(node.attr.value)
            node = node.value
        if not isinstance(node, cst.Name):
            return set()
        head = self.aliases.get(node.value, node.value)
        return {".".join([head, *reversed(parts)])}

    def _lazy(self, call: cst.Call):
        return next((LAZY[n] for n in self._names(call) if n in LAZY), None)

    def _connects(self, node: cst.Call, scope: _Scope) -> str | None:
        """What the call connects to, when it opens a connection; else None."""
        names = self._names(node)
        direct = next((CONNECTS[n] for n in names if n in CONNECTS), None)
        if direct is not None:
            return _host_in(node, self.hosts, any=True) or direct
        if names & HTTP_CALLS:
            host = _host_in(node, self.hosts, any=False)
            return host
        if not isinstance(node.func, cst.Attribute):
            return None
        method, receiver = node.func.attr.value, node.func.value
        if method == "create_all":  # metadata.create_all(engine) connects through the engine
            for arg in node.args:
                client = self._client(arg.value, scope)
                if client and client[0][0] == "a database" and not client[1]:
                    return client[2] or client[0][0]
            return None
        client = self._client(receiver, scope)
        if client is None or client[1]:  # unknown, or built with a retry option
            return None
        (service, methods) = client[0]
        if (methods is None and method not in NOT_CONNECTING) or (methods and method in methods):
            used = (scope.name, self.module.code_for_node(receiver))
            if used in self.used:  # once the first call got through, the server is up
                return None
            self.used.add(used)
            return client[2] or service
        return None

    def _client(self, node, scope: _Scope):
        """The (LAZY entry, has a retry option, host) of a client expression: a name bound to one, or the
        constructor call itself (`create_engine(url).connect()`)."""
        if isinstance(node, cst.Call):
            lazy = self._lazy(node)
            return (lazy, _has_retry_option(node), _host_in(node, self.hosts, any=True)) if lazy else None
        if isinstance(node, cst.Name):
            return scope.clients.get(node.value) or self.scopes[None].clients.get(node.value)
        return None

    def _retried_here(self, node) -> bool:
        """Inside a loop that catches the failure and sleeps, within its own scope."""
        child, in_try = node, False
        parent = self.get_metadata(ParentNodeProvider, node, None)
        while parent is not None and not isinstance(parent, (cst.FunctionDef, cst.Module, cst.ClassDef)):
            if isinstance(parent, cst.Try) and child is parent.body:
                in_try = True
            if isinstance(parent, (cst.While, cst.For)) and in_try and _sleeps(parent):
                return True
            child, parent = parent, self.get_metadata(ParentNodeProvider, parent, None)
        return False

    def _async_with(self, item) -> bool:
        with_node = self.get_metadata(ParentNodeProvider, item, None)
        return isinstance(with_node, cst.With) and with_node.asynchronous is not None

    def _is_retry(self, decorator) -> bool:
        """tenacity's `@retry(...)`, backoff's `@backoff.on_exception(...)`, or any decorator named retry."""
        target = decorator.func if isinstance(decorator, cst.Call) else decorator
        names = self._qualified(target)
        text = self.module.code_for_node(target)
        return (any(n.split(".")[0] in RETRY_LIBRARIES for n in names)
                or text.split(".")[-1] in ("retry", "retry_async"))


def _is_startup_decorator(decorator) -> bool:
    """`@app.on_event("startup")`."""
    return (isinstance(decorator, cst.Call) and isinstance(decorator.func, cst.Attribute)
            and decorator.func.attr.value == "on_event" and bool(decorator.args)
            and _string(decorator.args[0].value) == "startup")


def _sleeps(loop) -> bool:
    found = []

    class _Sleep(cst.CSTVisitor):
        def visit_Call(self, node):
            func = node.func
            name = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", None)
            if name == "sleep":
                found.append(node)

    loop.visit(_Sleep())
    return bool(found)


def _has_retry_option(call: cst.Call) -> bool:
    """A keyword argument that configures retries (`retry=`, `retries=`, `max_retries=`, …)."""
    return any(a.keyword is not None and "retr" in a.keyword.value for a in call.args)


def _is_async_library(names: set[str]) -> bool:
    return any(n.startswith(("asyncpg.", "aio_pika.", "temporalio.", "aiokafka.", "acouchbase.", "redis.asyncio."))
               or n in ("psycopg.AsyncConnection.connect", "sqlalchemy.ext.asyncio.create_async_engine")
               for n in names)


def _string(node) -> str | None:
    if isinstance(node, cst.SimpleString):
        return node.evaluated_value if isinstance(node.evaluated_value, str) else None
    if isinstance(node, cst.FormattedString):  # the literal start of an f-string
        head = node.parts[0] if node.parts else None
        return head.value if isinstance(head, cst.FormattedStringText) else None
    return None


def _host_in(call: cst.Call, hosts: set[str], any: bool) -> str | None:
    """The in-job hostname a call's string arguments name (a URL, `host:port`, or a `host=`);
    with `any`, also a hostname that is not a known service."""
    # One level into nested calls too: `connect(os.environ.get("DATABASE_URL", "postgresql://…"))`.
    args = [*call.args, *(a for arg in call.args if isinstance(arg.value, cst.Call) for a in arg.value.args)]
    for arg in args:
        text = _string(arg.value)
        if not text:
            continue
        if "://" in text:
            host = urlsplit(text.split(" ")[0]).hostname
        elif arg.keyword is not None and arg.keyword.value in ("host", "hostname"):
            host = text
        else:
            m = re.fullmatch(r"([A-Za-z][\w.-]*):\d+", text) or re.search(r"\bhost=([\w.-]+)", text)
            host = m.group(1) if m else None
        if host and (host in hosts or (any and host not in ("localhost", "127.0.0.1"))):
            return f"`{host}`"
    return None


# ---- the codemod: wrap_calls, and RetryConnects (pyretry.py) around it where a library's import
# may be missing (libcst.codemod costs a run half a second, and only that case needs it) ----

def wrapped(call: cst.BaseExpression, style: str) -> cst.BaseExpression:
    """The wrapper expression of a style with the call in its lambda."""

    class _Fill(cst.CSTTransformer):
        def leave_Ellipsis(self, original, updated):
            return call

    return cst.parse_expression(WRAPPERS[style]).visit(_Fill())


def _imports_module(tree: cst.Module, name: str) -> bool:
    """`import name` among the module's top-level statements."""
    for stmt in tree.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Import) and any(
                        a.asname is None and isinstance(a.name, cst.Name) and a.name.value == name for a in small.names):
                    return True
    return False


def _after_imports(tree: cst.Module) -> int:
    """The index of the first top-level statement that is neither the docstring nor an import:
    every module-level call comes at or after it, so a helper inserted there is defined in time."""
    for i, stmt in enumerate(tree.body):
        if isinstance(stmt, cst.SimpleStatementLine) and all(
                isinstance(s, (cst.Import, cst.ImportFrom)) or (i == 0 and isinstance(s, cst.Expr)
                                                                and isinstance(s.value, (cst.SimpleString, cst.ConcatenatedString)))
                for s in stmt.body):
            continue
        return i
    return len(tree.body)


RETRY_LIBRARIES = ("tenacity", "backoff")  # wrapper styles whose library's import the codemod may add
IMPORTED_STYLES = set(RETRY_LIBRARIES)  # the styles that take libcst's codemod runner (its import pass)


@dataclass
class Rewrite:
    text: str
    inserted: list[str]
    wrapped: int


def wrap_calls(tree: cst.Module, targets: dict[tuple[int, int, int, int], str]
               ) -> tuple[cst.Module, set[str], list[str], int]:
    """Wrap the calls that start at the given positions in a retry, adding the stdlib helper a style
    needs once per file; nothing else changes. `targets` maps the span of a call (line, column, end
    line, end column; columns 1-based) to its wrapper style (a WRAPPERS key): the whole span, because
    `f(x).g()` and `f(x)` start at the same place. The new tree, the styles used, the helpers
    inserted (HELPER_SOURCE values) and the number of calls wrapped."""
    wrapper = MetadataWrapper(tree)
    positions = wrapper.resolve(PositionProvider)
    styles: set[str] = set()
    count = 0

    class _Wrap(cst.CSTTransformer):
        def leave_Call(self, original, updated):
            nonlocal count
            pos = positions.get(original)
            style = pos and targets.get((pos.start.line, pos.start.column + 1, pos.end.line, pos.end.column + 1))
            if not style:
                return updated
            styles.add(style)
            count += 1
            return wrapped(updated, style)

    tree = wrapper.module.visit(_Wrap())
    defined = {s.name.value for s in tree.body if isinstance(s, cst.FunctionDef)}
    helpers, inserted = [], []
    for style in ("stdlib", "async"):
        name = HELPER if style == "stdlib" else ASYNC_HELPER
        if style in styles and name not in defined:
            # In the file's line endings: the docstring's line break is inside a string token.
            source = HELPER_SOURCE[style].replace("\n", tree.default_newline)
            helper = cst.parse_module(source).body[0]  # two blank lines above it, as PEP 8 has it
            helpers.append(helper.with_changes(leading_lines=[cst.EmptyLine(), cst.EmptyLine()]))
            inserted.append(HELPER_SOURCE[style])
    if helpers:
        at = _after_imports(tree)
        tree = tree.with_changes(body=[*tree.body[:at], *helpers, *tree.body[at:]])
    return tree, styles, inserted, count


def rewrite(text: str, targets: dict[tuple[int, int, int, int], str]) -> Rewrite | None:
    """Run the codemod on one file; None when it fails or wraps fewer calls than asked, or when the
    file already gives a helper's name another meaning (a variable, a class, a def of its own,
    a parameter): the helper would clash with it."""
    for style, name in (("stdlib", HELPER), ("async", ASYNC_HELPER)):
        if (style in targets.values() and re.search(rf"\b{name}\b", text)
                and HELPER_SOURCE[style] not in text.replace("\r\n", "\n")):
            return None
    if IMPORTED_STYLES.isdisjoint(targets.values()):
        try:  # no import to add: the codemod is wrap_calls alone
            tree, _styles, inserted, count = wrap_calls(cst.parse_module(text), targets)
            code = tree.code
        except Exception:  # as libcst's codemod runner: any failure is "not rewritten"
            return None
        return Rewrite(code, inserted, count) if count == len(targets) else None
    from libcst.codemod import CodemodContext, TransformSuccess, transform_module

    from .pyretry import RetryConnects

    command = RetryConnects(CodemodContext(), targets)
    result = transform_module(command, text)
    if not isinstance(result, TransformSuccess) or command.wrapped != len(targets):
        return None
    before, after = cst.parse_module(text), cst.parse_module(result.code)
    added = [HELPER_SOURCE[lib] for lib in RETRY_LIBRARIES
             if _imports_module(after, lib) and not _imports_module(before, lib)]
    return Rewrite(result.code, command.inserted + added, command.wrapped)


def __getattr__(name: str):
    if name == "RetryConnects":
        from .pyretry import RetryConnects

        return RetryConnects
    raise AttributeError(name)
