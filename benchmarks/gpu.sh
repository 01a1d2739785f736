#!/usr/bin/env bash
# GPU benchmark, under 5 minutes on one GPU:
#  - training step time and peak memory at 2x4x128^3 with bf16 autocast for every registered model;
#  - validation Dice of multiscale:base and nnU-Net's PlainConvUNet after the same training time
#    (BUDGET_S seconds each, default 60) on the embedded cohort at BraTS's 1 mm, 128^3 patches.
# Needs python3 with a CUDA build of torch and this package's dependencies (monai, nibabel, nilearn,
# numpy, scipy, pandas, matplotlib, tqdm, pyyaml, scikit-learn, tensorboard), plus
# dynamic-network-architectures and einops. Appends its tables to $RESULTS
# (default benchmarks/RESULTS-gpu.md).
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="src${PYTHONPATH:+:$PYTHONPATH}"
python3 -c "import torch; assert torch.cuda.is_available(), 'no CUDA device'; print(torch.__version__, torch.cuda.get_device_name(0))"
python3 benchmarks/models.py --device cuda --patch 128 --batch 2 --amp --steps 5 \
  --models "${MODELS:-multiscale:tiny,multiscale:base,unet:tiny,segresnet:base,plainconvunet:base}" \
  --accuracy-models multiscale:base,plainconvunet:base --budget-s "${BUDGET_S:-60}" \
  --spacing 1.0 --train-patch 128 --train-batch 2 --data-workers "${DATA_WORKERS:-8}" \
  --work /tmp/smart-brains-gpu --results "${RESULTS:-benchmarks/RESULTS-gpu.md}"
