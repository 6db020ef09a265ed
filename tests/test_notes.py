""""Still to do by hand" after --write: the lines of the fixed file, each note once, and no note a
later pass made moot."""
from __future__ import annotations

SPEC = """\
tools:
  api:
    run:
      - tool: polytope/python
        args:
          env:
            - { name: A, value: "pt.values db-host" }
            - { name: B, value: "{pt.values region}-{pt.values region}" }
            - { name: C, value: pt.secrets api-token }
            - { name: D, value: "pt.values db-host" }
            - { name: E, value: "pt.values region" }
"""


def _still_to_do(run) -> list[str]:
    lines = (run.out + run.err).splitlines()
    start = lines.index("Still to do by hand:") + 1
    return [l.strip() for l in lines[start:] if l.startswith("  ")]


def test_notes_name_the_fixed_files_lines_once_and_drop_what_a_later_pass_settled(polyfix, tmp_path):
    # PF025 corrects each `pt.values` to `pt.value` and notes that the value must be set; a later
    # pass of PF001 makes `db-host` (whose default the values file gives) a param, which moves the
    # lines down by three and leaves no value `db-host` to set. `region` has no default: it stays.
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "values.yml").write_text("db-host: db\n")
    (tmp_path / "polytope.yml").write_text(SPEC)
    fixed = polyfix(tmp_path, "--write", "--unsafe-fixes")
    text = (tmp_path / "polytope.yml").read_text().splitlines()
    assert text[10] == '            - { name: B, value: "{pt.value region}-{pt.value region}" }'
    assert text[11] == "            - { name: C, value: pt.secret api-token }"
    assert _still_to_do(fixed) == ["polytope.yml:11: pt value set region <value>",
                                   "polytope.yml:12: pt secret set api-token <value>"]


def test_a_note_stays_while_the_file_still_reads_the_value(polyfix, tmp_path):
    (tmp_path / "polytope.yml").write_text(SPEC)  # no values file: no default, PF001 cannot fix
    fixed = polyfix(tmp_path, "--write", "--unsafe-fixes")
    assert _still_to_do(fixed) == ["polytope.yml:7: pt value set db-host <value>",
                                   "polytope.yml:8: pt value set region <value>",
                                   "polytope.yml:9: pt secret set api-token <value>"]


def test_a_note_stays_while_code_or_another_file_of_the_group_reads_the_value(polyfix, tmp_path):
    # PF001 makes this file's `pt.value db-host` a param; the value is still read by code in the
    # same file, or by an included file PF001 leaves alone: it must still be set.
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "values.yml").write_text("db-host: db\n")
    spec = SPEC.split("            - { name: B")[0]  # the first reference alone
    code = "            - { name: B, value: \"#pt-js pt.value('db-host')\" }\n"
    (tmp_path / "polytope.yml").write_text(spec + code)
    assert _still_to_do(polyfix(tmp_path, "--write", "--unsafe-fixes")) == ["polytope.yml:10: pt value set db-host <value>"]

    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "polytope.yml").write_text("# polyfix: file-ignore[PF001]\n" + SPEC.replace("api:", "web:").split(
        "            - { name: B")[0].replace("pt.values", "pt.value"))
    (tmp_path / "polytope.yml").write_text("include:\n  - sub/polytope.yml\n" + spec)
    assert _still_to_do(polyfix(tmp_path, "--write", "--unsafe-fixes")) == ["polytope.yml:12: pt value set db-host <value>"]


CALLED_WITH_A_LITERAL = """\
templates:
  - id: stack
    run:
      - { module: api, args: { db-host: postgres } }
modules:
  - id: api
    module: polytope/python
    args:
      image: python:3.12
      env: [{ name: DB_HOST, value: pt.value db-host }]
"""


def test_no_note_asks_for_a_default_a_later_pass_gave(polyfix, tmp_path):
    # PF001 declares `db-host` with no default it knows and notes that it needs one; the next pass's
    # PF009 gives it the literal every caller passes. Without PF009, the note stays.
    (tmp_path / "polytope.yml").write_text(CALLED_WITH_A_LITERAL)
    fixed = polyfix(tmp_path, "--write", "--unsafe-fixes")
    assert "        type: [default, str, postgres]\n" in (tmp_path / "polytope.yml").read_text()
    assert "fixed polytope.yml (PF001, PF009)" in fixed.out
    assert "Still to do by hand" not in fixed.out + fixed.err
    (tmp_path / "polytope.yml").write_text(CALLED_WITH_A_LITERAL)
    alone = polyfix(tmp_path, "--write", "--unsafe-fixes", "--select", "PF001")
    assert "        type: str\n" in (tmp_path / "polytope.yml").read_text()
    assert _still_to_do(alone) == ["polytope.yml:6: give param `db-host` of module `api` a default: "
                                   "type: [default, str, <value>]"]
