"""The interactive viewer: one self-contained page that opens offline in headless Chromium with
no error and nothing fetched, switches modalities, draws the labels over the image (seen in a
screenshot), and refuses what it cannot show in one line."""

import json
import re

import nibabel as nib
import numpy as np
import pytest

from browser import run_chromium
from conftest import make_phantom_case, phantom
from smart_brains.cli import main
from smart_brains.reports.figures import LABEL_COLOURS
from smart_brains.reports.viewer import display_uint8, region_volumes, shrink

PROBE = """<script>
window.__errors = [];
window.addEventListener('error', e => window.__errors.push(String(e.message || e.type)), true);
window.addEventListener('unhandledrejection', e => window.__errors.push(String(e.reason)));
const __wait = setInterval(() => {
  if (!window.__viewer || !(window.__viewer.ready || window.__viewer.error)) return;
  clearInterval(__wait);
  document.querySelector('#modalities button').click();  // switch to the first modality
  const p = document.createElement('pre'); p.id = 'probe';
  p.textContent = JSON.stringify({viewer: window.__viewer, errors: window.__errors,
    fetched: performance.getEntriesByType('resource').map(e => e.name)
      .filter(n => !n.startsWith('data:')),
    buttons: [...document.querySelectorAll('#modalities button')].map(b => b.textContent),
    rows: [...document.querySelectorAll('#volumes tr')].map(r => r.innerText)});
  document.body.appendChild(p);
}, 100);
</script>"""


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    root = tmp_path_factory.mktemp("viewer")
    case = make_phantom_case(root / "data", "BraTS2021_00007")
    out = root / "page.html"
    assert main(["view", str(case), "--out", str(out)]) == 0
    return out


def test_the_page_is_one_file_with_everything_inside(page):
    html = page.read_text()
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", html)  # nothing loaded from outside
    assert "niivue" in html and 2.3e6 < len(html) < 8e6


def test_it_opens_offline_without_errors_and_switches_modalities(page, tmp_path):
    probed = tmp_path / "probed.html"
    probed.write_text(page.read_text().replace("<head>", "<head>" + PROBE, 1))
    done = run_chromium(probed, "--dump-dom")
    found = re.search(r'<pre id="probe">(.*?)</pre>', done.stdout, re.S)
    assert found, done.stderr[-2000:]
    probe = json.loads(found.group(1))
    assert probe["viewer"]["ready"] and probe["viewer"]["error"] is None
    assert probe["viewer"]["volumes"] == 3  # grid, one modality, labels
    assert probe["errors"] == [] and probe["fetched"] == []
    assert probe["buttons"] == ["t1", "t1ce", "t2", "flair"]
    console = [line for line in done.stderr.splitlines() if "CONSOLE" in line and "ERROR" in line]
    assert console == []
    _, _, labels, _ = phantom()
    cm3 = {k: (labels == k).sum() * 8 / 1000 for k in (1, 2, 3)}
    assert any(row.startswith("NCR/NET") and f"{cm3[1]:.1f}" in row for row in probe["rows"])
    assert any(row.startswith("WT") and f"{sum(cm3.values()):.1f}" in row for row in probe["rows"])


def _label_pixels(page, shot) -> tuple[int, dict[int, int]]:
    """(grey pixels, pixels of each label's hue) in a screenshot of ``page``."""
    import matplotlib.image

    run_chromium(page, f"--screenshot={shot}")
    pixels = (matplotlib.image.imread(shot)[..., :3] * 255).astype(int)
    grey = int(((np.ptp(pixels, axis=-1) < 8) & (pixels.mean(-1) > 40)).sum())
    hue = pixels - pixels.mean(-1, keepdims=True)
    found = {}
    for label, colour in LABEL_COLOURS.items():  # each label, blended over the grey image
        want = np.array(colour) * 255 - np.mean(colour) * 255
        close = (hue * want).sum(-1) / (np.linalg.norm(hue, axis=-1) * np.linalg.norm(want) + 1e-6)
        found[label] = int((close > 0.95).sum())
    return grey, found


def test_a_screenshot_shows_the_labels_over_the_image(page, tmp_path):
    grey, found = _label_pixels(page, tmp_path / "shot.png")
    assert grey > 5000  # the brain, drawn in grey
    assert all(n > 50 for n in found.values()), found
    plain = tmp_path / "plain.html"  # the control: the same case without its labels
    assert (
        main(["view", str(next(page.parent.glob("data/*"))), "--seg", "none", "--out", str(plain)])
        == 0
    )
    grey, found = _label_pixels(plain, tmp_path / "plain.png")
    assert grey > 5000 and all(n < 20 for n in found.values()), found


def test_labels_on_another_grid_are_refused_in_one_line(tmp_path, capsys):
    case = make_phantom_case(tmp_path / "data", "BraTS2021_00008")
    other = tmp_path / "other.nii.gz"
    nib.save(nib.Nifti1Image(np.zeros((10, 10, 10), np.uint8), np.eye(4)), str(other))
    out = tmp_path / "page.html"
    assert main(["view", str(case), "--seg", str(other), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "not on the grid" in err and len(err.splitlines()) == 1 and not out.exists()
    assert main(["view", str(tmp_path / "data"), "--out", str(tmp_path)]) == 2  # a folder
    assert "a folder" in capsys.readouterr().err


def test_backgrounds_shrink_and_keep_their_place():
    image = np.random.default_rng(0).random((240, 240, 155)).astype(np.float32) + 1
    affine = np.diag([-1.0, -1.0, 1.0, 1.0])
    small, small_affine = shrink(image, affine, 2_000_000)
    assert small.shape == (120, 120, 78)
    centre = lambda a, shape: a[:3, :3] @ ((np.array(shape) - 1) / 2) + a[:3, 3]  # noqa: E731
    assert np.allclose(centre(small_affine, small.shape)[:2], centre(affine, image.shape)[:2])
    u8 = display_uint8(np.where(image > 1.5, image, 0))
    assert u8.dtype == np.uint8 and u8.min() == 0 and u8.max() == 255
    rows = dict((n, v) for n, v, _ in region_volumes(np.array([[[1, 2], [3, 3]]]), 1000.0))
    assert rows["TC"] == 3.0 and rows["WT"] == 4.0 and rows["ET"] == 2.0


def test_predict_writes_a_viewer_page_per_case(trained_run, tmp_path, capsys):
    case = make_phantom_case(tmp_path / "data", "BraTS2021_00009")
    out = tmp_path / "pred"
    assert (
        main(["predict", str(case), "--model", str(trained_run), "--out", str(out), "--view"]) == 0
    )
    assert "1 viewer pages" in capsys.readouterr().out
    page = (tmp_path / "pred-extras" / "BraTS2021_00009_view.html").read_text()
    assert "prediction" in page and page.count('"labels": "') == 1  # the prediction is drawn
