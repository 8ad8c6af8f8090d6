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

    /// Cephes-style `expf`: `x = n·ln2 + r`, degree-6 polynomial on `|r| ≤ ln2/2`, scaled by `2^n`
    /// through the exponent bits. Relative error about 2 ulp; inputs are clamped to [-87.3, 88.7].
    @inlinable
    public static func exp8(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let lo = SIMD8<Float>(repeating: -87.33654)
        let hi = SIMD8<Float>(repeating: 88.72283)
        let under = x .< lo
        var xc = x.replacing(with: lo, where: under)
        xc = xc.replacing(with: hi, where: xc .> hi)
        // Round to nearest with the 1.5·2²³ trick: adding it leaves n in the low mantissa bits.
        let magic = SIMD8<Float>(repeating: 12582912)
        let shifted = xc * 1.442695040888963 + magic
        let n = shifted - magic
        let ni = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
        var r = xc - n * 0.693359375
        r = r - n * -2.12194440e-4
        var p = SIMD8<Float>(repeating: 1.9875691500e-4)
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        p = p * (r * r) + r + 1
        // 2^n for n in [-126, 128], split in two so 2^128 does not overflow the exponent field.
        let half = ni &>> 1
        let s1 = unsafeBitCast((half &+ 127) &<< 23, to: SIMD8<Float>.self)
        let s2 = unsafeBitCast(((ni &- half) &+ 127) &<< 23, to: SIMD8<Float>.self)
        return (p * s1 * s2).replacing(with: 0, where: under)
    }

    /// `tanh(x) = 1 − 2 / (exp(2x) + 1)`; absolute error about 1e-7 (relative error grows near 0,
    /// which is harmless where `tanh` is added to 1, as in GELU).
    @inlinable
    public static func tanh8(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let e = exp8(2 * x)
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
