"""The command line: the only place that reads argv, prints, writes files and picks exit codes.

Exit codes (ruff's three): 0 nothing to report; 1 problems remain, or --dry-run would change
something, or --write changed something under --exit-non-zero-on-fix; 2 a usage error, a file that
cannot be read or parsed, or an internal error (one line per file; the other files still run).
"""
from __future__ import annotations

import gc
import os
import re
import stat
import sys
import zlib
from collections.abc import Callable, MutableMapping

from . import __version__, config, discover, engine, parts, report, settings
from .rules import BY_CODE, BY_NAME, RULES
from .document import ParseError, is_map, is_scalar, parse
from .project import within


class UsageError(Exception):
    """A wrong command line; the click command prints it with the usage (`param_hint`: the option)."""

    def __init__(self, message: str, param_hint: str | None = None):
        super().__init__(message)
        self.param_hint = param_hint


def _codes(values: tuple[str, ...], option: str) -> list[str]:
    """Selectors from repeatable, comma-separable options, checked."""
    items = [item for raw in values for item in raw.split(",") if item.strip()]
    try:
        config.codes(items, option)
    except config.ConfigError as e:
        raise UsageError(str(e).split(": ", 1)[-1], param_hint=option) from None
    return items


def __getattr__(name: str):
    """`polyfix.cli.main`, the click command, is built on first use: a plain run never imports click."""
    if name == "main":
        from .command import main

        return main
    raise AttributeError(name)


# A plain run: paths and on/off flags. Anything else (help, options with values, `-`, `server`,
# the POLYFIX_OUTPUT_FORMAT variable, shell completion) goes to the click command, which has the final word.
_FLAGS = {"--dry-run": "dry_run", "--diff": "dry_run", "--write": "write", "--fix": "write",
          "--unsafe-fixes": "unsafe_fixes", "--exit-non-zero-on-fix": "exit_non_zero_on_fix",
          "--isolated": "isolated", "--force-exclude": "force_exclude", "--statistics": "statistics",
          "--show-fixes": "show_fixes"}
DEFAULTS = dict(paths=(), dry_run=False, write=False, unsafe_fixes=None, exit_non_zero_on_fix=False, select=(),
                ignore=(), extend_select=(), values_file=None, config_file=None, isolated=False,
                force_exclude=False, output_format=None, statistics=False, show_fixes=False, stdin_filename=None,
                list_rules=False, explain=None)


def plain_arguments(argv: list[str]) -> dict | None:
    """run()'s arguments for a plain command line, as the click command would parse them; None for
    any other (tests/test_cli.py holds the two to the same result)."""
    if "POLYFIX_OUTPUT_FORMAT" in os.environ or "_POLYFIX_COMPLETE" in os.environ or argv[:1] == ["server"]:
        return None
    arguments = dict(DEFAULTS)
    paths = []
    for arg in argv:
        if arg in _FLAGS:
            arguments[_FLAGS[arg]] = True
        elif arg.startswith("-") or not arg:
            return None
        else:
            paths.append(arg)
    if arguments["dry_run"] and arguments["write"]:
        return None
    arguments["paths"] = tuple(paths)
    return arguments


def _aborted() -> None:
    """Ctrl-C: as click ends on it, `Aborted!` and exit 1 (it does not return)."""
    _echo("\nAborted!", err=True)
    sys.exit(1)


def _click_main() -> None:
    """The click command; Ctrl-C while click loads ends it as it does later."""
    try:
        from .command import main
    except KeyboardInterrupt:
        _aborted()
    main()


def entry() -> None:
    """The `polyfix` command: a plain run without click's import (a third of a one-file run's time),
    anything else through the click command."""
    arguments = plain_arguments(sys.argv[1:])
    if arguments is None:
        _click_main()
        return
    try:
        run(**arguments)
    except UsageError:  # raised before anything is read or printed: click says it with the usage
        _click_main()
    except KeyboardInterrupt:
        _aborted()
    except BrokenPipeError:  # `polyfix | head`: the reader left; as click does, quietly
        sys.stdout = None
        sys.exit(1)


_output_failed: list[Exception] = []  # what could not be printed: the run then exits 2


def _echo(message: str | tuple[str, ...] = "", nl: bool = True, err: bool = False, color: bool | None = None) -> None:
    """Print as click.echo does: ANSI styles only where colour is on (or, unsaid, on a terminal). A
    message in pieces is printed piece by piece: a big report is not copied into one string."""
    stream = sys.stderr if err else sys.stdout
    if stream is None:
        _output_failed.append(OSError(f"std{'err' if err else 'out'} is closed"))
        return
    pieces = (message,) if isinstance(message, str) else message
    plain = color is False or (color is None and not _isatty(stream))
    try:
        write = _writer(stream)
        for text in (*pieces, "\n" * nl):
            write(re.sub(r"\x1b\[[0-9;]*m", "", text) if plain and "\x1b[" in text else text)
        stream.flush()
    except BrokenPipeError:
        raise
    except (OSError, ValueError) as e:  # closed (`>&-`) or full (`>/dev/full`): the run still ends as it must
        _output_failed.append(e)
        _discard(stream)


def _writer(stream) -> Callable[[str], object]:
    """stream.write, or, where the parent left the descriptor non-blocking, a write that waits while
    its pipe is full. Python's buffered writer drops, without an error, what such a pipe cannot take
    at once (a slow reader got the first 64 KiB of a report, and exit code 1). The flag belongs to
    the descriptor the parent shares, so it is left as it is."""
    try:
        fd = stream.fileno()
        if os.get_blocking(fd):
            return stream.write
    except (AttributeError, OSError, ValueError):  # not a file (a test's buffer), or closed
        return stream.write
    import select

    stream.flush()  # nothing is left in it: every message is flushed
    encoding, errors = stream.encoding, stream.errors or "strict"

    def write(text: str) -> None:
        data = memoryview(text.encode(encoding, errors))
        while data:
            try:
                data = data[os.write(fd, data):]
            except BlockingIOError:
                select.select([], [fd], [])

    return write


def _discard(stream) -> None:
    """Send what a failed stream still buffers to the null device: Python flushes it again at exit,
    and a second failure there would end the run with exit code 120 and a message of its own."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, stream.fileno())
        os.close(null)
    except (OSError, ValueError):  # no file descriptor to redirect (a closed or replaced stream)
        pass


def run(paths, dry_run, write, unsafe_fixes, exit_non_zero_on_fix, select, ignore, extend_select, values_file,
        config_file, isolated, force_exclude, output_format, statistics, show_fixes, stdin_filename, list_rules,
        explain):
    """Find and fix what breaks Polytope projects in polytope.yml files and the scripts they run
    (the command's arguments, parsed; exits with the command's exit code)."""
    if list_rules:
        _echo(report.list_rules(RULES), nl=False)
        _finish([])
    if explain:
        rule = BY_CODE.get(explain.upper()) or BY_NAME.get(explain)
        if rule is None:
            raise UsageError(f"no rule `{explain}` (see --list-rules)", param_hint="--explain")
        _echo(report.explain(rule), nl=False)
        _finish([])
    if dry_run and write:
        raise UsageError("--dry-run and --write exclude each other")
    paths = tuple(str(p) for p in paths)  # as typed: `./-` is a folder named `-`, and `-` is stdin
    if paths == ("-",) or stdin_filename:
        if paths not in ((), ("-",)) or not stdin_filename:
            raise UsageError("read stdin with `-` and --stdin-filename PATH, and no other path")
    cli_select = (_codes(select, "--select"), _codes(ignore, "--ignore"), _codes(extend_select, "--extend-select"))
    errors: list[str] = []
    results = []
    identities: dict[str, tuple] = {}  # file → discover.identity() when read: --write checks it again
    forced = None
    if config_file is not None:
        forced = settings.read_config(config_file, errors, explicit=True)
        if forced is None:
            _finish(errors)
    stdin_text = None
    if stdin_filename:
        try:
            if sys.stdin is None:  # started with standard input closed (`<&-`)
                raise OSError("it is closed")
            stdin_text = sys.stdin.read()
        except (OSError, ValueError) as e:
            _finish([f"{report.escape_text(stdin_filename)}: error: standard input could not be read ({e})"])
        targets_by_root = {discover.project_root(os.path.realpath(stdin_filename)): discover.Targets()}
        next(iter(targets_by_root.values())).append(discover.posix(stdin_filename))
        next(iter(targets_by_root.values())).explicit.add(discover.posix(stdin_filename))
    else:
        targets_by_root = _targets([discover.as_given(p) if p else p for p in paths] or ["."], errors)  # "" is no "."
    formats = set()
    ignores_by_tree: dict = {}  # --force-exclude: work tree → its ignore rules, read once
    for root, targets in targets_by_root.items():
        for cfg, files in settings.by_config(root, targets, forced, isolated, errors):
            files = [f for f in files if not settings.excluded(f, cfg, root) or (f in targets.explicit and not force_exclude)]
            if force_exclude:  # a named file is left out where the search would leave it out (as ruff's)
                files = [f for f in files if f not in targets.explicit or not (
                    discover.in_skipped_folder(f, root) or discover.git_ignored(f, ignores_by_tree))]
            if not files:
                continue
            formats.add(cfg.output_format)
            options = settings.options(cfg, root, cli_select, dry_run or write, unsafe_fixes, values_file, errors)
            if options is not None:
                machine = _machine(output_format or cfg.output_format or "text", statistics)
                options.keep_secrets = write and (stdin_text is not None or not _terminal(err=machine))
                results.extend(_run_root(root, files, options, errors, stdin_text, identities).values())
    fmt = output_format or next((f for f in formats if f), None) or "text"
    results.sort(key=lambda r: r.path)
    for r in results:
        shown = stdin_filename if stdin_text is not None else report.display_path(r.path)
        errors.extend(f"{shown}: error: {e}" for e in r.errors)

    if stdin_text is not None:
        _finish_stdin(results, write, dry_run, fmt, errors, stdin_filename, statistics, stdin_text)
    _report(results, errors, write=write, dry_run=dry_run, fmt=fmt, statistics=statistics, show_fixes=show_fixes,
            exit_non_zero_on_fix=exit_non_zero_on_fix, identities=identities)


def _report(results, errors: list[str], *, write, dry_run, fmt, statistics, show_fixes, exit_non_zero_on_fix,
            identities=None):
    """Write the fixes (with --write), print what happened in the chosen format, and exit."""
    problems = [p for r in results for p in r.problems]
    changed = [r for r in results if r.changed]
    failed: set[str] = set()  # files --write could not write
    unwritten = 0  # the problems their fixes would have fixed: they remain
    color = _color()
    human = []  # lines for people: on stdout with the text formats, else on stderr
    patch = ""
    machine = _machine(fmt, statistics)
    if dry_run:  # the diff goes to stderr beside a machine format: masked unless that is a terminal
        masking = _masking(results)
        patch = "".join(_diff(r, _terminal(err=machine), masking) for r in changed)
        if color:
            patch = report.colour_diff(patch)
    elif write:
        _remove_stale_temp_files(r.path for r in results if r.before is not None)
        failed = _write_all(changed, identities or {}, errors, human)
        unwritten = sum(sum(r.fixed.values()) for r in changed if r.path in failed)
        changed = [r for r in changed if r.path not in failed]
    shown = _terminal(err=machine)  # a secret's value only ever in the `pt secret set` line, on a terminal
    notes = [f"{report.display_path(r.path)}:{line}: {_secret_note(note, r.secrets, shown)}"
             for r in changed for line, note in r.notes]  # each once a file (engine._notes)
    if write and notes:
        human.append("Still to do by hand:\n" + "\n".join(f"  {report.escape_text(n)}" for n in notes))
    if show_fixes and (write or dry_run):
        human.append(report.show_fixes(changed).rstrip("\n"))
    closing = _summary(problems, changed, "write" if write else "dry-run" if dry_run else "report", errors,
                       unwritten, len(failed), checked=bool(results))
    report.mask_problems(problems, _secrets(results))
    listing = _listing(problems, fmt, statistics, color)
    text_out = "\n".join(h for h in human if h)
    if dry_run and machine:  # stdout holds only the machine format: the diff joins the human lines
        _echo((patch, closing), err=True, color=color)
        _echo(listing, nl=False)
    elif dry_run:
        _echo(patch, nl=False, color=color)
        _echo((listing, closing), err=True, color=color)
    elif machine:
        _echo(listing, nl=False)
        if text_out:
            _echo(text_out, err=True)
    else:
        body = (text_out + "\n" if text_out else "", listing)
        if fmt != "concise":
            _echo((*body, closing), color=color)
        elif any(body):  # concise: the problems alone, and nothing at all (no blank line) without any
            _echo(body, nl=False, color=color)
    _finish(errors, bool(problems or (dry_run and changed) or (write and exit_non_zero_on_fix and changed)))


def _summary(problems, changed, mode: str, errors: list[str], unwritten: int = 0, not_written: int = 0,
             checked: bool = True) -> str:
    """The closing line; fixes in files that could not be written count as remaining. `checked`:
    whether any file was read (a bad option value or missing paths can leave nothing to check)."""
    if not checked and errors:
        return report.nothing_checked(len(errors))
    fixable = sum(1 for p in problems if p.fix and p.fix.applicability == "safe")
    unsafe = sum(1 for p in problems if p.fix and p.fix.applicability != "safe")
    fixed = sum(sum(r.fixed.values()) for r in changed)
    return report.summary(len(problems) + unwritten, fixable, unsafe, fixed, mode, len(errors), not_written)


def _machine(fmt: str, statistics: bool) -> bool:
    """Whether stdout holds only a machine-readable format (the human lines go to stderr). The
    statistics are a table for people, but in JSON with `--output-format json`."""
    return fmt not in ("text", "concise") and (not statistics or fmt == "json")


def _listing(problems, fmt: str, statistics: bool, color) -> str:
    if statistics:
        return report.statistics_json(problems) if fmt == "json" else report.statistics(problems)
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


def _terminal(err: bool = False) -> bool:
    return _isatty(sys.stderr if err else sys.stdout)


def _isatty(stream) -> bool:
    """Whether a stream is a terminal; a closed or missing one (`polyfix >&-`) is not."""
    try:
        return stream is not None and stream.isatty()
    except (ValueError, OSError):
        return False


def _secrets(results) -> Callable[[str], set[str]]:
    """File → the secret literals output masks where that file is shown: its include group's, and
    every file's random-looking ones. A word-like secret of one project (`postgres`) is not masked
    in another project's output, where the word means what it says."""
    group = {r.path: r.group or r.path for r in results}  # a project's files show each other's secrets
    own: dict[str, set[str]] = {}
    for r in results:
        own.setdefault(group[r.path], set()).update(r.secrets.values(), r.hidden)
    everywhere = {v for found in own.values() for v in found if report.random_looking(v)}
    memo: dict[str, set[str]] = {}

    def secrets_for(path: str) -> set[str]:
        if path not in memo:
            memo[path] = own.get(group.get(path, path), set()) | everywhere
        return memo[path]

    return secrets_for


def _masking(results) -> tuple[Callable[[str], set[str]], dict[str, str]]:
    """What a diff masks: the secret literals of every file of the run (a file may hold another's
    secret: an included one, a script's argument), and the lines their written forms miss."""
    return _secrets(results), {line: masked for r in results for line, masked in r.secret_lines.items()}


def _diff(r: engine.FileResult, terminal: bool, masking: tuple[Callable[[str], set[str]], dict[str, str]],
          name: str | None = None) -> str:
    """One file's diff; secrets masked (`_masking`) unless it goes to a terminal; `name` replaces the path."""
    if terminal:
        return report.diff(r.path, r.before, r.after, r.old_mode, r.new_mode, name)
    # Every literal is masked on every line of either text that holds it, the same way on both
    # sides: a line both texts share stays one line of context (masking only where a fix put it
    # would turn it into a hunk, with the value in clear on one side). A literal found in a later
    # pass, or not reported yet (the second secret of a string), is masked the same way.
    secrets_for, lines = masking
    literals = secrets_for(r.path)
    shown = report.masked_text(r.before, literals, lines), report.masked_text(r.after, literals, lines)
    return report.diff(r.path, r.before, r.after, r.old_mode, r.new_mode, name,
                       shown if shown != (r.before, r.after) else None)


def _secret_note(note: str, secrets: dict[str, str], shown: bool) -> str:
    """`pt secret set NAME <value>` with the value PF005 took out of the file, on a terminal only."""
    import shlex

    m = re.fullmatch(r"pt secret set (\S+) <value>", note)
    if not shown or not m or m.group(1) not in secrets:
        return note
    return f"pt secret set {m.group(1)} {shlex.quote(secrets[m.group(1)])}"


def _color() -> bool | None:
    """Colour on a terminal only; NO_COLOR turns it off, FORCE_COLOR on (no-color.org, force-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return True if _isatty(sys.stdout) else None


def _finish_stdin(results, write: bool, dry_run: bool, fmt: str, errors: list[str], name: str,
                  statistics: bool = False, text: str = ""):
    """--stdin-filename: the fixed text (with --write) or the diff (--dry-run) on stdout, the problems and
    the summary on stderr; or the report on stdout. The file is shown with its path as given. `text`:
    what was read, printed back as it is by --write when the file was not checked (excluded, or an
    error): an editor puts the output in place of its buffer, and an empty one would wipe it."""
    problems = [p for r in results for p in r.problems]
    result = next((r for r in results if r.before is not None), None)
    if result is None:
        if write:
            _echo(text, nl=False)
        _finish(errors)
    closing = _summary(problems, [result] if result.changed else [], "write" if write else "dry-run" if dry_run else "report",
                       errors)
    report.mask_problems(problems, _secrets(results))
    lines = "".join(report.problem_line(p, name if p.file == result.path else None) + "\n" for p in problems)
    if statistics:  # beside the fixed text or the diff, as with files: the table instead of the lines
        lines = _listing(problems, fmt, statistics, None)
    if write:
        _echo(result.after, nl=False)
        _echo(lines + closing, err=True)
    elif dry_run and _machine(fmt, statistics):  # as with files: stdout holds only the machine format
        result.old_mode = result.new_mode = None
        _echo(_diff(result, _terminal(err=True), _masking(results), name), nl=False, err=True)
        _echo(closing, err=True)
        _echo(_listing(problems, fmt, statistics, None), nl=False)
    elif dry_run:
        result.old_mode = result.new_mode = None
        _echo(_diff(result, _terminal(), _masking(results), name), nl=False)
        _echo(lines + closing, err=True)
    else:  # the report, its problems named as given (text) or in its format (the statistics too)
        listing = (lines if fmt in ("text", "concise") and not statistics
                   else _listing(problems, fmt, statistics, None))
        if _machine(fmt, statistics):
            _echo(listing, nl=False)
        else:
            _echo(listing + ("" if fmt == "concise" else closing), nl=fmt != "concise" or not listing)
    _finish(errors, bool(problems) or (dry_run and result.after != result.before))


def _finish(errors: list[str], failed: bool = False):
    for e in errors:  # one line each, whatever the file names hold
        _echo(report.escape_text(e), err=True)
    if _output_failed:
        _echo(f"error: the output could not be printed ({_output_failed[0]})", err=True)
        sys.exit(2)
    sys.exit(2 if errors else 1 if failed else 0)


def _targets(paths, errors: list[str]) -> dict[str, discover.Targets]:
    """Root → the files to check under it. A root inside another one given (folders outside a git
    work tree: `polyfix a/b a`) is that one's: its files are checked once, as with `polyfix a`."""
    by_root: dict[str, discover.Targets] = {}
    for path in paths:
        try:
            os.stat(path)
        except OSError as e:  # os.path.exists() would answer False for all of these (a name too long too)
            errors.append(f"{discover.shown(path)}: error: {discover.os_error_text(e)}")
            continue
        root = discover.project_root(path)
        targets = by_root.setdefault(root, discover.Targets())
        if os.path.isdir(path):
            files = discover.find_files(path)
            if not files:
                _echo(f"warning: no polytope.yml or polytope.yaml under {path}", err=True)
        elif discover.is_script(path):  # pre-commit passes staged bin/ files: check the polytope files above
            files = discover.context_files(discover.posix(path), root)
        else:
            files = [discover.posix(path)]
            targets.explicit.add(files[0])
        targets.extend(files)
    at = {os.path.abspath(root): root for root in by_root}
    outer: dict[str, str] = {}  # a root inside another → the outermost one
    for path, root in at.items():
        parent = os.path.dirname(path)
        while parent != path:
            if parent in at:
                outer[root] = at[parent]
            path, parent = parent, os.path.dirname(parent)
    for root, into in outer.items():
        inner = by_root.pop(root)
        by_root[into].extend(inner)
        by_root[into].explicit |= inner.explicit
    _once_each(by_root)
    return by_root


def _once_each(by_root: dict[str, discover.Targets]) -> None:
    """Each file once, in the order first given: a path given twice, or a file reached by two paths
    (a symlink beside it, a folder given through a link), which is checked at its real path where
    that is one of them. Checked twice, a file was reported twice and `--write` failed on its own
    first write."""

    def file_of(path: str):
        try:
            st = os.stat(path)
        except OSError:  # its error comes when it is read
            return path
        return st.st_dev, st.st_ino

    def preferred(root_path: tuple[str, str]) -> tuple[bool, bool]:
        # Its real path; else a path that is no link itself (the folders above may be links).
        path = root_path[1]
        return os.path.realpath(path) != path, os.path.islink(path)

    checked: dict = {}  # file → the (root, path) it is checked as
    for root, targets in by_root.items():
        for path in targets:
            key = file_of(path)
            other = checked.setdefault(key, (root, path))
            if other != (root, path) and preferred((root, path)) < preferred(other):
                checked[key] = (root, path)
    kept = set(checked.values())
    for root, targets in by_root.items():
        targets[:] = [path for path in dict.fromkeys(targets) if (root, path) in kept]
        targets.explicit &= set(targets)


def _memo_parse(shared: Callable | None = None, includes_only: bool = False):
    """document.parse, remembering each text's outcome: include discovery and the engine share it.
    With `shared` (another memo), what that one parsed is taken from it and the rest kept here: a
    part of the tree keeps its own documents, which go when the part is done. With `includes_only`,
    a document keeps only its `include:` list, which is all that discovery reads (in a big tree
    each part parses its own files, and memory holds no more than one part's documents)."""
    seen: dict[str, object] = {}

    def parse_once(text: str):
        if shared is not None and text in shared.seen:
            return shared(text)
        if text not in seen:
            try:
                seen[text] = _includes_of(parse(text)) if includes_only else parse(text)
            except ParseError as e:
                seen[text] = e
        if isinstance(seen[text], ParseError):
            raise seen[text]
        return seen[text]

    parse_once.seen = seen
    return parse_once


def _includes_of(doc):
    """The document with nothing at its top but its `include:` entry."""
    import copy

    if is_map(doc.root):
        root = copy.copy(doc.root)
        root.value = [(k, v) for k, v in root.value if is_scalar(k) and k.value == "include"]
        doc = type(doc)(doc.text, root, None, doc.placeholders, doc.bom)
    return doc


def _jobs() -> int | None:
    """POLYFIX_JOBS: the number of processes to check a tree in, when set to one."""
    given = os.environ.get("POLYFIX_JOBS", "").strip()
    if not given:
        return None
    if given.isascii() and given.isdigit() and len(given) <= 6 and int(given) > 0:
        return int(given)
    if not _jobs_warned:
        _echo(f"warning: POLYFIX_JOBS={report.escape_text(given)} is not a number of processes (1 or more): "
              f"ignored", err=True)
        _jobs_warned.append(given)
    return None


_jobs_warned: list[str] = []  # warned once per run, however many roots it checks


def _asking(look: Callable | None, asked: set[str]) -> Callable | None:
    """`look` (the probe or the reader), noting each path it is asked about."""
    if look is None:
        return None

    def ask(path: str):
        asked.add(path)
        return look(path)

    return ask


# New objects between two collections of the youngest generation, in a run (Python's default: 700).
_YOUNGEST_AT_LEAST, _YOUNGEST_AT_MOST = 50_000, 1_000_000


def _run_root(root: str, targets: list[str], options, errors: list[str], stdin_text: str | None = None,
              identities: dict | None = None) -> dict:
    # A run makes objects by the million and few cycles: Python's collector, every 700 new objects,
    # went through the same live trees again and again (a third of a 10,000-line file's time).
    # It runs less often here (below), never through what the imports made, and before every part.
    # A program that froze objects itself keeps them frozen: then polyfix freezes nothing.
    freezing = gc.get_freeze_count() == 0
    thresholds = gc.get_threshold()
    if freezing:
        gc.freeze()
    gc.set_threshold(_YOUNGEST_AT_LEAST, 20, 100)

    def check(files: list[str], targets: list[str], given: dict[str, str], parse) -> tuple[dict, parts.Paths]:
        """One part's results, and the paths it asked the file system about."""
        # The last part's cycles (libcst's trees hold many), in whichever process ran it; what
        # survives is kept to the end, so no later collection goes through it again.
        gc.collect()
        if freezing:
            gc.freeze()
        # A part's trees live until it ends, about one object per character of its YAML: a
        # collection before then goes through them and finds nothing (8 collections, 8% of a
        # 10,000-line file's time). Its cycles wait for the next part, up to a bound on memory.
        part_chars = sum(len(t) for t in given.values())
        gc.set_threshold(min(max(_YOUNGEST_AT_LEAST, 2 * part_chars), _YOUNGEST_AT_MOST), 20, 100)
        asked: set[str] = set()
        # The file system as this part finds it, remembered for this part only (a worker runs many:
        # memory must not grow with them); parts that ask about a file another one changes run
        # again together (parts.run_all).
        reader = discover.make_reader(root) if stdin_text is None else None  # stdin: only that one file is ours to fix
        probe = discover.make_probe(root)
        results = _run_engine(given, targets, root, _asking(probe, asked), options, _memo_parse(parse),
                              _asking(reader, asked))
        for r in results.values():
            if r.before is not None and r.before is given.get(r.path):  # the first process has this text
                r.after = AS_READ if r.after is r.before else r.after
                r.before = AS_READ
            for p in r.problems:  # what a fix does is done: output needs only what it is
                if p.fix is not None:
                    p.fix.edits, p.fix.deletes, p.fix.sets, p.fix.notes, p.fix.python = [], [], [], [], None
        return results, parts.Paths(asked)

    def check_job(job) -> tuple[dict, parts.Paths]:
        """check() in a worker, on a part as _check_root's job() hands it over (a worker parses in its part)."""
        files, part_targets, given = job
        return check(files, part_targets, {f: _Packed.unpack(t) for f, t in given.items()}, None)

    pool = parts.Pool(check_job, 1, lambda message: _echo(message, err=True))
    try:
        with pool:
            return _check_root(root, targets, options, errors, stdin_text, identities, check, pool)
    finally:
        gc.set_threshold(*thresholds)
        if freezing:
            gc.unfreeze()


def _check_root(root: str, targets: list[str], options, errors: list[str], stdin_text: str | None,
                identities: dict | None, check: Callable, pool: parts.Pool) -> dict:
    """_run_root's work: read the targets and what they include, split them in parts, and check the
    parts with `check`, here or in `pool`'s workers (started here when the tree is big enough)."""
    texts: dict[str, str] | _Packed = {}
    readable = []
    total = 0
    asked_jobs = _jobs()
    pool_decided = stdin_text is not None  # stdin: one file, one process
    for i, t in enumerate(targets):
        try:
            texts[t] = text = stdin_text if stdin_text is not None else discover.read_text(t, identities)
        except discover.InputError as e:
            errors.append(f"{report.display_path(t)}: error: {e}")
            continue
        readable.append(t)
        total += len(text)
        # A big tree's texts are kept compressed from here on, in this process and in every
        # worker forked from it: memory grows little with the number of files.
        if total >= parts.PART_CHARS and stdin_text is None and not isinstance(texts, _Packed):
            texts = _Packed(texts)
        # Enough text to check in several processes: they start now, holding little of the tree.
        # As many as there will be parts at most (each but the last holds PART_CHARS or more, by the
        # sizes of the files still to read; a file is never cut, so one big file is one part).
        if total >= parts.POOL_CHARS and not pool_decided:
            to_read = sum(discover.size_of(f) for f in targets[i + 1:])
            most = min((total + to_read) // parts.PART_CHARS + 1, len(targets))
            pool_decided, pool.jobs = True, min(parts.usable(asked_jobs), most)
            if pool.jobs > 1:
                pool.start()
    # A tree checked in parts parses each file in its part; a smaller one parses each file once.
    in_parts = total >= parts.PART_CHARS
    parse = _memo_parse(includes_only=in_parts)
    readable += [f for f in discover.include_closure(readable, texts, root, parse) if f not in readable]
    folders: dict[str, list[str]] = {}
    for t in readable:
        for c in discover.context_files(t, root, folders):
            if c not in texts:
                try:
                    texts[c] = discover.read_text(c)
                except discover.InputError:
                    pass
    discover.include_closure(list(texts), texts, root, parse)
    sizes = texts.sizes if isinstance(texts, _Packed) else {path: len(text) for path, text in texts.items()}
    split = parts.split(texts, readable, parse, sizes, pool.jobs if pool.started else 1)
    if in_parts:
        parse = None

    def targets_of(files: list[str]) -> list[str]:
        members = set(files)
        return [t for t in readable if t in members]

    def run_part(files: list[str]) -> tuple[dict, parts.Paths]:
        return check(files, targets_of(files), {f: texts[f] for f in files}, parse)

    def job(files: list[str]) -> tuple:
        """A part as a worker gets it: its files, its targets and their texts (compressed as kept)."""
        return files, targets_of(files), {f: texts.packed(f) if isinstance(texts, _Packed) else texts[f] for f in files}

    jobs = parts.workers(split, sizes, asked_jobs)
    if jobs > 1 and not pool.started:  # asked for, on a smaller tree
        pool.jobs = jobs
        pool.start()
    order = {path: i for i, path in enumerate(texts)}
    results = parts.run_all(split, run_part, jobs, order, pool.warn, pool, job)
    for r in results.values():
        # A file no fix changed (its text or its mode) keeps AS_READ for both texts in a big tree: no
        # output needs them. A diff, even of the mode alone, needs the text.
        kept = r.after is AS_READ and r.old_mode == r.new_mode and isinstance(texts, _Packed)
        if r.before is AS_READ and not kept:
            r.before = texts[r.path]
            r.after = r.before if r.after is AS_READ else r.after
    real_root = discover.real_posix(root)
    for r in results.values():
        if r.before is None or within(discover.real_posix(r.path), real_root):
            continue
        fixes = [p for p in r.problems if p.fix and p.fix_target == r.path]
        if r.after != r.before or fixes:  # the same verdict in every mode: a report offers no fix --write refuses
            r.errors.append("is a link to a file outside the project: not fixed")
            r.after, r.fixed = r.before, type(r.fixed)()
            for p in fixes:
                p.fix, p.hint = None, p.hint or "the file is a link to a file outside the project"
    return results


class _AsRead:
    """Stands for a file's text as polyfix read it, in a result coming back from a part, and in the
    results of a big tree where no fix changed the file (before and after alike)."""

    def __reduce__(self):  # one of a kind, also through pickle
        return "AS_READ"


AS_READ = _AsRead()


class _Packed(MutableMapping):
    """Texts by path, each kept compressed (zlib's fastest level: a third of the size or less, 0.1 ms
    for a 2 KB file) and given out decompressed; `sizes` holds their lengths."""

    def __init__(self, texts: dict[str, str]):
        self._packed: dict[str, bytes] = {}
        self.sizes: dict[str, int] = {}
        self.update(texts)

    def __getitem__(self, path: str) -> str:
        return self.unpack(self._packed[path])

    def packed(self, path: str) -> bytes:
        """The text as kept: compressed."""
        return self._packed[path]

    @staticmethod
    def unpack(packed: bytes | str) -> str:
        """A text from packed(); a text given as it is stays as it is."""
        return packed if isinstance(packed, str) else zlib.decompress(packed).decode("utf-8", "surrogatepass")

    def __setitem__(self, path: str, text: str) -> None:
        self._packed[path] = zlib.compress(text.encode("utf-8", "surrogatepass"), 1)
        self.sizes[path] = len(text)

    def __delitem__(self, path: str) -> None:
        del self._packed[path], self.sizes[path]

    def __contains__(self, path) -> bool:
        return path in self._packed

    def __iter__(self):
        return iter(self._packed)

    def __len__(self) -> int:
        return len(self._packed)


def _run_engine(texts, targets, root, probe, options, parse, reader=None) -> dict:
    """engine.run over all the targets. If it raises, the files it raises on alone are set aside with
    an internal error each, and the others run again without them: one odd file never stops the run."""
    try:
        return engine.run(texts, targets, root, probe, options, parse, reader)
    except Exception:  # noqa: BLE001 - found out file by file below
        pass
    crashed: dict[str, engine.FileResult] = {}
    for t in targets:
        try:
            engine.run({t: texts[t]} if t in texts else {}, [t], root, probe, options, parse, reader)
        except Exception as e:  # noqa: BLE001 - this file's error, not the run's
            crashed[t] = engine.FileResult(t, texts.get(t), texts.get(t))
            crashed[t].errors.append(f"internal error: {type(e).__name__}: {' '.join(str(e).split())}; "
                                     f"please report it")
    rest = [t for t in targets if t not in crashed]
    try:
        results = engine.run({p: x for p, x in texts.items() if p not in crashed}, rest, root, probe, options, parse, reader)
    except Exception:  # noqa: BLE001 - only together do they fail: check each on its own
        results = {}
        for t in rest:
            try:
                results.update(engine.run({t: texts[t]}, [t], root, probe, options, parse, reader))
            except Exception as e:  # noqa: BLE001
                results[t] = engine.FileResult(t, texts.get(t), texts.get(t))
                results[t].errors.append(f"internal error: {type(e).__name__}: {e}; please report it")
    return {**results, **crashed}


def _write_all(changed, identities: dict, errors: list[str], human: list[str]) -> set[str]:
    """Write each changed file; the paths that were not written. SIGINT/SIGTERM wait for the file
    being written (so no rename is cut in half), then the remaining files are left as they are."""
    import signal

    caught: list[int] = []
    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            previous[sig] = signal.signal(sig, lambda number, _frame: caught.append(number))
        except ValueError:  # not the main thread: signals keep their default meaning
            pass
    failed: set[str] = set()
    held = _held_groups(changed)
    try:
        for r in changed:
            if caught:
                failed.add(r.path)
                continue
            blocker, why = held.get(r.group, (None, None)) if _text_changed(r) else (None, None)
            failure = _write(r, identities.get(r.path)) if blocker in (None, r.path) else (
                f"not written: {report.display_path(blocker)}, of the same include group, cannot be written "
                f"({why}), and the fixes of a group are written together or not at all")
            if failure:
                failed.add(r.path)
                errors.append(f"{report.display_path(r.path)}: error: {failure}")
            else:
                human.append(report.fixed_line(r.path, r.fixed))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if caught:
        errors.append(f"error: interrupted ({signal.Signals(caught[0]).name}): {len(failed)} file"
                      f"{'s' * (len(failed) != 1)} left as they were")
    return failed


def _text_changed(r: engine.FileResult) -> bool:
    return r.after is not None and r.after != r.before


def _held_groups(changed) -> dict[str, tuple[str, str]]:
    """Include group → (a file of it that a fix changed and polyfix cannot write, why). The gate
    proved the group's fixes together: written in part, the project would be one it never checked."""
    held: dict[str, tuple[str, str]] = {}
    for r in changed:
        if r.group and r.group not in held and _text_changed(r):
            try:
                why = _unwritable(os.path.realpath(r.path))
            except OSError:  # gone: its own write says so
                why = None
            if why:
                held[r.group] = (r.path, why)
    return held


def _unwritable(path: str) -> str | None:
    """Why `_atomic_write` would refuse or fail to replace the file, foreseen before any file of its
    group is written; None when nothing is in the way."""
    st = os.stat(path)
    if not os.access(path, os.W_OK) or not st.st_mode & 0o222:
        return "the file is read-only"
    folder = os.path.dirname(path) or "."
    if not os.access(folder, os.W_OK | os.X_OK):
        return "its folder is read-only"  # the new copy is written beside it, then moved over it
    if os.geteuid() != 0:
        folder_st = os.stat(folder)
        new_gid = folder_st.st_gid if folder_st.st_mode & stat.S_ISGID else os.getegid()
        if st.st_uid != os.geteuid() or st.st_gid not in (new_gid, *os.getgroups()):
            return _owner_reason(st)
    return None


def _owner_reason(st: os.stat_result) -> str:
    return f"it belongs to user {st.st_uid} (group {st.st_gid}), and a rewritten copy would belong to whoever runs polyfix"


class _NotWritten(Exception):
    """A file polyfix must not replace; the message says why."""


def _write(r: engine.FileResult, identity: tuple | None = None) -> str | None:
    """Write one result atomically (text, then mode); a failure message, or None."""
    try:
        if _text_changed(r):
            real = os.path.realpath(r.path)
            _atomic_write(real, r.before.encode("utf-8"), r.after.encode("utf-8"), identity)
        if r.new_mode is not None and r.new_mode != r.old_mode:
            refused = _chmod(r)
            if refused:
                return refused
            discover.record_mode_in_index(r.path, bool(r.new_mode & 0o100))
    except _NotWritten as e:
        return f"not written: {e}"
    except OSError as e:
        return f"not written: {e.strerror or e}"
    return None


def _chmod(r: engine.FileResult) -> str | None:
    """Give the file its new mode, through a descriptor on the file polyfix checked: a script
    replaced since (by a link to a file outside the project, say) or given another mode is refused,
    as a changed text is."""
    fd = os.open(r.path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        st = os.fstat(fd)
        if (st.st_mode & 0o7777 != r.old_mode or not stat.S_ISREG(st.st_mode)
                or (r.identity and discover.identity(st) != r.identity)):
            raise _NotWritten("it changed since polyfix read it")
        if st.st_nlink > 1:  # the other names may be outside the project
            return f"not made executable: it has {st.st_nlink} hard links, and chmod would change them all"
        os.fchmod(fd, r.new_mode)
    finally:
        os.close(fd)
    return None


TEMP_MARK = ".polyfix-"  # temporary files are `.<name>.polyfix-<pid>-<random>.tmp`, beside <name>


def _atomic_write(path: str, old: bytes, data: bytes, identity: tuple | None = None) -> None:
    """Write through a temporary file in the same folder, keeping mode and owner; a link is written
    through (its target is replaced), never replaced by a file. Nothing is written when the file
    changed since it was read (`identity`, then its bytes): that edit would be lost."""
    import tempfile  # only when writing: it costs a noticeable part of a check's start-up

    st = os.stat(path)
    why = _unwritable(path)
    if why:
        raise _NotWritten(why)
    folder, name = os.path.split(path)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}{TEMP_MARK}{os.getpid()}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
            tmp_st = os.fstat(f.fileno())
            if (tmp_st.st_uid, tmp_st.st_gid) != (st.st_uid, st.st_gid):
                try:
                    os.fchown(f.fileno(), st.st_uid, st.st_gid)
                except PermissionError:
                    raise _NotWritten(_owner_reason(st)) from None
            os.fchmod(f.fileno(), st.st_mode & 0o7777)
        now = os.stat(path)
        if (identity is not None and discover.identity(now) != identity) or _read_all(path) != old:
            raise _NotWritten("it changed since polyfix read it (run polyfix again)")
        os.replace(tmp, path)
    except BaseException:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise


def _read_all(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _remove_stale_temp_files(paths) -> None:
    """Remove the temporary files a killed polyfix left beside these files: ours by name, by owner,
    and by a process id that no longer runs."""
    listed: dict[str, list[str]] = {}
    for path in paths:
        folder, name = os.path.split(os.path.realpath(path))
        if folder not in listed:
            try:
                listed[folder] = os.listdir(folder)
            except OSError:
                listed[folder] = []
        prefix = f".{name}{TEMP_MARK}"
        for entry in listed[folder]:
            pid = entry[len(prefix):].split("-", 1)[0]
            if not (entry.startswith(prefix) and entry.endswith(".tmp") and pid.isdigit()):
                continue
            full = os.path.join(folder, entry)
            try:
                st = os.lstat(full)
                if stat.S_ISREG(st.st_mode) and st.st_uid == os.geteuid() and not _running(int(pid)):
                    os.unlink(full)
            except OSError:
                pass


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # someone else's process: it runs
        return True
    return True


if __name__ == "__main__":  # pragma: no cover
    entry()
