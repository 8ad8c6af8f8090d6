/// A safetensors file or model checkpoint that cannot be read, written or used.
///
/// Modelled on swift-nio's `FileSystemError`: a machine-readable `code`, the file, the tensor
/// (when one is to blame), what went wrong, what to do next, and the errno of a failed system call.
public struct CheckpointError: Error, CustomStringConvertible, Sendable, Hashable {
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// A system call failed (open, read, write, fsync, rename); `errno` is set.
        case io
        /// The file is shorter than its 8-byte length prefix plus header, or than its tensors' data.
        case truncated
        /// The 8-byte header length is 0, absurdly large, or larger than the file.
        case badHeaderLength = "bad_header_length"
        /// The header is not UTF-8 JSON holding an object.
        case headerNotJSON = "header_not_json"
        /// A header entry lacks or mistypes `dtype`, `shape` or `data_offsets`.
        case badHeaderEntry = "bad_header_entry"
        /// A tensor's `data_offsets` are reversed or disagree with its shape × dtype size.
        case offsetsInvalid = "offsets_invalid"
        /// A tensor's data lies (partly) outside the data section.
        case offsetsOutOfRange = "offsets_out_of_range"
        /// Two tensors' byte ranges overlap.
        case offsetsOverlap = "offsets_overlap"
        /// The tensors leave gaps in the data section or do not reach its end.
        case dataNotCovered = "data_not_covered"
        /// The dtype is unknown, or not one the caller can load (e.g. `I64` into a Float model).
        case wrongDType = "wrong_dtype"
        /// A tensor the expected layout needs is absent.
        case missingTensor = "missing_tensor"
        /// The file holds a tensor the expected layout does not know.
        case unusedTensor = "unused_tensor"
        /// A tensor's shape differs from the expected layout's.
        case shapeMismatch = "shape_mismatch"
        /// A tensor holds NaN or ±∞.
        case nonFinite = "non_finite"
        /// The JSON config beside the weights cannot be read or decoded.
        case badConfig = "bad_config"
        /// A saved optimizer state does not fit the optimizer (see `underlying`).
        case badOptimizerState = "bad_optimizer_state"
    }

    public var code: Code
    /// The file concerned.
    public var path: String
    /// The tensor concerned, if one is.
    public var tensor: String?
    /// What is wrong.
    public var message: String
    /// What the user should do next.
    public var hint: String
    /// `errno` of a failed system call.
    public var errno: Int32?

    public init(_ code: Code, path: String, tensor: String? = nil, _ message: String, hint: String, errno: Int32? = nil) {
        self.code = code
        self.path = path
        self.tensor = tensor
        self.message = message
        self.hint = hint
        self.errno = errno
    }

    public var description: String {
        var text = "checkpoint error [\(code.rawValue)] in \(path)"
        if let tensor { text += ", tensor '\(tensor)'" }
        text += ": \(message)"
        if let errno { text += " (errno \(errno))" }
        return text + ". " + hint
    }
}
