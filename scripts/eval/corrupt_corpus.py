#!/usr/bin/env python3
"""Inject corruptions into a real Dolma corpus, for measuring a DataRater's AUROC on it.

  corrupt_corpus.py IN_DIR_OR_FILE... OUT.jsonl [--corrupt 0.25] [--seed 0]
                    [--holdout 0.1 --holdout-out CLEAN.jsonl]

Reads Dolma JSON Lines (.jsonl, .jsonl.zst; directories are searched for them, in byte order of their paths) and
writes OUT.jsonl with the same documents (id, source, text, added, metadata kept), a deterministic share of them
(by --seed) corrupted with the transformations of corrupted_corpus.py (shared code, not a copy): random characters
(half of the non-newline characters replaced), shuffled words (within each line), mojibake (UTF-8 read as Latin-1,
then e -> Ã©, a -> Ã¤), repeated lines. For repeated lines on real, long documents the synthetic rule (first line
8-16 times) would shorten most documents to a few hundred characters, so here one randomly chosen non-empty line of
the document (cut to at most 200 characters at a space, since many documents are single long paragraphs) is repeated
until the result is as long as the original text. Kinds rotate in the order above over the corrupted documents.

metadata.corruption is "none" or the kind; the DataRater never sees it (it reads token ids only); auroc.py does.

--holdout F sends a deterministic fraction F of the documents (by sha256 of the id, independent of --seed),
uncorrupted, to --holdout-out instead of OUT: a clean target corpus (`datarater train --target`) that shares no
document with the corrupted corpus.
"""
import argparse
import hashlib
import io
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from corrupted_corpus import corrupt  # noqa: E402

KINDS = ["random_chars", "shuffled_words", "mojibake", "repeated_lines"]


def input_files(paths):
    found = []
    for path in paths:
        if os.path.isdir(path):
            for root, _, names in os.walk(path):
                found += [os.path.join(root, n) for n in names if n.endswith((".jsonl", ".jsonl.zst"))]
        else:
            found.append(path)
    return sorted(found, key=lambda p: p.encode())


def records(path):
    if path.endswith(".zst"):
        import zstandard
        with open(path, "rb") as f:
            yield from io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(f), encoding="utf-8")
    else:
        with open(path, encoding="utf-8") as f:
            yield from f


def held_out(doc_id, fraction):
    return int.from_bytes(hashlib.sha256(doc_id.encode()).digest()[:8], "big") < fraction * 2**64


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("inputs", nargs="+")
    parser.add_argument("out")
    parser.add_argument("--corrupt", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--holdout", type=float, default=0.0)
    parser.add_argument("--holdout-out")
    args = parser.parse_args()
    if args.holdout > 0 and not args.holdout_out:
        parser.error("--holdout needs --holdout-out")
    rng = random.Random(args.seed)
    counts = {"none": 0, **{k: 0 for k in KINDS}, "held_out": 0}
    corrupted = 0
    holdout = open(args.holdout_out, "w", encoding="utf-8") if args.holdout > 0 else None
    with open(args.out, "w", encoding="utf-8") as out:
        for path in input_files(args.inputs):
            for line in records(path):
                if not line.strip():
                    continue
                doc = json.loads(line)
                metadata = dict(doc.get("metadata") or {})
                if holdout and held_out(doc["id"], args.holdout):
                    metadata["corruption"] = "none"
                    holdout.write(json.dumps({**doc, "metadata": metadata}, ensure_ascii=False) + "\n")
                    counts["held_out"] += 1
                    continue
                kind = "none"
                if rng.random() < args.corrupt:
                    kind = KINDS[corrupted % len(KINDS)]
                    corrupted += 1
                    doc["text"] = corrupt(doc["text"], kind, rng, long_documents=True)
                metadata["corruption"] = kind
                counts[kind] += 1
                out.write(json.dumps({**doc, "metadata": metadata}, ensure_ascii=False) + "\n")
    if holdout:
        holdout.close()
    print(json.dumps(counts), file=sys.stderr)


if __name__ == "__main__":
    main()
