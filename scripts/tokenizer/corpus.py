"""Shared helpers for the dev scripts: read the dev corpus, write/read the texts and ids files
the Swift runner exchanges (little-endian uint32 length, then the payload, per document)."""
import glob
import io
import json
import struct

import zstandard


def read_corpus(pattern="/work/shared/corpora/dev/*.jsonl.zst"):
    texts = []
    for path in sorted(glob.glob(pattern)):
        with open(path, "rb") as f:
            reader = zstandard.ZstdDecompressor().stream_reader(f)
            for line in io.TextIOWrapper(reader, encoding="utf-8"):
                if line.strip():
                    texts.append(json.loads(line)["text"])
    return texts


def write_texts(texts, path):
    with open(path, "wb") as f:
        for t in texts:
            b = t.encode("utf-8")
            f.write(struct.pack("<I", len(b)))
            f.write(b)


def read_texts(path):
    texts = []
    with open(path, "rb") as f:
        data = f.read()
    i = 0
    while i < len(data):
        (n,) = struct.unpack_from("<I", data, i)
        i += 4
        texts.append(data[i:i + n].decode("utf-8"))
        i += n
    return texts


def read_ids(path):
    """Per document: uint32 count, then count int32 ids."""
    out = []
    with open(path, "rb") as f:
        data = f.read()
    i = 0
    while i < len(data):
        (n,) = struct.unpack_from("<I", data, i)
        i += 4
        out.append(list(struct.unpack_from(f"<{n}i", data, i)))
        i += 4 * n
    return out
