import Foundation
import ShardIO
import Yams

/// Reads a pipeline YAML file into a `Pipeline`, strictly: an unknown key, a value of the wrong type or a
/// missing required key is an error naming the file, the line and the key, so a typo never runs silently
/// with a default.
public enum PipelineFile {
    /// The bundled sample pipeline (the default of `datarater run`); the same text as `pipelines/sample.yaml`,
    /// which a test keeps in step.
    public static let sampleName = "pipelines/sample.yaml"

    public static func load(_ path: String) throws -> Pipeline {
        let source = try source(path)
        return try parse(source.text, file: source.file)
    }

    /// The text of a pipeline file.
    public static func source(_ path: String) throws -> PipelineRunner.Source {
        let bytes: [UInt8]
        do { bytes = try FileIO.readFile(path) } catch {
            throw CurationError(.inputNotFound, "\(path): cannot read the pipeline file: \(error)",
                                hint: "pass a pipeline file such as pipelines/sample.yaml")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw CurationError(.badArguments, "\(path): the pipeline file is not UTF-8")
        }
        return PipelineRunner.Source(file: path, text: text)
    }

    public static func parse(_ text: String, file: String) throws -> Pipeline {
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw CurationError(.badArguments, "\(file): not valid YAML: \(error)", hint: "compare with pipelines/sample.yaml")
        }
        guard let root else { throw CurationError(.badArguments, "\(file): the pipeline file is empty") }
        let top = try Section(root, file: file, path: "")
        var p = Pipeline()
        p.name = try top.string("name") ?? p.name
        p.run = try top.string("run") ?? "runs/\(p.name)"
        guard let inputs = try top.strings("inputs"), !inputs.isEmpty else {
            throw top.error("`inputs` is required: a list of input files or directories")
        }
        p.inputs = inputs
        if let s = try top.section("shard") {
            p.shard.shardSize = try s.string("shard_size") ?? p.shard.shardSize
            p.shard.format = try s.oneOf("format", ["auto", "dolma", "pile", "c4", "text"]) ?? p.shard.format
            p.shard.invalidUTF8 = try s.oneOf("invalid_utf8", ["reject", "repair"]) ?? p.shard.invalidUTF8
            p.shard.maxRecordSize = try s.string("max_record_size") ?? p.shard.maxRecordSize
            p.shard.compressionLevel = try s.int("compression_level", in: 1...19) ?? p.shard.compressionLevel
            p.shard.source = try s.string("source")
            try s.finish()
        }
        if let s = try top.section("tokenizer") {
            let path = try s.string("path")
            let train = try s.section("train")
            switch (path, train) {
            case (let path?, nil): p.tokenizer = .file(path)
            case (nil, let t?):
                p.tokenizer = .train(vocabularySize: try t.int("vocab_size", in: 257...65_536) ?? 4096,
                                     sampleSize: try t.string("sample_size") ?? "50MB",
                                     seed: try t.uint64("seed") ?? 0)
                try t.finish()
            default: throw s.error("give either `path` (a tokenizer.json) or `train` (learn one), not both")
            }
            try s.finish()
        }
        if let s = try top.section("tokenize") {
            p.tokenize.workers = try s.int("workers", in: 1...4096) ?? p.tokenize.workers
            p.tokenize.compressionLevel = try s.int("compression_level", in: 1...19)
            try s.finish()
        }
        if let s = try top.section("train") {
            p.train.steps = try s.int("steps", in: 1...10_000_000)
            p.train.seed = try s.uint64("seed")
            p.train.config = try s.string("config")
            p.train.target = try s.string("target")
            p.train.maxTokens = try s.int("max_tokens", in: 1000...Int.max)
            p.train.threads = try s.int("threads", in: 1...1024) ?? p.train.threads
            try s.finish()
        }
        p.models = try top.strings("model") ?? []
        if let s = try top.section("score") {
            p.score.workers = try s.int("workers", in: 1...4096) ?? p.score.workers
            p.score.batchRows = try s.int("batch_rows", in: 1...65_536)
            try s.finish()
        }
        guard let t = try top.section("threshold"), let discard = try t.double("discard") else {
            throw top.error("`threshold.discard` is required: the fraction of documents to discard")
        }
        guard (0..<1).contains(discard) else { throw t.error("`discard` must be in [0, 1), got \(discard)") }
        p.threshold.discard = discard
        p.threshold.perSource = try t.bool("per_source") ?? false
        p.threshold.rule = try t.oneOf("rule", ["quantile", "batch-top-k"]) ?? "quantile"
        p.threshold.batchSize = try t.int("batch_size", in: 2...1_000_000)
        try t.finish()
        if let s = try top.section("write") {
            p.write.workers = try s.int("workers", in: 1...4096) ?? p.write.workers
            try s.finish()
        }
        if let s = try top.section("audit") {
            p.auditHTML = s.has("html") ? try s.string("html") : p.auditHTML
            try s.finish()
        }
        if let s = try top.section("slurm") {
            p.slurm.partition = try s.string("partition")
            p.slurm.account = try s.string("account")
            p.slurm.qos = try s.string("qos")
            p.slurm.time = try s.string("time") ?? p.slurm.time
            p.slurm.memory = try s.string("mem") ?? p.slurm.memory
            p.slurm.maxRetries = try s.int("max_retries", in: 0...100) ?? p.slurm.maxRetries
            p.slurm.pollSeconds = try s.double("poll_seconds") ?? p.slurm.pollSeconds
            p.slurm.extraArguments = try s.strings("extra_args") ?? []
            if let stages = try s.section("stages") {
                for key in stages.keys {
                    let known = ["shard", "train-tokenizer", "tokenize", "train", "score", "threshold", "write", "audit"]
                    guard known.contains(key), let r = try stages.section(key) else {
                        throw stages.error("unknown stage `\(key)`; stages are \(known.joined(separator: ", "))")
                    }
                    p.slurm.stages[key] = Pipeline.StageResources(time: try r.string("time"), memory: try r.string("mem"),
                                                                  cpus: try r.int("cpus", in: 1...1024))
                    try r.finish()
                }
                try stages.finish()
            }
            try s.finish()
        }
        try top.finish()
        return p
    }

    /// A YAML mapping being read: remembers which keys were used so `finish` can reject the rest.
    final class Section {
        let file: String
        let path: String
        let line: Int
        private var entries: [(key: String, value: Node, line: Int)] = []
        private var used: Set<String> = []

        init(_ node: Node, file: String, path: String) throws {
            self.file = file
            self.path = path
            self.line = node.mark?.line ?? 0
            guard case .mapping(let mapping) = node else {
                throw CurationError(.badArguments, "\(file):\(line): \(path.isEmpty ? "the pipeline" : "`\(path)`") must be a mapping of keys to values")
            }
            for (key, value) in mapping {
                guard let name = key.string else {
                    throw CurationError(.badArguments, "\(file):\(key.mark?.line ?? line): keys must be strings")
                }
                entries.append((name, value, key.mark?.line ?? line))
            }
        }

        var keys: [String] { entries.map(\.key) }

        func error(_ message: String, line: Int? = nil) -> CurationError {
            CurationError(.badArguments, "\(file):\(line ?? self.line): \(path.isEmpty ? "" : "\(path): ")\(message)",
                          hint: "pipelines/sample.yaml documents every key")
        }

        func has(_ key: String) -> Bool { entries.contains { $0.key == key } }

        /// The value of `key`, nil when absent or `null`.
        private func value(_ key: String) -> (node: Node, line: Int)? {
            used.insert(key)
            guard let entry = entries.first(where: { $0.key == key }) else { return nil }
            if case .scalar(let scalar) = entry.value, scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string) {
                return nil
            }
            return (entry.value, entry.line)
        }

        private func scalar(_ key: String, _ kind: String) throws -> (text: String, line: Int)? {
            guard let (node, line) = value(key) else { return nil }
            guard case .scalar(let scalar) = node else { throw error("`\(key)` must be \(kind)", line: line) }
            return (scalar.string, line)
        }

        func string(_ key: String) throws -> String? { try scalar(key, "a string")?.text }

        func int(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
            guard let (text, line) = try scalar(key, "an integer") else { return nil }
            guard let value = Int(text.replacingOccurrences(of: "_", with: "")) else {
                throw error("`\(key)` must be an integer, got `\(text)`", line: line)
            }
            guard range.contains(value) else { throw error("`\(key)` must be in \(range.lowerBound)...\(range.upperBound), got \(value)", line: line) }
            return value
        }

        func uint64(_ key: String) throws -> UInt64? {
            guard let (text, line) = try scalar(key, "a non-negative integer") else { return nil }
            guard let value = UInt64(text) else { throw error("`\(key)` must be a non-negative integer, got `\(text)`", line: line) }
            return value
        }

        func double(_ key: String) throws -> Double? {
            guard let (text, line) = try scalar(key, "a number") else { return nil }
            guard let value = Double(text), value.isFinite else { throw error("`\(key)` must be a number, got `\(text)`", line: line) }
            return value
        }

        func bool(_ key: String) throws -> Bool? {
            guard let (text, line) = try scalar(key, "true or false") else { return nil }
            switch text.lowercased() {
            case "true", "yes", "on": return true
            case "false", "no", "off": return false
            default: throw error("`\(key)` must be true or false, got `\(text)`", line: line)
            }
        }

        func oneOf(_ key: String, _ allowed: [String]) throws -> String? {
            guard let (text, line) = try scalar(key, "one of \(allowed.joined(separator: ", "))") else { return nil }
            guard allowed.contains(text) else {
                throw error("`\(key)` must be one of \(allowed.joined(separator: ", ")), got `\(text)`", line: line)
            }
            return text
        }

        func strings(_ key: String) throws -> [String]? {
            guard let (node, line) = value(key) else { return nil }
            switch node {
            case .scalar(let scalar): return [scalar.string]
            case .sequence(let sequence):
                return try sequence.map { item in
                    guard case .scalar(let scalar) = item else { throw error("`\(key)` must be a list of strings", line: item.mark?.line ?? line) }
                    return scalar.string
                }
            default: throw error("`\(key)` must be a list of strings", line: line)
            }
        }

        func section(_ key: String) throws -> Section? {
            guard let (node, _) = value(key) else { return nil }
            return try Section(node, file: file, path: path.isEmpty ? key : "\(path).\(key)")
        }

        /// Rejects keys no reader asked for: a misspelt key is an error, not a silent default.
        func finish() throws {
            for entry in entries where !used.contains(entry.key) {
                let known = used.sorted().joined(separator: ", ")
                throw error("unknown key `\(entry.key)`" + (known.isEmpty ? "" : " (known here: \(known))"), line: entry.line)
            }
        }
    }
}
