"""The synthetic export generator, checked the way a registry user would check an export.

The checks here are written from the specs (shared/spec/exports.md, outcomes.md), not
from the generator's code: a small contract checker for the row rules, and a small
reference computation of courses, baselines and endpoints for the outcome figures.
"""

import csv
import hashlib
import math
import re
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from orchestration.settings import PROJECT_ROOT as REPO
from orchestration.synthetic import FAULT_KINDS, generate_network

EXPORT_DATE = "2026-10-31"
LAST_VALID_TIMESTAMP = datetime(2026, 10, 31, 23, 59)

# --- the contract, as shared/spec/exports.md writes it -------------------------------------

COMMON = ["record_version", "entered_in_error"]
CONTRACT_COLUMNS = {
    "patients": ["patient_key", "site_id", "birth_year", "sex", "primary_indication",
                 "prior_treatment_failures", "enrolled_on"],
    "sessions": ["session_id", "patient_key", "site_id", "started_at", "route", "drug",
                 "dose_mg", "weight_kg", "duration_min", "monitored_min", "status", "sbp_pre",
                 "sbp_peak", "sbp_post", "dbp_pre", "dbp_peak", "dbp_post", "hr_pre",
                 "hr_peak", "spo2_min", "cadss", "moaas_min", "side_effects"],
    "assessments": ["assessment_id", "patient_key", "site_id", "instrument",
                    "administered_at", "item", "value"],
    "adverse_events": ["event_id", "patient_key", "site_id", "session_id", "onset_at",
                       "category", "severity", "serious"],
}
KEY = {"patients": "patient_key", "sessions": "session_id", "assessments": "assessment_id",
       "adverse_events": "event_id"}
INDICATIONS = ["TRD", "MDD", "BIPOLAR_DEPRESSION", "PTSD", "OCD", "SUICIDAL_IDEATION",
               "CHRONIC_PAIN", "OTHER"]
ROUTES = ["IV", "IM", "IN", "SL", "PO"]
SIDE_EFFECTS = {"NAUSEA", "VOMITING", "DIZZINESS", "HEADACHE", "DISSOCIATION", "SEDATION",
                "ANXIETY", "HYPERTENSION", "TACHYCARDIA", "RESPIRATORY_DEPRESSION",
                "BLURRED_VISION", "CONFUSION", "OTHER"}
AE_CATEGORIES = {"HYPERTENSION", "DISSOCIATION", "NAUSEA_VOMITING", "SEDATION",
                 "RESPIRATORY_DEPRESSION", "CARDIAC", "PSYCHIATRIC_WORSENING",
                 "SUICIDAL_BEHAVIOR", "UROLOGICAL", "MISUSE", "OTHER"}
BOOLEANS = {"true", "false", "t", "f", "yes", "no", "y", "n", "1", "0"}
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?$")


def load_catalog() -> dict[str, dict[str, str]]:
    with open(REPO / "dbt_project/seeds/instrument_catalog.csv", newline="") as f:
        return {row["instrument"]: row for row in csv.DictReader(f)}


def load_primary_instruments() -> dict[str, str]:
    with open(REPO / "dbt_project/seeds/indication_primary_instrument.csv", newline="") as f:
        return {row["indication"]: row["primary_instrument"] for row in csv.DictReader(f)}


CATALOG = load_catalog()


def _int_in(values: pd.Series, low: float, high: float, optional: bool = True) -> pd.Series:
    """True where the cell breaks `integer in [low, high]` (empty allowed when optional)."""
    number = pd.to_numeric(values.where(values != ""), errors="coerce")
    bad = number.isna() & (values != "") | ~number.isna() & (
        (number < low) | (number > high) | (number != number.round())
    )
    return bad | (~optional & (values == ""))


def _number_in(values: pd.Series, low: float, high: float, optional: bool) -> pd.Series:
    number = pd.to_numeric(values.where(values != ""), errors="coerce")
    bad = number.isna() & (values != "") | ~number.isna() & ((number < low) | (number > high))
    return bad | (~optional & (values == ""))


def _bad_date(values: pd.Series) -> pd.Series:
    parsed = pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")
    return parsed.isna() | (parsed > pd.Timestamp(EXPORT_DATE))


def _bad_timestamp(values: pd.Series) -> pd.Series:
    distinct = pd.Series(values.unique())
    # Seconds and an offset may follow; validity is decided by the date and the minute.
    minute = distinct.str.replace("T", " ", regex=False).str.slice(0, 16)
    parsed = pd.to_datetime(minute, format="%Y-%m-%d %H:%M", errors="coerce")
    bad = ~distinct.str.match(TIMESTAMP) | parsed.isna() | (parsed > LAST_VALID_TIMESTAMP)
    return values.map(dict(zip(distinct, bad, strict=True))).astype(bool)


def _not_in(values: pd.Series, allowed, optional: bool = False) -> pd.Series:
    normal = values.str.strip().str.upper()
    return ~normal.isin({a.upper() for a in allowed}) & ~(optional & (values == ""))


def row_violations(entity: str, df: pd.DataFrame) -> pd.Series:
    """True for every row that breaks a row rule of exports.md (administrations as a whole)."""
    bad = ~df.site_id.str.match(r"^[A-Z0-9-]{2,16}$")
    bad |= _int_in(df.record_version, 1, 1e9) | _not_in(df.entered_in_error, BOOLEANS, True)
    if entity == "patients":
        bad |= ~df.patient_key.str.match(r"^[A-Za-z0-9_-]{6,64}$")
        bad |= _int_in(df.birth_year, 1900, 2026) | _not_in(df.sex, "FMXU", True)
        bad |= _not_in(df.primary_indication, INDICATIONS)
        bad |= _int_in(df.prior_treatment_failures, 0, 50) | _bad_date(df.enrolled_on)
    elif entity == "sessions":
        bad |= (df.session_id.str.len() < 1) | (df.session_id.str.len() > 64)
        bad |= (df.patient_key == "") | _bad_timestamp(df.started_at)
        bad |= _not_in(df.route, ROUTES) | _not_in(df.drug, ["KETAMINE", "ESKETAMINE"])
        bad |= _number_in(df.dose_mg, 1e-9, 1000, optional=False)
        bad |= _number_in(df.weight_kg, 20, 300, optional=True)
        bad |= _int_in(df.duration_min, 0, 600) | _int_in(df.monitored_min, 0, 1440)
        bad |= _not_in(df.status, ["COMPLETED", "TERMINATED_EARLY", "CANCELLED"])
        for column, (low, high) in {"sbp": (50, 300), "dbp": (30, 200)}.items():
            for moment in ("pre", "peak", "post"):
                bad |= _int_in(df[f"{column}_{moment}"], low, high)
        bad |= _int_in(df.hr_pre, 20, 250) | _int_in(df.hr_peak, 20, 250)
        bad |= _int_in(df.spo2_min, 50, 100) | _int_in(df.cadss, 0, 92)
        bad |= _int_in(df.moaas_min, 0, 5)
        effects = df.side_effects.str.split(";").explode()
        bad |= (~effects.str.strip().str.upper().isin(SIDE_EFFECTS) & (effects != "")).groupby(
            level=0).any()
    elif entity == "adverse_events":
        bad |= (df.event_id == "") | (df.patient_key == "") | _bad_timestamp(df.onset_at)
        bad |= _not_in(df.category, AE_CATEGORIES)
        bad |= _not_in(df.severity, ["MILD", "MODERATE", "SEVERE"])
        bad |= _not_in(df.serious, BOOLEANS, optional=True)
    else:
        bad |= _assessment_violations(df)
    return bad


def _assessment_violations(df: pd.DataFrame) -> pd.Series:
    # An administration is judged within its file: a later file may re-send it corrected.
    df = df.assign(assessment_id=df.file + "|" + df.assessment_id)
    catalog = pd.DataFrame(CATALOG.values()).set_index("instrument")
    known = df.instrument.isin(catalog.index)
    info = catalog.reindex(df.instrument)
    info.index = df.index
    n_items = pd.to_numeric(info.n_items, errors="coerce")
    is_total = df.item == "total"
    item_number = pd.to_numeric(df.item.where(~is_total), errors="coerce")
    value = pd.to_numeric(df.value, errors="coerce")
    low = pd.to_numeric(info.total_min.where(is_total, info.item_min), errors="coerce")
    high = pd.to_numeric(info.total_max.where(is_total, info.item_max), errors="coerce")
    bad = ~known | (df.patient_key == "") | _bad_timestamp(df.administered_at)
    bad |= ~is_total & ~((item_number >= 1) & (item_number <= n_items))
    bad |= is_total & low.isna()  # a total for an instrument without one (C-SSRS)
    bad |= value.isna() | (value < low) | (value > high)

    # Administration rules: one bad row, different answers to one item, a wrong total.
    items = df[~is_total].assign(v=value)
    conflicts = items.groupby(["assessment_id", "item"]).v.nunique() > 1
    conflicted = set(conflicts[conflicts].index.get_level_values(0))
    answered = items.drop_duplicates(["assessment_id", "item"]).groupby("assessment_id").v
    expected = pd.to_numeric(
        df.groupby("assessment_id").instrument.first().map(
            lambda code: CATALOG.get(code, {}).get("n_items", "")),
        errors="coerce")
    complete = answered.size() == expected.reindex(answered.size().index)
    stated = df[is_total].assign(v=value).groupby("assessment_id").v.first()
    checked = stated.index.intersection(complete[complete].index)
    mismatched = set(checked[stated[checked] != answered.sum()[checked]])
    bad |= df.assessment_id.isin(conflicted | mismatched)
    return bad.groupby(df.assessment_id).transform("any")


# --- reading a generated inbox ---------------------------------------------------------------


def read_inbox(folder: Path) -> dict[str, pd.DataFrame]:
    """Every file of each entity, all cells as text, with the file's name and date."""
    frames: dict[str, list[pd.DataFrame]] = {entity: [] for entity in CONTRACT_COLUMNS}
    for path in sorted(folder.glob("*.csv")):
        entity = next(e for e in sorted(CONTRACT_COLUMNS, key=len, reverse=True)
                      if path.name.startswith(e + "_"))
        df = pd.read_csv(path, dtype=str, keep_default_na=False, engine="pyarrow")
        frames[entity].append(df.assign(file=path.name, file_date=path.stem[-10:]))
    return {entity: pd.concat(parts, ignore_index=True) for entity, parts in frames.items()}


def current_records(entity: str, df: pd.DataFrame, invalid: frozenset[str]) -> pd.DataFrame:
    """What the registry keeps (exports.md, Versions): valid rows, latest version, no
    withdrawals, re-sent rows once."""
    key = KEY[entity]
    df = df[~df[key].isin(invalid)].drop(columns=["file", "file_date"]).drop_duplicates()
    version = df.record_version.astype(int)
    latest = version == version.groupby(df[key]).transform("max")
    df = df[latest]
    withdrawn = df.entered_in_error.str.lower().isin({"true", "t", "yes", "y", "1"})
    return df[~withdrawn.groupby(df[key]).transform("any")]


def half_away_round(x: pd.Series) -> pd.Series:
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def scored_administrations(assessments: pd.DataFrame) -> pd.DataFrame:
    """One row per scorable administration with a total (outcomes.md, Scoring)."""
    df = assessments.assign(value=assessments.value.astype(float))
    items = df[df.item != "total"].groupby("assessment_id").value.agg(["sum", "size"])
    stated = df[df.item == "total"].groupby("assessment_id").value.first()
    heads = df.groupby("assessment_id")[["patient_key", "instrument", "administered_at"]].first()
    heads = heads.join(items).join(stated.rename("stated"))
    heads = heads[heads.instrument.map(lambda i: CATALOG[i]["total_max"] != "")]
    n = heads.instrument.map(lambda i: float(CATALOG[i]["n_items"]))
    allowed = heads.instrument.map(lambda i: float(CATALOG[i]["max_missing_items"]))
    answered = heads["size"].fillna(0)
    missing = n - answered
    prorated = half_away_round(heads["sum"] * n / answered.replace(0, np.nan))
    heads["total"] = np.select(
        [missing == 0, (answered > 0) & (missing <= allowed), answered == 0],
        [heads["sum"], prorated, heads.stated],
        np.nan,
    )
    heads["when"] = pd.to_datetime(heads.administered_at)
    return heads.dropna(subset=["total"]).reset_index()


def reference_courses(data: dict[str, pd.DataFrame], invalid) -> tuple[pd.DataFrame,
                                                                        pd.DataFrame]:
    """Courses (outcomes.md, Treatment courses) of current records, and scored administrations."""
    patients = current_records("patients", data["patients"], invalid("patients"))
    sessions = current_records("sessions", data["sessions"], invalid("sessions"))
    scored = scored_administrations(
        current_records("assessments", data["assessments"], invalid("assessments"))
    )
    known = set(patients.patient_key)
    sessions = sessions[sessions.status.isin(["COMPLETED", "TERMINATED_EARLY"])
                        & sessions.patient_key.isin(known)]
    scored = scored[scored.patient_key.isin(known)]
    sessions = sessions.assign(when=pd.to_datetime(sessions.started_at))
    sessions = sessions.sort_values(["patient_key", "when", "session_id"])
    day = sessions["when"].dt.normalize()
    gap = (day - day.groupby(sessions.patient_key).shift()).dt.days
    sessions["course_number"] = (gap.isna() | (gap > 60)).groupby(sessions.patient_key).cumsum()
    courses = sessions.groupby(["patient_key", "course_number"]).agg(
        start=("when", "first"), route=("route", "first"), n_sessions=("session_id", "size")
    ).reset_index()
    courses = courses.merge(patients[["patient_key", "primary_indication"]], on="patient_key")
    courses["primary"] = courses.primary_indication.map(load_primary_instruments())
    as_of = max(sessions["when"].max(), scored["when"].max()).normalize()
    courses["itt_window"] = (as_of - courses.start.dt.normalize()).dt.days >= 56
    return courses, scored


def course_outcomes(courses: pd.DataFrame, scored: pd.DataFrame) -> pd.DataFrame:
    """Baseline, endpoint and outcome flags per course and instrument with a baseline."""
    pairs = courses.merge(scored, on="patient_key")
    pairs["day"] = (pairs["when"].dt.normalize() - pairs.start.dt.normalize()).dt.days
    pairs = pairs.sort_values(["when", "assessment_id"])
    keys = ["patient_key", "course_number", "instrument"]
    in_baseline = (pairs["when"] <= pairs.start) & (pairs.day >= -30)
    baseline = pairs[in_baseline].groupby(keys).total.last()
    endpoint = pairs[(pairs.day >= 14) & (pairs.day <= 56)].groupby(keys).total.last()
    out = baseline.rename("baseline").to_frame().join(endpoint.rename("endpoint")).reset_index()
    out = out.merge(courses, on=["patient_key", "course_number"])
    threshold = out.instrument.map(CATALOG)

    def number(field: str) -> pd.Series:
        return threshold.map(lambda t: float(t[field]))

    out["evaluable"] = out.baseline >= number("min_baseline")
    out["itt"] = out.evaluable & out.itt_window
    out["completer"] = out.itt & out.endpoint.notna()
    change = (out.baseline - out.endpoint) / out.baseline
    out["responded"] = out.completer & (change >= number("response_reduction") - 1e-12)
    out["remitted"] = out.completer & (out.endpoint <= number("remission_max"))
    return out


# --- fixtures ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    """A network of 4,000 patients: enough for rates to settle, small enough to be quick."""
    folder = tmp_path_factory.mktemp("network")
    summary = generate_network(folder, patients=4000, sites=6, seed=7, progress=False)
    return summary, read_inbox(folder)


@pytest.fixture(scope="module")
def clean(network):
    """Rows not deliberately broken, each once (re-sent copies dropped), any version."""
    summary, data = network
    return {
        entity: df[~df[KEY[entity]].isin(summary.invalid_keys(entity))]
        .drop_duplicates(subset=CONTRACT_COLUMNS[entity] + COMMON)
        for entity, df in data.items()
    }


@pytest.fixture(scope="module")
def reference(network):
    summary, data = network
    return reference_courses(data, summary.invalid_keys)


@pytest.fixture(scope="module")
def outcomes(reference):
    return course_outcomes(*reference)


def _file_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# --- determinism and keys ----------------------------------------------------------------


def test_same_seed_gives_identical_files(tmp_path, capsys):
    generate_network(tmp_path / "a", patients=300, sites=3, seed=11, progress=True)
    assert "ketreg generate" in capsys.readouterr().err  # the progress bar, on stderr
    generate_network(tmp_path / "b", patients=300, sites=3, seed=11, progress=False)
    assert capsys.readouterr() == ("", "")
    first, second = _file_bytes(tmp_path / "a"), _file_bytes(tmp_path / "b")
    assert len(first) >= 12
    assert first == second


def test_different_seeds_share_no_record_key(tmp_path):
    data = {}
    for seed in (1, 12):
        generate_network(tmp_path / str(seed), patients=400, sites=3, seed=seed, progress=False)
        data[seed] = read_inbox(tmp_path / str(seed))
    for entity, key in KEY.items():
        one, other = set(data[1][entity][key]), set(data[12][entity][key])
        assert one and other
        assert not one & other, entity


def test_record_keys_have_the_contract_formats(network):
    _, data = network
    assert data["patients"].patient_key.str.match(r"^[A-Za-z0-9_-]{6,64}$").mean() > 0.99
    for entity in ("sessions", "assessments", "adverse_events"):
        assert data[entity][KEY[entity]].str.len().between(1, 64).all()
    assert data["sessions"].site_id.str.match(r"^[A-Z0-9-]{2,16}$").all()


# --- the file contract -------------------------------------------------------------------


def test_every_file_has_the_contract_header_and_name(network):
    summary, _ = network
    assert summary.files
    for path in summary.files:
        entity, site, day = re.fullmatch(r"(.+)_([A-Z0-9-]+)_(\d{4}-\d{2}-\d{2})\.csv",
                                         path.name).groups()
        with open(path, newline="", encoding="utf-8") as f:
            header = next(csv.reader(f))
        assert header == CONTRACT_COLUMNS[entity] + COMMON, path.name
        assert day >= EXPORT_DATE


def test_rows_follow_the_example_format(network):
    summary, data = network
    sessions = data["sessions"]
    assert sessions.started_at.str.match(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$").all()
    assert set(sessions.entered_in_error) == {"true", "false"}
    assert (sessions.weight_kg == "").any() and (sessions.side_effects == "").any()
    for path in summary.files:
        raw = path.read_bytes()
        assert b'"' not in raw and b"\r" not in raw and raw.endswith(b"\n"), path.name
    assert sum(summary.rows.values()) == sum(len(df) for df in data.values())


def test_rows_not_injected_satisfy_the_contract(network):
    summary, data = network
    for entity, df in data.items():
        invalid = summary.invalid_keys(entity)
        injected = df[KEY[entity]].isin(invalid)
        bad = row_violations(entity, df)
        assert not bad[~injected].any(), df[~injected & bad].head().to_dict("records")
        # ... and the checker sees every injected record as broken.
        assert bad[injected].all(), entity
        assert set(df.loc[injected, KEY[entity]]) == invalid, entity


def test_record_keys_are_unique_within_an_export(network):
    _, data = network
    for entity in ("patients", "sessions", "adverse_events"):
        main = data[entity][data[entity].file_date == EXPORT_DATE]
        assert not main[KEY[entity]].duplicated().any(), entity


def test_adverse_events_follow_their_session(clean):
    sessions = clean["sessions"].drop_duplicates("session_id").set_index("session_id")
    events = clean["adverse_events"].drop_duplicates("event_id")
    linked = events[events.session_id.isin(sessions.index)]
    assert 0.8 < len(linked) / len(events) < 1
    session = sessions.loc[linked.session_id]
    assert (session.patient_key.to_numpy() == linked.patient_key.to_numpy()).all()
    delay = (pd.to_datetime(linked.onset_at).to_numpy()
             - pd.to_datetime(session.started_at).to_numpy())
    assert (delay >= np.timedelta64(0)).all() and (delay <= np.timedelta64(3, "h")).all()
    countable = sessions.status.isin(["COMPLETED", "TERMINATED_EARLY"]).sum()
    assert 0.01 < len(events) / countable < 0.06
    assert {"HYPERTENSION", "DISSOCIATION", "SEDATION", "PSYCHIATRIC_WORSENING"} <= set(
        events.category)
    assert set(events.severity) == {"MILD", "MODERATE", "SEVERE"}
    assert 0 < (events.serious == "true").mean() < 0.1


# --- injected faults ---------------------------------------------------------------------


def test_every_fault_kind_is_injected_and_shows_in_the_files(tmp_path):
    summary = generate_network(tmp_path, patients=2000, sites=6, seed=3, progress=False)
    assert set(summary.faults) == set(FAULT_KINDS)
    assert all(count > 0 for count in summary.faults.values()), summary.faults
    data = read_inbox(tmp_path)

    hashes: dict[str, list[str]] = {}
    for path in summary.files:
        hashes.setdefault(hashlib.sha256(path.read_bytes()).hexdigest(), []).append(path.name)
    copies = {names[-1] for names in hashes.values() if len(names) > 1}
    assert copies == {name for _, name in summary.fault_records["RESENT_FILE"]}

    later = {entity: df[df.file_date > EXPORT_DATE] for entity, df in data.items()}
    corrected = {(e, k) for e, df in later.items()
                 for k in df[(df.record_version == "2") & (df.entered_in_error == "false")]
                 [KEY[e]]}
    withdrawn = {(e, k) for e, df in later.items()
                 for k in df[df.entered_in_error == "true"][KEY[e]]}
    assert corrected == set(summary.fault_records["CORRECTED_VERSION"])
    assert withdrawn == set(summary.fault_records["WITHDRAWN_RECORD"])

    patients = data["patients"]
    first_file = set(patients[patients.file_date == EXPORT_DATE].patient_key)
    late = patients[(patients.file_date > EXPORT_DATE) & (patients.record_version == "1")]
    assert set(late.patient_key) == {k for _, k in summary.fault_records["LATE_PATIENT"]}
    assert not set(late.patient_key) & first_file
    assert set(late.patient_key) <= set(data["sessions"].patient_key)
    assert late.file_date.nunique() == 1 and late.site_id.nunique() == 1


def test_corrections_change_one_value_of_the_record(network, clean):
    summary, _ = network
    sessions = clean["sessions"]
    corrected = {k for e, k in summary.fault_records["CORRECTED_VERSION"] if e == "sessions"}
    versions = sessions[sessions.session_id.isin(corrected)].sort_values("record_version")
    cells = CONTRACT_COLUMNS["sessions"]
    for _, pair in versions.groupby("session_id"):
        first, second = pair[cells].to_numpy()
        assert (first != second).sum() == 1


def test_no_value_looks_like_a_direct_identifier(network):
    _, data = network
    email = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
    ssn = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")
    phone = re.compile(r"\b\(?\d{3}\)?[-. ]?\d{3}[-. ]?\d{4}\b")
    for entity, df in data.items():
        values = "\n".join(v for column in CONTRACT_COLUMNS[entity] for v in df[column].unique())
        for pattern in (email, ssn, phone):
            assert not pattern.search(values), (entity, pattern.pattern)


# --- the clinical shape ------------------------------------------------------------------


def test_route_and_indication_mix(network):
    _, data = network
    patients = data["patients"].drop_duplicates("patient_key")
    share = patients.primary_indication.value_counts(normalize=True)
    order = ["TRD", "MDD", "BIPOLAR_DEPRESSION", "PTSD", "OCD"]
    assert list(share[order].sort_values(ascending=False).index) == order
    assert share["OCD"] > max(share["SUICIDAL_IDEATION"], share["CHRONIC_PAIN"])
    assert min(share["SUICIDAL_IDEATION"], share["CHRONIC_PAIN"]) > share["OTHER"] > 0

    sessions = data["sessions"].drop_duplicates("session_id")
    first = sessions.sort_values("started_at").drop_duplicates("patient_key")
    routes = first.route.value_counts(normalize=True)
    assert list(routes[["IV", "IN", "IM", "SL", "PO"]].sort_values(ascending=False).index) == [
        "IV", "IN", "IM", "SL", "PO"]
    drug = sessions.groupby("route").drug.unique()
    assert list(drug["IN"]) == ["ESKETAMINE"]
    assert all(list(drug[r]) == ["KETAMINE"] for r in ("IV", "IM", "SL", "PO"))


def test_schedules_by_route(clean):
    sessions = clean["sessions"].drop_duplicates("session_id")
    iv = sessions[sessions.route == "IV"]
    assert (iv.duration_min.isin(["40", ""]) | (iv.status == "TERMINATED_EARLY")).all()
    assert (iv.weight_kg != "").all()
    mg_per_kg = pd.to_numeric(iv.dose_mg, errors="coerce") / iv.weight_kg.astype(float)
    assert 0.45 < mg_per_kg.median() < 0.55 and mg_per_kg.quantile(0.95) > 0.7
    esketamine = sessions[sessions.route == "IN"]
    assert set(esketamine.dose_mg) <= {"56", "84"} and (esketamine.weight_kg == "").all()
    assert set(esketamine.monitored_min) - {""} >= {"120"}
    status = sessions.status.value_counts(normalize=True)
    assert 0.01 < status["CANCELLED"] < 0.1 and 0.003 < status["TERMINATED_EARLY"] < 0.05


def test_courses_include_maintenance_and_second_courses(reference):
    courses, _ = reference
    per_patient = courses.groupby("patient_key").course_number.max()
    assert 0.05 < (per_patient >= 2).mean() < 0.4
    iv = courses[courses.route == "IV"]
    assert 0.2 < (iv.n_sessions > 6).mean() < 0.8  # six infusions, then maintenance for some


def test_baseline_phq9_before_the_first_dose(reference, outcomes):
    courses, _ = reference
    phq9 = outcomes[outcomes.instrument == "PHQ9"]
    assert len(phq9) / len(courses) > 0.9
    below_min = (phq9.baseline < float(CATALOG["PHQ9"]["min_baseline"])).mean()
    assert 0.01 < below_min < 0.25  # a few courses are not evaluable


def test_dropout_before_the_endpoint_window(outcomes):
    primary = outcomes[(outcomes.instrument == outcomes.primary) & outcomes.itt]
    no_endpoint = 1 - primary.completer.mean()
    assert 0.25 <= no_endpoint <= 0.45


def test_iv_completer_response_and_remission_near_real_world_figures(outcomes):
    iv = outcomes[(outcomes.instrument == "PHQ9") & (outcomes.primary == "PHQ9")
                  & (outcomes.route == "IV") & outcomes.completer]
    assert len(iv) > 300
    assert 0.38 <= iv.responded.mean() <= 0.62
    assert 0.18 <= iv.remitted.mean() <= 0.38


def test_esketamine_looks_better_on_madrs_than_on_phq9(outcomes):
    both = outcomes[(outcomes.route == "IN") & outcomes.completer]
    by_instrument = both.groupby("instrument").responded.agg(["mean", "size"])
    assert by_instrument.loc["MADRS", "size"] > 50
    assert by_instrument.loc["PHQ9", "mean"] + 0.05 < by_instrument.loc["MADRS", "mean"]


def test_esketamine_side_effects_match_the_label(network):
    _, data = network
    sessions = data["sessions"].drop_duplicates("session_id")
    sessions = sessions[(sessions.route == "IN")
                        & sessions.status.isin(["COMPLETED", "TERMINATED_EARLY"])]
    assert len(sessions) > 3000
    effects = sessions.side_effects.str.split(";")
    for effect, label_rate in {"DISSOCIATION": 0.41, "DIZZINESS": 0.29, "NAUSEA": 0.28,
                               "SEDATION": 0.23, "HYPERTENSION": 0.10}.items():
        rate = effects.map(lambda listed, e=effect: e in listed).mean()
        assert abs(rate - label_rate) < 0.03, effect


def test_iv_blood_pressure_rises_and_some_sessions_exceed_the_limits(network):
    _, data = network
    sessions = data["sessions"].drop_duplicates("session_id")
    iv = sessions[(sessions.route == "IV") & (sessions.status != "CANCELLED")]
    sbp_pre, sbp_peak = (pd.to_numeric(iv[c], errors="coerce") for c in ("sbp_pre", "sbp_peak"))
    dbp_pre, dbp_peak = (pd.to_numeric(iv[c], errors="coerce") for c in ("dbp_pre", "dbp_peak"))
    assert 12 < (sbp_peak - sbp_pre).mean() < 20 and 8 < (dbp_peak - dbp_pre).mean() < 14
    excursion = (sbp_peak >= 180) | (sbp_peak - sbp_pre >= 40)
    assert 0.002 < excursion.mean() < 0.08
    assert (iv.sbp_pre == "").any()  # some readings are missing


def test_safety_signals_exist_at_every_level(network):
    summary, data = network
    assessments = data["assessments"]
    assessments = assessments[~assessments.assessment_id.isin(summary.invalid_keys("assessments"))]
    scored = scored_administrations(assessments).set_index("assessment_id")
    phq9 = assessments[assessments.instrument == "PHQ9"]
    item9 = phq9[(phq9.item == "9") & (phq9.value.astype(int) >= 1)].assessment_id
    low_totals = scored.reindex(item9).total < 10
    assert len(item9) > 50 and low_totals.sum() > 5

    cssrs = assessments[assessments.instrument == "CSSRS_SCREEN"].assign(
        value=lambda d: d.value.astype(int))
    answers = cssrs.pivot_table(index="assessment_id", columns="item", values="value")
    level = np.select(
        [answers[["4", "5", "6"]].eq(1).any(axis=1), answers["3"].eq(1),
         answers[["1", "2"]].eq(1).any(axis=1)], ["HIGH", "MODERATE", "LOW"], "NONE")
    assert set(level) == {"NONE", "LOW", "MODERATE", "HIGH"}
    assert "total" not in set(cssrs.item)


def test_enrolment_spans_the_two_years_before_the_export(network):
    summary, data = network
    patients = data["patients"]
    patients = patients[~patients.patient_key.isin(summary.invalid_keys("patients"))]
    enrolled = pd.to_datetime(patients.enrolled_on)
    span = (pd.Timestamp(EXPORT_DATE) - enrolled).dt.days
    assert span.min() >= 0 and 600 < span.max() <= 740
    assert math.isclose(span.median(), 330, abs_tol=120)


# --- parquet -------------------------------------------------------------------------------


def test_parquet_holds_the_same_cells_as_csv(tmp_path):
    generate_network(tmp_path / "csv", patients=300, sites=2, seed=5, progress=False)
    for folder in ("pq", "pq-again"):
        generate_network(tmp_path / folder, patients=300, sites=2, seed=5, fmt="parquet",
                         progress=False)
    assert _file_bytes(tmp_path / "pq") == _file_bytes(tmp_path / "pq-again")
    csv_files = sorted((tmp_path / "csv").glob("*.csv"))
    pq_files = sorted((tmp_path / "pq").glob("*.parquet"))
    assert [p.stem for p in csv_files] == [p.stem for p in pq_files]
    for csv_path, pq_path in zip(csv_files, pq_files, strict=True):
        from_csv = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
        from_parquet = pq.read_table(pq_path).to_pandas().fillna("")
        assert list(from_parquet.columns) == list(from_csv.columns)
        pd.testing.assert_frame_equal(from_parquet.astype(str), from_csv, check_dtype=False)
