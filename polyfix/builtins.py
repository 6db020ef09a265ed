"""What polyfix knows of the built-in `polytope/*` and `pt/*` modules.

Sources: the built-in modules' specs published by the Polytope and Bluetext teams (see
docs/polytope.md). Every container-based module blocks until its container exits, so a step
running one never finishes: a long-running SERVICE. Modules documented as finishing (init, create, scaffold, scripts) are JOBs. Anything the
sources do not settle is UNKNOWN, and rules never act on UNKNOWN.
"""
from __future__ import annotations

from .pattern import on_first_use

SERVICE, JOB, UNKNOWN = "service", "job", "unknown"

# Container-based modules that run a server image: they never finish, whatever their restart policy.
_SERVERS = {
    "polytope/postgres", "polytope/postgres!simple", "polytope/redpanda", "polytope/redpanda!console",
    "polytope/redpanda!connect", "polytope/couchbase", "polytope/kafka", "polytope/kafka!connect",
    "polytope/kafka!schema-registry", "polytope/kafka!control-center", "polytope/mailpit",
    "polytope/curity", "polytope/kong", "polytope/kong!simple", "polytope/nginx", "polytope/jupyter",
    "polytope/tensorboard",
}
# Container-based modules that run the caller's command: a service unless `restart: {policy: never}`
# says the command is meant to run once. These also take `code:` and `cmd:` (PF004).
COMMAND_RUNNERS = {"polytope/container", "polytope/python", "polytope/python!simple", "polytope/node"}
# Documented as finishing.
_JOBS = {
    "polytope/couchbase!init-cluster", "polytope/couchbase!create-bucket", "polytope/couchbase!cbq",
    "polytope/couchbase!cli", "polytope/kafka!create-connectors", "polytope/scaffold", "pt/run-script",
    "polytope/noop", "polytope/hello-world", "polytope/build-image", "polytope/send-slack-message",
    "polytope/create-project",
}


# hostname → (the built-in that serves it, its default port), where the sources fix both.
DEFAULT_PORTS = {
    "postgres": ("polytope/postgres", 5432), "redpanda": ("polytope/redpanda", 9092),
    "couchbase": ("polytope/couchbase", 8091), "kafka": ("polytope/kafka", 9092),
    "redpanda-console": ("polytope/redpanda!console", 8079), "kafka-connect": ("polytope/kafka!connect", 8083),
}


DEFAULT_PORT_OF = {module: port for module, port in DEFAULT_PORTS.values()}
DEFAULT_PORT_OF["polytope/postgres!simple"] = 5432

# The stateful built-ins and the argument that takes their volume.
# polytope/kafka!connect also takes a `data-volume`, but it holds the downloaded connector plugins
# (/usr/share/confluent-hub-components), a cache: Connect keeps its state in Kafka topics.
VOLUME_ARGS = {m: "data-volume" for m in (
    "polytope/postgres", "polytope/postgres!simple", "polytope/redpanda", "polytope/couchbase",
    "polytope/kafka", "polytope/mailpit")}
# Used in real projects and surely stateful, but no source documents their volume argument.
UNCONFIRMED_STATEFUL = {"polytope/redis"}


# The hostname (service id) a built-in serves under when its call gives no `id`/`services`, where
# its spec fixes one. Redpanda and postgres!simple hard-code theirs; the others default to it.
SERVICE_HOSTS = {
    "polytope/postgres": "postgres", "polytope/postgres!simple": "postgres", "polytope/redpanda": "redpanda",
    "polytope/redpanda!console": "redpanda-console", "polytope/redpanda!connect": "redpanda-connect",
    "polytope/couchbase": "couchbase", "polytope/kafka": "kafka", "polytope/kafka!connect": "kafka-connect",
    "polytope/kafka!schema-registry": "schema-registry", "polytope/kafka!control-center": "control-center",
    "polytope/mailpit": "mailpit", "polytope/kong!simple": "kong", "polytope/nginx": "nginx",
    "polytope/jupyter": "jupyter", "polytope/tensorboard": "tensorboard",
}
# Built-ins whose hostname is fixed by the module: an `id` arg names the container, not the host.
FIXED_HOSTS = {"polytope/redpanda", "polytope/postgres!simple"}
# The built-in module packages real projects and the published specs use (`polytope/<package>`,
# any `!module` inside one). A `polytope/` name outside this list is no built-in polyfix knows of.
PACKAGES = {
    "container", "python", "node", "postgres", "redpanda", "couchbase", "kafka", "mailpit", "curity",
    "kong", "nginx", "jupyter", "tensorboard", "ngrok", "build-image", "pulumi-cli", "repl",
    "send-slack-message", "create-project", "assistant", "hello-world", "scaffold", "noop", "redis",
}


def package(ref: str) -> str | None:
    """`postgres` for `polytope/postgres!simple@v1`; None for a name outside `polytope/`."""
    name = _name(ref)
    if not name.startswith("polytope/"):
        return None
    return name.split("/", 1)[1].split("!", 1)[0].split(":", 1)[0]


def normalise(ref: str) -> str:
    return _name(ref)


def service_name(ref: str) -> str:
    """The hostname a stateful built-in serves under (the wrapper module's id)."""
    name = _name(ref)
    return SERVICE_HOSTS.get(name, name.split("/", 1)[-1].split("!", 1)[0])


def is_builtin(ref: str) -> bool:
    return ref.startswith(("polytope/", "pt/"))


def base_kind(ref: str) -> str:
    """SERVICE, JOB or UNKNOWN for a built-in module reference (any `@rev` is ignored)."""
    name = _name(ref)
    if name in _SERVERS or name in COMMAND_RUNNERS:
        return SERVICE
    if name in _JOBS:
        return JOB
    return UNKNOWN


def is_command_runner(ref: str) -> bool:
    return _name(ref) in COMMAND_RUNNERS


_REVISION = on_first_use(r"@[^:!]*", needs=("@",))


def _name(ref: str) -> str:
    """`owner/name@rev!module` without the revision."""
    return _REVISION.sub("", ref.strip())
