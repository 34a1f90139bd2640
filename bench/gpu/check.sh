#!/usr/bin/env bash
# GPU check (issue 16): on a machine with a real GPU, the engine's training speed on the WebGPU backend.
#   1. the adapter (and nvidia-smi's view of the card where there is one),
#   2. `ich bench train` for BenchCNN and BenchSeq (docs/bench-models.md),
#   3. one `rsna` SE-ResNeXt101 training step at 512 px, batch 8 (bench/gpu/rsna-step.ts),
# each printed as images/s (BenchSeq: studies of 60 slices/s), then one JSON line with every figure.
#
#   bench/gpu/check.sh [--size 512] [--batch 8] [--steps 2]
#
# ICH_BACKEND defaults to webgpu here (tfjs-node-gpu would come first in the chain where it loads; run with
# ICH_BACKEND=tensorflow to time that one). On a machine without a GPU, ICH_BACKEND=webgpu takes the software
# adapter (Mesa llvmpipe): `bench/gpu/check.sh --size 64 --batch 2 --steps 1` checks the script in a few minutes;
# its figures say nothing about GPUs.
set -euo pipefail
cd "$(dirname "$0")/../.."

SIZE=512
BATCH=8
STEPS=2
while [ $# -gt 0 ]; do
  case "$1" in
    --size) SIZE="$2"; shift 2 ;;
    --batch) BATCH="$2"; shift 2 ;;
    --steps) STEPS="$2"; shift 2 ;;
    *) echo "check.sh: unknown argument $1 (use --size N, --batch N, --steps N)" >&2; exit 2 ;;
  esac
done

NODE=node_modules/node/bin/node
[ -x "$NODE" ] || NODE=node
TSX=node_modules/.bin/tsx
export ICH_BACKEND="${ICH_BACKEND:-webgpu}"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT

echo "== backend: ICH_BACKEND=$ICH_BACKEND"
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | sed 's/^/== nvidia-smi: /' || true
fi

run_bench() { # model -> $OUT/<model>.json, stderr to $OUT/<model>.log
  "$NODE" bin/ich.js bench train --model "$1" --json --steps "$STEPS" --infer-iters "$STEPS" \
    >"$OUT/$1.json" 2>"$OUT/$1.log" || { echo "ich bench train --model $1 failed:" >&2; tail -5 "$OUT/$1.log" >&2; exit 1; }
}

run_bench bench-cnn
grep -m1 '^\[nn\] backend:' "$OUT/bench-cnn.log" | sed 's/^\[nn\] backend: /== adapter: /'
run_bench bench-seq
"$NODE" "$TSX" bench/gpu/rsna-step.ts --size "$SIZE" --batch "$BATCH" --steps "$STEPS" --json >"$OUT/rsna.json" 2>"$OUT/rsna.log" \
  || { echo "rsna step failed:" >&2; tail -5 "$OUT/rsna.log" >&2; exit 1; }

"$NODE" -e '
const fs = require("node:fs");
const [dir] = process.argv.slice(1);
const last = (f) => JSON.parse(fs.readFileSync(`${dir}/${f}`, "utf8").trim().split("\n").pop());
const cnn = last("bench-cnn.json"), seq = last("bench-seq.json"), rsna = last("rsna.json");
const r = (v) => Number(v.toFixed(2));
const out = {
  backend: rsna.backend, adapter: rsna.adapter,
  benchCnn: { trainImagesPerSec: r(16 * 1000 / cnn.trainStepMedianMs), trainStepMedianMs: r(cnn.trainStepMedianMs), inferImagesPerSec: r(cnn.inferPerSec) },
  benchSeq: { trainStudiesPerSec: r(32 * 1000 / seq.trainStepMedianMs), trainStepMedianMs: r(seq.trainStepMedianMs), inferStudiesPerSec: r(seq.inferPerSec) },
  rsna: { model: rsna.model, size: rsna.size, batch: rsna.batch, trainImagesPerSec: rsna.imagesPerSec, stepMedianMs: rsna.stepMedianMs, firstStepMs: rsna.warmupMs },
};
console.log(`BenchCNN  train ${out.benchCnn.trainImagesPerSec} images/s (batch 16, ${out.benchCnn.trainStepMedianMs} ms/step), inference ${out.benchCnn.inferImagesPerSec} images/s`);
console.log(`BenchSeq  train ${out.benchSeq.trainStudiesPerSec} studies/s (batch 32, ${out.benchSeq.trainStepMedianMs} ms/step), inference ${out.benchSeq.inferStudiesPerSec} studies/s`);
console.log(`rsna ${out.rsna.model} ${out.rsna.size} px batch ${out.rsna.batch}: train ${out.rsna.trainImagesPerSec} images/s (${out.rsna.stepMedianMs} ms/step; first step ${out.rsna.firstStepMs} ms)`);
console.log(JSON.stringify(out));
' "$OUT"
