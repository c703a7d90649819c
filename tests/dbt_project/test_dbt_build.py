"""`dbt build` over a small, hand-computed clinic network.

The network below is written the way the ingest leaves it (warehouse.sql):
several record versions, a withdrawn session, a withdrawn patient, an orphan,
quarantined rows. Every expected number in the tests was worked out by hand
from spec/outcomes.md, not read back from the models; the comments next to
the fixture say how.

Two sites: ANC-01 gives IV ketamine (one IM session), BRV-02 intranasal
esketamine. as_of_date is 2026-06-30, the date of the latest countable session.

Primary-instrument courses (ITT = evaluable and started >= 56 days before as_of;
B = baseline, E = endpoint, p = prorated):
    course     B    E   ITT compl resp remit  why
    a01:1     20    4    y    y    y    y
    a02:1     18   10    y    y    -    -    44% < 50%
    a03:1     16    -    y    -    -    -    its day-60 score is outside the window
    a04:1      8    3    -    -    -    -    baseline < 10: not evaluable
    a05:1     19    -    -    -    -    -    started 29 days before as_of
    a06:1    14p    7    y    y    y    -    8 items summing 12 -> 14; exactly 50%
    a06:2     22    3    y    y    y    y    61-day gap, a cancelled session inside
    a07:1     12    -    y    -    -    -    a 60-day gap keeps one course; day 57 out
    b01:1     50   30    y    y    y    y    PTSD on PCL5: 40% >= 30%, 30 <= 32
    b02:1      -    -    -    -    -    -    2 items missing; day -31 out
    b03:1     14   20    y    y    -    -    deteriorated: +6
ITT 8, completers 6, responders 4, remitters 3, deteriorated 1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[2]
DBT_PROJECT = REPO / "dbt_project"
WAREHOUSE_DDL = REPO / "orchestration" / "defs" / "ingest" / "warehouse.sql"
DBT = Path(sys.executable).parent / "dbt"

LOADED_AT = datetime(2026, 7, 1, 6, 0)
FILE = "f" * 64


def _patient(key, site, indication, version=1, in_error=False):
    return dict(
        patient_key=key,
        site_id=site,
        record_version=version,
        entered_in_error=in_error,
        birth_year=1980,
        sex="U",
        primary_indication=indication,
        prior_treatment_failures=2,
        enrolled_on="2026-01-01",
    )


def _session(
    sid,
    key,
    site,
    started_at,
    route="IV",
    drug="KETAMINE",
    status="COMPLETED",
    side_effects=None,
    version=1,
    in_error=False,
    bp=(None, None, None, None),
):
    sbp_pre, sbp_peak, dbp_pre, dbp_peak = bp
    return dict(
        session_id=sid,
        patient_key=key,
        site_id=site,
        record_version=version,
        entered_in_error=in_error,
        started_at=started_at,
        route=route,
        drug=drug,
        dose_mg=40.0,
        status=status,
        sbp_pre=sbp_pre,
        sbp_peak=sbp_peak,
        dbp_pre=dbp_pre,
        dbp_peak=dbp_peak,
        side_effects=side_effects,
    )


def _assessment(aid, key, site, instrument, at, items=None, total=None, version=1):
    """The rows of one administration: items 1..n as given (None = missing), then a total."""
    rows = []
    for number, value in enumerate(items or [], start=1):
        if value is not None:
            rows.append((str(number), value))
    if total is not None:
        rows.append(("total", total))
    return [
        dict(
            assessment_id=aid,
            item=item,
            patient_key=key,
            site_id=site,
            record_version=version,
            entered_in_error=False,
            instrument=instrument,
            administered_at=at,
            value=value,
        )
        for item, value in rows
    ]


def _adverse_event(eid, key, site, session_id, onset_at, category, severity, serious):
    return dict(
        event_id=eid,
        patient_key=key,
        site_id=site,
        record_version=1,
        entered_in_error=False,
        session_id=session_id,
        onset_at=onset_at,
        category=category,
        severity=severity,
        serious=serious,
    )


A, B = "ANC-01", "BRV-02"
IN_ESK = dict(route="IN", drug="ESKETAMINE")

PATIENTS = [
    _patient("pat-a01", A, "TRD"),
    _patient("pat-a02", A, "MDD"),
    _patient("pat-a02", A, "TRD", version=2),  # corrected indication: TRD is current
    _patient("pat-a03", A, "TRD"),
    _patient("pat-a04", A, "TRD"),
    _patient("pat-a05", A, "TRD"),
    _patient("pat-a06", A, "TRD"),
    _patient("pat-a07", A, "TRD"),
    _patient("pat-b01", B, "PTSD"),
    _patient("pat-b02", B, "TRD"),
    _patient("pat-b03", B, "TRD"),
    _patient("pat-c01", A, "TRD"),
    _patient("pat-c01", A, "TRD", version=2, in_error=True),  # withdrawn: its session is an orphan
]

SESSIONS = [
    _session("S-A01-1", "pat-a01", A, "2026-01-05 09:00", side_effects="DISSOCIATION;NAUSEA"),
    _session("S-A01-2", "pat-a01", A, "2026-01-07 09:00", side_effects="DISSOCIATION"),
    _session("S-A01-3", "pat-a01", A, "2026-01-09 09:00", side_effects="VOMITING"),
    _session("S-A01-3", "pat-a01", A, "2026-01-09 09:00", version=2, in_error=True),
    _session("S-A02-1", "pat-a02", A, "2026-01-12 10:00"),
    _session("S-A02-2", "pat-a02", A, "2026-01-14 10:00", side_effects="HEADACHE"),
    _session("S-A03-1", "pat-a03", A, "2026-02-02 10:00"),
    _session("S-A04-1", "pat-a04", A, "2026-02-09 10:00"),
    _session("S-A05-1", "pat-a05", A, "2026-06-01 10:00"),
    _session("S-A05-2", "pat-a05", A, "2026-06-30 10:00"),  # the latest date: as_of_date
    _session("S-A06-1", "pat-a06", A, "2026-01-05 10:00"),
    _session("S-A06-2", "pat-a06", A, "2026-01-07 10:00"),
    _session(
        "S-A06-X", "pat-a06", A, "2026-02-20 10:00", status="CANCELLED", side_effects="NAUSEA"
    ),
    _session("S-A06-3", "pat-a06", A, "2026-03-09 10:00"),  # 61 days after 2026-01-07
    _session("S-A06-4", "pat-a06", A, "2026-03-11 10:00", route="IM"),
    _session("S-A07-1", "pat-a07", A, "2026-01-05 10:00"),
    _session("S-A07-2", "pat-a07", A, "2026-03-06 10:00"),  # 60 days: same course
    _session("S-B01-1", "pat-b01", B, "2026-02-02 10:00", side_effects="DIZZINESS", **IN_ESK),
    _session(
        "S-B01-2", "pat-b01", B, "2026-02-05 10:00", side_effects="DISSOCIATION;DIZZINESS", **IN_ESK
    ),
    _session("S-B02-1", "pat-b02", B, "2026-02-10 10:00", **IN_ESK),
    # SBP rise 130 -> 172 = 42 >= 40: a BP excursion, and terminated early.
    _session(
        "S-B03-1",
        "pat-b03",
        B,
        "2026-03-02 10:00",
        status="TERMINATED_EARLY",
        bp=(130, 172, 80, 100),
        **IN_ESK,
    ),
    # Missing sbp_pre: the SBP rise cannot count; DBP rise 24 < 25, peaks below 180/110.
    _session("S-B03-2", "pat-b03", B, "2026-03-04 10:00", bp=(None, 175, 80, 104), **IN_ESK),
    _session("S-ZZ-1", "pat-zz9", A, "2026-03-01 10:00"),  # orphan: patient never arrived
    _session("S-C01-1", "pat-c01", A, "2026-04-01 10:00"),  # orphan: patient withdrawn
]

PHQ9 = "PHQ9"
ASSESSMENTS = [
    # pat-a01: baseline 20 from items (item 9 = 1: a safety flag), endpoint 4 on day 42.
    *_assessment(
        "Q-A01-B", "pat-a01", A, PHQ9, "2026-01-05 08:30", items=[3, 3, 2, 3, 2, 2, 2, 2, 1]
    ),
    *_assessment("Q-A01-E", "pat-a01", A, PHQ9, "2026-02-16 10:00", total=4),
    *_assessment("Q-A01-C", "pat-a01", A, "CSSRS_SCREEN", "2026-01-05 08:35", items=[0] * 6),
    # pat-a02: version 1 had items (item 9 = 2) summing 22; version 2 replaces the
    # whole administration with a stated total of 18 and no item 9.
    *_assessment(
        "Q-A02-B", "pat-a02", A, PHQ9, "2026-01-12 09:00", items=[3, 3, 3, 2, 2, 3, 2, 2, 2]
    ),
    *_assessment("Q-A02-B", "pat-a02", A, PHQ9, "2026-01-12 09:00", total=18, version=2),
    *_assessment("Q-A02-E", "pat-a02", A, PHQ9, "2026-02-09 09:00", total=10),
    *_assessment("Q-A03-B", "pat-a03", A, PHQ9, "2026-02-02 09:00", total=16),
    *_assessment("Q-A03-L", "pat-a03", A, PHQ9, "2026-04-03 09:00", total=10),  # day 60
    *_assessment("Q-A04-B", "pat-a04", A, PHQ9, "2026-02-09 09:00", total=8),
    *_assessment("Q-A04-E", "pat-a04", A, PHQ9, "2026-03-01 09:00", total=3),
    *_assessment("Q-A05-B", "pat-a05", A, PHQ9, "2026-06-01 09:00", total=19),
    # pat-a06 course 1: 8 items summing 12 -> round(12 * 9 / 8 = 13.5) = 14, prorated.
    *_assessment(
        "Q-A06-B1", "pat-a06", A, PHQ9, "2026-01-05 08:00", items=[2, 2, 1, 2, 1, 2, 1, 1, None]
    ),
    # Two scores at the same minute on day 14: the larger assessment_id (E1b = 7) wins.
    *_assessment("Q-A06-E1a", "pat-a06", A, PHQ9, "2026-01-19 07:00", total=9),
    *_assessment("Q-A06-E1b", "pat-a06", A, PHQ9, "2026-01-19 07:00", total=7),
    # pat-a06 course 2: baseline exactly at the dose (10:00), item 9 = 2; endpoint on day 56.
    *_assessment(
        "Q-A06-B2", "pat-a06", A, PHQ9, "2026-03-09 10:00", items=[3, 3, 3, 2, 3, 2, 2, 2, 2]
    ),
    *_assessment("Q-A06-E2", "pat-a06", A, PHQ9, "2026-05-04 23:30", total=3),
    *_assessment("Q-A07-B", "pat-a07", A, PHQ9, "2026-01-05 08:00", total=12),
    *_assessment("Q-A07-L", "pat-a07", A, PHQ9, "2026-03-03 08:00", total=5),  # day 57
    # pat-b01 (PTSD): PCL5 primary 50 -> 30; PHQ9 15 -> 6 a secondary row.
    *_assessment("Q-B01-B", "pat-b01", B, "PCL5", "2026-02-01 09:00", total=50),
    *_assessment("Q-B01-E", "pat-b01", B, "PCL5", "2026-03-04 09:00", total=30),
    *_assessment("Q-B01-PB", "pat-b01", B, PHQ9, "2026-02-02 08:00", total=15),
    *_assessment("Q-B01-PE", "pat-b01", B, PHQ9, "2026-03-04 09:05", total=6),
    # pat-b02: 7 of 9 items (too many missing: kept, not scorable); day -31 is outside.
    *_assessment(
        "Q-B02-B", "pat-b02", B, PHQ9, "2026-02-10 08:00", items=[3, 3, 3, 3, 3, 3, 3, None, None]
    ),
    *_assessment("Q-B02-O", "pat-b02", B, PHQ9, "2026-01-10 08:00", total=20),
    *_assessment("Q-B03-B", "pat-b03", B, PHQ9, "2026-03-02 08:00", total=14),
    *_assessment("Q-B03-E", "pat-b03", B, PHQ9, "2026-04-13 08:00", total=20),
    # C-SSRS: item 4 = 1 -> HIGH; a screen with only items 1-2 (not scorable) -> LOW.
    *_assessment(
        "Q-B03-C", "pat-b03", B, "CSSRS_SCREEN", "2026-04-13 08:05", items=[1, 1, 0, 1, 0, 0]
    ),
    *_assessment("Q-B03-C2", "pat-b03", B, "CSSRS_SCREEN", "2026-04-20 08:05", items=[1, 0]),
    *_assessment("Q-ZZ-1", "pat-zz9", A, PHQ9, "2026-03-01 08:00", total=20),  # orphan
]

ADVERSE_EVENTS = [
    _adverse_event(
        "E-1", "pat-a01", A, "S-A01-1", "2026-01-05 09:40", "HYPERTENSION", "MODERATE", False
    ),
    _adverse_event("E-2", "pat-b03", B, "S-B03-1", "2026-03-02 10:20", "SEDATION", "SEVERE", True),
    _adverse_event(
        "E-3", "pat-a03", A, None, "2026-02-20 12:00", "PSYCHIATRIC_WORSENING", "MILD", False
    ),
]

QUARANTINE = [
    ("sessions", 1, "S-Q-1", "OUT_OF_RANGE", {"site_id": "ANC-01", "dose_mg": "5000"}),
    ("sessions", 2, "S-Q-2", "OUT_OF_RANGE", {"site_id": "anc-01 ", "dose_mg": "-1"}),
    ("assessments", 3, "Q-Q-1", "TOTAL_MISMATCH", {"site_id": "BRV-02", "value": "27"}),
    ("patients", 4, None, "MALFORMED_KEY", {"patient_key": "x"}),
]


def build_fixture_warehouse(path: Path) -> None:
    """The warehouse DDL plus the network above, as the ingest would leave it."""
    con = duckdb.connect(str(path))
    try:
        con.execute(WAREHOUSE_DDL.read_text())
        tables = {
            "raw.patients": PATIENTS,
            "raw.sessions": SESSIONS,
            "raw.assessments": ASSESSMENTS,
            "raw.adverse_events": ADVERSE_EVENTS,
        }
        for table, rows in tables.items():
            for row_number, row in enumerate(rows, start=1):
                row = {
                    **row,
                    "_file_sha256": FILE,
                    "_row_number": row_number,
                    "_load_id": 1,
                    "_loaded_at": LOADED_AT,
                }
                columns = ", ".join(row)
                marks = ", ".join("?" for _ in row)
                con.execute(f"insert into {table} ({columns}) values ({marks})", list(row.values()))
        for entity, row_number, key, reason, row_json in QUARANTINE:
            con.execute(
                "insert into ops.quarantine values (?, ?, ?, ?, ?, null, ?, ?)",
                [
                    "q" * 64,
                    entity,
                    row_number,
                    key,
                    reason,
                    json.dumps(row_json),
                    datetime(2026, 3, 1, 6, 0),
                ],
            )
        con.execute(
            "insert into ops.ingest_manifest values "
            "(1, ?, 'sessions_ANC-01.csv', 'sessions', 'CSV', 'LOADED', 30, 26, 4, 0, 2, "
            " null, null, null, 'run-1', ?)",
            [FILE, LOADED_AT],
        )
    finally:
        con.close()


def run_dbt(warehouse: Path, target: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "KETREG_WAREHOUSE": str(warehouse),
    }
    return subprocess.run(
        [
            str(DBT),
            *args,
            "--project-dir",
            str(DBT_PROJECT),
            "--profiles-dir",
            str(DBT_PROJECT),
            "--target-path",
            str(target),
            "--log-path",
            str(target / "logs"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> duckdb.DuckDBPyConnection:
    root = tmp_path_factory.mktemp("dbt_build")
    path = root / "warehouse.duckdb"
    build_fixture_warehouse(path)
    result = run_dbt(path, root / "target", "build")
    assert result.returncode == 0, result.stdout[-6000:]
    con = duckdb.connect(str(path), read_only=True)
    yield con
    con.close()


def rows(con, sql: str) -> list[dict]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def one(con, sql: str) -> dict:
    result = rows(con, sql)
    assert len(result) == 1, result
    return result[0]


def outcome_rate(con, site: str, route: str, indication: str, denominator: str) -> dict:
    return one(
        con,
        f"""select * from marts.outcome_rates
        where site_id = '{site}' and route = '{route}' and indication = '{indication}'
          and denominator = '{denominator}'""",
    )


def test_as_of_date_is_latest_countable_session_or_scorable_administration(warehouse):
    assert str(one(warehouse, "select as_of_date from marts.as_of")["as_of_date"]) == "2026-06-30"


def test_network_itt_and_completer_counts(warehouse):
    itt = outcome_rate(warehouse, "ALL", "ALL", "ALL", "ITT")
    completer = outcome_rate(warehouse, "ALL", "ALL", "ALL", "COMPLETER")
    counts = ("n_courses", "n_responders", "n_remitters")
    assert tuple(itt[c] for c in counts) == (8, 4, 3)
    assert tuple(completer[c] for c in counts) == (6, 4, 3)
    assert itt["response_rate"] == pytest.approx(0.5)
    assert completer["remission_rate"] == pytest.approx(0.5)
    # Wilson 95% for 4/8: 0.2152 .. 0.7848; for 3/8: 0.1368 .. 0.6943.
    assert itt["response_ci_low"] == pytest.approx(0.2152, abs=5e-5)
    assert itt["response_ci_high"] == pytest.approx(0.7848, abs=5e-5)
    assert itt["remission_ci_low"] == pytest.approx(0.1368, abs=5e-5)
    assert itt["remission_ci_high"] == pytest.approx(0.6943, abs=5e-5)
    assert itt["follow_up_rate"] == pytest.approx(0.75)
    assert itt["n_deteriorated"] == 1


def test_site_group_and_small_cells(warehouse):
    ptsd = outcome_rate(warehouse, "BRV-02", "IN", "PTSD", "ITT")
    assert (ptsd["n_courses"], ptsd["n_responders"], ptsd["n_remitters"]) == (1, 1, 1)
    assert ptsd["primary_instruments"] == "PCL5"
    assert ptsd["small_cell_n"] is True
    groups = one(warehouse, "select count(*) as n from marts.outcome_rates")
    # ALL x ALL x ALL, sites 2, routes 2 (IV, IN), indications 2 (TRD, PTSD) and
    # their combinations that hold an ITT course, each under two denominators.
    expected_groups = {
        ("ALL", "ALL", "ALL"),
        ("ANC-01", "ALL", "ALL"),
        ("BRV-02", "ALL", "ALL"),
        ("ALL", "IV", "ALL"),
        ("ALL", "IN", "ALL"),
        ("ALL", "ALL", "TRD"),
        ("ALL", "ALL", "PTSD"),
        ("ANC-01", "IV", "ALL"),
        ("BRV-02", "IN", "ALL"),
        ("ANC-01", "ALL", "TRD"),
        ("BRV-02", "ALL", "TRD"),
        ("BRV-02", "ALL", "PTSD"),
        ("ALL", "IV", "TRD"),
        ("ALL", "IN", "TRD"),
        ("ALL", "IN", "PTSD"),
        ("ANC-01", "IV", "TRD"),
        ("BRV-02", "IN", "TRD"),
        ("BRV-02", "IN", "PTSD"),
    }
    assert groups["n"] == 2 * len(expected_groups)


def test_course_outcomes_by_course(warehouse):
    got = {
        r["course_id"]: r
        for r in rows(warehouse, "select * from marts.course_outcomes where is_primary")
    }
    assert sorted(got) == sorted(
        [
            "pat-a01:1",
            "pat-a02:1",
            "pat-a03:1",
            "pat-a04:1",
            "pat-a05:1",
            "pat-a06:1",
            "pat-a06:2",
            "pat-a07:1",
            "pat-b01:1",
            "pat-b02:1",
            "pat-b03:1",
        ]
    )
    a06 = got["pat-a06:1"]
    assert (a06["baseline_score"], a06["baseline_prorated"], a06["endpoint_score"]) == (14, True, 7)
    assert a06["responded"] is True and a06["remitted"] is False
    assert got["pat-a06:2"]["mixed_route"] is True and got["pat-a06:2"]["n_sessions"] == 2
    assert got["pat-a06:1"]["n_sessions"] == 2  # the cancelled session counts nowhere
    assert got["pat-a07:1"]["n_sessions"] == 2 and got["pat-a07:1"]["missing_endpoint"] is True
    assert got["pat-a02:1"]["baseline_score"] == 18  # version 2 replaced the items
    assert got["pat-a04:1"]["evaluable"] is False and got["pat-a04:1"]["responded"] is False
    assert got["pat-a05:1"]["evaluable"] is True and got["pat-a05:1"]["itt_eligible"] is False
    assert got["pat-b02:1"]["missing_baseline"] is True
    assert got["pat-b03:1"]["deteriorated"] is True
    assert got["pat-b01:1"]["instrument"] == "PCL5"
    secondary = one(warehouse, "select * from marts.course_outcomes where not is_primary")
    assert (secondary["course_id"], secondary["instrument"]) == ("pat-b01:1", "PHQ9")
    assert (secondary["baseline_score"], secondary["endpoint_score"]) == (15, 6)


def test_safety_flags(warehouse):
    got = {
        r["assessment_id"]: (r["reason"], r["level"])
        for r in rows(warehouse, "select * from marts.safety_flags")
    }
    # Q-A02-B's item 9 = 2 was in version 1 only; version 2 replaced it.
    assert got == {
        "Q-A01-B": ("PHQ9_ITEM9", "1"),
        "Q-A06-B2": ("PHQ9_ITEM9", "2"),
        "Q-B03-C": ("CSSRS", "HIGH"),
        "Q-B03-C2": ("CSSRS", "LOW"),
    }


def test_side_effect_rates_include_zeros(warehouse):
    got = {
        (r["site_id"], r["route"], r["effect"]): r
        for r in rows(warehouse, "select * from marts.side_effect_rates")
    }
    n_effects = one(warehouse, "select count(*) as n from seeds.session_effects")["n"]
    # Groups: ALL/ALL, ANC-01/ALL, BRV-02/ALL, ALL/IV, ALL/IM, ALL/IN,
    # ANC-01/IV, ANC-01/IM, BRV-02/IN.
    assert len(got) == 9 * n_effects == 9 * 16
    vomiting = got[("ANC-01", "IV", "VOMITING")]  # only in the withdrawn version of S-A01-3
    assert (
        vomiting["n_sessions"],
        vomiting["n_sessions_with_effect"],
        vomiting["session_rate"],
    ) == (13, 0, 0.0)
    assert vomiting["session_ci_low"] == 0.0
    nausea = got[("ANC-01", "IV", "NAUSEA")]  # the cancelled session's nausea counts nowhere
    assert (
        nausea["n_sessions_with_effect"],
        nausea["n_courses"],
        nausea["n_courses_with_effect"],
    ) == (1, 8, 1)
    everything = got[("ALL", "ALL", "ANY")]
    assert (everything["n_sessions"], everything["n_sessions_with_effect"]) == (19, 5)
    bp = got[("BRV-02", "IN", "BP_EXCURSION")]
    assert (bp["n_sessions_with_effect"], bp["n_courses"], bp["n_courses_with_effect"]) == (1, 3, 1)
    assert got[("ALL", "ALL", "TERMINATED_EARLY")]["n_sessions_with_effect"] == 1
    im = got[("ANC-01", "IM", "ANY")]  # an IM session, but no course started IM
    assert (im["n_sessions"], im["n_courses"], im["course_rate"]) == (1, 0, None)


def test_side_effects_monthly_for_control_charts(warehouse):
    january = {
        r["effect"]: (r["n_sessions"], r["n_sessions_with_effect"])
        for r in rows(
            warehouse,
            """select * from marts.side_effects_monthly
            where site_id = 'ANC-01' and month = date '2026-01-01'""",
        )
    }
    # a01 x2, a02 x2, a06 x2, a07 x1 in January; a01's two and a02's second list effects.
    assert january["ANY"] == (7, 3)
    assert january["VOMITING"] == (7, 0)


def test_adverse_event_rates_per_1000_sessions(warehouse):
    def rate(site, route, category="ALL", severity="ALL", seriousness="ALL"):
        return one(
            warehouse,
            f"""select * from marts.adverse_event_rates
            where site_id = '{site}' and route = '{route}' and category = '{category}'
              and severity = '{severity}' and seriousness = '{seriousness}'""",
        )

    assert rate("ALL", "ALL")["n_events"] == 3
    assert rate("ALL", "ALL")["events_per_1000_sessions"] == pytest.approx(3 / 19 * 1000)
    # E-3 has no session, so no route: it counts in ANC-01/ALL but not in ANC-01/IV.
    assert rate("ANC-01", "ALL")["n_events"] == 2
    assert rate("ANC-01", "IV")["events_per_1000_sessions"] == pytest.approx(1 / 13 * 1000)
    assert rate("ALL", "ALL", seriousness="SERIOUS")["n_events"] == 1
    assert rate("BRV-02", "IN", category="SEDATION", severity="SEVERE")["n_events"] == 1
    assert rate("BRV-02", "IN", category="MISUSE")["n_events"] == 0


def test_data_quality_monthly(warehouse):
    march = one(
        warehouse,
        """select * from marts.data_quality_monthly
        where site_id = 'ANC-01' and month = date '2026-03-01'""",
    )
    assert (march["n_orphan_sessions"], march["n_orphan_administrations"]) == (1, 1)
    assert march["n_quarantined_rows"] == 2  # 'anc-01 ' normalised like the ingest does
    assert march["quarantine_reasons"] == "OUT_OF_RANGE=2"
    assert (
        one(
            warehouse,
            """select n_orphan_sessions from marts.data_quality_monthly
        where site_id = 'ANC-01' and month = date '2026-04-01'""",
        )["n_orphan_sessions"]
        == 1
    )
    unknown = one(warehouse, "select * from marts.data_quality_monthly where site_id = 'UNKNOWN'")
    assert unknown["quarantine_reasons"] == "MALFORMED_KEY=1"
    january = one(
        warehouse,
        """select * from marts.data_quality_monthly
        where site_id = 'ANC-01' and month = date '2026-01-01'""",
    )
    # Courses started in January at ANC-01: a01, a02, a06:1, a07 - all evaluable and ITT;
    # a01, a02 and a06:1 reached an endpoint.
    assert (january["n_courses"], january["n_itt_courses"], january["n_completer_courses"]) == (
        4,
        4,
        3,
    )
    assert january["follow_up_rate"] == pytest.approx(0.75)


def test_trajectory_weeks(warehouse):
    got = {
        r["week"]: (r["score"], r["change_from_baseline"])
        for r in rows(
            warehouse, "select * from marts.course_trajectories where course_id = 'pat-a06:2'"
        )
    }
    # Baseline 22 in week 0; the day-56 score (3) in week 8.
    assert got == {0: (22, 0), 8: (3, -19)}


def test_build_succeeds_on_an_empty_warehouse(tmp_path):
    path = tmp_path / "empty.duckdb"
    duckdb.connect(str(path)).execute(WAREHOUSE_DDL.read_text()).close()
    result = run_dbt(path, tmp_path / "target", "build", "--exclude", "test_type:unit")
    assert result.returncode == 0, result.stdout[-6000:]
    con = duckdb.connect(str(path), read_only=True)
    try:
        assert one(con, "select count(*) as n from marts.outcome_rates")["n"] == 0
        assert one(con, "select as_of_date from marts.as_of")["as_of_date"] is None
    finally:
        con.close()


def test_dbt_duckdb_is_bounded_by_the_registry_memory_limit(tmp_path, monkeypatch):
    # Unbounded, DuckDB would take up to 80% of the machine beside the registry's own.
    monkeypatch.setenv("KETREG_DUCKDB_MEMORY_LIMIT", "1GB")
    result = run_dbt(tmp_path / "warehouse.duckdb", tmp_path / "target", "show", "--inline",
                     "select current_setting('memory_limit') as memory_limit", "--output", "json")
    assert result.returncode == 0, result.stdout[-3000:]
    shown = json.loads(result.stdout[result.stdout.index("{"):])
    assert shown["show"] == [{"memory_limit": "953.6 MiB"}]  # DuckDB's 1GB, in MiB


def test_dbt_sends_nothing_to_dbt_labs(tmp_path, monkeypatch):
    """dbt sends usage events by default; the project turns them off for every invocation."""
    monkeypatch.delenv("DBT_SEND_ANONYMOUS_USAGE_STATS", raising=False)
    result = run_dbt(tmp_path / "warehouse.duckdb", tmp_path / "target", "parse",
                     "--log-level-file", "debug")
    assert result.returncode == 0, result.stdout[-3000:]
    log = (tmp_path / "target" / "logs" / "dbt.log").read_text()
    assert "'send_anonymous_usage_stats': 'False'" in log
