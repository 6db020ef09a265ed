"""PF001 value-to-param: a `pt.value` where a declared param with a default belongs.

What it does
    Finds every value reference in a module's, template's or tool's spec: whole scalars
    (`pt.value x`, `"#pt-value x"`) and interpolations (`"http://{pt.value x}:80"`), anywhere below
    `args` and `run` (env lists, services and ports, restart, mounts). It also reports value reads in
    code (`(pt/value "x")` in `#pt-clj`/`pt.clj`, `pt.value("x")` in `#pt-js`/`pt.js`) without fixing
    them. Secrets (`pt.secret`) are never touched.

Why
    Values are global state shared by every run and always strings: a `pt.value` in an `int` slot
    fails (`Must be an integer (got "8079")`), and a value nobody has set breaks a run only when it
    runs. A param declared on the module that uses it, with a default, is typed, local and
    documented. Some projects keep their settings in values on purpose (the bluetext generator's
    `config/values.yml`, loaded by a `load-config` step): there the fixes are unsafe, and such
    projects may turn this rule off (`ignore = ["PF001"]`).

Example
    tools:
      api:
        run:
          - tool: polytope/python
            args:
              services:
                - { id: api, ports: [{ protocol: http, port: pt.value api-port }] }

    becomes, with `api-port: 8080` in config/values.yml:

    tools:
      api:
        params:
          - id: api-port
            type: [default, int, 8080]
        run:
          - tool: polytope/python
            args:
              services:
                - { id: api, ports: [{ protocol: http, port: pt.param api-port }] }

Fix
    Declares the param on the module, template or tool whose spec holds the reference, in the file's
    own convention: an `inputs:` entry and `pt.input x` where the tool (or, when it has neither, the
    file) uses `inputs:`, else a `params:` list entry (created before `args:`/`run:`) and `pt.param x`
    (`"#pt-param x"` for `"#pt-value x"`, and for any whole reference in a file written in the
    `"#pt-param"` style; `{pt.param x}` inside strings). An existing declaration with the same id is
    reused. The type comes from the slot and the name: `int` for `port`, `expose-as`,
    `max-restarts`, `PORT` / `*_PORT` env values and any name ending in `-port` (also inside
    `"{pt.value redpanda-host}:{pt.value redpanda-port}"`); `bool` for a boolean default; else `str`.

    The default comes from `--values FILE` / `config/values.yml` at the project root, else from the
    project as polyfix first read it, within the files that every project including the spec's file
    reaches through `include:`, when there is exactly one answer (never from what another
    fix adds): `<x>-host` / `<x>-hostname` is the hostname of the service `x` stands for (a service
    id; or what the module or tool `x` runs: its one `services` id, its `service-id` or `id` arg, else
    the built-in's own hostname, so a tool `couchbase-server` running `polytope/couchbase` answers as
    `couchbase`); `<x>-port` is that service's one literal port, else the built-in's default port.
    A value PF005 would call a secret (`db-password: Hunter2…`) is never copied into the file as a
    default: it belongs in the secret store. A spec whose `params:` (or `inputs:`) is shared through
    a YAML anchor (`params: *common`) gets no new declaration: it would be every holder's.

    Safe when every default is known; **unsafe** in a project that loads its own values (a step runs
    `load-config` or `set-values-and-secrets`; the message names it). A value without a known
    default is only reported; with `--unsafe-fixes` it is declared without a default only on a spec
    that other steps run, and the gate applies that only when every one of them passes it. A place
    with a suppression comment is left out of the fix it would share with other places.
"""
from __future__ import annotations

import re

from ..declare import declaration, hash_style
from ..declare import use_inputs as _use_inputs
from ..declare import declared as _declared, prefers_inputs as _file_prefers_inputs
from ..document import entries, get, is_map, is_scalar, is_seq, items, text_value, value
from ..edits import Edit
from ..pattern import mask_aware
from ..problem import SAFE, UNSAFE, Fix, at_node
from ..project import Definition, Project
from ..refs import NAME_CHARS, VALUE_WORDS, interpolations, is_code, whole_ref, word_spans
from .pf005_hardcoded_secret import secret_setting

CODE = "PF001"
NAME = "value-to-param"

# Compiled on first use, so a run over files without values never does.
_NAME = r"[A-Za-z0-9_.\-{MASK}]+"  # placeholder mask characters may be part of a name
_CODE_READ = mask_aware(rf"""\(pt/value\s+["']({_NAME})["']\)|\bpt\.value\(\s*["']({_NAME})["']\s*\)""",
                        needs=("pt/value", "pt.value"))
_INT_KEYS = {"port", "expose-as", "max-restarts"}
_SKIP_KEYS = {"info", "params", "inputs", "name", "id"}


class _Ref:
    """One scalar holding value references."""

    def __init__(self, node, path, names, whole, int_slot):
        self.node, self.path, self.names, self.whole, self.int_slot = node, path, names, whole, int_slot


def check(project: Project, files) -> list:
    problems = []
    for file in files:
        doc = project.docs[file]
        if "pt.value" not in doc.text and "#pt-value" not in doc.text and "pt/value" not in doc.text:
            continue  # most files: no reference, and no regular expression to compile
        prefers_inputs = _file_prefers_inputs(project.definitions[file])
        for d in project.definitions[file]:
            refs, code_reads = [], []
            _walk(d.node, d.path, None, None, refs, code_reads)
            for node, name in code_reads:
                msg = (f"code reads value `{name}`: values are global strings that may be unset; "
                       f"pass it in as a param instead")
                problems.append(at_node(CODE, NAME, msg, file, doc, node, hint="change the code by hand"))
            if refs:
                problems.extend(_problems_for(project, file, doc, d, refs, prefers_inputs))
    return problems


def _walk(node, path, key, parent, refs, code_reads):
    """Collect value references below a spec (keys named in _SKIP_KEYS are documentation or
    declarations, not uses)."""
    if is_map(node):
        for k, v in entries(node):
            kv = value(k)
            if isinstance(kv, str) and kv in _SKIP_KEYS and parent is None:
                continue
            _walk(v, path + (kv,), kv, node, refs, code_reads)
    elif is_seq(node):
        for i, item in enumerate(items(node)):
            _walk(item, path + (i,), None, node, refs, code_reads)
    elif is_scalar(node) and isinstance(node.value, str) and not node.tag.endswith((":int", ":bool", ":null")):
        text = node.value
        if is_code(text):
            for m in _CODE_READ.finditer(text):
                code_reads.append((node, m.group(1) or m.group(2)))
            return
        if node.style in ("|", ">"):
            return  # a block of text (a script, a config file): not a reference
        whole = whole_ref(text)  # any reference: this rule's are those to values
        if whole and whole[0] in VALUE_WORDS:
            slot_int = key in _INT_KEYS or (key == "value" and _env_port(parent))
            refs.append(_Ref(node, path, [whole[1]], whole[0], slot_int))
        else:
            names = [name for word, name in interpolations(text) if word == "pt.value"]
            if names:
                refs.append(_Ref(node, path, names, None, False))


def _env_port(mapping) -> bool:
    name = text_value(get(mapping, "name"))
    return bool(name) and (name.upper() == "PORT" or name.upper().endswith("_PORT"))


def _problems_for(project: Project, file, doc, d: Definition, refs, prefers_inputs):
    use_inputs = _use_inputs(d, prefers_inputs)
    declared = _declared(d)
    # A suppressed place is reported (so its comment counts as used) but left out of every fix.
    fixable = [r for r in refs if not project.suppressed(file, doc.line_col(r.node.start_mark.index)[0], CODE)]
    # name → (type, default or None)
    names: dict[str, tuple[str, object]] = {}
    secrets = set()  # names whose value is a secret: never copied into the file as a default
    for name in dict.fromkeys(n for r in refs for n in r.names):
        is_int = name.endswith("-port") or any(r.int_slot and name in r.names for r in refs)
        kind, default = _type_and_default(project.origin, file, doc, name, is_int)
        if isinstance(default, str) and secret_setting(doc.unmask(name), default):
            secrets.add(name)
            default = None
        names[name] = (kind, default)
    known = {n for n, (_t, dflt) in names.items() if dflt is not None or n in declared}
    loader = project.origin.value_loader(file)
    called = bool(project.callers(d))
    fixes = {True: _fix(project, doc, d, [r for r in fixable if all(n in known for n in r.names)],
                        names, declared, use_inputs, UNSAFE if loader else SAFE),
             # Declared without a default, a param is required: only where a caller can pass it
             # (the gate then checks that every caller does). Never on an entry point.
             False: _fix(project, doc, d, [r for r in fixable if not all(n in known for n in r.names)],
                         names, declared, use_inputs, UNSAFE) if called else None}
    what = "input" if use_inputs else "param"
    out = []
    for r in refs:
        distinct = list(dict.fromkeys(r.names))  # "{pt.value db}-{pt.value db}" names one value
        missing = [n for n in distinct if n not in known]
        fix = fixes[not missing] if r in fixable else None
        shown = ", ".join(f"`{n}`" for n in distinct)
        them = f"them as {what}s" if len(distinct) > 1 else f"it as {'an' if what == 'input' else 'a'} {what}"
        msg = (f"value{'s' if len(distinct) > 1 else ''} {shown} {'are' if len(distinct) > 1 else 'is'} "
               f"global state and always a string: declare {them} "
               f"{'' if missing else 'with a default '}on {d.kind} `{d.name}`")
        unknown = [n for n in missing if n not in secrets]
        if unknown:
            msg += f" (no default known for {', '.join(f'`{n}`' for n in unknown)}: set one in config/values.yml or --values FILE)"
        if len(unknown) < len(missing):
            msg += (f" (the value of {', '.join(f'`{n}`' for n in missing if n in secrets)} holds a secret: no default "
                    f"copied into the file; keep it in the secret store and use `pt.secret`)")
        if loader:
            msg += f" (unsafe: `{loader.owner.name}` runs `{loader.ref}`: this project sets values per environment)"
        if fix:
            hint = ""
        elif missing and not called:
            hint = f"set a default for {', '.join(missing)} in the values file: nothing runs {d.kind} `{d.name}` that could pass it"
        else:
            hint = f"declare the {what} by hand"
        out.append(at_node(CODE, NAME, msg, file, doc, r.node, fix, hint=hint))
    return out


def _type_and_default(origin: Project, file: str, doc, name: str, is_int: bool):
    """The param's type and default, from the values file, else from the project as it was read."""
    default = origin.values.get(doc.unmask(name)) if origin.values else None
    if default is None:
        default = _project_default(origin, file, name)
    if isinstance(default, bool):
        return "bool", default
    if is_int:
        if isinstance(default, int) or (isinstance(default, str) and re.fullmatch(r"[0-9]+", default)):
            return "int", int(default)
        if default is not None:
            return "str", str(default)
        return "int", None
    if isinstance(default, str) and default in ("true", "false"):
        return "bool", default == "true"
    return "str", None if default is None else str(default)


def _project_default(origin: Project, file: str, name: str):
    """What the project says a `<x>-host` / `<x>-hostname` / `<x>-port` value is: the hostname and
    port of the service that answers for `x` (a service id, or what the module or tool `x` runs)."""
    for suffix in ("-hostname", "-host", "-port"):
        if name.endswith(suffix):
            found = origin.service_of(name[: -len(suffix)], file)
            if found is None:
                return None
            host, port = found
            return port if suffix == "-port" else host
    return None


def _fix(project, doc, d: Definition, refs, names, declared, use_inputs, safety):
    if not refs:
        return None
    text = doc.text
    edits, sets = [], []
    kind = "input" if use_inputs else "param"
    # A file written in the older `"#pt-param x"` style keeps it for whole references.
    hashed = kind == "param" and hash_style(text)

    def replacement(prefix: str, whole: bool) -> str:
        return "#pt-param" if prefix == "#pt-value" or (whole and hashed) else f"pt.{kind}"

    for r in refs:
        raw = text[r.node.start_mark.index:r.node.end_mark.index]
        found = _value_words(raw, r.names)
        if len(found) != (1 if r.whole else len(r.names)):
            return None  # escapes or line folding hide the reference: leave it to a human
        pieces, done = [], 0
        for start, end, prefix, space, name in found:
            pieces += [raw[done:start], replacement(prefix, bool(r.whole)), space, name]
            done = end
        new_raw = "".join(pieces) + raw[done:]
        if r.whole and not r.node.style and new_raw.lstrip().startswith("#"):
            new_raw = f'"{new_raw}"'  # a plain scalar starting with `#` would be a comment
        edits.append(Edit(r.node.start_mark.index, r.node.end_mark.index, new_raw))
        new_value, done = "", 0
        for start, end, _spaces_end in word_spans(r.node.value, VALUE_WORDS):
            new_value += r.node.value[done:start] + replacement(r.node.value[start:end], bool(r.whole))
            done = end
        new_value += r.node.value[done:]
        sets.append((r.path, new_value))
    new_names = [n for n in dict.fromkeys(n for r in refs for n in r.names) if n not in declared]
    notes = []
    if new_names:
        decl = declaration(doc, d, [(n, *names[n]) for n in new_names], use_inputs)
        if decl is None:
            return None
        edit, decl_sets = decl
        edits.append(edit)
        sets.extend(decl_sets)
        for n in new_names:
            if names[n][1] is None:  # located at the spec: the declaration lines are new
                notes.append((f"give {kind} `{doc.unmask(n)}` of {d.kind} `{doc.unmask(d.name)}` a default: "
                              f"type: [default, {names[n][0]}, <value>]", d.node.start_mark.index))
    message = f"Declare {', '.join(f'`{n}`' for n in new_names) or 'nothing new'}; use pt.{kind}"
    return Fix(message, safety, edits=edits, sets=sets, notes=notes)


def _value_words(raw: str, names: list[str]) -> list[tuple[int, int, str, str, str]]:
    """Each `pt.value NAME` (or `#pt-value NAME`) in a scalar's source text that reads one of
    `names` whole, not the start of a longer name: (start, end, prefix, spaces, name). One pattern
    for every file, where a pattern per reference cost about 0.1 ms to compile."""
    found: list[tuple[int, int, str, str, str]] = []
    for start, word_end, at in word_spans(raw, VALUE_WORDS):
        if found and start < found[-1][1]:
            continue  # inside the name just read (`pt.value pt.value`)
        for name in names:  # the first that fits, as an alternation of them would
            end = at + len(name)
            if raw.startswith(name, at) and (end == len(raw) or raw[end] not in NAME_CHARS):
                found.append((start, end, raw[start:word_end], raw[word_end:at], name))
                break
    return found


