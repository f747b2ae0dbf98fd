#!/usr/bin/env bash
# Re-measures every number in README's "Modes" and "Calibration and cascades" tables (about 45 minutes on a 2-core
# machine); `run-results.sh modes` only the modes tables (the eval rows). Outputs land in benchmarks/results/.
# Needs ../shared beside the checkout for the held-out texts.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=benchmarks/results
kjv_text=../shared/data/kjv-fortunes-calibration.txt
tiny_text=../shared/data/tinystories-val-calibration.txt
stories=models/stories260K/stories260K.bin
run() { local name=$1; shift; echo "== $name: ./offramp eval $*"; ./offramp eval "$@" --json > "$out/$name.json"; }

run kjv-self-speculative --model models/kjv-ee-12l --text $kjv_text --mode self-speculative
run kjv-self-speculative-e3d3 --model models/kjv-ee-12l --text $kjv_text --mode self-speculative --exit-layer 3 --draft 3
run kjv-early-exit-fast --model models/kjv-ee-12l --text $kjv_text --policy 'margin:threshold=0.05,min_layer=3,every=3' --prune 32
run kjv-early-exit-95 --model models/kjv-ee-12l --text $kjv_text --policy 'margin:threshold=0.07,min_layer=3,every=3' --prune 32
run kjv-early-exit-propagate --model models/kjv-ee-12l --text $kjv_text --policy 'margin:threshold=0.05,min_layer=3,every=3' --kv propagate --prune 32
run kjv-skip --model models/kjv-ee-12l --text $kjv_text --mode skip --speedup 1.5
run kjv-static-8 --model models/kjv-ee-12l --text $kjv_text --mode static --exit-layer 8
run stories-self-speculative --model $stories --text $tiny_text --mode self-speculative
run stories-self-speculative-e3d3 --model $stories --text $tiny_text --mode self-speculative --exit-layer 3 --draft 3
run stories-early-exit --model $stories --text $tiny_text --policy 'margin:threshold=0.05,min_layer=2,every=1' --prune 32
run stories-skip --model $stories --text $tiny_text --mode skip --speedup 1.5
if [[ "${1:-}" == modes ]]; then exit 0; fi
echo "== sweep"
./offramp sweep --model models/kjv-ee-12l --text $kjv_text --policy 'margin:threshold={t},min_layer=3,every=3' \
  --prune 32 --values 0.02,0.04,0.05,0.07,0.1,0.15,0.25 --prompts 30 --out $out/kjv-margin-sweep
echo "== calibrate (issue 5): confidence, epsilon 0.05, delta 0.1, on the first half; tested on the second half"
./offramp calibrate --policy 'confidence:threshold={t},min_layer=3,every=3' --prune 32 --epsilon 0.05 --delta 0.1 \
  --out $out/kjv-confidence-profile.json
run kjv-confidence-profile-heldout --profile $out/kjv-confidence-profile.json --half second --teacher-tokens 0
echo "== calibrate margin the same way"
./offramp calibrate --policy 'margin:threshold={t},min_layer=3,every=3' --prune 32 --epsilon 0.05 --delta 0.1 \
  --out $out/kjv-margin-profile.json
echo "== the learned gate (issue 12): trained and calibrated on the first half; the embedded model's default"
./offramp train-gate --tokens 20000 --out models/kjv-ee-12l/offramp-gate.txt
rm -f models/kjv-ee-12l/offramp-profile.json
./offramp calibrate --policy 'learned:gate=models/kjv-ee-12l/offramp-gate.txt,threshold={t}' --kv propagate \
  --values 0.995,0.99,0.98,0.97,0.96,0.95,0.93,0.9 --prune 32 --epsilon 0.03 --delta 0.1 \
  --out models/kjv-ee-12l/offramp-profile.json
run kjv-early-exit-default-heldout --mode early-exit --half second --teacher-tokens 0
./offramp sweep --half second --prune 32 --prompts 30 \
  --policy 'margin:threshold={t},min_layer=3,every=3' --values 0.05,0.07,0.1,0.15,0.25 \
  --policy 'learned:gate=models/kjv-ee-12l/offramp-gate.txt,threshold={t}' --values 0.6,0.7,0.8,0.9,0.95 \
  --out $out/kjv-gate-vs-margin-sweep
echo "== cascades: first k layers -> the whole model, 4-token answers"
./offramp cascade --small-layers 4 --new-tokens 4 --prompts 800 --out $out/cascade-kjv | tee $out/cascade-kjv.md
./offramp cascade --model $stories --text $tiny_text --small-layers 3 --new-tokens 4 --prompts 800 \
  --out $out/cascade-stories | tee $out/cascade-stories.md
