#!/usr/bin/env bash
# The training cohorts of issue 25's ablation and of the packaged model glioma-v2, at 2 mm, from
# nothing but generated data: every real-brain case is made from the seven labelled source
# brains in ../shared (six of real-source/ and real-case/TCGA-FG-6692; never a validation case).
#
#     bash configs/glioma-v2-cohorts.sh [WORK] [RECIPE...]   # WORK defaults to ./pretrain-v2
#     SPACING=1.5 bash configs/glioma-v2-cohorts.sh WORK both  # the same recipe at 1.5 mm
#
# A recipe is a dataset of 200 cases, 120 from the real brains (seeds 0 and 2) and 80 of the
# template cohort (seeds 1 and 3), prepared into WORK/cache-RECIPE (WORK/cache-RECIPE-1.5mm and
# folders RECIPE-1.5mm at SPACING=1.5; default 2 mm):
#   baseline    the sources' own tumours, transplanted; template gliomas drawn as shapes;
#               tumours look as they are / as the contrast table says
#   growth      grown gliomas (70 % of the real-brain cases, every template glioma)
#   appearance  a look per sub-region and modality (real tumours repainted)
#   both        grown gliomas with a look per sub-region
# Each cohort is written once and then reused; a killed run resumes where it stopped.
set -euo pipefail
WORK=${1:-pretrain-v2}
shift || true
RECIPES=("${@:-baseline growth appearance both}")
SHARED=${SHARED:-../shared/data}
SPACING=${SPACING:-2}
SOURCES=()
for case in "$SHARED"/real-source/*/ "$SHARED/real-case/TCGA-FG-6692"; do
    SOURCES+=(--real-source "${case%/}")
done
mkdir -p "$WORK"

options() {  # recipe -> "real tumours, template tumours, appearance"
    case $1 in
        baseline) echo "transplant shapes fixed" ;;
        growth) echo "growth growth fixed" ;;
        appearance) echo "transplant shapes random" ;;
        both) echo "growth growth random" ;;
        *) echo "unknown recipe $1" >&2; exit 2 ;;
    esac
}

for name in ${RECIPES[@]}; do
    read -r real template look < <(options "$name")
    recipe=$name
    [ "$SPACING" = 2 ] || recipe="$name-${SPACING}mm"
    for seed in 0 2; do
        [ -f "$WORK/$recipe/real-$seed/cohort.json" ] || smart-brains synth \
            --out "$WORK/$recipe/real-$seed" --n 60 --seed $seed --spacing "$SPACING" --workers 2 \
            --tumours "$real" --appearance "$look" "${SOURCES[@]}"
    done
    for seed in 1 3; do
        [ -f "$WORK/$recipe/template-$seed/labels.csv" ] || smart-brains synth \
            --out "$WORK/$recipe/template-$seed" --n 40 --seed $seed --spacing "$SPACING" --workers 2 \
            --tumours "$template" --appearance "$look"
    done
    # one dataset of 200 cases, each cohort renumbered from its own thousand
    if [ ! -d "$WORK/$recipe/mixed" ]; then
        rm -rf "$WORK/$recipe/mixed.tmp" && mkdir -p "$WORK/$recipe/mixed.tmp"
        for part in real-0:0 template-1:1000 real-2:2000 template-3:3000; do
            folder=${part%%:*}; first=${part##*:}
            for case in "$WORK/$recipe/$folder"/BraTS2021_*; do
                old=$(basename "$case")
                new=$(printf "BraTS2021_%05d" $((10#${old#BraTS2021_} + first)))
                mkdir "$WORK/$recipe/mixed.tmp/$new"
                for f in "$case"/*.nii.gz; do
                    ln "$f" "$WORK/$recipe/mixed.tmp/$new/${new}${f##*/$old}"
                done
            done
        done
        mv "$WORK/$recipe/mixed.tmp" "$WORK/$recipe/mixed"
    fi
    [ -d "$WORK/cache-$recipe" ] || smart-brains prepare "$WORK/$recipe/mixed" \
        --out "$WORK/cache-$recipe" --spacing "$SPACING" --workers 2
done
