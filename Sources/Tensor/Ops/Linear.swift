/// `y = x · W` with `x [rows, in]`, `W [in, out]` row-major, no bias; every product is one gemm.
///
/// Tangent mode needs no extra kernels: `y' = x'·W + x·W'`, `x̄' = ȳ'·Wᵀ + ȳ·W'ᵀ` and
/// `W̄' = x'ᵀ·ȳ + xᵀ·ȳ'` are the same calls with `accumulate: true`.
public enum Linear {
    /// `y = x · W`, or `y += x · W` when `accumulate`.
    @inlinable
    public static func forward<T: BLASScalar>(
        _ x: UnsafePointer<T>, _ w: UnsafePointer<T>, into y: UnsafeMutablePointer<T>,
        rows: Int, inDim: Int, outDim: Int, accumulate: Bool = false
    ) {
        T.gemm(transA: false, transB: false, m: rows, n: outDim, k: inDim, alpha: 1,
               a: x, lda: inDim, b: w, ldb: outDim, beta: accumulate ? 1 : 0, c: y, ldc: outDim)
    }

    /// `x̄ = ȳ · Wᵀ`, or `x̄ += ȳ · Wᵀ` when `accumulate`.
    @inlinable
    public static func backwardInput<T: BLASScalar>(
        _ dy: UnsafePointer<T>, _ w: UnsafePointer<T>, into dx: UnsafeMutablePointer<T>,
        rows: Int, inDim: Int, outDim: Int, accumulate: Bool = false
    ) {
        T.gemm(transA: false, transB: true, m: rows, n: inDim, k: outDim, alpha: 1,
               a: dy, lda: outDim, b: w, ldb: outDim, beta: accumulate ? 1 : 0, c: dx, ldc: inDim)
    }

    /// `W̄ += xᵀ · ȳ`.
    @inlinable
    public static func backwardWeight<T: BLASScalar>(
        _ x: UnsafePointer<T>, _ dy: UnsafePointer<T>, into dw: UnsafeMutablePointer<T>,
        rows: Int, inDim: Int, outDim: Int
    ) {
        T.gemm(transA: true, transB: false, m: inDim, n: outDim, k: rows, alpha: 1,
               a: x, lda: inDim, b: dy, ldb: outDim, beta: 1, c: dw, ldc: outDim)
    }
}
