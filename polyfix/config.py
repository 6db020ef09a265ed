"""Configuration: `[tool.polyfix]` in pyproject.toml, or polyfix.toml / .polyfix.toml (same keys, no
table header), the one nearest to the checked files wins, as in ruff. Pure parsing and validation;
cli.py finds and reads the files."""
from __future__ import annotations

from .record import new, record

from .rules import BY_CODE, BY_NAME

CONFIG_FILES = (".polyfix.toml", "polyfix.toml", "pyproject.toml")
_LIST_KEYS = {"select", "ignore", "extend-select", "fixable", "unfixable", "extend-safe-fixes",
              "extend-unsafe-fixes", "exclude", "extend-exclude"}
KEYS = _LIST_KEYS | {"unsafe-fixes", "per-file-ignores", "values-file", "output-format", "stateful", "after-on-service"}
OUTPUT_FORMATS = ("text", "concise", "json", "json-lines", "github", "sarif", "junit")
AFTER_ON_SERVICE = ("remove", "await-false")  # how PF003 fixes a wait on a service


class ConfigError(Exception):
    """A configuration that cannot be used; the message names the key."""


@record
class Config:
    path: str | None = None
    select: list[str] | None = None
    ignore: list[str] = new(list)
    extend_select: list[str] = new(list)
    fixable: list[str] | None = None
    unfixable: list[str] = new(list)
    extend_safe_fixes: list[str] = new(list)
    extend_unsafe_fixes: list[str] = new(list)
    unsafe_fixes: bool | None = None
    exclude: list[str] = new(list)
    extend_exclude: list[str] = new(list)
    per_file_ignores: dict[str, list[str]] = new(dict)
    values_file: str | None = None
    output_format: str | None = None
    stateful: dict[str, str] = new(dict)
    after_on_service: str = "remove"


def codes(selectors, where: str) -> set[str]:
    """Rule codes for selectors: codes, code prefixes, rule names, or ALL."""
    out: set[str] = set()
    for raw in selectors:
        item = str(raw).strip()
        if not item:
            continue
        if item.upper() == "ALL":
            out.update(BY_CODE)
        elif item in BY_NAME:
            out.add(BY_NAME[item].CODE)
        elif item.upper().startswith("PF") and any(c.startswith(item.upper()) for c in BY_CODE):
            out.update(c for c in BY_CODE if c.startswith(item.upper()))
        else:
            raise ConfigError(f"{where}: unknown rule selector `{item}`")
    return out


def from_table(table: dict, path: str) -> Config:
    """Validate a `[tool.polyfix]` table (or a polyfix.toml document)."""
    cfg = Config(path=path)
    for key, value in table.items():
        where = f"`{key}`"
        if key not in KEYS:
            raise ConfigError(f"unknown key `{key}` (known: {', '.join(sorted(KEYS))})")
        if key in _LIST_KEYS:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{where} must be a list of strings")
            if key not in ("exclude", "extend-exclude"):
                codes(value, where)
            setattr(cfg, key.replace("-", "_"), list(value))
        elif key == "unsafe-fixes":
            if not isinstance(value, bool):
                raise ConfigError(f"{where} must be true or false")
            cfg.unsafe_fixes = value
        elif key == "per-file-ignores":
            if not isinstance(value, dict) or not all(isinstance(v, list) for v in value.values()):
                raise ConfigError(f"{where} must map file patterns to lists of rule codes")
            for pattern, sel in value.items():
                codes(sel, f"{where}.{pattern}")
            cfg.per_file_ignores = {k: list(v) for k, v in value.items()}
        elif key in ("values-file", "output-format"):
            if not isinstance(value, str):
                raise ConfigError(f"{where} must be a string")
            if key == "output-format" and value not in OUTPUT_FORMATS:
                raise ConfigError(f"{where} must be one of {', '.join(OUTPUT_FORMATS)}")
            setattr(cfg, key.replace("-", "_"), value)
        elif key == "after-on-service":
            if value not in AFTER_ON_SERVICE:
                raise ConfigError(f"{where} must be one of {', '.join(f'`{v}`' for v in AFTER_ON_SERVICE)}")
            cfg.after_on_service = value
        elif key == "stateful":
            if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                raise ConfigError(f"{where} must map module references to the name of their volume argument")
            cfg.stateful = dict(value)
    return cfg


def parse_toml(text: str, path: str) -> Config | None:
    """The polyfix configuration in a TOML file's text; None for a pyproject.toml without one."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"not valid TOML ({e})") from None
    if path.endswith("pyproject.toml"):
        table = doc.get("tool", {}).get("polyfix")
        return None if table is None else from_table(table, path)
    return from_table(doc, path)


def selected(cfg: Config, cli_select=(), cli_ignore=(), cli_extend=()) -> set[str]:
    """The rule codes in force: the command line's selection wins over the file's."""
    chosen = codes(cli_select, "--select") if cli_select else (
        codes(cfg.select, "select") if cfg.select is not None else set(BY_CODE))
    chosen |= codes(cfg.extend_select, "extend-select") | codes(cli_extend, "--extend-select")
    chosen -= codes(cfg.ignore, "ignore") | codes(cli_ignore, "--ignore")
    return chosen
