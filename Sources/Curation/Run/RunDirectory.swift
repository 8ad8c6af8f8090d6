import ShardIO

/// The layout of a run directory: one place that knows where every stage's files live.
///
/// ```
/// RUN/manifest.json              every stage run: config, code version, inputs, outputs, counts
/// RUN/docs/00000.jsonl.zst       Dolma documents
/// RUN/rejected/00000.jsonl.zst   input records that could not be read, with file, line and error
/// RUN/tokens/00000.tok.zst       token records aligned with docs/00000
/// RUN/_done/STAGE/00000.json     per-shard completion records
/// ```
public struct RunDirectory: Sendable {
    public let root: String

    public init(_ root: String) {
        var root = root
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        self.root = root
    }

    public var manifestPath: String { path("manifest.json") }
    public var docsDirectory: String { path("docs") }
    public var rejectedDirectory: String { path("rejected") }
    public var tokensDirectory: String { path("tokens") }

    public func path(_ relative: String) -> String { FileIO.join(root, relative) }

    public static func shardName(_ index: Int) -> String {
        let digits = String(index)
        return String(repeating: "0", count: max(0, 5 - digits.count)) + digits
    }

    public func docsShard(_ index: Int) -> String { FileIO.join(docsDirectory, Self.shardName(index) + ".jsonl.zst") }
    public func rejectedShard(_ index: Int) -> String { FileIO.join(rejectedDirectory, Self.shardName(index) + ".jsonl.zst") }
    public func tokenShard(_ index: Int) -> String { FileIO.join(tokensDirectory, Self.shardName(index) + ".tok.zst") }
    public func doneDirectory(_ stage: String) -> String { path("_done/\(stage)") }
    public func doneRecord(_ stage: String, _ index: Int) -> String {
        FileIO.join(doneDirectory(stage), Self.shardName(index) + ".json")
    }

    /// A path relative to the run root, as stored in the manifest (so a run directory can be moved).
    public func relative(_ absolute: String) -> String {
        absolute.hasPrefix(root + "/") ? String(absolute.dropFirst(root.count + 1)) : absolute
    }
}
