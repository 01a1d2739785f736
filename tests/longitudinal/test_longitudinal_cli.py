"""`synth --timepoints` then `longitudinal` on the series: the true responses come back, the
tables have their columns, dates give growth rates, bad input is one line (exit 2)."""

import numpy as np
import pandas as pd
import pytest

from smart_brains.cli import main


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    root = tmp_path_factory.mktemp("series")
    data = root / "data"
    argv = ["synth", "--timepoints", "2", "--n", "5", "--spacing", "3", "--out", str(data)]
    assert main(argv) == 0
    out = root / "out"
    assert main(["longitudinal", str(data), "--out", str(out), "--data", str(data)]) == 0
    return data, out


def test_every_scenario_gets_its_true_response(series):
    data, out = series
    truth = pd.read_csv(data / "response.csv").set_index("case_id")
    got = pd.read_csv(out / "response.csv").set_index("case_id")
    assert set(truth.scenario) == {"progression", "response", "complete", "stable", "new lesion"}
    assert (got.loc[truth.index, "rano"] == truth.rano).all()
    assert (got.loc[truth.index, "rano2"] == truth.rano2).all()


def test_tables_have_what_a_reader_needs(series):
    _, out = series
    measurements = pd.read_csv(out / "measurements.csv")
    for column in ("patient_id", "timepoint", "case_id", "et_cm3", "tc_cm3", "wt_cm3", "rc_cm3",
                   "measurable_lesions", "sum_of_products_mm2"):  # fmt: skip
        assert column in measurements
    assert len(measurements) == 10 and measurements.patient_id.nunique() == 5
    lesions = pd.read_csv(out / "lesions.csv")
    for column in ("lesion_id", "longest_diameter_mm", "perpendicular_diameter_mm", "product_mm2",
                   "measurable", "slice", "longest_vox", "longest_world_mm"):  # fmt: skip
        assert column in lesions
    # the baseline tumour keeps its id: every patient's target lesion is L1 at both scans
    targets = lesions[lesions.target]
    assert (targets.lesion_id == "L1").all()
    assert (out / "report" / "index.html").is_file()
    page = (out / "report" / "BraTS-GLI-00000.html").read_text()
    assert "data:image/png;base64" in page and "PD" in page
    # every time point in the embedded viewer: one case button per scan
    assert "<iframe srcdoc=" in page
    for case_id in ("BraTS-GLI-00000-000", "BraTS-GLI-00000-001"):
        assert f"&quot;id&quot;: &quot;{case_id}&quot;" in page


def test_dates_give_days_growth_and_doubling_time(series, tmp_path):
    data, _ = series
    truth = pd.read_csv(data / "response.csv")
    csv = tmp_path / "timepoints.csv"
    truth.assign(date=np.where(truth.timepoint == 0, "2024-01-10", "2024-04-09"))[
        ["case_id", "patient_id", "date"]
    ].to_csv(csv, index=False)
    out = tmp_path / "out"
    assert main(["longitudinal", str(data), "--out", str(out), "--timepoints", str(csv),
                 "--no-report"]) == 0  # fmt: skip
    response = pd.read_csv(out / "response.csv").set_index("case_id")
    measurements = pd.read_csv(out / "measurements.csv").set_index("case_id")
    grows = "BraTS-GLI-00000-001"  # progression
    assert measurements.loc[grows, "days"] == 90
    before = measurements.loc["BraTS-GLI-00000-000", "et_cm3"]
    now = measurements.loc[grows, "et_cm3"]
    assert response.loc[grows, "et_growth_cm3_per_day"] == pytest.approx(
        (now - before) / 90, abs=1e-4
    )
    assert response.loc[grows, "et_doubling_days"] == pytest.approx(
        90 * np.log(2) / np.log(now / before), rel=0.01
    )
    assert np.isnan(response.loc["BraTS-GLI-00001-001", "et_doubling_days"])  # shrinking


def test_bad_inputs_are_one_line(series, tmp_path, capsys):
    data, _ = series
    csv = tmp_path / "bad.csv"
    csv.write_text("case_id,patient_id,date\nBraTS-GLI-00000-000,P1,10/01/2024\n")
    out = tmp_path / "o"
    for argv, expected in [
        (["longitudinal", str(data), "--out", str(out), "--timepoints", str(csv)], "YYYY-MM-DD"),
        (["longitudinal", str(tmp_path / "none"), "--out", str(out)], "not a folder"),
        (
            ["synth", "--timepoints", "2", "--held-out", "--out", str(out)],
            "leave out --real-source",
        ),
        (
            ["longitudinal", str(data), "--out", str(out), "--max-targets", "0"],
            "at least one target",
        ),
    ]:
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert expected in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not out.exists()  # nothing written
    wrong = tmp_path / "wrong"
    wrong.mkdir()
    seg = data / "BraTS-GLI-00000-000" / "BraTS-GLI-00000-000-seg.nii.gz"
    (wrong / "BraTS2021_00001.nii.gz").write_bytes(seg.read_bytes())  # 2023 labels (3), 2021 id
    assert main(["longitudinal", str(wrong), "--out", str(out)]) == 2
    assert "are not brats2021 labels" in capsys.readouterr().err


def test_a_patients_scans_share_its_anatomy(series):
    import nibabel as nib

    data, _ = series

    def t1(case):
        return np.asarray(nib.load(str(data / case / f"{case}-t1n.nii.gz")).dataobj, float)

    first, second, other = (
        t1("BraTS-GLI-00003-000"),
        t1("BraTS-GLI-00003-001"),
        t1("BraTS-GLI-00001-000"),
    )
    assert ((first > 0) == (second > 0)).mean() > 0.98  # the same brain, scanned again
    assert np.corrcoef(first.ravel(), second.ravel())[0, 1] > 0.9
    assert ((first > 0) == (other > 0)).mean() < ((first > 0) == (second > 0)).mean()


@pytest.fixture(scope="module")
def grown(tmp_path_factory):
    """Two patients x three dated scans grown by the growth model (known truth)."""
    data = tmp_path_factory.mktemp("grown") / "data"
    argv = ["synth", "--timepoints", "3", "--n", "2", "--spacing", "4", "--tumours", "growth",
            "--out", str(data)]  # fmt: skip
    assert main(argv) == 0
    return data


def test_forecasts_volumes_and_extent_at_a_date(grown, tmp_path, capsys):
    out = tmp_path / "follow"
    argv = ["longitudinal", str(grown), "--out", str(out), "--timepoints",
            str(grown / "timepoints.csv"), "--data", str(grown), "--forecast-days", "60"]  # fmt: skip
    assert main(argv) == 0
    assert "not a prognosis" in capsys.readouterr().out
    forecast = pd.read_csv(out / "forecast.csv")
    assert set(forecast.region) == {"ET", "TC", "WT"} and len(forecast) == 6
    made = forecast[forecast.model.notna()]
    assert len(made) and (made.low_cm3 <= made.volume_cm3).all()
    assert (made.volume_cm3 <= made.high_cm3).all() and (made.days_ahead == 60).all()
    truth = pd.read_csv(grown / "truth.csv")
    spatial = pd.read_csv(out / "spatial.csv")
    assert (spatial.fit_dice > 0.5).all()
    for row in spatial.itertuples():  # the fitted front speed is the truth's, roughly
        true = truth[truth.patient_id == row.patient_id].iloc[0]
        assert 0.5 < row.speed_mm_per_day / (2 * np.sqrt(true.d_white * true.rho)) < 2
        assert (out / "forecast" / f"{row.patient_id}_forecast_wt.nii.gz").is_file()
    page = (out / "report" / f"{spatial.patient_id[0]}.html").read_text()
    assert "Forecast (an extrapolation" in page and "forecast extent" in page


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--forecast-days", "30"], "no scan has a date"),
        (["--forecast-date", "2025-13-01"], "not a date"),
        (["--forecast-days", "0"], "above 0"),
    ],
)
def test_forecast_errors_are_one_line(series, tmp_path, capsys, extra, message):
    data, _ = series
    assert main(["longitudinal", str(data), "--out", str(tmp_path / "o"), *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_targets_are_the_largest_measurable_at_baseline_and_are_summed(series):
    _, out = series
    lesions = pd.read_csv(out / "lesions.csv")
    measurements = pd.read_csv(out / "measurements.csv").set_index("case_id")
    for patient, rows in lesions.groupby("patient_id"):
        baseline = rows[rows.timepoint == 0]
        measurable = baseline[baseline.measurable].sort_values("product_mm2", ascending=False)
        chosen = set(measurable.lesion_id[:3])  # RANO 2.0: up to 3, the largest measurable
        assert set(baseline[baseline.target].lesion_id) == chosen, patient
        assert set(rows[rows.target].lesion_id) <= chosen  # targets stay the baseline's
        for case_id, scan in rows.groupby("case_id"):
            total = scan[scan.lesion_id.isin(chosen)].product_mm2.sum()
            assert measurements.loc[case_id, "sum_of_products_mm2"] == pytest.approx(total, abs=0.2)
