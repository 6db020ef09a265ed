"""PF006 hardcoded-endpoint: a hostname, port or URL that changes between environments, in `env:` and `services:`.

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

    In `services:`, it reports a literal `expose-as`: the port a service is published on outside
    the job (`localhost:3000` on a developer's machine). It is where browsers and tools on the host
    reach the service, so it differs between machines and environments, and it is the one part of a
    service that can change without touching anything else: the container keeps listening where it
    did. The rest of a service is left alone on purpose: its `id` is its hostname inside the job,
    the same in every environment, and the other steps address it by that name; `port` is where the
    program in the container listens (its code or command decides, so a param alone would break
    it); `protocol` is what that program speaks (`https` does not make a program serve TLS). A
    `range` entry, an `internal` port and computed services (`#pt-js …`) are skipped.

    A front-end variable whose value is a param or input reference (`pt.param api-url`,
    `"#pt-param api-url"`, `pt.input api-url`) is judged by the literal it receives: the param's
    default, and the literal each caller in the project passes. One that names a hostname inside the
    job (`http://api:3000`) is reported where that literal is written, with the reason, and not
    fixed: the address a browser can reach depends on the environment (on a local run, the host
    port the service is published on; the report names it when the project shows it). A URL built
    from references (`"http://{pt.param api-host}:3000"`) is judged with their defaults filled in,
    and reported on the variable.

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
              services:
                - { id: web, ports: [{ protocol: http, port: 5173, expose-as: 3000 }] }

    becomes

    tools:
      web:
        params:
          - id: vite-api-base-url
            type: [default, str, "http://localhost:3000"]
          - id: web-host-port
            type: [default, int, 3000]
        run:
          - tool: polytope/node
            args:
              env:
                - { name: VITE_API_BASE_URL, value: pt.param vite-api-base-url }
              services:
                - { id: web, ports: [{ protocol: http, port: 5173, expose-as: pt.param web-host-port }] }

Fix
    Safe: nothing changes until someone passes another value. Each value becomes a param declared
    on the module, template or tool whose spec holds it, with the literal as its default, the way
    PF001 declares params: an `inputs:` entry and `pt.input x` where the spec uses `inputs:`,
    `"#pt-param x"` in files written in that style. An env value's param is the variable's name in
    kebab case (`int` for a whole-number port); an `expose-as` param is `<service id>-host-port`
    (`<service id>-<label or port>-host-port` when the service publishes several ports), an `int`,
    as the built-in modules pass their own ports (`port: pt.param port`). A name that is already
    declared, a service whose id is not a plain name, and a spec whose `params:` is shared through a
    YAML anchor, are reported only. A front-end reference
    whose literal names an in-job hostname is reported only.
"""
from __future__ import annotations

import re

from ..declare import declaration, declared, hash_style, prefers_inputs, use_inputs, whole_reference
from ..document import entries, get, is_map, is_scalar, is_shared, items, text_value, value
from ..edits import Edit
from ..pattern import LETTERS, LETTERS_DIGITS, LOWER_DIGITS, has_mask_chars, kebab, on_first_use
from ..problem import SAFE, Fix, at_node
from ..project import Project
from ..refs import has_reference, interpolation_spans, is_code, param_ref

CODE = "PF006"
NAME = "hardcoded-endpoint"

_ENDPOINT_ENDS = ("_URL", "_URI", "_ENDPOINT", "_ORIGIN", "_HOST", "_HOSTNAME")
_FRONT_END = ("VITE_", "PUBLIC_", "NEXT_PUBLIC_", "REACT_APP_")
_LOCAL = {"localhost", "127.0.0.1", "0.0.0.0", "host.docker.internal", "[::1]"}
# A password or key in a URL (PF005's to report).
_SECRET_IN_URL = on_first_use(r"://[^/\s@]*:[^@\s/]+@|[?&](?:api[_-]?key|apikey|access[_-]?token|token|secret|password|key)=",
                              re.I, needs=("@", "="))
_ID_FIRST = frozenset(LOWER_DIGITS)
_ID_REST = frozenset(LOWER_DIGITS + "_-")


def _plain_id(s: str) -> bool:
    """What the pattern `[a-z0-9][a-z0-9_-]*` matches whole."""
    return bool(s) and s[0] in _ID_FIRST and all(c in _ID_REST for c in s)


class _Endpoint:
    """An address as `scheme://user@host:port/rest`, each part but the host None when absent; the
    user with its `@`, the rest from its `/`, `?` or `#` on."""

    __slots__ = ("scheme", "user", "host", "port", "rest")

    def __init__(self, scheme: str | None, user: str | None, host: str, port: str | None, rest: str | None):
        self.scheme, self.user, self.host, self.port, self.rest = scheme, user, host, port, rest


_SCHEME_CHARS = LETTERS_DIGITS + "+.-"
_HOST_CHARS = LETTERS_DIGITS + "_-."


def _endpoint(s: str) -> _Endpoint | None:
    """`s` read whole as an address, or None: what the pattern
    `(?:(scheme)://)?(user@)?(host)(?::(port))?(rest)?` takes, written out (scheme
    `[A-Za-z][A-Za-z0-9+.-]*`, user `[^/@\\s]*@`, host `\\[[0-9a-fA-F:]+\\]` or `[A-Za-z0-9_.-]+`, port
    `[0-9]+`, rest `[/?#]` and more up to the end of the line), which costs 0.3 ms to compile."""
    colon = s.find(":")
    scheme = s[:colon] if colon > 0 and s.startswith("//", colon + 1) and s[0] in LETTERS and \
        not s[1:colon].lstrip(_SCHEME_CHARS) else None
    start = colon + 3 if scheme else 0
    # With the user first, as the pattern tries it; without, when the rest fails to read then.
    at = s.find("@", start)
    if at != -1 and not any(c == "/" or c.isspace() for c in s[start:at]):
        found = _host_port_rest(s, at + 1)
        if found:
            return _Endpoint(scheme, s[start:at + 1], *found)
    found = _host_port_rest(s, start)
    return _Endpoint(scheme, None, *found) if found else None


def _host_port_rest(s: str, start: int) -> tuple[str, str | None, str | None] | None:
    if s.startswith("[", start):
        close = s.find("]", start)
        if close < start + 2 or s[start + 1:close].strip("0123456789abcdefABCDEF:"):
            return None
        end = close + 1
    else:
        end = start
        while end < len(s) and s[end] in _HOST_CHARS:
            end += 1
        if end == start:
            return None
    host, port = s[start:end], None
    if s.startswith(":", end):
        digits = end + 1
        while digits < len(s) and s[digits] in "0123456789":
            digits += 1
        if digits == end + 1:
            return None
        port, end = s[end + 1:digits], digits
    if end == len(s):
        return host, port, None
    return (host, port, s[end:]) if s[end] in "/?#" and "\n" not in s[end:] else None


class _Found:
    """A literal to report: where it is, the param it would become (None: report only), and why."""

    def __init__(self, node, path, literal, why, subject, param, typ="str", hint=""):
        self.node, self.path, self.literal, self.why = node, path, literal, why
        self.subject, self.param, self.typ, self.hint = subject, param, typ, hint


def check(project: Project, files) -> list:
    problems = []
    seen_refs: set = set()  # literals reached through references, reported once however many uses
    hostnames: dict = {}  # include group → its in-job hostnames (one walk per group, not per file)
    for file in files:
        doc = project.docs[file]
        if "env" not in doc.text and "expose-as" not in doc.text:
            continue
        defs = project.definitions[file]
        prefers = prefers_inputs(defs)
        ids = None
        for d in defs:
            if ids is None:  # step and service ids of the include group: hostnames inside the job
                ids = _job_hostnames(project, file, hostnames)
            found = _endpoints(project, file, doc, d, ids) + _exposed_ports(doc, d)
            found.sort(key=lambda f: f.node.start_mark.index)
            if found:
                passed = {value(k) for c in project.callers(d) for k, _v in entries(c.args)}
                problems.extend(_problems_for(doc, file, d, found, use_inputs(d, prefers), passed))
            problems.extend(_front_end_references(project, file, files, doc, d, ids, seen_refs))
    return problems


def _job_hostnames(project: Project, file: str, by_group: dict) -> set:
    group = project.groups.get(file, file)
    if group not in by_group:
        by_group[group] = {text_value(get(s, "id")) for f in project.group_files(file)
                           for _n, _p, k, s in project.docs[f].scalars() if k == "id" and is_map(s)}
        by_group[group] |= {d.name for f in project.group_files(file) for d in project.definitions.get(f, [])}
    return by_group[group]


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
            if not _is_endpoint_name(name) or not isinstance(v, str) or _holds_secret(v):
                continue  # a URL with a password or key in it is PF005's: never copied into a default
            why = _why(project, file, ids, name, v)
            if why:
                out.append(_env_found(node, path, name, v, why))
                if name.endswith(("_HOST", "_HOSTNAME")):
                    reported_hosts[name.rsplit("_", 1)[0]] = name
        for name, (node, path, v) in entries.items():
            prefix = name[:-len("_PORT")] if name.endswith("_PORT") else None
            if prefix in reported_hosts and re.fullmatch(r"[0-9]+", str(v)):
                out.append(_env_found(node, path, name, v, f"the port of `{reported_hosts[prefix]}`, which changes with it"))
    return out


def _is_endpoint_name(name: str) -> bool:
    """`*_URL`, `*_URI`, `*_ENDPOINT`, `*_ORIGIN`, `*_HOST`, `*_HOSTNAME` or `PUBLIC_URL`; a last
    newline (a quoted key) aside, as PF005 reads secret names."""
    name = name[:-1] if name.endswith("\n") else name
    return name.endswith(_ENDPOINT_ENDS) or name == "PUBLIC_URL"


def _env_found(node, path, name: str, v, why: str) -> _Found:
    return _Found(node, path, v, why, f"env `{name}`", kebab(name), "int" if isinstance(v, int) else "str")


def _exposed_ports(doc, d) -> list:
    """The literal `expose-as` ports of the services a definition declares."""
    out = []
    for node, path, key, parent in doc.scalars(d.path):
        if key != "expose-as" or len(path) < 5 or path[-3] != "ports" or path[-5] != "services":
            continue
        v = value(node)
        if not isinstance(v, int) or isinstance(v, bool) or get(parent, "range") is not None:
            continue  # a reference, code or a `range` entry's string; a quoted number is PF024's
        if value(get(parent, "internal")) is True:
            continue  # not published outside the job
        service = _at(doc.root, path[:-3])
        sid = text_value(get(service, "id"))
        ports = [p for p in items(get(service, "ports")) if is_map(p) and get(p, "expose-as") is not None]
        if sid and _plain_id(sid):
            if len(ports) == 1:
                param = f"{sid}-host-port"
            else:  # several published ports: each param says which one it is
                label = text_value(get(parent, "label"))
                which = label if label and _plain_id(label) else str(value(get(parent, "port")))
                param = f"{sid}-{kebab(which)}-host-port"
            hint = ""
        else:
            param, hint = None, "the service's id is not a plain name to call the param after: declare one by hand"
        out.append(_Found(
            node, path, v, "the port the service is published on outside the job, where browsers and tools on "
            "the host reach it, differs between machines and environments",
            f"`expose-as` of service `{sid or '?'}`", param, "int", hint))
    return out


def _at(node, path: tuple):
    for k in path:
        node = items(node)[k] if isinstance(k, int) else get(node, k)
    return node


def _holds_secret(v: str) -> bool:
    return bool(_SECRET_IN_URL.search(v))


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
    if has_reference(v) or is_code(v) or has_mask_chars(v):
        return None
    m = _endpoint(v.strip())
    if not m or (m.user and ":" in m.user):
        return None  # not an endpoint polyfix can read, or a password inside it (PF005)
    if name.endswith(("_URL", "_URI", "_ENDPOINT", "_ORIGIN")) and not m.scheme:
        if not m.port and "." not in m.host:
            return None  # a path or a word, not an address
    host = m.host.lower()
    front_end = name.startswith(_FRONT_END)
    if host in _LOCAL:
        where = "the browser's" if front_end else "this"
        return f"`{host}` is the developer's machine: {where} endpoint changes between environments"
    if _in_job(project, file, ids, host):
        if front_end:
            return (f"`{host}` is a hostname inside the job, which a browser cannot resolve: the front end "
                    f"needs the public address of each environment")
        return None
    if "." not in host:
        return None  # a single word polyfix cannot place: leave it
    return f"`{host}` is an address outside the job that changes between environments"


def _in_job(project: Project, file: str, ids: set, host: str) -> bool:
    return host in ids or project.service_of(host, file) is not None


def _front_end_references(project: Project, file: str, files, doc, d, ids: set, seen: set) -> list:
    """Front-end env values that are a param reference whose literal (the default, or what a caller
    passes) names a hostname inside the job: reported where the literal is written, never fixed."""
    out = []
    for env in _env_lists(doc, d):
        for node, _path, _key, parent in env:
            name = text_value(get(parent, "name"))
            raw = text_value(node)
            if not name or not name.startswith(_FRONT_END) or raw is None or is_code(raw):
                continue
            ref = param_ref(raw)
            if ref is not None:  # the whole value: the default, and what each caller passes
                sources = [(file, doc, d.param_default(ref), None,
                            f"the default of {_kind_of(d, ref)} `{ref}` of {d.kind} `{d.name}`")]
                for call in project.callers(d):
                    given = get(call.args, ref) if is_map(call.args) else None
                    where = call.owner.file
                    if given is not None and where in files:
                        sources.append((where, project.docs[where], given, None,
                                        f"what {call.owner.kind} `{call.owner.name}` passes as `{ref}`"))
            else:  # references inside a longer string: the value with the defaults put in
                filled, what = _with_defaults(d, raw)
                if filled is None:
                    continue  # a literal (judged above), or a reference with no literal default
                sources = [(file, doc, node, filled, what)]
            for where, wdoc, lit, v, what in sources:
                if v is None:
                    v = value(lit) if lit is not None and is_scalar(lit) else None
                if not isinstance(v, str) or id(lit) in seen or has_reference(v) or is_code(v) or _holds_secret(v):
                    continue
                m = _endpoint(v.strip())
                if not m or not m.scheme and not m.port and not name.endswith(("_HOST", "_HOSTNAME")):
                    continue  # a word or a path, not an address a browser would call (but a `*_HOST`'s value is one)
                host = m.host.lower()
                if host in _LOCAL or not _in_job(project, where, ids, host):
                    continue  # an address the browser can reach, already a param
                seen.add(id(lit))
                reach = _published(project, file, host, m.port)
                advice = ("give it the address each environment publishes the service at"
                          + (f" (on a local run, `{_local_url(m, reach)}`)" if reach else ""))
                out.append(at_node(CODE, NAME, (
                    f"{what} is `{v}`, which front-end env `{name}` hands to the browser: `{host}` is a hostname "
                    f"inside the job, which a browser cannot resolve; {advice}"), where, wdoc, lit, None,
                    hint="only each environment knows the address its browsers reach: set it by hand"))
    return out


def _interpolated(raw: str) -> list[tuple[int, int, str]]:
    """(start, end, name) of each `{pt.param x}` / `{pt.input x}` with a plain name (no placeholder)."""
    return [(start, end, name) for start, end, word, name in interpolation_spans(raw)
            if word in ("pt.param", "pt.input") and name.isascii()]


def _with_defaults(d, raw: str) -> tuple:
    """(the string with each `{pt.param x}` / `{pt.input x}` replaced by x's literal default, what
    that is) or (None, "") when there is none, or some reference has no literal default."""
    found = _interpolated(raw)
    names = [name for _start, _end, name in found]
    if not names:
        return None, ""
    defaults = {}
    for n in names:
        v = value(d.param_default(n)) if is_scalar(d.param_default(n)) else None
        if not isinstance(v, (str, int)) or isinstance(v, bool) or has_reference(str(v)):
            return None, ""
        defaults[n] = str(v)
    pieces, done = [], 0
    for start, end, name in found:
        pieces += [raw[done:start], defaults[name]]
        done = end
    filled = "".join(pieces) + raw[done:]
    listed = ", ".join(f"`{n}`" for n in dict.fromkeys(names))
    return filled, f"`{raw}` with the {'defaults' if len(defaults) > 1 else 'default'} of {listed}"


def _kind_of(d, ref: str) -> str:
    return "input" if get(get(d.node, "inputs"), ref) is not None else "param"


def _published(project: Project, file: str, host: str, port: str | None) -> int | None:
    """The host port (`expose-as`) a service publishes the given in-job port on, when the project
    shows exactly one."""
    found = set()
    for f in project.group_files(file):
        for node, path, key, parent in project.docs[f].scalars():
            if key != "expose-as" or len(path) < 5 or path[-3] != "ports" or path[-5] != "services":
                continue
            service = _at(project.docs[f].root, path[:-3])
            if text_value(get(service, "id")) != host:
                continue
            inner, outer = value(get(parent, "port")), value(_default_for(project, f, path, node))
            if isinstance(outer, int) and (port is None or str(inner) == port):
                found.add(outer)
    return found.pop() if len(found) == 1 else None


def _default_for(project: Project, file: str, path: tuple, node):
    """A whole param reference's default in the definition holding `path`; else the node itself."""
    ref = param_ref(text_value(node))
    if ref is None:
        return node
    for d in project.definitions.get(file, []):
        if path[:len(d.path)] == d.path:
            return d.param_default(ref)
    return None


def _local_url(m, port: int) -> str:
    scheme = f"{m.scheme}://" if m.scheme else ""
    return f"{scheme}localhost:{port}{m.rest or ''}"


def _problems_for(doc, file, d, found, inputs: bool, passed: set = frozenset()) -> list:
    have = declared(d)
    kind = "input" if inputs else "param"
    once: dict[int, _Found] = {}  # an alias is the node it names: one problem, one edit
    for f in found:
        once.setdefault(id(f.node), f)
    found = list(once.values())
    for f in found:
        if f.param and is_shared(doc.text, f.node):
            f.param, f.hint = None, "an anchored, aliased or tagged value: other places share it; change it by hand"
        elif f.param in passed and f.param not in have:
            f.param, f.hint = None, (f"a step that runs {d.kind} `{d.name}` already passes `{f.param}`: declaring "
                                     f"it would change what runs; declare it by hand")
    fixable = [f for f in found if f.param and f.param not in have]
    taken = set()
    fixable = [f for f in fixable if not (f.param in taken or taken.add(f.param))]
    fix = _fix(doc, d, fixable, inputs) if fixable else None
    out = []
    for f in found:
        name = f.param
        msg = (f"{f.subject} hard-codes `{f.literal}`: {f.why}; make it {'an' if inputs else 'a'} {kind} "
               + (f"`{name}` " if name else "") + f"of {d.kind} `{d.name}` with the literal as its default")
        this_fix = fix if f in fixable else None
        if this_fix or f.hint:
            hint = "" if this_fix else f.hint
        elif f in fixable:  # no declaration could be added (a flow-style spec, or params shared through an anchor)
            hint = f"declare the {kind} `{name}` by hand: polyfix adds no declaration to this spec's layout"
        else:
            hint = f"{kind} `{name}` is already declared: use it by hand"
        out.append(at_node(CODE, NAME, msg, file, doc, f.node, this_fix, hint=hint))
    return out


def _fix(doc, d, found, inputs: bool) -> Fix | None:
    hashed = not inputs and hash_style(doc.text, ("param", "secret", "value"))  # as PF005 decides: one style per file
    kind = "input" if inputs else "param"
    edits, sets, new = [], [], []
    for f in found:
        name = f.param
        node = f.node
        if node.style in ("|", ">") or "\n" in doc.text[node.start_mark.index:node.end_mark.index]:
            return None
        edits.append(Edit(node.start_mark.index, node.end_mark.index, whole_reference(kind, name, hashed)))
        sets.append((f.path, f"#pt-{kind} {name}" if hashed else f"pt.{kind} {name}"))
        new.append((name, f.typ, f.literal))
    decl = declaration(doc, d, new, inputs)
    if decl is None:
        return None
    edit, decl_sets = decl
    return Fix(f"Declare {', '.join(f'`{n}`' for n, _t, _v in new)} with the literal as default; use pt.{kind}",
               SAFE, edits=edits + [edit], sets=sets + decl_sets)
