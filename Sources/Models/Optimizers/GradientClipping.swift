/// Gradient-norm clipping over one flat gradient buffer.
public enum GradientClipping {
    /// The global L2 norm `‖g‖₂`, accumulated in Double (exact enough for 10⁸ elements).
    ///
    /// Four independent accumulators let the loop pipeline; the result is NaN or +∞ when
    /// `g` holds one.
    @inlinable
    public static func globalNorm<T: BinaryFloatingPoint>(_ gradients: UnsafeBufferPointer<T>) -> Double {
        guard let g = gradients.baseAddress else { return 0 }
        let n = gradients.count
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
        var i = 0
        while i + 4 <= n {
            let a = Double(g[i]), b = Double(g[i + 1]), c = Double(g[i + 2]), d = Double(g[i + 3])
            s0 += a * a; s1 += b * b; s2 += c * c; s3 += d * d
            i += 4
        }
        while i < n {
            let a = Double(g[i])
            s0 += a * a
            i += 1
        }
        return ((s0 + s1) + (s2 + s3)).squareRoot()
    }

    /// Scales `gradients` so that their global L2 norm is at most `maxNorm`; returns the norm before clipping.
    ///
    /// As PyTorch's `clip_grad_norm_`: when `norm > maxNorm`, every element is multiplied by
    /// `maxNorm / (norm + 1e-6)`. A non-finite norm leaves the gradients untouched (scaling
    /// would turn every element into NaN); the caller sees the NaN/∞ return value and should
    /// skip the step.
    /// - Precondition: `maxNorm > 0` (a programmer error otherwise).
    @inlinable
    @discardableResult
    public static func clipGlobalNorm<T: BinaryFloatingPoint>(_ gradients: UnsafeMutableBufferPointer<T>, maxNorm: Double) -> Double {
        precondition(maxNorm > 0, "maxNorm must be > 0, got \(maxNorm)")
        let norm = globalNorm(UnsafeBufferPointer(gradients))
        guard norm.isFinite, norm > maxNorm, let g = gradients.baseAddress else { return norm }
        let scale = T(maxNorm / (norm + 1e-6))
        for i in 0..<gradients.count { g[i] *= scale }
        return norm
    }

    /// `clipGlobalNorm` on an array.
    @inlinable
    @discardableResult
    public static func clipGlobalNorm<T: BinaryFloatingPoint>(_ gradients: inout [T], maxNorm: Double) -> Double {
        gradients.withUnsafeMutableBufferPointer { clipGlobalNorm($0, maxNorm: maxNorm) }
    }
}
