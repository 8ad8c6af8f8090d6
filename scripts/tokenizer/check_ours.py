#!/usr/bin/env python3
"""Dev-only: load a tokenizer.json written by our `BPETrainer` with HF `tokenizers` and compare ids.

  check_ours.py OURS.json TEXTS IDS.bin [HF_TRAINED.json]

TEXTS is a texts file (`corpus.write_texts` format, `.bin`) or a plain UTF-8 text file whose lines
are the documents; IDS.bin holds the ids Swift's `Tokenizer.encode` produced for them (same order).
Exits non-zero on any mismatch. With HF_TRAINED.json, also reports whether HF's trainer learned
the same vocabulary and merges on the same texts.
"""
import json
import sys

from tokenizers import Tokenizer

from corpus import read_ids, read_texts


def main():
    ours_path, texts_path, ids_path = sys.argv[1:4]
    tok = Tokenizer.from_file(ours_path)  # fails loudly if HF cannot load our file
    if texts_path.endswith(".bin"):
        texts = read_texts(texts_path)
    else:
        with open(texts_path, encoding="utf-8", newline="") as f:
            texts = f.read().split("\n")
    swift = read_ids(ids_path)
    assert len(swift) == len(texts), (len(swift), len(texts))
    hf = [e.ids for e in tok.encode_batch(texts, add_special_tokens=False)]
    bad = [i for i in range(len(texts)) if hf[i] != swift[i]]
    print(f"HF loaded {ours_path} (vocab {tok.get_vocab_size()}); compared {len(texts)} documents, "
          f"{sum(map(len, hf))} tokens: {len(bad)} mismatches")
    for i in bad[:5]:
        print(f"  doc {i}: {texts[i][:80]!r}")
    if len(sys.argv) > 4:
        a = json.load(open(sys.argv[4]))["model"]
        b = json.load(open(ours_path))["model"]
        print(f"same vocab as HF trainer: {a['vocab'] == b['vocab']}, same merges: {a['merges'] == b['merges']}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
