#!/usr/bin/env bash
# Rebuild the packaged model glioma-2mm from nothing but generated data (on a 2-core CPU: about
# 8 min of synthesis and 40 min of training), then score and package it:
#
#     bash configs/pretrained.sh [WORK]          # WORK defaults to ./pretrain
#
# Needs the two real source brains in ../shared (the validation cases are never sources).
# Seeds: transplant cohorts 0 and 2, template cohorts 1 and 3, training 0. The run lands in
# WORK/runs/glioma-2mm; its log is WORK/train.log. Kill it and run this again to resume.
set -euo pipefail
WORK=${1:-pretrain}
SHARED=${SHARED:-../shared/data}
mkdir -p "$WORK"

for seed in 0 2; do  # 60 cases each from two real brains: moved, re-contrasted, transplanted
    [ -d "$WORK/transplant-$seed" ] || smart-brains synth --out "$WORK/transplant-$seed" \
        --n 60 --seed $seed --spacing 2 --workers 2 \
        --real-source "$SHARED/real-case/TCGA-FG-6692" \
        --real-source "$SHARED/real-source/TCGA-DU-7294"
done
for seed in 1 3; do  # 40 cases each of the template cohort: MNI anatomy, many scanner sites
    [ -d "$WORK/template-$seed" ] || smart-brains synth --out "$WORK/template-$seed" --n 40 \
        --seed $seed --spacing 2 --workers 2
done

# One dataset of 200 cases, each cohort renumbered from its own thousand
if [ ! -d "$WORK/mixed" ]; then
    mkdir -p "$WORK/mixed.tmp"
    for part in transplant-0:0 template-1:1000 transplant-2:2000 template-3:3000; do
        folder=${part%%:*}; first=${part##*:}
        for case in "$WORK/$folder"/BraTS2021_*; do
            old=$(basename "$case")
            new=$(printf "BraTS2021_%05d" $((10#${old#BraTS2021_} + first)))
            mkdir "$WORK/mixed.tmp/$new"
            for f in "$case"/*.nii.gz; do
                cp "$f" "$WORK/mixed.tmp/$new/${new}${f##*/$old}"
            done
        done
    done
    mv "$WORK/mixed.tmp" "$WORK/mixed"
fi
[ -d "$WORK/cache" ] || smart-brains prepare "$WORK/mixed" --out "$WORK/cache" --spacing 2 \
    --workers 2

resume=()
[ -f "$WORK/runs/glioma-2mm/checkpoints/last.pt" ] && resume=(--resume last)
smart-brains train "$WORK/cache" --config configs/pretrained.yaml --name glioma-2mm \
    --runs-dir "$WORK/runs" "${resume[@]}" 2>&1 | tee -a "$WORK/train.log"

# Score it on the real validation cases and a held-out generated cohort, and package it
python benchmarks/pretrained.py --model "$WORK/runs/glioma-2mm" --work "$WORK/scores" \
    --package glioma-2mm
