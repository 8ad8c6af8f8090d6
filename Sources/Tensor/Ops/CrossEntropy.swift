/// Softmax cross-entropy over `[rows, classes]` logits with integer targets; a negative target
/// marks a row without a target (padding): loss 0, gradient 0.
///
/// Row loss `ℓ_r = logsumexp(z_r) − z_r[t_r]`. The caller gives each row a coefficient `c_r`
/// (its weight in the objective `Σ c_r ℓ_r`), and the logits are overwritten in place by their
/// gradient `c_r (p_r − onehot(t_r))`, which saves a `[rows, classes]` buffer.
public enum CrossEntropy {
    @inlinable
    public static func lossAndGradient<T: BLASScalar>(
        logits z: UnsafeMutablePointer<T>, rows: Int, classes: Int,
        targets: UnsafePointer<Int32>, coefficients: UnsafePointer<T>, rowLoss: UnsafeMutablePointer<T>
    ) {
        for r in 0..<rows {
            let zr = z + r * classes
            let t = Int(targets[r])
            if t < 0 {
                Vec.zero(zr, classes)
                rowLoss[r] = 0
                continue
            }
            precondition(t < classes, "target \(t) out of range \(classes)")
            let zt = zr[t]
            let m = Vec.max(zr, classes)
            let s = Vec.expShiftedSum(zr, classes, shift: m)
            rowLoss[r] = m + T.log(s) - zt
            Vec.scale(zr, classes, by: coefficients[r] / s)
            zr[t] -= coefficients[r]
        }
    }

    /// Primal and tangent in one pass. Besides `lossAndGradient`'s outputs: `z'` (the logits'
    /// tangent) is overwritten by the gradient's tangent `c_r p ⊙ (z' − ⟨p, z'⟩)`, and
    /// `rowLossTangent[r] = ⟨p, z'⟩ − z'[t_r]`.
    @inlinable
    public static func dualLossAndGradient<T: BLASScalar>(
        logits z: UnsafeMutablePointer<T>, logitsTangent zt: UnsafeMutablePointer<T>, rows: Int, classes: Int,
        targets: UnsafePointer<Int32>, coefficients: UnsafePointer<T>,
        rowLoss: UnsafeMutablePointer<T>, rowLossTangent: UnsafeMutablePointer<T>
    ) {
        for r in 0..<rows {
            let zr = z + r * classes, tr = zt + r * classes
            let t = Int(targets[r])
            if t < 0 {
                Vec.zero(zr, classes); Vec.zero(tr, classes)
                rowLoss[r] = 0; rowLossTangent[r] = 0
                continue
            }
            precondition(t < classes, "target \(t) out of range \(classes)")
            let z_t = zr[t], zt_t = tr[t]
            let m = Vec.max(zr, classes)
            let s = Vec.expShiftedSum(zr, classes, shift: m)
            Vec.scale(zr, classes, by: 1 / s)  // p
            let pz = Vec.dot(zr, tr, classes)
            rowLoss[r] = m + T.log(s) - z_t
            rowLossTangent[r] = pz - zt_t
            let c = coefficients[r]
            for j in 0..<classes {
                let p = zr[j]
                tr[j] = c * p * (tr[j] - pz)
                zr[j] = c * p
            }
            zr[t] -= c
        }
    }
}
