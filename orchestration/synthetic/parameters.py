"""The clinical shape of the synthetic network: mixes, schedules, rates and effect sizes.

Figures quoted from the esketamine label and the issue's real-world targets are marked;
everything else is an assumption of this generator, chosen to look like a busy network
of ketamine clinics rather than to estimate anything. Probabilities are per row of the
thing named (patient, course, session, administration).
"""

from .contract import INDICATIONS, ROUTES

# --- patients -------------------------------------------------------------------------

ENROLMENT_WINDOW_DAYS = 730  # about two years before the export date
# Enrolment density grows towards the export date (a growing network): day ~ u ** 0.8.
ENROLMENT_GROWTH_EXPONENT = 0.8
SEX_MIX = {"F": 0.58, "M": 0.40, "X": 0.01, "U": 0.01}
AGE_MEAN, AGE_SD, AGE_MIN, AGE_MAX = 43.0, 13.0, 18, 86
WEIGHT_KG_MEAN, WEIGHT_KG_SD, WEIGHT_KG_MIN, WEIGHT_KG_MAX = 83.0, 19.0, 45.0, 170.0
PRIOR_FAILURES_MISSING = 0.08
SUICIDAL_PRONE_SHARE = 0.12  # patients of other indications with recurring suicidal thoughts

INDICATION_MIX = {
    "TRD": 0.38,
    "MDD": 0.18,
    "BIPOLAR_DEPRESSION": 0.12,
    "PTSD": 0.10,
    "OCD": 0.08,
    "SUICIDAL_IDEATION": 0.06,
    "CHRONIC_PAIN": 0.05,
    "OTHER": 0.03,
}
assert tuple(INDICATION_MIX) == INDICATIONS

# Route of a course given the indication, over ROUTES = (IV, IN, IM, SL, PO). Esketamine
# (IN) is only labelled for depression and suicidal ideation, so other indications get none.
# Network-wide this gives about IV 50%, IN 19%, IM 15%, SL 10%, PO 7%.
ROUTE_MIX_BY_INDICATION = {
    "TRD": (0.42, 0.30, 0.13, 0.09, 0.06),
    "MDD": (0.45, 0.27, 0.13, 0.09, 0.06),
    "BIPOLAR_DEPRESSION": (0.58, 0.00, 0.20, 0.13, 0.09),
    "PTSD": (0.58, 0.00, 0.22, 0.12, 0.08),
    "OCD": (0.60, 0.00, 0.20, 0.12, 0.08),
    "SUICIDAL_IDEATION": (0.45, 0.45, 0.10, 0.00, 0.00),
    "CHRONIC_PAIN": (0.70, 0.00, 0.12, 0.08, 0.10),
    "OTHER": (0.55, 0.00, 0.20, 0.15, 0.10),
}
assert tuple(ROUTE_MIX_BY_INDICATION) == INDICATIONS

# --- courses --------------------------------------------------------------------------

SCREENING_DAYS_MAX = 28  # enrolment to first dose
SECOND_COURSE_SHARE = 0.22
SECOND_COURSE_MIN_GAP_DAYS = 75  # > 60, the registry's course_gap_days
SECOND_COURSE_SAME_ROUTE = 0.85

# Share of courses whose patient truly responds, per route. Tuned so completer response on
# the primary instrument lands near the targets: IV ~50% (remission 25-30%),
# IM ~40%, SL ~45%, PO somewhat lower, esketamine lower on PHQ-9 than on MADRS.
RESPONDER_SHARE = dict(zip(ROUTES, (0.43, 0.30, 0.34, 0.41, 0.28), strict=True))
# Latent fraction of the baseline score that is gone at full effect.
IMPROVEMENT_RESPONDER = (0.79, 0.14)  # mean, sd
IMPROVEMENT_NON_RESPONDER = (0.15, 0.17)
# Non-responders drop out more often, as in real-world registries. Overall about a third
# of courses have no assessment in the endpoint window (days 14-56).
DROPOUT_RESPONDER = 0.26
DROPOUT_NON_RESPONDER = 0.42
DROPOUT_STOPS_TREATMENT = 0.6  # the rest keep coming for doses but stop answering
MAINTENANCE_SHARE = dict(zip(ROUTES, (0.45, 0.60, 0.35, 0.40, 0.35), strict=True))
MAINTENANCE_SESSIONS = (2, 10)  # inclusive range
GAD7_SHARE = 0.55
MADRS_SHARE_ESKETAMINE = 0.45  # esketamine courses with a clinician-rated MADRS
MADRS_EXTRA_IMPROVEMENT = 0.20  # clinicians see more change than the self-report shows

# --- sessions -------------------------------------------------------------------------

# Induction sessions per route; IN counts the label's weeks 1-8 (twice weekly, then weekly).
CORE_SESSIONS = dict(zip(ROUTES, (6, 12, 6, 8, 8), strict=True))
CANCELLED_SHARE = 0.04
IV_TITRATED_SHARE = 0.30  # 0.5 -> 0.75 (-> 1.0) mg/kg from the third infusion
IM_MG_PER_KG = ((0.5, 0.6), (0.75, 0.4))  # (dose, share)
IN_HIGH_DOSE_SHARE = 0.65  # 84 mg after the 56 mg first dose
SL_FLAT_DOSES_MG = ((50, 0.2), (75, 0.3), (100, 0.3), (150, 0.2))
PO_MG_PER_KG = ((1.0, 0.3), (1.5, 0.4), (2.0, 0.2), (2.5, 0.1))
AT_HOME_SHARE = 0.5  # SL and PO doses taken at home have no vitals

# --- vitals and side effects (per countable session) ------------------------------------

# Esketamine: label adverse reactions (dissociation 41%, dizziness 29%, nausea 28%,
# sedation 23%, blood pressure increased 10%, headache 20%, anxiety 13%, vomiting 9%).
# The other routes are assumptions of this generator.
EFFECT_RATES = {
    "IV": {"DISSOCIATION": 0.55, "DIZZINESS": 0.20, "NAUSEA": 0.15, "SEDATION": 0.18,
           "HEADACHE": 0.10, "BLURRED_VISION": 0.12, "ANXIETY": 0.08, "HYPERTENSION": 0.08,
           "VOMITING": 0.04, "CONFUSION": 0.03, "TACHYCARDIA": 0.03,
           "RESPIRATORY_DEPRESSION": 0.002, "OTHER": 0.03},
    "IN": {"DISSOCIATION": 0.41, "DIZZINESS": 0.29, "NAUSEA": 0.28, "SEDATION": 0.23,
           "HEADACHE": 0.20, "ANXIETY": 0.13, "HYPERTENSION": 0.10, "VOMITING": 0.09,
           "BLURRED_VISION": 0.05, "CONFUSION": 0.02, "TACHYCARDIA": 0.02,
           "RESPIRATORY_DEPRESSION": 0.001, "OTHER": 0.05},
    "IM": {"DISSOCIATION": 0.50, "DIZZINESS": 0.22, "NAUSEA": 0.18, "SEDATION": 0.20,
           "HEADACHE": 0.08, "BLURRED_VISION": 0.10, "ANXIETY": 0.07, "HYPERTENSION": 0.07,
           "VOMITING": 0.05, "CONFUSION": 0.03, "TACHYCARDIA": 0.03,
           "RESPIRATORY_DEPRESSION": 0.002, "OTHER": 0.03},
    "SL": {"DISSOCIATION": 0.25, "DIZZINESS": 0.15, "NAUSEA": 0.12, "SEDATION": 0.20,
           "HEADACHE": 0.08, "BLURRED_VISION": 0.05, "ANXIETY": 0.04, "HYPERTENSION": 0.03,
           "VOMITING": 0.03, "CONFUSION": 0.02, "TACHYCARDIA": 0.01, "OTHER": 0.03},
    "PO": {"DISSOCIATION": 0.20, "DIZZINESS": 0.15, "NAUSEA": 0.15, "SEDATION": 0.22,
           "HEADACHE": 0.08, "BLURRED_VISION": 0.04, "ANXIETY": 0.04, "HYPERTENSION": 0.03,
           "VOMITING": 0.04, "CONFUSION": 0.02, "TACHYCARDIA": 0.01, "OTHER": 0.03},
}
assert tuple(EFFECT_RATES) == ROUTES
DISSOCIATION_PATIENT_SD = 0.08  # some patients dissociate more than others, same mean

# Mean pre-to-peak rise (systolic, diastolic) on sessions without a hypertensive reaction.
# With the reactions mixed in, IV averages about +16/+11 mmHg (the figure).
BP_RISE = dict(zip(ROUTES, ((14.5, 10.0), (8.0, 5.0), (12.0, 8.0), (5.0, 3.0), (4.0, 3.0)),
                   strict=True))
HR_RISE = dict(zip(ROUTES, (10.0, 7.0, 9.0, 4.0, 3.0), strict=True))
READING_MISSING = 0.03
CADSS_MISSING = 0.15
MOAAS_MISSING = 0.10
TERMINATED_BASE = 0.01

# --- assessments ----------------------------------------------------------------------

BASELINE_SAME_DAY = 0.6  # the rest fill it in 1-5 days before the first dose
BASELINE_MISSING = 0.03
# Instrument -> (follow-up days after course start, attendance, monthly while in maintenance)
VISIT_PLANS = {
    "PHQ9": ((7, 14, 21, 28, 35, 42, 49, 56), 0.85, True),
    "GAD7": ((28, 56), 0.80, False),
    "CSSRS_SCREEN": ((14, 28, 56), 0.80, False),
    "MADRS": ((14, 28, 56), 0.90, False),
    "PCL5": ((14, 28, 42, 56), 0.85, True),
    "YBOCS": ((14, 28, 42, 56), 0.85, True),
    "PAIN_NRS": ((14, 28, 42, 56), 0.85, True),
}
MONTHLY_DAYS = tuple(range(84, 365, 28))
# Baseline total (mean, sd) per instrument; PHQ-9 of non-depression indications runs lower.
BASELINE_SCORE = {
    "PHQ9": (18.5, 4.5),
    "GAD7": (13.0, 4.0),
    "MADRS": (32.0, 6.0),
    "PCL5": (51.0, 11.0),
    "YBOCS": (26.0, 5.0),
    "PAIN_NRS": (6.8, 1.5),
}
PHQ9_BASELINE_OTHER_INDICATIONS = (13.5, 5.0)
ONSET_DAYS = 6.0  # ketamine acts within days: effect = 1 - exp(-day / ONSET_DAYS)
SCORE_NOISE = 0.06  # sd of visit-to-visit noise, as a fraction of the total range
ITEM_WEIGHT_NOISE = 0.35  # lognormal sd of how a patient spreads a total over the items
# PHQ-9 item 9 (thoughts of self-harm) is answered rarely, unless the patient is prone.
PHQ9_ITEM_WEIGHTS = (1.2, 1.2, 1.1, 1.2, 0.9, 1.0, 0.9, 0.7, 0.2)
PHQ9_ITEM9_WEIGHT_PRONE = 1.6
ONE_ITEM_MISSING = 0.05
TOO_MANY_MISSING = 0.015  # more items missing than the catalog allows: not scorable
TOTAL_ROW_SHARE = 0.25  # complete administrations that also state their total
TOTAL_ONLY_SHARE = 0.03  # administrations exported as a total only
# C-SSRS screen risk level (NONE, LOW, MODERATE, HIGH)
CSSRS_RISK_PRONE = (0.45, 0.30, 0.15, 0.10)
CSSRS_RISK_OTHER = (0.93, 0.05, 0.015, 0.005)

# --- adverse events -------------------------------------------------------------------

AE_BASE_RATE = 0.012
AE_UNLINKED_SHARE = 0.5  # of psychiatric, urological, misuse and other events: reported
# days after a session, without its session_id

# --- session schedules ----------------------------------------------------------------

# Days between induction sessions: (choices, probabilities). IN follows the label instead
# (twice weekly for four weeks, then weekly), see sessions.py.
INDUCTION_GAP_DAYS = {
    "IV": ((2, 3, 4), (0.35, 0.40, 0.25)),  # six infusions in two to three weeks
    "IM": ((3, 4, 7), (0.40, 0.30, 0.30)),
    "SL": ((3, 4), (0.5, 0.5)),
    "PO": ((6, 7, 8), (0.25, 0.50, 0.25)),
}
# Days between maintenance sessions (inclusive range). At most 28, so one cancelled
# session in between never opens a gap of more than 60 days (a new course).
MAINTENANCE_GAP_DAYS = dict(zip(ROUTES, ((14, 28), (7, 14), (14, 28), (7, 14), (14, 28)),
                                strict=True))
