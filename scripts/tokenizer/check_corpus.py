#!/usr/bin/env python3
"""Dev-only exactness check on the dev corpus (not part of the tests).

  check_corpus.py texts OUT.bin                 write every dev-corpus document for the Swift side
  check_corpus.py train-hf TEXTS.bin VOCAB OUT.json   train an HF ByteLevel BPE (GPT-2 pre-tokenizer)
  check_corpus.py compare TOKENIZER.json TEXTS.bin IDS.bin   encode with HF, compare with Swift's ids

The Swift ids come from a runner calling `Tokenizer.encode` on the same TEXTS.bin.
"""
import sys

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

from corpus import read_corpus, read_ids, read_texts, write_texts


def main():
    mode = sys.argv[1]
    if mode == "texts":
        texts = read_corpus()
        write_texts(texts, sys.argv[2])
        print(f"{len(texts)} documents, {sum(len(t.encode()) for t in texts)} bytes")
    elif mode == "train-hf":
        texts = read_texts(sys.argv[2])
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(vocab_size=int(sys.argv[3]), min_frequency=2, special_tokens=["<|endoftext|>"],
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
        tok.train_from_iterator(texts, trainer)
        tok.save(sys.argv[4])
        print(f"trained vocab {tok.get_vocab_size()}")
    elif mode == "compare":
        tok = Tokenizer.from_file(sys.argv[2])
        texts = read_texts(sys.argv[3])
        ours = read_ids(sys.argv[4])
        assert len(ours) == len(texts), (len(ours), len(texts))
        hf = [e.ids for e in tok.encode_batch(texts, add_special_tokens=False)]
        bad = [i for i in range(len(texts)) if hf[i] != ours[i]]
        print(f"compared {len(texts)} documents, {sum(map(len, hf))} tokens: {len(bad)} mismatches")
        for i in bad[:5]:
            a, b = hf[i], ours[i]
            k = next((j for j in range(min(len(a), len(b))) if a[j] != b[j]), min(len(a), len(b)))
            print(f"  doc {i} first difference at token {k}: HF {a[k:k+8]} ours {b[k:k+8]}")
            print(f"  HF tokens {tok.decode(a[max(0,k-3):k+5])!r}")
        sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
