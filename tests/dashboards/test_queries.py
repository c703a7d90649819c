"""Statistics the dashboard queries compute in DuckDB, against values worked out by hand."""

from __future__ import annotations

import duckdb
import pytest

from dashboards import queries


@pytest.fixture
def dissociation_snapshot():
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute("""
        create table marts.session_dissociation as
        select * from (
            select 'ANC-01' as site_id, 'IV' as route, i::integer as cadss,
                   0.5 as dose_mg_per_kg
            from range(11) t(i)                                   -- 0..10
            union all
            select 'ANC-02', 'IV', i::integer, 0.5 from range(1, 5) t(i)  -- 1..4
            union all
            select 'ANC-02', 'IV', null, 0.5                       -- not scored
        )
    """)
    yield con
    con.close()


def test_cadss_quartiles_are_interpolated_between_sorted_sessions(dissociation_snapshot):
    result = queries.dissociation.run(dissociation_snapshot, queries.Buckets())
    by_route = result[result["dose_bin"] == queries.ALL].set_index("site_id")

    quartiles = by_route[["n_sessions", "cadss_q1", "cadss_median", "cadss_q3"]]
    # 0..10: positions 2.5, 5, 7.5. 1..4: 1.75, 2.5, 3.25. Together (15 sessions sorted
    # 0 1 1 2 2 3 3 4 4 5 6 7 8 9 10): positions 3.5, 7, 10.5 -> 2, 4, 6.5.
    assert quartiles.loc["ANC-01"].tolist() == [11, 2.5, 5.0, 7.5]
    assert quartiles.loc["ANC-02"].tolist() == [4, 1.75, 2.5, 3.25]
    assert quartiles.loc[queries.ALL].tolist() == [15, 2.0, 4.0, 6.5]
