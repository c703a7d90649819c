"""`generate_network`: draws a network, plans its faults and writes the export files."""

import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .catalog import load_instruments, load_primary_instruments
from .clock import EXPORT_DATE, EXPORT_DAY
from .contract import ENTITIES
from .faults import FAULT_KINDS, INVALIDATING_KINDS, RESENT_DAY, FaultPlan, plan_faults
from .network import build_network
from .render import ExportFile, render
from .writer import FORMATS, file_name, stamp_mtime, write_table

_WRITERS = 2  # pyarrow formats and writes outside the GIL: one thread per core


@dataclass(frozen=True)
class GenerationSummary:
    out_dir: Path
    export_date: date
    files: tuple[Path, ...]  # every file written, sorted by name
    rows: dict[str, int]  # data rows written per entity, over all of its files
    # Fault kind -> (entity, record key as written) of each record it was injected into;
    # for RESENT_FILE, (entity, name of the copy).
    fault_records: dict[str, tuple[tuple[str, str], ...]]

    @property
    def faults(self) -> dict[str, int]:
        """How many records (files, for RESENT_FILE) carry each fault kind."""
        return {kind: len(records) for kind, records in self.fault_records.items()}

    def invalid_keys(self, entity: str) -> frozenset[str]:
        """Record keys of an entity whose rows break the contract on purpose.

        Every other row of the entity's files satisfies the contract's row rules.
        """
        return frozenset(
            key
            for kind in INVALIDATING_KINDS
            for record_entity, key in self.fault_records[kind]
            if record_entity == entity
        )


def _main_files(plan: FaultPlan) -> list[ExportFile]:
    """One file per entity and site, dated at the export date."""
    net = plan.network
    files = []
    for entity in ENTITIES:
        order = net.file_order(entity)
        if entity == "patients":
            order = order[~np.isin(order, plan.withheld_patients)]
        site = net.site_of_rows(entity)[order]
        bounds = np.searchsorted(site, np.arange(len(net.sites) + 1))
        for s in range(len(net.sites)):
            rows = order[bounds[s]:bounds[s + 1]]
            if len(rows):  # a header-only file would read as an empty export
                files.append(ExportFile(entity, s, EXPORT_DAY, rows,
                                        overrides=plan.overrides[entity]))
    return files


def generate_network(out_dir: Path, patients: int, sites: int = 6, seed: int = 0,
                     fmt: str = "csv", progress: bool = True) -> GenerationSummary:
    """Writes a realistic synthetic export of a clinic network into `out_dir`.

    One file per entity and site, `{entity}_{SITE}_{date}.{fmt}`, dated at the export
    date 2026-10-31, plus later-dated files carrying corrections, withdrawals, late
    patients and re-sent copies. The same arguments give byte-identical files.
    """
    if patients < 1:
        raise ValueError("patients must be at least 1")
    if not 1 <= sites <= 999:
        raise ValueError("sites must be between 1 and 999")
    if seed < 0:
        raise ValueError("seed must not be negative")
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    with tqdm(total=5, desc="ketreg generate", unit="step", file=sys.stderr,
              disable=not progress) as bar:
        def stage_done(name: str) -> None:
            bar.set_postfix_str(name)
            bar.update()

        network = build_network(patients, sites, seed, load_instruments(),
                                load_primary_instruments(), on_stage=stage_done)
        plan = plan_faults(network, seed)
        stage_done("faults")

        files = _main_files(plan) + list(plan.later_files)
        bar.total = 4 + len(files) + len(plan.resent)
        bar.set_postfix_str("writing")
        net = plan.network

        def write(file: ExportFile) -> tuple[Path, str, int]:
            path = out_dir / file_name(file.entity, net.sites[file.site], file.day, fmt)
            return path, file.entity, write_table(render(file, net), path, fmt, file.day)

        written: list[tuple[Path, str, int]] = []
        # Biggest files first, so the two writers finish together.
        by_size = sorted(files, key=lambda file: -len(file.rows))
        with ThreadPoolExecutor(max_workers=_WRITERS) as pool:
            for result in pool.map(write, by_size):
                written.append(result)
                bar.update()

        resent_records = []
        for entity, site in plan.resent:
            source = out_dir / file_name(entity, net.sites[site], EXPORT_DAY, fmt)
            copy = out_dir / file_name(entity, net.sites[site], RESENT_DAY, fmt)
            shutil.copyfile(source, copy)
            stamp_mtime(copy, RESENT_DAY)
            rows = next(n for path, _, n in written if path == source)
            written.append((copy, entity, rows))
            resent_records.append((entity, copy.name))
            bar.update()

    rows_per_entity = dict.fromkeys(ENTITIES, 0)
    for _, entity, rows in written:
        rows_per_entity[entity] += rows
    fault_records = {kind: tuple(plan.records[kind]) for kind in FAULT_KINDS}
    fault_records["RESENT_FILE"] = tuple(resent_records)
    return GenerationSummary(
        out_dir=out_dir,
        export_date=EXPORT_DATE,
        files=tuple(sorted(path for path, _, _ in written)),
        rows=rows_per_entity,
        fault_records=fault_records,
    )
