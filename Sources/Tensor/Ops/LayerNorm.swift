/// Row-wise layer normalisation `y = x̂ ⊙ γ + β`, `x̂ = (x − μ)·r`, `r = 1/sqrt(var + eps)`.
///
/// Forward stores `x̂` and `r` per row for the backward pass; the tangent pass stores `x̂'` and
/// `ρ = r'/r = −r · mean(x̂ ⊙ x')` for the tangent backward pass.
public enum LayerNorm {
    public static var epsilon: Double { 1e-5 }

    @inlinable
    public static func forward<T: BLASScalar>(
        _ x: UnsafePointer<T>, weight: UnsafePointer<T>, bias: UnsafePointer<T>,
        output y: UnsafeMutablePointer<T>, normalized xhat: UnsafeMutablePointer<T>,
        rstd: UnsafeMutablePointer<T>, rows: Int, dim: Int
    ) {
        let invD = 1 / T(dim)
        let eps = T(epsilon)
        for r in 0..<rows {
            let xr = x + r * dim, hr = xhat + r * dim, yr = y + r * dim
            let mean = Vec.sum(xr, dim) * invD
            for i in 0..<dim { hr[i] = xr[i] - mean }
            let variance = Vec.dot(hr, hr, dim) * invD
            let rs = 1 / (variance + eps).squareRoot()
            rstd[r] = rs
            for i in 0..<dim {
                let h = hr[i] * rs
                hr[i] = h
                yr[i] = h * weight[i] + bias[i]
            }
        }
    }

    /// `x̄ += r(ĝ − mean ĝ − x̂ · mean(ĝ ⊙ x̂))` with `ĝ = ȳ ⊙ γ`; `γ̄ += Σ ȳ ⊙ x̂`, `β̄ += Σ ȳ`.
    @inlinable
    public static func backward<T: BLASScalar>(
        outputGrad dy: UnsafePointer<T>, normalized xhat: UnsafePointer<T>, rstd: UnsafePointer<T>,
        weight: UnsafePointer<T>, inputGrad dx: UnsafeMutablePointer<T>,
        weightGrad dw: UnsafeMutablePointer<T>, biasGrad db: UnsafeMutablePointer<T>, rows: Int, dim: Int
    ) {
        let invD = 1 / T(dim)
        for r in 0..<rows {
            let dyr = dy + r * dim, hr = xhat + r * dim, dxr = dx + r * dim
            var a: T = 0, b: T = 0
            for i in 0..<dim {
                let g = dyr[i] * weight[i]
                a += g
                b += g * hr[i]
                dw[i] += dyr[i] * hr[i]
                db[i] += dyr[i]
            }
            a *= invD
            b *= invD
            let rs = rstd[r]
            for i in 0..<dim { dxr[i] += rs * (dyr[i] * weight[i] - a - hr[i] * b) }
        }
    }

    /// Tangent of the forward pass: `x̂' = r(x' − mean x') + ρ x̂`, `y' = x̂' ⊙ γ + x̂ ⊙ γ' + β'`.
    @inlinable
    public static func tangentForward<T: BLASScalar>(
        inputTangent xt: UnsafePointer<T>, normalized xhat: UnsafePointer<T>, rstd: UnsafePointer<T>,
        weight: UnsafePointer<T>, weightTangent wt: UnsafePointer<T>, biasTangent bt: UnsafePointer<T>,
        outputTangent yt: UnsafeMutablePointer<T>, normalizedTangent xhatt: UnsafeMutablePointer<T>,
        rstdRatio rho: UnsafeMutablePointer<T>, rows: Int, dim: Int
    ) {
        let invD = 1 / T(dim)
        for r in 0..<rows {
            let xr = xt + r * dim, hr = xhat + r * dim, htr = xhatt + r * dim, yr = yt + r * dim
            let mu = Vec.sum(xr, dim) * invD
            let m = Vec.dot(hr, xr, dim) * invD
            let rs = rstd[r]
            let p = -rs * m
            rho[r] = p
            for i in 0..<dim {
                let ht = rs * (xr[i] - mu) + p * hr[i]
                htr[i] = ht
                yr[i] = ht * weight[i] + hr[i] * wt[i] + bt[i]
            }
        }
    }

    /// Tangent of the backward pass (the primal part is `backward`):
    /// `x̄' += ρ x̄ + r(ĝ' − mean ĝ' − x̂' mean(ĝ x̂) − x̂ mean(ĝ' x̂ + ĝ x̂'))`,
    /// `γ̄' += Σ ȳ' x̂ + ȳ x̂'`, `β̄' += Σ ȳ'`, with `ĝ' = ȳ' γ + ȳ γ'`.
    @inlinable
    public static func tangentBackward<T: BLASScalar>(
        outputGrad dy: UnsafePointer<T>, outputGradTangent dyt: UnsafePointer<T>,
        normalized xhat: UnsafePointer<T>, normalizedTangent xhatt: UnsafePointer<T>,
        rstd: UnsafePointer<T>, rstdRatio rho: UnsafePointer<T>,
        weight: UnsafePointer<T>, weightTangent wt: UnsafePointer<T>,
        inputGradTangent dxt: UnsafeMutablePointer<T>,
        weightGradTangent dwt: UnsafeMutablePointer<T>, biasGradTangent dbt: UnsafeMutablePointer<T>,
        rows: Int, dim: Int
    ) {
        let invD = 1 / T(dim)
        for r in 0..<rows {
            let o = r * dim
            let dyr = dy + o, dytr = dyt + o, hr = xhat + o, htr = xhatt + o, dxr = dxt + o
            var a: T = 0, b: T = 0, at: T = 0, bt: T = 0
            for i in 0..<dim {
                let g = dyr[i] * weight[i]
                let gt = dytr[i] * weight[i] + dyr[i] * wt[i]
                a += g
                b += g * hr[i]
                at += gt
                bt += gt * hr[i] + g * htr[i]
                dwt[i] += dytr[i] * hr[i] + dyr[i] * htr[i]
                dbt[i] += dytr[i]
            }
            a *= invD; b *= invD; at *= invD; bt *= invD
            let rs = rstd[r], p = rho[r]
            for i in 0..<dim {
                let g = dyr[i] * weight[i]
                let gt = dytr[i] * weight[i] + dyr[i] * wt[i]
                let xbar = rs * (g - a - hr[i] * b)
                dxr[i] += p * xbar + rs * (gt - at - htr[i] * b - hr[i] * bt)
            }
        }
    }
}
