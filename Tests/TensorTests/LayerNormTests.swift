import Testing
import Tensor

@Suite struct LayerNormTests {
    let rows = 3, dim = 7

    struct Out { var y: [Double]; var xhat: [Double]; var rstd: [Double] }

    func forward(_ x: [Double], _ w: [Double], _ b: [Double]) -> Out {
        var o = Out(y: x, xhat: x, rstd: [Double](repeating: 0, count: rows))
        LayerNorm.forward(x, weight: w, bias: b, output: &o.y, normalized: &o.xhat, rstd: &o.rstd, rows: rows, dim: dim)
        return o
    }

    /// `(dx, dw, db)` concatenated.
    func backward(_ x: [Double], _ w: [Double], _ b: [Double], _ dy: [Double]) -> [Double] {
        let o = forward(x, w, b)
        var dx = [Double](repeating: 0, count: rows * dim), dw = [Double](repeating: 0, count: dim), db = dw
        LayerNorm.backward(outputGrad: dy, normalized: o.xhat, rstd: o.rstd, weight: w, inputGrad: &dx,
                           weightGrad: &dw, biasGrad: &db, rows: rows, dim: dim)
        return dx + dw + db
    }

    @Test func forwardNormalises() {
        var gen = Gen(3)
        let x = gen.normal(rows * dim, std: 3)
        let o = forward(x, [Double](repeating: 1, count: dim), [Double](repeating: 0, count: dim))
        for r in 0..<rows {
            let row = Array(o.y[r * dim..<(r + 1) * dim])
            #expect(abs(row.reduce(0, +)) < 1e-12)
            let v = row.map { $0 * $0 }.reduce(0, +) / Double(dim)
            #expect(abs(v - 1) < 1e-4)  // eps 1e-5 shrinks it slightly
        }
    }

    @Test func backwardMatchesFiniteDifferences() {
        var gen = Gen(4)
        let x = gen.normal(rows * dim), w = gen.normal(dim), b = gen.normal(dim), r = gen.normal(rows * dim)
        let g = backward(x, w, b, r)
        let loss = { (x: [Double], w: [Double], b: [Double]) in dot(forward(x, w, b).y, r) }
        assertClose(Array(g[0..<rows * dim]), numericGradient(x) { loss($0, w, b) }, "dx")
        assertClose(Array(g[rows * dim..<rows * dim + dim]), numericGradient(w) { loss(x, $0, b) }, "dw")
        assertClose(Array(g[(rows * dim + dim)...]), numericGradient(b) { loss(x, w, $0) }, "db")
    }

    @Test func tangentModeMatchesFiniteDifferences() {
        var gen = Gen(5)
        let x = gen.normal(rows * dim), w = gen.normal(dim), b = gen.normal(dim), dy = gen.normal(rows * dim)
        let xt = gen.normal(rows * dim), wt = gen.normal(dim), bt = gen.normal(dim), dyt = gen.normal(rows * dim)
        let o = forward(x, w, b)
        var yt = x, xhatt = x, rho = [Double](repeating: 0, count: rows)
        LayerNorm.tangentForward(inputTangent: xt, normalized: o.xhat, rstd: o.rstd, weight: w, weightTangent: wt,
                                 biasTangent: bt, outputTangent: &yt, normalizedTangent: &xhatt, rstdRatio: &rho,
                                 rows: rows, dim: dim)
        assertClose(yt, numericDirectional { e in forward(axpy(x, e, xt), axpy(w, e, wt), axpy(b, e, bt)).y }, "y'")
        var dxt = [Double](repeating: 0, count: rows * dim), dwt = [Double](repeating: 0, count: dim), dbt = dwt
        LayerNorm.tangentBackward(outputGrad: dy, outputGradTangent: dyt, normalized: o.xhat, normalizedTangent: xhatt,
                                  rstd: o.rstd, rstdRatio: rho, weight: w, weightTangent: wt, inputGradTangent: &dxt,
                                  weightGradTangent: &dwt, biasGradTangent: &dbt, rows: rows, dim: dim)
        let fd = numericDirectional { e in backward(axpy(x, e, xt), axpy(w, e, wt), axpy(b, e, bt), axpy(dy, e, dyt)) }
        assertClose(dxt + dwt + dbt, fd, rtol: 1e-6, atol: 1e-8, "backward tangent")
    }
}
