#!/usr/bin/env bash
# Build the sample corpus twice into fresh folders and compare every file's sha256 with each
# other and with the committed shards/sample; then run the checker on the committed copy.
# Usage (from the repository root, as root: the builder may apt-get install its packages):
#   bash scripts/sample/verify_deterministic.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for run in a b; do
  nice -n 10 python3 "$here/build_sample_corpus.py" --out "$tmp/$run" 2>"$tmp/$run.log"
  (cd "$tmp/$run" && find . -type f | sort | xargs sha256sum) >"$tmp/$run.sha256"
done
(cd "$repo/shards/sample" && find . -type f | sort | xargs sha256sum) >"$tmp/committed.sha256"
status=0
if cmp -s "$tmp/a.sha256" "$tmp/b.sha256"; then
  echo "two runs: byte-identical ($(wc -l <"$tmp/a.sha256") files)"
else
  echo "two runs differ:"; diff "$tmp/a.sha256" "$tmp/b.sha256" || true; status=1
fi
if cmp -s "$tmp/a.sha256" "$tmp/committed.sha256"; then
  echo "fresh build: identical to the committed shards/sample"
else
  echo "fresh build differs from the committed shards/sample (other package or library versions?):"
  diff "$tmp/committed.sha256" "$tmp/a.sha256" || true
fi
python3 "$here/check_sample_corpus.py" "$repo/shards/sample" || status=1
exit $status
