"""The realistic synthetic export generator behind `ketreg generate`.

`generate_network(out_dir, patients, sites, seed, fmt)` writes what the clinics of a
network would drop into the registry's inbox (shared/spec/exports.md), deterministically
for a seed, and returns a `GenerationSummary` of the files, rows and injected faults.

Formats: CSV as in the example export (header row, `YYYY-MM-DD HH:MM` timestamps,
`true`/`false`, empty cells for missing values); Parquet with the same columns, every
value stored as text exactly as the CSV cell reads (null for an empty cell), so that the
deliberately malformed values reach the registry unchanged in both formats.
"""

from .faults import FAULT_KINDS, INVALIDATING_KINDS
from .generate import GenerationSummary, generate_network

__all__ = ["FAULT_KINDS", "INVALIDATING_KINDS", "GenerationSummary", "generate_network"]
