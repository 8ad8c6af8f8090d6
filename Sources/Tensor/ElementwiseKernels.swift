/// The element-wise loops that dominate once the matrix products are fast (softmax's `exp`, GELU),
/// written twice: generically (the default, used by `Double`) and on the concrete `SIMD8<Float>`.
///
/// Why twice: in generic code an operator on `SIMD8<T>` resolves to the standard library's
/// per-lane implementation, and specialising `T = Float` later keeps that per-lane loop. LLVM
/// re-vectorises small expressions, but not an inlined polynomial: GELU and softmax came out
/// partly scalar and took 30–40% of scoring time at d 64. In a `Float` extension the same source
/// resolves to the concrete vector operators. Both versions compute the same formula lane for
/// lane, so results do not depend on which one runs.
extension BLASScalar {
    @inlinable
    public static func expShiftedSum(_ x: UnsafeMutablePointer<Self>, _ n: Int, shift: Self) -> Self {
        var acc = SIMD8<Self>()
        var i = 0
        let s8 = SIMD8<Self>(repeating: shift)
        while i + 8 <= n {
            let e = exp8(Vec.load8(x + i) - s8)
            Vec.store8(e, x + i)
            acc += e
            i += 8
        }
        var s = acc.sum()
        while i < n { let e = exp(x[i] - shift); x[i] = e; s += e; i += 1 }
        return s
    }

    @inlinable
    public static func gelu(_ h: UnsafePointer<Self>, into g: UnsafeMutablePointer<Self>, count n: Int) {
        GELU.chunks(n) { i, m in GELU.st(GELU.value(GELU.ld(h, i, m)), g, i, m) }
    }

    @inlinable @inline(__always)
    public static func geluDerivatives8(_ h: SIMD8<Self>) -> (SIMD8<Self>, SIMD8<Self>) {
        GELU.genericDerivatives(h)
    }
}

extension Float {
    @inlinable
    public static func expShiftedSum(_ x: UnsafeMutablePointer<Float>, _ n: Int, shift: Float) -> Float {
        expSum(x, n, shift: shift) { exp8Inline($0) }
    }

    /// `expShiftedSum` for `shift ≥ max x[i]` (softmax rows): every exponent is ≤ 0, so `exp` needs
    /// neither the upper clamp nor the two-factor scale (`expNonPositive8`).
    @inlinable
    static func softmaxExpSum(_ x: UnsafeMutablePointer<Float>, _ n: Int, max shift: Float) -> Float {
        expSum(x, n, shift: shift) { expNonPositive8($0) }
    }

    @inlinable @inline(__always)
    static func expSum(
        _ x: UnsafeMutablePointer<Float>, _ n: Int, shift: Float, _ exp8: (SIMD8<Float>) -> SIMD8<Float>
    ) -> Float {
        var acc = SIMD8<Float>()
        var i = 0
        let s8 = SIMD8<Float>(repeating: shift)
        while i + 8 <= n {
            let e = exp8(Vec.load8(x + i) - s8)
            Vec.store8(e, x + i)
            acc += e
            i += 8
        }
        var s = acc.sum()
        while i < n { let e = exp(x[i] - shift); x[i] = e; s += e; i += 1 }
        return s
    }

    @inlinable
    public static func gelu(_ h: UnsafePointer<Float>, into g: UnsafeMutablePointer<Float>, count n: Int) {
        // ½h(1 + tanh u) with tanh u = 1 − 2/(e^{2u} + 1) is h − h/(e^{2u} + 1); 2u = h(2c + 2ck·h²).
        let twoC = SIMD8<Float>(repeating: Float(2 * GELU.c)), twoCK = SIMD8<Float>(repeating: Float(2 * GELU.c * GELU.k))
        @inline(__always) func value(_ h: SIMD8<Float>) -> SIMD8<Float> {
            let twoU = h * twoC.addingProduct(twoCK, h * h)
            return h - h / (exp8Inline(twoU) + 1)
        }
        var i = 0
        while i + 8 <= n { Vec.store8(value(Vec.load8(h + i)), g + i); i += 8 }
        if i < n { GELU.storeTail(value(GELU.loadTail(h + i, n - i)), g + i, n - i) }
    }

    /// `GELU.genericDerivatives` on the concrete vector type, with `tanh` inlined.
    @inlinable @inline(__always)
    public static func geluDerivatives8(_ h: SIMD8<Float>) -> (SIMD8<Float>, SIMD8<Float>) {
        let c = SIMD8<Float>(repeating: Float(GELU.c)), k = Float(GELU.k)
        let h2 = h * h
        let u = c * h.addingProduct(SIMD8(repeating: k) * h2, h)
        let t = 1 - 2 / (exp8Inline(2 * u) + 1)
        let uh = c * SIMD8<Float>(repeating: 1).addingProduct(SIMD8(repeating: 3 * k), h2)
        let uhh = SIMD8<Float>(repeating: Float(6 * GELU.c * GELU.k)) * h
        let s = 1 - t * t
        let d1 = 0.5 * (1 + t) + 0.5 * h * s * uh
        let d2 = s * (uh - h * t * uh * uh + 0.5 * h * uhh)
        return (d1, d2)
    }
}
