"""`polyfix server` end to end: a real client drives the server over stdio, as an editor does."""
from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Union

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities, make_test_lsp_client

SERVICE_AFTER = """\
templates:
  - id: stack
    run:
      - api
      - id: web-main
        module: web
        run-when: {after: api}
      - { id: web-preview, module: web }   # web runs twice: the ids are needed
modules:
  - id: api
    module: polytope/python
  - id: web
    module: polytope/node
"""
FIXED = SERVICE_AFTER.replace("        run-when: {after: api}\n", "")


def make_client() -> LanguageClient:
    """The test client, reading a code action that carries a command as what it is: lsprotocol's own
    hook takes any answer with a `command` key for a Command (editors look at the key's type)."""
    client = make_test_lsp_client()
    converter = client.protocol._converter

    def action_or_command(obj, _):
        return converter.structure(obj, lsp.Command if isinstance(obj.get("command"), str) else lsp.CodeAction)

    converter.register_structure_hook(Union[lsp.Command, lsp.CodeAction], action_or_command)
    return client


# One server for the module, as an editor keeps one: each test works in its own folder (its own project).
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(
    server_command=[sys.executable, "-m", "polyfix", "server"], client_factory=make_client))
async def client(lsp_client: LanguageClient, tmp_path_factory):
    await lsp_client.initialize_session(lsp.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        root_uri=from_fs_path(str(tmp_path_factory.getbasetemp()))))
    yield
    await lsp_client.shutdown_session()


def apply(text: str, edits: list[lsp.TextEdit]) -> str:
    """Apply LSP edits (all on the original text) the way an editor does; ASCII texts only."""
    lines = text.splitlines(keepends=True)

    def offset(pos: lsp.Position) -> int:
        return sum(len(line) for line in lines[:pos.line]) + pos.character

    for e in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
        text = text[:offset(e.range.start)] + e.new_text + text[offset(e.range.end):]
    return text


async def diagnostics_for(client: LanguageClient, uri: str) -> list[lsp.Diagnostic]:
    """The next diagnostics published for `uri` (a server that never sends them fails the test after
    a long wait instead of hanging the run)."""
    while True:
        params = await asyncio.wait_for(client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), 120)
        if params.uri == uri:
            return list(params.diagnostics)


async def open_file(client: LanguageClient, path: Path, text: str | None = None) -> list[lsp.Diagnostic]:
    """Open a file (with `text` as its unsaved buffer when given) and return its first diagnostics."""
    uri = from_fs_path(str(path))
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(
        uri=uri, language_id="yaml", version=1, text=path.read_text() if text is None else text)))
    return await diagnostics_for(client, uri)


async def change(client: LanguageClient, path: Path, text: str, version: int) -> list[lsp.Diagnostic]:
    uri = from_fs_path(str(path))
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
        [lsp.TextDocumentContentChangeWholeDocument(text=text)]))
    return await diagnostics_for(client, uri)


async def actions(client: LanguageClient, path: Path, line: int, only=None) -> list[lsp.CodeAction]:
    at = lsp.Position(line, 0)
    return await client.text_document_code_action_async(lsp.CodeActionParams(
        lsp.TextDocumentIdentifier(from_fs_path(str(path))), lsp.Range(at, at),
        lsp.CodeActionContext(diagnostics=[], only=only)))


async def test_diagnostics_on_open_come_from_the_buffer(client: LanguageClient, tmp_path):
    path = tmp_path / "polytope.yml"
    path.write_text(FIXED)  # the disk is clean: only the unsaved buffer has the problem
    found = await open_file(client, path, SERVICE_AFTER)
    assert [(d.code, d.range.start.line, d.range.start.character, d.severity) for d in found] == [
        ("PF003", 6, 26, lsp.DiagnosticSeverity.Error)]
    assert found[0].message.startswith("waits for `api`, which never finishes")
    assert found[0].source == "polyfix"
    assert found[0].code_description.href.startswith("file://")


async def test_quick_fix_for_pf003_clears_the_diagnostic(client: LanguageClient, tmp_path):
    path = tmp_path / "polytope.yml"
    path.write_text(SERVICE_AFTER)
    await open_file(client, path)
    found = await actions(client, path, 6)
    assert [a.title for a in found] == ["PF003: Remove the `run-when` ordering", "Ignore PF003 on this line",
                                        "Fix all safe problems (polyfix)"]
    fix = found[0]
    assert fix.kind == lsp.CodeActionKind.QuickFix and fix.is_preferred
    fixed = apply(SERVICE_AFTER, fix.edit.changes[from_fs_path(str(path))])
    assert fixed == FIXED, "the edit the command line makes"
    assert await change(client, path, fixed, 2) == []
    assert path.read_text() == SERVICE_AFTER, "the server writes nothing"


async def test_ignore_action_inserts_a_suppression_that_works(client: LanguageClient, tmp_path):
    path = tmp_path / "polytope.yml"
    path.write_text(SERVICE_AFTER)
    await open_file(client, path)
    ignore = [a for a in await actions(client, path, 6) if a.title == "Ignore PF003 on this line"][0]
    ignored = apply(SERVICE_AFTER, ignore.edit.changes[from_fs_path(str(path))])
    assert ignored == SERVICE_AFTER.replace("{after: api}\n", "{after: api}  # polyfix: ignore[PF003]\n")
    assert await change(client, path, ignored, 2) == []


async def test_fix_all(client: LanguageClient, tmp_path):
    path = tmp_path / "polytope.yml"
    text = SERVICE_AFTER + "  - id: db\n    module: polytope/postgres!simple\n"
    path.write_text(text)
    found = await open_file(client, path)
    assert sorted(d.code for d in found) == ["PF002", "PF003"]
    fix_all = await actions(client, path, 0, only=["source.fixAll"])
    assert [(a.title, a.kind) for a in fix_all] == [("Fix all safe problems (polyfix)", "source.fixAll.polyfix")]
    fixed = apply(text, fix_all[0].edit.changes[from_fs_path(str(path))])
    cli = subprocess.run([sys.executable, "-m", "polyfix", "--stdin-filename", str(path), "--write", "-"],
                         input=text, capture_output=True, text=True)
    assert fixed == cli.stdout, "the same text as the command line's --write"
    assert await change(client, path, fixed, 2) == []


async def test_unparseable_buffer_gives_one_diagnostic_where_it_fails(client: LanguageClient, tmp_path):
    path = tmp_path / "polytope.yml"
    path.write_text(FIXED)
    found = await open_file(client, path, "modules:\n  - id: [api\n    module: x\n")
    assert len(found) == 1
    assert found[0].severity == lsp.DiagnosticSeverity.Error
    assert found[0].range.start.line == 2 and "line 3" in found[0].message
    # the server is still there: the next buffer is checked
    assert [d.code for d in await change(client, path, SERVICE_AFTER, 2)] == ["PF003"]


async def test_placeholders_are_checked_and_fixed_byte_for_byte(client: LanguageClient, tmp_path):
    path = tmp_path / "polytope.yml"
    text = SERVICE_AFTER.replace("id: api", "id: {{ project-name }}-api").replace("- api", "- {{ project-name }}-api")
    text = text.replace("{after: api}", "{after: {{ project-name }}-api}")
    path.write_text(text)
    found = await open_file(client, path)
    assert [d.code for d in found] == ["PF003"]
    assert "`{{ project-name }}-api`" in found[0].message
    fix = (await actions(client, path, found[0].range.start.line))[0]
    fixed = apply(text, fix.edit.changes[from_fs_path(str(path))])
    assert fixed == text.replace("        run-when: {after: {{ project-name }}-api}\n", "")


async def test_chmod_is_a_command_and_a_failed_request_leaves_the_server_up(client: LanguageClient, tmp_path):
    path = tmp_path / "polytope.yml"
    path.write_text("modules:\n  - id: api\n    module: polytope/python\n"
                    "    args: {code: {type: host, path: .}, cmd: ./bin/run}\n")
    script = tmp_path / "bin" / "run"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\n")
    script.chmod(0o644)
    found = await open_file(client, path)
    assert [d.code for d in found] == ["PF004"]
    chmod = [a for a in await actions(client, path, 3) if a.command][0]
    assert "chmod +x" in chmod.title and chmod.edit is None and chmod.kind == lsp.CodeActionKind.QuickFix
    assert script.stat().st_mode & 0o777 == 0o644, "nothing runs before the client asks"
    with pytest.raises(JsonRpcException):  # a fix that does not exist: an error answer
        await client.workspace_execute_command_async(lsp.ExecuteCommandParams(
            chmod.command.command, [chmod.command.arguments[0], str(tmp_path / "polytope.yml"), 0o755]))
    await client.workspace_execute_command_async(lsp.ExecuteCommandParams(
        chmod.command.command, chmod.command.arguments))
    assert script.stat().st_mode & 0o777 == 0o755
    # the server publishes the new diagnostics before it answers
    assert list(client.diagnostics[from_fs_path(str(path))]) == []
    assert not [a for a in await actions(client, path, 3) if a.command], "no chmod offered once it is done"


async def test_hover_shows_the_rule_docs(client: LanguageClient, tmp_path):
    path = tmp_path / "polytope.yml"
    path.write_text(SERVICE_AFTER)
    found = await open_file(client, path)
    hover = await client.text_document_hover_async(lsp.HoverParams(
        lsp.TextDocumentIdentifier(from_fs_path(str(path))), found[0].range.start))
    assert "after-on-service (PF003)" in hover.contents.value
    assert "Fix (safe)" in hover.contents.value


async def test_the_included_file_comes_from_its_open_buffer(client: LanguageClient, tmp_path):
    (tmp_path / "polytope.yml").write_text("include:\n  - stack.yml\n")
    stack = tmp_path / "stack.yml"
    stack.write_text(FIXED)
    found = await open_file(client, stack, SERVICE_AFTER)
    assert [d.code for d in found] == ["PF003"]



async def test_an_unused_suppression_is_removed_not_ignored(client: LanguageClient, tmp_path):
    path = tmp_path / "polytope.yml"
    text = FIXED.replace("  - id: api\n", "  - id: api   # polyfix: ignore[PF003]\n")
    path.write_text(text)
    found = await open_file(client, path)
    assert [(d.code, d.severity, list(d.tags)) for d in found] == [
        ("PF100", lsp.DiagnosticSeverity.Warning, [lsp.DiagnosticTag.Unnecessary])]
    offered = await actions(client, path, found[0].range.start.line, only=[lsp.CodeActionKind.QuickFix])
    assert [a.title for a in offered] == ["PF100: Remove the unused suppression"]
    assert apply(text, offered[0].edit.changes[from_fs_path(str(path))]) == FIXED


def _lsp_frames(*messages: dict) -> bytes:
    import json

    return b"".join(b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
                    for body in (json.dumps(m).encode() for m in messages))


@pytest.mark.parametrize("shutdown, code", [(True, 0), (False, 1)])
async def test_the_exit_code_says_whether_a_shutdown_came_first(shutdown, code):
    # The protocol's rule: exit after shutdown is a normal stop (0), exit alone is not (1).
    messages = [{"jsonrpc": "2.0", "id": 1, "method": "initialize",
                 "params": {"capabilities": {}, "processId": None, "rootUri": None}},
                {"jsonrpc": "2.0", "method": "initialized", "params": {}}]
    if shutdown:
        messages.append({"jsonrpc": "2.0", "id": 2, "method": "shutdown"})
    messages.append({"jsonrpc": "2.0", "method": "exit"})
    done = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "polyfix", "server"],
                                   input=_lsp_frames(*messages), capture_output=True, timeout=60)
    assert done.returncode == code, done.stderr
    assert b'"id": 1' in done.stdout and (b'"id": 2' in done.stdout) == shutdown
