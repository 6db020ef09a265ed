"""`polyfix server`: a language server over stdio, for editors (pygls: the `server` extra).

A check covers the project the file belongs to: the open polytope files under its root, the polytope
files above it and what they include, read from the editor's buffers when open, else from disk. Quick
fixes carry the edits the command line would make, proven the same way. The server writes no file:
edits go back to the editor, and a chmod runs only when the client executes `polyfix.chmod`.
"""
from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from . import __version__, discover, engine, report, settings, suppress, verify
from .document import BOM, ParseError, parse
from .problem import SAFE
from .project import include_targets, within
from .rules import BY_CODE

FIX_ALL = "source.fixAll.polyfix"
CHMOD = "polyfix.chmod"
DEBOUNCE = 0.3  # seconds without typing before a changed buffer is checked
# Style and hygiene: the project still runs. Every other rule finds what breaks a run: errors.
WARNINGS = {"PF001", "PF100"}
NO_SELECTION = ((), (), ())

server = LanguageServer("polyfix", __version__)
_pending: dict[str, asyncio.TimerHandle] = {}
_shown: dict[str, list] = {}  # uri → (diagnostic, problem) pairs last published, for hover
_cache: dict = {}  # the checks code actions asked for, while the buffers stay as they were (_checked)


# ---- the check: buffers and disk in, engine results out ----

def _path(uri: str) -> str | None:
    """The posix path of a file: URI; None for other schemes (unsaved `untitled:` buffers)."""
    if not uri.startswith("file:"):
        return None
    path = to_fs_path(uri)
    return discover.posix(path) if path else None


def _buffers(ls: LanguageServer) -> dict[str, str]:
    return {p: doc.source for uri, doc in list(ls.workspace.text_documents.items()) if (p := _path(uri))}


def _is_polytope(path: str) -> bool:
    return Path(path).name in discover.NAMES


def _is_script(path: str) -> bool:
    return Path(path).parent.name == "bin"


def check(buffers: dict[str, str], path: str, fix: bool = False) -> tuple[dict, dict[str, str], list[str]]:
    """(results by path, the texts checked, errors that belong to no file) for `path`'s project."""
    root = discover.project_root(Path(path))
    errors: list[str] = []
    texts: dict[str, str] = {}
    targets = discover.Targets()

    def add(f: str) -> None:
        if f in targets or not within(f, root):
            return
        if f not in texts:
            try:
                texts[f] = buffers[f] if f in buffers else discover.read_text(f)
            except discover.InputError as e:
                errors.append(f"{report.display_path(f)}: error: {e}")
                return
        targets.append(f)
        targets.explicit.add(f)
        for c in discover.context_files(f, root):
            add(c)
        try:
            doc = parse(texts[f])
        except ParseError:
            return  # reported where it is checked
        for t in include_targets(doc, f):
            found = [c for c in (t, f"{t}/polytope.yml", f"{t}/polytope.yaml") if c in buffers or os.path.isfile(c)]
            if found:
                add(found[0])

    start = [path] if _is_polytope(path) else []
    for f in start + [b for b in buffers if _is_polytope(b)] + discover.context_files(path, root):
        add(f)
    results: dict = {}
    probe = _probe(root, buffers)
    for cfg, files in settings.by_config(root, targets, None, False, errors):
        options = settings.options(cfg, root, NO_SELECTION, fix, False, None, errors)
        if options is not None:
            results.update(engine.run(texts, files, root, probe, options))
    return results, texts, errors


def _checked(buffers: dict[str, str], path: str, fix: bool = False):
    """`check`, remembered until the buffers change or the next publish: editors ask for code actions
    at every move of the cursor."""
    state = tuple(sorted((p, hash(t)) for p, t in buffers.items()))
    if _cache.get("buffers") != state:
        _cache.clear()
        _cache["buffers"] = state
    if (path, fix) not in _cache:
        _cache[(path, fix)] = check(buffers, path, fix)
    return _cache[(path, fix)]


def _probe(root: str, buffers: dict[str, str]):
    """The file system's answers about scripts; an open script's first line comes from its buffer."""
    disk = discover.make_probe(root)

    def probe(path: str):
        info = disk(path)
        if path in buffers and info.exists:
            info.first_line = buffers[path].split("\n", 1)[0].encode("utf-8")[:512]
        return info

    return probe


# ---- positions: polyfix counts characters from 1, LSP counts the client's code units from 0 ----

class _Lines:
    def __init__(self, text: str, codec):
        self.lines = text.split("\n")
        self.bom = text.startswith(BOM)  # polyfix's columns leave the BOM out
        self.codec = codec

    def position(self, line: int, col: int) -> lsp.Position:
        if line > len(self.lines):
            return lsp.Position(len(self.lines) - 1, self.codec.client_num_units(self.lines[-1]))
        text = self.lines[line - 1]
        chars = min(col - 1 + (self.bom and line == 1), len(text))
        return lsp.Position(line - 1, self.codec.client_num_units(text[:chars]))

    def at(self, text: str, offset: int) -> lsp.Position:
        """The position of an offset in `text`, the buffer's own text (BOM included)."""
        line = text.count("\n", 0, offset)
        chars = offset - (text.rfind("\n", 0, offset) + 1)
        return lsp.Position(line, self.codec.client_num_units(self.lines[line][:chars]))

    def range(self, line, col, end_line, end_col) -> lsp.Range:
        start = self.position(line, col)
        end = self.position(end_line, end_col)
        return lsp.Range(start, end if (end.line, end.character) >= (start.line, start.character) else start)


def _rule_uri(code: str) -> str | None:
    rule = BY_CODE.get(code)
    return from_fs_path(os.path.abspath(rule.__file__)) if rule else None


def diagnostics(result, lines: _Lines) -> list[tuple[lsp.Diagnostic, object]]:
    """(diagnostic, problem) pairs for one file's problems, then one diagnostic per error."""
    out = []
    for p in result.problems:
        message = p.message + (f"\n{p.hint}" if p.hint and not p.fix else "")
        out.append((lsp.Diagnostic(
            range=lines.range(p.line, p.col, p.end_line, p.end_col), message=message, source="polyfix",
            code=p.code, code_description=lsp.CodeDescription(href=_rule_uri(p.code)) if _rule_uri(p.code) else None,
            severity=lsp.DiagnosticSeverity.Warning if p.code in WARNINGS else lsp.DiagnosticSeverity.Error,
            tags=[lsp.DiagnosticTag.Unnecessary] if p.code == "PF100" else None), p))
    for e in result.errors:
        out.append((_error(e, lines), None))
    return out


def _error(message: str, lines: _Lines) -> lsp.Diagnostic:
    """A diagnostic for an error message, at the `line N, column M` it names (else the file's start)."""
    where = re.search(r"line (\d+), column (\d+)", message)
    line, col = (int(where.group(1)), int(where.group(2))) if where else (1, 1)
    at = lines.position(line, col)
    return lsp.Diagnostic(range=lsp.Range(at, at), message=message, source="polyfix",
                          severity=lsp.DiagnosticSeverity.Error)


# ---- publishing ----

def _publish(ls: LanguageServer, path: str) -> None:
    """Check `path`'s project and publish diagnostics for every open file of it."""
    buffers = _buffers(ls)
    _cache.clear()  # a publish follows an open, a save, a change or a chmod: check afresh
    results, _, errors = check(buffers, path)
    root = discover.project_root(Path(path))
    for uri, doc in list(ls.workspace.text_documents.items()):
        p = _path(uri)
        if p is None or not (p == path or p in results or (within(p, root) and _is_script(p))):
            continue
        lines = _Lines(doc.source, ls.workspace.position_codec)
        pairs = diagnostics(results[p], lines) if p in results else []
        if p == path:
            pairs += [(_error(e, lines), None) for e in errors]
        _shown[uri] = pairs
        ls.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[d for d, _ in pairs], version=doc.version))


def _publish_safely(ls: LanguageServer, uri: str) -> None:
    """A check that crashes is logged; the server goes on."""
    _pending.pop(uri, None)
    path = _path(uri)
    if path is None:
        return
    try:
        _publish(ls, path)
    except Exception as e:  # noqa: BLE001 - one bad check must not stop the server
        ls.window_log_message(lsp.LogMessageParams(lsp.MessageType.Error,
                                                   f"polyfix: checking {path} failed: {type(e).__name__}: {e}"))


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: LanguageServer, params: lsp.DidOpenTextDocumentParams):
    _publish_safely(ls, params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: LanguageServer, params: lsp.DidSaveTextDocumentParams):
    _publish_safely(ls, params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: LanguageServer, params: lsp.DidChangeTextDocumentParams):
    uri = params.text_document.uri
    if uri in _pending:
        _pending[uri].cancel()
    _pending[uri] = asyncio.get_running_loop().call_later(DEBOUNCE, _publish_safely, ls, uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: LanguageServer, params: lsp.DidCloseTextDocumentParams):
    uri = params.text_document.uri
    if uri in _pending:
        _pending.pop(uri).cancel()
    _shown.pop(uri, None)
    ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


# ---- code actions ----

def _wanted(only, kind: str) -> bool:
    return not only or any(kind == k or kind.startswith(f"{k}.") for k in only)


@server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION, lsp.CodeActionOptions(
    code_action_kinds=[lsp.CodeActionKind.QuickFix, lsp.CodeActionKind.SourceFixAll, FIX_ALL]))
def code_action(ls: LanguageServer, params: lsp.CodeActionParams):
    uri = params.text_document.uri
    path = _path(uri)
    if path is None:
        return []
    only = params.context.only
    buffers = _buffers(ls)
    actions = []
    if _wanted(only, lsp.CodeActionKind.QuickFix):
        results, texts, _ = _checked(buffers, path)
        lines = _Lines(ls.workspace.get_text_document(uri).source, ls.workspace.position_codec)
        first, last = params.range.start.line + 1, params.range.end.line + 1
        for diagnostic, p in diagnostics(results[path], lines) if path in results else []:
            if p is not None and p.line <= last and p.end_line >= first:
                actions += _quick_fixes(ls, uri, p, diagnostic, texts)
    if _wanted(only, FIX_ALL):
        fixed = _fix_all(ls, uri, path, buffers)
        if fixed:
            actions.append(fixed)
    return actions


def _quick_fixes(ls, uri: str, p, diagnostic, texts: dict[str, str]) -> list[lsp.CodeAction]:
    out = []
    if p.fix and p.fix.mode is not None:
        name = report.display_path(p.fix_target)
        out.append(lsp.CodeAction(
            title=f"{p.code}: make {name} executable (chmod +x, run on disk by the server)",
            kind=lsp.CodeActionKind.QuickFix, diagnostics=[diagnostic],
            command=lsp.Command(title=f"chmod +x {name}", command=CHMOD, arguments=[uri, p.fix_target, p.fix.mode])))
    elif p.fix and p.fix.edits and p.fix_target in texts and _proven(texts[p.fix_target], [p]):
        target_lines = _Lines(texts[p.fix_target], ls.workspace.position_codec)
        edits = [lsp.TextEdit(target_lines.range(r, c, er, ec), content) for r, c, er, ec, content in p.fix.located]
        unsafe = "" if p.fix.applicability == SAFE else " (unsafe fix: check the result)"
        out.append(lsp.CodeAction(
            title=f"{p.code}: {p.fix.message}{unsafe}", kind=lsp.CodeActionKind.QuickFix, diagnostics=[diagnostic],
            is_preferred=p.fix.applicability == SAFE,
            edit=lsp.WorkspaceEdit(changes={from_fs_path(p.fix_target): edits})))
    # None for scripts; an unused suppression is removed, not suppressed in turn
    ignore = _ignore_edit(texts.get(p.file), p, ls.workspace.position_codec) if p.code != "PF100" else None
    if ignore is not None:
        out.append(lsp.CodeAction(
            title=f"Ignore {p.code} on this line", kind=lsp.CodeActionKind.QuickFix, diagnostics=[diagnostic],
            edit=lsp.WorkspaceEdit(changes={from_fs_path(p.file): [ignore]})))
    return out


def _proven(text: str, problems) -> bool:
    """The fixes pass the engine's proof on this text."""
    try:
        return engine.try_fixes(parse(text), problems)[1][0] is None
    except ParseError:
        return False


def _ignore_edit(text: str | None, p, codec) -> lsp.TextEdit | None:
    """`# polyfix: ignore[CODE]` at the end of the problem's line or, when that line has a comment
    already, alone on a line above it; None when neither leaves the data as it was."""
    if text is None:
        return None
    try:
        doc = parse(text)
    except ParseError:
        return None
    masked = doc.text
    starts = [0] + [m.end() for m in re.finditer("\n", masked)]
    if p.line > len(starts):
        return None
    start = starts[p.line - 1]
    end = masked.find("\n", start)
    end = len(masked) if end < 0 else end
    if end > start and masked[end - 1] == "\r":
        end -= 1
    newline = "\r\n" if masked[end:end + 1] == "\r" else "\n"
    commented = any(start <= c < end for c, _ in suppress.comments(masked, doc.root))
    line = masked[start:end]
    if commented:
        offset, new = start, f"{line[:len(line) - len(line.lstrip())]}# polyfix: ignore[{p.code}]{newline}"
    else:
        offset, new = end, f"  # polyfix: ignore[{p.code}]"
    if verify.check(doc.data, masked[:offset] + new + masked[offset:], [])[0] is not None:
        return None
    lines = _Lines(text, codec)
    at = lines.at(text, offset + lines.bom)  # the masked text has the buffer's length, less its BOM
    return lsp.TextEdit(lsp.Range(at, at), new)


def _fix_all(ls, uri: str, path: str, buffers: dict[str, str]) -> lsp.CodeAction | None:
    """Every safe text fix of the file (chmods are separate quick fixes): one edit over what changed."""
    results, _, _ = _checked(buffers, path, fix=True)
    r = results.get(path)
    if r is None or r.after is None or r.after == r.before:
        return None
    before, after = r.before, r.after
    head = 0
    while head < min(len(before), len(after)) and before[head] == after[head]:
        head += 1
    tail = 0
    while tail < min(len(before), len(after)) - head and before[-1 - tail] == after[-1 - tail]:
        tail += 1
    lines = _Lines(before, ls.workspace.position_codec)
    edit = lsp.TextEdit(lsp.Range(lines.at(before, head), lines.at(before, len(before) - tail)),
                        after[head:len(after) - tail])
    return lsp.CodeAction(title="Fix all safe problems (polyfix)", kind=FIX_ALL,
                          edit=lsp.WorkspaceEdit(changes={uri: [edit]}))



@server.command(CHMOD)
def chmod(ls: LanguageServer, uri: str, script: str, mode: int):
    """Make a script executable, as PF004's fix for the file at `uri` says, and check again."""
    path = _path(uri)
    results, _, _ = check(_buffers(ls), path) if path else ({}, {}, [])
    wanted = [p for r in results.values() for p in r.problems
              if p.fix and p.fix.mode == mode and p.fix_target == script and p.code == "PF004"]
    if not wanted:
        raise ValueError(f"no PF004 fix makes {script} mode {mode:04o} now")
    os.chmod(script, mode)
    discover.record_mode_in_index(script, bool(mode & 0o100))
    _publish_safely(ls, uri)
    return None


# ---- hover ----

@server.feature(lsp.TEXT_DOCUMENT_HOVER)
def hover(ls: LanguageServer, params: lsp.HoverParams):
    at = (params.position.line, params.position.character)
    for diagnostic, p in _shown.get(params.text_document.uri, []):
        r = diagnostic.range
        if p is not None and p.code in BY_CODE and (r.start.line, r.start.character) <= at <= (r.end.line, r.end.character):
            text = f"**{p.code}** {p.message}\n\n---\n\n" + report.explain(BY_CODE[p.code])
            return lsp.Hover(lsp.MarkupContent(lsp.MarkupKind.Markdown, text), range=r)
    return None


USAGE = """Usage: polyfix server [--stdio]

  Start the polyfix language server on stdin/stdout (for editors). `--stdio` is accepted and
  changes nothing: some clients add it.
"""


_shut_down: list[bool] = []  # the client asked for a shutdown before exit


@server.feature(lsp.SHUTDOWN)
def shutdown(_ls: LanguageServer, _params) -> None:
    _shut_down.append(True)


def main(args: list[str]) -> int:
    if any(a in ("-h", "--help") for a in args):
        print(USAGE, end="")
        return 0
    unknown = [a for a in args if a != "--stdio"]
    if unknown:
        print(USAGE + f"\nError: no such option: {unknown[0]}", file=sys.stderr)
        return 2
    server.start_io()
    # The protocol's rule: 0 after a shutdown request, 1 when the server ends without one (an exit
    # notification alone, or the client gone): an editor tells a crash from a normal stop by it.
    return 0 if _shut_down else 1
