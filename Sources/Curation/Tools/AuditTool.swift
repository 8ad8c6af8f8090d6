import Foundation
import ShardIO

/// `datarater audit RUN [--html FILE] [--compare OTHER_RUN]`: what was kept and discarded, and why.
public enum AuditTool {
    public struct Entry: Sendable {
        public var id: String
        public var source: String
        public var score: Float
        public var quantile: Double
        public var kept: Bool
        public var snippet: String
        public var reason: String?
    }

    public struct SourceStats: Sendable {
        public var kept = 0
        public var discarded = 0
        public var keepRate: Double { kept + discarded == 0 ? 0 : Double(kept) / Double(kept + discarded) }
    }

    public struct Report: Sendable {
        public var run: String
        public var threshold: Threshold
        public var sources: [String: SourceStats]
        public var histogram: (low: Float, high: Float, kept: [Int], discarded: [Int])
        public var lowest: [Entry]
        public var highest: [Entry]
        public var randomDiscarded: [Entry]
        public var nearCutoff: [(band: String, entries: [Entry])]
        public var rejected: Int
        public var counts: [String: Int]
    }

    static let sampleSize = 10

    /// Reads the kept and discarded shards of a run (every document once) into a report.
    public static func report(_ run: RunDirectory) throws -> Report {
        guard let threshold = try JSONFiles.read(Threshold.self, from: run.thresholdPath) else {
            throw CurationError(.stageNotRun, "\(run.root): no threshold.json", hint: "run `datarater threshold` and `datarater write` first")
        }
        let manifest = try Manifest.load(run)
        guard let write = manifest.stages[WriteStage.name], write.status == .complete else {
            throw CurationError(.stageNotRun, "\(run.root): the write stage has not completed", hint: "run `datarater write \(run.root)`")
        }
        var sources: [String: SourceStats] = [:]
        var all: [Entry] = []
        try forEachDecision(run) { entry in
            if entry.kept { sources[entry.source, default: .init()].kept += 1 } else { sources[entry.source, default: .init()].discarded += 1 }
            all.append(entry)
        }
        let scores = all.map(\.score).filter(\.isFinite)
        let low = scores.min() ?? 0, high = scores.max() ?? 1
        let bins = 40
        var kept = [Int](repeating: 0, count: bins), discarded = [Int](repeating: 0, count: bins)
        for entry in all where entry.score.isFinite {
            let position = high > low ? Double((entry.score - low) / (high - low)) : 0
            let bin = min(bins - 1, max(0, Int(position * Double(bins))))
            if entry.kept { kept[bin] += 1 } else { discarded[bin] += 1 }
        }
        let byScore = all.sorted { ($0.score, $0.id) < ($1.score, $1.id) }
        // Deterministic "random" picks: the smallest hashes of the ids.
        func pick(_ entries: [Entry], _ n: Int) -> [Entry] {
            entries.map { ($0, Checksum.of("audit\u{0}" + $0.id)) }.sorted { $0.1 < $1.1 }.prefix(n).map(\.0)
        }
        let cutoffQuantile = threshold.perSource ? threshold.discardFractionRequested : threshold.quantile(of: threshold.cutoff)
        var bands: [(String, [Entry])] = []
        let width = 0.02
        for k in -2..<2 {
            let lo = cutoffQuantile + Double(k) * width, hi = lo + width
            let inBand = all.filter { $0.quantile >= lo && $0.quantile < hi }
            bands.append((String(format: "quantile %.3f–%.3f (%d documents)", max(0, lo), min(1, hi), inBand.count), pick(inBand, 3)))
        }
        return Report(
            run: run.root, threshold: threshold, sources: sources, histogram: (low, high, kept, discarded),
            lowest: Array(byScore.prefix(sampleSize)), highest: Array(byScore.suffix(sampleSize).reversed()),
            randomDiscarded: pick(all.filter { !$0.kept }, sampleSize), nearCutoff: bands,
            rejected: manifest.stages[ShardStage.name]?.counts["rejected"] ?? 0, counts: write.counts)
    }

    /// Calls `body` with every document's decision, from `kept/docs` and `discarded`.
    static func forEachDecision(_ run: RunDirectory, _ body: (Entry) throws -> Void) throws {
        for name in try FileIO.listDirectory(run.path("kept/docs")) where name.hasSuffix(".jsonl.zst") {
            var reader = try JSONLShardReader(path: FileIO.join(run.path("kept/docs"), name))
            while let document = try reader.next({ try Document(jsonLine: $0) }) {
                let info = document.metadata["datarater"]
                let score = info?["score"].flatMap { if case let .number(n) = $0 { Float(n) } else { nil } } ?? .nan
                let quantile = info?["quantile"].flatMap { if case let .number(n) = $0 { Double(n) } else { nil } } ?? .nan
                try body(Entry(id: document.id, source: document.source, score: score, quantile: quantile, kept: true,
                               snippet: snippet(document.text), reason: nil))
            }
        }
        for name in try FileIO.listDirectory(run.path("discarded")) where name.hasSuffix(".jsonl.zst") {
            var reader = try JSONLShardReader(path: FileIO.join(run.path("discarded"), name))
            while let value = try reader.next({ try JSONParser.parse($0) }) {
                func number(_ key: String) -> Double? { if case let .number(n)? = value[key] { return Double(n) } else { return nil } }
                try body(Entry(id: value["id"]?.stringValue ?? "?", source: value["source"]?.stringValue ?? "?",
                               score: Float(number("score") ?? .nan), quantile: number("quantile") ?? .nan, kept: false,
                               snippet: snippet(value["text"]?.stringValue ?? ""), reason: value["reason"]?.stringValue))
            }
        }
    }

    static func snippet(_ text: String, length: Int = 240) -> String {
        let flat = text.prefix(length * 2).map { $0.isNewline || $0 == "\t" ? " " : $0 }
        let s = String(flat.prefix(length))
        return text.count > length ? s + "…" : s
    }

    /// Documents whose decision differs between two runs, by id, with counts per source.
    public struct Comparison: Sendable {
        public var onlyKeptHere: [Entry]
        public var onlyKeptThere: [Entry]
        public var perSource: [String: (keptHereOnly: Int, keptThereOnly: Int)]
        public var common: Int
    }

    public static func compare(_ run: RunDirectory, _ other: RunDirectory) throws -> Comparison {
        var there: [String: Entry] = [:]
        try forEachDecision(other) { there[$0.id] = $0 }
        var result = Comparison(onlyKeptHere: [], onlyKeptThere: [], perSource: [:], common: 0)
        try forEachDecision(run) { entry in
            guard let otherEntry = there[entry.id] else { return }
            result.common += 1
            if entry.kept && !otherEntry.kept {
                result.onlyKeptHere.append(entry)
                result.perSource[entry.source, default: (0, 0)].keptHereOnly += 1
            } else if !entry.kept && otherEntry.kept {
                result.onlyKeptThere.append(otherEntry)
                result.perSource[entry.source, default: (0, 0)].keptThereOnly += 1
            }
        }
        return result
    }

    // MARK: Rendering

    public static func text(_ r: Report) -> String {
        var lines: [String] = []
        let t = r.threshold
        lines.append("audit of \(r.run)")
        lines.append(String(format: "  rule %@, discard requested %.2f%%, estimated %.2f%% (rank error ≤ %.3f%%), cutoff %@",
                            t.rule.rawValue, t.discardFractionRequested * 100, t.discardFractionEstimated * 100,
                            t.rankErrorBound * 100, "\(t.cutoff)"))
        lines.append("  kept \(r.counts["kept"] ?? 0) + discarded \(r.counts["discarded"] ?? 0) = scored \(r.counts["scored"] ?? 0); rejected at input: \(r.rejected)")
        lines.append("  per source (keep rate):")
        for (source, s) in r.sources.sorted(by: { $0.key < $1.key }) {
            lines.append(String(format: "    %-28@ %6d kept %6d discarded  %5.1f%%", source as NSString, s.kept, s.discarded, s.keepRate * 100))
        }
        func list(_ title: String, _ entries: [Entry]) {
            lines.append("  \(title):")
            for e in entries { lines.append(String(format: "    %9.4f %@ [%@] %@", e.score, e.id, e.source, String(e.snippet.prefix(100)))) }
        }
        list("lowest scored", r.lowest)
        list("highest scored", r.highest)
        list("random discarded", r.randomDiscarded)
        for (band, entries) in r.nearCutoff { list("near the cutoff, \(band)", entries) }
        return lines.joined(separator: "\n")
    }

    public static func html(_ r: Report, comparison: Comparison? = nil, otherRun: String? = nil) -> String {
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        let t = r.threshold
        var h = """
        <!doctype html><html><head><meta charset="utf-8"><title>DataRater audit: \(esc(r.run))</title>
        <style>body{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse}
        td,th{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left}td.n{text-align:right}
        .snip{font-family:monospace;font-size:12px;color:#333}.kept{color:#1a7f37}.disc{color:#b42318}h2{margin-top:1.6em}</style>
        </head><body><h1>DataRater audit</h1><p>Run <code>\(esc(r.run))</code>.
        Rule <b>\(t.rule.rawValue)</b>, discard requested \(String(format: "%.2f%%", t.discardFractionRequested * 100)),
        estimated \(String(format: "%.2f%%", t.discardFractionEstimated * 100)) (rank error ≤ \(String(format: "%.3f%%", t.rankErrorBound * 100))),
        cutoff \(t.cutoff). Kept \(r.counts["kept"] ?? 0) + discarded \(r.counts["discarded"] ?? 0) = scored \(r.counts["scored"] ?? 0);
        rejected at input: \(r.rejected).</p>
        """
        h += "<h2>Per-source keep rates</h2>" + keepRateSVG(r.sources)
        h += "<table><tr><th>source</th><th>kept</th><th>discarded</th><th>keep rate</th></tr>"
        for (source, s) in r.sources.sorted(by: { $0.key < $1.key }) {
            h += "<tr><td>\(esc(source))</td><td class=n>\(s.kept)</td><td class=n>\(s.discarded)</td><td class=n>\(String(format: "%.1f%%", s.keepRate * 100))</td></tr>"
        }
        h += "</table><h2>Score histogram</h2>" + histogramSVG(r.histogram, cutoff: t.perSource || t.rule == .batchTopK ? nil : t.cutoff)
        func table(_ title: String, _ entries: [Entry]) {
            h += "<h2>\(esc(title))</h2><table><tr><th>score</th><th>quantile</th><th>id</th><th>source</th><th>text</th></tr>"
            for e in entries {
                h += "<tr><td class=\"n \(e.kept ? "kept" : "disc")\">\(String(format: "%.4f", e.score))</td><td class=n>\(String(format: "%.3f", e.quantile))</td>"
                    + "<td>\(esc(e.id))</td><td>\(esc(e.source))</td><td class=snip>\(esc(e.snippet))</td></tr>"
            }
            h += "</table>"
        }
        table("Lowest scored", r.lowest)
        table("Highest scored", r.highest)
        table("Random discarded documents", r.randomDiscarded)
        for (band, entries) in r.nearCutoff { table("Near the cutoff: \(band)", entries) }
        if let comparison, let otherRun {
            h += "<h2>Compared with <code>\(esc(otherRun))</code></h2><p>\(comparison.common) documents in both; "
                + "\(comparison.onlyKeptHere.count) kept only here, \(comparison.onlyKeptThere.count) kept only there.</p><table><tr><th>source</th><th>kept only here</th><th>kept only there</th></tr>"
            for (source, c) in comparison.perSource.sorted(by: { $0.key < $1.key }) {
                h += "<tr><td>\(esc(source))</td><td class=n>\(c.keptHereOnly)</td><td class=n>\(c.keptThereOnly)</td></tr>"
            }
            h += "</table>"
        }
        h += evaluationSection(RunDirectory(r.run), escape: esc)
        h += "</body></html>\n"
        return h
    }

    /// The `datarater eval` results when `RUN/eval/report.json` exists: per scale the summary, the table of arms and
    /// the loss-against-FLOPs plot (inline), and the path of the full report.
    static func evaluationSection(_ run: RunDirectory, escape esc: (String) -> String) -> String {
        guard let report = try? JSONFiles.read(EvalReport.self, from: run.path("eval/report.json")) else { return "" }
        let directory = FileManager.default.currentDirectoryPath
        let absolute = run.root.hasPrefix("/") ? run.root : directory + "/" + run.root
        var h = "<h2>Evaluation</h2><p>Fresh LMs trained on the same number of tokens from each selection of the inner-train split, "
            + "validation loss against FLOPs (training + selection). Full report: <a href=\"file://\(esc(absolute))/eval/report.md\">"
            + "<code>\(esc(run.root))/eval/report.md</code></a> (and report.json, curves.csv).</p>"
        for scale in report.scales {
            h += "<h3>\(esc(scale.name))</h3><p>\(esc(scale.summary)).</p><table><tr><th>arm</th><th>documents</th><th>final loss</th>"
                + "<th>loss at unfiltered's FLOPs</th><th>compute saved to unfiltered final loss</th></tr>"
            for a in scale.arms {
                h += "<tr><td>\(a.arm.rawValue)</td><td class=n>\(a.documents)</td><td class=n>\(String(format: "%.4f", a.finalLoss))</td>"
                    + "<td class=n>\(a.lossAtEqualCompute.map { String(format: "%.4f", $0) } ?? "—")</td><td class=n>\(a.arm == .unfiltered ? "—" : EvalOutput.pct(a.computeSaved))</td></tr>"
            }
            for b in scale.budgetRuns ?? [] {
                h += "<tr><td>datarater, \(String(format: "%.0f%%", b.fraction * 100)) of unfiltered's FLOPs</td><td class=n>\(b.run.documents)</td>"
                    + "<td class=n>\(String(format: "%.4f", b.run.finalLoss))</td><td class=n>—</td><td class=n>—</td></tr>"
            }
            h += "</table>" + EvalOutput.svg(scale)
        }
        return h
    }

    static func histogramSVG(_ hist: (low: Float, high: Float, kept: [Int], discarded: [Int]), cutoff: Float?) -> String {
        let w = 800.0, hgt = 220.0, pad = 30.0
        let bins = hist.kept.count
        let peak = Double(max(1, zip(hist.kept, hist.discarded).map { $0 + $1 }.max() ?? 1))
        let bw = (w - 2 * pad) / Double(bins)
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(hgt + 30))\" role=\"img\" aria-label=\"score histogram\">"
        for i in 0..<bins {
            let x = pad + Double(i) * bw
            let hd = Double(hist.discarded[i]) / peak * hgt, hk = Double(hist.kept[i]) / peak * hgt
            s += "<rect x=\"\(f(x))\" y=\"\(f(hgt - hd))\" width=\"\(f(bw - 1))\" height=\"\(f(hd))\" fill=\"#e5484d\"/>"
            s += "<rect x=\"\(f(x))\" y=\"\(f(hgt - hd - hk))\" width=\"\(f(bw - 1))\" height=\"\(f(hk))\" fill=\"#30a46c\"/>"
        }
        s += "<line x1=\"\(f(pad))\" y1=\"\(f(hgt))\" x2=\"\(f(w - pad))\" y2=\"\(f(hgt))\" stroke=\"#333\"/>"
        s += "<text x=\"\(f(pad))\" y=\"\(f(hgt + 18))\" font-size=\"12\">\(hist.low)</text>"
        s += "<text x=\"\(f(w - pad))\" y=\"\(f(hgt + 18))\" font-size=\"12\" text-anchor=\"end\">\(hist.high)</text>"
        if let cutoff, hist.high > hist.low {
            let x = pad + Double((cutoff - hist.low) / (hist.high - hist.low)) * (w - 2 * pad)
            s += "<line x1=\"\(f(x))\" y1=\"0\" x2=\"\(f(x))\" y2=\"\(f(hgt))\" stroke=\"#000\" stroke-dasharray=\"4 3\"/>"
            s += "<text x=\"\(f(x + 4))\" y=\"12\" font-size=\"12\">cutoff \(cutoff)</text>"
        }
        s += "<text x=\"\(f(w / 2))\" y=\"\(f(hgt + 18))\" font-size=\"12\" text-anchor=\"middle\">score (green kept, red discarded)</text></svg>"
        return s
    }

    static func keepRateSVG(_ sources: [String: SourceStats]) -> String {
        let rows = sources.sorted { $0.key < $1.key }
        let rowH = 18.0, labelW = 200.0, barW = 500.0
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(labelW + barW + 80))\" height=\"\(Int(Double(rows.count) * rowH + 10))\" role=\"img\" aria-label=\"keep rate per source\">"
        for (i, (source, stats)) in rows.enumerated() {
            let y = Double(i) * rowH + 4
            let name = source.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            s += "<text x=\"\(f(labelW - 6))\" y=\"\(f(y + 12))\" font-size=\"12\" text-anchor=\"end\">\(name)</text>"
            s += "<rect x=\"\(f(labelW))\" y=\"\(f(y))\" width=\"\(f(barW))\" height=\"\(f(rowH - 4))\" fill=\"#f2d5d5\"/>"
            s += "<rect x=\"\(f(labelW))\" y=\"\(f(y))\" width=\"\(f(barW * stats.keepRate))\" height=\"\(f(rowH - 4))\" fill=\"#30a46c\"/>"
            s += "<text x=\"\(f(labelW + barW + 6))\" y=\"\(f(y + 12))\" font-size=\"12\">\(String(format: "%.1f%%", stats.keepRate * 100))</text>"
        }
        return s + "</svg>"
    }

    static func f(_ x: Double) -> String { String(format: "%.1f", x) }
}

extension AuditTool {
    public static func writeHTML(_ page: String, to path: String) throws {
        try FileIO.writeFileAtomically(path, Array(page.utf8))
    }
}
