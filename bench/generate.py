#!/usr/bin/env python3
"""Generate a repository of Polytope projects for the benchmark: deterministic (a seed), no network.

    python bench/generate.py OUT --files N [--seed S]      # N polytope.yml files in projects
    python bench/generate.py OUT --lines N [--seed S]      # one polytope.yml of about N lines

A repository is a run of projects (`p0000/`, `p0001/`, ...). Each project has a root `polytope.yml`
that `include:`s the folders of its parts (`services/<name>/` in the `tools:` format, `modules/<name>/`
in the older `templates:`/`modules:` format; about a quarter of the projects use the older one).
The files hold what real ones hold: params with types and defaults, block and flow collections, both
sequence indents, comments, multi-line `info:` and `#pt-js` blocks, env lists with references
(`pt.param`, `pt.value`, `pt.secret`, and `#pt-param` in the older format), mounts, ports, restart
policies, databases and brokers, and some of the mistakes polyfix reports (a `pt.value`, a password in
a URL, `localhost`, a missing data volume, a script that is not executable). Python services get a
small `main.py` run by `bin/run` through uvicorn, some of which connect to their database at start-up.
Sizes follow real projects: half the files have fewer than about 55 lines, one in ten more than 150,
a few several hundred.
"""
from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

# ---------------------------------------------------------------------------------------------------
# A small YAML writer: the generator builds plain data and chooses per file how to write it.


class Flow:
    """A mapping or sequence written in flow style: `{ a: 1, b: 2 }`, `[x, y]`."""

    def __init__(self, value):
        self.value = value


class Lit:
    """A multi-line string written as a `|` block."""

    def __init__(self, text: str):
        self.text = text


class Note:
    """A value with a comment after it on the same line (or after its key, for blocks)."""

    def __init__(self, value, comment: str):
        self.value, self.comment = value, comment


SPECIAL_START = tuple("#&*!|>'\"%@`{}[],?:-")
WORDS_NEEDING_QUOTES = {"true", "false", "yes", "no", "on", "off", "null", "~", ""}


def scalar(v, flow: bool = False) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    s = str(v)
    quote = (s.lower() in WORDS_NEEDING_QUOTES or s.startswith(SPECIAL_START) or ": " in s or " #" in s
             or s != s.strip() or s.endswith(":") or _numeric(s) or (flow and any(c in s for c in ",[]{}")))
    if not quote:
        return s
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _numeric(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def inline(v) -> str:
    if isinstance(v, Flow):
        v = v.value
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{k}: {inline(x)}" for k, x in v.items()) + " }" if v else "{}"
        return "[" + ", ".join(inline(x) for x in v) + "]"
    if isinstance(v, (dict, list)):  # nested inside a flow collection
        return inline(Flow(v))
    return scalar(v, flow=True)


def inline_top(v) -> str:
    return inline(v) if isinstance(v, Flow) else scalar(v)


class Writer:
    def __init__(self, indent_sequences: bool):
        self.indent_sequences = indent_sequences
        self.lines: list[str] = []

    def entry(self, head: str, key_indent: int, value) -> None:
        """Write `head` (the line's start up to and including `key:` or `-`) and the value."""
        comment = ""
        if isinstance(value, Note):
            value, comment = value.value, f"   # {value.comment}"
        if isinstance(value, Lit):
            self.lines.append(f"{head} |{comment}")
            for line in value.text.splitlines():
                self.lines.append(" " * (key_indent + 2) + line if line else "")
        elif isinstance(value, dict) and value:
            self.lines.append(head + comment)
            self.block(value, key_indent + 2)
        elif isinstance(value, list) and value:
            self.lines.append(head + comment)
            self.block(value, key_indent + (2 if self.indent_sequences else 0))
        else:
            self.lines.append(f"{head} {inline_top(value) if not isinstance(value, (dict, list)) else inline(value)}"
                              + comment)

    def block(self, value, indent: int) -> None:
        pad = " " * indent
        if isinstance(value, dict):
            for k, v in value.items():
                self.entry(f"{pad}{k}:", indent, v)
            return
        for item in value:
            comment = ""
            if isinstance(item, Note) and isinstance(item.value, dict):
                item, comment = item.value, f"   # {item.comment}"
            if isinstance(item, dict) and item:
                first = True
                for k, v in item.items():
                    head = f"{pad}- {k}:" if first else f"{pad}  {k}:"
                    if first and comment:
                        v = Note(v, comment.strip()[2:]) if not isinstance(v, Note) else v
                    self.entry(head, indent + 2, v)
                    first = False
            else:
                c = ""
                if isinstance(item, Note):
                    item, c = item.value, f"   # {item.comment}"
                self.lines.append(f"{pad}- {inline_top(item)}{c}")


def dump(doc: dict, indent_sequences: bool, header: list[str] = ()) -> str:
    w = Writer(indent_sequences)
    w.lines.extend(f"# {h}" for h in header)
    first = True
    for k, v in doc.items():
        if not first and isinstance(v, (dict, list)):
            w.lines.append("")
        w.entry(f"{k}:", 0, v)
        first = False
    return "\n".join(w.lines) + "\n"


# ---------------------------------------------------------------------------------------------------
# Content

PY_SERVICES = ["api", "backend", "worker", "ingest", "scheduler", "billing", "auth", "search", "notifier",
               "agent", "etl", "reports", "webhooks", "gateway-api", "ml-server", "indexer", "crawler"]
NODE_SERVICES = ["web", "frontend", "admin", "dashboard", "web-app", "docs-site", "storefront", "portal"]
STORES = [  # (builtin, host name, port, env prefix)
    ("polytope/postgres", "postgres", 5432, "POSTGRES"),
    ("polytope/postgres!simple", "postgres", 5432, "POSTGRES"),
    ("polytope/redpanda", "redpanda", 9092, "KAFKA"),
    ("polytope/couchbase", "couchbase", 8091, "COUCHBASE"),
    ("polytope/kafka", "kafka", 9092, "KAFKA"),
    ("polytope/mailpit", "mailpit", 1025, "SMTP"),
]
EXTRAS = ["polytope/redpanda!console", "polytope/kong!simple", "polytope/curity", "polytope/nginx"]
PY_IMAGES = ["python:3.11-slim", "python:3.12-slim-bookworm", "astral/uv:python3.12-bookworm-slim",
             "python:3.11.8-slim-bookworm"]
NODE_IMAGES = ["node:20-slim", "node:21.7.0-slim", "oven/bun:1.1-slim", "node:22-bookworm-slim"]
INFO = ["Runs the {s} service.", "The {s} container, with hot reload in dev mode.",
        "Serves {s} over HTTP.", "Base tool for {s}; the tools below run it with other commands.",
        "Consumes events and writes them to the database ({s}).", "{s}: builds and serves the app."]
LONG_INFO = [
    "Runs {s} in a container.\n\nSet dev-mode to false to run it as in production: no reload,\n"
    "no debug endpoints. The port is also the port it is exposed on.\n",
    "Call {s} with inputs through its HTTP API.\n\nBy default the running container is used.\n"
    "Pass base-url to use another server.\n",
]
MISC_ENV = {
    "OPENAI_API_KEY": ["bench0generated0key0a1b2c3d4"], "STRIPE_SECRET_KEY": ["bench_only_not_a_key_9f8e7d6c"],
    "SENTRY_DSN": ["https://0f1e2d3c@o1.ingest.example.io/42"], "FEATURE_FLAGS": ["beta,search", ""],
    "TZ": ["UTC", "Europe/Stockholm"], "WORKERS": [2, 4, "8"], "CACHE_TTL": [300, "60"],
    "SLACK_WEBHOOK_URL": ["https://hooks.slack.example/T000/B000/XXXX"], "ALLOWED_ORIGINS": ["*", "http://localhost:3000"],
    "S3_BUCKET": ["assets", "uploads-dev"],
}
HELPERS = [  # (suffix, info, cmd)
    ("test", "Runs the unit tests.", "./bin/test"),
    ("lint", "Lints the code.", "./bin/lint"),
    ("format", "Formats the code.", "./bin/format"),
    ("add-dependencies", "Adds packages. Use this instead of editing the dependency file by hand.",
     "./bin/add-deps {pt.param packages}"),
    ("shell", "Opens a shell in the container.", "bash"),
    ("migrate", "Runs the database migrations.", "./bin/migrate"),
    ("seed", "Loads sample data.", "./bin/seed"),
]


class Gen:
    def __init__(self, rng: random.Random, legacy: bool):
        self.rng = rng
        self.legacy = legacy
        self.ref = (lambda kind, name: f"#pt-{kind} {name}") if legacy else (lambda kind, name: f"pt.{kind} {name}")

    def pick(self, seq):
        return self.rng.choice(seq)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def maybe_flow(self, d, p: float = 0.5):
        return Flow(d) if self.chance(p) else d

    # env lists --------------------------------------------------------------------------------------
    def env(self, service: str, stores: list[tuple], frontend: bool) -> list:
        r, ref = self.rng, self.ref
        out = [{"name": "LOG_LEVEL", "value": self.pick(["info", "INFO", "debug", "warn"])}]
        if frontend:
            out.append({"name": "PORT", "value": self.pick([3000, 5173, 8080])})
            out.append({"name": self.pick(["VITE_API_URL", "PUBLIC_API_URL", "REACT_APP_API_BASE_URL"]),
                        "value": self.pick(["http://localhost:4000", "/api", "http://api:4000",
                                            ref("param", "api-url")])})
        else:
            out.append({"name": "HTTP_PORT", "value": ref("param", "port") if self.chance(0.5) else r.choice([3000, 4000, 8000])})
            out.append({"name": "HTTP_AUTORELOAD", "value": ref("param", "dev-mode")})
        for builtin, host, port, prefix in stores:
            roll = r.random()
            if roll < 0.3:
                out.append({"name": f"{prefix}_HOST", "value": ref("value", f"{host}-host")})
            elif roll < 0.55:
                out.append({"name": f"{prefix}_HOST", "value": host})
                out.append({"name": f"{prefix}_PORT", "value": str(port) if self.chance(0.3) else port})
            elif roll < 0.75 and prefix == "POSTGRES":
                out.append({"name": "DATABASE_URL", "value": f"postgresql://app:app-password@{host}:{port}/app"})
            else:
                out.append({"name": f"{prefix}_URL", "value": f"{host}:{port}" if prefix == "KAFKA" else f"{host.split('-')[0]}://{host}:{port}"})
            if prefix in ("POSTGRES", "COUCHBASE") and self.chance(0.7):
                out.append({"name": f"{prefix}_USERNAME", "value": self.pick(["admin", "app", "postgres"])})
                out.append({"name": f"{prefix}_PASSWORD", "value": ref("secret", f"{host}-password")
                            if self.chance(0.6) else self.pick(["password", "s3cret-Passw0rd", ""])})
        for k in r.sample(sorted(MISC_ENV), r.randrange(0, 5)):
            if k.endswith(("_KEY", "_DSN", "_URL")):
                v = ref("secret", k.lower().replace("_", "-")) if self.chance(0.8) else self.pick(MISC_ENV[k])
            else:
                v = self.pick(MISC_ENV[k])
            out.append({"name": k, "value": v})
        flow = self.chance(0.5)
        return [Flow(e) if flow else e for e in out]

    def mounts(self, service: str, node: bool) -> list:
        out = [{"path": "/root/.cache/", "source": {"type": "volume", "scope": "project", "id": "dependency-cache"}}]
        if node:
            out.append({"path": "/root/.npm/", "source": {"type": "volume", "scope": "project", "id": "npm-cache"}})
        if self.chance(0.3):
            out.append({"path": "/config", "source": {"type": "repo", "path": "/config"}})
        flow = self.chance(0.5)
        return [Flow({"path": m["path"], "source": Flow(m["source"])}) if flow else m for m in out]

    def param(self, pid: str, typ, default=None, info: str | None = None) -> dict:
        d = {"id": pid}
        if info:
            d["info"] = info
        d["type"] = Flow(["default", typ, default]) if default is not None else (Flow(typ) if isinstance(typ, list) else typ)
        return self.maybe_flow(d, 0.25)

    # one service -------------------------------------------------------------------------------------
    def service_specs(self, name: str, kind: str, stores: list[tuple], code_path: str, n_helpers: int) -> list[tuple]:
        """The specs (name, body) of one service: its main spec and helpers that run it."""
        r, ref = self.rng, self.ref
        node = kind == "node"
        builtin = "polytope/node" if node else self.pick(["polytope/python", "polytope/python", "polytope/container"])
        port = r.choice([3000, 3001, 4000, 5000, 8000, 8080]) if node else r.choice([4000, 8000, 8080, 9000])
        params = [self.param("cmd", Flow(["either", "str", Flow(["str"])]), "./bin/run", "The command to run."),
                  self.param("dev-mode", "bool", True, "Whether to run in dev mode (hot reload, debugging)."),
                  self.param("port", "int", port, "The port the service listens on.")]
        restart_param = self.chance(0.4)
        if restart_param:
            params.append(self.param("restart-policy", Flow(["enum", "always", "on-failure", "never"]), "always",
                                     "Restart policy for the container."))
        if n_helpers:  # the helpers run this spec under their own container id
            params.append(self.param("id", "str", name, "The container id."))
            params.append(self.param("create", Flow(["enum", "never", "always", "when-missing"]), "when-missing"))
        if self.chance(0.15):
            params.append(self.param("workers", Flow(["maybe", "int"]), None, "How many workers to start."))
        elif self.chance(0.03):
            params.append(self.param("workers", "int", None, "How many workers to start."))  # no default: PF009
        args = {}
        if n_helpers:
            args["id"] = ref("param", "id")
        elif self.chance(0.5):
            args["id"] = name
        args["image"] = self.pick(NODE_IMAGES if node else PY_IMAGES)
        args["code"] = self.maybe_flow({"type": self.pick(["repo", "repo", "host"]), "path": code_path}, 0.6)
        args["cmd"] = ref("param", "cmd")
        args["restart"] = self.maybe_flow(
            {"policy": ref("param", "restart-policy") if restart_param else self.pick(["always", "on-failure"])}, 0.5)
        if self.chance(0.25):
            args["services"] = Lit(f"#pt-js\nparams.cmd === \"./bin/run\"\n  ? [{{ id: \"{name}\", ports: "
                                   f"[{{ protocol: \"http\", port: params.port }}] }}]\n  : null;\n")
        else:
            args["services"] = [Flow({"id": name, "ports": Flow([Flow({"protocol": "http", "port": port})])})]
        args["env"] = self.env(name, stores, node)
        if any(ref("param", "api-url") == (e.value if isinstance(e, Flow) else e)["value"] for e in args["env"]):
            params.append(self.param("api-url", "str", "/api", "Where the browser reaches the API."))
        args["mounts"] = self.mounts(name, node)
        if n_helpers:
            args["create"] = ref("param", "create")
        info = (Lit(self.pick(LONG_INFO).format(s=name)) if self.chance(0.2)
                else self.pick(INFO).format(s=name))
        specs = [(name, {"info": info, "params": params, "builtin": builtin, "args": args})]
        for suffix, hinfo, cmd in r.sample(HELPERS, n_helpers):
            hparams = []
            if "{pt.param packages}" in cmd:
                if self.legacy:
                    cmd = "./bin/add-deps"
                else:
                    hparams = [self.param("packages", "str", None, "Packages to add, comma or space separated.")]
            hargs = {"id": f"{name}-{suffix}"}
            if restart_param:
                hargs["restart-policy"] = "never"
            hargs["cmd"] = cmd
            hargs["create"] = "always"
            specs.append((f"{name}-{suffix}", {"info": hinfo, "params": hparams, "builtin": name, "args": hargs}))
        return specs

    def store_spec(self, store: tuple, name: str) -> tuple:
        builtin, host, port, _ = store
        args = {}
        if self.chance(0.6):
            args["data-volume"] = Flow({"type": "volume", "scope": "project", "id": f"{host}-data"})
        if self.chance(0.5):
            args["services"] = [{"id": host, "ports": Flow([Flow({"port": port})])}]
        if builtin.startswith("polytope/postgres") and self.chance(0.4):
            args["env"] = [Flow({"name": "POSTGRES_DB", "value": "app"})]
        return (name, {"info": f"Runs {host}.", "params": [], "builtin": builtin, "args": args})

    # writing specs in either format -------------------------------------------------------------------
    def tools_doc(self, specs: list[tuple]) -> dict:
        tools = {}
        for name, s in specs:
            body = {"info": s["info"]}
            if s["params"]:
                body["params"] = s["params"]
            step = {"tool": s["builtin"]}
            if s["args"]:
                step["args"] = s["args"]
            body["run"] = [step]
            tools[name] = body
        return {"tools": tools}

    def modules_doc(self, specs: list[tuple]) -> dict:
        modules = []
        for name, s in specs:
            m = {"id": name, "info": s["info"]}
            if s["params"]:
                m["params"] = s["params"]
            m["module"] = s["builtin"]
            if s["args"]:
                m["args"] = s["args"]
            modules.append(m)
        return {"modules": modules}

    def stack_doc(self, runs: list[str], servers: set[str]) -> dict:
        steps = []
        for name in runs:
            if self.legacy:
                step = name
                if self.chance(0.15):
                    step = {"id": name, "module": name}
            else:
                step = {"tool": name}
            if steps and self.chance(0.12):
                prev = runs[runs.index(name) - 1]
                step = dict(step) if isinstance(step, dict) else {"module": step}
                step["after" if not self.legacy else "run-when"] = (
                    Flow({"step": prev}) if not self.legacy else {"after": prev})
                if prev in servers and self.chance(0.5):
                    step = Note(step, f"{name} needs {prev} first")
            if isinstance(step, dict) and not self.legacy:
                step = self.maybe_flow(step, 0.3)
            steps.append(step)
        if self.legacy:
            return {"templates": [{"id": "stack", "run": steps}]}
        return {"tools": {"stack": {"info": "Runs the whole stack.", "run": steps}}}


def python_main(rng: random.Random, stores: list[tuple]) -> str:
    lines = ["import os", "import time", "", "from fastapi import FastAPI", ""]
    body, retry = [], rng.random() < 0.5
    if any(s[3] == "POSTGRES" for s in stores):
        lines.insert(2, "import psycopg")
        call = 'psycopg.connect(os.environ.get("DATABASE_URL", "postgresql://postgres@postgres:5432/app"))'
        if retry:
            body += ["", "def connect():", "    for attempt in range(30):", "        try:",
                     f"            return {call}", "        except psycopg.OperationalError:",
                     "            time.sleep(min(2 ** attempt, 10))", "    raise SystemExit(\"no database\")",
                     "", "", "conn = connect()"]
        else:
            body += ["", f"conn = {call}"]
    body += ["", "app = FastAPI()", "", "", '@app.get("/health")', "def health():",
             '    return {"ok": True}', ""]
    for i in range(rng.randrange(0, 4)):
        body += ["", f'@app.get("/items/{{item_id}}/v{i}")', f"def item_{i}(item_id: int):",
                 f'    return {{"id": item_id, "version": {i}}}', ""]
    return "\n".join(lines + body) + "\n"


SCRIPT_RUN_PY = "#!/bin/sh\nset -e\nexec uvicorn main:app --host 0.0.0.0 --port \"${HTTP_PORT:-8000}\"\n"
SCRIPT_RUN_NODE = "#!/bin/sh\nset -e\nnpm install\nexec npm run dev -- --host 0.0.0.0\n"
SCRIPT_OTHER = "#!/bin/sh\nset -e\necho \"running $0\"\n"


def _write(path: Path, text: str, mode: int | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if mode is not None:
        path.chmod(mode)


def _part_sizes(rng: random.Random) -> tuple[int, int]:
    """(helpers per service, services in the file): most files are small, a few are large."""
    roll = rng.random()
    if roll < 0.45:
        return rng.randrange(0, 2), 1
    if roll < 0.75:
        return rng.randrange(1, 4), 1
    if roll < 0.88:
        return rng.randrange(2, 6), rng.randrange(1, 3)
    return rng.randrange(4, 8), rng.randrange(2, 5)


def _scripts(rng: random.Random, folder: Path, kind: str, specs: list[tuple], stores: list[tuple]) -> None:
    for name, s in specs:
        cmd = str(s["args"].get("cmd", ""))
        if kind == "store":
            continue
        mode = 0o755 if rng.random() < 0.92 else 0o644
        if s["builtin"].startswith("polytope/"):
            _write(folder / "bin" / "run", SCRIPT_RUN_NODE if kind == "node" else SCRIPT_RUN_PY, mode)
            if kind == "python":
                _write(folder / "main.py", python_main(rng, stores))
        elif cmd.startswith("./bin/"):
            _write(folder / cmd.split()[0][2:], SCRIPT_OTHER, mode)


def project(rng: random.Random, root: Path, n_files: int) -> list[Path]:
    """One project of `n_files` polytope.yml files (a root that includes the others)."""
    legacy = rng.random() < 0.25
    g = Gen(rng, legacy)
    indent_sequences = rng.random() < 0.6
    part_dir = "modules" if legacy else "services"
    stores = rng.sample(STORES, rng.randrange(0, 3))
    files, runs, servers, used = [], [], set(), set()

    def fresh(pool: list[str]) -> str:
        name = rng.choice(pool)
        while name in used:
            name = f"{rng.choice(pool)}-{rng.randrange(2, 99)}"
        used.add(name)
        return name

    root_specs = []
    for i in range(n_files - 1):
        roll = rng.random()
        if stores and roll < 0.25:
            store = stores[i % len(stores)]
            name = fresh([store[1]])
            specs, kind = [g.store_spec(store, name)], "store"
        else:
            kind = "node" if roll < 0.5 else "python"
            helpers, count = _part_sizes(rng)
            specs = []
            for _ in range(count):
                name = fresh(NODE_SERVICES if kind == "node" else PY_SERVICES)
                specs += g.service_specs(name, kind, stores, ".", helpers)
        folder = root / part_dir / specs[0][0]
        _scripts(rng, folder, kind, specs, stores)
        doc = g.modules_doc(specs) if legacy else g.tools_doc(specs)
        _write(folder / "polytope.yml", dump(doc, indent_sequences))
        files.append(folder / "polytope.yml")
        runs += [s[0] for s in specs if s[1]["builtin"].startswith("polytope/")]
        servers.update(s[0] for s in specs)
    if n_files == 1 or rng.random() < 0.3:  # some roots also hold a service of their own
        helpers, _ = _part_sizes(rng)
        kind = rng.choice(["python", "node"])
        name = fresh(PY_SERVICES if kind == "python" else NODE_SERVICES)
        root_specs = g.service_specs(name, kind, stores, f"{part_dir}/{name}" if legacy else f"code/{name}", helpers)
        code = root / (f"{part_dir}/{name}" if legacy else f"code/{name}")
        _scripts(rng, code, kind, root_specs, stores)
        runs.append(name)
    for store in stores if not files else []:
        name = fresh([store[1]])
        root_specs.append(g.store_spec(store, name))
        runs.insert(0, name)
    doc = {}
    if files:
        doc["include"] = [f"{part_dir}/{f.parent.name}" for f in files]
    doc.update(g.stack_doc(runs, servers))
    more = g.modules_doc(root_specs) if legacy else g.tools_doc(root_specs)
    if legacy:
        if more["modules"]:
            doc["modules"] = more["modules"]
    else:
        doc["tools"].update(more["tools"])
    header = [rng.choice(["The stack: run it with `pt run stack`.", "Polytope project.",
                          "Everything the app needs to run locally."])] if rng.random() < 0.5 else []
    _write(root / "polytope.yml", dump(doc, indent_sequences, header))
    return [root / "polytope.yml", *files]


def generate(out: Path | str, files: int, seed: int = 0) -> list[Path]:
    """Write `files` polytope.yml files, in projects of 1 to 12 files, under `out`; return their paths."""
    rng = random.Random(seed)
    out = Path(out)
    written: list[Path] = []
    i = 0
    while len(written) < files:
        size = min(files - len(written), rng.choice([1, 1, 2, 3, 3, 4, 5, 6, 8, 12]))
        written += project(rng, out / f"p{i:04d}", size)
        i += 1
    return written


def _add_service(g: Gen, out: Path, i: int, tag: str, stores: list[tuple], specs: list, runs: list) -> None:
    """The i-th service of a single file (every third a node app), its specs added to `specs`, its
    name to `runs` (the stack runs it) and its scripts and code written under `out`/code."""
    kind = "python" if i % 3 else "node"
    name = f"{g.rng.choice(PY_SERVICES if kind == 'python' else NODE_SERVICES)}-{i}{tag}"
    new = g.service_specs(name, kind, stores, f"code/{name}", g.rng.randrange(0, 4))
    _scripts(g.rng, out / "code" / name, kind, new, stores)
    specs += new
    runs.append(name)


def generate_lines(out: Path | str, lines: int, seed: int = 0, legacy: bool = False) -> Path:
    """Write one polytope.yml of about `lines` lines (services, helpers and stores) under `out`."""
    rng = random.Random(seed)
    out = Path(out)
    g = Gen(rng, legacy)
    stores = [STORES[0], STORES[2]]
    specs = [g.store_spec(s, s[1]) for s in stores]
    runs = [s[1] for s in stores]
    i = 0

    def text() -> str:
        doc = g.stack_doc(runs, set())
        more = g.modules_doc(specs) if legacy else g.tools_doc(specs)
        if legacy:
            doc["modules"] = more["modules"]
        else:
            doc["tools"].update(more["tools"])
        return dump(doc, True, ["One large project file."])

    body = text()
    while body.count("\n") < lines:
        _add_service(g, out, i, "", stores, specs, runs)
        body = text()
        i += 1
    path = out / "polytope.yml"
    _write(path, body)
    return path


def generate_repeated(out: Path | str, lines: int, seed: int = 0, unit: int = 100) -> Path:
    """Write one polytope.yml of about `lines` lines made of copies of one project of at least `unit`
    lines (two stores, services, a stack tool running them; about 140 lines for 100), the same in every
    copy but for its names: `-c1`, `-c2`, … on every copy's tools, ids and the hosts its services'
    env names, but the first's. A store runs its built-in under the built-in's own hostname, which has
    no suffix: copy k's services name `redpanda-ck`, where the built-in answers as `redpanda`. That
    changes no finding (each copy has the unit's problems, tested), only what some fixes write. Every
    size has one make-up: the same problems per line, the same share of stores and services, so its
    time per line shows how the work grows with the lines alone."""
    out = Path(out)

    def copy(k: int, services: int) -> dict:
        rng = random.Random(seed)  # the same choices in every copy
        g = Gen(rng, False)
        tag = f"-c{k}" if k else ""
        stores = [(builtin, host + tag, port, prefix) for builtin, host, port, prefix in (STORES[0], STORES[2])]
        specs = [g.store_spec(s, s[1]) for s in stores]
        runs = [s[1] for s in stores]
        for i in range(services):
            _add_service(g, out, i, tag, stores, specs, runs)
        tools = g.tools_doc(specs)["tools"]
        stack = g.stack_doc(runs, set())["tools"]["stack"]
        return {"stack" + tag: stack, **tools}

    services, unit_text = 0, ""
    while unit_text.count("\n") < unit:
        services += 1
        unit_text = dump({"tools": copy(0, services)}, True)
    per_copy = unit_text.count("\n")
    tools: dict = {}
    for k in range(max(1, round(lines / per_copy))):
        tools.update(copy(k, services))
    path = out / "polytope.yml"
    _write(path, dump({"tools": tools}, True, ["One large project file, of copies of one project."]))
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    group = ap.add_mutually_exclusive_group(required=True)
    group.add_argument("--files", type=int, help="number of polytope.yml files")
    group.add_argument("--lines", type=int, help="one file of about this many lines")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--legacy", action="store_true", help="with --lines: the templates:/modules: format")
    a = ap.parse_args(argv)
    if a.files is not None:
        paths = generate(a.out, a.files, a.seed)
    else:
        paths = [generate_lines(a.out, a.lines, a.seed, a.legacy)]
    n = sum(p.read_text().count("\n") for p in paths)
    print(f"{len(paths)} polytope.yml files ({n} lines; scripts and Python code beside them) under {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
