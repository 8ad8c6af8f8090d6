#!/usr/bin/env python3
"""A generated corpus in a small, regular language, with a share of documents corrupted on purpose.

  corrupted_corpus.py OUT.jsonl [--documents N] [--corrupt 0.25] [--seed S] [--unlabelled]

Clean documents are lettered lists of sentences from a tiny grammar (so a small LM learns word order within its
lifetime).
Corrupted ones are clean documents transformed by one of: random characters, shuffled words, mojibake
(UTF-8 read as Latin-1), repeated lines. The kind is written to metadata.corruption ("none" for clean), for
measuring AUROC afterwards; the DataRater never sees it (it reads token ids only).
"""
import argparse
import json
import random

DETERMINERS = ["the", "a", "every", "some", "no"]
ADJECTIVES = ["small", "green", "quiet", "old", "bright", "naïve", "curious", "heavy", "soft", "rapid"]
NOUNS = ["cat", "river", "engine", "garden", "café", "teacher", "window", "storm", "library", "fox", "piano", "road"]
VERBS = ["sees", "follows", "builds", "hears", "paints", "opens", "finds", "crosses", "remembers", "carries"]
ADVERBS = ["slowly", "today", "again", "gladly", "often"]


def sentence(rng):
    subject = f"{rng.choice(DETERMINERS)} {rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
    obj = f"{rng.choice(DETERMINERS)} {rng.choice(NOUNS)}"
    if rng.random() < 0.4:
        return f"{subject} {rng.choice(VERBS)} {obj} {rng.choice(ADVERBS)}."
    return f"{subject} {rng.choice(VERBS)} {obj}."


LINE_LABELS = [f"{letter})" for letter in "abcdefghijklmnop"]


def clean(rng, labelled=True):
    """6-16 lines of 1-3 sentences. With labelled (the default), the lines are a lettered list, "a) ...", "b) ...":
    the language's one structure across lines, a stand-in for what real text has (numbered steps, sections, a
    discourse that moves on). A document that repeats its first line repeats "a)" after every line break, where a
    clean document never has it; without labels a repeated grammatical line trains an LM that cannot copy exactly
    as a clean document does (BENCHMARKS.md, "Repeated lines"). --unlabelled gives the language measured before
    2026-12-04."""
    lines = []
    for i in range(rng.randint(6, 16)):
        line = " ".join(sentence(rng).capitalize() for _ in range(rng.randint(1, 3)))
        lines.append(f"{LINE_LABELS[i]} {line}" if labelled else line)
    return "\n".join(lines)


def corrupt(text, kind, rng, long_documents=False):
    """Apply one corruption kind. With long_documents (real corpora, see corrupt_corpus.py), repeated_lines repeats
    one randomly chosen non-empty line (cut to at most 200 characters at a space) until the result is as long as the
    original text, instead of repeating the first line 8-16 times. The default path is unchanged."""
    if kind == "random_chars":
        alphabet = "abcdefghijklmnopqrstuvwxyz0123456789#$%&*+-/<=>@^_~"
        return "".join(rng.choice(alphabet) if c != "\n" and rng.random() < 0.5 else c for c in text)
    if kind == "shuffled_words":
        lines = []
        for line in text.split("\n"):
            words = line.split(" ")
            rng.shuffle(words)
            lines.append(" ".join(words))
        return "\n".join(lines)
    if kind == "mojibake":
        return text.encode("utf-8").decode("latin-1").replace("e", "Ã©").replace("a", "Ã¤")
    if kind == "repeated_lines" and long_documents:
        candidates = [line for line in text.split("\n") if line.strip()] or [text]
        line = rng.choice(candidates)
        if len(line) > 200:
            cut = line.rfind(" ", 0, 200)
            line = line[:cut if cut > 0 else 200]
        return "\n".join([line] * max(2, -(-len(text) // (len(line) + 1))))
    if kind == "repeated_lines":
        line = text.split("\n")[0]
        return "\n".join([line] * rng.randint(8, 16))
    raise ValueError(kind)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--documents", type=int, default=4000)
    parser.add_argument("--corrupt", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--unlabelled", action="store_true",
                        help="no line labels (the language of the measurements before 2026-12-04)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    kinds = ["random_chars", "shuffled_words", "mojibake", "repeated_lines"]
    with open(args.out, "w", encoding="utf-8") as out:
        for i in range(args.documents):
            text = clean(rng, labelled=not args.unlabelled)
            kind = "none"
            if rng.random() < args.corrupt:
                kind = kinds[i % len(kinds)]
                text = corrupt(text, kind, rng)
            out.write(json.dumps({"id": f"gen/{i:06d}", "text": text, "source": "generated",
                                  "metadata": {"corruption": kind}}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
