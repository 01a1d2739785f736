"""Run by the parity test in an environment with the official `brats-evaluation` package:

    python official_brats.py REFERENCE PREDICTION [PREDICTION ...]   -> JSON on stdout

Labels are BraTS 2021 (4 = enhancing); the package expects 2023 labels, so 4 is remapped to 3
first. Prints {prediction: {region: {"dice": ..., "hd95": ...}}} for WT, TC and ET, with the
package's global (whole-volume) Dice and HD95; infinite HD95 becomes null.
"""

import json
import math
import sys

import nibabel as nib
import numpy as np
from brats_evaluation import config_path
from panoptica import Panoptica_Evaluator


def brats2023(path: str) -> np.ndarray:
    labels = np.asarray(nib.load(path).dataobj).astype(np.uint8)
    labels[labels == 4] = 3
    return labels


def main() -> None:
    evaluator = Panoptica_Evaluator.load_from_config(str(config_path("gli")))
    reference = brats2023(sys.argv[1])
    results = {}
    for path in sys.argv[2:]:
        groups = evaluator.evaluate(brats2023(path), reference, verbose=False)
        results[path] = {}
        for region in ("wt", "tc", "et"):
            got = groups[region].to_dict(True)
            hd = float(got["global_bin_hd95"])
            results[path][region.upper()] = {
                "dice": float(got["global_bin_dsc"]),
                "hd95": None if math.isinf(hd) else hd,
            }
    print(json.dumps(results))


if __name__ == "__main__":
    main()
