#!/usr/bin/env python3
"""Writes the golden fixtures of Tests/TokenizationTests/Fixtures (dev only; needs `pip install tokenizers`).

1. `train.txt`: a small mixed-content text (English, code, CJK, Arabic, emoji, whitespace runs,
   contractions, numbers, control characters, CRLF), generated deterministically.
2. Three tokenizer.json files sharing one HF-trained byte-level BPE (vocab 2048):
   - `gpt2.json`: ByteLevel(add_prefix_space=False), special `<|endoftext|>`.
   - `gpt2-prefix.json`: ByteLevel(add_prefix_space=True) plus added tokens exercising
     lstrip / rstrip / single_word / normalized.
   - `gpt4.json`: Sequence[Split(cl100k pattern, Isolated), ByteLevel(use_regex=False)],
     legacy "a b" merges, ignore_merges=True (Llama-3 style).
   - `generic-a.json`, `generic-b.json`: Split with other regexes, String patterns, every behavior, invert.
   - `gpt2-nfc.json`: gpt2 with an NFC normalizer.
   - `qwen.json`: gpt4 with single-digit numbers (`\p{N}` for `\p{N}{1,3}`) and NFC, as Qwen2.
3. `cases.json`: test strings and the ids HF produces for each tokenizer.
4. `scalar-classes.json`: which scalars HF's regex engine counts as \s, \p{L}, \p{N}.

Run from the repository root: python3 scripts/tokenizer/make_fixtures.py
"""
import json
import os
import random

from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

OUT = os.path.join("Tests", "TokenizationTests", "Fixtures")
CL100K = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""

WHITESPACE = [chr(c) for c in [9, 10, 11, 12, 13, 32, 0x85, 0xA0, 0x1680, 0x2000, 0x2001, 0x2005, 0x200A,
                               0x2028, 0x2029, 0x202F, 0x205F, 0x3000]]
SNIPPETS = [
    "The quick brown fox jumps over the lazy dog. ",
    "It's what they'd said: we're sure you'll see, I'm fine, they've gone. ",
    "DON'T SHOUT, IT'S LOUD! She'S here. ",
    "def f(x):\n    return x ** 2  # square\n",
    "for (int i = 0; i < n; ++i) {\n\tsum += a[i];\n}\n",
    "if __name__ == '__main__':\r\n    main()\r\n",
    "東京は日本の首都です。人工知能と機械学習。",
    "中文文本处理，分词很重要。",
    "مرحبا بالعالم، هذه جملة عربية. ١٢٣٤٥",
    "Привет, мир! Это тест. ",
    "Ελληνικά κείμενα και αριθμοί 42. ",
    "emoji 😀🎉👍🏽 family 👨‍👩‍👧 flags 🇫🇷🇯🇵 ",
    "Numbers: 3.14159, 2,718,281, 1e-9, 0x1F, ½ ² Ⅻ ٣. ",
    "Tabs\tand   multiple    spaces     here.\n\n\n",
    "Control \x00\x01\x07\x1b[0m chars\x7f. ",
    "Price: $1,299.99 (was €1.499,00) – 15% off!!! ",
    "naïve café résumé Zürich façade coöperate ",
    "https://example.com/path?q=1&r=2#frag ",
    "    indented line\n        more indented\n",
    "<|endoftext|>",
    "Straße ſ long s 'ſ and ﬁ ligature ",
    "한국어 문장입니다. ",
    "हिन्दी पाठ। ",
    "\u00a0non-breaking\u00a0spaces\u3000ideographic ",
]


def make_text(rng, size):
    parts = []
    total = 0
    while total < size:
        s = rng.choice(SNIPPETS)
        if rng.random() < 0.2:
            s += rng.choice(WHITESPACE) * rng.randint(1, 5)
        if rng.random() < 0.1:
            s += str(rng.randint(0, 10**9))
        parts.append(s)
        total += len(s.encode())
    return "".join(parts)


RANGES = [(0x20, 0x7E), (0x00, 0x1F), (0xA0, 0x17F), (0x300, 0x36F), (0x370, 0x3FF), (0x400, 0x4FF),
          (0x600, 0x6FF), (0x900, 0x97F), (0x2000, 0x206F), (0x2150, 0x218F), (0x3000, 0x30FF),
          (0x4E00, 0x4FFF), (0xAC00, 0xACFF), (0x1F300, 0x1F64F), (0x10000, 0x10FFFF), (0x80, 0x9F)]


def random_string(rng):
    chars = []
    for _ in range(rng.randint(1, 30)):
        r = rng.random()
        if r < 0.3:
            chars.append(rng.choice("abcXYZ'sStTrReEvVmMlLdDſ  \n\r\t0123456789.,!?-_()"))
        elif r < 0.45:
            chars.append(rng.choice(WHITESPACE))
        else:
            lo, hi = rng.choice(RANGES)
            c = rng.randint(lo, hi)
            if 0xD800 <= c < 0xE000:
                c = 0x41
            chars.append(chr(c))
    return "".join(chars)


EDGE_CASES = [
    "", " ", "  ", "a", " a", "  a", "   a", "\n", "\n\n", " \n ", "a \n b", "\r\n", "a\r\n\r\nb",
    "hello world", "Hello, World!", "it's", "It'S", "I'M", "we're", "'s", "''s", "'ſ", " 's", "x'll'd",
    "don't you'll they're", "12345678", "1 22 333 4444", "ab12cd", "a1", "(hello)", "[x]", "...", " ...",
    "a  b   c    d", "\t\tindented", "trailing   ", "   leading", "mixed \t \n whitespace",
    "\u00a0a", "a\u00a0\u00a0b", "\u3000x", "\u2028\u2029", "\x85x", "\x0b\x0c",
    "東京", "日本語のテキスト", "مرحبا", "😀😀", "👨‍👩‍👧", "e\u0301", "ﬁ", "Ⅻ½²", "٣٤٥",
    "<|endoftext|>", "a<|endoftext|>b", " <|endoftext|> ", "<|endoftext|><|endoftext|>", "<|endoftext",
    "<mask>", "x <mask> y", "x  <mask>", "[NOTE]", "a [NOTE]  b", "x[NOTE]y", "hello word world", "wordy word",
    "def f(x):\n    return x ** 2\n", "\x00\x01\x02", "\x7f\x80", "\ufeffBOM", "\U0010FFFF", "\U000E0001",
    "a" * 300, "ab" * 200, " " * 50 + "x", "1" * 50, "😀" * 40,
]


def write_scalar_classes():
    """`scalar-classes.json`: the scalars Oniguruma (inside `tokenizers`) matches with \\s, \\p{L}
    and \\p{N}, as inclusive [first, last] ranges, probed over every scalar."""
    chars = [chr(c) for c in range(0x110000) if not (0xD800 <= c < 0xE000)]
    everything = "".join(chars)
    out = {}
    for name, pattern in [("whitespace", r"\s"), ("letter", r"\p{L}"), ("number", r"\p{N}")]:
        split = pre_tokenizers.Split(Regex(pattern), "removed")
        unmatched = set("".join(piece for piece, _ in split.pre_tokenize_str(everything)))
        ranges = []
        for ch in chars:
            if ch in unmatched:
                continue
            c = ord(ch)
            if ranges and ranges[-1][1] == c - 1:
                ranges[-1][1] = c
            else:
                ranges.append([c, c])
        out[name] = ranges
    with open(os.path.join(OUT, "scalar-classes.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))


def main():
    rng = random.Random(20251123)
    os.makedirs(OUT, exist_ok=True)
    text = make_text(rng, 120_000)
    with open(os.path.join(OUT, "train.txt"), "w", encoding="utf-8", newline="") as f:
        f.write(text)

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=2048, min_frequency=2, special_tokens=["<|endoftext|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    lines = text.split("\n")
    tok.train_from_iterator(lines, trainer)
    base = json.loads(tok.to_str())

    gpt2 = base
    prefix = json.loads(json.dumps(base))
    prefix["pre_tokenizer"]["add_prefix_space"] = True
    next_id = max(prefix["model"]["vocab"].values()) + 1
    prefix["added_tokens"] += [
        {"id": next_id, "content": "<mask>", "single_word": False, "lstrip": True, "rstrip": False,
         "normalized": False, "special": True},
        {"id": next_id + 1, "content": "[NOTE]", "single_word": False, "lstrip": False, "rstrip": True,
         "normalized": True, "special": False},
        {"id": next_id + 2, "content": "word", "single_word": True, "lstrip": False, "rstrip": False,
         "normalized": True, "special": False},
    ]
    gpt4 = json.loads(json.dumps(base))
    gpt4["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": CL100K}, "behavior": "Isolated", "invert": False},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]}
    gpt4["model"]["ignore_merges"] = True
    gpt4["model"]["merges"] = [" ".join(m) if isinstance(m, list) else m for m in gpt4["model"]["merges"]]

    # Generic Split paths (NSRegularExpression, literal patterns, every behavior, invert).
    generic_a = json.loads(json.dumps(base))
    generic_a["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": "[0-9]+"}, "behavior": "MergedWithPrevious", "invert": False},
        {"type": "Split", "pattern": {"String": "-"}, "behavior": "Removed", "invert": False},
        {"type": "Split", "pattern": {"Regex": "[aeiou]"}, "behavior": "Contiguous", "invert": True},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}]}
    generic_b = json.loads(json.dumps(base))
    generic_b["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": "[,.;:!?]"}, "behavior": "MergedWithNext", "invert": False},
        {"type": "Split", "pattern": {"String": "  "}, "behavior": "Isolated", "invert": True},
        {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": False}]}
    qwen = json.loads(json.dumps(gpt4))
    qwen["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = CL100K.replace(r"\p{N}{1,3}", r"\p{N}")
    qwen["normalizer"] = {"type": "NFC"}
    nfc = json.loads(json.dumps(base))
    nfc["normalizer"] = {"type": "NFC"}
    configs = {"gpt2": gpt2, "gpt2-prefix": prefix, "gpt4": gpt4, "generic-a": generic_a, "generic-b": generic_b,
               "gpt2-nfc": nfc, "qwen": qwen}
    loaded = {}
    for name, cfg in configs.items():
        s = json.dumps(cfg, ensure_ascii=False, separators=(",", ":"))
        with open(os.path.join(OUT, name + ".json"), "w", encoding="utf-8") as f:
            f.write(s)
        loaded[name] = Tokenizer.from_str(s)

    texts = list(EDGE_CASES)
    for _ in range(400):
        texts.append(random_string(rng))
    for _ in range(100):
        a = rng.randrange(len(text) - 400)
        texts.append(text[a:a + rng.randint(1, 400)])
    cases = {"texts": texts}
    for name, t in loaded.items():
        cases[name] = [t.encode(s, add_special_tokens=False).ids for s in texts]
    with open(os.path.join(OUT, "cases.json"), "w", encoding="ascii") as f:
        json.dump(cases, f, ensure_ascii=True, separators=(",", ":"))
    write_scalar_classes()
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"wrote {len(texts)} cases; fixtures total {total} bytes")


if __name__ == "__main__":
    main()
