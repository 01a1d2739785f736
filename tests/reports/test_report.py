"""The HTML report of a trained run: self-contained, and it loads in headless Chromium with no
errors and every image decoded. Chromium comes from Debian's `chromium` package (`.ci/run`
installs it); without it that part skips, unless $SMART_BRAINS_REQUIRE_CHROMIUM is set (CI)."""

import csv
import json
import re
import shutil

import pytest

from browser import run_chromium
from conftest import encode, fake_volumes, make_suffixed, save
from smart_brains.cli import main

PROBE = """<script>
window.__errors = [];
window.addEventListener('error', e => window.__errors.push(String(e.message || e.type)), true);
window.addEventListener('load', () => {
  const images = [...document.images];
  const p = document.createElement('pre'); p.id = 'probe';
  p.textContent = JSON.stringify({images: images.length,
    undecoded: images.filter(i => !(i.complete && i.naturalWidth > 0)).length,
    errors: window.__errors,
    overflow: document.documentElement.scrollWidth - window.innerWidth});
  document.body.appendChild(p);
});
</script>"""


def load_in_chromium(html_path) -> tuple[dict, list[str]]:
    """Open a copy of the page with a probe script; returns the probe's findings and the
    console messages Chromium logged at warning level or above."""
    probed = html_path.with_name("probed.html")
    probed.write_text(html_path.read_text().replace("<head>", "<head>" + PROBE, 1))
    done = run_chromium(probed, "--dump-dom", window="1280,900")
    found = re.search(r'<pre id="probe">(.*?)</pre>', done.stdout, re.S)
    assert found, done.stderr[-2000:]
    console = [
        line for line in done.stderr.splitlines()
        if re.search(r":(WARNING|ERROR|FATAL):CONSOLE", line)
    ]  # fmt: skip
    return json.loads(found.group(1)), console


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    """A grade classifier fitted on eight tiny HGG/LGG cases."""
    root = tmp_path_factory.mktemp("graded")
    for i in range(8):
        grade = "HGG" if i % 2 else "LGG"
        folder = make_suffixed(root / grade, f"BraTS20_Training_{i:03d}", seed=i)
        labels = fake_volumes(i)[1]
        labels[7:9, 6:8, 4 : 5 + i % 2] = 3
        labels[5 : 6 + i // 2, 5:9, 3:7] = 2
        save(encode(labels, "brats2021"), folder / f"BraTS20_Training_{i:03d}_seg.nii.gz")
    model = root / "model"
    assert (
        main(
            [
                "classify",
                "fit",
                str(root),
                "--out",
                str(model),
                "--folds",
                "2",
                "--seg",
                "reference",
            ]
        )
        == 0
    )
    return model


@pytest.fixture(scope="module")
def report(trained_run, classifier, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    data = trained_run.parents[1] / "data"
    classes = out / "classes.csv"
    ids = sorted(p.name for p in data.iterdir() if p.is_dir())
    classes.write_text(
        "case_id,predicted,p_HGG,p_LGG\n" + "".join(f"{i},HGG,0.8,0.2\n" for i in ids)
    )
    assert main(["report", str(trained_run), "--out", str(out), "--device", "cpu",
                 "--classifier", str(classifier), "--classes", str(classes)]) == 0  # fmt: skip
    return out / "report.html"


def test_report_is_one_self_contained_file(report):
    text = report.read_text()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text)  # no external URL
    assert text.count("data:image/png;base64,") >= 6  # curves, boxes, confusion, 3 cases
    for heading in ("Training", "Lesion-wise", "Voxel classification", "best, median, worst",
                    "Case classification", "Most informative features", "Predicted class"):  # fmt: skip
        assert heading in text
    for raw in ("hd95_mm_q25", "lesion_dice_std", "dice_mean", "balanced_accuracy"):
        assert raw not in text  # plain headers, as a leaderboard reads
    assert 'href="evaluation/summary.csv"' in text
    # the numbers shown are the evaluation's: WT's "mean ± sd" Dice against summary.csv
    summary = {
        r["region"]: r
        for r in csv.DictReader((report.parent / "evaluation" / "summary.csv").open())
    }
    for region in ("WT", "TC", "ET"):
        row = summary[region]
        shown = f"{float(row['dice_mean']):.3f} ± {float(row['dice_std'] or 0):.3f}"
        assert re.search(
            rf"<td>{region}</td>\s*<td>\d+</td>\s*<td>{re.escape(shown)}</td>", text
        ), shown
    for png in (
        "training_curves.png",
        "scores_boxplot.png",
        "case_best.png",
        "evaluation/confusion.png",
        "class_roc.png",
        "class_calibration.png",
    ):
        assert (report.parent / png).stat().st_size > 1000


def test_report_loads_in_chromium_with_every_image_decoded(report):
    probe, console = load_in_chromium(report)
    assert probe["images"] >= 9  # and ROC, calibration, case confusion
    assert probe["undecoded"] == 0
    assert probe["overflow"] <= 0, "the page is wider than a 1280-px window"
    assert probe["errors"] == [] and console == []


def test_the_chromium_check_catches_a_broken_image(report, tmp_path):
    broken = tmp_path / "broken.html"
    broken.write_text(
        report.read_text().replace("data:image/png;base64,", "data:image/png;base64,AAAA", 1)
    )
    probe, _ = load_in_chromium(broken)
    assert probe["undecoded"] == 1


def test_a_run_without_a_finished_epoch_is_a_one_line_error(trained_run, tmp_path, capsys):
    run = tmp_path / "fresh"
    shutil.copytree(trained_run, run)
    (run / "metrics.csv").unlink()
    assert main(["report", str(run), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "no finished epoch" in err and "Traceback" not in err
