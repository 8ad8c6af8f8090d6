/// GELU, tanh approximation: `g(h) = ½h(1 + tanh(u))`, `u = c(h + 0.044715h³)`, `c = sqrt(2/π)`.
///
/// With `t = tanh(u)`, `u_h = c(1 + 3·0.044715h²)`, `u_hh = 6c·0.044715h`:
/// `g'(h) = ½(1 + t) + ½h(1 − t²)u_h`, `g''(h) = (1 − t²)(u_h − h t u_h² + ½h u_hh)`.
public enum GELU {
    @usableFromInline static var c: Double { 0.7978845608028654 }
    @usableFromInline static var k: Double { 0.044715 }

    @inlinable @inline(__always)
    static func value<T: BLASScalar>(_ h: SIMD8<T>) -> SIMD8<T> {
        let u = T(c) * (h + T(k) * h * h * h)
        return 0.5 * h * (1 + T.tanh8(u))
    }

    /// Returns `(g'(h), g''(h))` (for `Float` on the concrete vector type, see `ElementwiseKernels.swift`).
    @inlinable @inline(__always)
    static func derivatives<T: BLASScalar>(_ h: SIMD8<T>) -> (SIMD8<T>, SIMD8<T>) {
        T.geluDerivatives8(h)
    }

    /// `derivatives` in generic vector code (the default of `BLASScalar.geluDerivatives8`).
    @inlinable @inline(__always)
    static func genericDerivatives<T: BLASScalar>(_ h: SIMD8<T>) -> (SIMD8<T>, SIMD8<T>) {
        let h2 = h * h
        let u = T(c) * (h + T(k) * h2 * h)
        let t = T.tanh8(u)
        let uh = T(c) * (1 + T(3 * k) * h2)
        let uhh = T(6 * c * k) * h
        let s = 1 - t * t
        let d1 = 0.5 * (1 + t) + 0.5 * h * s * uh
        let d2 = s * (uh - h * t * uh * uh + 0.5 * h * uhh)
        return (d1, d2)
    }

    /// Loads `n < 8` values, zero-padded.
    @inlinable @inline(__always)
    static func loadTail<T: BLASScalar>(_ p: UnsafePointer<T>, _ n: Int) -> SIMD8<T> {
        var v = SIMD8<T>()
        for i in 0..<n { v[i] = p[i] }
        return v
    }

    @inlinable @inline(__always)
    static func storeTail<T: BLASScalar>(_ v: SIMD8<T>, _ p: UnsafeMutablePointer<T>, _ n: Int) {
        for i in 0..<n { p[i] = v[i] }
    }

    /// Applies `body` to lanes of 8 (the tail zero-padded); `body(i, count)` reads and writes at offset `i`.
    @inlinable @inline(__always)
    static func chunks(_ n: Int, _ body: (Int, Int) -> Void) {
        var i = 0
        while i + 8 <= n { body(i, 8); i += 8 }
        if i < n { body(i, n - i) }
    }

    @inlinable @inline(__always)
    static func ld<T: BLASScalar>(_ p: UnsafePointer<T>, _ i: Int, _ m: Int) -> SIMD8<T> {
        m == 8 ? Vec.load8(p + i) : loadTail(p + i, m)
    }

    @inlinable @inline(__always)
    static func st<T: BLASScalar>(_ v: SIMD8<T>, _ p: UnsafeMutablePointer<T>, _ i: Int, _ m: Int) {
        if m == 8 { Vec.store8(v, p + i) } else { storeTail(v, p + i, m) }
    }

    /// `g = gelu(h)` (may alias).
    @inlinable
    public static func forward<T: BLASScalar>(_ h: UnsafePointer<T>, into g: UnsafeMutablePointer<T>, count n: Int) {
        T.gelu(h, into: g, count: n)
    }

    /// `h̄ = g'(h) ⊙ ḡ` (`dh` may alias `dg`).
    @inlinable
    public static func backward<T: BLASScalar>(
        _ h: UnsafePointer<T>, outputGrad dg: UnsafePointer<T>, inputGrad dh: UnsafeMutablePointer<T>, count n: Int
    ) {
        chunks(n) { i, m in st(derivatives(ld(h, i, m)).0 * ld(dg, i, m), dh, i, m) }
    }

    /// `g' = g'(h) ⊙ h'`.
    @inlinable
    public static func tangentForward<T: BLASScalar>(
        _ h: UnsafePointer<T>, inputTangent ht: UnsafePointer<T>, outputTangent gt: UnsafeMutablePointer<T>, count n: Int
    ) {
        chunks(n) { i, m in st(derivatives(ld(h, i, m)).0 * ld(ht, i, m), gt, i, m) }
    }

    /// Tangent and primal backward in one pass: `h̄' = g'(h) ḡ' + g''(h) h' ḡ`, then `h̄ = g'(h) ḡ`.
    /// `dht` may alias `dgt`, `dh` may alias `dg`.
    @inlinable
    public static func dualBackward<T: BLASScalar>(
        _ h: UnsafePointer<T>, inputTangent ht: UnsafePointer<T>,
        outputGrad dg: UnsafePointer<T>, outputGradTangent dgt: UnsafePointer<T>,
        inputGrad dh: UnsafeMutablePointer<T>, inputGradTangent dht: UnsafeMutablePointer<T>, count n: Int
    ) {
        chunks(n) { i, m in
            let (d1, d2) = derivatives(ld(h, i, m))
            let g = ld(dg, i, m)
            st(d1 * ld(dgt, i, m) + d2 * ld(ht, i, m) * g, dht, i, m)
            st(d1 * g, dh, i, m)
        }
    }
}
