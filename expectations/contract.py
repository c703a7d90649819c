"""The codes, key formats and ranges of the export contract (spec/exports.md) the suites check.

Instruments and indications are read from the dbt seeds rather than repeated here, so a clinic
that extends its catalog extends these checks with it (clinical definitions live in data).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

# The code lists are the ingest's own (one contract, declared once); the suites
# re-check the typed rows against them independently of the ingest's SQL.
from orchestration.defs.ingest.contract import AE_CATEGORIES as ADVERSE_EVENT_CATEGORIES
from orchestration.defs.ingest.contract import AE_SEVERITIES as ADVERSE_EVENT_SEVERITIES
from orchestration.defs.ingest.contract import (
    DRUGS,
    ROUTES,
    SESSION_STATUSES,
    SEXES,
    SIDE_EFFECTS,
)

__all__ = [
    "ADVERSE_EVENT_CATEGORIES", "ADVERSE_EVENT_SEVERITIES", "DRUGS", "ROUTES",
    "SESSION_STATUSES", "SEXES", "SIDE_EFFECTS",
]

SEEDS_DIR = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds"

SITE_ID_PATTERN = r"^[A-Z0-9-]{2,16}$"
PATIENT_KEY_PATTERN = r"^[A-Za-z0-9_-]{6,64}$"
FILE_SHA256_PATTERN = r"^[0-9a-f]{64}$"
# Record ids other than the patient key are free text of 1..64 characters.
RECORD_ID_MAX_LENGTH = 64

# The item column holds '1'..'n' without leading zeros, or 'total' (warehouse.sql).
ASSESSMENT_ITEM_PATTERN = r"^(?:total|[1-9][0-9]*)$"


@dataclass(frozen=True)
class Instrument:
    name: str
    n_items: int | None  # None: the instrument is reported as a total only
    item_min: int | None
    item_max: int | None
    total_min: int | None  # None: the instrument has no total (C-SSRS screen)
    total_max: int | None

    @property
    def has_total(self) -> bool:
        return self.total_max is not None

    @property
    def item_labels(self) -> list[str]:
        """The values the item column may take for this instrument."""
        items = [str(i) for i in range(1, (self.n_items or 0) + 1)]
        return items + ["total"] if self.has_total else items


def _int_or_none(text: str) -> int | None:
    return int(text) if text.strip() else None


@cache
def instruments() -> dict[str, Instrument]:
    with (SEEDS_DIR / "instrument_catalog.csv").open(newline="", encoding="utf-8") as f:
        return {
            row["instrument"]: Instrument(
                name=row["instrument"],
                n_items=_int_or_none(row["n_items"]),
                item_min=_int_or_none(row["item_min"]),
                item_max=_int_or_none(row["item_max"]),
                total_min=_int_or_none(row["total_min"]),
                total_max=_int_or_none(row["total_max"]),
            )
            for row in csv.DictReader(f)
        }


@cache
def primary_instrument_by_indication() -> dict[str, str]:
    with (SEEDS_DIR / "indication_primary_instrument.csv").open(newline="", encoding="utf-8") as f:
        return {row["indication"]: row["primary_instrument"] for row in csv.DictReader(f)}


def indications() -> tuple[str, ...]:
    return tuple(primary_instrument_by_indication())
