"""The rules, in the order they run. Each module has CODE, NAME, a docstring (its user docs) and
`check(project, files) -> list[Problem]` over the files being checked."""
from . import (pf001_value_to_param, pf002_stateful_without_volume, pf003_after_on_service,
               pf004_script_not_executable)

RULES = [pf001_value_to_param, pf002_stateful_without_volume, pf003_after_on_service, pf004_script_not_executable]
BY_CODE = {r.CODE: r for r in RULES}
BY_NAME = {r.NAME: r for r in RULES}


def summary(rule) -> str:
    """The first line of a rule's docs, after its code and name."""
    return rule.__doc__.strip().splitlines()[0].split(": ", 1)[1]
