"""The newcomer's command, shrunk: synth -> prepare -> train -> predict -> evaluate -> report."""

from smart_brains.demo import DemoConfig, run_demo


def test_demo_runs_end_to_end_and_ends_with_a_report(tmp_path):
    cfg = DemoConfig(
        out=str(tmp_path / "demo"), n_cases=5, spacing_mm=4.0, epochs=1, steps_per_epoch=2,
        patch_size_vox=(24, 24, 24), val_every=1, num_workers=0, workers=1, device="cpu",
    )  # fmt: skip
    result = run_demo(cfg, progress=False)
    assert list(result.summary.index) == ["WT", "TC", "ET"]
    assert result.summary["cases"].tolist() == [1, 1, 1]  # 80:20 of 5 cases
    assert result.report.is_file() and "data:image/png;base64," in result.report.read_text()
    assert result.scores_csv.is_file()
    assert set(result.seconds) == {"synth", "prepare", "train", "predict", "evaluate+report"}
