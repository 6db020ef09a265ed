"""The Polytope model over a set of parsed documents (docs/polytope.md: file formats, run semantics).

Both file formats: `modules:` + `templates:` lists (older) and a `tools:` mapping with `include:`
(newer). Names resolve in the same file first, then in the files joined to it by `include:`.
Param references (`pt.param x`, `"#pt-param x"`, `pt.input x`) are followed through callers' args
and params' defaults. Whatever cannot be settled is UNKNOWN, and rules never guess.
"""
from __future__ import annotations

import posixpath
from .record import new, record
from collections.abc import Callable, Iterator

from . import builtins
from .builtins import JOB, SERVICE, UNKNOWN
from .document import Document, get, is_map, is_scalar, is_seq, items, text_value, value, entries
from .refs import has_reference, param_ref

UNRESOLVED = object()  # a param reference with no value anywhere
_MAX_DEPTH = 30


@record
class Definition:
    """A module, template or tool spec."""

    name: str
    kind: str  # "module" | "template" | "tool"
    file: str
    node: object
    path: tuple

    def param_default(self, name: str):
        """The value node of a declared param's or input's default, or None."""
        for spec in items(get(self.node, "params")):
            if text_value(get(spec, "id")) == name:
                return _default_of(spec)
        spec = get(get(self.node, "inputs"), name)
        return _default_of(spec) if spec is not None else None


def _default_of(spec):
    explicit = get(spec, "default")
    if explicit is not None:
        return explicit
    typ = items(get(spec, "type"))
    if len(typ) == 3 and text_value(typ[0]) == "default":
        return typ[2]
    return None


@record
class Env:
    """Where param references inside a definition get their values: the caller's args, else defaults."""

    definition: Definition | None = None
    args: object = None
    caller: "Env | None" = None

    def deref(self, node):
        """(node, env) holding the literal a node stands for, following param references;
        UNRESOLVED when a reference has no value."""
        env = self
        for _ in range(_MAX_DEPTH):
            name = param_ref(text_value(node)) if is_scalar(node) else None
            if name is None:
                return node, env
            if env.definition is None:
                return UNRESOLVED
            given = get(env.args, name)
            if given is not None and env.caller is not None:
                node, env = given, env.caller
                continue
            default = env.definition.param_default(name)
            if default is None:
                return UNRESOLVED
            node = default
        return UNRESOLVED

    def lookup(self, node, *keys):
        """The plain value under `keys` (None when absent, UNRESOLVED when a reference has no value)."""
        env = self
        for key in (None, *keys):
            if key is not None:
                node = get(node, key)
            if node is None:
                return None
            found = env.deref(node)
            if found is UNRESOLVED:
                return UNRESOLVED
            node, env = found
        if is_scalar(node):
            v = value(node)
            return UNRESOLVED if has_reference(v) else v
        return node


@record
class Verdict:
    kind: str  # SERVICE, JOB, UNKNOWN
    why: str


@record
class Call:
    """A place that runs a module or tool: a run step, or a module deriving from its base."""

    ref: str
    ref_node: object
    args: object
    owner: Definition
    node: object  # the step node (or the module spec for a base call)
    path: tuple


@record
class RunList:
    """The `run:` list of a template or tool, with the ids of its steps."""

    owner: Definition
    node: object
    steps: list


def _reach(includes: dict[str, list[str]], start: str) -> set[str]:
    """The files `start` reaches through `include:` links, itself included."""
    seen, todo = {start}, [start]
    while todo:
        for nxt in includes.get(todo.pop(), []):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


class Project:
    def __init__(self, docs: dict[str, Document], groups: dict[str, str], root: str,
                 probe: Callable[[str], "ScriptInfo"] | None = None, values: dict | None = None,
                 stateful: dict | None = None, read: Callable[[str], str | None] | None = None):
        """`docs` maps a file's absolute posix path to its parsed document; `groups` maps each file
        to the id of its include-connected group (names resolve within a group). `read` gives the
        text of a project file (None when it cannot be read), for rules that read source code."""
        self.docs = docs
        self.groups = groups
        self.root = root
        self.probe = probe
        self.read = read
        self.values = values or {}  # value name → value, from a values file
        self.stateful = stateful or {}  # module → its volume argument, from the configuration
        self._services_by_file: dict[str, dict[str, list]] = {}
        self._indexes: dict = {}
        self._scopes: dict[str, list[str]] = {}
        self._volumes: dict[str, set[str]] | None = None  # include group → its volume ids
        self.claimed_volume_ids: dict[str, set[str]] = {}  # include group → ids this check's fixes chose
        self.definitions: dict[str, list[Definition]] = {f: list(_definitions(f, d)) for f, d in docs.items()}
        self._by_group: dict[str, list[Definition]] = {}
        for f, defs in self.definitions.items():
            self._by_group.setdefault(groups.get(f, f), []).extend(defs)
        self._calls_by_file: dict[str, list[Call]] = {f: list(self._calls_in(f)) for f in docs}
        self.calls: list[Call] = [c for f in docs for c in self._calls_by_file[f]]
        self._members: dict[str, list[str]] = {}  # include group → its files, in the order of docs
        for f in docs:
            self._members.setdefault(groups.get(f, f), []).append(f)
        self._names: set[str] | None = None
        self._reach: dict[str, tuple] = {}  # include group → what _tops() found
        self._scope_by_tops: dict[tuple, list[str]] = {}
        self._callers: dict[int, list[Call]] | None = None
        self._value_loaders: dict[str, Call | None] = {}  # include group → its values loader
        self._services_named: dict[tuple, tuple | None] = {}  # (name, scope) → service_of's answer
        # The project as this run first read it. Facts a fix relies on (a host default, a port)
        # come from it, never from what another fix added in the same run.
        self._origin: Project | None = None  # None: this project (no cycle, so it goes when unused)
        self.suppressed: Callable[[str, int, str], bool] = lambda file, line, code: False
        self.after_on_service = "remove"  # how PF003 fixes a wait on a service (configuration)

    @property
    def origin(self) -> Project:
        return self._origin or self

    @origin.setter
    def origin(self, project: Project) -> None:
        self._origin = None if project is self else project

    # ---- include groups ----
    def group_files(self, file: str) -> list[str]:
        """The files joined to `file` by `include:` links (itself included)."""
        return self._members.get(self.groups.get(file, file), [file] if file in self.docs else [])

    def calls_in(self, file: str) -> list[Call]:
        """The calls the specs of one file make, in document order."""
        return self._calls_by_file.get(file, [])

    def names_knowable(self, file: str) -> bool:
        """Whether every definition a name in `file` could resolve to has been read: no file of its
        group includes a remote repository or a local file that was not read."""
        for f in self.group_files(file):
            root = self.docs[f].root
            for entry in items(get(root, "include")) if is_map(root) else []:
                target = text_value(entry) if is_scalar(entry) else text_value(get(entry, "path"))
                if target is None or has_reference(target) or target.startswith(("gh:", "http:", "https:", "git@")):
                    return False
            for t in include_targets(self.docs[f], f):
                if not any(c in self.docs for c in (t, t + "/polytope.yml", t + "/polytope.yaml")):
                    return False
        return True

    def value_loader(self, file: str) -> Call | None:
        """A step of the file's group that loads the project's values itself (`load-config`,
        `set-values-and-secrets`): such projects keep settings in values on purpose."""
        group = self.groups.get(file, file)
        if group not in self._value_loaders:  # asked for every value used: answered once per group
            self._value_loaders[group] = next(
                (c for f in self.group_files(file) for c in self.calls_in(f)
                 if _last_part(builtins.normalise(c.ref)) in VALUE_LOADERS), None)
        return self._value_loaders[group]

    # ---- services: what answers under a name ----
    def scope(self, file: str) -> list[str]:
        """The files a spec in `file` can rely on for facts: what every project containing the file
        (each top file that includes it, directly or not) reaches through `include:`. Two projects
        sharing one included file do not lend each other their services."""
        if file not in self._scopes:
            includes, tops_of = self._tops(file)
            tops = tops_of.get(file) or (file,)
            if tops not in self._scope_by_tops:  # files below the same tops share one scope
                common = set.intersection(*(_reach(includes, t) for t in tops))
                self._scope_by_tops[tops] = [f for f in self.group_files(file) if f in common]
            self._scopes[file] = self._scope_by_tops[tops]
        return self._scopes[file]

    def _tops(self, file: str) -> tuple[dict[str, list[str]], dict[str, tuple]]:
        """For the include group of `file`, once: each file's includes, and each file → the top files
        (included by none) that reach it, in group order."""
        g = self.groups.get(file, file)
        if g not in self._reach:
            group = self.group_files(file)
            includes = {f: [c for t in include_targets(self.docs[f], f)
                            for c in (t, t + "/polytope.yml", t + "/polytope.yaml") if c in self.docs] for f in group}
            included = {t for f in group for t in includes[f] if t != f}
            tops_of: dict[str, list[str]] = {}
            for top in (f for f in group if f not in included):
                for f in _reach(includes, top):
                    tops_of.setdefault(f, []).append(top)
            self._reach[g] = (includes, {f: tuple(t) for f, t in tops_of.items()})
        return self._reach[g]

    def service_of(self, name: str, file: str) -> tuple[str, object] | None:
        """(hostname, port) of the one service that `name` stands for, as seen from `file` (within
        its scope): a service id, or a module/tool whose call runs one (its `services:` id,
        `service-id` or `id` arg, else the built-in's own hostname), or a built-in run under that
        hostname. None when there is none or more than one answer. The port is None when it is not
        one known literal."""
        scope = self.scope(file)
        key = (name, tuple(scope))  # asked for every host a spec names: answered once per scope
        if key not in self._services_named:
            self._services_named[key] = self._service_named(name, scope)
        return self._services_named[key]

    def _service_named(self, name: str, scope: list[str]) -> tuple[str, object] | None:
        found = {(sid, _one_port(ports)) for f in scope for sid, ports in self._services_in(f).items() if sid == name}
        if not found:
            named = [d for f in scope for d in self.definitions.get(f, [])
                     if d.name == name and d.kind in ("tool", "module")]
            if len(named) > 1:
                return None
            if named:
                d = named[0]
                callers = self.callers(d)
                envs = [Env(d, c.args, Env(c.owner, None, None)) for c in callers] or [Env(d, None, None)]
                found = {self._service_of_definition(d, env, 0) for env in envs}
            else:
                for c in (c for f in scope for c in self.calls_in(f)):  # a built-in run in scope serving that name
                    if builtins.is_builtin(c.ref):
                        hit = self._service_of_call(c.ref, c.args, Env(c.owner, None, None), (), c.owner.file, 0)
                        if hit is not None and hit[0] == name:
                            found.add(hit)
        return found.pop() if len(found) == 1 and None not in found else None

    def _service_of_definition(self, d: Definition, env: Env, depth: int):
        if depth > _MAX_DEPTH:
            return None
        if d.kind == "module":
            base = get(d.node, "module")
            calls = [(text_value(base), get(d.node, "args"), ("module", "tool"))] if text_value(base) else []
        else:
            calls = [(ref, get(s, "args"), kinds) for s in items(get(d.node, "run"))
                     for ref, _n, kinds in [step_target(s)] if ref]
        found = {r for r in (self._service_of_call(ref, args, env, kinds, d.file, depth) for ref, args, kinds in calls)
                 if r is not None}
        return found.pop() if len(found) == 1 else None

    def _service_of_call(self, ref, args, env: Env, kinds, file, depth):
        if has_reference(ref):
            return None
        if not builtins.is_builtin(ref):
            d = self.lookup(ref, file, kinds)
            return self._service_of_definition(d, Env(d, args, env), depth + 1) if d else None
        svcs = env.lookup(args, "services")
        if svcs is UNRESOLVED:
            return None
        if is_seq(svcs):
            ids = [(env.lookup(s, "id"), s) for s in items(svcs)]
            if len(ids) != 1 or not isinstance(ids[0][0], str):
                return None
            ports = [env.lookup(p, "port") for p in items(get(ids[0][1], "ports"))]
            return ids[0][0], _one_port(ports)
        name = builtins.normalise(ref)
        host = builtins.SERVICE_HOSTS.get(name)
        if host is None:
            return None
        if name not in builtins.FIXED_HOSTS:
            for key in ("service-id", "id"):
                given = env.lookup(args, key)
                if given is UNRESOLVED:
                    return None
                if isinstance(given, str):
                    host = given
                    break
        return host, builtins.DEFAULT_PORT_OF.get(name)

    def service_ids(self, file: str) -> dict[str, list]:
        """Service id (an in-job hostname) → the values of its ports' `port`, over the files of
        `file`'s include group (another group is another project: its services do not answer here)."""
        out: dict[str, list] = {}
        for f in self.group_files(file):
            for sid, ports in self._services_in(f).items():
                out.setdefault(sid, []).extend(ports)
        return out

    def _services_in(self, file: str) -> dict[str, list]:
        """Service id → the values of its ports' `port`, in one file."""
        cache = self._services_by_file
        if file not in cache:
            cache[file] = {}
            for node in self._mappings([file]):
                for svc in items(get(node, "services")):
                    sid = text_value(get(svc, "id"))
                    if sid:
                        cache[file].setdefault(sid, []).extend(value(get(p, "port")) for p in items(get(svc, "ports")))
        return cache[file]

    # ---- names ----
    def lookup(self, ref: str, file: str, kinds: tuple[str, ...]) -> Definition | None:
        """The definition a local reference names: same file first, then the include group;
        None when it is unknown here or ambiguous."""
        for pool in (self._index(("file", file), lambda: self.definitions.get(file, [])),
                     self._index(("group", self.groups.get(file, file)),
                                 lambda: self._by_group.get(self.groups.get(file, file), []))):
            for kind in kinds:
                found = pool.get((kind, ref), [])
                if len(found) == 1:
                    return found[0]
                if len(found) > 1:
                    return None
        return None

    def _index(self, key, definitions) -> dict:
        """(kind, name) → definitions, built once per file or group: lookups are not scans."""
        if key not in self._indexes:
            index: dict = {}
            for d in definitions():
                index.setdefault((d.kind, d.name), []).append(d)
            self._indexes[key] = index
        return self._indexes[key]

    def definition_names(self) -> set[str]:
        if self._names is None:
            self._names = {d.name for defs in self.definitions.values() for d in defs}
        return self._names

    def volume_ids(self, file: str | None = None) -> set[str]:
        """The ids of every `{type: volume, id: …}` in the files of `file`'s include group (all files
        when None): unrelated projects checked in one run do not share ids."""
        if self._volumes is None:
            self._volumes = {}
            for f in self.docs:
                group = self._volumes.setdefault(self.groups.get(f, f), set())
                group.update(text_value(get(n, "id")) for n in self._mappings([f])
                             if text_value(get(n, "type")) == "volume" and text_value(get(n, "id")))
        if file is None:
            return set().union(*self._volumes.values())
        return self._volumes.get(self.groups.get(file, file), set())

    def _mappings(self, files=None) -> Iterator:
        """Every mapping node of the files (all when None), once: an alias leads back to a node already seen."""
        for doc in (self.docs[f] for f in files) if files is not None else self.docs.values():
            stack = [doc.root] if doc.root is not None else []
            seen: set[int] = set()
            while stack:
                node = stack.pop()
                if id(node) in seen:
                    continue
                seen.add(id(node))
                if is_map(node):
                    yield node
                    stack.extend(v for _k, v in entries(node))
                elif is_seq(node):
                    stack.extend(items(node))

    # ---- run lists and steps ----
    def run_lists(self, file: str) -> Iterator[RunList]:
        for d in self.definitions.get(file, []):
            run = get(d.node, "run")
            if d.kind in ("template", "tool") and is_seq(run):
                yield RunList(d, run, items(run))

    def _calls_in(self, file: str) -> Iterator[Call]:
        for d in self.definitions[file]:
            if d.kind == "module":
                base = get(d.node, "module")
                if text_value(base):
                    yield Call(text_value(base), base, get(d.node, "args"), d, d.node, d.path)
            for i, step in enumerate(items(get(d.node, "run"))):
                ref, ref_node, _kinds = step_target(step)
                if ref:
                    yield Call(ref, ref_node, get(step, "args"), d, step, d.path + ("run", i))

    def callers(self, d: Definition) -> list[Call]:
        """The calls that run a definition (indexed on first use)."""
        if self._callers is None:
            self._callers = {}
            for c in self.calls:
                if not builtins.is_builtin(c.ref):
                    target = self.lookup(c.ref, c.owner.file, _kinds_for(c))
                    if target is not None:
                        self._callers.setdefault(id(target), []).append(c)
        return self._callers.get(id(d), [])

    # ---- what a step does ----
    def classify_step(self, step, env: Env, depth: int = 0) -> Verdict:
        ref, _node, kinds = step_target(step)
        if ref is None:
            if is_map(step) and get(step, "code") is not None:
                return Verdict(JOB, "an inline code step")
            return Verdict(UNKNOWN, "a step polyfix cannot read")
        return self.classify_call(ref, get(step, "args"), env, kinds, depth)

    def classify_call(self, ref: str, args, env: Env, kinds, depth: int) -> Verdict:
        if depth > _MAX_DEPTH:
            return Verdict(UNKNOWN, f"{ref} runs itself (a cycle) or nests too deeply")
        if has_reference(ref):
            return Verdict(UNKNOWN, f"{ref} cannot be resolved")
        if builtins.is_builtin(ref):
            return _classify_builtin(ref, args, env)
        file = env.definition.file if env.definition else None
        d = self.lookup(ref, file, kinds) if file else None
        if d is None:
            return Verdict(UNKNOWN, f"{ref} is not defined in this project")
        inner = Env(d, args, env)
        if d.kind == "module":
            base = text_value(get(d.node, "module"))
            if not base:
                return Verdict(UNKNOWN, f"{ref} is defined by code")
            v = self.classify_call(base, get(d.node, "args"), inner, ("module", "tool"), depth + 1)
            return Verdict(v.kind, f"{ref} → {v.why}")
        steps = items(get(d.node, "run"))
        awaited = {text_value(n) for n in items(get(d.node, "await"))}
        if awaited:
            steps = [s for s in steps if step_id(s) in awaited]
        if not steps:
            return Verdict(UNKNOWN, f"{ref} runs nothing polyfix can read")
        verdicts = [self.classify_step(s, inner, depth + 1) for s in steps]
        for v in verdicts:
            if v.kind == SERVICE:
                return Verdict(SERVICE, f"{ref} → {v.why}")
        if all(v.kind == JOB for v in verdicts):
            return Verdict(JOB, f"{ref} runs only steps that finish")
        return Verdict(UNKNOWN, f"{ref} runs a step polyfix cannot classify")

    def env_of(self, d: Definition) -> Env:
        return Env(d, None, None)


VALUE_LOADERS = ("load-config", "set-values-and-secrets")


def _one_port(ports: list):
    """The port when a service declares exactly one, as a literal int; else None."""
    return ports[0] if len(ports) == 1 and isinstance(ports[0], int) and not isinstance(ports[0], bool) else None


def param_specs(d: Definition) -> dict[str, object]:
    """A definition's declared params and inputs: id → its spec node."""
    out = {}
    for spec in items(get(d.node, "params")):
        name = text_value(get(spec, "id"))
        if name:
            out[name] = spec
    for key, spec in entries(get(d.node, "inputs")):
        if text_value(key):
            out[text_value(key)] = spec
    return out


def is_required(spec) -> bool:
    """A param with no default that is not `[maybe, T]` must be given by every caller. A type that
    polyfix cannot read (a reference, code) counts as not required."""
    if get(spec, "default") is not None:
        return False
    typ = get(spec, "type")
    if is_seq(typ):
        head = text_value(items(typ)[0]) if items(typ) else None
        return head not in ("default", "maybe")
    return is_scalar(typ) and text_value(typ) is not None and not has_reference(text_value(typ))


def _classify_builtin(ref: str, args, env: Env) -> Verdict:
    kind = builtins.base_kind(ref)
    if kind != SERVICE:
        return Verdict(kind, f"{ref} ({'finishes' if kind == JOB else 'not known to polyfix'})")
    if env.lookup(args, "await") is False:
        return Verdict(JOB, f"{ref} with await: false (the step returns once the container starts)")
    if builtins.is_command_runner(ref):
        policy = env.lookup(args, "restart", "policy")
        if policy == "never":
            return Verdict(JOB, f"{ref} with restart: {{policy: never}} (runs once)")
        if policy is UNRESOLVED:
            return Verdict(UNKNOWN, f"{ref} with a restart policy polyfix cannot resolve")
    return Verdict(SERVICE, f"{ref}, a long-running container")


def _last_part(ref: str) -> str:
    """What follows the last `/`, `!` or `:` of a reference (`polytope/x!load-config` → `load-config`)."""
    return ref[max(ref.rfind("/"), ref.rfind("!"), ref.rfind(":")) + 1:]


def step_target(step) -> tuple[str | None, object, tuple]:
    """(reference, its node, the kinds of definition it may name) of a run step."""
    if is_scalar(step):
        return text_value(step), step, ("module", "tool")
    for key, kinds in (("module", ("module", "tool")), ("tool", ("tool", "module")), ("template", ("template",))):
        node = get(step, key)
        if text_value(node):
            return text_value(node), node, kinds
    return None, None, ()


def _kinds_for(call: Call) -> tuple:
    if call.node is call.owner.node:  # a module's base
        return ("module", "tool")
    return step_target(call.node)[2]


def step_id(step) -> str | None:
    """A step's id: its `id:`, else the name of what it runs."""
    explicit = text_value(get(step, "id"))
    return explicit if explicit else step_target(step)[0]


def _definitions(file: str, doc: Document) -> Iterator[Definition]:
    root = doc.root
    if not is_map(root):
        return
    for section, kind in (("modules", "module"), ("templates", "template")):
        for i, spec in enumerate(items(get(root, section))):
            name = text_value(get(spec, "id"))
            if name and is_map(spec):
                yield Definition(name, kind, file, spec, (section, i))
    for key, spec in entries(get(root, "tools")):
        name = text_value(key)
        if name and is_map(spec):
            yield Definition(name, "tool", file, spec, ("tools", value(key)))


def include_targets(doc: Document, file: str) -> list[str]:
    """Local files an `include:` list names (a folder means its polytope.yml); remote repos are skipped.
    Paths are posix, joined to the including file's folder and normalised."""
    out = []
    folder = posixpath.dirname(file)
    for entry in items(get(doc.root, "include")) if is_map(doc.root) else []:
        target = text_value(entry) if is_scalar(entry) else text_value(get(entry, "path"))
        if not target or has_reference(target) or target.startswith(("gh:", "http:", "https:", "git@")):
            continue
        path = posixpath.normpath(posixpath.join(folder, target))
        out.append(path)
    return out


@record
class ScriptInfo:
    """What the file system says about a script (filled in by the CLI's probe)."""

    exists: bool
    is_dir: bool = False
    mode: int = 0
    inside_root: bool = True
    first_line: bytes = b""
    siblings: list[str] = new(list)
    regular: bool = True  # False for a FIFO, device or socket: never opened
    hard_links: int = 1
    children: list[str] = new(list)  # for a folder: the files directly in it
    identity: tuple = ()  # discover.identity() of a regular file as probed: --write checks it again
    owned: bool = True  # this process may chmod it (its owner, or root)


def within(path: str, root: str) -> bool:
    """Whether `path` is `root` or below it, by their parts as written (`..` is a part like any other),
    as pathlib's PurePosixPath compares them. In strings: loading pathlib took 2 ms of every run."""
    if _plain(path) and _plain(root):  # most paths: a comparison of strings says the same, sooner
        return path == root or path.startswith(root + "/")
    p, r = pure(path), pure(root)
    if p == r:
        return True
    if r == ".":  # every relative path is below the current folder
        return not p.startswith("/")
    return _root(p) == _root(r) and p.startswith(r if r.endswith("/") else r + "/")


def pure(path: str) -> str:
    """`path` as PurePosixPath writes it: no `.` part, repeated or trailing `/`, and `.` for nothing;
    a leading `//` stays (POSIX leaves its meaning to the system), three or more are one."""
    if _plain(path):
        return path
    parts = [part for part in path.split("/") if part and part != "."]
    root = _root(path)
    return root + "/".join(parts) if root or parts else "."


def _root(path: str) -> str:
    return "//" if path.startswith("//") and not path.startswith("///") else "/" if path.startswith("/") else ""


def _plain(path: str) -> bool:
    """A path written as PurePosixPath writes it (no `//`, `.` part or trailing `/`), other than `/`."""
    return (path not in ("", ".", "/") and "//" not in path and "/./" not in path
            and not path.startswith("./") and not path.endswith(("/", "/.")))
