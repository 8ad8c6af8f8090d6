#!/usr/bin/env python3
"""AUROC of a run's DataRater scores at telling clean documents from corrupted ones.

  auroc.py RUN [--label-key corruption]

Reads RUN/docs/*.jsonl.zst (metadata.corruption: "none" or a kind) and RUN/scores/*.jsonl.zst, and prints the
AUROC of "clean scores higher than corrupted" overall and per corruption kind (0.5 = chance, 1 = perfect).
"""
import glob
import io
import json
import os
import sys

import zstandard


def lines(path):
    with open(path, "rb") as f:
        yield from io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(f), encoding="utf-8")


def auroc(positive, negative):
    """P(score of a random positive > score of a random negative), ties counted half."""
    scored = sorted([(s, 1) for s in positive] + [(s, 0) for s in negative])
    rank_sum, i = 0.0, 0
    while i < len(scored):
        j = i
        while j < len(scored) and scored[j][0] == scored[i][0]:
            j += 1
        average_rank = (i + j + 1) / 2
        rank_sum += average_rank * sum(1 for k in range(i, j) if scored[k][1] == 1)
        i = j
    n_pos, n_neg = len(positive), len(negative)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def main():
    run = sys.argv[1]
    by_kind = {}
    for docs in sorted(glob.glob(os.path.join(run, "docs", "*.jsonl.zst"))):
        scores = os.path.join(run, "scores", os.path.basename(docs))
        for doc_line, score_line in zip(lines(docs), lines(scores)):
            doc, score = json.loads(doc_line), json.loads(score_line)
            assert doc["id"] == score["id"]
            kind = doc.get("metadata", {}).get("corruption", "none")
            by_kind.setdefault(kind, []).append(score["attributes"]["datarater__score"][0][2])
    clean = by_kind.get("none", [])
    corrupted = [s for k, v in by_kind.items() if k != "none" for s in v]
    result = {"overall": round(auroc(clean, corrupted), 4), "clean": len(clean), "corrupted": len(corrupted)}
    for kind, scores in sorted(by_kind.items()):
        if kind != "none":
            result[kind] = round(auroc(clean, scores), 4)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
