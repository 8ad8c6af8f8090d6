import ShardIO

/// A stage's settings as canonical `key=value` strings, and their hash.
public struct StageConfiguration: Sendable, Equatable {
    public var values: [String: String]

    public init(_ values: [String: String]) { self.values = values }

    /// sha256 over `key=value\n` lines sorted by key.
    public var hash: String {
        let canonical = values.keys.sorted().map { "\($0)=\(values[$0]!)\n" }.joined()
        return Checksum.of(canonical)
    }
}
