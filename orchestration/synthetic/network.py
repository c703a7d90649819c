"""The whole synthetic network in memory: every stage's arrays, record ids and file order."""

import dataclasses
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from .adverse_events import AdverseEvents, draw_adverse_events
from .arrays import stack
from .assessments import Administrations, schedule_administrations
from .catalog import Instrument
from .courses import Courses, draw_first_courses, draw_second_courses
from .identifiers import record_ids, sequence_within_site, site_names
from .items import AssessmentRows, administration_ranges, answer_items
from .population import Patients, draw_patients
from .sessions import Sessions, course_spans, schedule_sessions
from .vitals import Observations, observe_sessions


@dataclass(frozen=True)
class Network:
    seed: int
    sites: tuple[str, ...]
    instruments: dict[str, Instrument]
    patients: Patients
    patient_keys: pa.StringArray
    courses: Courses
    sessions: Sessions
    observations: Observations
    administrations: Administrations
    assessment_rows: AssessmentRows
    events: AdverseEvents
    session_ids: pa.StringArray
    assessment_ids: pa.StringArray
    event_ids: pa.StringArray
    # Position of each record in its site's file: ids are numbered in this order too.
    session_seq: np.ndarray
    assessment_seq: np.ndarray
    event_seq: np.ndarray

    @property
    def instrument_codes(self) -> tuple[str, ...]:
        return tuple(self.instruments)

    def patient_of_rows(self, entity: str) -> np.ndarray:
        """The patient (index) of every row of an entity's table."""
        if entity == "patients":
            return np.arange(len(self.patients))
        if entity == "sessions":
            return self.sessions.patient
        if entity == "assessments":
            return self.administrations.patient[self.assessment_rows.administration]
        return self.events.patient

    def site_of_rows(self, entity: str) -> np.ndarray:
        return self.patients.site[self.patient_of_rows(entity)]

    def in_file_order(self, entity: str, rows: np.ndarray) -> np.ndarray:
        """The given rows of an entity sorted as its files list them: by site, then
        chronologically by record; assessment rows item 1..n then the total, per
        administration."""
        if entity == "patients":  # drawn in site and enrolment order
            return np.sort(rows)
        if entity == "assessments":
            admin = self.assessment_rows.administration[rows]
            site = self.patients.site[self.administrations.patient[admin]]
            return rows[np.lexsort((rows, self.assessment_seq[admin], site))]
        seq = self.session_seq if entity == "sessions" else self.event_seq
        return rows[np.lexsort((seq[rows], self.site_of_rows(entity)[rows]))]

    def file_order(self, entity: str) -> np.ndarray:
        """All rows of an entity in file order (see in_file_order)."""
        if entity != "assessments":
            return self.in_file_order(entity, np.arange(len(self.patient_of_rows(entity))))
        # Millions of rows: sort the administrations, then expand each to its run of rows.
        admin_order = np.lexsort((self.assessment_seq,
                                  self.patients.site[self.administrations.patient]))
        first, count = administration_ranges(self.assessment_rows, len(self.administrations))
        first, count = first[admin_order], count[admin_order]
        run_start = np.cumsum(count) - count
        return np.repeat(first - run_start, count) + np.arange(count.sum())

    def with_assessment_rows(self, rows: AssessmentRows) -> "Network":
        return dataclasses.replace(self, assessment_rows=rows)


def build_network(n_patients: int, n_sites: int, seed: int, instruments: dict[str, Instrument],
                  primary_by_indication: dict[str, str], on_stage=lambda stage: None) -> Network:
    """Draws every entity; `on_stage(name)` is called as each stage finishes (progress)."""
    patients, keys = draw_patients(n_patients, n_sites, seed)
    first_courses = draw_first_courses(patients, seed)
    first_sessions = schedule_sessions(first_courses, patients, seed, "sessions-1")
    _, first_last_day, _ = course_spans(first_sessions, len(first_courses))
    second_courses = draw_second_courses(patients, first_courses, first_last_day, seed)
    second_sessions = schedule_sessions(second_courses, patients, seed, "sessions-2")
    courses = stack([first_courses, second_courses])
    sessions = stack([
        first_sessions,
        dataclasses.replace(second_sessions,
                            course=second_sessions.course + len(first_courses)),
    ])
    on_stage("patients and sessions")

    observations = observe_sessions(sessions, patients, seed)
    events = draw_adverse_events(sessions, observations, seed)
    on_stage("vitals and adverse events")

    first_minute, last_day, _ = course_spans(sessions, len(courses))
    administrations = schedule_administrations(
        courses, patients, first_minute, last_day, instruments, primary_by_indication, seed
    )
    assessment_rows = answer_items(administrations, instruments, patients, seed)
    on_stage("assessments")

    sites = site_names(n_sites)
    session_site = patients.site[sessions.patient]
    session_seq = sequence_within_site(session_site, sessions.minute, sessions.patient)
    admin_site = patients.site[administrations.patient]
    assessment_seq = sequence_within_site(
        admin_site, administrations.minute, administrations.patient, administrations.instrument
    )
    event_site = patients.site[events.patient]
    event_seq = sequence_within_site(event_site, events.minute, events.session)
    return Network(
        seed=seed,
        sites=sites,
        instruments=instruments,
        patients=patients,
        patient_keys=keys,
        courses=courses,
        sessions=sessions,
        observations=observations,
        administrations=administrations,
        assessment_rows=assessment_rows,
        events=events,
        session_ids=record_ids("sessions", seed, sites, session_site, session_seq),
        assessment_ids=record_ids("assessments", seed, sites, admin_site, assessment_seq),
        event_ids=record_ids("adverse_events", seed, sites, event_site, event_seq),
        session_seq=session_seq,
        assessment_seq=assessment_seq,
        event_seq=event_seq,
    )
