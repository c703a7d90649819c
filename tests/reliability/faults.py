"""`ketreg` with one fault injected in-process: what a failed run must not harm.

    python -m tests.reliability.faults FAULT KETREG-ARGS...

FAULT is one of:

- `dbt-model-fails`: dbt build gets `--vars {trajectory_horizon_days: oops}`,
  so the late marts that use it (course_trajectories, definitions) fail to
  build while staging, intermediate and the other marts are rebuilt: a dbt
  build that stops halfway.
- `gx-suite-fails`: the Great Expectations suite of marts.outcome_rates gains
  an expectation no data meets (a billion rows), so a blocking check fails
  after dbt built everything.

Nothing in the registry knows about this module: it patches the two seams
(the dbt CLI resource, the GX suite registry) and then runs the real command.
"""

from __future__ import annotations

import sys

import great_expectations as gx
from dagster_dbt import DbtCliResource

from expectations import registry
from orchestration.cli import main

FAILING_VARS = "{trajectory_horizon_days: oops}"
FAILING_SUITE = "marts.outcome_rates"


def make_dbt_model_fail() -> None:
    original = DbtCliResource.cli

    def cli(self, args, **kwargs):
        if args and args[0] == "build":
            args = [*args, "--vars", FAILING_VARS]
        return original(self, args, **kwargs)

    DbtCliResource.cli = cli


def make_gx_suite_fail() -> None:
    build = registry.SUITE_BUILDERS[FAILING_SUITE]

    def impossible_suite() -> gx.ExpectationSuite:
        suite = build()
        suite.add_expectation(gx.expectations.ExpectTableRowCountToBeBetween(
            min_value=1_000_000_000))
        return suite

    registry.SUITE_BUILDERS[FAILING_SUITE] = impossible_suite


FAULTS = {"dbt-model-fails": make_dbt_model_fail, "gx-suite-fails": make_gx_suite_fail}

if __name__ == "__main__":
    FAULTS[sys.argv[1]]()
    sys.exit(main(sys.argv[2:]))
