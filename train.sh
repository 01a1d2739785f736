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
#   FOLD     cross-validation: a fold number K (run runs/NAME/foldK) or "all" (every fold in
#            turn, runs/NAME/fold0..; resumable); default: the 80:20 split
#   FOLDS    number of folds prepared when FOLD is set; default 5
#   HOSTFILE node list, one "host slots queue processors" line each; default $PE_HOSTFILE
#   RDZV_PORT port of the multi-node rendezvous on the first node; default 20000 + JOB_ID % 20000
# The job prepares the data once (idempotent), then trains; when the scheduler re-runs the job
# (node failure, qmod -rj) it resumes from the run's last checkpoint. With several GPUs granted
# it starts one process per GPU with torchrun (DDP). Granted several nodes (a parallel environment
# with allocation_rule $fill_up or $round_robin and control_slaves TRUE, e.g. `-pe ddp 8`), it
# starts one torchrun agent per node of $PE_HOSTFILE (the others through `qrsh -inherit`), all
# meeting at a c10d rendezvous on the first node; the data and runs folders must be shared.
# Exit status: that of the failing step.
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
FOLD=${FOLD:-}
FOLDS=${FOLDS:-5}
FOLD_ARGS=()
PREPARE_FOLDS=()
if [ -n "$FOLD" ]; then
  FOLD_ARGS=(--fold "$FOLD")
  PREPARE_FOLDS=(--folds "$FOLDS")
  if [ "$FOLD" != all ]; then NAME="$NAME/fold$FOLD"; fi
fi
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

smart-brains prepare "$DATA" --out "$CACHE" --workers "$SLOTS" "${PREPARE_FOLDS[@]}"

RESUME=()
if [ "$FOLD" != all ] && [ -f "$RUNS_DIR/$NAME/checkpoints/last.pt" ]; then
  echo "resuming $RUNS_DIR/$NAME from its last checkpoint"
  RESUME=(--resume last)
fi
# shellcheck disable=SC2086
ARGS=(train "$CACHE" --config "$CONFIG" --name "$NAME" --runs-dir "$RUNS_DIR" --device "$DEVICE" --workers "$SLOTS" "${RESUME[@]}" "${FOLD_ARGS[@]}" ${EXTRA:-})

HOSTFILE=${HOSTFILE:-${PE_HOSTFILE:-}}
HOSTS=()
if [ -n "$HOSTFILE" ] && [ -f "$HOSTFILE" ]; then
  mapfile -t HOSTS < <(awk 'NF {print $1}' "$HOSTFILE")
fi
if [ "${#HOSTS[@]}" -gt 1 ]; then
  # one agent per node; every node runs as many processes as this one has GPUs (1 on CPUs)
  NPROC=$(( GPUS > 0 ? GPUS : 1 ))
  ENDPOINT="${HOSTS[0]}:${RDZV_PORT:-$((20000 + ${JOB_ID:-0} % 20000))}"
  echo "multi-node: ${#HOSTS[@]} nodes (${HOSTS[*]}), $NPROC process(es) each, rendezvous $ENDPOINT"
  AGENT=(torchrun --nnodes="${#HOSTS[@]}" --nproc_per_node="$NPROC" --rdzv-backend=c10d
         --rdzv-endpoint="$ENDPOINT" --rdzv-id="smart-brains-${JOB_ID:-local}" -m smart_brains "${ARGS[@]}")
  REMOTE="cd $(printf %q "$PWD") && export OMP_NUM_THREADS=$SLOTS PATH=$(printf %q "$PATH") && exec $(printf '%q ' "${AGENT[@]}")"
  PIDS=()
  for host in "${HOSTS[@]:1}"; do
    qrsh -inherit -nostdin "$host" bash -c "$(printf %q "$REMOTE")" &
    PIDS+=($!)
  done
  STATUS=0
  "${AGENT[@]}" || STATUS=$?
  for pid in "${PIDS[@]}"; do
    wait "$pid" || STATUS=$(( STATUS ? STATUS : $? ))
  done
  exit "$STATUS"
fi
if [ "$GPUS" -gt 1 ]; then
  exec torchrun --standalone --nproc_per_node="$GPUS" -m smart_brains "${ARGS[@]}"
fi
exec smart-brains "${ARGS[@]}"
