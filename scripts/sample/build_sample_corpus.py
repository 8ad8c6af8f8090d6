#!/usr/bin/env python3
"""Build DataRater's bundled *sample* raw corpus from text that Debian packages ship.

    python3 scripts/sample/build_sample_corpus.py --out shards/sample

A small (about 2,400 documents, 7 MB of text, 2.3 MB compressed), mixed-quality raw
corpus in the formats a user would hand to `datarater shard`:

  dolma/part-NNNN.jsonl.zst   Dolma documents {"id","text","source","added","metadata"};
                              part-0001 is written as several independent zstd frames
  pile/part-0000.jsonl.gz     Pile style {"text","meta":{"pile_set_name"}}, ASCII-escaped JSON
  c4/c4-train.00000-of-00001.json.gz
                              C4 style {"text","url","timestamp"}, synthetic urls from file paths
  archives/*.tar.gz           one document per .txt / .html member (raw handbook pages with menus)
  wet/sample.warc.wet.gz      Common Crawl style WET: one gzip member per WARC/1.0 record
  manifest.json, README.md    package versions, counts, sizes, sha256 of every file

Sources (all real text, nothing synthetic except the four deliberately bad records):
  pydoc-clean    python3.11-doc HTML, main text only
  pydoc-raw      python3.11-doc HTML (other pages), tag-stripped with menus kept (C4 noclean-like)
  git-doc        git-doc AsciiDoc text files
  perl-doc       perl-doc POD files
  man            manpages + manpages-dev rendered with `man -l` (groff) to plain text
  fortunes       fortunes cookie files, groups of fortunes
  code-python    Python standard library sources (no tests)
  handbook-<ll>  debian-handbook HTML in 8 languages other than English, main text
  handbook-html  small debian-handbook pages kept as raw HTML, navigation and all

Documents are chunks of 200 B - 8 KB (UTF-8) cut at paragraph breaks (the HTML parser and the
chunker come from the project's dev-corpus builder); at most a few chunks per input file so
that many files are represented.  Each input file goes to exactly one output format, chosen by
a salted hash of its path.

Deterministic: sorted inputs, hash-based selection and ids, seeded shuffles, fixed compression
levels, gzip headers with mtime 0 and no file name, tar members with fixed mtime/uid/gid/names
and order, no timestamps anywhere.  Same Debian package versions (manifest.json) and the same
zlib / zstd library versions give byte-identical files.

Needs Debian bookworm, Python 3.11 and `zstandard` (pip).  Missing Debian packages are installed
with apt-get (needs root); if dpkg path-excludes hide their files (slim images), the .deb is
unpacked under $CORPUS_DEB_CACHE (/var/cache/corpus-debs) instead.
"""
from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import html.parser
import io
import json
import math
import os
import random
import re
import subprocess
import sys
import tarfile
import time
import uuid
import zlib
from concurrent.futures import ThreadPoolExecutor

SEED = 20251123
ZSTD_LEVEL = 19
GZIP_LEVEL = 9
MAX_DOC_BYTES = 8000     # hard upper bound of a document (UTF-8 bytes)
TARGET_CHUNK_BYTES = 3200  # long files are cut into pieces of about this size
MIN_DOC_BYTES = 200      # shorter documents are dropped
ADDED = "2025-11-23T00:00:00.000Z"      # Dolma `added`, fixed
C4_TIMESTAMP = "2025-11-23T00:00:00Z"   # C4 `timestamp`, fixed
WARC_DATE = "2025-11-23T00:00:00Z"
TAR_MTIME = 1763856000  # 2025-11-23T00:00:00Z
DEB_CACHE = os.environ.get("CORPUS_DEB_CACHE", "/var/cache/corpus-debs")

HANDBOOK_LANGS = ["de-DE", "fr-FR", "es-ES", "it-IT", "pt-BR", "ru-RU", "ja-JP", "zh-CN"]
HANDBOOK_HTML_LANGS = ["en-US", "de-DE", "fr-FR", "ja-JP"]  # raw .html tar members

# Per source: text byte budget, most chunks kept from one input file, and the share of input
# files that goes to each output format (by salted path hash).
SOURCES = {
    #  source          budget     per file  formats
    "pydoc-clean":   (1_050_000, 3, {"dolma": 0.8, "pile": 0.2}),
    "pydoc-raw":     (  900_000, 3, {"c4": 0.8, "wet": 0.2}),
    "git-doc":       (  600_000, 3, {"dolma": 0.7, "tar-txt": 0.3}),
    "perl-doc":      (  600_000, 3, {"dolma": 0.6, "pile": 0.4}),
    "man":           (  950_000, 3, {"dolma": 0.7, "tar-txt": 0.3}),
    "fortunes":      (  450_000, 4, {"dolma": 0.5, "pile": 0.5}),
    "code-python":   (1_150_000, 3, {"dolma": 0.6, "pile": 0.4}),
    "handbook":      (  135_000, 3, {"dolma": 0.7, "c4": 0.2, "pile": 0.1}),  # per language
    "handbook-html": (  300_000, 1, {"tar-html": 1.0}),
}

PACKAGES = [
    "python3.11-doc", "git-doc", "perl-doc", "manpages", "manpages-dev", "fortunes",
    "debian-handbook", "libpython3.11-stdlib", "libpython3.11-minimal",
]
TOOL_PACKAGES = ["man-db", "groff-base"]

OUTPUT_FILES = {  # format -> output file(s), relative to --out
    "dolma": ["dolma/part-0000.jsonl.zst", "dolma/part-0001.jsonl.zst"],
    "pile": ["pile/part-0000.jsonl.gz"],
    "c4": ["c4/c4-train.00000-of-00001.json.gz"],
    "tar-txt": ["archives/text-0000.tar.gz"],
    "tar-html": ["archives/html-0000.tar.gz"],
    "wet": ["wet/sample.warc.wet.gz"],
}


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# zstandard
# ---------------------------------------------------------------------------

def import_zstandard(allow_install=True):
    try:
        import zstandard  # noqa: F401
        return zstandard
    except ImportError:
        if not allow_install:
            raise SystemExit("python module zstandard missing: pip install zstandard")
    log("zstandard missing: pip install zstandard")
    r = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "zstandard"])
    if r.returncode != 0 and sys.executable.startswith("/usr/bin/"):
        apt_install(["python3-zstandard"])
    import importlib
    importlib.invalidate_caches()
    import zstandard
    return zstandard


# ---------------------------------------------------------------------------
# Debian packages
# ---------------------------------------------------------------------------

_APT_UPDATED = False


def _apt_update():
    global _APT_UPDATED
    if not _APT_UPDATED:
        log("apt-get update")
        subprocess.run(["apt-get", "update", "-q"], check=True, stdout=subprocess.DEVNULL)
        _APT_UPDATED = True


def apt_install(pkgs):
    _apt_update()
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    log("apt-get install", " ".join(pkgs))
    subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *pkgs],
                   check=True, env=env, stdout=subprocess.DEVNULL)


def pkg_installed(pkg):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True)
    return r.returncode == 0 and r.stdout.strip() == "install ok installed"


def pkg_version(pkg):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else None


class Package:
    """Files of one Debian package: the installed copy, or an unpacked .deb."""

    def __init__(self, name, root="/", version=None):
        self.name = name
        self.root = root  # "/" for installed packages
        self.version = version
        self._files = None

    def files(self):
        """Sorted absolute in-package paths of the regular files (no symlinks)."""
        if self._files is None:
            if self.root == "/":
                out = subprocess.run(["dpkg", "-L", self.name], capture_output=True, text=True,
                                     check=True).stdout.splitlines()
                fs = [p for p in out if p.startswith("/") and os.path.isfile(p)
                      and not os.path.islink(p)]
            else:
                fs = []
                for d, _, names in os.walk(self.root):
                    for n in names:
                        full = os.path.join(d, n)
                        if os.path.isfile(full) and not os.path.islink(full):
                            fs.append("/" + os.path.relpath(full, self.root))
            self._files = sorted(set(fs))
        return self._files

    def real(self, path):
        """Path on this machine of the in-package path."""
        return path if self.root == "/" else os.path.join(self.root, path.lstrip("/"))


def ensure_packages(names, install=True):
    """Make sure each package's files can be read; returns {name: Package}."""
    missing = [n for n in names if not pkg_installed(n)]
    if missing:
        if not install:
            raise SystemExit("missing Debian packages: " + " ".join(missing))
        try:
            apt_install(missing)
        except subprocess.CalledProcessError as e:
            log("apt-get install failed:", e)
    pkgs = {}
    for n in names:
        if pkg_installed(n):
            p = Package(n, "/", pkg_version(n))
            listed = subprocess.run(["dpkg", "-L", n], capture_output=True, text=True,
                                    check=True).stdout.splitlines()
            listed = [f for f in listed if f.startswith("/usr/")]
            gone = [f for f in listed if not os.path.lexists(f)]
            # dpkg path-exclude (e.g. slim container images) drops docs and man pages
            if listed and len(gone) > 0.1 * len(listed) and install:
                log(f"{n}: files excluded by dpkg config, unpacking the .deb instead")
                p = unpack_deb(n)
            pkgs[n] = p
        elif install:
            pkgs[n] = unpack_deb(n)
        else:
            raise SystemExit(f"package {n} not available")
    return pkgs


def unpack_deb(name):
    """apt-get download + dpkg-deb -x into DEB_CACHE/<name>; returns a Package."""
    _apt_update()
    os.makedirs(DEB_CACHE, exist_ok=True)
    dl = os.path.join(DEB_CACHE, "_dl")
    os.makedirs(dl, exist_ok=True)
    os.chmod(dl, 0o777)  # apt's sandbox user must be able to write here
    subprocess.run(["apt-get", "download", "-q", name], cwd=dl, check=True, stdout=subprocess.DEVNULL)
    debs = sorted(f for f in os.listdir(dl) if f.startswith(name + "_") and f.endswith(".deb"))
    deb = os.path.join(dl, debs[-1])
    version = subprocess.run(["dpkg-deb", "-f", deb, "Version"], capture_output=True, text=True,
                             check=True).stdout.strip()
    root = os.path.join(DEB_CACHE, name + "_" + version.replace(":", "%3a"))
    if not os.path.isdir(root):
        subprocess.run(["dpkg-deb", "-x", deb, root + ".tmp"], check=True)
        os.rename(root + ".tmp", root)
    return Package(name, root, version)


# ---------------------------------------------------------------------------
# Reading files
# ---------------------------------------------------------------------------

def read_bytes(real_path):
    with open(real_path, "rb") as f:
        data = f.read()
    if real_path.endswith(".gz"):
        data = gzip.decompress(data)
    return data


def decode(data):
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


_CTRL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def normalize_text(text):
    """Newlines to \\n, control characters (but tab) dropped, trailing spaces stripped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CTRL.sub("", text)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{4,}", "\n\n\n", text).strip("\n")


# ---------------------------------------------------------------------------
# HTML to text (stdlib html.parser), as in the dev-corpus builder
# ---------------------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr", "keygen", "command"}
BLOCK = {"address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details",
         "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form",
         "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "html", "li", "main", "menu",
         "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th",
         "thead", "title", "tr", "ul", "option", "label", "legend"}
LINE_BLOCK = {"li", "dt", "dd", "tr", "option", "label"}  # single line break in clean mode
ALWAYS_SKIP = {"script", "style", "noscript", "template", "svg", "math"}
CLEAN_SKIP_TAGS = ALWAYS_SKIP | {"head", "nav", "form", "button", "select", "textarea", "iframe",
                                 "object", "header", "footer", "input"}
CLEAN_SKIP_CLASSES = {
    "related", "sphinxsidebar", "sphinxsidebarwrapper", "footer", "headerlink", "navheader",
    "navfooter", "docnav", "toc", "searchbox", "mobile-nav", "menu-wrapper", "breadcrumbs",
    "nav", "navigation", "skip-link", "viewcode-link", "copybutton", "sidebar-toggle",
    "version_switcher_placeholder", "language_switcher_placeholder", "highlight-link",
    "list-of-tables", "list-of-figures", "list-of-examples", "list-of-equations",
}
CLEAN_SKIP_IDS = {"sidebar", "searchbox", "banner", "title", "hd", "ft", "global-nav",
                  "breadcrumbs", "sidebarbutton", "searchform", "search", "toc"}
CLEAN_SKIP_ROLES = {"navigation", "search", "contentinfo", "banner"}

_WS = re.compile(r"\s+")
_MARK_RUN = re.compile(r"(?:\x00[PB])+")


class _HTMLText(html.parser.HTMLParser):
    def __init__(self, clean):
        super().__init__(convert_charrefs=True)
        self.clean = clean
        self.pieces = []
        self.stack = []  # (tag, skipped, is_pre, is_cell)
        self.skip = 0
        self.pre = 0
        self.cell = 0
        self.at_break = True
        self.last_pre = False
        self.last_space = False
        self.prefix = ""

    # -- output helpers
    def _text(self, s):
        if self.pre:
            if s:
                if self.prefix:
                    self.pieces.append(self.prefix)
                    self.prefix = ""
                self.pieces.append(s)
                self.at_break = False
                self.last_pre = True
                self.last_space = False
            return
        s = _WS.sub(" ", s)
        if self.at_break or self.last_space:
            s = s.lstrip(" ")
        if not s:
            return
        if self.prefix:
            s = self.prefix + s
            self.prefix = ""
        self.pieces.append(s)
        self.at_break = False
        self.last_pre = False
        self.last_space = s.endswith(" ")

    def _break(self, kind):
        if self.cell and self.clean:
            self._text(" ")
            return
        if self.pieces and not self.last_pre and not self.pieces[-1].startswith("\x00"):
            self.pieces[-1] = self.pieces[-1].rstrip(" ")
        self.pieces.append("\x00" + kind)
        self.at_break = True
        self.last_pre = False
        self.last_space = False

    # -- parser callbacks
    def _skips(self, tag, attrs):
        if tag in ALWAYS_SKIP:
            return True
        if not self.clean:
            return False
        if tag in CLEAN_SKIP_TAGS:
            return True
        a = dict(attrs)
        cls = (a.get("class") or "").split()
        if any(c in CLEAN_SKIP_CLASSES for c in cls):
            return True
        if (a.get("id") or "") in CLEAN_SKIP_IDS:
            return True
        if (a.get("role") or "") in CLEAN_SKIP_ROLES:
            return True
        if "display: none" in (a.get("style") or ""):
            return True
        return False

    def _open_effects(self, tag):
        if self.skip:
            return
        if tag == "br":
            self._break("B")
        elif tag in ("td", "th"):
            if self.clean:
                self._text(" | " if not self.at_break else "")
            else:
                self._break("B")
        elif tag in BLOCK:
            if self.clean and tag in LINE_BLOCK:
                self._break("B")
                if tag == "li":
                    self.prefix = "- "
            else:
                self._break("B" if not self.clean else "P")

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            if not self.skip:
                if tag == "br":
                    self._break("B")
                elif tag == "hr":
                    self._break("P" if self.clean else "B")
            return
        skipped = self._skips(tag, attrs)
        self._open_effects(tag)
        is_pre = tag in ("pre", "textarea", "xmp", "listing")
        is_cell = tag in ("td", "th")
        self.stack.append((tag, skipped, is_pre, is_cell))
        if skipped:
            self.skip += 1
        if is_pre:
            self.pre += 1
        if is_cell:
            self.cell += 1

    def handle_startendtag(self, tag, attrs):
        if tag in VOID:
            self.handle_starttag(tag, attrs)
        else:
            self.handle_starttag(tag, attrs)
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not any(t == tag for t, *_ in self.stack):
            return
        while self.stack:
            t, skipped, is_pre, is_cell = self.stack.pop()
            if skipped:
                self.skip -= 1
            if is_pre:
                self.pre -= 1
            if is_cell:
                self.cell -= 1
            if not self.skip and t in BLOCK and t not in ("td", "th"):
                if self.clean and t in LINE_BLOCK:
                    self._break("B")
                else:
                    self._break("B" if not self.clean else "P")
            if t == tag:
                break

    def handle_data(self, data):
        if not self.skip:
            self._text(data)

    def result(self):
        text = "".join(self.pieces)

        def repl(m):
            s = m.group(0)
            return "\n\n" if "P" in s else "\n" * min(2, s.count("B"))

        text = _MARK_RUN.sub(repl, text)
        if self.clean:
            text = re.sub(r"(?m)^ ?\| ", "", text)
        text = "\n".join(line.rstrip() for line in text.split("\n"))
        text = re.sub(r"\n{3,}", "\n\n", text)
        if not self.clean:
            text = re.sub(r"\n{2,}", "\n", text)  # WET-like: one line per text block
        return text.strip("\n")


def html_to_text(markup, clean=True):
    """clean=True: main text only (menus, sidebars, footers, TOCs, head removed);
    clean=False: naive tag stripping of the whole page (only script/style dropped)."""
    p = _HTMLText(clean)
    p.feed(markup)
    p.close()
    return normalize_text(p.result())


# ---------------------------------------------------------------------------
# Chunking
# ---------------------------------------------------------------------------

def _blen(s):
    return len(s.encode("utf-8"))


def _split_long(unit, max_bytes):
    """Split a unit longer than max_bytes at line ends, then at spaces, then anywhere."""
    if _blen(unit) <= max_bytes:
        return [unit]
    out, cur, cur_b = [], [], 0
    for line in unit.splitlines(keepends=True):
        lb = _blen(line)
        if lb > max_bytes:
            if cur:
                out.append("".join(cur))
                cur, cur_b = [], 0
            words = re.split(r"(?<= )", line)
            piece, pb = [], 0
            for w in words:
                wb = _blen(w)
                if pb + wb > max_bytes and piece:
                    out.append("".join(piece))
                    piece, pb = [], 0
                while wb > max_bytes:  # a single enormous token (<= 4 bytes a character)
                    cut = max_bytes // 4
                    out.append(w[:cut])
                    w = w[cut:]
                    wb = _blen(w)
                piece.append(w)
                pb += wb
            if piece:
                out.append("".join(piece))
            continue
        if cur_b + lb > max_bytes and cur:
            out.append("".join(cur))
            cur, cur_b = [], 0
        cur.append(line)
        cur_b += lb
    if cur:
        out.append("".join(cur))
    return out


def split_units(text, sep_regex=r"\n[ \t]*\n(?:[ \t]*\n)*"):
    """Paragraph units, each keeping the separator that follows it."""
    parts = re.split("(" + sep_regex + ")", text)
    units = []
    for i in range(0, len(parts), 2):
        u = parts[i] + (parts[i + 1] if i + 1 < len(parts) else "")
        if u:
            units.append(u)
    return units


def chunk_units(units, max_bytes=MAX_DOC_BYTES, target=TARGET_CHUNK_BYTES):
    """Greedy packing of paragraph units into chunks of roughly equal size <= max_bytes."""
    pieces = []
    for u in units:
        pieces.extend(_split_long(u, max_bytes))
    sizes = [_blen(p) for p in pieces]
    total = sum(sizes)
    if total <= max_bytes and total <= 1.5 * target:
        return ["".join(pieces)]
    n = max(2, math.ceil(total / target))
    goal = total / n
    chunks, cur, cur_b = [], [], 0
    for p, b in zip(pieces, sizes):
        if cur and (cur_b + b > max_bytes or cur_b >= goal or
                    (cur_b + b > goal and abs(cur_b + b - goal) > abs(cur_b - goal))):
            chunks.append("".join(cur))
            cur, cur_b = [], 0
        cur.append(p)
        cur_b += b
    if cur:
        last = "".join(cur)
        if chunks and cur_b < 600 and _blen(chunks[-1]) + cur_b <= max_bytes:
            chunks[-1] += last
        else:
            chunks.append(last)
    return chunks


def clean_chunks(chunks):
    out = []
    for c in chunks:
        c = c.strip("\n").rstrip()
        if c.strip():
            out.append(c)
    return out


def chunk_text(text, sep_regex=r"\n[ \t]*\n(?:[ \t]*\n)*"):
    text = text.strip("\n")
    if not text.strip():
        return []
    return clean_chunks(chunk_units(split_units(text, sep_regex)))


# ---------------------------------------------------------------------------
# Documents and selection
# ---------------------------------------------------------------------------

def stable_hash(*parts, n=16):
    h = hashlib.sha1("\x1f".join(str(p) for p in parts).encode("utf-8"))
    return h.hexdigest()[:n]


def pick_format(source, path, shares):
    """Output format of one input file: a fixed pseudo-random draw weighted by `shares`."""
    u = int(stable_hash(SEED, "format", source, path), 16) / 16 ** 16
    acc = 0.0
    for fmt, share in shares.items():
        acc += share
        if u < acc:
            return fmt
    return list(shares)[-1]


class Selector:
    """Fills each source up to its byte budget with chunks of input files taken in a fixed
    pseudo-random file order; at most `per_file` chunks of a file, exact duplicates dropped."""

    def __init__(self):
        self.docs = []
        self.seen = set()
        self.candidates = {}  # source -> files looked at

    def fill(self, source, shares_key, candidates, load, lang, fmt):
        """candidates: [(Package, path)]; load(pkg, path) -> [chunk text]."""
        budget, per_file, shares = SOURCES[shares_key]
        order = sorted(candidates, key=lambda c: stable_hash(SEED, source, c[0].name, c[1]))
        total, files = 0, 0
        for pkg, path in order:
            if total >= budget:
                break
            chunks = load(pkg, path)
            n = len(chunks)
            keep = [i for i, c in enumerate(chunks) if MIN_DOC_BYTES <= _blen(c) <= MAX_DOC_BYTES]
            if len(keep) > per_file:
                keep = sorted(sorted(keep, key=lambda i: stable_hash(SEED, path, i))[:per_file])
            out_fmt = pick_format(source, path, shares)
            took = 0
            for i in keep:
                h = hashlib.sha1(chunks[i].encode("utf-8")).digest()
                if h in self.seen:
                    continue
                self.seen.add(h)
                self.docs.append({
                    "id": f"{source}/{stable_hash(pkg.name, path, i)}",
                    "text": chunks[i], "source": source, "package": pkg.name, "path": path,
                    "lang": lang, "fmt": fmt, "chunk": i, "n_chunks": n, "out": out_fmt,
                })
                total += _blen(chunks[i])
                took += 1
            files += took > 0
        self.candidates[source] = {"files_available": len(candidates), "files_used": files}
        log(f"  {source:14s} {files:4d} files {total / 1e6:6.2f} MB")


# ---------------------------------------------------------------------------
# Sources
# ---------------------------------------------------------------------------

MAN_ENV = dict(os.environ, LC_ALL="C.UTF-8", LANG="C.UTF-8", MANWIDTH="80", MANPAGER="cat",
               PAGER="cat", MANROFFSEQ="", MAN_DISABLE_SECCOMP="1")
MAN_ENV.pop("MAN_KEEP_FORMATTING", None)
MAN_ENV.pop("MANOPT", None)


def is_so_stub(real_path):
    try:
        src = decode(read_bytes(real_path))
    except OSError:
        return True
    body = [ln for ln in src.splitlines() if ln.strip() and not ln.startswith(('.\\"', "'\\\""))]
    return len(body) <= 2 and any(ln.startswith(".so ") for ln in body)


def render_man(real_path):
    r = subprocess.run(["man", "--no-hyphenation", "--no-justification", "-l", real_path],
                       capture_output=True, env=MAN_ENV, timeout=120)
    if r.returncode != 0:
        return None
    text = r.stdout.decode("utf-8", "replace")
    text = re.sub(r".\x08", "", text)  # overstrike, in case col -b was not applied
    return normalize_text(text)


PYDOC_ROOT = "/usr/share/doc/python3.11/html/"
PYDOC_EXCLUDE = {"contents.html", "genindex-all.html"}  # 2.5 MB TOC / index duplicates
HANDBOOK_ROOT = "/usr/share/doc/debian-handbook/html/"


def collect(pkgs, sel):
    # python3.11-doc: disjoint clean / raw halves (index-like pages always raw), as in dev
    pd = pkgs["python3.11-doc"]
    clean_c, raw_c = [], []
    for p in pd.files():
        if not (p.startswith(PYDOC_ROOT) and p.endswith(".html")):
            continue
        rel = p[len(PYDOC_ROOT):]
        if rel in PYDOC_EXCLUDE or rel.startswith("_"):
            continue
        indexy = rel.startswith(("genindex", "py-modindex", "search"))
        raw = indexy or int(stable_hash("pydoc-split", rel), 16) % 2 == 1
        (raw_c if raw else clean_c).append((pd, p))
    sel.fill("pydoc-clean", "pydoc-clean", clean_c,
             lambda k, p: chunk_text(html_to_text(decode(read_bytes(k.real(p))), clean=True)),
             "en", "html-clean")
    sel.fill("pydoc-raw", "pydoc-raw", raw_c,
             lambda k, p: chunk_text(html_to_text(decode(read_bytes(k.real(p))), clean=False),
                                     r"\n"),
             "en", "html-raw")

    g = pkgs["git-doc"]
    sel.fill("git-doc", "git-doc",
             [(g, p) for p in g.files() if p.startswith("/usr/share/doc/git-doc/") and p.endswith(".txt")],
             lambda k, p: chunk_text(normalize_text(decode(read_bytes(k.real(p))))),
             "en", "asciidoc")

    pl = pkgs["perl-doc"]
    sel.fill("perl-doc", "perl-doc", [(pl, p) for p in pl.files() if p.endswith(".pod")],
             lambda k, p: chunk_text(normalize_text(decode(read_bytes(k.real(p))))),
             "en", "pod")

    man_c = []
    for name in ("manpages", "manpages-dev"):
        k = pkgs[name]
        man_c += [(k, p) for p in k.files() if p.startswith("/usr/share/man/") and
                  re.search(r"/man[0-9][^/]*/[^/]+\.[0-9][^/]*$", p)]

    def load_man(k, p):
        if is_so_stub(k.real(p)):
            return []
        t = render_man(k.real(p))
        return chunk_text(t) if t else []
    sel.fill("man", "man", man_c, load_man, "en", "man")

    f = pkgs["fortunes"]

    def load_fortunes(k, p):
        text = normalize_text(decode(read_bytes(k.real(p))))
        chunks = clean_chunks(chunk_units(split_units(text, r"\n%\n")))
        return [re.sub(r"\n%$", "", c) for c in chunks]
    sel.fill("fortunes", "fortunes",
             [(f, p) for p in f.files() if p.startswith("/usr/share/games/fortunes/")
              and not p.endswith((".dat", ".u8"))],
             load_fortunes, "en", "fortune")

    code_c = []
    for name in ("libpython3.11-minimal", "libpython3.11-stdlib"):
        k = pkgs[name]
        for p in k.files():
            if not (p.startswith("/usr/lib/python3.11/") and p.endswith(".py")):
                continue
            if any(x in ("test", "tests", "idle_test", "site-packages", "dist-packages")
                   for x in p.split("/")[4:-1]):
                continue
            code_c.append((k, p))
    sel.fill("code-python", "code-python", code_c,
             lambda k, p: chunk_text(normalize_text(decode(read_bytes(k.real(p))))),
             None, "python")

    # debian-handbook: small pages as raw HTML (one document a page), the other pages'
    # main text in 8 non-English languages
    hb = pkgs["debian-handbook"]
    raw_html = []
    for p in hb.files():
        rel = p[len(HANDBOOK_ROOT):]
        if p.startswith(HANDBOOK_ROOT) and p.endswith(".html") and rel.count("/") == 1 \
                and rel.split("/")[0] in HANDBOOK_HTML_LANGS \
                and 600 <= os.path.getsize(hb.real(p)) <= MAX_DOC_BYTES:
            raw_html.append((hb, p))
    sel.fill("handbook-html", "handbook-html", raw_html,
             lambda k, p: [read_bytes(k.real(p)).decode("utf-8")], None, "html")
    raw_paths = {p for _, p in raw_html}
    for lang in HANDBOOK_LANGS:
        root = f"{HANDBOOK_ROOT}{lang}/"
        short = lang.split("-")[0] if lang.split("-")[0] not in ("pt", "zh") else lang.lower()
        cands = [(hb, p) for p in hb.files() if p.startswith(root) and p.endswith(".html")
                 and "/" not in p[len(root):] and p not in raw_paths]
        sel.fill(f"handbook-{short}", "handbook", cands,
                 lambda k, p: chunk_text(html_to_text(decode(read_bytes(k.real(p))), clean=True)),
                 short, "html-clean")
    # handbook-html docs carry their language in the path
    for d in sel.docs:
        if d["source"] == "handbook-html":
            d["lang"] = d["path"][len(HANDBOOK_ROOT):].split("/")[0].split("-")[0]


# ---------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------

# Characters that str.splitlines() (and some JSONL readers) treat as line breaks, plus
# DEL and the C1 controls: written as \uXXXX escapes so one document stays one line.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029]")


def dumps(d, ascii_only=False):
    s = json.dumps(d, ensure_ascii=ascii_only, separators=(",", ":"))
    return _JSON_UNSAFE.sub(lambda m: "\\u%04x" % ord(m.group()), s)


def gz(data):
    """gzip member with mtime 0 and no file name, fixed level."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=GZIP_LEVEL, mtime=0) as f:
        f.write(data)
    return buf.getvalue()


def url_of(d):
    rel = d["path"]
    if d["source"].startswith("pydoc"):
        url = "https://docs.python.org/3.11/" + rel[len(PYDOC_ROOT):]
    elif rel.startswith(HANDBOOK_ROOT):
        lang, page = rel[len(HANDBOOK_ROOT):].split("/", 1)
        url = f"https://debian-handbook.info/browse/{lang}/stable/{page}"
    else:
        raise ValueError(f"no url scheme for {rel}")
    return url if d["n_chunks"] == 1 else f"{url}#part-{d['chunk']}"


def dolma_record(d):
    return {"id": d["id"], "text": d["text"], "source": d["source"], "added": ADDED,
            "metadata": {"path": d["path"], "package": d["package"], "lang": d["lang"],
                         "format": d["fmt"], "chunk": d["chunk"], "n_chunks": d["n_chunks"]}}


def member_name(d):
    """tar member name: <source>/<path below the package's doc/man root>[.part-NN].txt"""
    p = d["path"]
    for root in ("/usr/share/doc/git-doc/", "/usr/share/man/", HANDBOOK_ROOT,
                 "/usr/share/doc/", "/usr/share/", "/usr/"):
        if p.startswith(root):
            p = p[len(root):]
            break
    p = re.sub(r"\.gz$", "", p)
    if d["fmt"] == "html":
        return f"{d['source']}/{p}"
    if p.endswith(".txt"):
        p = p[:-4]
    part = f".part-{d['chunk']:02d}" if d["n_chunks"] > 1 else ""
    return f"{d['source']}/{p}{part}.txt"


def tar_gz(members):
    """members: [(name, bytes)] -> deterministic .tar.gz (USTAR, directories first, fixed owner)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        made = set()
        for name, data in sorted(members):
            parts = name.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                dname = "/".join(parts[:i])
                if dname in made:
                    continue
                made.add(dname)
                ti = tarfile.TarInfo(dname)
                ti.type, ti.mode = tarfile.DIRTYPE, 0o755
                ti.mtime, ti.uid, ti.gid, ti.uname, ti.gname = TAR_MTIME, 0, 0, "root", "root"
                tar.addfile(ti)
            ti = tarfile.TarInfo(name)
            ti.size, ti.mode = len(data), 0o644
            ti.mtime, ti.uid, ti.gid, ti.uname, ti.gname = TAR_MTIME, 0, 0, "root", "root"
            tar.addfile(ti, io.BytesIO(data))
    return gz(buf.getvalue())


def warc_uuid(*parts):
    return "<urn:uuid:%s>" % uuid.UUID(bytes=hashlib.sha1(
        "\x1f".join(parts).encode("utf-8")).digest()[:16], version=4)


def warc_record(headers, block):
    head = "WARC/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
    head += f"Content-Length: {len(block)}\r\n\r\n"
    return head.encode("utf-8") + block + b"\r\n\r\n"


def wet_file(docs, filename):
    """Common Crawl style WET: a warcinfo record, then one `conversion` record a document,
    each record its own gzip member."""
    info = ("Software-Info: build_sample_corpus.py (DataRater sample corpus)\r\n"
            "Extracted-Date: Sun, 23 Nov 2025 00:00:00 GMT\r\n"
            "robots: classic\r\n"
            "isPartOf: DATARATER-SAMPLE\r\n"
            "operator: DataRater\r\n"
            "description: Tag-stripped pages of the Python 3.11 documentation shipped by "
            "Debian's python3.11-doc, with navigation text kept\r\n").encode("utf-8")
    recs = [warc_record([("WARC-Type", "warcinfo"), ("WARC-Date", WARC_DATE),
                         ("WARC-Filename", filename), ("WARC-Record-ID", warc_uuid("warcinfo", filename)),
                         ("Content-Type", "application/warc-fields")], info)]
    for d in docs:
        block = d["text"].encode("utf-8")
        digest = base64.b32encode(hashlib.sha1(block).digest()).decode("ascii")
        url = url_of(d)
        recs.append(warc_record([
            ("WARC-Type", "conversion"), ("WARC-Target-URI", url), ("WARC-Date", WARC_DATE),
            ("WARC-Record-ID", warc_uuid("conversion", url)),
            ("WARC-Refers-To", warc_uuid("response", url)),
            ("WARC-Block-Digest", "sha1:" + digest),
            ("WARC-Identified-Content-Language", "eng"),
            ("Content-Type", "text/plain")], block))
    return b"".join(gz(r) for r in recs)


def split_lines(lines, n_parts):
    """Cut a list of byte lines into n_parts runs of about equal total size."""
    total = sum(len(x) for x in lines)
    goal = total / n_parts
    parts, cur, cur_b = [], [], 0
    for ln in lines:
        if cur and cur_b + len(ln) / 2 > goal and len(parts) < n_parts - 1:
            parts.append(cur)
            cur, cur_b = [], 0
        cur.append(ln)
        cur_b += len(ln)
    if cur:
        parts.append(cur)
    return parts


# ---------------------------------------------------------------------------
# Deliberately bad records (the reject path)
# ---------------------------------------------------------------------------

def bad_malformed_json(d):
    """A Dolma line cut off in the middle: not valid JSON (valid UTF-8, no closing brace)."""
    s = dumps(dict(dolma_record(d), id="bad/malformed-json"))
    return s[: len(s) * 3 // 5].rstrip("\\").encode("utf-8") + b"\n"


def bad_invalid_utf8(d):
    """A well-formed Dolma line whose `text` string holds bytes that are not UTF-8."""
    text = d["text"]
    cut = text.find(" ", len(text) // 2)
    cut = cut if cut > 0 else len(text) // 2
    rec = dict(dolma_record(d), id="bad/invalid-utf8", text=text[:cut] + "\ue000" + text[cut:])
    line = dumps(rec).encode("utf-8")
    return line.replace("\ue000".encode("utf-8"), b"caf\xe9 \xff\xfe \xc3(") + b"\n"


def bad_missing_text(d):
    """A Pile line without `text` (the content sits under another key)."""
    return (dumps({"content": d["text"], "meta": {"pile_set_name": d["source"]}}, True)
            + "\n").encode("utf-8")


def bad_non_string_text(d):
    """A C4 line whose `text` is a list of paragraphs, not a string."""
    paras = [p for p in d["text"].split("\n") if p.strip()]
    return (dumps({"text": paras, "url": url_of(d) + "?bad=non-string-text",
                   "timestamp": C4_TIMESTAMP}) + "\n").encode("utf-8")


def insert_at(lines, line_bytes, salt):
    """Insert one line at a seeded position (not first or last); returns its 1-based number."""
    pos = random.Random(f"{SEED}-{salt}").randrange(1, len(lines))
    lines.insert(pos, line_bytes)
    return pos + 1


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------

def write_file(out_dir, rel, data):
    path = os.path.join(out_dir, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.replace(path + ".tmp", path)


def file_entry(rel, fmt, docs, data, raw, bad=0, **extra):
    e = {"file": rel, "format": fmt, "docs": docs, "bad_records": bad, "bytes": len(data),
         "bytes_uncompressed": len(raw), "sha256": hashlib.sha256(data).hexdigest(),
         "sha256_uncompressed": hashlib.sha256(raw).hexdigest()}
    e.update(extra)
    log(f"wrote {rel}: {docs} docs (+{bad} bad), {len(raw) / 1e6:.2f} MB -> {len(data) / 1e6:.2f} MB")
    return e


def build(out_dir, pkgs, zstd):
    sel = Selector()
    log("collecting")
    collect(pkgs, sel)
    by_fmt = {f: [] for f in OUTPUT_FILES}
    for d in sorted(sel.docs, key=lambda d: d["id"]):
        by_fmt[d["out"]].append(d)
    for f, ds in by_fmt.items():
        if f != "tar-html" and f != "tar-txt":
            random.Random(f"{SEED}-{f}").shuffle(ds)

    files, bad = [], []

    # Dolma: two shards; the second as independent zstd frames of about 256 KB each
    dolma = by_fmt["dolma"]
    lines = [(dumps(dolma_record(d)) + "\n").encode("utf-8") for d in dolma]
    shards = split_lines(lines, 2)
    cctx = zstd.ZstdCompressor(level=ZSTD_LEVEL, write_checksum=True, write_content_size=True)
    n_good = [len(s) for s in shards]
    ln = insert_at(shards[0], bad_malformed_json(dolma[1]), "malformed")
    bad.append({"file": OUTPUT_FILES["dolma"][0], "line": ln, "kind": "malformed-json",
                "id": "bad/malformed-json"})
    ln = insert_at(shards[1], bad_invalid_utf8(dolma[2]), "utf8")
    bad.append({"file": OUTPUT_FILES["dolma"][1], "line": ln, "kind": "invalid-utf8",
                "id": "bad/invalid-utf8"})
    for i, (rel, sh) in enumerate(zip(OUTPUT_FILES["dolma"], shards)):
        raw = b"".join(sh)
        if i == 0:
            frames = [raw]
        else:
            frames = [b"".join(p) for p in split_lines(sh, max(1, round(len(raw) / 262_144)))]
        data = b"".join(cctx.compress(fr) for fr in frames)
        write_file(out_dir, rel, data)
        files.append(file_entry(rel, "dolma", n_good[i], data, raw, 1, zstd_frames=len(frames)))

    # Pile: ASCII-escaped JSON (\uXXXX), as the Pile's own files
    pile = by_fmt["pile"]
    lines = [(dumps({"text": d["text"], "meta": {"pile_set_name": d["source"]}}, True)
              + "\n").encode("utf-8") for d in pile]
    ln = insert_at(lines, bad_missing_text(pile[0]), "missing")
    bad.append({"file": OUTPUT_FILES["pile"][0], "line": ln, "kind": "missing-text"})
    raw = b"".join(lines)
    data = gz(raw)
    write_file(out_dir, OUTPUT_FILES["pile"][0], data)
    files.append(file_entry(OUTPUT_FILES["pile"][0], "pile", len(pile), data, raw, 1))

    # C4
    c4 = by_fmt["c4"]
    lines = [(dumps({"text": d["text"], "url": url_of(d), "timestamp": C4_TIMESTAMP})
              + "\n").encode("utf-8") for d in c4]
    ln = insert_at(lines, bad_non_string_text(c4[0]), "nonstring")
    bad.append({"file": OUTPUT_FILES["c4"][0], "line": ln, "kind": "non-string-text",
                "url": url_of(c4[0]) + "?bad=non-string-text"})
    raw = b"".join(lines)
    data = gz(raw)
    write_file(out_dir, OUTPUT_FILES["c4"][0], data)
    files.append(file_entry(OUTPUT_FILES["c4"][0], "c4", len(c4), data, raw, 1))

    # tar.gz archives, one document a member (.txt: text + "\n"; .html: the page's bytes)
    for f in ("tar-txt", "tar-html"):
        members = []
        for d in by_fmt[f]:
            body = d["text"].encode("utf-8")
            members.append((member_name(d), body if d["fmt"] == "html" else body + b"\n"))
        names = [m[0] for m in members]
        if len(set(names)) != len(names):
            raise SystemExit(f"{f}: duplicate tar member names")
        data = tar_gz(members)
        raw = gzip.decompress(data)
        write_file(out_dir, OUTPUT_FILES[f][0], data)
        files.append(file_entry(OUTPUT_FILES[f][0], "tar", len(members), data, raw))

    # WET
    rel = OUTPUT_FILES["wet"][0]
    data = wet_file(by_fmt["wet"], os.path.basename(rel))
    raw = gzip.decompress(data)
    write_file(out_dir, rel, data)
    files.append(file_entry(rel, "wet", len(by_fmt["wet"]), data, raw,
                            gzip_members=len(by_fmt["wet"]) + 1, warcinfo_records=1))

    docs = sel.docs
    sources = {}
    for d in sorted(docs, key=lambda d: d["source"]):
        s = sources.setdefault(d["source"], {"docs": 0, "bytes": 0, "files_used": 0,
                                             "files_available": 0, "by_format": {}})
        s["docs"] += 1
        s["bytes"] += _blen(d["text"])
        s["by_format"][d["out"]] = s["by_format"].get(d["out"], 0) + 1
    for s, st in sources.items():
        st.update(sel.candidates[s])
        st["by_format"] = dict(sorted(st["by_format"].items()))
    sizes = [_blen(d["text"]) for d in docs]
    return {
        "corpus": "sample",
        "builder": "scripts/sample/build_sample_corpus.py",
        "command": "python3 scripts/sample/build_sample_corpus.py --out shards/sample",
        "seed": SEED,
        "packages": {n: p.version for n, p in sorted(pkgs.items())},
        # compressed bytes depend on these; the uncompressed content does not
        "compression_libraries": {"libzstd": ".".join(map(str, zstd.ZSTD_VERSION)),
                                  "zlib": zlib.ZLIB_RUNTIME_VERSION},
        "docs": len(docs),
        "bad_records": len(bad),
        "bytes_text": sum(sizes),
        "bytes_compressed": sum(f["bytes"] for f in files),
        "doc_bytes": {"min": min(sizes), "median": sorted(sizes)[len(sizes) // 2],
                      "max": max(sizes)},
        "formats": {f: len(ds) for f, ds in by_fmt.items()},
        "sources": sources,
        "bad": bad,
        "files": files,
    }


FORMAT_TEXT = {
    "dolma": "Dolma JSON Lines, zstd",
    "pile": "Pile-style JSON Lines, gzip",
    "c4": "C4-style JSON Lines, gzip",
    "tar-txt": "tar.gz, `.txt` members",
    "tar-html": "tar.gz, raw `.html` members",
    "wet": "WARC/1.0 WET, gzip per record",
}

SOURCE_TEXT = {
    "pydoc-clean": ("python3.11-doc HTML, main text only", "clean prose"),
    "pydoc-raw": ("python3.11-doc HTML (other pages), tag-stripped with menus kept",
                  "boilerplate-heavy, like C4 noclean"),
    "git-doc": ("git manual pages, AsciiDoc", "clean technical prose"),
    "perl-doc": ("Perl documentation, raw POD", "prose with markup"),
    "man": ("manpages, manpages-dev rendered to text by `man -l`", "formatted reference"),
    "fortunes": ("fortune cookies, grouped", "short, varied"),
    "code-python": ("Python standard library source (no tests)", "code"),
    "handbook-html": ("Debian Administrator's Handbook pages as raw HTML (en, de, fr, ja)",
                      "markup and navigation"),
}


def readme(m):
    fmts = list(OUTPUT_FILES)
    out = ["# Sample corpus", "",
           "A small raw corpus bundled with DataRater so the whole pipeline "
           "(`datarater shard shards/sample/` → tokenize → train → score → threshold → write) "
           "runs in minutes on two cores. Real text from Debian packages, mixed in quality, in "
           "every input format the `shard` stage reads, with four deliberately bad records for the "
           "reject path. Generated by `scripts/sample/build_sample_corpus.py`; do not edit by hand.",
           "",
           f"**{m['docs']:,} documents** ({m['bytes_text'] / 1e6:.2f} MB of UTF-8 text, "
           f"{m['doc_bytes']['min']}–{m['doc_bytes']['max']} bytes each, median "
           f"{m['doc_bytes']['median']}) plus **{m['bad_records']} bad records**, "
           f"{m['bytes_compressed'] / 1e6:.2f} MB on disk in {len(m['files'])} files.",
           "", "## Files", "",
           "| file | format | documents | bad records | bytes | uncompressed |",
           "|---|---|---:|---:|---:|---:|"]
    for f in m["files"]:
        kind = next(k for k, v in OUTPUT_FILES.items() if f["file"] in v)
        out.append(f"| `{f['file']}` | {FORMAT_TEXT[kind]} | {f['docs']} | {f['bad_records']} | "
                   f"{f['bytes']:,} | {f['bytes_uncompressed']:,} |")
    out += ["", "Record shapes:", "```",
            '{"id": "<source>/<16 hex>", "text": "...", "source": "<source>", "added": "' + ADDED + '",',
            ' "metadata": {"path": "<path in the .deb>", "package": "<deb>", "lang": "en"|...|null,',
            '              "format": "...", "chunk": i, "n_chunks": n}}            dolma/',
            '{"text": "...", "meta": {"pile_set_name": "<source>"}}                 pile/ (\\uXXXX-escaped)',
            '{"text": "...", "url": "https://...", "timestamp": "' + C4_TIMESTAMP + '"}   c4/',
            "<source>/<path>[.part-NN].txt, debian-handbook pages as <lang>/<page>.html   archives/",
            "WARC/1.0 warcinfo + conversion records (WARC-Target-URI, Content-Length)      wet/",
            "```",
            "- `dolma/part-0001.jsonl.zst` is a sequence of independent zstd frames (about 256 KB "
            "of input each); `part-0000` is one frame. Readers must decode concatenated frames.",
            "- The WET file has one gzip member per record, as Common Crawl's; readers must decode "
            "concatenated gzip members. The other `.gz` files are single members.",
            "- Tar archives are USTAR with directory entries before their files.",
            "- C4 urls and WET target URIs are synthetic, derived from the file's path in the "
            "package (`https://docs.python.org/3.11/…`, `https://debian-handbook.info/browse/…`), "
            "with `#part-N` when a page was cut into several documents.",
            "", "## Sources", "",
            "| source | what it is | quality | documents | text bytes | " + " | ".join(fmts) + " |",
            "|---|---|---|---:|---:|" + "---:|" * len(fmts)]
    for s, st in m["sources"].items():
        if s in SOURCE_TEXT:
            what, q = SOURCE_TEXT[s]
        else:
            what = f"Debian Administrator's Handbook, main text, language `{s.split('-', 1)[1]}`"
            q = "clean prose, not English"
        cells = " | ".join(str(st["by_format"].get(f, "")) for f in fmts)
        out.append(f"| {s} | {what} | {q} | {st['docs']} | {st['bytes']:,} | {cells} |")
    tot = " | ".join(str(m["formats"][f]) for f in fmts)
    out.append(f"| **total** | | | {m['docs']} | {m['bytes_text']:,} | {tot} |")
    out += ["", "Documents are chunks of 200 B – 8 KB cut at paragraph breaks (HTML parser and "
            "chunker taken from the dev-corpus builder, chunks of about 3.2 KB); at most 3 "
            "chunks (fortunes: 4) of any one input file, files taken in a fixed pseudo-random "
            "order until the source's byte budget is met, exact duplicates dropped. Each input "
            "file goes to exactly one format. `handbook-html` documents are whole pages of at most "
            "8,000 bytes, kept as the raw markup with their navigation. The handbook "
            "translations are incomplete upstream: some of their paragraphs are still English.",
            "", "## Bad records (the reject path)", "",
            "| file | line | kind |", "|---|---:|---|"]
    for b in m["bad"]:
        out.append(f"| `{b['file']}` | {b['line']} | {b['kind']} |")
    out += ["", "`malformed-json`: a Dolma line cut off mid-record. `invalid-utf8`: a well-formed "
            "Dolma line whose `text` holds the bytes `E9`, `FF FE` and `C3 28`. `missing-text`: a "
            "Pile line with `content` instead of `text`. `non-string-text`: a C4 line whose `text` "
            "is an array of strings. Every other record is valid.",
            "", "## How it was built", "", "```",
            m["command"], "```", "",
            "The script reads only Debian packages (installing the missing ones with "
            "`apt-get install -y`, so it needs root) and, if absent, pip's `zstandard`. It is "
            "deterministic: sorted inputs, hash-based selection and ids, seeded shuffles, zstd "
            f"level {ZSTD_LEVEL} with checksums, gzip level {GZIP_LEVEL} with mtime 0 and no "
            "file name, tar members with fixed mtime, owner root:root and sorted names, no "
            "timestamps in any output. With the same package versions and the same zlib/zstd "
            "library versions, two runs give byte-identical files (`manifest.json` holds every "
            "file's sha256, compressed and uncompressed). Checked: Debian's python3 3.11.2 with "
            "python3-zstandard 0.20 (libzstd 1.5.4) gives the same uncompressed content and the "
            "same gzip files; only the zstd bytes differ. Compression libraries used here: "
            f"libzstd {m['compression_libraries']['libzstd']}, "
            f"zlib {m['compression_libraries']['zlib']}.",
            "",
            "Check a build against its manifest (counts, sizes, bad records, WARC lengths and "
            "digests, and reading through libarchive/libzstd if present):",
            "```", "python3 scripts/sample/check_sample_corpus.py shards/sample", "```",
            "and build twice into fresh folders, comparing every sha256 with each other and "
            "with this folder: `bash scripts/sample/verify_deterministic.sh`.",
            "",
            "`datarater shard shards/sample/` should read only the data files above and skip "
            "this `README.md` and `manifest.json`.",
            "", "Debian packages read (Debian 12 bookworm):", "",
            "| package | version |", "|---|---|"]
    for n, v in m["packages"].items():
        out.append(f"| {n} | {v} |")
    out += ["", "Licences: every text keeps the licence of the Debian package it came from, as "
            "stated in `/usr/share/doc/<package>/copyright` (for example: the handbook GPL-2.0+ or "
            "CC-BY-SA-3.0; Perl documentation GPL-1+ or Artistic; git documentation mostly GPL-2; "
            "Python documentation and standard library the PSF licence; Linux man-pages their "
            "per-page licences).", ""]
    return "\n".join(out)


def clear_outputs(out_dir):
    """Remove this builder's previous outputs (only its own file names) from out_dir."""
    for rels in OUTPUT_FILES.values():
        for rel in rels:
            for p in (rel, rel + ".tmp"):
                if os.path.exists(os.path.join(out_dir, p)):
                    os.remove(os.path.join(out_dir, p))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="output folder, e.g. shards/sample")
    ap.add_argument("--no-install", action="store_true", help="never call apt-get or pip")
    args = ap.parse_args(argv)
    t0 = time.time()
    zstd = import_zstandard(not args.no_install)
    pkgs = ensure_packages(PACKAGES + TOOL_PACKAGES, install=not args.no_install)
    os.makedirs(args.out, exist_ok=True)
    clear_outputs(args.out)
    m = build(args.out, pkgs, zstd)
    with open(os.path.join(args.out, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(m, f, indent=1, ensure_ascii=False)
        f.write("\n")
    with open(os.path.join(args.out, "README.md"), "w", encoding="utf-8") as f:
        f.write(readme(m))
    log(f"done: {m['docs']} docs + {m['bad_records']} bad records, "
        f"{m['bytes_text'] / 1e6:.2f} MB text, {m['bytes_compressed'] / 1e6:.2f} MB compressed, "
        f"{time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
