#!/usr/bin/env bash
# Curates the bundled sample corpus end to end with the release binary:
#   shard → train-tokenizer → tokenize → train → score → threshold → write → audit
# Every stage skips work that is already done, so rerunning after an interruption resumes.
# Usage: scripts/curate-sample.sh [RUN_DIR] [META_STEPS]
set -euo pipefail
cd "$(dirname "$0")/.."
run=${1:-runs/sample}
steps=${2:-60}
bin=.build/release/datarater
[ -x "$bin" ] || swift build -c release
"$bin" shard shards/sample --out "$run" --shard-size 2MB
"$bin" train-tokenizer "$run" --vocab-size 2048
"$bin" tokenize "$run" --workers 2
"$bin" train "$run" --steps "$steps"
"$bin" score "$run" --workers 2
"$bin" threshold "$run" --discard 0.5
"$bin" write "$run"
"$bin" audit "$run" --html "$run/audit.html" | head -40
echo
"$bin" status "$run"
echo "audit page: $run/audit.html"
