#!/usr/bin/env python3
"""Combine `datarater eval` reports of several seeds into one table per scale.

    python3 scripts/eval/seeds.py RUN_SEED0/eval/report.json RUN_SEED1/eval/report.json ...

For every scale and arm: the final validation loss of each seed, their mean and sample standard deviation, and
the compute saved to reach the unfiltered arm's final loss, per seed (as each report states it) and on the
seed-mean curves (losses averaged point by point; every seed of an arm has the same evaluation steps and FLOPs,
so the mean curve is well defined). The accounting is the report's own: tokens to reach the target by linear
interpolation of (tokens, loss), plus the arm's selection FLOPs pro rata (`ArmReport.selectionFlops(atTokens:)`).
Arms missing from some seed are shown for the seeds that have them; the mean columns need every seed.
Then, per scale, every arm's final loss minus the unfiltered arm's and minus the random arm's in the same seed
(paired differences, which share the seed's initialisation, data order and validation rows), per seed, mean ± sd,
median (one LM's loss spike moves a mean of a few seeds far), and in how many seeds the arm ends lower.
Last, when the reports hold budget runs (`eval --budgets`: the DataRater set on a share of the unfiltered FLOPs,
each LM to the end of its own schedule): their final losses per seed, paired with unfiltered's, and the
budget-matched compute saved per seed (as each report states it) and on the seed-mean final losses.
"""
import json
import statistics
import sys


def tokens_to_reach(target, curve):
    for i, (tokens, loss) in enumerate(curve):
        if loss <= target:
            if i == 0:
                return tokens
            (t0, l0), (t1, l1) = curve[i - 1], curve[i]
            u = 1.0 if l0 == l1 else (l0 - target) / (l0 - l1)
            return t0 + u * (t1 - t0)
    return None


def loss_at(x, curve):
    if x <= curve[0][0]:
        return curve[0][1]
    for (x0, l0), (x1, l1) in zip(curve, curve[1:]):
        if x <= x1:
            return l1 if x1 == x0 else l0 + (x - x0) / (x1 - x0) * (l1 - l0)
    return curve[-1][1]


def selection_flops(arm, tokens):
    return arm["selection_fixed_flops"] + arm["selection_scoring_flops"] * min(1.0, tokens / max(1, arm["available_tokens"]))


def budget_matched_saving(target, budget, runs):
    """`EvalReport.budgetMatchedSaving`: (saved, lower_bound) from final (flops, loss) pairs, or None."""
    runs = sorted(runs)
    flops = tokens_to_reach(target, runs)
    return None if flops is None else (1 - flops / budget, runs[0][1] <= target)


def pct(x):
    return "never" if x is None else f"{x * 100:+.1f}%"


def main(paths):
    reports = []
    for path in paths:
        try:
            with open(path) as f:
                reports.append(json.load(f))
        except (OSError, json.JSONDecodeError) as error:
            sys.exit(f"seeds.py: {path}: {error}; pass RUN/eval/report.json files written by `datarater eval`")
    seeds = [r["seed"] for r in reports]
    print(f"seeds {', '.join(map(str, seeds))} ({len(reports)} reports)\n")
    for name in dict.fromkeys(s["name"] for r in reports for s in r["scales"]):
        scales = [next((s for s in r["scales"] if s["name"] == name), None) for r in reports]
        per_token = next(s for s in scales if s)["training_flops_per_token"]
        arms = list(dict.fromkeys(a["arm"] for s in scales if s for a in s["arms"]))
        found = {arm: [next((a for a in s["arms"] if a["arm"] == arm), None) if s else None for s in scales] for arm in arms}
        complete = {arm: all(found[arm]) for arm in arms}
        mean_curve = {}
        for arm in arms:
            if complete[arm]:
                runs = found[arm]
                mean_curve[arm] = [(p["tokens"], p["total_flops"], statistics.fmean(r["curve"][i]["loss"] for r in runs))
                                   for i, p in enumerate(runs[0]["curve"])]
        unfiltered = mean_curve.get("unfiltered")
        print(f"## {name}\n")
        print("| arm | " + " | ".join(f"seed {s}" for s in seeds) + " | mean ± sd | saved per seed | saved, mean curves | loss at unfiltered's FLOPs, mean curves |")
        print("|---|" + "---:|" * len(seeds) + "---:|---|---:|---:|")
        for arm in arms:
            finals = [a["final_loss"] if a else None for a in found[arm]]
            cells = [f"{x:.4f}" if x is not None else "—" for x in finals]
            present = [x for x in finals if x is not None]
            spread = f"{statistics.fmean(present):.4f} ± {statistics.stdev(present):.4f}" if len(present) > 1 else "—"
            per_seed = "—" if arm == "unfiltered" else ", ".join(pct(a.get("compute_saved")) if a else "—" for a in found[arm])
            saved = equal = "—"
            if unfiltered and arm in mean_curve and arm != "unfiltered":
                target, budget = unfiltered[-1][2], unfiltered[-1][1]
                curve = mean_curve[arm]
                t = tokens_to_reach(target, [(p[0], p[2]) for p in curve])
                flops = None if t is None else per_token * t + selection_flops(found[arm][0], t)
                saved = pct(None if flops is None else 1 - flops / budget)
                equal = f"{loss_at(budget, [(p[1], p[2]) for p in curve]):.4f}"
            elif arm == "unfiltered" and unfiltered:
                equal = f"{unfiltered[-1][2]:.4f}"
            print(f"| {arm} | " + " | ".join(cells) + f" | {spread} | {per_seed} | {saved} | {equal} |")
        print()
        # Paired by seed: every arm of a seed shares its initialisation, data order and validation rows, so the
        # difference of two arms' final losses within a seed carries far less noise than either loss.
        for base in ("unfiltered", "random"):
            if base not in arms:
                continue
            print(f"| final loss − {base}'s, same seed | " + " | ".join(f"seed {s}" for s in seeds) + " | mean ± sd | median | below |")
            print("|---|" + "---:|" * len(seeds) + "---:|---:|---:|")
            for arm in arms:
                if arm == base:
                    continue
                diffs = [a["final_loss"] - b["final_loss"] if a and b else None for a, b in zip(found[arm], found[base])]
                present = [x for x in diffs if x is not None]
                spread = f"{statistics.fmean(present):+.4f} ± {statistics.stdev(present):.4f}" if len(present) > 1 else "—"
                median = f"{statistics.median(present):+.4f}" if present else "—"
                below = f"{sum(x < 0 for x in present)}/{len(present)}"
                print(f"| {arm} | " + " | ".join(f"{x:+.4f}" if x is not None else "—" for x in diffs)
                      + f" | {spread} | {median} | {below} |")
            print()
        budget_table(seeds, scales, found)


def budget_table(seeds, scales, found):
    """Budget runs (the DataRater set on a share of the unfiltered FLOPs) against the unfiltered final loss."""
    if not all(s and s.get("budget_runs") for s in scales) or not all(found.get("unfiltered", [None])) or not all(found.get("datarater", [None])):
        return
    fractions = sorted(set.intersection(*(set(b["fraction"] for b in s["budget_runs"]) for s in scales)))
    if not fractions:
        return
    runs = {f: [next(b for b in s["budget_runs"] if b["fraction"] == f)["run"] for s in scales] for f in fractions}
    unfiltered, datarater = found["unfiltered"], found["datarater"]
    print("| DataRater set, to the end of its schedule on | " + " | ".join(f"seed {s}" for s in seeds)
          + " | mean ± sd | − unfiltered's, mean ± sd | reaches it |")
    print("|---|" + "---:|" * len(seeds) + "---:|---:|---:|")
    rows = [(f"{f * 100:.0f}% of unfiltered's FLOPs", runs[f]) for f in fractions] + [("the full budget (datarater arm)", datarater)]
    for label, arms in rows:
        finals = [a["final_loss"] for a in arms]
        diffs = [a["final_loss"] - u["final_loss"] for a, u in zip(arms, unfiltered)]
        sd = lambda xs: statistics.stdev(xs) if len(xs) > 1 else 0.0
        print(f"| {label} | " + " | ".join(f"{x:.4f}" for x in finals) + f" | {statistics.fmean(finals):.4f} ± {sd(finals):.4f} | "
              + f"{statistics.fmean(diffs):+.4f} ± {sd(diffs):.4f} | {sum(d <= 0 for d in diffs)}/{len(diffs)} |")
    print()
    # Against the full run's curve at the same FLOPs: what reading the curve assumes a shorter run would reach.
    print("| budget | its final loss − the full datarater run's loss at the same FLOPs, per seed | mean ± sd |")
    print("|---|---|---:|")
    for f in fractions:
        gaps = [b["final_loss"] - loss_at(b["total_flops"], [(p["total_flops"], p["loss"]) for p in full["curve"]])
                for b, full in zip(runs[f], datarater)]
        sd = statistics.stdev(gaps) if len(gaps) > 1 else 0.0
        print(f"| {f * 100:.0f}% | " + ", ".join(f"{g:+.4f}" for g in gaps) + f" | {statistics.fmean(gaps):+.4f} ± {sd:.4f} |")
    print()
    per_seed = []
    for s in scales:
        saved = s.get("budget_matched_compute_saved")
        per_seed.append("never" if saved is None else ("≥ " if s.get("budget_matched_is_lower_bound") else "") + pct(saved))
    target = statistics.fmean(u["final_loss"] for u in unfiltered)
    budget = statistics.fmean(u["total_flops"] for u in unfiltered)
    mean_runs = [(statistics.fmean(a["total_flops"] for a in arms), statistics.fmean(a["final_loss"] for a in arms)) for _, arms in rows]
    matched = budget_matched_saving(target, budget, mean_runs)
    mean_text = "never" if matched is None else ("at least " if matched[1] else "") + pct(matched[0])
    print(f"Budget-matched compute saved per seed: {', '.join(per_seed)}; on the seed-mean final losses: **{mean_text}** "
          f"(unfiltered's mean final loss {target:.4f}).\n")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
