"""Results kept by what they judged: the same frame and expectations are not judged again,
and anything else is."""

from __future__ import annotations

import json
import os
import time

import great_expectations as gx
import great_expectations.expectations as gxe
import pandas as pd
import pytest
from great_expectations.datasource.fluent.interfaces import Batch

from expectations import verdicts
from expectations.data_docs import VERDICTS_DIRECTORY, DataDocs
from expectations.registry import build_suite
from expectations.runner import validate_table
from tests.expectations.test_gx_runner import MANY_SESSIONS


@pytest.fixture
def judged(monkeypatch) -> list[str]:
    """The names of the suites GX itself judged, in order."""
    names: list[str] = []
    validate = Batch.validate

    def counted(self, expect, *args, **kwargs):
        names.append(expect.name)
        return validate(self, expect, *args, **kwargs)

    monkeypatch.setattr(Batch, "validate", counted)
    return names


def scores_suite(largest: int = 27) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(name="scores", expectations=[
        gxe.ExpectColumnValuesToBeBetween(column="score", min_value=0, max_value=largest),
        gxe.ExpectColumnValuesToBeInSet(column="instrument", value_set=["PHQ9", "GAD7"]),
        gxe.ExpectColumnMaxToBeBetween(column="score", min_value=0, max_value=largest),
    ])


SCORES = pd.DataFrame({"instrument": ["PHQ9", "PHQ9", "GAD7"], "score": [3, 26, 21]})


def kept_files(directory) -> list[str]:
    return sorted(p.name for p in (directory / VERDICTS_DIRECTORY).iterdir())


def test_a_frame_judged_before_is_answered_without_gx_in_any_row_order(tmp_path, judged):
    workspace = DataDocs(tmp_path).workspace
    first = workspace.validate(scores_suite(), SCORES, asset_name="scores")

    later = DataDocs(tmp_path).workspace  # the next run's process
    shuffled = SCORES.iloc[[2, 0, 1]].reset_index(drop=True)
    again = later.validate(scores_suite(), shuffled, asset_name="scores")

    assert judged == ["scores"]
    assert again.success and first.success
    assert sorted(r.expectation_config.type for r in again.results) \
        == sorted(r.expectation_config.type for r in first.results)
    assert all(r.success for r in again.results)


def test_a_frame_with_one_value_changed_is_judged_and_fails(tmp_path, judged):
    workspace = DataDocs(tmp_path).workspace
    workspace.validate(scores_suite(), SCORES, asset_name="scores")

    out_of_range = SCORES.assign(score=[3, 28, 21])
    result = workspace.validate(scores_suite(), out_of_range, asset_name="scores")

    assert judged == ["scores", "scores"]
    assert not result.success
    assert {r.expectation_config.type for r in result.results if not r.success} \
        == {"expect_column_values_to_be_between", "expect_column_max_to_be_between"}


def test_a_failure_is_not_kept_and_is_judged_every_time(tmp_path, judged):
    workspace = DataDocs(tmp_path).workspace
    unknown_instrument = SCORES.assign(instrument=["PHQ9", "MADRS", "GAD7"])

    for _ in range(2):
        assert not workspace.validate(scores_suite(), unknown_instrument,
                                      asset_name="scores").success

    assert judged == ["scores", "scores"]
    assert kept_files(tmp_path) == []


def test_other_expectations_or_another_format_are_judged_again(tmp_path, judged):
    workspace = DataDocs(tmp_path).workspace
    workspace.validate(scores_suite(), SCORES, asset_name="scores")
    workspace.validate(scores_suite(largest=60), SCORES, asset_name="scores")
    workspace.validate(scores_suite(), SCORES, asset_name="scores", counts=False)
    workspace.validate(scores_suite(), SCORES.astype({"score": "float64"}), asset_name="scores")

    assert len(judged) == 4
    assert len(kept_files(tmp_path)) == 4


def test_a_change_to_the_judging_code_judges_again(tmp_path, judged, monkeypatch):
    workspace = DataDocs(tmp_path).workspace
    workspace.validate(scores_suite(), SCORES, asset_name="scores")

    monkeypatch.setattr(verdicts, "code_fingerprint", lambda: "another version of GX")
    workspace.validate(scores_suite(), SCORES, asset_name="scores")

    assert len(judged) == 2


def test_a_kept_result_holds_no_value_of_a_row(tmp_path, judged):
    rare = SCORES.assign(score=[3, 19, 21])  # 19 is the max GX observes
    DataDocs(tmp_path).workspace.validate(scores_suite(), rare, asset_name="scores")

    [kept] = kept_files(tmp_path)
    stored = json.loads((tmp_path / VERDICTS_DIRECTORY / kept).read_text())
    observed = [r["result"].get("observed_value") for r in stored["results"]]
    assert observed == [None, None, None]
    assert "19" not in json.dumps(stored["results"])


def test_a_damaged_file_is_judged_again_and_rewritten(tmp_path, judged):
    workspace = DataDocs(tmp_path).workspace
    workspace.validate(scores_suite(), SCORES, asset_name="scores")
    [kept] = kept_files(tmp_path)
    (tmp_path / VERDICTS_DIRECTORY / kept).write_text('{"results": [')

    assert workspace.validate(scores_suite(), SCORES, asset_name="scores").success
    assert workspace.validate(scores_suite(), SCORES, asset_name="scores").success

    assert judged == ["scores", "scores"]
    assert kept_files(tmp_path) == [kept]


def test_results_unused_for_the_kept_days_are_deleted(tmp_path, judged):
    workspace = DataDocs(tmp_path).workspace
    workspace.validate(scores_suite(), SCORES, asset_name="scores")
    [used] = kept_files(tmp_path)
    stale = tmp_path / VERDICTS_DIRECTORY / ("0" * 64 + ".json")
    stale.write_text("{}")
    long_ago = time.time() - (verdicts.KEPT_DAYS + 1) * 86400
    for path in (stale, tmp_path / VERDICTS_DIRECTORY / used):
        os.utime(path, (long_ago, long_ago))

    later = DataDocs(tmp_path).workspace  # the next run's process
    later.validate(scores_suite(), SCORES, asset_name="scores")  # uses `used`
    later.validate(scores_suite(largest=60), SCORES, asset_name="scores")  # keeps one more

    assert stale.name not in kept_files(tmp_path)
    assert used in kept_files(tmp_path)
    assert len(kept_files(tmp_path)) == 2


def test_a_table_judged_again_the_next_day_gives_the_same_result_and_catches_a_defect(
        tmp_path, warehouse, judged):
    warehouse.execute(MANY_SESSIONS)
    first = validate_table(warehouse, "raw.sessions", "sessions",
                           context=DataDocs(tmp_path), run_name="day 1")
    judged.clear()

    again = validate_table(warehouse, "raw.sessions", "sessions",
                           context=DataDocs(tmp_path), run_name="day 2")
    assert judged == []
    assert (again.success, again.evaluated, again.failures) \
        == (first.success, first.evaluated, first.failures) == (True, first.evaluated, [])

    warehouse.execute("update raw.sessions set route = 'IVV' where _row_number = 4000")
    defect = validate_table(warehouse, "raw.sessions", "sessions",
                            context=DataDocs(tmp_path), run_name="day 3")
    assert defect.failures == ["expect_column_values_to_be_in_set(route): 1 unexpected of "
                               "5000 rows"]
    assert judged  # the route's frame changed: GX judged it


def test_a_new_days_load_ids_are_judged_alone_and_a_bad_dose_beside_them_is_caught(
        tmp_path, warehouse, monkeypatch):
    # Side by side, one GX validation judges a dozen columns' few rows; a day's batch
    # changes some of them (its load ids) and not the others, which are read back.
    sizes = []
    validate = Batch.validate
    monkeypatch.setattr(Batch, "validate", lambda self, expect, *a, **k: (
        sizes.append((expect.name, len(expect.expectations))),
        validate(self, expect, *a, **k))[1])
    warehouse.execute(MANY_SESSIONS)
    warehouse.execute("create temp table batch as select * from raw.sessions")
    validate_table(warehouse, "batch", "sessions", context=DataDocs(tmp_path))
    sizes.clear()

    warehouse.execute("update batch set _load_id = 8")
    next_day = validate_table(warehouse, "batch", "sessions", context=DataDocs(tmp_path))

    [side_by_side] = [g for g in DataDocs(tmp_path).workspace.groups("sessions") if g.parts]
    load_id_expectations = sum(len(part.suite.expectations) for part in side_by_side.parts
                               if part.columns == ("_load_id",))
    assert sizes == [("sessions[side by side]", load_id_expectations)]
    assert next_day.success and next_day.evaluated == len(build_suite("sessions").expectations)

    warehouse.execute("update batch set dose_mg = 5000 where _row_number = 3")
    bad_dose = validate_table(warehouse, "batch", "sessions", context=DataDocs(tmp_path))
    assert bad_dose.failures == [
        "expect_column_values_to_be_between(dose_mg): 1 unexpected of 5000 rows"]


def ranges_suite() -> gx.ExpectationSuite:
    """Expectations that each judge a row on its own, as runner.py's frames of few rows."""
    return gx.ExpectationSuite(name="ranges", expectations=[
        gxe.ExpectColumnValuesToBeInSet(column="instrument", value_set=["PHQ9", "GAD7"]),
        gxe.ExpectColumnValuesToBeBetween(column="score", min_value=0, max_value=27),
    ])


def test_a_verdicts_only_frame_whose_rows_all_passed_before_passes_without_gx(
        tmp_path, judged):
    workspace = DataDocs(tmp_path).workspace
    scores = pd.DataFrame({"instrument": ["PHQ9", "PHQ9", "GAD7"], "score": [3, 26, 21]})
    workspace.validate(ranges_suite(), scores, asset_name="scores", counts=False)

    # The next day's distinct values: two of them, in another order.
    some = scores.iloc[[2, 0]].reset_index(drop=True)
    assert DataDocs(tmp_path).workspace.validate(
        ranges_suite(), some, asset_name="scores", counts=False).success
    assert judged == ["ranges"]

    # A row never seen is judged, with those seen before; then it is known too.
    one_new = pd.DataFrame({"instrument": ["GAD7", "PHQ9"], "score": [21, 9]})
    assert workspace.validate(ranges_suite(), one_new, asset_name="scores", counts=False).success
    assert workspace.validate(ranges_suite(), one_new.iloc[[1]], asset_name="scores",
                              counts=False).success
    assert judged == ["ranges", "ranges"]

    bad = pd.DataFrame({"instrument": ["PHQ9", "PHQ9"], "score": [3, 28]})
    result = workspace.validate(ranges_suite(), bad, asset_name="scores", counts=False)
    assert not result.success and judged == ["ranges"] * 3


def test_a_frame_with_counts_or_an_aggregate_is_known_only_whole(tmp_path, judged):
    # Counts are of the frame's rows, and a maximum is of all of them: a subset of a
    # frame that passed is judged again.
    workspace = DataDocs(tmp_path).workspace
    workspace.validate(ranges_suite(), SCORES, asset_name="scores")
    workspace.validate(ranges_suite(), SCORES.iloc[[0]], asset_name="scores")
    workspace.validate(scores_suite(), SCORES, asset_name="scores", counts=False)
    workspace.validate(scores_suite(), SCORES.iloc[[0]], asset_name="scores", counts=False)

    assert judged == ["ranges", "ranges", "scores", "scores"]


def test_the_rows_known_for_a_frame_start_again_past_their_cap(tmp_path, judged,
                                                              monkeypatch):
    monkeypatch.setattr(verdicts, "ROWS_KEPT", 3)
    workspace = DataDocs(tmp_path).workspace
    first = pd.DataFrame({"instrument": ["PHQ9", "PHQ9"], "score": [1, 2]})
    then = pd.DataFrame({"instrument": ["GAD7", "GAD7"], "score": [1, 2]})
    for frame in (first, then, first):
        workspace.validate(ranges_suite(), frame, asset_name="scores", counts=False)

    # Four rows would pass the cap: the second frame's two were kept alone, and the
    # first's had to be judged again.
    assert judged == ["ranges"] * 3


def test_damaged_rows_are_judged_again_and_rewritten(tmp_path, judged):
    workspace = DataDocs(tmp_path).workspace
    workspace.validate(ranges_suite(), SCORES, asset_name="scores", counts=False)
    [rows] = [name for name in kept_files(tmp_path) if name.endswith(".rows.npy")]
    (tmp_path / VERDICTS_DIRECTORY / rows).write_bytes(b"")  # a disk that filled mid-write

    for _ in range(2):
        assert workspace.validate(ranges_suite(), SCORES, asset_name="scores",
                                  counts=False).success

    assert judged == ["ranges", "ranges"]
