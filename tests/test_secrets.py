"""PF005: a secret's value appears in no output but the `pt secret set` line on a terminal."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from conftest import CORPUS, copy_tree
from polyfix import cli
from test_cli import write

SPEC = """\
tools:
  agent:
    run:
      - tool: polytope/node
        args:
          env:
            - { name: CLIENT_SECRET, value: 'Password1' }
            - { name: DATABASE_URL, value: "postgres://app:hunter2@postgres:5432/app" }
            - { name: CLIENT_ID, value: spa-client }
  identity:
    run:
      - tool: polytope/curity
        args:
          password: curity-admin-pw
"""
VALUES = ("Password1", "hunter2", "curity-admin-pw")


@pytest.fixture
def project(tmp_path):
    write(tmp_path / "polytope.yml", SPEC)
    return tmp_path


def _shows_no_value(text: str) -> bool:
    return not any(v in text for v in VALUES)


@pytest.mark.parametrize("fmt", ["text", "concise", "json", "json-lines", "github", "sarif", "junit"])
def test_reports_show_no_value(project, polyfix, fmt):
    r = polyfix(project, "--output-format", fmt, "--unsafe-fixes")
    assert r.code == 1 and r.out.count("PF005") >= 3, r.out
    assert _shows_no_value(r.out + r.err)


def test_json_offers_the_unsafe_fix(project, polyfix):
    records = json.loads(polyfix(project, "--output-format", "json").out)
    secret = next(x for x in records if x["location"]["row"] == 7)
    assert secret["code"] == "PF005" and secret["fix"]["applicability"] == "unsafe"
    assert [e["content"] for e in secret["fix"]["edits"]] == ["pt.secret client-secret"]
    ET.fromstring(polyfix(project, "--output-format", "junit").out)  # still XML


def test_dry_run_to_a_pipe_is_masked(project, polyfix):
    r = polyfix(project, "--dry-run", "--unsafe-fixes")
    assert "-            - { name: CLIENT_SECRET, value: '****' }" in r.out.splitlines()
    assert "+            - { name: CLIENT_SECRET, value: pt.secret client-secret }" in r.out.splitlines()
    assert '-            - { name: DATABASE_URL, value: "postgres://app:****@postgres:5432/app" }' in r.out.splitlines()
    assert "-          password: ****" in r.out.splitlines()
    assert _shows_no_value(r.out + r.err)
    assert (project / "polytope.yml").read_text() == SPEC


def test_dry_run_to_a_pipe_masks_a_value_written_escaped(tmp_path, polyfix):
    # In quotes the file holds the value escaped: `\\` and `\"` in double quotes, `''` in single ones.
    write(tmp_path / "polytope.yml", SPEC.replace("'Password1'", "'it''s-Passw0rd'").replace(
        "postgres://app:hunter2@", 'postgres://app:hun\\\\ter\\"2@'))
    r = polyfix(tmp_path, "--dry-run", "--unsafe-fixes")
    assert "-            - { name: CLIENT_SECRET, value: '****' }" in r.out.splitlines()
    # not fixed (escapes in the way), shown as a line around the fixed one
    assert '             - { name: DATABASE_URL, value: "postgres://app:****@postgres:5432/app" }' in r.out.splitlines()
    assert not any(v in r.out + r.err for v in ("Passw0rd", "hun", "ter"))


TWO_IN_ONE = """\
tools:
  sync:
    run:
      - tool: polytope/container
        args:
          image: alpine
          cmd: curl 'https://x.example/?api_key=QWE987rty' && ./sync --token abc123xyz
"""


@pytest.mark.parametrize("args", [("--output-format", "json"), ("--output-format", "json", "--unsafe-fixes"),
                                  ("--dry-run", "--unsafe-fixes"), ("--dry-run", "--output-format", "json")])
def test_a_second_secret_of_a_string_is_masked_before_it_is_reported(tmp_path, polyfix, args):
    # One secret of a string is reported a pass; the fix of the first rewrites the whole string, the
    # second (found in the next pass) in it: it must not show in that fix's content or the diff.
    write(tmp_path / "polytope.yml", TWO_IN_ONE)
    r = polyfix(tmp_path, *args)
    assert "pt.secret cmd-api-key" in r.out + r.err
    assert "QWE987rty" not in r.out + r.err and "abc123xyz" not in r.out + r.err


ESCAPED_LATER = r"""tools:
  sync:
    run:
      - tool: polytope/container
        args:
          image: alpine
          cmd: "curl 'https://x.example/?api_key=QWE987rty' && ./sync --token ab\x63123xyz"
"""


def test_a_fix_keeping_a_later_secret_escaped_shows_no_content(tmp_path, polyfix):
    # The first fix rewrites the string and keeps the second secret as written, `ab\x63123xyz`:
    # json showed it in the fix's content, where no written form of `abc123xyz` finds it.
    write(tmp_path / "polytope.yml", ESCAPED_LATER)
    r = polyfix(tmp_path, "--output-format", "json", "--unsafe-fixes")
    edits = [e for p in json.loads(r.out) if p["fix"] for e in p["fix"]["edits"]]
    assert edits and all(e["content"] == "****" for e in edits), edits
    assert "123xyz" not in r.out + r.err and "QWE987rty" not in r.out + r.err


MYSQL_PASSWORD = """\
modules:
  - id: check
    module: polytope/container
    args:
      image: mysql:8
      cmd: [mysqladmin, ping, -h, db, -uroot, -proot]
"""


@pytest.mark.parametrize("args", [("--dry-run", "--unsafe-fixes"), ("--output-format", "json", "--unsafe-fixes")])
def test_a_word_like_password_glued_to_mysqls_option_is_masked(tmp_path, polyfix, args):
    # `root` does not stand alone in `-proot`, where a word-like secret was left in clear.
    write(tmp_path / "polytope.yml", MYSQL_PASSWORD)
    r = polyfix(tmp_path, *args)
    assert "pt.secret mysqladmin-password" in r.out + r.err
    assert "-proot" not in r.out + r.err
    if "--dry-run" in args:
        assert "-      cmd: [mysqladmin, ping, -h, db, -uroot, -p****]" in r.out.splitlines()


@pytest.mark.parametrize("fmt", ["json", "json-lines", "sarif", "junit"])
def test_a_secret_equal_to_a_number_of_the_format_leaves_the_format_whole(tmp_path, polyfix, fmt):
    # The secret `7` stands on line 7: masking the written format would mask its row numbers too.
    write(tmp_path / "polytope.yml", TWO_IN_ONE.replace("--token abc123xyz", "--token 7"))
    r = polyfix(tmp_path, "--output-format", fmt, "--unsafe-fixes")
    if fmt == "junit":
        ET.fromstring(r.out)
    else:
        records = [json.loads(line) for line in r.out.splitlines()] if fmt == "json-lines" else [json.loads(r.out)]
        assert records
    assert "--token 7" not in r.out and "QWE987rty" not in r.out
    assert ("--token ****" in r.out) == fmt.startswith("json")  # the fix's content: in ruff's json only


def test_dry_run_on_a_terminal_shows_the_file(project, polyfix, monkeypatch):
    monkeypatch.setattr(cli, "_terminal", lambda err=False: True)
    monkeypatch.setenv("NO_COLOR", "1")
    r = polyfix(project, "--dry-run", "--unsafe-fixes")
    assert "-            - { name: CLIENT_SECRET, value: 'Password1' }" in r.out.splitlines()


def test_write_prints_the_command_only_on_a_terminal(project, polyfix, monkeypatch):
    # Off a terminal the value could be shown nowhere: the literal stays in the file, reported.
    piped = polyfix(project, "--write", "--unsafe-fixes")
    assert (project / "polytope.yml").read_text() == SPEC
    assert "PF005" in piped.out and "pt secret set" not in piped.out
    assert _shows_no_value(piped.out + piped.err)
    json_out = polyfix(project, "--write", "--unsafe-fixes", "--output-format", "json").out
    assert "run --write --unsafe-fixes in a terminal" in json_out and _shows_no_value(json_out)
    # --write alone in a terminal would not fix them: the hint names the whole command, whatever
    # this run's flags; where the configuration makes PF005's fix safe, --write is the command.
    safe_only = polyfix(project, "--write")
    assert "PF005" in safe_only.out and "run --write --unsafe-fixes in a terminal" in safe_only.out
    assert "run --write in a terminal" not in safe_only.out
    assert (project / "polytope.yml").read_text() == SPEC
    (project / "polyfix.toml").write_text("extend-safe-fixes = ['PF005']\n")
    made_safe = polyfix(project, "--write")
    assert "run --write in a terminal" in made_safe.out and "--unsafe-fixes in a terminal" not in made_safe.out
    assert (project / "polytope.yml").read_text() == SPEC
    (project / "polyfix.toml").write_text("unfixable = ['PF005']\n")  # no fix to run anywhere: no command given
    turned_off = polyfix(project, "--write")
    assert "PF005" in turned_off.out and "in a terminal" not in turned_off.out
    hints = {r["hint"] for r in json.loads(polyfix(project, "--write", "--output-format", "json").out)}
    assert hints == {"its fixes are turned off (fixable/unfixable)"}
    (project / "polyfix.toml").unlink()
    monkeypatch.setattr(cli, "_terminal", lambda err=False: True)
    shown = polyfix(project, "--write", "--unsafe-fixes")
    lines = [line.strip() for line in shown.out.splitlines()]
    assert "polytope.yml:7: pt secret set client-secret Password1" in lines
    assert "polytope.yml:8: pt secret set database-password hunter2" in lines
    assert "polytope.yml:14: pt secret set curity-password curity-admin-pw" in lines
    assert "pt.secret client-secret" in (project / "polytope.yml").read_text()
    assert _shows_no_value((project / "polytope.yml").read_text())


def test_one_command_per_secret(tmp_path, polyfix, monkeypatch):
    twice = SPEC + "  agent-local:\n    run:\n      - tool: polytope/node\n        args:\n" \
                   "          env:\n            - { name: CLIENT_SECRET, value: 'Password1' }\n"
    write(tmp_path / "polytope.yml", twice)
    monkeypatch.setattr(cli, "_terminal", lambda err=False: True)
    out = polyfix(tmp_path, "--write", "--unsafe-fixes").out
    assert out.count("pt secret set client-secret 'Password1'") + out.count("pt secret set client-secret Password1") == 1


def test_stdin_dry_run_is_masked(project, polyfix):
    from click.testing import CliRunner

    r = CliRunner().invoke(cli.main, ["--stdin-filename", str(project / "polytope.yml"), "--dry-run", "--unsafe-fixes", "-"],
                           input=SPEC)
    assert "pt.secret client-secret" in r.stdout and _shows_no_value(r.stdout + r.stderr)


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the corpus of real projects is not at {CORPUS} (POLYFIX_CORPUS names it)")
def test_corpus_secrets_reported_and_never_shown(tmp_path, polyfix):
    work = copy_tree(CORPUS, tmp_path / "c")
    report = polyfix(work, "--select", "PF005")
    found = [line for line in report.out.splitlines() if ": PF005 " in line]
    assert len(found) == 164
    assert sum(line.endswith("[unsafe fix]") for line in found) == 163
    literals = ("Password1", "fda91643fce9af565bdc34cd965b48da75d1f5bd8846bf0910dd6d7b10f06dfe",
                "4199f540d7086ef5e8723faa5201060fc262e08b15b105d409f81446f5a87345", "2lNPPr0rDYIkgWguxWsX5CE6kcb")
    for fmt in ("json", "sarif", "junit", "github"):
        out = polyfix(work, "--select", "PF005", "--output-format", fmt).out
        assert not any(v in out for v in literals), fmt
    dry = polyfix(work, "--select", "PF005", "--dry-run", "--unsafe-fixes")
    assert dry.out.count("\n+") >= 163 and not any(v in dry.out + dry.err for v in literals)


SHARED_LINES = """\
tools:
  db:
    run:
      - tool: polytope/container
        args:
          image: adm1nimage
          env:
            # local login for the demo: admin / Adm1nPass77
            - { name: ADMIN_PASSWORD, value: Adm1nPass77 }
            - { name: ADMIN_NOTE, value: "Adm1nPass77 is rotated weekly" }
"""


def test_a_diff_changes_only_the_fixed_lines_and_masks_the_others_alike(tmp_path, polyfix):
    # A line both texts hold is masked alike in both: masking only where the fix stood made the
    # comment a hunk of its own, with the value in clear on one side.
    write(tmp_path / "polytope.yml", SHARED_LINES)
    r = polyfix(tmp_path, "--dry-run", "--unsafe-fixes")
    assert "Adm1nPass77" not in r.out + r.err
    changed = [line for line in r.out.splitlines() if line[:1] in "-+" and line[:3] not in ("---", "+++")]
    assert changed == ["-            - { name: ADMIN_PASSWORD, value: **** }",
                       "+            - { name: ADMIN_PASSWORD, value: pt.secret admin-password }"], r.out
    assert "             # local login for the demo: admin / ****" in r.out.splitlines()
    assert '             - { name: ADMIN_NOTE, value: "**** is rotated weekly" }' in r.out.splitlines()


def test_machine_output_masks_a_later_secret_written_escaped(tmp_path, polyfix):
    # The first secret's fix rewrites the whole string, which holds the second as the file writes
    # it: `\\` in double quotes.
    write(tmp_path / "polytope.yml", TWO_IN_ONE.replace(
        "cmd: curl 'https://x.example/?api_key=QWE987rty' && ./sync --token abc123xyz",
        'cmd: "curl https://x.example/?api_key=QWE987rty && ./sync --token Pw\\\\4xyz"'))
    r = polyfix(tmp_path, "--output-format", "json", "--unsafe-fixes")
    assert "pt.secret cmd-api-key" in r.out and "--token ****" in r.out
    assert "4xyz" not in r.out + r.err and "QWE987rty" not in r.out + r.err


def test_a_later_url_password_starting_with_a_dollar_is_masked(tmp_path, polyfix):
    # `$ecretPw9` is no variable the shell reads (it goes on with `!`): a password, masked before
    # the pass that reports it (a string's first URL password is reported first).
    write(tmp_path / "polytope.yml", TWO_IN_ONE.replace(
        "curl 'https://x.example/?api_key=QWE987rty' && ./sync --token abc123xyz",
        "psql postgres://app:abc123xyz@db:5432/app && psql 'postgres://app:$ecretPw9!@db:5432/app'"))
    for args in (("--output-format", "json"), ("--dry-run", "--unsafe-fixes")):
        r = polyfix(tmp_path, *args)
        assert "abc123xyz" not in r.out + r.err and "ecretPw9" not in r.out + r.err, (args, r.out)


def test_a_diff_beside_a_machine_format_is_masked_when_stderr_is_no_terminal(project, polyfix, monkeypatch):
    # stdout a terminal, stderr a log file: the diff goes to the log, so it is masked.
    monkeypatch.setattr(cli, "_terminal", lambda err=False: not err)
    r = polyfix(project, "--dry-run", "--unsafe-fixes", "--output-format", "json")
    assert "pt.secret client-secret" in r.err and _shows_no_value(r.out + r.err)


HARD_TO_FIND = r"""modules:
  - id: api
    module: polytope/container
    args:
      image: alpine
      cmd: "curl https://api.telegram.org/bot123456:AAHsecretPart/sendMessage; echo Pw-Zebra9."
      env:
        - { name: BOT_TOKEN, value: "123456:AAHsecretPart" }
        - { name: DB_PASSWORD, value: "Pw-Zebra9" }
        - name: SIGNING_SECRET
          value: >-
            Qm9vbGVhbk1hZ2ljU3RyaW5n
            X2xvbmdfc2VjcmV0X3Rva2Vu
        - { name: API_PASSWORD, value: "S3cr\x65tPw!9" }
        - name: API_TOKEN
          value: hunter2
            more9
        - name: CLIENT_SECRET
          value: "dq1 \
            dq2"
        - { name: REDIS_PASSWORD, value: "x\nswordfish" }
        - { name: LOG_LEVEL, value: pt.value log-level }
"""
HARD_VALUES = ("swordfish", "AAHsecretPart", "Pw-Zebra9", "Qm9vbGVhbk1hZ2ljU3RyaW5n", "X2xvbmdfc2VjcmV0X3Rva2Vu",
               "S3cr", "tPw!9", "hunter2", "more9", "dq1", "dq2")


@pytest.mark.parametrize("args", [("--dry-run",), ("--dry-run", "--unsafe-fixes"), ("--dry-run", "--output-format", "json")])
def test_secrets_inside_words_over_lines_or_escaped_are_masked(tmp_path, polyfix, args):
    # Written forms miss a value folded over lines or escaped (`\x65`): the lines of its scalar are
    # masked, alike in both texts; a value that looks random is masked inside longer words too.
    write(tmp_path / "polytope.yml", HARD_TO_FIND)
    write(tmp_path / "config" / "values.yml", "log-level: info\n")
    r = polyfix(tmp_path, *args)
    assert "pt.param log-level" in r.out + r.err
    shown = [v for v in HARD_VALUES if v in r.out + r.err]
    assert not shown, (shown, r.out, r.err)
    changed = [line for line in (r.out + r.err).splitlines() if line[:1] in "-+" and line[:3] not in ("---", "+++")]
    # The lines no fix touches stay context: masked the same way on both sides.
    assert not any("cmd:" in line or line[1:].strip() in ("****", "value: ****") for line in changed), changed


@pytest.mark.parametrize("secret", ["Zebra77x", "swordfish"])
def test_a_secret_found_in_one_file_is_masked_in_the_diff_of_another(tmp_path, polyfix, secret):
    write(tmp_path / "polytope.yml", "include:\n  - other.yml\nmodules:\n  - id: api\n    module: polytope/container\n"
          f"    args:\n      image: alpine\n      env:\n        - {{ name: DB_PASSWORD, value: {secret} }}\n")
    write(tmp_path / "other.yml", "modules:\n  - id: job\n    module: polytope/container\n    args:\n      image: alpine\n"
          f"      cmd: echo {secret}\n      env:\n        - {{ name: LOG_LEVEL, value: pt.value log-level }}\n")
    write(tmp_path / "config" / "values.yml", "log-level: info\n")
    r = polyfix(tmp_path, "--dry-run")
    assert "       cmd: echo ****" in r.out.splitlines() and secret not in r.out + r.err


def test_a_word_secret_before_punctuation_and_a_secret_after_an_unclear_one_are_masked(tmp_path, polyfix):
    write(tmp_path / "polytope.yml", """\
modules:
  - id: cache
    module: polytope/container
    args:
      image: redis:7
      cmd: 'sh -c "curl https://api.example.com/pull?password=Kx''9vLm2Qr && ./bin/sync --token Zz8yy7Xx6"'
      env:
        # dev only, the password is swordfish.
        - { name: REDIS_PASSWORD, value: swordfish }
        - { name: LOG_LEVEL, value: pt.value log-level }
""")
    write(tmp_path / "config" / "values.yml", "log-level: info\n")
    r = polyfix(tmp_path, "--dry-run")
    assert "pt.param log-level" in r.out
    assert not any(v in r.out + r.err for v in ("swordfish", "Kx", "9vLm2Qr", "Zz8yy7Xx6")), r.out
    assert "         # dev only, the password is ****." in r.out.splitlines()


def test_a_word_like_secret_of_one_project_is_not_masked_in_another(tmp_path, polyfix):
    # `postgres` is a's password; in b it is a scheme, a host and a database: b's fix stays usable.
    write(tmp_path / "a" / "polytope.yml", "modules:\n  - id: db\n    module: polytope/container\n    args:\n"
          "      image: postgres:16\n      env:\n        - { name: POSTGRES_PASSWORD, value: postgres }\n"
          "      mounts: [{path: /var/lib/postgresql/data, source: {type: volume, scope: project, id: db-data}}]\n")
    write(tmp_path / "b" / "polytope.yml", "modules:\n  - id: api\n    module: polytope/container\n    args:\n"
          "      image: alpine\n      env:\n"
          "        - { name: DATABASE_URL, value: 'postgres://app:Wq83mZ7@postgres:5432/postgres' }\n")
    records = json.loads(polyfix(tmp_path, "--output-format", "json").out)
    edit = next(e["content"] for x in records if x["filename"].endswith("b/polytope.yml") for e in x["fix"]["edits"])
    assert edit == "'postgres://app:{pt.secret database-password}@postgres:5432/postgres'", edit
    assert not any("Wq83mZ7" in json.dumps(x) for x in records)


@pytest.mark.parametrize("args", [("--select", "PF006"), ("--ignore", "PF005"), ()])
def test_a_secret_is_masked_whether_pf005_runs_or_not(tmp_path, polyfix, args):
    write(tmp_path / "polytope.yml", "modules:\n  - id: api\n    module: polytope/container\n    args:\n"
          "      image: alpine\n      env:\n        - { name: API_TOKEN, value: 'tok9x7Qw2Lm' }\n"
          "        - { name: BACKEND_URL, value: 'http://localhost:3000' }\n")
    r = polyfix(tmp_path, "--dry-run", *args)
    assert "pt.param backend-url" in r.out and "tok9x7Qw2Lm" not in r.out + r.err
    assert "         - { name: API_TOKEN, value: '****' }" in r.out.splitlines()


def test_a_change_the_mask_hides_still_shows_as_a_change(tmp_path, polyfix):
    # The whole scalar is masked (an escaped secret), before and after the fix of its other secret:
    # the hunks come from the texts themselves, so the changed line still shows, masked.
    write(tmp_path / "polytope.yml", "modules:\n  - id: api\n    module: polytope/container\n    args:\n"
          "      image: alpine\n      env:\n"
          '        - { name: HOOK, value: "https://hooks.example.com/?token=Ab\\x43def12&api_key=Zz99yy88xx" }\n')
    r = polyfix(tmp_path, "--dry-run", "--unsafe-fixes")
    lines = r.out.splitlines()
    assert "-        - { name: HOOK, value: **** }" in lines and "+        - { name: HOOK, value: **** }" in lines
    assert not any(v in r.out + r.err for v in ("Ab\\x43def12", "Zz99yy88xx"))
