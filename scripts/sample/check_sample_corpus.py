#!/usr/bin/env python3
"""Check a sample corpus written by build_sample_corpus.py against its manifest.

    python3 scripts/sample/check_sample_corpus.py shards/sample

Reads every file back on its own (not with the builder's code) and checks: sha256 of each
file, document counts per file and per source, every good document's text is a string of
200-8000 UTF-8 bytes, Dolma ids are unique, exactly the bad records listed in the manifest fail
(and fail for the stated reason), tar members are regular .txt/.html files, WET records have
correct Content-Length and WARC-Block-Digest.  If libarchive and libzstd are present it also
reads the .tar.gz / .wet.gz files through libarchive and the .zst files through libzstd's
streaming decoder (the C libraries DataRater's readers use), and compares the bytes.
Exits 1 and lists the problems if anything is off.
"""
from __future__ import annotations

import base64
import ctypes
import ctypes.util
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile
import zlib

MIN_DOC, MAX_DOC = 200, 8000
problems: list[str] = []


def fail(msg):
    problems.append(msg)


def zstd_decompress(data):
    """All frames of a zstd stream, with their count (plain Python, no library)."""
    import zstandard
    frames, out, pos = 0, [], 0
    dctx = zstandard.ZstdDecompressor()
    while pos < len(data):
        size = zstandard.frame_content_size(data[pos:])
        fp = zstandard.get_frame_parameters(data[pos:])
        dobj = dctx.decompressobj()
        chunk = dobj.decompress(data[pos:])
        out.append(chunk)
        used = len(data) - pos - len(dobj.unused_data)
        if size not in (-1, len(chunk)) or fp is None or used <= 0:
            raise ValueError("bad zstd frame")
        pos += used
        frames += 1
    return b"".join(out), frames


def gunzip_members(data):
    """Concatenated gzip members -> (bytes, number of members)."""
    out, n = [], 0
    while data:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out.append(d.decompress(data))
        if not d.eof:
            raise ValueError("truncated gzip member")
        data = d.unused_data
        n += 1
    return b"".join(out), n


def classify_jsonl_line(line):
    """-> ('ok', record) or (reason, None)."""
    try:
        s = line.decode("utf-8")
    except UnicodeDecodeError:
        return "invalid-utf8", None
    try:
        rec = json.loads(s)
    except json.JSONDecodeError:
        return "malformed-json", None
    if not isinstance(rec, dict) or "text" not in rec:
        return "missing-text", None
    if not isinstance(rec["text"], str):
        return "non-string-text", None
    return "ok", rec


def check_text(where, text):
    n = len(text.encode("utf-8"))
    if not MIN_DOC <= n <= MAX_DOC:
        fail(f"{where}: text is {n} bytes, outside {MIN_DOC}..{MAX_DOC}")


def check_jsonl(rel, raw, kind, expect_bad, source_counts, ids):
    good = 0
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    else:
        fail(f"{rel}: does not end with a newline")
    seen_bad = {}
    for no, line in enumerate(lines, 1):
        why, rec = classify_jsonl_line(line)
        if why != "ok":
            seen_bad[no] = why
            continue
        good += 1
        where = f"{rel}:{no}"
        check_text(where, rec["text"])
        if kind == "dolma":
            for k in ("id", "text", "source", "added", "metadata"):
                if k not in rec:
                    fail(f"{where}: Dolma record without {k!r}")
            if rec.get("id") in ids:
                fail(f"{where}: duplicate id {rec.get('id')}")
            ids.add(rec.get("id"))
            src = rec.get("source")
        elif kind == "pile":
            src = rec.get("meta", {}).get("pile_set_name")
            if not line.isascii():
                fail(f"{where}: Pile line is not ASCII-escaped")
        else:
            if set(rec) != {"text", "url", "timestamp"} or not rec["url"].startswith("https://"):
                fail(f"{where}: C4 record fields {sorted(rec)}")
            src = "c4"
        source_counts[src] = source_counts.get(src, 0) + 1
    if seen_bad != expect_bad:
        fail(f"{rel}: bad lines {seen_bad}, manifest says {expect_bad}")
    return good


def check_tar(rel, raw, source_counts):
    n = 0
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as tar:
        for m in tar.getmembers():
            if m.isdir():
                continue
            if not m.isfile() or not m.name.endswith((".txt", ".html")):
                fail(f"{rel}: unexpected member {m.name}")
                continue
            if m.mtime != 1763856000 or m.uid or m.gid or m.uname != "root":
                fail(f"{rel}: {m.name} has unexpected owner or mtime")
            data = tar.extractfile(m).read()
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                fail(f"{rel}: {m.name} is not UTF-8")
                continue
            check_text(f"{rel}:{m.name}", text.rstrip("\n") if m.name.endswith(".txt") else text)
            src = m.name.split("/")[0]
            source_counts[src] = source_counts.get(src, 0) + 1
            n += 1
    return n


def check_wet(rel, raw):
    pos, n, first = 0, 0, True
    while pos < len(raw):
        end = raw.index(b"\r\n\r\n", pos)
        head = raw[pos:end].decode("utf-8").split("\r\n")
        if head[0] != "WARC/1.0":
            fail(f"{rel}@{pos}: record does not start with WARC/1.0")
            return n
        h = dict(x.split(": ", 1) for x in head[1:])
        length = int(h["Content-Length"])
        block = raw[end + 4: end + 4 + length]
        if raw[end + 4 + length: end + 8 + length] != b"\r\n\r\n":
            fail(f"{rel}@{pos}: Content-Length {length} does not end at the record separator")
            return n
        if first:
            if h.get("WARC-Type") != "warcinfo":
                fail(f"{rel}: first record is not warcinfo")
        else:
            if h.get("WARC-Type") != "conversion" or "WARC-Target-URI" not in h:
                fail(f"{rel}@{pos}: not a conversion record with a target URI")
            digest = "sha1:" + base64.b32encode(hashlib.sha1(block).digest()).decode()
            if h.get("WARC-Block-Digest") != digest:
                fail(f"{rel}@{pos}: WARC-Block-Digest mismatch")
            check_text(f"{rel}:{h.get('WARC-Target-URI')}", block.decode("utf-8"))
            n += 1
        first = False
        pos = end + 8 + length
    return n


# -- the C libraries DataRater reads with ----------------------------------------------

def libarchive_read(path, raw_format):
    """Concatenated data of all regular entries (or the one raw entry) via libarchive."""
    name = ctypes.util.find_library("archive")
    if not name:
        return None
    la = ctypes.CDLL(name)
    la.archive_read_new.restype = ctypes.c_void_p
    la.archive_read_data.restype = ctypes.c_ssize_t
    la.archive_read_data.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
    la.archive_entry_filetype.restype = ctypes.c_uint
    la.archive_entry_filetype.argtypes = [ctypes.c_void_p]
    for f in ("archive_read_support_filter_all", "archive_read_support_format_tar",
              "archive_read_support_format_raw", "archive_read_free"):
        getattr(la, f).argtypes = [ctypes.c_void_p]
    la.archive_read_open_filename.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
    la.archive_read_next_header.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)]
    a = la.archive_read_new()
    la.archive_read_support_filter_all(a)
    (la.archive_read_support_format_raw if raw_format else la.archive_read_support_format_tar)(a)
    if la.archive_read_open_filename(a, path.encode(), 65536) != 0:
        raise RuntimeError(f"libarchive cannot open {path}")
    out, entry, buf = [], ctypes.c_void_p(), ctypes.create_string_buffer(65536)
    while True:
        r = la.archive_read_next_header(a, ctypes.byref(entry))
        if r == 1:  # ARCHIVE_EOF
            break
        if r != 0:
            raise RuntimeError(f"libarchive header error {r} in {path}")
        if not raw_format and la.archive_entry_filetype(entry) != 0o100000:
            continue
        while True:
            k = la.archive_read_data(a, buf, 65536)
            if k < 0:
                raise RuntimeError(f"libarchive data error in {path}")
            if k == 0:
                break
            out.append(buf.raw[:k])
    la.archive_read_free(a)
    return b"".join(out)


def libzstd_stream(data):
    """Decode with libzstd's ZSTD_decompressStream, as a streaming reader does."""
    name = ctypes.util.find_library("zstd")
    if not name:
        return None
    z = ctypes.CDLL(name)

    class Buf(ctypes.Structure):
        _fields_ = [("ptr", ctypes.c_void_p), ("size", ctypes.c_size_t), ("pos", ctypes.c_size_t)]
    z.ZSTD_createDStream.restype = ctypes.c_void_p
    z.ZSTD_decompressStream.restype = ctypes.c_size_t
    z.ZSTD_decompressStream.argtypes = [ctypes.c_void_p, ctypes.POINTER(Buf), ctypes.POINTER(Buf)]
    z.ZSTD_isError.argtypes = [ctypes.c_size_t]
    z.ZSTD_freeDStream.argtypes = [ctypes.c_void_p]
    ds = z.ZSTD_createDStream()
    src = ctypes.create_string_buffer(data, len(data))
    dst = ctypes.create_string_buffer(1 << 17)
    inb = Buf(ctypes.cast(src, ctypes.c_void_p), len(data), 0)
    out = []
    while True:
        outb = Buf(ctypes.cast(dst, ctypes.c_void_p), len(dst), 0)
        r = z.ZSTD_decompressStream(ds, ctypes.byref(outb), ctypes.byref(inb))
        if z.ZSTD_isError(r):
            raise RuntimeError("libzstd error")
        out.append(dst.raw[:outb.pos])
        if inb.pos == inb.size and outb.pos < outb.size:
            break
    z.ZSTD_freeDStream(ds)
    if r != 0:
        raise RuntimeError("libzstd: stream ends inside a frame")
    return b"".join(out)


def main(argv):
    if len(argv) != 2:
        raise SystemExit("usage: check_sample_corpus.py DIR")
    root = argv[1]
    with open(os.path.join(root, "manifest.json"), encoding="utf-8") as f:
        m = json.load(f)
    bad_by_file = {}
    for b in m["bad"]:
        bad_by_file.setdefault(b["file"], {})[b["line"]] = b["kind"]
    total, ids, source_counts = 0, set(), {}
    c_checks = 0
    for fe in m["files"]:
        rel, path = fe["file"], os.path.join(root, fe["file"])
        with open(path, "rb") as f:
            data = f.read()
        if hashlib.sha256(data).hexdigest() != fe["sha256"]:
            fail(f"{rel}: sha256 differs from the manifest")
        if len(data) > 5_000_000:
            fail(f"{rel}: {len(data)} bytes, over the 5 MB cap")
        if rel.endswith(".zst"):
            raw, frames = zstd_decompress(data)
            if frames != fe.get("zstd_frames"):
                fail(f"{rel}: {frames} zstd frames, manifest says {fe.get('zstd_frames')}")
            c = libzstd_stream(data)
            if c is not None:
                c_checks += 1
                if c != raw:
                    fail(f"{rel}: libzstd streaming decode differs")
        else:
            raw, members = gunzip_members(data)
            if rel.endswith(".wet.gz") and members != fe.get("gzip_members"):
                fail(f"{rel}: {members} gzip members, manifest says {fe.get('gzip_members')}")
            c = libarchive_read(path, raw_format=not rel.endswith(".tar.gz"))
            if c is not None:
                c_checks += 1
                expect = raw
                if rel.endswith(".tar.gz"):
                    with tarfile.open(fileobj=io.BytesIO(raw)) as t:
                        expect = b"".join(t.extractfile(x).read() for x in t.getmembers() if x.isfile())
                if c != expect:
                    fail(f"{rel}: libarchive reads different bytes")
        if hashlib.sha256(raw).hexdigest() != fe["sha256_uncompressed"]:
            fail(f"{rel}: uncompressed sha256 differs from the manifest")
        if fe["format"] in ("dolma", "pile", "c4"):
            n = check_jsonl(rel, raw, fe["format"], bad_by_file.get(rel, {}), source_counts, ids)
        elif fe["format"] == "tar":
            n = check_tar(rel, raw, source_counts)
        else:
            n = check_wet(rel, raw)
            source_counts["wet"] = source_counts.get("wet", 0) + n
        if n != fe["docs"]:
            fail(f"{rel}: {n} good documents, manifest says {fe['docs']}")
        total += n
    if total != m["docs"]:
        fail(f"{total} documents in the files, manifest says {m['docs']}")
    # per-source counts where the format names the source (Dolma, Pile, tar member folders)
    for s, st in m["sources"].items():
        named = sum(v for k, v in st["by_format"].items() if k in ("dolma", "pile", "tar-txt", "tar-html"))
        want = source_counts.get(s, 0)
        if named != want:
            fail(f"source {s}: {want} documents found in Dolma/Pile/tar, manifest says {named}")
    print(f"{total} documents and {len(m['bad'])} bad records in {len(m['files'])} files checked; "
          f"{c_checks} files also read through libzstd/libarchive")
    for p in problems:
        print("PROBLEM:", p)
    print(f"{0 if problems else 1} passed, {1 if problems else 0} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
