"""The instrument catalog and the indication-to-instrument map, read from the dbt seeds.

The seeds are the single place where item counts and ranges are written down; the
generator reads them at run time so that a changed catalog changes the data with it.
"""

import csv
from dataclasses import dataclass
from pathlib import Path

SEEDS_DIR = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"


@dataclass(frozen=True)
class Instrument:
    code: str
    n_items: int | None  # None: the instrument is reported as a total only
    item_max: int | None
    total_max: int | None  # None: no total (the C-SSRS screen)
    min_baseline: int | None
    max_missing_items: int


def _optional_int(text: str) -> int | None:
    return int(text) if text.strip() else None


def load_instruments(seeds_dir: Path = SEEDS_DIR) -> dict[str, Instrument]:
    with open(seeds_dir / "instrument_catalog.csv", newline="", encoding="utf-8") as f:
        return {
            row["instrument"]: Instrument(
                code=row["instrument"],
                n_items=_optional_int(row["n_items"]),
                item_max=_optional_int(row["item_max"]),
                total_max=_optional_int(row["total_max"]),
                min_baseline=_optional_int(row["min_baseline"]),
                max_missing_items=_optional_int(row["max_missing_items"]) or 0,
            )
            for row in csv.DictReader(f)
        }


def load_primary_instruments(seeds_dir: Path = SEEDS_DIR) -> dict[str, str]:
    """Indication -> the instrument its outcomes are judged on."""
    with open(seeds_dir / "indication_primary_instrument.csv", newline="", encoding="utf-8") as f:
        return {row["indication"]: row["primary_instrument"] for row in csv.DictReader(f)}
