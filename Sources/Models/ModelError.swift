/// The one error type of the Models module: what went wrong, where, and what to do next.
public struct ModelError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Code: String, Sendable {
        /// The model configuration is inconsistent (e.g. `d_model` not divisible by `n_heads`).
        case invalidConfig
        /// A batch's shape or lengths are inconsistent.
        case invalidBatch
        /// A sequence is longer than the model's context.
        case sequenceTooLong
        /// A token id is outside `0..<vocab_size`.
        case tokenOutOfRange
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "model error (\(code.rawValue)): \(message)" }
}
