import CBLAS

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A floating-point type the kernels run on: `Float` for speed, `Double` for gradient checks.
///
/// Every matrix product goes through `gemm` (OpenBLAS `sgemm`/`dgemm`); the vector transcendental
/// functions are requirements so that `Float` gets a SIMD polynomial and `Double` the exact libm
/// result. Generic kernels are `@inlinable`, so callers that use a concrete type get specialised code.
public protocol BLASScalar: BinaryFloatingPoint, SIMDScalar, Sendable, Codable {
    /// Row-major `C = alpha · op(A) · op(B) + beta · C`, `op(A)` of shape `[m, k]`, `op(B)` of shape `[k, n]`.
    static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Self,
        a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
    static func exp(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
    static func tanh(_ x: Self) -> Self
    /// Lane-wise `exp`; inputs below the underflow limit give 0, never NaN.
    static func exp8(_ x: SIMD8<Self>) -> SIMD8<Self>
    /// Lane-wise `tanh`.
    static func tanh8(_ x: SIMD8<Self>) -> SIMD8<Self>
    /// Lane-wise maximum (for inputs without NaN).
    static func max8(_ a: SIMD8<Self>, _ b: SIMD8<Self>) -> SIMD8<Self>
    /// `x[i] = exp(x[i] − shift)` for `i < n`; returns the sum of the new values (the inner loop of
    /// softmax and cross-entropy). See `ElementwiseKernels.swift` for why this is a requirement.
    static func expShiftedSum(_ x: UnsafeMutablePointer<Self>, _ n: Int, shift: Self) -> Self
    /// `g[i] = gelu(h[i])` for `i < n` (`g` may alias `h`).
    static func gelu(_ h: UnsafePointer<Self>, into g: UnsafeMutablePointer<Self>, count n: Int)
    /// GELU's first and second derivatives, lane-wise.
    static func geluDerivatives8(_ h: SIMD8<Self>) -> (SIMD8<Self>, SIMD8<Self>)
}

extension Float: BLASScalar {
    @inlinable
    public static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb),
            beta, c, blasint(ldc))
    }
    @inlinable public static func exp(_ x: Float) -> Float { expf(x) }
    @inlinable public static func log(_ x: Float) -> Float { logf(x) }
    @inlinable public static func tanh(_ x: Float) -> Float { tanhf(x) }

    /// `b` where `b > a`, else `a`, lane-wise. Comparisons and selects are done on the bits: Swift's
    /// `.<`, `replacing(with:where:)` and `pointwiseMax` on `SIMD8<Float>` build their masks lane by
    /// lane, which made softmax and GELU most of the scoring time.
    @inlinable @inline(__always)
    public static func max8(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
        select(b, a, where: lessMask(a, b))
    }

    /// All ones in the lanes where `x < y`, from the sign of `x − y` (exact for non-NaN inputs,
    /// infinities included).
    @inlinable @inline(__always)
    static func lessMask(_ x: SIMD8<Float>, _ y: SIMD8<Float>) -> SIMD8<Int32> {
        unsafeBitCast(x - y, to: SIMD8<Int32>.self) &>> 31
    }

    /// `x` in the lanes where `mask` is all ones, else `y`.
    @inlinable @inline(__always)
    static func select(_ x: SIMD8<Float>, _ y: SIMD8<Float>, where mask: SIMD8<Int32>) -> SIMD8<Float> {
        let xb = unsafeBitCast(x, to: SIMD8<Int32>.self), yb = unsafeBitCast(y, to: SIMD8<Int32>.self)
        return unsafeBitCast((xb & mask) | (yb & ~mask), to: SIMD8<Float>.self)
    }

    /// `exp8` for `x ≤ 0` (as in a softmax after subtracting the maximum): the same polynomial,
    /// with `2^n` for `n ∈ [-126, 0]` in one factor; below -87.3 the result is 0.
    @inlinable @inline(__always)
    static func expNonPositive8(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let lo = SIMD8<Float>(repeating: -87.33654)
        let under = lessMask(x, lo)
        let xc = select(lo, x, where: under)
        let magic = SIMD8<Float>(repeating: 12582912)
        let shifted = magic.addingProduct(xc, SIMD8(repeating: 1.442695040888963))
        let n = shifted - magic
        let ni = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
        let p = expPolynomial(xc, n)
        let scale = unsafeBitCast((ni &+ 127) &<< 23, to: SIMD8<Float>.self)
        return select(SIMD8<Float>(), p * scale, where: under)
    }

    /// `e^r` for `r = x − n·ln2`, `|r| ≤ ln2/2` (Cody–Waite split of ln2, degree-6 polynomial).
    @inlinable @inline(__always)
    static func expPolynomial(_ x: SIMD8<Float>, _ n: SIMD8<Float>) -> SIMD8<Float> {
        var r = x.addingProduct(n, SIMD8(repeating: -0.693359375))
        r = r.addingProduct(n, SIMD8(repeating: 2.12194440e-4))
        var p = SIMD8<Float>(repeating: 1.9875691500e-4)
        p = SIMD8(repeating: 1.3981999507e-3).addingProduct(p, r)
        p = SIMD8(repeating: 8.3334519073e-3).addingProduct(p, r)
        p = SIMD8(repeating: 4.1665795894e-2).addingProduct(p, r)
        p = SIMD8(repeating: 1.6666665459e-1).addingProduct(p, r)
        p = SIMD8(repeating: 5.0000001201e-1).addingProduct(p, r)
        return (r + 1).addingProduct(p, r * r)
    }

    /// Cephes-style `expf`: `x = n·ln2 + r`, degree-6 polynomial on `|r| ≤ ln2/2`, scaled by `2^n`
    /// through the exponent bits. Relative error about 2 ulp; inputs are clamped to [-87.3, 88.7].
    @inlinable
    public static func exp8(_ x: SIMD8<Float>) -> SIMD8<Float> { exp8Inline(x) }

    /// `exp8`'s body, inlined into the concrete `Float` loops of `ElementwiseKernels.swift`.
    @inlinable @inline(__always)
    static func exp8Inline(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let lo = SIMD8<Float>(repeating: -87.33654)
        let hi = SIMD8<Float>(repeating: 88.72283)
        let under = lessMask(x, lo)
        var xc = select(lo, x, where: under)
        xc = select(hi, xc, where: lessMask(hi, xc))
        // Round to nearest with the 1.5·2²³ trick: adding it leaves n in the low mantissa bits.
        // `addingProduct` is one FMA on the concrete vector type (`a * b + c` would be two instructions).
        let magic = SIMD8<Float>(repeating: 12582912)
        let shifted = magic.addingProduct(xc, SIMD8(repeating: 1.442695040888963))
        let n = shifted - magic
        let ni = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
        let p = expPolynomial(xc, n)
        // 2^n for n in [-126, 128], split in two so 2^128 does not overflow the exponent field.
        let half = ni &>> 1
        let s1 = unsafeBitCast((half &+ 127) &<< 23, to: SIMD8<Float>.self)
        let s2 = unsafeBitCast(((ni &- half) &+ 127) &<< 23, to: SIMD8<Float>.self)
        return select(SIMD8<Float>(), p * s1 * s2, where: under)
    }

    /// `tanh(x) = 1 − 2 / (exp(2x) + 1)`; absolute error about 1e-7 (relative error grows near 0,
    /// which is harmless where `tanh` is added to 1, as in GELU).
    @inlinable
    public static func tanh8(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let e = exp8Inline(2 * x)
        return 1 - 2 / (e + 1)
    }
}

extension Double: BLASScalar {
    @inlinable
    public static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double,
        a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        cblas_dgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb),
            beta, c, blasint(ldc))
    }
    @inlinable public static func exp(_ x: Double) -> Double { Glibc.exp(x) }
    @inlinable public static func log(_ x: Double) -> Double { Glibc.log(x) }
    @inlinable public static func tanh(_ x: Double) -> Double { Glibc.tanh(x) }
    /// Exact lane-wise libm `exp` (Double is the checking type, not the fast one).
    @inlinable
    public static func exp8(_ x: SIMD8<Double>) -> SIMD8<Double> {
        var r = SIMD8<Double>()
        for i in 0..<8 { r[i] = Glibc.exp(x[i]) }
        return r
    }
    @inlinable
    public static func tanh8(_ x: SIMD8<Double>) -> SIMD8<Double> {
        var r = SIMD8<Double>()
        for i in 0..<8 { r[i] = Glibc.tanh(x[i]) }
        return r
    }
    @inlinable
    public static func max8(_ a: SIMD8<Double>, _ b: SIMD8<Double>) -> SIMD8<Double> {
        var r = a
        for i in 0..<8 where b[i] > a[i] { r[i] = b[i] }
        return r
    }
}

/// OpenBLAS threading, left to the caller: parallelise at one level only (processes or BLAS threads).
public enum BLASThreads {
    /// Sets the number of OpenBLAS threads for the whole process (1 for one-core benchmarks or
    /// when shards already run in parallel processes).
    public static func set(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }
    /// The current number of OpenBLAS threads.
    public static var current: Int { Int(openblas_get_num_threads()) }
}

/// Which OpenBLAS build and kernel this process runs: `"OpenBLAS 0.3.21 DYNAMIC_ARCH … Haswell MAX_THREADS=64;
/// core Haswell"`. A DYNAMIC_ARCH build picks its kernel by CPU (or `OPENBLAS_CORETYPE`); kernels round
/// differently, so results are bit-identical only under the same kernel.
public enum BLASBuild {
    public static let description: String = {
        let config = openblas_get_config().map { String(cString: $0) } ?? "unknown"
        let core = openblas_get_corename().map { String(cString: $0) } ?? "unknown"
        return "\(config); core \(core)"
    }()
}
