/// One allocation carved into named scratch regions, owned by a model's workspace and reused on
/// every call (page faults cost more here than the arithmetic of a small model).
public final class ScratchArena<T: BLASScalar> {
    public let base: UnsafeMutablePointer<T>
    public let capacity: Int
    @usableFromInline var used = 0

    /// Allocates `capacity` zeroed scalars.
    public init(capacity: Int) {
        self.capacity = capacity
        base = .allocate(capacity: max(capacity, 1))
        base.initialize(repeating: 0, count: max(capacity, 1))
    }

    deinit { base.deallocate() }

    /// Hands out the next `count` scalars, rounded up to 16 for alignment of the following region.
    /// - Precondition: the arena was sized for every region taken (a programmer error otherwise).
    public func take(_ count: Int) -> UnsafeMutablePointer<T> {
        let rounded = (count + 15) & ~15
        precondition(used + rounded <= capacity, "scratch arena too small: \(used) + \(rounded) > \(capacity)")
        defer { used += rounded }
        return base + used
    }

    /// Size an arena needs to serve `counts` through `take`.
    public static func capacity(for counts: [Int]) -> Int {
        counts.reduce(0) { $0 + (($1 + 15) & ~15) }
    }
}
