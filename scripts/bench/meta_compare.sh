#!/usr/bin/env bash
# Meta-step benchmark (issue 5, point 7): `datarater bench meta` against the JAX reference
# (scripts/bench/meta_reference.py), each T in its own process, ours and JAX back to back per T so both
# see the same load, both pinned to the same core (JAX does not stay on one thread otherwise).
#
#   swift build -c release && scripts/bench/meta_compare.sh [--steps 5] [--warmup 2] [--t "1 2 3"] [--core 0]
#       [--inner-optimizer momentum] [--out /tmp/metabench-results.jsonl]
#
# Prints the load average before each pair, one JSON line per run, then a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/../.."

steps=5 warmup=2 ts="1 2 3" core=0 optimizer=momentum out=/tmp/metabench-results.jsonl
while [ $# -gt 0 ]; do
    case "$1" in
        --steps) steps=$2; shift 2 ;;
        --warmup) warmup=$2; shift 2 ;;
        --t) ts=$2; shift 2 ;;
        --core) core=$2; shift 2 ;;
        --inner-optimizer) optimizer=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
bin=${DATARATER_BIN:-.build/release/datarater}
[ -x "$bin" ] || { echo "$bin not found: run swift build -c release first" >&2; exit 1; }
python3 -c "import jax" 2>/dev/null || { echo "jax is missing: pip install jax" >&2; exit 1; }

: > "$out"
echo "# $(date -u +%FT%TZ) $(uname -m) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
for t in $ts; do
    echo "# T=$t load before: $(cut -d' ' -f1-3 /proc/loadavg)"
    taskset -c "$core" "$bin" bench meta --t "$t" --steps "$steps" --warmup "$warmup" --inner-optimizer "$optimizer" --json | tee -a "$out"
    taskset -c "$core" python3 scripts/bench/meta_reference.py --t "$t" --steps "$steps" --warmup "$warmup" --inner-optimizer "$optimizer" | tee -a "$out"
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$out" <<'EOF'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
by = {(r["framework"], r["t"]): r for r in rows}
ts = sorted({r["t"] for r in rows})
mb = lambda kib: kib * 1024 / 1e6
print()
print("| T | ours s/step | JAX s/step | JAX ÷ ours | ours CPU s/step | JAX CPU s/step | JAX ÷ ours (CPU) "
      "| ours peak RSS | JAX peak RSS | ours timed peak (Δ vs T−1) | JAX timed peak (Δ vs T−1) |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
prev = {}
for t in ts:
    s, j = by.get(("swift", t)), by.get(("jax", t))
    if not s or not j:
        continue
    def delta(name, r):
        value = r["timed_peak_rss_kib"] or r["peak_rss_kib"]
        d = f" ({mb(value - prev[name]):+.0f})" if name in prev else ""
        prev[name] = value
        return f"{mb(value):.0f} MB{d}"
    print(f"| {t} | {s['s_per_step']:.3f} | {j['s_per_step']:.3f} | {j['s_per_step'] / s['s_per_step']:.2f}× "
          f"| {s['cpu_s_per_step']:.3f} | {j['cpu_s_per_step']:.3f} | {j['cpu_s_per_step'] / s['cpu_s_per_step']:.2f}× "
          f"| {mb(s['peak_rss_kib']):.0f} MB | {mb(j['peak_rss_kib']):.0f} MB | {delta('swift', s)} | {delta('jax', j)} |")
print()
for t in ts:
    s, j = by.get(("swift", t)), by.get(("jax", t))
    if s and j:
        print(f"T={t}: outer loss ours {s['outer_loss']:.4f} / JAX {j['outer_loss']:.4f}; ‖∂L/∂η‖ ours {s['meta_gradient_norm']:.3g} / "
              f"JAX {j['meta_gradient_norm']:.3g}; JAX cpu_share {j['cpu_share']} on cores {j['affinity']} with {j['threads']} threads; "
              f"ours stores {s['stored_bytes_per_inner_step'] / 1e6:.1f} MB per inner step by design")
EOF
