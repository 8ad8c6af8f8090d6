/// An optimizer over one flat parameter buffer (see `ParameterLayout`).
///
/// State buffers are allocated once, in `init`, with the parameter count; `step` never allocates.
public protocol Optimizer: Sendable {
    associatedtype Scalar: BinaryFloatingPoint & Sendable

    /// The optimizer's name in saved states, e.g. `adamw`.
    static var kind: String { get }

    /// Number of parameters the state was allocated for.
    var count: Int { get }

    /// Number of steps taken (or restored).
    var step: Int { get }

    /// Updates `parameters` in place from `gradients` with learning rate `learningRate`.
    /// - Precondition: both buffers have `count` elements (a programmer error otherwise).
    mutating func update(
        parameters: UnsafeMutableBufferPointer<Scalar>,
        gradients: UnsafeBufferPointer<Scalar>,
        learningRate: Scalar
    )

    /// A copy of the state as named flat arrays plus the step counter.
    func exportState() -> OptimizerState<Scalar>

    /// Replaces the state by a saved one; nothing changes when it throws.
    mutating func importState(_ state: OptimizerState<Scalar>) throws(OptimizerError)
}

extension Optimizer {
    /// `update` on arrays, for callers that do not hold buffer pointers.
    @inlinable
    public mutating func update(parameters: inout [Scalar], gradients: [Scalar], learningRate: Scalar) {
        parameters.withUnsafeMutableBufferPointer { p in
            gradients.withUnsafeBufferPointer { g in
                update(parameters: p, gradients: g, learningRate: learningRate)
            }
        }
    }
}

/// An optimizer's state as named flat arrays, each with the parameter buffer's layout.
///
/// This is what a training checkpoint stores (see `Checkpoint.saveOptimizerState`): for AdamW
/// `exp_avg` and `exp_avg_sq` (PyTorch's names), for SGD `momentum`, and the step counter.
public struct OptimizerState<Scalar: BinaryFloatingPoint & Sendable>: Sendable {
    /// The optimizer's `kind`, checked on import.
    public var kind: String
    /// Steps taken; AdamW's bias correction depends on it.
    public var step: Int
    /// Named buffers, each `count` long.
    public var buffers: [String: [Scalar]]

    public init(kind: String, step: Int, buffers: [String: [Scalar]]) {
        self.kind = kind
        self.step = step
        self.buffers = buffers
    }
}

extension OptimizerState: Equatable where Scalar: Equatable {}

extension OptimizerState {
    /// Checks kind, step and buffer names and sizes against what an optimizer expects.
    @usableFromInline
    func validate(kind expectedKind: String, names: [String], count: Int) throws(OptimizerError) {
        guard kind == expectedKind else {
            throw OptimizerError(.stateKindMismatch,
                "saved state is for optimizer '\(kind)', this run uses '\(expectedKind)'; "
                + "start without the saved optimizer state or use the same optimizer")
        }
        guard step >= 0 else {
            throw OptimizerError(.stateInvalidStep, "saved \(kind) state has step \(step) < 0; the state file is corrupt")
        }
        for name in names {
            guard let buffer = buffers[name] else {
                throw OptimizerError(.stateMissingBuffer,
                    "saved \(kind) state has no buffer '\(name)' (has: \(buffers.keys.sorted().joined(separator: ", ")))")
            }
            guard buffer.count == count else {
                throw OptimizerError(.stateSizeMismatch,
                    "saved \(kind) buffer '\(name)' has \(buffer.count) values, the model has \(count) parameters; "
                    + "the state belongs to another model configuration")
            }
        }
        if let extra = buffers.keys.sorted().first(where: { !names.contains($0) }) {
            throw OptimizerError(.stateUnusedBuffer,
                "saved \(kind) state has an unknown buffer '\(extra)' (expected: \(names.joined(separator: ", ")))")
        }
    }
}
