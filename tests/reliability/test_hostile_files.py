"""Hostile files: each ends as a clear rejection, or loaded with its rows balanced.

The named cases say what a clinic's odd export must become; the Hypothesis
test throws random bytes, truncations, re-encodings, odd line ends, quoting
and oversized fields at the reader and the ingest (hostile.py checks every
outcome and interrupts any file that takes over a minute). atheris, when it
is installed, fuzzes the same entry point with coverage guidance.
"""

from __future__ import annotations

import importlib.util
import io
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.orchestration.defs.ingest.conftest import (
    ASSESSMENTS_HEADER,
    PATIENTS_HEADER,
    SESSIONS_HEADER,
    phq9_rows,
    session_row,
)
from tests.reliability.conftest import SOAK
from tests.reliability.hostile import ingest_one

SESSIONS = "sessions_ANC-01_2026-03-01.csv"
VALID_SESSIONS = "\n".join(
    [SESSIONS_HEADER, *(session_row(f"S-{i}", dose=str(30 + i)) for i in range(8))]) + "\n"
VALID_ASSESSMENTS = "\n".join(
    [ASSESSMENTS_HEADER, *phq9_rows("A-1", total=18), *phq9_rows("A-2")]) + "\n"
VALID_PATIENTS = "\n".join(
    [PATIENTS_HEADER, "pat0001,ANC-01,1978,F,TRD,4,2026-01-05",
     "pat0002,ANC-01,1990,M,PTSD,1,2026-01-09"]) + "\n"
VALID_TEXT = {SESSIONS: VALID_SESSIONS, "assessments_ANC-01_2026-03-01.csv": VALID_ASSESSMENTS,
              "patients_ANC-01_2026-03-01.csv": VALID_PATIENTS}

CASES_TRIED = {"named": 0, "hypothesis": 0}


def as_parquet(csv_text: str) -> bytes:
    """The same rows as a Parquet file, every column text."""
    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp) / "in.csv", Path(tmp) / "out.parquet"
        source.write_text(csv_text)
        con = duckdb.connect()
        con.execute(f"copy (select * from read_csv('{source}', all_varchar = true)) "
                    f"to '{target}' (format parquet)")
        con.close()
        return target.read_bytes()


def hostile(name: str, content: bytes):
    CASES_TRIED["named"] += 1
    return ingest_one(name, content)


# --- named cases: what a user would check ---------------------------------------------------


def test_a_zero_byte_file_is_rejected_as_empty():
    verdict = hostile(SESSIONS, b"")
    assert (verdict.status, verdict.reason) == ("REJECTED_SCHEMA", "the file is empty")


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252", "utf-16", "utf-16-le", "utf-32"])
def test_a_file_not_in_utf8_is_rejected_and_says_so(encoding):
    text = VALID_SESSIONS.replace("NAUSEA", "NAUSÉE")
    verdict = hostile(SESSIONS, text.encode(encoding))
    assert verdict.status == "REJECTED_SCHEMA"
    assert "UTF-8" in verdict.reason


def test_crlf_line_ends_load_like_lf():
    lf = hostile(SESSIONS, VALID_SESSIONS.encode())
    crlf = hostile(SESSIONS, VALID_SESSIONS.replace("\n", "\r\n").encode())
    assert crlf == lf


def test_bare_cr_line_ends_are_rejected_as_not_csv():
    # Old Mac line ends are not RFC 4180: a clear rejection, not a one-row file.
    verdict = hostile(SESSIONS, VALID_SESSIONS.replace("\n", "\r").encode())
    assert (verdict.status, verdict.reason) == ("REJECTED_SCHEMA",
                                                "the header row is not valid CSV")


def test_a_utf8_bom_is_accepted():
    verdict = hostile(SESSIONS, b"\xef\xbb\xbf" + VALID_SESSIONS.encode())
    assert (verdict.status, verdict.rows_loaded) == ("LOADED", 8)


def test_quotes_and_newlines_inside_quoted_fields_stay_inside_their_field():
    lines = VALID_SESSIONS.splitlines()
    tricky = lines[1].replace("S-0", '"S-""0""\nsecond line, with a comma"', 1)
    verdict = hostile(SESSIONS, "\n".join([lines[0], tricky, *lines[2:]]).encode() + b"\n")
    assert verdict.status == "LOADED"
    assert verdict.rows_read == 8  # the newline did not split the row


def test_an_unclosed_quote_rejects_the_file_without_quoting_it():
    lines = VALID_SESSIONS.splitlines()
    broken = lines[3].replace("S-2", '"S-2 zq.secret', 1)
    verdict = hostile(SESSIONS, "\n".join([lines[0], lines[1], lines[2], broken]).encode())
    assert verdict.status == "REJECTED_SCHEMA"
    assert "zq.secret" not in verdict.reason


@pytest.mark.parametrize("column", ["session_id", "side_effects", "dose_mg"])
def test_a_one_megabyte_field_quarantines_its_row(column):
    lines = VALID_SESSIONS.splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index(column)] = "X" * (1 << 20)
    verdict = hostile(SESSIONS, "\n".join([lines[0], ",".join(cells), *lines[2:]]).encode())
    assert (verdict.status, verdict.rows_read, verdict.rows_quarantined) == ("LOADED", 8, 1)


def test_ten_thousand_columns_load_with_the_extra_columns_named_as_ignored():
    lines = VALID_SESSIONS.splitlines()
    extra = [f"extra_{i}" for i in range(10_000)]
    wide = [",".join([lines[0], *extra])]
    wide += [",".join([line, *("7" for _ in extra)]) for line in lines[1:]]
    verdict = hostile(SESSIONS, ("\n".join(wide) + "\n").encode())
    assert (verdict.status, verdict.rows_loaded) == ("LOADED", 8)
    assert verdict.warnings.startswith("ignored unknown columns: extra_0, extra_1")


def test_a_truncated_parquet_file_is_rejected():
    whole = as_parquet(VALID_SESSIONS)
    assert hostile("sessions_ANC-01.parquet", whole).status == "LOADED"
    verdict = hostile("sessions_ANC-01.parquet", whole[: len(whole) // 2])
    assert (verdict.status, verdict.reason) == ("REJECTED_SCHEMA", "not a readable Parquet file")


# --- Hypothesis: random damage of every kind -------------------------------------------------

_names = st.sampled_from([SESSIONS, "assessments_ANC-01_2026-03-01.csv",
                          "patients_ANC-01_2026-03-01.csv", "adverse_events_X.CSV",
                          "sessions_ANC-01.parquet", "unknown_entity.csv"])
_noise = st.text(alphabet=st.sampled_from(list('a9,;"\n\r -:.T@+éZ\x00\t\ufeff')), max_size=20)


@st.composite
def damaged_text(draw) -> tuple[str, bytes]:
    name = draw(st.sampled_from(sorted(VALID_TEXT)))
    text = VALID_TEXT[name]
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(text)))
        match draw(st.sampled_from(["insert", "delete", "truncate", "quote", "big"])):
            case "insert":
                text = text[:at] + draw(_noise) + text[at:]
            case "delete":
                text = text[:at] + text[at + draw(st.integers(1, 30)):]
            case "truncate":
                text = text[:at]
            case "quote":
                text = text[:at] + '"' + draw(_noise) + '"' + text[at:]
            case "big":
                text = text[:at] + "Q" * draw(st.integers(1000, 300_000)) + text[at:]
    text = text.replace("\n", draw(st.sampled_from(["\n", "\r\n", "\r"])))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16"]))
    raw = text.encode(encoding, errors="replace")
    if draw(st.booleans()):
        raw = raw[: draw(st.integers(0, len(raw)))]
    if draw(st.integers(0, 9)) == 0:
        # A Parquet file cut short; made from the undamaged rows, which DuckDB can read
        # (it cannot always make sense of the damaged text to write it as Parquet).
        cut = draw(st.integers(0, 5000))
        return name.replace(".csv", ".parquet"), as_parquet(VALID_TEXT[name])[:cut]
    return name, raw


hostile_files = st.one_of(
    st.tuples(_names, st.binary(max_size=4096)),
    damaged_text(),
)


@settings(max_examples=3000 if SOAK else 150, deadline=None, derandomize=not SOAK,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=hostile_files)
def test_any_hostile_file_ends_rejected_with_a_reason_or_loaded_and_balanced(case):
    CASES_TRIED["hypothesis"] += 1
    name, content = case
    ingest_one(name, content)  # raises if the contract is broken, or on a hang


def test_zz_report_how_many_hostile_files_were_tried(figures):
    # Runs last in this module (by name), after the cases above counted themselves.
    figures["hostile files tried (named + Hypothesis)"] = (
        f"{CASES_TRIED['named']} + {CASES_TRIED['hypothesis']}")


# --- atheris: coverage-guided, when installed ------------------------------------------------


@pytest.mark.skipif(importlib.util.find_spec("atheris") is None,
                    reason="atheris is not installed (uv add --dev atheris)")
def test_atheris_finds_no_file_that_breaks_the_ingest(tmp_path, figures):
    runs = 5_000 if SOAK else 200
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i, text in enumerate(VALID_TEXT.values()):
        (corpus / f"seed{i}").write_bytes(bytes([i]) + text.encode())
    fuzz = subprocess.run(
        [sys.executable, "-m", "tests.reliability.atheris_target", f"-runs={runs}",
         "-timeout=60", "-rss_limit_mb=4096", str(corpus)],
        capture_output=True, text=True, timeout=3600,
        cwd=Path(__file__).resolve().parents[2], env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    tail = io.StringIO(fuzz.stderr[-4000:]).getvalue()
    assert fuzz.returncode == 0, tail
    assert f"Done {runs} runs" in fuzz.stderr, tail
    figures["atheris executions"] = runs
