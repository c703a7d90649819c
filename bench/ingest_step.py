"""Materialise only the ingest asset over an inbox (KETREG_HOME from the environment).

`python -m bench.ingest_step INBOX` — what the job's first step costs, GX at the
door included, without dbt, the checks or the publish step.
"""

from __future__ import annotations

import sys
from pathlib import Path

import dagster as dg

from orchestration import settings as ketreg_settings
from orchestration.defs.ingest.assets import ingest_exports
from orchestration.defs.pipeline import run_config_for
from orchestration.defs.resources import warehouse_resource
from orchestration.run import dagster_instance


def main(inbox: str) -> int:
    settings = ketreg_settings.load()
    with dagster_instance(settings) as instance:
        result = dg.materialize(
            [ingest_exports],
            run_config={**run_config_for(str(Path(inbox).resolve())),
                        "loggers": {"console": {"config": {"log_level": "WARNING"}}}},
            resources={"warehouse": warehouse_resource(settings)},
            instance=instance,
        )
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
