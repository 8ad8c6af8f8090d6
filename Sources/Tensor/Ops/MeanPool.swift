/// Mean over the valid positions of each sequence: `out[b] = (1/n_b) Σ_{t<n_b} x[b, t]`, zero when
/// `n_b = 0`. Input `[batch·seq, dim]`, output `[batch, dim]`.
public enum MeanPool {
    @inlinable
    public static func forward<T: BLASScalar>(
        _ x: UnsafePointer<T>, batch: Int, seq: Int, dim: Int, lengths: [Int], into out: UnsafeMutablePointer<T>
    ) {
        for b in 0..<batch {
            let o = out + b * dim
            Vec.zero(o, dim)
            let n = lengths[b]
            if n == 0 { continue }
            for t in 0..<n { Vec.add(x + (b * seq + t) * dim, into: o, dim) }
            Vec.scale(o, dim, by: 1 / T(n))
        }
    }

    /// Overwrites `dx`: `dx[b, t] = dout[b] / n_b` for `t < n_b`, zero elsewhere.
    @inlinable
    public static func backward<T: BLASScalar>(
        outputGrad dout: UnsafePointer<T>, batch: Int, seq: Int, dim: Int, lengths: [Int],
        inputGrad dx: UnsafeMutablePointer<T>
    ) {
        for b in 0..<batch {
            let n = lengths[b]
            let inv = n > 0 ? 1 / T(n) : 0
            for t in 0..<seq {
                let row = dx + (b * seq + t) * dim
                if t < n {
                    for i in 0..<dim { row[i] = dout[b * dim + i] * inv }
                } else {
                    Vec.zero(row, dim)
                }
            }
        }
    }
}
