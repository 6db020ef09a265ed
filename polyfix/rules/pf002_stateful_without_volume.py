"""PF002 stateful-without-volume: a database, broker or cache whose data is gone at the next run.

What it does
    Finds the stateful built-ins (polytope/postgres, postgres!simple, redpanda, couchbase, kafka,
    mailpit) run with no `data-volume` (a bare template step, a `{module: ...}` step,
    a tool step, or a local module deriving from one); a `data-volume` whose `scope` is missing or
    `job`; and `polytope/container` running a well-known database image (postgres, mysql, mariadb,
    mongo, redis, valkey, redpanda, couchbase, elasticsearch, opensearch, clickhouse, rabbitmq) with
    no volume mounted on the image's data path, or one whose scope is not `project`.
    `polytope/redis` (whose arguments no source documents) and images whose data path is not certain
    are reported; they are fixed only where the project's configuration names the module's volume
    argument (`[tool.polyfix.stateful]`, e.g. `"polytope/redis" = "data-volume"`).

Why
    A volume's scope says how long its data lives, and the default, `job`, lasts one run. Without a
    volume, or with a job-scoped one, every restart starts the database, broker or cache empty: data
    written during development disappears without an error. `scope: project` keeps it across runs.

Example
    templates:
      - id: stack
        run:
          - polytope/redpanda

    becomes

    templates:
      - id: stack
        run:
          - redpanda
    modules:
      - id: redpanda
        module: polytope/redpanda
        args:
          data-volume: {type: volume, scope: project, id: redpanda-data}

Fix (safe)
    Old format: a bare built-in step gets a wrapper module in `modules:` (created if missing), named
    after the built-in's service (`redpanda`, `postgres`, ...: other services reach it by that
    hostname; a clear unique id when that one is taken), and the step runs the wrapper. A step or
    module that already passes args gets `data-volume` in those args (a wrapper would receive them as
    its own params, not the built-in's). New format: `data-volume` goes into the step's args
    (`args:` is created when missing). A missing or `job` scope becomes `scope: project` in place.
    Volumes are written as flow maps in the style of the file's other volumes, with the id
    `<name>-data`. Adding a volume only adds persistence (from the next run on, the data survives),
    so the fix is safe; a project that wants to look first sets `extend-unsafe-fixes = ["PF002"]`.
    Args shared through a YAML anchor (`args: &pg {…}` on one module, `args: *pg` on another) are
    reported only: a volume added there would be one volume for every holder. Dependency caches
    (`npm-cache`, `dependency-cache`) are not databases and keep their scope; so is polytope/kafka!connect's `data-volume` (its connector plugins, re-downloadable),
    which is left alone.
"""
from __future__ import annotations

from .. import builtins
from ..declare import double_quoted
from ..document import entries, get, has_merged_keys, is_map, is_scalar, is_seq, is_shared, items, text_value, walk, written_in
from ..edits import (Edit, add_entry, add_list_item, content_end, flow_maps_padded, indent_width, insert_after,
                     item_prefix, list_item_layout)
from ..pattern import plain_word
from ..problem import Fix, at_node
from ..project import UNRESOLVED, Env, Project

CODE = "PF002"
NAME = "stateful-without-volume"

# Official images whose data path is certain (Docker Hub docs of each image).
IMAGE_DATA_PATHS = {
    "postgres": "/var/lib/postgresql/data", "mysql": "/var/lib/mysql", "mariadb": "/var/lib/mysql",
    "mongo": "/data/db", "redis": "/data", "valkey/valkey": "/data",
    "redpandadata/redpanda": "/var/lib/redpanda/data", "couchbase": "/opt/couchbase/var",
    "elasticsearch": "/usr/share/elasticsearch/data", "opensearchproject/opensearch": "/usr/share/opensearch/data",
    "clickhouse/clickhouse-server": "/var/lib/clickhouse", "rabbitmq": "/var/lib/rabbitmq",
}
# Words that mark a stateful image whose data path polyfix does not know (reported only).
_STATEFUL_WORDS = ("postgres", "mysql", "maria", "mongo", "redis", "valkey", "redpanda", "kafka", "couchbase", "minio",
                   "elastic", "opensearch", "clickhouse", "rabbitmq", "cassandra", "neo4j", "influx", "timescale")


def check(project: Project, files) -> list:
    configured = dict(builtins.VOLUME_ARGS)
    configured.update(project.stateful)  # [tool.polyfix.stateful]: module → its volume argument
    problems = []
    for call in project.calls:
        if call.owner.file not in files:
            continue
        name = builtins.normalise(call.ref)
        if name in configured:
            problems.extend(_check_volume_arg(project, call, configured[name]))
        elif name in builtins.UNCONFIRMED_STATEFUL:
            doc = project.docs[call.owner.file]
            problems.append(at_node(CODE, NAME, f"`{call.ref}` may keep data, but no source says which argument "
                                    f"takes its volume: check it, and name it in [tool.polyfix.stateful]",
                                    call.owner.file, doc, call.ref_node, hint="configure its volume argument"))
        elif name == "polytope/container":
            problems.extend(_check_container(project, call))
    return problems


_TYPE_VOLUME = "type: volume"


def _flow_volume_styles(text: str) -> tuple[bool, bool, bool]:
    """Whether a flow map in `text` has `type: volume` after `{ ` (a padded brace, then no brace),
    whether one reads `{id: <no brace or comma>, type: volume` (blanks allowed around `id` and after
    the comma), and whether any has `type: volume` after `{` and no brace (a volume flow map at all).
    Read with str methods, where patterns would be compiled in every run that fixes a volume (0.15 ms,
    a few percent of a small file's check), and in one pass: each `type: volume` looks back only as
    far as the one before it."""
    padded = id_first = found = False
    brace = comma = -1  # the last brace and the last comma before `seen`
    seen = 0
    at = text.find(_TYPE_VOLUME)
    while at >= 0:
        brace = max(brace, text.rfind("{", seen, at), text.rfind("}", seen, at))
        before = at  # `type: volume` follows `,` and blanks?
        while before > 0 and text[before - 1].isspace():
            before -= 1
        if before > 0 and text[before - 1] == ",":
            earlier = max(comma, text.rfind(",", seen, before - 1))  # the comma before that one
        else:
            earlier = None
        comma = max(comma, text.rfind(",", seen, at))
        seen = at
        if brace >= 0 and text[brace] == "{":  # inside a flow map
            found = True
            padded = padded or text[brace + 1] == " "
            if earlier is not None and earlier < brace:  # no comma between `{` and that one
                start = brace + 1
                while text[start].isspace():
                    start += 1
                id_first = id_first or (text.startswith("id: ", start) and start + 4 < before - 1)
        at = text.find(_TYPE_VOLUME, at + 1)
    return padded, id_first, found


def _id_text(vid: str) -> str:
    """A volume id as YAML text, in a flow map or a block one: plain when YAML reads it back as that
    name (the ids polyfix makes from names), else double-quoted (a tool named `a, b` gives `a, b-data`,
    which a flow map would split)."""
    return vid if plain_word(vid) else double_quoted(vid)


def _volume_style(doc) -> tuple[bool, bool, bool | None]:
    """How the file writes volume maps: padded or not (`{ … }`; as most of its flow maps are where it
    has no volume flow map), `id` first or not in a flow one, and, where every volume map is a block
    one, whether the first starts with `id` (None otherwise). Read once per document: a file that gets
    hundreds of volumes read its whole text and walked its whole tree for each."""
    if "volume style" not in doc.memo:
        padded, id_first, found = _flow_volume_styles(doc.text)
        maps = [n for n, *_ in walk(doc.root) if is_map(n)]
        if not found:
            padded = flow_maps_padded(doc.text, maps)
        volumes = [n for n in maps if text_value(get(n, "type")) == "volume"]
        block = (None if not volumes or any(n.flow_style for n in volumes)
                 else text_value(volumes[0].value[0][0]) == "id")
        if not found and block is not None:  # a flow map where the file has only block ones: their order
            id_first = block
        doc.memo["volume style"] = padded, id_first, block
    return doc.memo["volume style"]


def _volume_text(doc, vid: str) -> str:
    """A volume spec in the style of the file's other volume flow maps (_volume_style)."""
    id_first = _volume_style(doc)[1]
    parts = ([f"id: {_id_text(vid)}", "type: volume", "scope: project"] if id_first
             else ["type: volume", "scope: project", f"id: {_id_text(vid)}"])
    return _flow_map(doc, ", ".join(parts))


def _flow_map(doc, entries_text: str) -> str:
    """`{…}` around entries, padded (`{ … }`) as the file writes its volume maps (_volume_style)."""
    return f"{{ {entries_text} }}" if _volume_style(doc)[0] else f"{{{entries_text}}}"


def _block_volume_lines(doc, arg: str, vid: str, col: int, step: int) -> list[str] | None:
    """`arg:` and its volume spec as a block mapping at column `col`, when the file writes its volume
    specs that way (every mapping with `type: volume` is a block one); None otherwise."""
    id_first = _volume_style(doc)[2]
    if id_first is None:
        return None
    keys = [("id", _id_text(vid)), ("type", "volume"), ("scope", "project")]
    if not id_first:
        keys = keys[1:] + keys[:1]
    return [f"{' ' * col}{arg}:"] + [f"{' ' * (col + step)}{k}: {v}" for k, v in keys]


def _check_volume_arg(project: Project, call, arg: str):
    doc = project.docs[call.owner.file]
    env = Env(call.owner)
    node = get(call.args, arg)
    if node is not None:
        found = env.deref(node)
        if found is UNRESOLVED:
            return []  # passed in by callers polyfix cannot see: leave it
        volume, venv = found
        yield from _check_scope(project, volume, venv, f"`{arg}` of `{call.ref}`")
        return
    service = builtins.service_name(call.ref)
    msg = (f"`{call.ref}` runs without `{arg}`: its data is lost when the job ends; "
           f"give it a volume with `scope: project`")
    fix = _add_volume(project, doc, call, arg, service)
    if fix and "is taken" in fix.message:  # say why the wrapper is not named after the service
        msg += f"; the fix names its wrapper module `{fix.sets[0][1]}`, as `{service}` is taken"
    yield at_node(CODE, NAME, msg, call.owner.file, doc, call.ref_node, fix,
                  hint="" if fix else "add the volume by hand")


def _check_scope(project: Project, volume, venv: Env, what: str):
    if not is_map(volume) or text_value(get(volume, "type")) != "volume":
        return
    file = venv.definition.file if venv.definition else None
    if file is None or file not in project.docs:
        return
    doc = project.docs[file]
    scope_node = get(volume, "scope")
    scope = venv.lookup(volume, "scope")
    if scope == "project":
        return
    path = _path_of(project, file, volume)
    if scope_node is None:
        edit = add_entry(doc.text, volume, "scope", "project")
        msg = f"{what} has no `scope`, so it is `job`: the data is lost when the job ends"
        fix = Fix("Add `scope: project`", edits=[edit], sets=[(path + ("scope",), "project")]) if edit and path else None
        yield at_node(CODE, NAME, msg, file, doc, volume, fix, hint="" if fix else "add `scope: project` by hand")
    elif scope == "job" and is_scalar(scope_node) and text_value(scope_node) == "job":
        edit = Edit(scope_node.start_mark.index, scope_node.end_mark.index,
                    doc.text[scope_node.start_mark.index:scope_node.end_mark.index].replace("job", "project"))
        msg = f"{what} has `scope: job`: the data is lost when the job ends"
        fix = Fix("Set `scope: project`", edits=[edit], sets=[(path + ("scope",), "project")]) if path else None
        yield at_node(CODE, NAME, msg, file, doc, scope_node, fix)


def _path_of(project: Project, file: str, target) -> tuple | None:
    """The data path of a node, found by walking the document (nodes do not know their parents)."""
    stack = [(project.docs[file].root, ())]
    while stack:
        node, path = stack.pop()
        if node is target:
            return path
        for k, v in entries(node):
            stack.append((v, path + (text_value(k) if text_value(k) is not None else k.value,)))
        for i, item in enumerate(items(node)):
            stack.append((item, path + (i,)))
    return None


def _volume_id(project: Project, base: str, file: str) -> str:
    """A volume id new to the file's project (its include group): a function of that project alone,
    and distinct for each fix of one check, in the order the calls are found."""
    group = project.groups.get(file, file)
    claimed = project.claimed_volume_ids.setdefault(group, set())
    taken = project.volume_ids(file) | claimed
    vid, n = f"{base}-data", 2
    while vid in taken:
        vid, n = f"{base}-data-{n}", n + 1
    claimed.add(vid)
    return vid


def _add_volume(project: Project, doc, call, arg: str, service: str):
    """The fix giving a stateful call a project-scoped volume (see the module docs for where)."""
    text = doc.text
    step = call.node
    is_module_base = step is call.owner.node
    if not is_module_base and call.owner.kind == "template" and not is_map(call.args) and _bare_or_module_only(step):
        return _wrapper_module(project, doc, call, arg, service)
    vid = _volume_id(project, text_value(get(step, "id")) if not is_module_base and text_value(get(step, "id")) else
                     call.owner.name if is_module_base else service, call.owner.file)
    volume = _volume_text(doc, vid)
    data = {"type": "volume", "scope": "project", "id": vid}
    if _shared_args(doc, call):
        return None
    if is_map(call.args):
        edit = add_entry(text, call.args, arg, volume)
        return Fix(f"Add `{arg}: {volume}`", edits=[edit], sets=[(call.path + ("args", arg), data)]) if edit else None
    if call.args is not None or not is_map(step):
        return None  # `args:` present but not a mapping (null, a reference): leave it
    if step.flow_style:
        edit = add_entry(text, step, "args", _flow_map(doc, f"{arg}: {volume}"))
    else:
        edit = _add_block_args(text, step, arg, volume)
    return Fix(f"Add `args: {{{arg}: {volume}}}`", edits=[edit],
               sets=[(call.path + ("args",), {arg: data})]) if edit else None


def _add_block_args(text: str, step, arg: str, volume: str) -> Edit | None:
    col = step.value[0][0].start_mark.column
    return insert_after(text, step, [f"{' ' * col}args:", f"{' ' * (col + indent_width(step))}{arg}: {volume}"])


def _bare_or_module_only(step) -> bool:
    if is_scalar(step):
        return True
    keys = {text_value(k) for k, _v in entries(step)}
    return keys <= {"module", "id", "run-when"}


def _only_the_volume(module, arg: str) -> bool:
    """Whether a module adds nothing to the built-in it runs but its data volume: running it instead
    of the bare built-in changes nothing else (another image, another volume id would)."""
    args = get(module.node, "args")
    keys = {text_value(k) for k, _v in entries(module.node)}
    return is_map(args) and [text_value(k) for k, _v in entries(args)] == [arg] and keys <= {"id", "module", "args", "info"}


def _wrapper_module(project: Project, doc, call, arg: str, service: str):
    """Old format: add `{id: <service>, module: <built-in>, args: {data-volume: ...}}` to `modules:`
    and point the step at it."""
    text = doc.text
    root = doc.root
    modules = get(root, "modules")
    if modules is not None and (not is_seq(modules) or modules.flow_style):
        return None
    # Names resolve across the files joined by `include:`: a wrapper must not take over a name
    # that one of them defines.
    existing: dict[str, list] = {}
    for f in project.group_files(call.owner.file):
        for d in project.definitions.get(f, []):
            existing.setdefault(d.name, []).append(d)
    wrapper = service
    same = existing.get(wrapper, [])
    reuse = same[0] if len(same) == 1 else None
    if same and not (reuse is not None and reuse.kind == "module" and text_value(get(reuse.node, "module")) == call.ref
                     and _only_the_volume(reuse, arg)):
        wrapper, n = f"{service}-persistent", 2
        while wrapper in existing:
            wrapper, n = f"{service}-persistent-{n}", n + 1
        reuse = None
    ref_edit = Edit(call.ref_node.start_mark.index, call.ref_node.end_mark.index, wrapper)
    ref_path = call.path if is_scalar(call.node) else call.path + ("module",)
    if _named_by_orderings(call, text_value(call.ref_node)):
        return None  # another step waits for this one by its current id
    if reuse is not None:  # a wrapper of the built-in exists: run it (its own volume is checked on its own)
        return Fix(f"Run the wrapper module `{wrapper}`", edits=[ref_edit], sets=[(ref_path, wrapper)])
    vid = _volume_id(project, wrapper, call.owner.file)
    volume = _volume_text(doc, vid)
    data = {"id": wrapper, "module": call.ref, "args": {arg: {"type": "volume", "scope": "project", "id": vid}}}
    layout = list_item_layout(text, root, "modules")
    if layout is None:
        return None
    prefix, col, step = layout
    spec = _block_volume_lines(doc, arg, vid, col + step, step) or [f"{' ' * (col + step)}{arg}: {volume}"]
    add = add_list_item(text, root, "modules", [f"{prefix}id: {wrapper}", f"{' ' * col}module: {call.ref}",
                                                 f"{' ' * col}args:", *spec])
    sets = [(("modules",), [data])] if modules is None else [(("modules", len(modules.value)), data)]
    if add is None:
        return None
    return Fix(f"Run a wrapper module `{wrapper}` with `{arg}: {volume}`"
               + (f" (`{service}` is taken)" if wrapper != service else ""),
               edits=[ref_edit, add], sets=[(ref_path, wrapper)] + sets)


def _named_by_orderings(call, step_id) -> bool:
    """Whether a step of the same run list waits for this one by the id it has now."""
    for step in items(get(call.owner.node, "run")):
        after = get(get(step, "run-when"), "after")
        if text_value(after) == step_id:
            return True
    return False


def _shared_args(doc, call) -> bool:
    """Whether the call's args are shared through a YAML anchor (`args: &pg {…}` on one module,
    `args: *pg` on another), or are an alias: a volume added to them would be every holder's."""
    args = call.args
    return args is not None and (is_shared(doc.text, args) or has_merged_keys(args)
                                 or not written_in(args, call.owner.node))


def _check_container(project: Project, call):
    env = Env(call.owner)
    image = env.lookup(call.args, "image")
    if not isinstance(image, str) or env.lookup(call.args, "cmd") is not None or \
            env.lookup(call.args, "entrypoint") is not None:
        return  # a database image running another command (a client, a migration) keeps no data
    if env.lookup(call.args, "restart", "policy") == "never":
        return
    repo = _image_repo(image)
    data_path = IMAGE_DATA_PATHS.get(repo)
    doc = project.docs[call.owner.file]
    mounts = env.lookup(call.args, "mounts")
    covered = []
    for m in items(mounts) if is_seq(mounts) else []:
        mpath = text_value(get(m, "path"))
        if mpath and data_path and _covers(mpath, data_path):
            covered.append(m)
    if data_path is None:
        if any(word in repo for word in _STATEFUL_WORDS) and not any(
                text_value(get(get(m, "source"), "type")) == "volume" for m in (items(mounts) if is_seq(mounts) else [])):
            yield at_node(CODE, NAME, f"`polytope/container` runs `{image}`, which looks like it keeps data, with no "
                          f"volume mounted: mount one with `scope: project` on its data folder",
                          call.owner.file, doc, get(call.args, "image") or call.ref_node,
                          hint="polyfix does not know this image's data folder")
        return
    if covered:
        for m in covered:
            yield from _check_scope(project, get(m, "source"), env, f"the volume on `{image}`'s data folder")
        return
    vid = _volume_id(project, text_value(get(call.args, "id")) or call.owner.name, call.owner.file)
    volume = _volume_text(doc, vid)
    mount_text = _flow_map(doc, f"path: {data_path}, source: {volume}")
    data = {"path": data_path, "source": {"type": "volume", "scope": "project", "id": vid}}
    fix = None
    mounts_node = get(call.args, "mounts")
    if _shared_args(doc, call) or mounts_node is not None and is_shared(doc.text, mounts_node):
        pass  # shared through an anchor: a volume added here would be every holder's (one volume for two databases)
    elif is_seq(mounts_node) and mounts_node.value:
        edit = _append_item(doc.text, mounts_node, mount_text)
        if edit:
            fix = Fix(f"Mount a project volume on {data_path}", edits=[edit],
                      sets=[(call.path + ("args", "mounts", len(mounts_node.value)), data)])
    elif mounts_node is None and is_map(call.args):
        edit = add_entry(doc.text, call.args, "mounts", f"[{mount_text}]")
        if edit:
            fix = Fix(f"Mount a project volume on {data_path}", edits=[edit],
                      sets=[(call.path + ("args", "mounts"), [data])])
    msg = f"`polytope/container` runs `{image}` with no volume on {data_path}: its data is lost when the job ends"
    yield at_node(CODE, NAME, msg, call.owner.file, doc, get(call.args, "image") or call.ref_node, fix,
                  hint="" if fix else "mount a volume by hand")


def _image_repo(image: str) -> str:
    """`public.ecr.aws/docker/library/postgres:16` → `postgres`; `valkey/valkey:8` → `valkey/valkey`."""
    name = image.split("@", 1)[0]
    tag_at = name.find(":", name.rfind("/") + 1)  # the tag: after the last `/` (a registry may have a port)
    name = name[:tag_at] if tag_at != -1 else name
    parts = name.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    if parts[:2] == ["docker", "library"]:
        parts = parts[2:]
    if parts[:1] == ["library"]:
        parts = parts[1:]
    return "/".join(parts)


def _covers(mount_path: str, data_path: str) -> bool:
    m, d = mount_path.rstrip("/") or "/", data_path.rstrip("/")
    return d == m or d.startswith(m + "/")


def _append_item(text: str, seq, item_text: str) -> Edit | None:
    if seq.flow_style:
        if text[seq.end_mark.index - 1] != "]":
            return None
        last = content_end(seq.value[-1])
        return Edit(last, last, f", {item_text}")
    prefix = item_prefix(text, seq)
    return insert_after(text, seq, [prefix + item_text]) if prefix is not None else None
