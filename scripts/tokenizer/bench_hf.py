#!/usr/bin/env python3
"""Reference speed: HF `tokenizers` encode_batch on one thread (RAYON_NUM_THREADS=1).

  bench_hf.py TOKENIZER.json TEXTS.bin [repeats]

Like `TokenizerBenchmark.run`, one warm-up pass fills the word cache, then each timed pass
encodes every document (no special tokens). Prints tokens, seconds and tokens/s.
"""
import os
import sys
import time

os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "true"  # let encode_batch use its (single-thread) pool

from tokenizers import Tokenizer  # noqa: E402

from corpus import read_texts  # noqa: E402


def main():
    tok = Tokenizer.from_file(sys.argv[1])
    texts = read_texts(sys.argv[2])
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    tok.encode_batch(texts, add_special_tokens=False)
    for _ in range(repeats):
        start = time.perf_counter()
        encs = tok.encode_batch(texts, add_special_tokens=False)
        seconds = time.perf_counter() - start
        tokens = sum(len(e.ids) for e in encs)
        print(f"hf encode_batch tokens={tokens} seconds={seconds:.3f} tokens/s={tokens / seconds:.0f}")
        if hasattr(tok, "encode_batch_fast"):  # skips offset tracking (tokenizers >= 0.21)
            start = time.perf_counter()
            encs = tok.encode_batch_fast(texts, add_special_tokens=False)
            seconds = time.perf_counter() - start
            tokens = sum(len(e.ids) for e in encs)
            print(f"hf encode_batch_fast tokens={tokens} seconds={seconds:.3f} tokens/s={tokens / seconds:.0f}")


if __name__ == "__main__":
    main()
