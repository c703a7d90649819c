"""The Dagster code location: everything under defs/, loaded by convention."""

import dagster as dg

from orchestration import defs as defs_package

defs = dg.load_defs(defs_root=defs_package)
