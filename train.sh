#!/bin/bash
# smart-brains training job for Sun Grid Engine. From the repository root:
#
#   qsub -pe omp 4 -P ds598 -l gpus=1 -o output.txt -e error.txt train.sh
#
# Choose data and settings with environment variables (qsub -v NAME=value,...) or in a file
# ./train.env of KEY=value lines beside the script:
#   DATA     dataset folder (any layout smart-brains reads); default: data/BraTS2021
#   CONFIG   training config YAML; default: configs/brats2021.yaml
#   NAME     run name (runs/NAME); default: the config file's name
#   CACHE    preparation cache; default: cache/<basename of DATA>
#   RUNS_DIR folder of runs; default: runs
#   VENV     Python environment to activate; default: .venv (see README, "Train on a cluster")
#   EXTRA    more `smart-brains train` flags, e.g. "--epochs 50"
# The job prepares the data once (idempotent), then trains; when the scheduler re-runs the job
# (node failure, qmod -rj) it resumes from the run's last checkpoint. With several GPUs granted
# it starts one process per GPU with torchrun (DDP). Exit status: that of the failing step.
#$ -cwd
#$ -N smart-brains
#$ -j n
#$ -r y
#$ -S /bin/bash
set -euo pipefail

cd "${SGE_O_WORKDIR:-$PWD}"
if [ -f train.env ]; then  # optional settings file beside the script: KEY=value lines
  # shellcheck disable=SC1091
  . ./train.env
fi
DATA=${DATA:-data/BraTS2021}
CONFIG=${CONFIG:-configs/brats2021.yaml}
NAME=${NAME:-$(basename "${CONFIG%.*}")}
CACHE=${CACHE:-cache/$(basename "$DATA")}
RUNS_DIR=${RUNS_DIR:-runs}
VENV=${VENV:-.venv}
SLOTS=${NSLOTS:-1}
export OMP_NUM_THREADS=$SLOTS

if [ -f "$VENV/bin/activate" ]; then
  # shellcheck disable=SC1091
  . "$VENV/bin/activate"
else
  echo "smart-brains: warning: no environment at $VENV (set VENV=...); using $(command -v python3)" >&2
fi

# The GPUs the scheduler granted: CUDA_VISIBLE_DEVICES if set, else SGE_HGR_gpu ("0 1" -> "0,1").
if [ -z "${CUDA_VISIBLE_DEVICES:-}" ] && [ -n "${SGE_HGR_gpu:-}" ]; then
  export CUDA_VISIBLE_DEVICES=$(echo "$SGE_HGR_gpu" | tr ' ' ',')
fi
GPUS=$(python3 -c "import torch; print(torch.cuda.device_count() if torch.cuda.is_available() else 0)")
DEVICE=cuda
if [ "$GPUS" -eq 0 ]; then
  echo "smart-brains: warning: no GPU visible to PyTorch; training on the CPU" >&2
  DEVICE=cpu
fi

echo "== smart-brains job ${JOB_ID:-local} on $(hostname) at $(date -Is)"
echo "slots: $SLOTS, GPUs: $GPUS (CUDA_VISIBLE_DEVICES=${CUDA_VISIBLE_DEVICES:-unset}), device: $DEVICE"
python3 -c "import sys, torch, monai, smart_brains; print('python', sys.version.split()[0], '| torch', torch.__version__, '| monai', monai.__version__, '| smart-brains', smart_brains.__version__); print('gpu:', torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'none')"
echo "data: $DATA, config: $CONFIG, run: $RUNS_DIR/$NAME, cache: $CACHE"

smart-brains prepare "$DATA" --out "$CACHE" --workers "$SLOTS"

RESUME=()
if [ -f "$RUNS_DIR/$NAME/checkpoints/last.pt" ]; then
  echo "resuming $RUNS_DIR/$NAME from its last checkpoint"
  RESUME=(--resume last)
fi
# shellcheck disable=SC2086
ARGS=(train "$CACHE" --config "$CONFIG" --name "$NAME" --runs-dir "$RUNS_DIR" --device "$DEVICE" --workers "$SLOTS" "${RESUME[@]}" ${EXTRA:-})
if [ "$GPUS" -gt 1 ]; then
  exec torchrun --standalone --nproc_per_node="$GPUS" -m smart_brains "${ARGS[@]}"
fi
exec smart-brains "${ARGS[@]}"
