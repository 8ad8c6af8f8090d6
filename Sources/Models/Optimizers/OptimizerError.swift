/// A bad optimizer configuration or a saved optimizer state that does not fit the optimizer.
public struct OptimizerError: Error, CustomStringConvertible, Sendable, Hashable {
    public enum Code: String, Sendable, Hashable {
        /// A hyperparameter is out of its range (negative learning rate, β ∉ [0, 1), …).
        case invalidConfig = "invalid_config"
        /// A saved state belongs to another optimizer kind.
        case stateKindMismatch = "state_kind_mismatch"
        /// A saved state lacks a buffer the optimizer needs.
        case stateMissingBuffer = "state_missing_buffer"
        /// A saved state has a buffer this optimizer does not know.
        case stateUnusedBuffer = "state_unused_buffer"
        /// A saved buffer has another length than the parameter buffer.
        case stateSizeMismatch = "state_size_mismatch"
        /// A saved step counter is negative.
        case stateInvalidStep = "state_invalid_step"
    }

    public var code: Code
    /// What is wrong, naming the optimizer, the field or buffer, and what to do next.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "optimizer error [\(code.rawValue)]: \(message)" }
}
