"""The rules, in the order they run. Each module has CODE, NAME, a docstring (its user docs) and
`check(project, files) -> list[Problem]` over the files being checked; a rule with AFTER_OTHERS
(PF100) has `check_after(project, files, problems, selected)` instead, run on the others' problems."""
from . import (pf001_value_to_param, pf002_stateful_without_volume, pf003_after_on_service,
               pf004_script_not_executable, pf011_service_not_fault_tolerant,
               pf100_unused_suppression)

RULES = [pf001_value_to_param, pf002_stateful_without_volume, pf003_after_on_service, pf004_script_not_executable,
         pf011_service_not_fault_tolerant, pf100_unused_suppression]
BY_CODE = {r.CODE: r for r in RULES}
BY_NAME = {r.NAME: r for r in RULES}

