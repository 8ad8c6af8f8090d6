/// An input that cannot be read at all: a missing path, a directory that cannot be listed, a
/// file libarchive cannot open. Problems inside a readable file are `Rejection`s instead.
public struct IngestError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// The path does not exist.
        case notFound
        /// The path exists but cannot be read or listed (permissions, not a regular file...).
        case unreadable
        /// libarchive could not open the file or recognise its format.
        case cannotOpen
    }

    public var code: Code
    /// The path as the user gave it or as discovery found it.
    public var path: String
    /// What went wrong (the OS or libarchive message) and what to do next.
    public var message: String

    public init(_ code: Code, path: String, message: String) {
        self.code = code
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}
