/// One named parameter tensor inside a model's flat parameter buffer.
///
/// Every model keeps all of its parameters in one contiguous buffer (and its gradients, optimizer
/// moments and tangents in buffers of the same layout). That makes optimizers single loops over
/// memory, checkpoints a list of named slices, and the meta-learning state a handful of big arrays
/// that are allocated once and reused across steps.
public struct ParameterSpec: Sendable, Hashable, Codable {
    /// The safetensors key, e.g. `blocks.0.attn.wq`.
    public var name: String
    /// Row-major shape.
    public var shape: [Int]
    /// First element's index in the flat buffer.
    public var offset: Int

    public var count: Int { shape.reduce(1, *) }
    public var range: Range<Int> { offset..<(offset + count) }

    public init(name: String, shape: [Int], offset: Int) {
        self.name = name
        self.shape = shape
        self.offset = offset
    }
}

/// The ordered list of a model's parameters and their places in its flat buffer.
public struct ParameterLayout: Sendable, Hashable, Codable {
    public private(set) var specs: [ParameterSpec] = []
    /// Total number of scalars.
    public private(set) var count: Int = 0

    public init() {}

    /// Appends a parameter after the existing ones and returns its spec.
    /// - Precondition: `name` is not already present (a programmer error, not a data error).
    @discardableResult
    public mutating func add(_ name: String, shape: [Int]) -> ParameterSpec {
        precondition(self[name] == nil, "duplicate parameter name \(name)")
        precondition(shape.allSatisfy { $0 > 0 }, "parameter \(name) has an empty dimension: \(shape)")
        let spec = ParameterSpec(name: name, shape: shape, offset: count)
        specs.append(spec)
        count += spec.count
        return spec
    }

    public subscript(name: String) -> ParameterSpec? {
        specs.first(where: { $0.name == name })
    }
}
