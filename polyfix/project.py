"""The Polytope model over a set of parsed documents (polytope-reference.md §1, §3).

Both file formats: `modules:` + `templates:` lists (older) and a `tools:` mapping with `include:`
(newer). Names resolve in the same file first, then in the files joined to it by `include:`.
Param references (`pt.param x`, `"#pt-param x"`, `pt.input x`) are followed through callers' args
and params' defaults. Whatever cannot be settled is UNKNOWN, and rules never guess.
"""
from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Callable, Iterator

from . import builtins
from .builtins import JOB, SERVICE, UNKNOWN
from .document import Document, get, is_map, is_scalar, is_seq, items, text_value, value, entries
from .refs import has_reference, param_ref

UNRESOLVED = object()  # a param reference with no value anywhere
_MAX_DEPTH = 30


@dataclass
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


@dataclass
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


@dataclass
class Verdict:
    kind: str  # SERVICE, JOB, UNKNOWN
    why: str


@dataclass
class Call:
    """A place that runs a module or tool: a run step, or a module deriving from its base."""

    ref: str
    ref_node: object
    args: object
    owner: Definition
    node: object  # the step node (or the module spec for a base call)
    path: tuple


@dataclass
class RunList:
    """The `run:` list of a template or tool, with the ids of its steps."""

    owner: Definition
    node: object
    steps: list


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
        self._services: dict[str, list] | None = None
        self._volumes: set[str] | None = None
        self.definitions: dict[str, list[Definition]] = {f: list(_definitions(f, d)) for f, d in docs.items()}
        self._by_group: dict[str, list[Definition]] = {}
        for f, defs in self.definitions.items():
            self._by_group.setdefault(groups.get(f, f), []).extend(defs)
        self.calls: list[Call] = [c for f in docs for c in self._calls_in(f)]
        self._callers: dict[int, list[Call]] | None = None

    # ---- names ----
    def lookup(self, ref: str, file: str, kinds: tuple[str, ...]) -> Definition | None:
        """The definition a local reference names: same file first, then the include group;
        None when it is unknown here or ambiguous."""
        for pool in (self.definitions.get(file, []), self._by_group.get(self.groups.get(file, file), [])):
            for kind in kinds:
                found = [d for d in pool if d.kind == kind and d.name == ref]
                if len(found) == 1:
                    return found[0]
                if len(found) > 1:
                    return None
        return None

    def definition_names(self) -> set[str]:
        return {d.name for defs in self.definitions.values() for d in defs}

    def service_ids(self) -> dict[str, list]:
        """Service id (the in-job hostname) → the values of its ports' `port`, over all files."""
        if self._services is None:
            self._services = {}
            for node in self._mappings():
                for svc in items(get(node, "services")):
                    sid = text_value(get(svc, "id"))
                    if sid:
                        ports = [value(get(p, "port")) for p in items(get(svc, "ports"))]
                        self._services.setdefault(sid, []).extend(ports)
        return self._services

    def volume_ids(self) -> set[str]:
        """The ids of every `{type: volume, id: …}` in the project's files."""
        if self._volumes is None:
            self._volumes = {text_value(get(n, "id")) for n in self._mappings()
                             if text_value(get(n, "type")) == "volume" and text_value(get(n, "id"))}
        return self._volumes

    def _mappings(self) -> Iterator:
        """Every mapping node of every file."""
        for doc in self.docs.values():
            stack = [doc.root] if doc.root is not None else []
            while stack:
                node = stack.pop()
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


@dataclass
class ScriptInfo:
    """What the file system says about a script (filled in by the CLI's probe)."""

    exists: bool
    is_dir: bool = False
    mode: int = 0
    inside_root: bool = True
    first_line: bytes = b""
    siblings: list[str] = field(default_factory=list)


def within(path: str, root: str) -> bool:
    p, r = PurePosixPath(path), PurePosixPath(root)
    return p == r or r in p.parents
