/// Small contiguous-buffer helpers shared by the kernels: SIMD reductions and in-place updates.
///
/// Reductions run on eight lanes (one AVX register for `Float`) so their order, and with it the
/// result, is fixed for a given length.
public enum Vec {
    @inlinable @inline(__always)
    public static func load8<T: BLASScalar>(_ p: UnsafePointer<T>) -> SIMD8<T> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<T>.self)
    }

    @inlinable @inline(__always)
    public static func store8<T: BLASScalar>(_ v: SIMD8<T>, _ p: UnsafeMutablePointer<T>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<T>.self)
    }

    /// `p[0..<n] = 0`.
    @inlinable
    public static func zero<T: BLASScalar>(_ p: UnsafeMutablePointer<T>, _ n: Int) {
        p.update(repeating: 0, count: n)
    }

    /// `y[i] += x[i]`.
    @inlinable
    public static func add<T: BLASScalar>(_ x: UnsafePointer<T>, into y: UnsafeMutablePointer<T>, _ n: Int) {
        for i in 0..<n { y[i] += x[i] }
    }

    /// `y[i] += a · x[i]`.
    @inlinable
    public static func axpy<T: BLASScalar>(_ a: T, _ x: UnsafePointer<T>, into y: UnsafeMutablePointer<T>, _ n: Int) {
        for i in 0..<n { y[i] += a * x[i] }
    }

    /// `Σ x[i]`.
    @inlinable
    public static func sum<T: BLASScalar>(_ x: UnsafePointer<T>, _ n: Int) -> T {
        var acc = SIMD8<T>()
        var i = 0
        while i + 8 <= n { acc += load8(x + i); i += 8 }
        var s = acc.sum()
        while i < n { s += x[i]; i += 1 }
        return s
    }

    /// `Σ x[i] · y[i]`.
    @inlinable
    public static func dot<T: BLASScalar>(_ x: UnsafePointer<T>, _ y: UnsafePointer<T>, _ n: Int) -> T {
        var acc = SIMD8<T>()
        var i = 0
        while i + 8 <= n { acc += load8(x + i) * load8(y + i); i += 8 }
        var s = acc.sum()
        while i < n { s += x[i] * y[i]; i += 1 }
        return s
    }

    /// `max x[i]` for `n ≥ 1`.
    @inlinable
    public static func max<T: BLASScalar>(_ x: UnsafePointer<T>, _ n: Int) -> T {
        precondition(n >= 1)
        var m = x[0]
        var i = 0
        if n >= 8 {
            var acc = load8(x)
            i = 8
            while i + 8 <= n { acc = T.max8(acc, load8(x + i)); i += 8 }
            m = acc[0]
            for lane in 1..<8 where acc[lane] > m { m = acc[lane] }   // `acc.max()` is an out-of-line generic call
        }
        while i < n { if x[i] > m { m = x[i] }; i += 1 }
        return m
    }

    /// `x[i] = exp(x[i] − shift)` and returns `Σ` of the new values.
    @inlinable @inline(__always)
    public static func expShiftedSum<T: BLASScalar>(_ x: UnsafeMutablePointer<T>, _ n: Int, shift: T) -> T {
        T.expShiftedSum(x, n, shift: shift)
    }

    /// `x[i] *= a`.
    @inlinable
    public static func scale<T: BLASScalar>(_ x: UnsafeMutablePointer<T>, _ n: Int, by a: T) {
        for i in 0..<n { x[i] *= a }
    }

    /// In-place softmax of `x[0..<n]`, `n ≥ 1`.
    @inlinable
    public static func softmax<T: BLASScalar>(_ x: UnsafeMutablePointer<T>, _ n: Int) {
        let m = max(x, n)
        let s = expShiftedSum(x, n, shift: m)
        scale(x, n, by: 1 / s)
    }
}
