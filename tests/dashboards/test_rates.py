"""The Wilson score interval in Python agrees with spec/outcomes.md and the dbt macro."""

import numpy as np
import pandas as pd
import pytest

from dashboards.rates import Z95, outcome_rates, wilson_interval


@pytest.mark.parametrize(("x", "n", "low", "high"), [
    (5, 10, 0.2366, 0.7634),   # the reference values
    (0, 20, 0.0, 0.1611),
    (16, 40, 0.2635, 0.5540),  # tests/dashboards/hand_network.py
    (12, 12, 0.7575, 1.0),
])
def test_wilson_reference_values(x, n, low, high):
    got_low, got_high = wilson_interval(x, n)
    assert float(got_low) == pytest.approx(low, abs=5e-5)
    assert float(got_high) == pytest.approx(high, abs=5e-5)


def test_wilson_edges_are_exact_and_n_zero_has_no_interval():
    low, high = wilson_interval(np.array([0, 7, 3]), np.array([9, 7, 0]))
    assert low[0] == 0.0 and high[1] == 1.0
    assert np.isnan(low[2]) and np.isnan(high[2])
    assert 0 < low[1] < 1 and 0 < high[0] < 1


def test_wilson_uses_the_given_z():
    narrow_low, narrow_high = wilson_interval(5, 10, z=1.0)
    wide_low, wide_high = wilson_interval(5, 10, z=Z95)
    assert wide_low < narrow_low < 0.5 < narrow_high < wide_high


def test_outcome_rates_under_both_denominators():
    counts = pd.DataFrame({"n_itt_courses": [40, 3], "n_completer_courses": [28, 0],
                           "n_responders": [16, 0], "n_remitters": [5, 0]})
    itt = outcome_rates(counts, "ITT")
    assert list(itt["n_courses"]) == [40, 3]
    assert itt["response_rate"][0] == pytest.approx(0.4)
    assert itt["follow_up_rate"][0] == pytest.approx(0.7)
    assert itt["follow_up_ci_low"][0] == pytest.approx(0.5457, abs=5e-5)
    completer = outcome_rates(counts, "COMPLETER")
    assert completer["response_rate"][0] == pytest.approx(16 / 28)
    assert completer["response_ci_low"][0] == pytest.approx(0.3907, abs=5e-5)
    # No completer: no rate and no interval, not 0%.
    assert np.isnan(completer["response_rate"][1]) and np.isnan(completer["response_ci_high"][1])
    with pytest.raises(ValueError):
        outcome_rates(counts, "PER_PROTOCOL")
