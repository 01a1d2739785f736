"""Volume forecasts: a known growth law comes back inside its interval, models are chosen by
the stated criterion, and where no forecast can be made it says why."""

import numpy as np
import pytest

from smart_brains.longitudinal.forecast import MEASUREMENT_SD, forecast_patient, forecast_volume


def test_a_known_exponential_is_recovered_within_its_interval():
    rng = np.random.default_rng(0)
    days = np.array([0.0, 70, 140, 210, 280])
    truth = lambda t: 12.0 * np.exp(0.008 * t)  # noqa: E731 (doubling every 87 days)
    hits = 0
    for _ in range(200):  # the 95 % interval holds the truth about 95 % of the time
        measured = truth(days) * np.exp(rng.normal(0, MEASUREMENT_SD, len(days)))
        f = forecast_volume(days, measured, 400)
        hits += f.low_cm3 <= truth(400) <= f.high_cm3
    assert 0.88 <= hits / 200 <= 1.0
    f = forecast_volume(days, truth(days), 400)
    assert f.model == "exponential" and f.volume_cm3 == pytest.approx(truth(400), rel=1e-6)
    assert f.doubling_days == pytest.approx(np.log(2) / 0.008, rel=1e-6)


def test_the_model_is_chosen_by_aicc_with_enough_scans_and_stated():
    days = np.arange(0, 420, 60.0)
    linear = forecast_volume(days, 20 + 0.2 * days, 500)
    assert linear.model == "linear" and "AICc" in linear.why
    assert linear.volume_cm3 == pytest.approx(120, rel=0.01)
    plateau = 80 * np.exp(np.log(5 / 80) * np.exp(-0.012 * days))
    gompertz = forecast_volume(days, plateau, 600)
    assert gompertz.model == "gompertz" and gompertz.volume_cm3 < 80
    few = forecast_volume(days[:3], 20 + 0.2 * days[:3], 500)
    assert few.model == "exponential" and "too few scans" in few.why


@pytest.mark.parametrize(
    "days, volumes, reason",
    [
        ([0.0], [10.0], "needs two or more"),
        ([0.0, 60], [10.0, 0.0], "absent at some scan"),
        ([0.0, 0.0], [10.0, 12.0], "same day"),
        ([0.0, 50, 100, 150], [10.0, 60, 4, 90], "does not hold"),
    ],
)
def test_where_no_forecast_can_be_made_it_says_why(days, volumes, reason):
    f = forecast_volume(np.array(days), np.array(volumes), 300)
    assert not f.made and reason in f.why


def test_two_scans_take_their_interval_from_the_measurement_error():
    f = forecast_volume(np.array([0.0, 100]), np.array([10.0, 20.0]), 200)
    assert f.volume_cm3 == pytest.approx(40.0) and f.low_cm3 < 40 < f.high_cm3
    rows = [{"patient_id": "p", "date": "2024-01-01", "days": 0, "et_cm3": 1.0, "tc_cm3": 2.0,
             "wt_cm3": 10.0},
            {"patient_id": "p", "date": "2024-04-10", "days": 100, "et_cm3": 2.0, "tc_cm3": 0.0,
             "wt_cm3": 20.0}]  # fmt: skip
    table = {r["region"]: r for r in forecast_patient(rows, 200)}
    assert table["WT"]["volume_cm3"] == pytest.approx(40.0) and table["WT"]["days_ahead"] == 100
    assert np.isnan(table["TC"]["volume_cm3"]) and "absent" in table["TC"]["note"]
