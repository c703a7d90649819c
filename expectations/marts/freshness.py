"""Freshness of the registry: is the latest data (the as_of_date, or the last load) recent?

GX has no expectation for "this timestamp is recent", so this is plain Python reporting in
the same SuiteResult shape as the GX suites.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from expectations.result import PlainCheck, SuiteResult, suite_result_from_plain_checks

SUITE_NAME = "marts.freshness"


def check_freshness(
    latest: date | datetime | None,
    max_age: timedelta,
    *,
    now: datetime | None = None,
    what: str = "as_of_date",
) -> SuiteResult:
    """Fail when `latest` (e.g. the as_of_date, or the manifest's last loaded_at) is older
    than `max_age` at `now` (default: the local wall clock, as clinic timestamps are local
    wall-clock times). A date counts from its midnight."""
    now = now or datetime.now()
    kwargs = {"what": what, "max_age_hours": max_age / timedelta(hours=1)}
    if latest is None:
        check = PlainCheck("expect_data_to_be_fresh", kwargs, False, f"no {what}: no data", {})
        return suite_result_from_plain_checks(SUITE_NAME, [check])
    if not isinstance(latest, datetime):
        latest = datetime.combine(latest, datetime.min.time())
    age = now - latest
    days = age / timedelta(days=1)
    fresh = age <= max_age
    message = (
        f"{what} is {days:.1f} days old, "
        f"{'within' if fresh else 'more than'} the {max_age / timedelta(days=1):g} days allowed"
    )
    observed = {"observed_value": age / timedelta(hours=1), "unit": "hours"}
    return suite_result_from_plain_checks(
        SUITE_NAME, [PlainCheck("expect_data_to_be_fresh", kwargs, fresh, message, observed)]
    )
