import ArgumentParser
import Curation

extension DataRaterCommand {
    struct Threshold: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "threshold",
            abstract: "Merge score sketches into a cutoff for a discard fraction.",
            discussion: """
            Writes RUN/threshold.json with the fraction asked for, the fraction the cutoff achieves (to within the \
            stated rank error, at most 0.025% of the documents), and the cutoff. --rule batch-top-k applies the paper's \
            online rule per document instead: keep with the probability of being in the top (1−F)·B of a batch of B.
            """
        )

        @Argument(help: "The run directory.")
        var runDirectory: String

        @Option(help: "Fraction of documents to discard, in [0, 1). The paper: 0.75 on the Pile, 0.5 on C4/noclean, 0.1 on C4.")
        var discard: Double

        @Flag(name: .customLong("per-source"), help: "Discard the fraction within every source instead of over the corpus.")
        var perSource = false

        @Option(help: "quantile (a corpus-wide cutoff) or batch-top-k.")
        var rule: String = "quantile"

        @Option(name: .customLong("batch-size"), help: "Batch size B of the batch-top-k rule.")
        var batchSize: Int = 128

        func validate() throws {
            guard (0..<1).contains(discard) else { throw ValidationError("--discard must be in [0, 1)") }
            guard ["quantile", "batch-top-k"].contains(rule) else { throw ValidationError("--rule must be quantile or batch-top-k") }
            guard batchSize >= 2 else { throw ValidationError("--batch-size must be at least 2") }
        }

        func run() throws {
            var options = ThresholdStage.Options(discardFraction: discard)
            options.perSource = perSource
            options.rule = rule == "batch-top-k" ? .batchTopK : .quantile
            options.batchSize = batchSize
            let directory = RunDirectory(runDirectory)
            let t = try ThresholdStage.run(directory, options: options, command: CommandLine.arguments)
            print(String(format: "threshold: discard %.4g%% asked, %.4g%% estimated (rank error ≤ %.3g%%), cutoff %@ over %d documents → %@",
                         t.discardFractionRequested * 100, t.discardFractionEstimated * 100, t.rankErrorBound * 100,
                         "\(t.cutoff)", t.documents, directory.thresholdPath))
        }
    }

    struct Write: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "write",
            abstract: "Write kept, discarded and rejected documents.",
            discussion: "RUN/kept/ (documents with scores, and kept/tokens.bin + tokens.idx for training), RUN/discarded/ (every discarded document with score, cutoff, rank and reason); rejected input stays in RUN/rejected/."
        )

        @Argument(help: "The run directory.")
        var runDirectory: String

        @OptionGroup var workers: WorkerOptions

        func run() throws {
            var options = WriteStage.Options()
            options.workers = workers.workers
            options.rank = workers.rank
            options.worldSize = workers.worldSize
            let directory = RunDirectory(runDirectory)
            if let record = try WriteStage.run(directory, options: options, command: CommandLine.arguments) {
                let c = record.counts
                print("wrote \(directory.root)/kept: \(c["kept"] ?? 0) kept + \(c["discarded"] ?? 0) discarded = \(c["scored"] ?? 0) scored = \(c["sharded"] ?? 0) sharded; \(c["rejected"] ?? 0) rejected at input; \(c["kept_tokens"] ?? 0) training tokens in kept/tokens.bin")
            }
        }
    }

    struct Audit: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "audit",
            abstract: "Report what was kept and discarded, and why."
        )

        @Argument(help: "The run directory.")
        var runDirectory: String

        @Option(help: "Write a self-contained HTML page (inline SVG plots, no scripts) to this file.")
        var html: String?

        @Option(help: "Another run of the same corpus: list the documents whose decision differs.")
        var compare: String?

        func run() throws {
            let directory = RunDirectory(runDirectory)
            let report = try AuditTool.report(directory)
            print(AuditTool.text(report))
            var comparison: AuditTool.Comparison?
            if let compare {
                let c = try AuditTool.compare(directory, RunDirectory(compare))
                comparison = c
                print("compared with \(compare): \(c.common) documents in both, \(c.onlyKeptHere.count) kept only here, \(c.onlyKeptThere.count) kept only there")
                for (source, counts) in c.perSource.sorted(by: { $0.key < $1.key }) {
                    print("    \(source): \(counts.keptHereOnly) kept only here, \(counts.keptThereOnly) kept only there")
                }
                for entry in (c.onlyKeptHere + c.onlyKeptThere).prefix(20) {
                    print("    \(entry.kept ? "kept here " : "kept there") \(entry.id) [\(entry.source)] score \(entry.score)")
                }
            }
            if let html {
                try AuditTool.writeHTML(AuditTool.html(report, comparison: comparison, otherRun: compare), to: html)
                print("audit page: \(html)")
            }
        }
    }
}
