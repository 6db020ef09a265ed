"""PF011: what counts as a start-up connection without retry, the codemod, and the engine's proof."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from libcst.codemod import CodemodTest

from conftest import GOLDEN
from polyfix import engine, pycode, verify
from test_golden import _setup as golden_setup
from polyfix.edits import Edit
from polyfix.problem import UNSAFE, Fix, Problem, PythonChange

HOSTS = {"postgres", "api"}


def _found(code: str) -> list[tuple[int, str]]:
    return [(f.line, f.what) for f in pycode.scan(textwrap.dedent(code), HOSTS).findings]


@pytest.mark.parametrize("code, expected", [
    ("import psycopg\nconn = psycopg.connect('postgresql://postgres/app')\n", [(2, "`psycopg.connect()`")]),
    ("import psycopg2 as pg\nif __name__ == '__main__':\n    pg.connect(host='postgres')\n", [(3, "`pg.connect()`")]),
    ("from kafka import KafkaProducer\ndef main():\n    KafkaProducer()\nmain()\n", [(3, "`KafkaProducer()`")]),
    ("import redis\nr = redis.Redis()\nr.ping()\nr.get('x')\ndef f():\n    r.get('y')\n    r.get('z')\nf()\n",
     [(3, "`r.ping()`"), (6, "`r.get()`")]),  # the first call in each function
    ("import redis\nr = redis.Redis(retry_on_timeout=True)\nr.ping()\n", []),  # a client option that retries
    ("import redis\nr = redis.Redis()\np = r.pipeline()\n", []),  # does not connect
    ("from sqlalchemy import create_engine\ncreate_engine('x').connect()\n", [(2, "`create_engine('x').connect()`")]),
    ("import requests\nrequests.get('http://api:8000/health')\n", [(2, "`requests.get()`")]),
    ("import requests\nrequests.get('https://example.com/')\n", []),  # not a service of the project
    ("import asyncpg\nasync def lifespan(app):\n    await asyncpg.connect()\n    yield\n"
     "from fastapi import FastAPI\napp = FastAPI(lifespan=lifespan)\n", [(3, "`asyncpg.connect()`")]),
    ("import asyncpg\nasync def handler():\n    await asyncpg.connect()\n", []),  # never called at start-up
    ("import psycopg\ndef f():\n    def g():\n        psycopg.connect()\n    return g\nf()\n", []),  # nested def
    ("import psycopg\nclass C:\n    conn = psycopg.connect()\n", []),  # class bodies are left alone
    ("import psycopg, time\nwhile True:\n    try:\n        psycopg.connect()\n        break\n"
     "    except Exception:\n        time.sleep(1)\n", []),
    ("import psycopg\nwhile True:\n    try:\n        psycopg.connect()\n        break\n"
     "    except Exception:\n        pass\n", [(4, "`psycopg.connect()`")]),  # a loop that does not wait
    ("import psycopg, time\nfor _ in range(3):\n    time.sleep(1)\n    psycopg.connect()\n",
     [(4, "`psycopg.connect()`")]),  # a loop that does not catch the failure
    ("import psycopg, backoff\n@backoff.on_exception(backoff.expo, Exception)\ndef c():\n    psycopg.connect()\nc()\n", []),
    ("import psycopg, time\ndef c():\n    psycopg.connect()\nwhile True:\n    try:\n        c()\n        break\n"
     "    except Exception:\n        time.sleep(1)\n", []),  # retried by its caller
    ("from confluent_kafka import Producer\nProducer({'bootstrap.servers': 'kafka:9092'})\n", []),
])
def test_scan(code, expected):
    assert _found(code) == expected


def test_scan_names_the_host_and_what_cannot_be_fixed():
    code = ("import asyncpg\nimport psycopg\nfrom fastapi import FastAPI\n"
            "conn = psycopg.connect(host='postgres')\n"
            "async def lifespan(app):\n    async with asyncpg.create_pool() as pool:\n        yield\n"
            "app = FastAPI(lifespan=lifespan)\n")
    first, second = pycode.scan(code, HOSTS).findings
    assert (first.service, first.fixable, first.col) == ("`postgres`", True, 8)
    assert (second.service, second.fixable) == ("a PostgreSQL server", False)


def test_scan_lists_imports_and_refuses_broken_code():
    found = pycode.scan("import a.b\nfrom . import c\nfrom .d import e\nimport tenacity\n", set())
    assert found.imports == [(0, "a.b"), (1, ""), (1, "c"), (1, "d"), (1, "d.e"), (0, "tenacity")]
    assert "tenacity" in found.libraries
    assert pycode.scan("def (:\n", set()) is None


def _span(code: str, call: str) -> tuple[int, int, int, int]:
    """The span of the first occurrence of a one-line call in the code."""
    before = code[:code.index(call)]
    line, col = before.count("\n") + 1, len(before) - before.rfind("\n")
    return line, col, line, col + len(call)


class TestRetryConnects(CodemodTest):
    TRANSFORM = pycode.RetryConnects
    HELPERS = {style: "\n\n" + pycode.HELPER_SOURCE[style].strip("\n") + "\n" for style in ("stdlib", "async")}

    def test_wraps_only_the_target_and_inserts_the_helper_once(self):
        before = ("'Docs.'\nimport psycopg\n# the pooled connection\n"
                  "a = psycopg.connect('postgresql://postgres/a')   # trailing comment\nb = psycopg.connect('b')\n")
        after = ("'Docs.'\nimport psycopg\n" + self.HELPERS["stdlib"] + "# the pooled connection\n"
                 "a = _polyfix_retry(lambda: psycopg.connect('postgresql://postgres/a'))   # trailing comment\n"
                 "b = psycopg.connect('b')\n")
        self.assertCodemod(before, after, targets={_span(before, "psycopg.connect('postgresql://postgres/a')"): "stdlib"})

    def test_awaited_calls_get_the_async_helper(self):
        before = "import asyncpg\nasync def main():\n    conn = await asyncpg.connect()\n"
        after = ("import asyncpg\n" + self.HELPERS["async"] +
                 "async def main():\n    conn = await _polyfix_retry_async(lambda: asyncpg.connect())\n")
        self.assertCodemod(before, after, targets={_span(before, "asyncpg.connect()"): "async"})

    def test_tenacity_adds_its_import_and_no_helper(self):
        before = "import pika\nc = pika.BlockingConnection()\n"
        after = ("import pika\nimport tenacity\n\nc = tenacity.Retrying(stop=tenacity.stop_after_delay(60), "
                 "wait=tenacity.wait_exponential(max=5), reraise=True)(lambda: pika.BlockingConnection())\n")
        self.assertCodemod(before, after, targets={_span(before, "pika.BlockingConnection()"): "tenacity"})

    def test_an_existing_helper_is_reused(self):
        before = "import psycopg\n" + self.HELPERS["stdlib"] + "b = psycopg.connect()\n"
        after = "import psycopg\n" + self.HELPERS["stdlib"] + "b = _polyfix_retry(lambda: psycopg.connect())\n"
        self.assertCodemod(before, after, targets={_span(before, "psycopg.connect()"): "stdlib"})

    def test_a_call_on_a_call_wraps_only_the_one_asked_for(self):
        before = "from sqlalchemy import create_engine\nc = create_engine('x').connect()\n"
        after = ("from sqlalchemy import create_engine\n" + self.HELPERS["stdlib"] +
                 "c = _polyfix_retry(lambda: create_engine('x').connect())\n")
        self.assertCodemod(before, after, targets={_span(before, "create_engine('x').connect()"): "stdlib"})


def test_rewrite_keeps_crlf_and_every_other_byte():
    text = "import psycopg\r\n\r\nx = 1  # one\r\nconn = psycopg.connect(\r\n    'dsn',\r\n)\r\ny = 2\r\n"
    done = pycode.rewrite(text, {(4, 8, 6, 2): "stdlib"})
    assert done.wrapped == 1 and done.inserted == [pycode.HELPER_SOURCE["stdlib"]]
    assert "\r\nconn = _polyfix_retry(lambda: psycopg.connect(\r\n    'dsn',\r\n))\r\ny = 2\r\n" in done.text
    assert done.text.startswith("import psycopg\r\n") and "\nx = 1  # one\r\n" in done.text
    assert "\n" not in done.text.replace("\r\n", "")
    assert pycode.rewrite(text, {(4, 8, 4, 20): "stdlib"}) is None, "a target that is not a call: no rewrite"


WRAP = frozenset({pycode.WRAPPERS["stdlib"]})
HELPER = pycode.HELPER_SOURCE["stdlib"]


@pytest.mark.parametrize("after, wraps, inserts, verdict", [
    ("import psycopg\n" + HELPER + "c = _polyfix_retry(lambda: psycopg.connect())\n", 1, [HELPER], None),
    ("import psycopg\n" + HELPER + "c = _polyfix_retry(lambda: psycopg.connect(1))\n", 1, [HELPER], "changed outside"),
    ("import psycopg\nc = _polyfix_retry(lambda: psycopg.connect())\n", 1, [HELPER], "insertion is missing"),
    ("import psycopg\n" + HELPER + "c = psycopg.connect()\n", 1, [HELPER], "0 calls were wrapped"),
    ("import psycopg\n" + HELPER + "c = _polyfix_retry(lambda: psycopg.connect())\nd = 1\n", 1, [HELPER], "changed outside"),
    ("import psycopg\nc = _polyfix_retry(lambda: psycopg.connect(\n", 1, [], "does not parse"),
])
def test_check_python(after, wraps, inserts, verdict):
    failure = verify.check_python("import psycopg\nc = psycopg.connect()\n", after, WRAP, wraps, inserts)
    assert failure == verdict if verdict is None else verdict in failure


def test_the_engine_drops_a_python_fix_that_changes_more_than_it_promises():
    path = "/p/api/main.py"
    text = "import psycopg\nc = psycopg.connect()\n"
    sneaky = Fix("wrap", UNSAFE, edits=[Edit(15, 36, "c = _polyfix_retry(lambda: psycopg.connect())\nimport os\n")],
                 target=path, python=PythonChange(WRAP, 1, ()))
    result = engine.FileResult(path, text, text)
    code: dict = {}
    problem = Problem("PF011", "n", "m", path, 2, 5, 2, 22, sneaky)
    assert engine._fix_code(path, [problem], code, text, result) is False
    assert result.after == text and code == {}
    assert "internal error: PF011" in result.errors[0]


def _run_loading(args: list[str], module: str) -> tuple[str, bool]:
    """polyfix's output for `args`, in a fresh interpreter, and whether the run imported `module`."""
    probe = textwrap.dedent(f"""
        import sys
        from polyfix.cli import main
        try:
            main({args!r})
        except SystemExit:
            pass
        print("loaded:", {module!r} in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    body, _, loaded = out.rpartition("loaded: ")
    return body, loaded.strip() == "True"


def test_a_yaml_only_run_does_not_import_libcst(tmp_path):
    (tmp_path / "polytope.yml").write_text("modules:\n  - id: api\n    module: polytope/python\n"
                                           "    args: {code: {type: host, path: ./api}, cmd: ./bin/run}\n")
    (tmp_path / "api" / "bin").mkdir(parents=True)
    (tmp_path / "api" / "bin" / "run").write_text("#!/bin/sh\nexec node server.js\n")
    args = [str(tmp_path), "--select", "ALL"]
    assert _run_loading(args, "libcst")[1] is False
    # Python that names no connecting library, itself or in the modules it imports: nothing to parse.
    (tmp_path / "api" / "bin" / "run").write_text("#!/bin/sh\nexec python main.py\n")
    (tmp_path / "api" / "main.py").write_text("import helpers\nprint(helpers.greeting)\n")
    (tmp_path / "api" / "helpers.py").write_text("greeting = 'hi'\n")
    assert _run_loading(args, "libcst")[1] is False
    (tmp_path / "api" / "helpers.py").write_text("import psycopg\ngreeting = 'hi'\n")
    assert _run_loading(args, "libcst")[1] is True, "the check above can tell"


def test_only_a_retry_library_loads_libcsts_codemod_machinery(tmp_path):
    """libcst.codemod costs half a second to import; only a wrapper whose library's import may be
    missing (tenacity, backoff) needs its import pass."""
    (tmp_path / "polytope.yml").write_text("modules:\n  - id: api\n    module: polytope/python\n"
                                           "    args: {code: {type: host, path: ./api}, cmd: python main.py}\n")
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "main.py").write_text("import psycopg\n\nconn = psycopg.connect('postgresql://db')\n")
    args = [str(tmp_path), "--dry-run", "--unsafe-fixes"]
    out, loaded = _run_loading(args, "libcst.codemod")
    assert "_polyfix_retry(lambda: psycopg.connect" in out and loaded is False
    (tmp_path / "api" / "mail.py").write_text("from tenacity import retry\n")  # the service retries with tenacity
    (tmp_path / "api" / "main.py").write_text("import psycopg\nimport mail\n\nconn = psycopg.connect('postgresql://db')\n")
    out, loaded = _run_loading(args, "libcst.codemod")
    assert "+import tenacity" in out and loaded is True, out


def test_the_codemod_without_the_import_pass_writes_what_it_writes_with_it(polyfix, monkeypatch, tmp_path):
    """Every golden case, fixed with each wrapper going through libcst's codemod runner as the
    retry libraries' do, gives the same files as with wrap_calls alone."""
    seen = ""
    for i, case in enumerate(sorted(p.parent for p in (GOLDEN / "PF011_service-not-fault-tolerant").glob("*/input.yml"))):
        outs = []
        for styles in (pycode.IMPORTED_STYLES, set(pycode.WRAPPERS)):
            monkeypatch.setattr(pycode, "IMPORTED_STYLES", styles)
            work = golden_setup(case, tmp_path / f"{i}-{len(outs)}")
            outs.append(polyfix(work, "--dry-run", "--unsafe-fixes").out.replace(str(work), "W"))
        assert outs[0] == outs[1], case.name
        seen += outs[0]
    for wrapper in ("+def _polyfix_retry(", "+async def _polyfix_retry_async(", "tenacity.Retrying("):
        assert wrapper in seen, f"the golden cases wrap a call with {wrapper}"


def test_code_without_a_connecting_library_is_not_parsed_and_loses_nothing(tmp_path, polyfix, monkeypatch):
    """The shortcut only skips code that cannot hold a finding: forcing the full parse on every
    golden case and on a project whose connection sits two imports away finds the same."""
    from polyfix.rules import pf011_service_not_fault_tolerant as pf011

    (tmp_path / "polytope.yml").write_text("modules:\n  - id: api\n    module: polytope/python\n"
                                           "    args: {code: {type: host, path: ./api}, cmd: python main.py}\n")
    (tmp_path / "api" / "app").mkdir(parents=True)
    (tmp_path / "api" / "main.py").write_text("from app import start\nstart.run()\n")
    (tmp_path / "api" / "app" / "__init__.py").write_text("")
    (tmp_path / "api" / "app" / "start.py").write_text("from .db import connect_db\n\ndef run():\n    pass\n\nconnect_db()\n")
    (tmp_path / "api" / "app" / "db.py").write_text("import psycopg\n\ndef connect_db():\n    return psycopg.connect('postgresql://db')\n")
    works = [tmp_path]
    for i, case in enumerate(sorted(p.parent for p in (GOLDEN / "PF011_service-not-fault-tolerant").glob("*/input.yml"))):
        (tmp_path.parent / f"golden-{i}").mkdir()
        works.append(golden_setup(case, tmp_path.parent / f"golden-{i}"))
    for work in works:
        shortcut = polyfix(work, "--select", "PF011", "--output-format", "json").out
        with monkeypatch.context() as m:
            m.setattr(pf011, "_may_connect", lambda *a: True)
            full = polyfix(work, "--select", "PF011", "--output-format", "json").out
        assert shortcut == full, work
    assert "`psycopg.connect()` connects to `db` at start-up" in polyfix(tmp_path, "--select", "PF011").out


def test_start_up_follows_functions_imported_from_other_files():
    db = pycode.scan("import psycopg\ndef init():\n    psycopg.connect()\ndef lazy():\n    psycopg.connect()\n", set())
    files = {"db": "db.py"}

    def resolve(file, level, module):
        return files.get(module)

    def lines(main_code):
        main = pycode.scan(main_code, set())
        return [f.line for f in pycode.startup_findings({"main.py": main, "db.py": db}, resolve)["db.py"]]

    assert lines("from db import init as setup\nsetup()\n") == [3]
    assert lines("from db import init\nfrom fastapi import FastAPI\napp = FastAPI(on_startup=[init])\n") == [3]
    assert lines("from db import init, lazy\n") == [], "imported, never called at start-up"
    assert lines("import time\nfrom db import init\nwhile True:\n    try:\n        init()\n        break\n"
                 "    except OSError:\n        time.sleep(1)\n") == [], "retried by the caller in another file"


SERVICE = ("modules:\n  - id: api\n    module: polytope/python\n"
           "    args: {code: {type: host, path: ./api}, cmd: python main.py}\n")
CONNECT = "import psycopg\nconn = psycopg.connect('postgresql://postgres/app')\n"


def _service(root, main: str):
    (root / "api").mkdir(parents=True)
    (root / "polytope.yml").write_text(SERVICE)
    (root / "api" / "main.py").write_text(main, newline="")
    return root


def test_a_file_with_a_byte_order_mark_is_reported_not_fixed(tmp_path, polyfix):
    project = _service(tmp_path / "p", "\ufeff" + CONNECT)
    before = (project / "api" / "main.py").read_bytes()
    done = polyfix(project, "--select", "PF011", "--write", "--unsafe-fixes")
    assert "api/main.py:2:8: PF011 `psycopg.connect()` connects to `postgres`" in done.out
    assert "fixed" not in done.out and (project / "api" / "main.py").read_bytes() == before
    assert done.code == 1 and done.err == "", "reported without a fix, not dropped as an internal error"
    record = polyfix(project, "--select", "PF011", "--output-format", "json")
    assert '"hint": "the file starts with a byte order mark' in record.out


def test_code_reached_through_a_link_that_leaves_the_project_is_not_read(tmp_path, polyfix):
    project = _service(tmp_path / "p", "import db\n")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "db.py").write_text(CONNECT)
    (project / "api" / "db.py").symlink_to(tmp_path / "elsewhere" / "db.py")
    assert polyfix(project, "--select", "PF011").code == 0
    (project / "api" / "db.py").unlink()
    (project / "api" / "db.py").write_text(CONNECT)
    assert "api/db.py:2:8: PF011" in polyfix(project, "--select", "PF011").out, "the same file inside is read"


def test_vendored_code_is_not_read(tmp_path, polyfix):
    for folder, found in (("vendor", False), ("mylib", True)):
        project = _service(tmp_path / folder, f"from {folder} import lib\n")
        (project / "api" / folder).mkdir()
        (project / "api" / folder / "__init__.py").write_text("")
        (project / "api" / folder / "lib.py").write_text(CONNECT)
        report = polyfix(project, "--select", "PF011")
        assert (f"api/{folder}/lib.py:2:8: PF011" in report.out) == found, report.out


def test_the_fix_is_unsafe_and_keeps_every_other_byte(tmp_path, polyfix):
    main = "#!/usr/bin/env python\r\n# -*- coding: utf-8 -*-\r\n" + CONNECT.replace("\n", "\r\n") + "x  =  1   # odd spacing\r\n"
    project = _service(tmp_path / "p", main)
    safe = polyfix(project, "--select", "PF011", "--write")
    assert "fixed" not in safe.out and (project / "api" / "main.py").read_bytes().decode() == main
    polyfix(project, "--select", "PF011", "--write", "--unsafe-fixes")
    after = (project / "api" / "main.py").read_bytes().decode()
    assert after.startswith("#!/usr/bin/env python\r\n# -*- coding: utf-8 -*-\r\nimport psycopg\r\n")
    assert after.endswith("conn = _polyfix_retry(lambda: psycopg.connect('postgresql://postgres/app'))\r\n"
                          "x  =  1   # odd spacing\r\n")
    assert "\n" not in after.replace("\r\n", "")


class _Files:
    """What `_entries` needs of a project: its root and a reader."""

    def __init__(self, files: dict[str, str]):
        self.root = "/p"
        self.files = {f"/p/{name}": text for name, text in files.items()}

    def read(self, path):
        return self.files.get(path)


@pytest.mark.parametrize("cmd, expected", [
    ("python main.py", ["main.py"]),
    ("python3 -u -X dev main.py", ["main.py"]),
    ("python -m app", ["app/__main__.py"]),
    ("python -m uvicorn app.main:app --port 80", ["app/main.py"]),
    ("uv run --frozen uvicorn app.main:app", ["app/main.py"]),
    ("poetry run python main.py", ["main.py"]),
    ("gunicorn -w 2 -k uvicorn.workers.UvicornWorker app.main:app", ["app/main.py"]),
    ("fastapi run", ["main.py"]),
    ("fastapi dev app --reload", ["app/main.py"]),
    ("bash -c 'pip install -r requirements.txt && exec python main.py'", ["main.py"]),
    ("PORT=80 exec python main.py > log 2>&1 &", ["main.py"]),
    ("./bin/run", ["app/main.py"]),  # a shell script's lines
    ("./bin/worker", ["bin/worker"]),  # a Python script itself
    ("python missing.py", []),
    ("node server.js", []),
    ("#pt-js 'python ' + 'main.py'", []),
    ("python .venv/lib/tool.py", []),
])
def test_the_entries_a_cmd_runs(cmd, expected):
    from polyfix.rules import pf011_service_not_fault_tolerant as pf011

    project = _Files({"main.py": "", "app/__init__.py": "", "app/__main__.py": "", "app/main.py": "",
                      "bin/run": "#!/bin/sh\nset -e\nuv sync\nexec uvicorn app.main:app --host 0.0.0.0\n",
                      "bin/worker": "#!/usr/bin/env python3\nprint('work')\n", ".venv/lib/tool.py": ""})
    found = pf011._entries(project, "/p", cmd, 0)
    assert [f.removeprefix("/p/") for f in found] == expected


@pytest.mark.parametrize("clash", [
    "_polyfix_retry = None\n",
    "class _polyfix_retry:\n    pass\n",
    "def _polyfix_retry(a, b):\n    return a\n",
    "def main(_polyfix_retry=None):\n    return 1\n",
])
def test_a_file_that_already_uses_the_helpers_name_is_left_to_the_user(clash, tmp_path, polyfix):
    """The helper would clash with a name the file gives another meaning: report only."""
    (tmp_path / "polytope.yml").write_text("modules:\n  - id: api\n    module: polytope/python\n"
                                           "    args: {code: {type: host, path: ./api}, cmd: python main.py}\n")
    (tmp_path / "api").mkdir()
    source = f"import psycopg\n\n{clash}\nconn = psycopg.connect('postgresql://db')\n"
    (tmp_path / "api" / "main.py").write_text(source)
    done = polyfix(tmp_path, "--write", "--unsafe-fixes", "--select", "PF011")
    assert (tmp_path / "api" / "main.py").read_text() == source
    assert "PF011 `psycopg.connect()` connects to `db` at start-up without retry" in done.out
    assert "Nothing to fix; 1 remaining." in done.out
    hinted = polyfix(tmp_path, "--select", "PF011", "--output-format", "json").out
    assert "wrap the call by hand" in hinted


def test_the_files_own_helper_from_an_earlier_fix_is_used_again(tmp_path, polyfix):
    (tmp_path / "polytope.yml").write_text("modules:\n  - id: api\n    module: polytope/python\n"
                                           "    args: {code: {type: host, path: ./api}, cmd: python main.py}\n")
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "main.py").write_text("import psycopg\n\nconn = psycopg.connect('postgresql://db')\n")
    polyfix(tmp_path, "--write", "--unsafe-fixes", "--select", "PF011")
    once = (tmp_path / "api" / "main.py").read_text()
    assert once.count("def _polyfix_retry(") == 1
    (tmp_path / "api" / "main.py").write_text(once + "other = psycopg.connect('postgresql://db')\n")
    polyfix(tmp_path, "--write", "--unsafe-fixes", "--select", "PF011")
    twice = (tmp_path / "api" / "main.py").read_text()
    assert twice.count("def _polyfix_retry(") == 1 and twice.count("_polyfix_retry(lambda: psycopg.connect") == 2
