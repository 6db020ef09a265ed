"""Which configuration governs which file, and the engine options it gives: reads the
configuration and values files (the I/O half of config.py)."""
from __future__ import annotations

import fnmatch
import os

from . import config, discover, engine
from .document import ParseError, parse
from .problem import SAFE, UNSAFE


def read_config(path, errors: list[str], explicit: bool = False) -> config.Config | None:
    """`path`: a string (as --config gives it), or a path."""
    try:
        cfg = config.parse_toml(discover.read_text(os.fspath(path)), discover.posix(path))
    except (discover.InputError, config.ConfigError) as e:
        errors.append(f"{discover.shown(path)}: error: {e}")
        return None
    if cfg is None and explicit:
        errors.append(f"{discover.shown(path)}: error: has no [tool.polyfix] table")
    return cfg


def _nearest_config(folder: str, errors: list[str], cache: dict) -> config.Config | None:
    """The configuration nearest to a folder, looking up to the file system root; None when that
    file is broken (the error is recorded, and its files are not checked). Plain os.path: every
    run looks in each folder up to the root, and pathlib's objects cost a run 0.1-0.2 ms more."""
    folder = os.path.realpath(folder)
    below = []  # folders with no configuration of their own, nearest first: they get the one above
    while folder not in cache:
        found: config.Config | None | bool = False  # False: none here, look above
        for name in config.CONFIG_FILES:
            candidate = os.path.join(folder, name)
            if os.path.isfile(candidate):
                before = len(errors)
                cfg = read_config(candidate, errors)
                if len(errors) > before:
                    found = None
                    break
                if cfg is not None:
                    found = cfg
                    break
        parent = os.path.dirname(folder)
        if found is False and parent != folder:  # a loop, not a call per folder: paths can be thousands deep
            below.append(folder)
            folder = parent
            continue
        cache[folder] = config.Config() if found is False else found
    for f in below:
        cache[f] = cache[folder]
    return cache[folder]


def by_config(root, targets, forced, isolated, errors) -> list[tuple]:
    """(configuration, its files) pairs: the nearest configuration of each file decides."""
    if forced is not None or isolated:
        return [(forced or config.Config(), targets)]
    groups: dict = {}
    cache: dict = {}
    by_folder: dict = {}  # the targets of a folder share its configuration: resolved once
    for f in targets:
        folder = os.path.dirname(f)
        if folder not in by_folder:
            by_folder[folder] = _nearest_config(folder, errors, cache)
        cfg = by_folder[folder]
        if cfg is None:
            continue
        group = groups.setdefault(id(cfg), (cfg, discover.Targets()))[1]
        group.append(f)
        if f in targets.explicit:
            group.explicit.add(f)
    return list(groups.values())


def excluded(path: str, cfg: config.Config, root: str) -> bool:
    base = os.path.dirname(cfg.path) if cfg.path else root
    rel = os.path.relpath(path, base)
    return any(fnmatch.fnmatch(rel, pat) or fnmatch.fnmatch(rel, pat.rstrip("/") + "/*")
               for pat in cfg.exclude + cfg.extend_exclude)


def options(cfg: config.Config, root: str, cli_select, fix: bool, unsafe_fixes, values_file, errors):
    """engine.Options for the files under one configuration; None after an error."""
    try:
        chosen = config.selected(cfg, *cli_select)
        fixable = (config.codes(cfg.fixable, "fixable") if cfg.fixable is not None else set(config.BY_CODE))
        fixable -= config.codes(cfg.unfixable, "unfixable")
        safety = {c: UNSAFE for c in config.codes(cfg.extend_unsafe_fixes, "extend-unsafe-fixes")}
        safety.update({c: SAFE for c in config.codes(cfg.extend_safe_fixes, "extend-safe-fixes")})
    except config.ConfigError as e:
        errors.append(f"{cfg.path}: error: {e}")
        return None
    base = os.path.dirname(cfg.path) if cfg.path else root
    if values_file is None and cfg.values_file:
        values_file = os.path.join(base, cfg.values_file)
    values = _values(values_file, root, errors)
    if values is None:
        return None
    ignores = [(pat, config.codes(sel, pat)) for pat, sel in cfg.per_file_ignores.items()]

    def ignored(path: str) -> set:
        rel = os.path.relpath(path, base)
        return {c for pat, cs in ignores if fnmatch.fnmatch(rel, pat) for c in cs}

    unsafe = unsafe_fixes if unsafe_fixes is not None else bool(cfg.unsafe_fixes)
    return engine.Options(fix=fix, unsafe_fixes=unsafe, select=frozenset(chosen), fixable=frozenset(fixable),
                          ignored=ignored if ignores else None, values=values, stateful=cfg.stateful,
                          safety=safety, after_on_service=cfg.after_on_service)


def _values(values_file, root: str, errors: list[str]) -> dict | None:
    """The values file's mapping ({} when there is none); None after an error. `values_file`: a
    string (as --values gives it), or a path."""
    if values_file is None:
        path = os.path.join(root, "config", "values.yml")
        if not os.path.isfile(path):
            return {}
    else:  # "" names no file, where as_given would make it "."
        path = os.fspath(values_file) and discover.as_given(os.fspath(values_file))
    try:
        data = parse(discover.read_text(path)).data
    except (discover.InputError, ParseError) as e:
        errors.append(f"{discover.shown(path)}: error: {e}")
        return None
    if data is None:
        return {}
    if not isinstance(data, dict):
        errors.append(f"{path}: error: a values file must be a mapping of value names to values")
        return None
    return {str(k): v for k, v in data.items() if not isinstance(v, (dict, list))}
