/// One document in Dolma's document format: `{"id","text","source","added","metadata"}`.
///
/// `metadata` is always a JSON object (possibly empty). `added` is an ISO-8601 UTC timestamp, or nil
/// when the input gave none; the `shard` stage never invents a wall-clock time, so that reruns are
/// byte-identical.
public struct Document: Sendable, Equatable {
    public var id: String
    public var text: String
    public var source: String
    public var added: String?
    public var metadata: JSONValue

    public init(id: String, text: String, source: String, added: String? = nil, metadata: JSONValue = .object([])) {
        self.id = id
        self.text = text
        self.source = source
        self.added = added
        self.metadata = metadata
    }
}
