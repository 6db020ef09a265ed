"""The rules, in the order they run. Each module has CODE, NAME, a docstring (its user docs) and
`check(project, files) -> list[Problem]` over the files being checked; a rule with AFTER_OTHERS
(PF100) has `check_after(project, files, problems, selected)` instead, run on the others' problems.
Rules with VALIDATOR = True find what would fail at run time: they also form the gate every fix
passes (validate.py)."""
from . import (pf001_value_to_param, pf002_stateful_without_volume, pf003_after_on_service,
               pf004_script_not_executable, pf005_hardcoded_secret, pf006_hardcoded_endpoint,
               pf007_module_in_template, pf008_verbose_template,
               pf009_param_without_default, pf010_params_meant_args, pf011_service_not_fault_tolerant,
               pf020_undeclared_param, pf021_required_param_not_passed, pf022_unknown_name,
               pf023_after_unknown_step, pf024_wrong_literal_type, pf025_unknown_reference_prefix,
               pf100_unused_suppression)

RULES = [pf001_value_to_param, pf002_stateful_without_volume, pf003_after_on_service, pf004_script_not_executable,
         pf005_hardcoded_secret, pf006_hardcoded_endpoint,
         pf007_module_in_template, pf008_verbose_template, pf009_param_without_default, pf010_params_meant_args,
         pf011_service_not_fault_tolerant,
         pf020_undeclared_param, pf021_required_param_not_passed, pf022_unknown_name, pf023_after_unknown_step,
         pf024_wrong_literal_type, pf025_unknown_reference_prefix, pf100_unused_suppression]
VALIDATORS = [r for r in RULES if getattr(r, "VALIDATOR", False)]
BY_CODE = {r.CODE: r for r in RULES}
BY_NAME = {r.NAME: r for r in RULES}
