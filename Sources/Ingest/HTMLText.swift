/// A small, predictable HTML-to-text converter for WARC responses and `.html` members.
///
/// Rules: comments (`<!-- … -->`) and declarations (`<!…>`, `<?…>`) are dropped; `script`,
/// `style`, `noscript`, `template` and `svg` elements are dropped with their content; block
/// tags (`p`, `div`, `h1`–`h6`, `section`, `table`, `ul`, `pre`, `title`, …) end a paragraph
/// (`\n\n`) and `br`, `li`, `tr`, `dt`, `dd`, `hr` end a line (`\n`); other tags vanish.
/// Entities: `&amp; &lt; &gt; &quot; &apos; &nbsp;`, a few typographic ones, and numeric
/// `&#N;`/`&#xH;` (invalid code points → U+FFFD); unknown entities stay as written. Whitespace
/// runs collapse to one space; none is kept at the start or end. `<pre>` gets no special
/// treatment and the charset is assumed to be UTF-8. Linear in the input.
public enum HTMLText {
    public static func extract(_ html: UnsafeRawBufferPointer) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(html.count / 2)
        guard let base = html.baseAddress else { return out }
        let p = base.assumingMemoryBound(to: UInt8.self)
        let n = html.count
        var i = 0
        var pendingSpace = false
        var pendingBreak = 0  // 0, 1 (\n) or 2 (\n\n)

        func emit(_ b: UInt8) {
            if !out.isEmpty {
                if pendingBreak > 0 {
                    out.append(0x0A)
                    if pendingBreak > 1 { out.append(0x0A) }
                } else if pendingSpace {
                    out.append(0x20)
                }
            }
            pendingBreak = 0
            pendingSpace = false
            out.append(b)
        }
        func lower(_ b: UInt8) -> UInt8 { (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b }
        func isAlpha(_ b: UInt8) -> Bool { let l = b | 0x20; return l >= 0x61 && l <= 0x7A }
        func startsWith(_ s: StaticString, at k: Int) -> Bool {
            let m = s.utf8CodeUnitCount
            guard k + m <= n else { return false }
            for j in 0..<m where lower(p[k + j]) != s.utf8Start[j] { return false }
            return true
        }
        /// Index just past the next `>` at or after `k` that is not inside quotes.
        func skipTag(from k: Int) -> Int {
            var j = k
            var quote: UInt8 = 0
            while j < n {
                let b = p[j]
                if quote != 0 { if b == quote { quote = 0 } }
                else if b == 0x22 || b == 0x27 { quote = b }
                else if b == UInt8(ascii: ">") { return j + 1 }
                j += 1
            }
            return n
        }

        while i < n {
            let b = p[i]
            if b == UInt8(ascii: "<") {
                if startsWith("<!--", at: i) {
                    var j = i + 4
                    while j < n && !startsWith("-->", at: j) { j += 1 }
                    i = min(n, j + 3)
                    continue
                }
                if i + 1 < n && (p[i + 1] == UInt8(ascii: "!") || p[i + 1] == UInt8(ascii: "?")) {
                    i = skipTag(from: i + 1)
                    continue
                }
                var j = i + 1
                let closing = j < n && p[j] == UInt8(ascii: "/")
                if closing { j += 1 }
                guard j < n, isAlpha(p[j]) else {
                    emit(b); i += 1; continue  // a lone '<' in text
                }
                var name: [UInt8] = []
                while j < n, isAlpha(p[j]) || (p[j] &- 0x30 < 10), name.count < 16 {
                    name.append(lower(p[j])); j += 1
                }
                i = skipTag(from: j)
                let tag = String(decoding: name, as: UTF8.self)
                if !closing && HTMLText.dropped.contains(tag) {
                    // Skip to the matching close tag.
                    var k = i
                    while k < n {
                        if p[k] == UInt8(ascii: "<") && k + 1 < n && p[k + 1] == UInt8(ascii: "/") {
                            var m = k + 2
                            var close: [UInt8] = []
                            while m < n, isAlpha(p[m]) || (p[m] &- 0x30 < 10), close.count < 16 { close.append(lower(p[m])); m += 1 }
                            if close == name { k = skipTag(from: m); break }
                        }
                        k += 1
                    }
                    i = min(k, n)
                    pendingSpace = true
                    continue
                }
                if HTMLText.lineTags.contains(tag) {
                    pendingBreak = max(pendingBreak, 1)
                } else if HTMLText.blockTags.contains(tag) {
                    pendingBreak = 2
                }
                continue
            }
            if b == UInt8(ascii: "&") {
                if let (scalar, length) = entity(p, i, n) {
                    var bytes: [UInt8] = []
                    ByteScanUTF8.append(scalar, to: &bytes)
                    if scalar == 0x20 { pendingSpace = true } else { for x in bytes { emit(x) } }
                    i += length
                    continue
                }
                emit(b); i += 1; continue
            }
            if b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0C {
                pendingSpace = true
                i += 1
                continue
            }
            emit(b)
            i += 1
        }
        return out
    }

    static let dropped: Set<String> = ["script", "style", "noscript", "template", "svg"]
    static let lineTags: Set<String> = ["br", "li", "tr", "dt", "dd", "hr", "option"]
    static let blockTags: Set<String> = [
        "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "header", "footer",
        "nav", "aside", "main", "table", "ul", "ol", "dl", "pre", "blockquote", "form", "figure",
        "figcaption", "address", "body", "html", "head", "title", "fieldset", "details", "summary",
    ]
    static let named: [String: UInt32] = [
        "amp": 0x26, "lt": 0x3C, "gt": 0x3E, "quot": 0x22, "apos": 0x27, "nbsp": 0x20,
        "copy": 0xA9, "reg": 0xAE, "mdash": 0x2014, "ndash": 0x2013, "hellip": 0x2026,
        "lsquo": 0x2018, "rsquo": 0x2019, "ldquo": 0x201C, "rdquo": 0x201D, "laquo": 0xAB,
        "raquo": 0xBB, "bull": 0x2022, "middot": 0xB7, "euro": 0x20AC, "pound": 0xA3,
        "yen": 0xA5, "cent": 0xA2, "deg": 0xB0, "times": 0xD7, "divide": 0xF7,
    ]

    /// The entity at `p[i] == "&"`: its scalar (nbsp as a plain space) and byte length, or nil.
    static func entity(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> (UInt32, Int)? {
        var j = i + 1
        let limit = min(n, i + 12)
        if j < limit && p[j] == UInt8(ascii: "#") {
            j += 1
            var hex = false
            if j < limit && (p[j] | 0x20) == UInt8(ascii: "x") { hex = true; j += 1 }
            var v: UInt32 = 0
            var digits = 0
            while j < limit, p[j] != UInt8(ascii: ";") {
                let c = p[j]
                let d: UInt32
                if c &- 0x30 < 10 { d = UInt32(c - 0x30) }
                else if hex && (c | 0x20) >= 0x61 && (c | 0x20) <= 0x66 { d = UInt32((c | 0x20) - 0x61 + 10) }
                else { return nil }
                v = min(v * (hex ? 16 : 10) + d, 0x110000)
                digits += 1
                j += 1
            }
            guard digits > 0, j < limit, p[j] == UInt8(ascii: ";") else { return nil }
            if v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) { v = 0xFFFD }
            return (v, j + 1 - i)
        }
        var name: [UInt8] = []
        while j < limit, p[j] != UInt8(ascii: ";") {
            let c = p[j]
            guard (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A else { return nil }
            name.append(c); j += 1
        }
        guard j < limit, let v = named[String(decoding: name, as: UTF8.self)] else { return nil }
        return (v, j + 1 - i)
    }
}

/// UTF-8 encoding of one scalar (Ingest's copy; ShardIO's helper is internal).
enum ByteScanUTF8 {
    static func append(_ v: UInt32, to out: inout [UInt8]) {
        if v < 0x80 {
            out.append(UInt8(v))
        } else if v < 0x800 {
            out.append(UInt8(0xC0 | (v >> 6))); out.append(UInt8(0x80 | (v & 0x3F)))
        } else if v < 0x10000 {
            out.append(UInt8(0xE0 | (v >> 12))); out.append(UInt8(0x80 | ((v >> 6) & 0x3F))); out.append(UInt8(0x80 | (v & 0x3F)))
        } else {
            out.append(UInt8(0xF0 | (v >> 18))); out.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((v >> 6) & 0x3F))); out.append(UInt8(0x80 | (v & 0x3F)))
        }
    }
}
