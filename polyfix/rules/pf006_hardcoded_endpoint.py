"""PF006 hardcoded-endpoint: a hostname, port or URL in `env:` that changes between environments.

What it does
    Finds literal endpoints in the env of modules, templates and tools: the value of a variable
    named `*_URL`, `*_URI`, `*_ENDPOINT`, `*_ORIGIN`, `*_HOST`, `*_HOSTNAME` or `PUBLIC_URL`, and of a
    `*_PORT` whose `*_HOST` partner is reported. It reports such a value when its host is the
    developer's machine (`localhost`, `127.0.0.1`, `0.0.0.0`, `host.docker.internal`) or another
    host outside the job (`api.example.com`). A hostname inside the job (a service id, or a module or
    tool that runs one: `postgres`, `redpanda:9092`) is fine there and left alone, except in the
    env of a front end (`VITE_*`, `PUBLIC_*`, `NEXT_PUBLIC_*`, `REACT_APP_*`): the browser reads
    those, and a browser cannot resolve a hostname that exists only inside the job. Bare `HOST` and
    `PORT` (where the container itself listens), references, URLs with a password (PF005) and
    values polyfix cannot read as an endpoint are skipped.

Why
    The Polytope rules ask for no hard-coded values that change between deployment environments
    (hostnames, ports, protocols), and for the hostnames a web app needs to be configurable, since
    in-job service hostnames do not resolve from a browser. A param with the literal as its default
    keeps today's behaviour and lets each environment pass its own address.

Example
    tools:
      web:
        run:
          - tool: polytope/node
            args:
              env:
                - { name: VITE_API_BASE_URL, value: http://localhost:3000 }

    becomes

    tools:
      web:
        params:
          - id: vite-api-base-url
            type: [default, str, http://localhost:3000]
        run:
          - tool: polytope/node
            args:
              env:
                - { name: VITE_API_BASE_URL, value: pt.param vite-api-base-url }

Fix
    Safe: nothing changes until someone passes another value. Each value becomes a param (the
    variable's name in kebab case) declared on the module, template or tool whose spec holds it,
    with the literal as its default (`int` for a whole-number port), the way PF001 declares params:
    an `inputs:` entry and `pt.input x` where the spec uses `inputs:`, `"#pt-param x"` in files
    written in that style. A name that is already declared is reported only.
"""
from __future__ import annotations

import re

from ..declare import declaration, declared, hash_style, prefers_inputs, use_inputs, whole_reference
from ..document import get, is_map, text_value, value
from ..edits import Edit
from ..problem import SAFE, Fix, at_node
from ..project import Project
from ..refs import has_reference, is_code

CODE = "PF006"
NAME = "hardcoded-endpoint"

_ENDPOINT = re.compile(r"_(URL|URI|ENDPOINT|ORIGIN|HOST|HOSTNAME)$|^PUBLIC_URL$")
_FRONT_END = ("VITE_", "PUBLIC_", "NEXT_PUBLIC_", "REACT_APP_")
_LOCAL = {"localhost", "127.0.0.1", "0.0.0.0", "host.docker.internal", "[::1]"}
_HOST = re.compile(r"(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://)?(?P<user>[^/@\s]*@)?(?P<host>\[[0-9a-fA-F:]+\]|"
                   r"[A-Za-z0-9_\-.]+)(?::(?P<port>[0-9]+))?(?P<rest>[/?#].*)?")


class _Found:
    def __init__(self, node, path, env, literal, why):
        self.node, self.path, self.env, self.literal, self.why = node, path, env, literal, why


def check(project: Project, files) -> list:
    problems = []
    for file in files:
        doc = project.docs[file]
        defs = project.definitions[file]
        prefers = prefers_inputs(defs)
        ids = None
        for d in defs:
            if "env" not in doc.text:
                break
            if ids is None:  # step and service ids of the include group: hostnames inside the job
                ids = {text_value(get(s, "id")) for f in project.group_files(file)
                       for _n, _p, k, s in project.docs[f].scalars() if k == "id" and is_map(s)}
                ids |= project.definition_names()
            found = _endpoints(project, file, doc, d, ids)
            if found:
                problems.extend(_problems_for(doc, file, d, found, use_inputs(d, prefers)))
    return problems


def _endpoints(project: Project, file: str, doc, d, ids: set) -> list:
    out = []
    for env in _env_lists(doc, d):
        entries = {}  # env name → (node, path, literal)
        for node, path, key, parent in env:
            name = text_value(get(parent, "name"))
            v = value(node)
            if name and isinstance(v, (str, int)) and not isinstance(v, bool) and str(v).strip():
                entries[name] = (node, path, v)
        reported_hosts = {}
        for name, (node, path, v) in entries.items():
            if not _ENDPOINT.search(name) or not isinstance(v, str) or _holds_secret(v):
                continue  # a URL with a password or key in it is PF005's: never copied into a default
            why = _why(project, file, ids, name, v)
            if why:
                out.append(_Found(node, path, name, v, why))
                if name.endswith(("_HOST", "_HOSTNAME")):
                    reported_hosts[name.rsplit("_", 1)[0]] = name
        for name, (node, path, v) in entries.items():
            prefix = name[:-len("_PORT")] if name.endswith("_PORT") else None
            if prefix in reported_hosts and re.fullmatch(r"[0-9]+", str(v)):
                out.append(_Found(node, path, name, v, f"the port of `{reported_hosts[prefix]}`, which changes with it"))
    out.sort(key=lambda f: f.node.start_mark.index)
    return out


def _holds_secret(v: str) -> bool:
    return bool(re.search(r"://[^/\s@]*:[^@\s/]+@|[?&](?:api[_-]?key|apikey|access[_-]?token|token|secret|password|key)=",
                          v, re.I))


def _env_lists(doc, d):
    """The `value` scalars of each `env:` list below a definition, one list of
    (node, path, key, parent) per env list."""
    lists: dict[tuple, list] = {}
    for node, path, key, parent in doc.scalars(d.path):
        if key == "value" and is_map(parent) and len(path) >= 3 and path[-3] == "env":
            lists.setdefault(path[:-2], []).append((node, path, key, parent))
    return list(lists.values())


def _why(project: Project, file: str, ids: set, name: str, v: str) -> str | None:
    """Why this literal should be a param, or None when it should not."""
    if has_reference(v) or is_code(v) or re.search("[\ue000-\uefff]", v):
        return None
    m = _HOST.fullmatch(v.strip())
    if not m or (m.group("user") and ":" in m.group("user")):
        return None  # not an endpoint polyfix can read, or a password inside it (PF005)
    if name.endswith(("_URL", "_URI", "_ENDPOINT", "_ORIGIN")) and not m.group("scheme"):
        if not m.group("port") and "." not in m.group("host"):
            return None  # a path or a word, not an address
    host = m.group("host").lower()
    front_end = name.startswith(_FRONT_END)
    if host in _LOCAL:
        where = "the browser's" if front_end else "this"
        return f"`{host}` is the developer's machine: {where} endpoint changes between environments"
    if host in ids or project.service_of(host, file) is not None:
        if front_end:
            return (f"`{host}` is a hostname inside the job, which a browser cannot resolve: the front end "
                    f"needs the public address of each environment")
        return None
    if "." not in host:
        return None  # a single word polyfix cannot place: leave it
    return f"`{host}` is an address outside the job that changes between environments"


def _problems_for(doc, file, d, found, inputs: bool) -> list:
    have = declared(d)
    kind = "input" if inputs else "param"
    names = {id(f): _kebab(f.env) for f in found}
    fixable = [f for f in found if names[id(f)] not in have]
    taken = set()
    fixable = [f for f in fixable if not (names[id(f)] in taken or taken.add(names[id(f)]))]
    fix = _fix(doc, d, fixable, names, inputs) if fixable else None
    out = []
    for f in found:
        name = names[id(f)]
        msg = (f"env `{f.env}` hard-codes `{f.literal}`: {f.why}; make it {'an' if inputs else 'a'} {kind} "
               f"`{name}` of {d.kind} `{d.name}` with the literal as its default")
        this_fix = fix if f in fixable else None
        hint = "" if this_fix else f"{kind} `{name}` is already declared: use it by hand"
        out.append(at_node(CODE, NAME, msg, file, doc, f.node, this_fix, hint=hint))
    return out


def _kebab(env: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", env.lower()).strip("-")


def _fix(doc, d, found, names, inputs: bool) -> Fix | None:
    hashed = not inputs and hash_style(doc.text)
    kind = "input" if inputs else "param"
    edits, sets, new = [], [], []
    for f in found:
        name = names[id(f)]
        node = f.node
        if node.style in ("|", ">") or "\n" in doc.text[node.start_mark.index:node.end_mark.index]:
            return None
        edits.append(Edit(node.start_mark.index, node.end_mark.index, whole_reference(kind, name, hashed)))
        sets.append((f.path, f"#pt-{kind} {name}" if hashed else f"pt.{kind} {name}"))
        new.append((name, "int" if isinstance(f.literal, int) else "str", f.literal))
    decl = declaration(doc, d, new, inputs)
    if decl is None:
        return None
    edit, decl_sets = decl
    return Fix(f"Declare {', '.join(f'`{n}`' for n, _t, _v in new)} with the literal as default; use pt.{kind}",
               SAFE, edits=edits + [edit], sets=sets + decl_sets)
