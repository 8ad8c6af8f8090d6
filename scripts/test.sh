#!/usr/bin/env bash
# The README's test command (and CI's): installs what the tests need, runs the Swift test suite, then the
# Slurm integration test (a one-node Slurm cluster on localhost running the sample pipeline; it prints
# "skipped: …" only where the Slurm daemons cannot start).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift test
swift build
scripts/slurm/test-pipeline.sh
