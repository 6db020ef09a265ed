"""PF005 hardcoded-secret: a password, token or key written into the spec instead of a secret.

What it does
    Finds literal secrets in modules, templates and tools: the value of an env variable or an
    argument whose name holds a secret (`*PASSWORD*`, `*SECRET*`, `*TOKEN*`, `*API_KEY*`, a
    `password:` argument of a built-in such as `polytope/curity` or couchbase's `!init-cluster`, and
    `*_KEY` when the value looks like a key: long, with letters and digits); a password inside a URL
    (`postgres://user:pass@host`); a token on a command line (`--authtoken=…`,
    `ngrok config add-authtoken …`, `--token`, `--password`, `--api-key`; not `--password X` where
    PostgreSQL's clients (`psql`, `pg_dump`, …), pgcli or MySQL's clients run: their `--password`
    takes no value, or one after `=` only, and makes them ask for the password, as documented at
    postgresql.org/docs/current/app-psql.html and dev.mysql.com/doc/refman/8.0/en/connecting.html);
    a password given to MySQL's or MariaDB's clients glued to `-p` (`mysql -uroot -pS3cret`; `-p`
    alone asks for it), or to redis-cli after `-a` or `--pass` (redis.io/docs/latest/develop/tools/cli/),
    only where those programs run the command (elsewhere `-p` is a port or a path); a secret-named param's
    default (reported only). Skipped: an empty string (people blank a secret so a stack starts
    before it is set), references (`pt.secret x`, `pt.param x`, `${VAR}`), code (`#pt-js …`) and
    documented placeholders (`...`, `xxx`, `<your-key>`, `changeme`, `your-api-key`, `TODO`).
    Names such as `TOKEN_ENDPOINT` or `API_KEY_ID` end in a word that is not a secret: skipped.

Why
    A secret in `polytope.yml` is in every clone and in the repository's history, and it is the same
    in every environment. Polytope keeps secrets in its secret store (`pt secret set NAME VALUE`),
    out of the files; a spec reads one with `pt.secret NAME`.

Example
    env:
      - { name: COUCHBASE_PASSWORD, value: 'cb-dev-pw' }

    becomes

    env:
      - { name: COUCHBASE_PASSWORD, value: pt.secret couchbase-password }

    and `--write` on a terminal prints `pt secret set couchbase-password cb-dev-pw`, the one line to run.

Fix
    **Unsafe** (the run needs the secret to be set first): the literal becomes `pt.secret <name>`
    (`"#pt-secret <name>"` in a file written in that style); inside a URL or command only the secret
    part becomes `{pt.secret <name>}`. The name is the variable or argument in kebab case
    (`CLIENT_SECRET` → `client-secret`); a bare `password`/`token` argument is prefixed with the
    module it configures (`couchbase-password`, `curity-password`); one name never stands for two
    different values in a project. Block scalars and param defaults are reported only.

    The value never appears in polyfix's output except in that `pt secret set` line, and that only
    on a terminal: it is masked in every report format and in `--dry-run` diffs that do not go to a
    terminal. So `--write` takes a secret out of a file only on a terminal, where that line can be
    shown; off one (a pipe, CI, a hook without a terminal) the literal stays, and the problem says
    `not fixed here: off a terminal…`: run `polyfix --write --unsafe-fixes` in a terminal. A
    `--dry-run` shows the change either way.
"""
from __future__ import annotations

import functools
import re

from ..declare import hash_style, whole_reference
from ..document import get, is_map, items, text_value, value
from ..edits import Edit
from ..pattern import LETTERS_DIGITS, camel_split, has_mask_chars, kebab, on_first_use, runs
from ..problem import UNSAFE, Fix, at_node
from ..project import Project
from ..refs import has_reference, is_code, names_read

CODE = "PF005"
NAME = "hardcoded-secret"

# Words of a secret's name (in the upper-case, underscored form `_label_kind` reads).
_SECRET_WORDS = ("PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN", "APIKEY", "API_KEY", "ACCESSKEY", "ACCESS_KEY",
                 "PRIVATEKEY", "PRIVATE_KEY", "AUTHKEY", "AUTH_KEY")
# A last word that makes the name about something else than the secret itself (TOKEN_ENDPOINT).
_NOT_SECRET_END = {"ENDPOINT", "URL", "URI", "HOST", "HOSTNAME", "PORT", "PATH", "FILE", "DIR", "TYPE", "METHOD",
                   "NAME", "ID", "USER", "USERNAME", "EXPIRY", "EXPIRES", "TTL", "LIFETIME", "LENGTH", "HEADER",
                   "ALGORITHM", "ALG", "ENABLED", "REQUIRED", "PREFIX", "FIELD", "COOKIE", "ISSUER", "AUDIENCE"}
_KEY_CHARS = frozenset(LETTERS_DIGITS + "+/=_.-")


def _keylike(v: str) -> bool:
    """Long enough for a key, in a key's characters, with letters and digits: what the pattern
    `(?=.*[0-9])(?=.*[A-Za-z])[A-Za-z0-9+/=_.\\-]{16,}` matches whole."""
    return (len(v) >= 16 and _KEY_CHARS.issuperset(v) and any(c in "0123456789" for c in v)
            and any(c.isalpha() for c in v))
_PLACEHOLDER = on_first_use(r"\.\.\.|…|x{3,}|\*{3,}|<[^<>]+>|^\s*(?:change[-_ ]?me|replace[-_ ]?me|todo|tbd|placeholder|"
                            r"dummy|example|none|null|your[-_ ].*|your[A-Z].*|insert[-_ ].*)\s*$", re.I)
# A reference with a mistyped prefix (`pt.sceret api-token`, `#pt-secrets x`): PF025's to fix, no secret.
_REFERENCE_SHAPED = on_first_use(r"#?pt[.\-][A-Za-z]+\s+[^\s{}]+", needs=("pt",))
_ENV_VARIABLE = on_first_use(r"\$\{?[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}?", needs=("$",))  # $DB_PASSWORD, ${TOKEN:-x}
_URL_PASSWORD = on_first_use(r"[A-Za-z][A-Za-z0-9+.\-]*://[^/\s:@{}]*:([^@\s/{}]+)@", needs=("@",))
# A secret in a URL's query string: `?api_key=…`, `&token=…`; up to a quote too, which closes the
# URL in a command (`--source 'https://…?token=x'`): the quote is the shell's, not the secret's.
_URL_QUERY = on_first_use(r"[?&](?:api[_-]?key|apikey|access[_-]?token|token|secret|password|key)=([^&#\s{}'\"]+)", re.I,
                          needs=("=",))
_CMD_NEEDS = ("--auth", "--token", "--password", "--api", "add-authtoken")  # not `--verbose`: 0.2 ms to compile
_CMD_TOKEN = on_first_use(r"(?:--(?:auth-?token|token|password|api-?key)[= ]|add-authtoken\s+)['\"]?([^\s\"'{}]+)",
                          needs=_CMD_NEEDS)
_CMD_FLAG = on_first_use(r"--(auth-?token|token|password|api-?key)=?$|^add-authtoken$", needs=_CMD_NEEDS)
# Commands that run the command that follows them (its options and arguments between).
_RUNNERS = frozenset(("sudo", "env", "exec", "nohup", "time", "timeout", "nice", "sh", "bash", "zsh", "dash", "docker",
                      "podman", "kubectl", "su", "runuser", "gosu", "su-exec", "xargs", "command"))
# PostgreSQL's clients (and pgcli) take `--password` (`-W`) alone: it makes them ask for the
# password, and the word after it is another argument (`pg_dump --password mydb` dumps the database
# mydb). MySQL's and MariaDB's take a value only after `=` (`--password=x`), else they ask for it.
_PASSWORD_PROMPTERS = frozenset(("psql", "pg_dump", "pg_dumpall", "pg_restore", "createdb", "dropdb", "createuser",
                                 "dropuser", "vacuumdb", "reindexdb", "clusterdb", "pg_basebackup", "pg_receivewal",
                                 "pg_recvlogical", "pgbench", "pgcli", "mysql", "mysqldump", "mysqladmin", "mysqlimport",
                                 "mysqlshow", "mysqlcheck", "mysqlpump", "mariadb", "mariadb-dump", "mariadb-admin"))

# MySQL's and MariaDB's clients take a password glued to `-p` (`-pS3cret`); redis-cli's is the word
# after `-a` or `--pass`. Other programs' `-p` and `-a` are ports, paths, flags.
_MYSQL_CLIENTS = frozenset(p for p in _PASSWORD_PROMPTERS if p.startswith(("mysql", "mariadb")))
_REDIS_CLIENTS = frozenset(("redis-cli", "valkey-cli", "keydb-cli"))
_SHORT_OPTION_CLIENTS = ("mysql", "mariadb", "redis-cli", "valkey-cli", "keydb-cli")  # all of them hold one
_SHORT_PASSWORD = on_first_use(r"(?<!\S)(-p|(?:-a|--pass)\s+)(['\"]?)([^\s\"'{}]+)", needs=("-p", "-a", "--pass"))


class _Found:
    def __init__(self, node, path, secret, name, whole, what):
        self.node, self.path, self.secret, self.name, self.whole, self.what = node, path, secret, name, whole, what


def check(project: Project, files) -> list:
    problems = []
    for file in files:
        doc = project.docs[file]
        found = [f for d in project.definitions[file] for f in _secrets_in(doc, d)]
        if not found:
            continue
        names = _unique_names(project, file, found)
        hashed = hash_style(doc.text, ("param", "secret", "value"))
        for f in found:
            name = names[id(f)]
            fix = None if f.whole is None else _fix(doc, f, name, hashed)
            msg = f"{f.what} is a hard-coded secret: keep it in the secret store and use `pt.secret {name}`"
            hint = "" if fix else f"run `pt secret set {name} <value>` and use the secret by hand"
            p = at_node(CODE, NAME, msg, file, doc, f.node, fix, hint=hint)
            p.secret = (name, f.secret)
            p.secret_at = (f.node.start_mark.index, f.node.end_mark.index)
            if f.whole is not True:  # a part of a string: what else it holds, found once this is fixed
                p.hidden = tuple(x for x in _literals_in(f.node.value) if x != f.secret)
            problems.append(p)
    return problems


def _secrets_in(doc, d):
    """The secret literals below a definition, in document order (found once per document)."""
    memo = doc.memo.setdefault(CODE, {})
    if d.path not in memo:
        memo[d.path] = _find(doc, d)
    return memo[d.path]


def _find(doc, d):
    out = []
    for node, path, key, parent in doc.scalars(d.path):
        rel = path[len(d.path):]
        if not rel or rel[0] == "info" or not isinstance(node.value, str) or is_code(node.value):
            continue
        v = value(node)
        if not isinstance(v, str) or not v.strip():
            continue  # "" blanks a secret on purpose; numbers and booleans are settings
        if rel[0] in ("params", "inputs"):
            if key == "default" or (len(rel) >= 4 and rel[-2] == "type" and rel[-1] == 2):
                pid = rel[1] if rel[0] == "inputs" else text_value(get(_at(d.node, rel[:2]), "id"))
                if isinstance(pid, str) and _secret_name(pid, v) and not _skipped(v):
                    out.append(_Found(node, path, v, _kebab(pid), None, f"the default of param `{pid}`"))
            continue
        env_name = text_value(get(parent, "name")) if key == "value" and is_map(parent) else None
        if env_name is None and isinstance(key, str) and len(rel) >= 2 and rel[-2] == "env":
            env_name = key  # env as a mapping
        label = env_name or (key if isinstance(key, str) else None)
        if label and _secret_name(label, v) and not _skipped(v):
            what = f"env `{label}`" if env_name else f"`{label}`"
            out.append(_Found(node, path, v, _secret_id(label, d, rel), True, what))
            continue
        # Below, each secret a string holds is checked on its own (`_skipped`): a reference next
        # to it (one fixed in an earlier pass) does not hide the next one.
        # The first URL whose password is written out: one read from the environment before it
        # (`postgres://a:$PGPASS@…`) does not hide it.
        m = next((u for u in _URL_PASSWORD.finditer(v)
                  if not _skipped(u.group(1)) and not _from_environment(u.group(1))), None)
        if m:
            base = re.sub(r"[-_](URL|URI|DSN|CONNECTION[-_]STRING)$", "", label or "", flags=re.I)
            name = _kebab(base) + "-password" if base else _context(d, rel) + "-password"
            where = f"env `{label}`" if env_name else f"`{label}`" if label else "a string"
            what = f"the password in the URL of {where}"
            out.append(_Found(node, path, m.group(1), name, False, what))
            continue
        queried = [q for q in _URL_QUERY.finditer(v) if not _skipped(q.group(1))]
        if queried:
            base = re.sub(r"[-_](URL|URI|ENDPOINT)$", "", label or "", flags=re.I)
            for q in queried:
                kind = _kebab(q.group(0)[1:].split("=", 1)[0])
                name = f"{_kebab(base) or _context(d, rel)}-{kind}"
                secret, clear = _through_quotes(v, q.start(1), q.end(1))
                out.append(_Found(node, path, secret, name, False if clear else None,
                                  f"the `{kind}` in the query of a URL"))
            continue
        if "cmd" in rel:
            found_here = _cmd_tokens(v)  # every secret on the line, not only the first
            at = rel[-1]  # a list's item has no key: its index ends its path
            if not found_here and isinstance(at, int) and at > 0:  # a list cmd: [--token, X]
                words = items(_at(d.node, rel[:-1]))
                before = [text_value(w) or "" for w in words[:at]]
                prev = before[-1]
                if (_CMD_FLAG.search(prev) and (prev.endswith("=") or not v.lstrip().startswith("-"))
                        and not _asks_for_it(before, prev)):
                    found_here.append((v.strip(), prev, _program(before), True))
                elif prev in ("-a", "--pass") and _client(before, _REDIS_CLIENTS):
                    found_here.append((v.strip(), "--password", _client(before, _REDIS_CLIENTS), True))
                elif v.startswith("-p") and len(v.strip()) > 2 and _client(before, _MYSQL_CLIENTS):
                    found_here.append((v.strip()[2:], "--password", _client(before, _MYSQL_CLIENTS), True))
            for token, flag_text, program, clear in found_here:
                if _skipped(token) or _shell_variable(token):
                    continue
                flag = re.search(r"auth-?token|token|password|api-?key", flag_text)
                kind = flag.group(0).replace("-", "") if flag else "token"
                program = program.rsplit("/", 1)[-1].replace("_", "-")  # named after the program that takes it
                name = f"{program if re.fullmatch(r'[a-z][a-z0-9-]*', program) else _context(d, rel)}-{kind}"
                what = {"password": "password", "apikey": "API key", "authtoken": "auth token"}.get(kind, "token")
                whole = token == v.strip() if clear else None
                out.append(_Found(node, path, token, name, whole, f"the {what} on this command line"))
    return out


def _cmd_tokens(v: str) -> list[tuple[str, str, str, bool]]:
    """(token, the flag and token as written, the program given it, whether the token ends clearly)
    of each `--token X`-like option of a command line."""
    found = []
    for m in _CMD_TOKEN.finditer(v):
        token, before = m.group(1), m.group(0)[:-len(m.group(1))]
        quote = before[-1] if before[-1] in "'\"" else ""
        if quote and v[m.end():m.end() + 1] != quote:
            continue  # `--password "two words"`: no one-word value
        # After a space, a word that starts with a dash is the next option: `pg_dump --password
        # --dbname …` asks for the password (taking `--dbname` would drop it).
        if token.startswith("-") and not before.rstrip(quote).endswith("="):
            continue
        words = _command_before(v, m.start())
        if not _asks_for_it(words, m.group(0)):
            token, clear = _through_quotes(v, m.start(1), m.end(1), quote_may_close=bool(quote))
            found.append((token, m.group(0), _program(words), clear))
    if not any(client in v for client in _SHORT_OPTION_CLIENTS):
        return found  # the pattern is compiled only for a command line that may run one of them
    for m in _SHORT_PASSWORD.finditer(v):
        option, quote, token = m.groups()
        if quote and v[m.end():m.end() + 1] != quote:
            continue  # `-p"two words"`: no one-word value
        if option.startswith("-a") or option.startswith("--pass"):
            clients = _REDIS_CLIENTS
        else:
            clients = _MYSQL_CLIENTS
        words = _command_before(v, m.start())
        if _client(words, clients) and not token.startswith("-"):
            token, clear = _through_quotes(v, m.start(3), m.end(3), quote_may_close=bool(quote))
            found.append((token, "--password", _client(words, clients), clear))
    return found


def _through_quotes(v: str, start: int, end: int, quote_may_close: bool = True) -> tuple[str, bool]:
    """The secret at v[start:end], which stops at a quote or a brace, and whether it clearly ends
    there. Where the word goes on past the quote (`Kx'9vLm`, a quote of the value or the shell's
    `ab"cd"ef`) or a brace (`Ab12{Ef34}Gh`), where the secret ends is unclear: the whole word is the
    literal, to mask and not to fix. A quote followed by a space closes a quoted URL
    (`'https://…?token=x' --verbose`), unless `quote_may_close` is False (a command's unquoted
    token: `--token Kq9z' with space'` is one shell word)."""
    c, after = v[end:end + 1], v[end + 1:end + 2]
    unclear = c in ("{", "}") or c in ("'", '"') and (
        not quote_may_close or after != "" and not after.isspace() and after not in "'\"&#;|)")
    if unclear:
        stop = end
        quoted = ""  # a quoted part of the word runs to its closing quote, spaces and all
        while stop < len(v) and (quoted or not v[stop].isspace() and v[stop] not in "&#;|"):
            if v[stop] in "'\"" and (not quoted or v[stop] == quoted):
                quoted = "" if quoted else v[stop]
            stop += 1
        return v[start:stop].rstrip("'\""), False
    return v[start:end], True


def _command_before(v: str, at: int) -> list[str]:
    """The words of the shell command `at` stands in (after the last `;`, `&`, `|` or `(`), up to it,
    without quotes, past any `NAME=value` assignments before its program."""
    command = v[:at].replace("\\\n", "  ")  # a line ending in `\` goes on on the next
    for sep in ";&|\n(":
        command = command.rsplit(sep, 1)[-1]
    words = [w.strip("'\"") for w in command.split()]
    while words and "=" in words[0]:
        words.pop(0)
    return words


def _asks_for_it(words: list[str], flag: str) -> bool:
    """Whether `--password` with no `=` is a flag alone here: the command runs a client that then
    asks for the password, as its program (`psql --password`) or under a command that runs another
    (`sudo -u postgres psql …`, `bash -c "pg_dump …`, `docker exec db psql …`). A client named as
    another program's argument (`migrate --driver mysql --password X`) does not count."""
    if not flag.startswith("--password") or flag.startswith("--password="):
        return False
    return _runs(words, _PASSWORD_PROMPTERS)


def _runs(words: list[str], programs: frozenset) -> bool:
    """Whether the command whose words are `words` runs one of `programs`: as its program, or under
    a command that runs another (`sudo -u postgres psql`, `docker exec db mysql`). Looser than
    _client on purpose: here a client means no secret, and a missed one would report a database name."""
    names = [w.rsplit("/", 1)[-1] for w in words]
    if not names:
        return False
    return names[0] in programs or names[0] in _RUNNERS and any(n in programs for n in names[1:])


# Commands that run the next one, with their options that take a value (`sudo -u postgres`): the
# secret of `sh -c "./sync --token X"` is named after `sync`, not `sh`.
_WRAPPERS = {"sh": (), "bash": (), "zsh": (), "dash": (), "env": ("-u", "-C"), "exec": ("-a",), "nohup": (),
             "time": ("-f", "-o"), "command": (), "nice": ("-n",), "sudo": ("-u", "-g", "-C", "-D", "-h", "-p", "-U")}


def _program(words: list[str]) -> str:
    """The program of a command line past the wrappers that run it (`sudo -u app env X=1 ./sync`
    runs `./sync`); the first word where that is unclear."""
    i = 0
    while i < len(words) and words[i].rsplit("/", 1)[-1] in _WRAPPERS:
        takes_value = _WRAPPERS[words[i].rsplit("/", 1)[-1]]
        i += 1
        while i < len(words) and (words[i].startswith("-") or "=" in words[i]):
            i += 2 if words[i] in takes_value else 1
    return words[i] if i < len(words) else words[0] if words else ""


def _runs_a_string(option: str) -> bool:
    """A shell's `-c` (`-lc`, `-ec`): the next word is the command it runs, not the option's value."""
    return option.startswith("-") and not option.startswith("--") and option.endswith("c") and option[1:].isalpha()


def _client(words: list[str], programs: frozenset) -> str:
    """The client of `programs` a command runs, by which the secret it takes is named; "" when it runs
    none. It is the command's program, or a word after a command that runs another (`sh -c`, `docker
    exec db`) that is no option's value (`docker run --name mysql` names a container) and no
    relative path (`svc/mysql` is a Kubernetes service)."""
    if not words:
        return ""
    if words[0].rsplit("/", 1)[-1] in programs:
        return words[0]
    if words[0].rsplit("/", 1)[-1] not in _RUNNERS:
        return ""
    for before, word in zip(words, words[1:]):
        name = word.rsplit("/", 1)[-1] if word.startswith("/") else word
        if name in programs and (before == "--" or not before.startswith("-") or _runs_a_string(before)):
            return word
    return ""


def _literals_in(v: str) -> list[str]:
    """Every secret literal a string holds, of every kind (`_find` reports one a pass): URL
    passwords, URL query secrets and command-line tokens."""
    # Each kind skips what `_find` skips for it: a URL password only when it is a whole `$VAR`
    # (`$ecret!` is a password), a command's token when the shell expands it (`$(cat …)`).
    found = [m.group(1) for m in _URL_PASSWORD.finditer(v) if not _from_environment(m.group(1))]
    found += [_through_quotes(v, m.start(1), m.end(1))[0] for m in _URL_QUERY.finditer(v)]
    found += [token for token, *_how in _cmd_tokens(v) if not _shell_variable(token)]
    return [x for x in dict.fromkeys(found) if not _skipped(x)]


def _shell_variable(token: str) -> bool:
    """Whether a command line's token is a shell variable (`$PW`), quoted too (`"$PW"`, `\\"$PW\\"`
    in a block scalar, where a backslash is the shell's)."""
    return token.lstrip("\\\"'").startswith("$")


def _from_environment(password: str) -> bool:
    """A URL password the shell reads from a variable (`$PGPASS`, `${PGPASS}`); `$ecret!` is none."""
    return bool(re.fullmatch(r"\$\{?\w+\}?", password))


def _at(node, rel):
    for part in rel:
        node = items(node)[part] if isinstance(part, int) else get(node, part)
    return node


def secret_setting(label: str, v: str) -> bool:
    """Whether a setting of that name and value holds a secret (PF001 and PF009 copy no such value
    into a file as a param's default): by its name, or inside it (a URL's password or query secret,
    a command line's token)."""
    return _secret_name(label, v) and not _skipped(v) or bool(_literals_in(v))


def _secret_name(label: str, v: str) -> bool:
    kind = _label_kind(label)
    return kind is True or (kind == "key" and _keylike(v.strip()))


@functools.lru_cache(maxsize=4096)  # labels repeat (PORT, NAME, HOST …): each is read once
def _label_kind(label: str) -> bool | str:
    """True for a secret's name, "key" for one that is a secret when its value looks like a key."""
    name = "_".join(runs(camel_split(label, "_"), LETTERS_DIGITS)).upper()
    if name.rsplit("_", 1)[-1] in _NOT_SECRET_END:
        return False
    if any(word in name for word in _SECRET_WORDS):
        return True
    return "key" if name == "KEY" or name.endswith("_KEY") else False


def _skipped(v: str) -> bool:
    """References, documented placeholders and scaffold placeholders (`{{ db-password }}`, masked
    while parsing) are no secrets."""
    s = v.strip()
    return (not s or has_reference(s) or (_may_be_placeholder(s) and bool(_PLACEHOLDER.search(s)))
            or has_mask_chars(s) or bool(_ENV_VARIABLE.fullmatch(s)) or bool(_REFERENCE_SHAPED.fullmatch(s)))


_PLACEHOLDER_STARTS = ("change", "replace", "todo", "tbd", "placeholder", "dummy", "example", "none", "null", "your",
                       "insert")


def _may_be_placeholder(s: str) -> bool:
    """False where _PLACEHOLDER cannot match the stripped text `s`: it is costly to compile, and
    most values are ruled out by these plain tests (ASCII only, where lower() is what re.I does)."""
    if not s.isascii():
        return True
    low = s.lower()
    return "..." in s or "xxx" in low or "***" in s or "<" in s or low.startswith(_PLACEHOLDER_STARTS)


def _kebab(label: str) -> str:
    return kebab(camel_split(label, "-"))


_GENERIC = {"password", "passwd", "secret", "token", "api-key", "apikey", "key", "auth-token", "access-key",
            "private-key", "admin-password", "root-password", "client-secret"}


def _secret_id(label: str, d, rel) -> str:
    name = _kebab(label)
    return f"{_context(d, rel)}-{name}" if name in _GENERIC and "." not in label and "_" not in label else name


def _context(d, rel) -> str:
    """What a bare `password` configures: the module or tool that the nearest step (or the module
    itself) runs, as a short name (`polytope/couchbase!init-cluster` → `couchbase`), else the spec."""
    node, ref = d.node, None
    for part in (None, *rel):
        if part is not None:
            node = items(node)[part] if isinstance(part, int) else get(node, part)
        if is_map(node):
            ref = text_value(get(node, "module")) or text_value(get(node, "tool")) or ref
    short = ref.split("@", 1)[0].split("!", 1)[0].rsplit("/", 1)[-1] if ref else ""
    return _kebab(short) or _kebab(d.name)


def _unique_names(project: Project, file: str, found) -> dict:
    """id(found) → its secret name. One name never stands for two values in the file's include
    group, nor for a secret the group already reads (`pt.secret x`): where it would, the name is
    prefixed with the spec where that value first appears, then numbered. Places with the same
    value under the same name share one name."""
    group = project.group_files(file)
    taken = {name for f in group for name in names_read(project.docs[f].text, ("pt.secret", "#pt-secret"))}
    first_owner: dict[str, dict[str, str]] = {}  # name → value → the spec where it first appears
    for other in group:
        for d in project.definitions.get(other, []):
            for f in _secrets_in(project.docs[other], d):
                first_owner.setdefault(f.name, {}).setdefault(f.secret, _kebab(d.name))
    chosen: dict[tuple, str] = {}  # (name, value) → the name given, in the group's order
    used = set(taken)
    for name, values in first_owner.items():
        for secret, owner in values.items():
            candidate = name if len(values) == 1 and name not in taken else f"{owner}-{name}"
            n, unique = 2, candidate
            while unique in used:
                unique, n = f"{candidate}-{n}", n + 1
            chosen[(name, secret)] = unique
            used.add(unique)
    return {id(f): chosen[(f.name, f.secret)] for f in found}


def _fix(doc, f: _Found, name: str, hashed: bool) -> Fix | None:
    node = f.node
    if node.style in ("|", ">"):
        return None
    raw = doc.text[node.start_mark.index:node.end_mark.index]
    if "\n" in raw:
        return None  # a folded line: leave it to a human
    if f.whole:
        new_raw = whole_reference("secret", name, hashed)
        new_value = f"#pt-secret {name}" if hashed else f"pt.secret {name}"
    else:
        if raw.count(f.secret) != 1 or node.value.count(f.secret) != 1:
            return None
        ref = f"{{pt.secret {name}}}"
        new_value = node.value.replace(f.secret, ref)
        if node.style in ('"', "'"):
            new_raw = raw.replace(f.secret, ref)
        else:  # quoted: a plain `{` would start a flow mapping
            new_raw = '"' + new_value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    edit = Edit(node.start_mark.index, node.end_mark.index, new_raw)
    return Fix(f"Use `pt.secret {name}`", UNSAFE, edits=[edit], sets=[(f.path, new_value)],
               notes=[(f"pt secret set {name} <value>", node.start_mark.index)])
