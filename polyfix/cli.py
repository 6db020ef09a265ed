"""The command line: the only place that reads argv, prints, writes files and picks exit codes.

Exit codes (ruff's three): 0 nothing to report; 1 problems remain, or --dry-run would change
something, or --write changed something under --exit-non-zero-on-fix; 2 a usage error, a file that
cannot be read or parsed, or an internal error (one line per file; the other files still run).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from . import __version__, config, discover, engine, report, settings
from .rules import BY_CODE, BY_NAME, RULES
from .document import ParseError, parse
from .project import within


def _codes(values: tuple[str, ...], option: str) -> list[str]:
    """Selectors from repeatable, comma-separable options, checked."""
    items = [item for raw in values for item in raw.split(",") if item.strip()]
    try:
        config.codes(items, option)
    except config.ConfigError as e:
        raise click.BadParameter(str(e).split(": ", 1)[-1], param_hint=option) from None
    return items


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--dry-run", "--diff", "dry_run", is_flag=True, help="Print the diff --write would apply; write nothing.")
@click.option("--write", "--fix", "write", is_flag=True, help="Apply the fixes in place.")
@click.option("--unsafe-fixes", is_flag=True, default=None, help="Also apply fixes marked unsafe.")
@click.option("--exit-non-zero-on-fix", is_flag=True, help="Exit 1 when --write changed anything (for hooks).")
@click.option("--select", multiple=True, metavar="CODES", help="Only these rules (codes, prefixes or names).")
@click.option("--ignore", multiple=True, metavar="CODES", help="Leave out these rules.")
@click.option("--extend-select", multiple=True, metavar="CODES", help="Add these rules to the selection.")
@click.option("--values", "values_file", type=click.Path(path_type=Path), metavar="FILE",
              help="YAML mapping of value names to values: PF001's defaults (else config/values.yml at the project root).")
@click.option("--config", "config_file", type=click.Path(path_type=Path), metavar="PATH",
              help="Use this configuration file (pyproject.toml, polyfix.toml) instead of the nearest one.")
@click.option("--isolated", is_flag=True, help="Ignore all configuration files.")
@click.option("--force-exclude", is_flag=True, help="Apply exclude patterns to files named on the command line too.")
@click.option("--output-format", "--format", "output_format", type=click.Choice(config.OUTPUT_FORMATS),
              envvar="POLYFIX_OUTPUT_FORMAT", help="How to print problems (default: text).")
@click.option("--statistics", is_flag=True, help="Print the number of problems per rule instead of each problem.")
@click.option("--show-fixes", is_flag=True, help="List the fixes --write applied, per file.")
@click.option("--stdin-filename", metavar="PATH", help="With PATH `-`: read the file from stdin, as if it were PATH.")
@click.option("--list-rules", is_flag=True, help="List the rules and exit.")
@click.option("--explain", metavar="RULE", help="Print a rule's documentation and exit.")
@click.version_option(__version__, prog_name="polyfix")
def main(paths, dry_run, write, unsafe_fixes, exit_non_zero_on_fix, select, ignore, extend_select, values_file,
         config_file, isolated, force_exclude, output_format, statistics, show_fixes, stdin_filename, list_rules,
         explain):
    """Find and fix what breaks Polytope projects in polytope.yml files and the scripts they run.

    PATHS are files or folders (default: the current folder); folders are searched for
    polytope.yml / polytope.yaml, and files reached through `include:` are checked too.
    """
    if list_rules:
        click.echo(report.list_rules(RULES), nl=False)
        sys.exit(0)
    if explain:
        rule = BY_CODE.get(explain.upper()) or BY_NAME.get(explain)
        if rule is None:
            raise click.BadParameter(f"no rule `{explain}` (see --list-rules)", param_hint="--explain")
        click.echo(report.explain(rule), nl=False)
        sys.exit(0)
    if dry_run and write:
        raise click.UsageError("--dry-run and --write exclude each other")
    if paths == (Path("-"),) or stdin_filename:
        if paths not in ((), (Path("-"),)) or not stdin_filename:
            raise click.UsageError("read stdin with `-` and --stdin-filename PATH, and no other path")
    cli_select = (_codes(select, "--select"), _codes(ignore, "--ignore"), _codes(extend_select, "--extend-select"))
    errors: list[str] = []
    results = []
    forced = None
    if config_file is not None:
        forced = settings.read_config(config_file, errors, explicit=True)
        if forced is None:
            _finish(errors)
    stdin_text = None
    if stdin_filename:
        stdin_text = sys.stdin.read()
        targets_by_root = {discover.project_root(Path(stdin_filename).resolve()): discover.Targets()}
        next(iter(targets_by_root.values())).append(discover.posix(stdin_filename))
        next(iter(targets_by_root.values())).explicit.add(discover.posix(stdin_filename))
    else:
        targets_by_root = _targets(paths or (Path("."),), errors)
    formats = set()
    for root, targets in targets_by_root.items():
        for cfg, files in settings.by_config(root, targets, forced, isolated, errors):
            files = [f for f in files if not settings.excluded(f, cfg, root) or (f in targets.explicit and not force_exclude)]
            if not files:
                continue
            formats.add(cfg.output_format)
            options = settings.options(cfg, root, cli_select, dry_run or write, unsafe_fixes, values_file, errors)
            if options is not None:
                results.extend(_run_root(root, files, options, errors, stdin_text).values())
    fmt = output_format or next((f for f in formats if f), None) or "text"
    results.sort(key=lambda r: r.path)
    for r in results:
        errors.extend(f"{report.display_path(r.path)}: error: {e}" for e in r.errors)

    if stdin_text is not None:
        _finish_stdin(results, write, dry_run, fmt, errors)
    _report(results, errors, write=write, dry_run=dry_run, fmt=fmt, statistics=statistics, show_fixes=show_fixes,
            exit_non_zero_on_fix=exit_non_zero_on_fix)


def _report(results, errors: list[str], *, write, dry_run, fmt, statistics, show_fixes, exit_non_zero_on_fix):
    """Write the fixes (with --write), print what happened in the chosen format, and exit."""
    problems = [p for r in results for p in r.problems]
    changed = [r for r in results if r.changed]
    color = _color()
    human = []  # lines for people: on stdout with the text formats, else on stderr
    patch = ""
    if dry_run:
        patch = "".join(report.diff(r.path, r.before, r.after, r.old_mode, r.new_mode) for r in changed)
        if color:
            patch = report.colour_diff(patch)
    elif write:
        for r in changed:
            failure = _write(r)
            if failure:
                errors.append(f"{report.display_path(r.path)}: error: {failure}")
            else:
                human.append(report.fixed_line(r.path, r.fixed))
    notes = list(dict.fromkeys(n for r in changed for n in r.notes))
    if write and notes:
        human.append("Still to do by hand:\n" + "\n".join(f"  {n}" for n in notes))
    if show_fixes and (write or dry_run):
        human.append(report.show_fixes(changed).rstrip("\n"))
    fixable = sum(1 for p in problems if p.fix and p.fix.applicability == "safe")
    unsafe = sum(1 for p in problems if p.fix and p.fix.applicability != "safe")
    fixed = sum(sum(r.fixed.values()) for r in changed)
    closing = report.summary(len(problems), fixable, unsafe, fixed, "write" if write else "report")
    if dry_run:
        closing = f"Would fix {fixed} problem{'s' * (fixed != 1)}; {len(problems)} remaining."
    if errors:
        if closing == "All checks passed!":
            closing = "No problems in what could be checked."
        closing += f" {len(errors)} error{'s' * (len(errors) != 1)} (below)."
    listing = _listing(problems, fmt, statistics, color)
    machine = fmt not in ("text", "concise") and not statistics
    text_out = "\n".join(h for h in human if h)
    if dry_run:
        click.echo(patch, nl=False, color=color)
        click.echo((listing if not machine else "") + closing, err=True, color=color)
        if machine:
            click.echo(listing, nl=False)
    elif machine:
        click.echo(listing, nl=False)
        if text_out:
            click.echo(text_out, err=True)
    else:
        body = (text_out + "\n" if text_out else "") + listing
        click.echo(body + ("" if fmt == "concise" else closing), nl=fmt != "concise" or not body, color=color)
    _finish(errors, bool(problems or (dry_run and changed) or (write and exit_non_zero_on_fix and changed)))


def _listing(problems, fmt: str, statistics: bool, color) -> str:
    if statistics:
        return report.statistics(problems)
    if fmt == "json":
        return report.as_json(problems)
    if fmt == "json-lines":
        return report.as_json_lines(problems)
    if fmt == "github":
        return report.as_github(problems)
    if fmt == "sarif":
        return report.as_sarif(problems, RULES, __version__)
    if fmt == "junit":
        return report.as_junit(problems)
    lines = [report.problem_line(p) for p in problems]
    if color:
        lines = [report.colour_problem(line) for line in lines]
    return "".join(line + "\n" for line in lines)


def _color() -> bool | None:
    """Colour on a terminal only; NO_COLOR turns it off, FORCE_COLOR on (no-color.org, force-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return True if sys.stdout.isatty() else None


def _finish_stdin(results, write: bool, dry_run: bool, fmt: str, errors: list[str]):
    """--stdin-filename: the fixed text (with --write) or the diff (--dry-run) or the report, on stdout."""
    problems = [p for r in results for p in r.problems]
    result = next((r for r in results if r.before is not None), None)
    if result is None:
        _finish(errors)
    if write:
        click.echo(result.after, nl=False)
        for p in problems:
            click.echo(report.problem_line(p), err=True)
    elif dry_run:
        click.echo(report.diff(result.path, result.before, result.after, None, None), nl=False)
    else:
        click.echo(_listing(problems, fmt, False, None), nl=False)
    _finish(errors, bool(problems) or (dry_run and result.after != result.before))


def _finish(errors: list[str], failed: bool = False):
    for e in errors:
        click.echo(e, err=True)
    sys.exit(2 if errors else 1 if failed else 0)


def _targets(paths, errors: list[str]) -> dict[str, discover.Targets]:
    """Root → the files to check under it."""
    by_root: dict[str, discover.Targets] = {}
    for path in paths:
        if not path.exists():
            errors.append(f"{path}: error: no such file or folder")
            continue
        root = discover.project_root(path)
        targets = by_root.setdefault(root, discover.Targets())
        if path.is_dir():
            files = discover.find_files(path)
            if not files:
                click.echo(f"warning: no polytope.yml or polytope.yaml under {path}", err=True)
        elif discover.is_script(path):  # pre-commit passes staged bin/ files: check the polytope files above
            files = discover.context_files(discover.posix(path), root)
        else:
            files = [discover.posix(path)]
            targets.explicit.add(files[0])
        targets.extend(f for f in files if f not in targets)
    return by_root


def _memo_parse():
    """document.parse, remembering each text's outcome: include discovery and the engine share it."""
    seen: dict[str, object] = {}

    def parse_once(text: str):
        if text not in seen:
            try:
                seen[text] = parse(text)
            except ParseError as e:
                seen[text] = e
        if isinstance(seen[text], ParseError):
            raise seen[text]
        return seen[text]

    return parse_once


def _run_root(root: str, targets: list[str], options, errors: list[str], stdin_text: str | None = None) -> dict:
    parse = _memo_parse()
    texts: dict[str, str] = {}
    readable = []
    for t in targets:
        try:
            texts[t] = stdin_text if stdin_text is not None else discover.read_text(t)
            readable.append(t)
        except discover.InputError as e:
            errors.append(f"{report.display_path(t)}: error: {e}")
    readable += [f for f in discover.include_closure(readable, texts, root, parse) if f not in readable]
    for t in readable:
        for c in discover.context_files(t, root):
            if c not in texts:
                try:
                    texts[c] = discover.read_text(c)
                except discover.InputError:
                    pass
    discover.include_closure(list(texts), texts, root, parse)
    reader = discover.make_reader(root) if stdin_text is None else None  # stdin: only that one file is ours to fix
    results = engine.run(texts, readable, root, discover.make_probe(root), options, parse, reader)
    for r in results.values():
        real = Path(os.path.realpath(r.path)).as_posix()
        if r.after != r.before and not within(real, Path(os.path.realpath(root)).as_posix()):
            r.errors.append("is a link to a file outside the project: not fixed")
            r.after = r.before
    return results


def _write(r: engine.FileResult) -> str | None:
    """Write one result atomically (text, then mode); a failure message, or None."""
    try:
        if r.after is not None and r.after != r.before:
            real = os.path.realpath(r.path)
            _atomic_write(real, r.after.encode("utf-8"))
        if r.new_mode is not None and r.new_mode != r.old_mode:
            os.chmod(r.path, r.new_mode)
            discover.record_mode_in_index(r.path, bool(r.new_mode & 0o100))
    except OSError as e:
        return f"not written: {e.strerror or e}"
    return None


def _atomic_write(path: str, data: bytes) -> None:
    """Write through a temporary file in the same folder, keeping the mode; a link is written
    through (its target is replaced), never replaced by a file."""
    import tempfile  # only when writing: it costs a noticeable part of a check's start-up

    if Path(path).read_bytes() == data:
        return
    mode = os.stat(path).st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".polyfix-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


if __name__ == "__main__":  # pragma: no cover
    main()
