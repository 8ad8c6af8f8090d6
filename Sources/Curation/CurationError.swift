import ShardIO

/// Every failure a stage reports to the user: what went wrong, where, and what to do next.
public struct CurationError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case badArguments, inputNotFound, io, manifestCorrupt, shardMismatch, stageNotRun, stageFailed, locked
    }

    public var code: Code
    public var message: String
    /// What the user should do about it.
    public var hint: String?

    public init(_ code: Code, _ message: String, hint: String? = nil) {
        self.code = code
        self.message = message
        self.hint = hint
    }

    public init(_ error: ShardIOError) {
        self.init(.io, error.description)
    }

    public var description: String {
        hint.map { "\(message)\n  hint: \($0)" } ?? message
    }
}
