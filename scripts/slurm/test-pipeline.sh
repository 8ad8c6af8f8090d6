#!/usr/bin/env bash
# The Slurm executor for real: starts a one-node Slurm cluster on localhost (local-cluster.sh installs
# slurm-wlm and munge from Debian if needed), runs the sample pipeline through it and through the local
# executor, and checks that every output has the same sha256. One score task is killed on its first attempt
# (DATARATER_FAULT_ONCE), so the run also exercises the resubmission of a failed array task.
#
# Prints "skipped: <why>" and exits 0 only when the Slurm daemons cannot start here; otherwise ends with
# "slurm: N passed, N failed" and exits non-zero on any failure.
#
# Usage: scripts/slurm/test-pipeline.sh [DATARATER_BINARY]   (default: the debug build; META_STEPS=20)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
cluster=scripts/slurm/local-cluster.sh
bin=${1:-$(swift build --show-bin-path)/datarater}
steps=${META_STEPS:-20}
[ -x "$bin" ] || { echo "test-pipeline: no datarater binary at $bin; run swift build first" >&2; exit 1; }

was_running=0
"$cluster" status >/dev/null 2>&1 && was_running=1
rc=0
out=$("$cluster" start 2>&1) || rc=$?
if [ "$rc" -eq 77 ]; then
  echo "skipped: the Slurm daemons cannot start here: $(grep UNSUPPORTED <<<"$out" | sed 's/.*UNSUPPORTED: //')"
  exit 0
elif [ "$rc" -ne 0 ]; then
  echo "$out" >&2
  exit "$rc"
fi
((was_running)) || trap '"$cluster" stop >/dev/null 2>&1 || true' EXIT
eval "$("$cluster" env)"

work=$(mktemp -d /tmp/datarater-slurm-test.XXXXXX)
# The sample pipeline with fewer meta-steps (the stages and their fan-out are the same).
sed -e "s/^  steps: 60 /  steps: $steps /" -e 's/^  poll_seconds: .*/  poll_seconds: 1/' pipelines/sample.yaml > "$work/sample.yaml"
grep -q "^  steps: $steps " "$work/sample.yaml" || { echo "test-pipeline: could not set the meta-steps in pipelines/sample.yaml" >&2; exit 1; }

passed=0 failed=0
check() {  # check DESCRIPTION COMMAND...
  if "${@:2}"; then passed=$((passed + 1)); echo "ok: $1"; else failed=$((failed + 1)); echo "FAIL: $1"; fi
}

echo "test-pipeline: local executor → $work/local" >&2
check "local executor runs the sample pipeline" \
  env DATARATER_QUIET=1 "$bin" run "$work/sample.yaml" --out "$work/local" >"$work/local.out"

echo "test-pipeline: slurm executor → $work/slurm (score task 1 killed once)" >&2
check "slurm executor runs the sample pipeline" \
  env DATARATER_FAULT=score:before-done:1 DATARATER_FAULT_ONCE="$work/fault-fired" \
  "$bin" run "$work/sample.yaml" --out "$work/slurm" --executor slurm >"$work/slurm.out" 2>"$work/slurm.err"

outputs() {  # sha256 of every output file, by path relative to the run
  (cd "$1" && find docs tokens tokenizer model scores kept discarded rejected threshold.json _done -type f 2>/dev/null \
    | LC_ALL=C sort | xargs sha256sum)
}
same_outputs() { diff <(outputs "$work/local") <(outputs "$work/slurm") >"$work/outputs.diff"; }
check "slurm outputs equal the local executor's (sha256 of $(outputs "$work/local" | wc -l) files)" same_outputs
check "the killed score task was resubmitted" test -e "$work/fault-fired"
check "the retry is in the log" grep -q "score task 1 of job .* (attempt 1 of 3)" "$work/slurm.err"
check "per-task logs under RUN/logs" compgen -G "$work/slurm/logs/score-*_1.err" >/dev/null
manifest_says() { python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["pipeline"]; sys.exit(0 if p["executor"]=="slurm" and p["status"]=="complete" and len(p["jobs"]["score"])==4 else 1)' "$work/slurm/manifest.json"; }
check "the manifest records the Slurm jobs" manifest_says
check "status shows the finished pipeline" grep -q "pipeline: sample .*slurm executor) complete" <("$bin" status "$work/slurm")
check "the audit summary and page are printed" grep -q "audit page: $work/slurm/audit.html" "$work/slurm.out"

if [ "$failed" -gt 0 ]; then
  echo "test-pipeline: outputs and logs kept in $work" >&2
  [ -s "$work/outputs.diff" ] && head -20 "$work/outputs.diff" >&2
  tail -30 "$work/slurm.err" >&2 || true
else
  rm -rf "$work"
fi
cd "$root"
echo "slurm: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
