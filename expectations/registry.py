"""Every suite by the name the pipeline asks for it."""

from __future__ import annotations

from collections.abc import Callable

import great_expectations as gx

from expectations.entities import adverse_events, assessments, patients, sessions
from expectations.marts import (
    assessment_scores,
    course_outcomes,
    outcome_rates,
    safety_flags,
    side_effect_rates,
)

SUITE_BUILDERS: dict[str, Callable[[], gx.ExpectationSuite]] = {
    patients.SUITE_NAME: patients.build_patients_suite,
    sessions.SUITE_NAME: sessions.build_sessions_suite,
    assessments.SUITE_NAME: assessments.build_assessments_suite,
    adverse_events.SUITE_NAME: adverse_events.build_adverse_events_suite,
    course_outcomes.SUITE_NAME: course_outcomes.build_course_outcomes_suite,
    outcome_rates.SUITE_NAME: outcome_rates.build_outcome_rates_suite,
    side_effect_rates.SUITE_NAME: side_effect_rates.build_side_effect_rates_suite,
    safety_flags.SUITE_NAME: safety_flags.build_safety_flags_suite,
    assessment_scores.SUITE_NAME: assessment_scores.build_assessment_scores_suite,
}

ENTITY_SUITES = (patients.SUITE_NAME, sessions.SUITE_NAME, assessments.SUITE_NAME,
                 adverse_events.SUITE_NAME)  # fmt: skip
MART_SUITES = tuple(name for name in SUITE_BUILDERS if name not in ENTITY_SUITES)


def build_suite(name: str) -> gx.ExpectationSuite:
    try:
        builder = SUITE_BUILDERS[name]
    except KeyError:
        raise KeyError(f"no suite {name!r}; known: {', '.join(SUITE_BUILDERS)}") from None
    return builder()
