#!/usr/bin/env python3
"""Compare DataRaters (or ensembles) by the LMs their kept sets train, paired by evaluation seed.

    python3 scripts/eval/raters.py NAME='GLOB' [NAME='GLOB' ...] [--members ENS=A,B,C] [--kept NAME=RUN ...]

Each GLOB (several separated by commas) matches `datarater eval` reports (RUN/eval/report.json) of one DataRater, one report per seed, each with
the `datarater` and `unfiltered` arms. The unfiltered arm does not depend on the DataRater, so its final loss is
the same in every variant's report of a seed (checked). Per scale: every variant's final loss minus unfiltered's
in the same seed (mean ± sample sd, standard error, seeds where the DataRater set ends lower), then every variant
minus the first one on the seeds both have. `--members ENS=A,B,C` adds the variant ENS (an ensemble) minus the mean
of the variants A, B, C (its members) on the seeds all of them have. `--kept NAME=RUN` adds how much the variants agree: their kept sets'
overlap (ids in RUN/kept/docs; Jaccard index against the first `--kept` run, beside what two independent random
selections of the same fraction would share) and the Spearman rank correlation of their scores (RUN/scores), over
the corpus and within each source (RUN/docs), pair by pair. Shards are read with the `zstd` CLI.
"""
import glob
import json
import statistics
import subprocess
import sys


def final_losses(pattern):
    """{scale: {seed: (datarater, unfiltered)}} from the reports matching pattern."""
    out = {}
    paths = sorted(p for part in pattern.split(",") for p in glob.glob(part))
    if not paths:
        sys.exit(f"no report matches {pattern}")
    for path in paths:
        report = json.load(open(path))
        for scale in report["scales"]:
            arms = {a["arm"]: a["final_loss"] for a in scale["arms"]}
            if "datarater" in arms and "unfiltered" in arms:
                out.setdefault(scale["name"], {})[report["seed"]] = (arms["datarater"], arms["unfiltered"])
    return out


def describe(values):
    n = len(values)
    mean = statistics.mean(values)
    sd = statistics.stdev(values) if n > 1 else 0.0
    return f"{mean:+.4f} ± {sd:.4f} (SE {sd / n ** 0.5:.4f}), lower in {sum(v < 0 for v in values)}/{n}"


def lines(pattern):
    for path in sorted(glob.glob(pattern)):
        text = subprocess.run(["zstd", "-dc", path], check=True, capture_output=True).stdout.decode()
        yield from (json.loads(line) for line in text.splitlines() if line)


def kept_ids(run):
    return {d["id"] for d in lines(f"{run}/kept/docs/*.jsonl.zst")}


def scores(run):
    """{id: score} from the run's score shards (Dolma attribute lines)."""
    return {d["id"]: next(iter(d["attributes"].values()))[0][2] for d in lines(f"{run}/scores/*.jsonl.zst")}


def spearman(a, b):
    def ranks(v):
        r = [0.0] * len(v)
        for k, i in enumerate(sorted(range(len(v)), key=lambda i: v[i])):
            r[i] = k
        return r
    x, y = ranks(a), ranks(b)
    n, mx, my = len(x), statistics.mean(x), statistics.mean(y)
    cov = sum((p - mx) * (q - my) for p, q in zip(x, y))
    return cov / (sum((p - mx) ** 2 for p in x) * sum((q - my) ** 2 for q in y)) ** 0.5 if n > 1 else float("nan")


def main(argv):
    variants, kept, members = [], [], []
    target = variants
    for arg in argv:
        if arg in ("--kept", "--members"):
            target = kept if arg == "--kept" else members
            continue
        name, _, value = arg.partition("=")
        target.append((name, value))
    data = [(name, final_losses(pattern)) for name, pattern in variants]
    scales = sorted({s for _, d in data for s in d}, key=lambda s: ["small", "base"].index(s) if s in ("small", "base") else 9)
    for scale in scales:
        print(f"\n## {scale}: final loss of the DataRater set minus unfiltered, paired by seed\n")
        unfiltered = {}
        for name, d in data:
            for seed, (_, u) in d.get(scale, {}).items():
                if seed in unfiltered and abs(unfiltered[seed] - u) > 1e-9:
                    sys.exit(f"{name}: the unfiltered arm of seed {seed} differs between reports ({u} vs {unfiltered[seed]})")
                unfiltered[seed] = u
        seeds = sorted(unfiltered)
        print("| variant | " + " | ".join(f"seed {s}" for s in seeds) + " | mean ± sd |")
        print("|---|" + "---|" * (len(seeds) + 1))
        for name, d in data:
            runs = d.get(scale, {})
            diffs = [runs[s][0] - runs[s][1] for s in seeds if s in runs]
            cells = [f"{runs[s][0] - runs[s][1]:+.4f}" if s in runs else "" for s in seeds]
            print(f"| {name} | " + " | ".join(cells) + f" | {describe(diffs) if diffs else ''} |")
        first_name, first = data[0][0], data[0][1].get(scale, {})
        for name, d in data[1:]:
            runs = d.get(scale, {})
            common = [s for s in seeds if s in runs and s in first]
            if common:
                print(f"\n{name} − {first_name} ({len(common)} seeds): {describe([runs[s][0] - first[s][0] for s in common])}")
        named = {name: d.get(scale, {}) for name, d in data}
        for ensemble, parts in members:
            group = [named[m] for m in parts.split(",")]
            common = [s for s in seeds if s in named[ensemble] and all(s in g for g in group)]
            if common:
                diffs = [named[ensemble][s][0] - statistics.mean(g[s][0] for g in group) for s in common]
                print(f"\n{ensemble} − mean of {parts} ({len(common)} seeds): {describe(diffs)}")
    if kept:
        sets = [(name, kept_ids(run)) for name, run in kept]
        base_name, base = sets[0]
        documents = len(scores(kept[0][1]))
        f = len(base) / max(1, documents)
        print(f"\n## kept sets and scores\n")
        print(f"Two independent random selections of {f:.1%} of the documents share a Jaccard index of {f * f / (2 * f - f * f):.3f}.\n")
        for name, ids in sets:
            overlap = len(ids & base) / max(1, len(ids | base))
            print(f"- {name}: {len(ids)} documents kept, Jaccard index with {base_name} {overlap:.3f}")
        source = {d["id"]: d.get("source", "") for d in lines(f"{kept[0][1]}/docs/*.jsonl.zst")}
        rated = [(name, scores(run)) for name, run in kept]
        print()
        for i, (a_name, a) in enumerate(rated):
            for b_name, b in rated[i + 1:]:
                ids = sorted(set(a) & set(b))
                within = []
                for s in sorted({source[k] for k in ids}):
                    members = [k for k in ids if source[k] == s]
                    if len(members) >= 20:
                        within.append(spearman([a[k] for k in members], [b[k] for k in members]))
                print(f"- {a_name} vs {b_name}: Spearman {spearman([a[k] for k in ids], [b[k] for k in ids]):.3f} over "
                      f"{len(ids)} documents; within sources (20+ documents) mean {statistics.mean(within):.3f}, "
                      f"from {min(within):.3f} to {max(within):.3f}")


if __name__ == "__main__":
    main(sys.argv[1:])
