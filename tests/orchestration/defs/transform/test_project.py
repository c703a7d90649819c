"""The dbt project as the code location loads it: the profile dbt parses must name a
warehouse, also when KETREG_WAREHOUSE is set but empty (as `ketreg worker` sees it
started by the bench), or a stale manifest's parse fails before the first run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[4]


def test_an_empty_warehouse_setting_means_the_homes_warehouse(tmp_path):
    env = {**os.environ, "KETREG_HOME": str(tmp_path), "KETREG_WAREHOUSE": ""}
    shown = subprocess.run(
        [sys.executable, "-c", "import os, orchestration.defs.transform.project; "
                               "print(os.environ['KETREG_WAREHOUSE'])"],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=300, check=True)
    assert shown.stdout.strip() == str(tmp_path / "warehouse.duckdb")
