import Testing
import Tensor

@Suite struct LinearTests {
    @Test func matmulGradientsMatchFiniteDifferences() {
        var gen = Gen(1)
        let (n, i, o) = (3, 4, 5)
        let x = gen.normal(n * i), w = gen.normal(i * o), r = gen.normal(n * o)
        func loss(_ x: [Double], _ w: [Double]) -> Double {
            var y = [Double](repeating: 0, count: n * o)
            Linear.forward(x, w, into: &y, rows: n, inDim: i, outDim: o)
            return dot(y, r)
        }
        var dx = [Double](repeating: 0, count: n * i), dw = [Double](repeating: 0.5, count: i * o)
        Linear.backwardInput(r, w, into: &dx, rows: n, inDim: i, outDim: o)
        Linear.backwardWeight(x, r, into: &dw, rows: n, inDim: i, outDim: o)
        assertClose(dx, numericGradient(x) { loss($0, w) }, "dx")
        assertClose(dw.map { $0 - 0.5 }, numericGradient(w) { loss(x, $0) }, "dW accumulates")
    }

    @Test func accumulateAddsToOutput() {
        let x: [Double] = [1, 2], w: [Double] = [3, 4]
        var y: [Double] = [10]
        Linear.forward(x, w, into: &y, rows: 1, inDim: 2, outDim: 1, accumulate: true)
        #expect(y == [21])
        Linear.forward(x, w, into: &y, rows: 1, inDim: 2, outDim: 1)
        #expect(y == [11])
    }
}

@Suite struct GELUTests {
    static let inputs: [Double] = [-6, -3.1, -1, -0.3, 0, 0.2, 0.7, 1.5, 2.9, 5.5, -0.01]

    @Test func valueMatchesFormula() {
        var g = [Double](repeating: 0, count: Self.inputs.count)
        GELU.forward(Self.inputs, into: &g, count: g.count)
        for (h, y) in zip(Self.inputs, g) {
            let ref = 0.5 * h * (1 + Double.tanh(0.7978845608028654 * (h + 0.044715 * h * h * h)))
            #expect(abs(y - ref) < 1e-15)
        }
    }

    @Test func derivativesMatchFiniteDifferences() {
        var gen = Gen(2)
        let h = Self.inputs, n = h.count
        let dg = gen.normal(n), ht = gen.normal(n), dgt = gen.normal(n)
        func f(_ h: [Double]) -> [Double] { var g = h; GELU.forward(h, into: &g, count: n); return g }
        func back(_ h: [Double], _ dg: [Double]) -> [Double] {
            var dh = dg; GELU.backward(h, outputGrad: dg, inputGrad: &dh, count: n); return dh
        }
        // Backward and tangent forward: elementwise derivative.
        assertClose(back(h, dg), numericGradientDiagonal(h, dg, f), "backward")
        var gt = [Double](repeating: 0, count: n)
        GELU.tangentForward(h, inputTangent: ht, outputTangent: &gt, count: n)
        assertClose(gt, numericDirectional { e in f(axpy(h, e, ht)) }, "tangent forward")
        // Dual backward: the tangent of back(h, dg) along (ht, dgt).
        var dh = dg, dht = dgt
        GELU.dualBackward(h, inputTangent: ht, outputGrad: dg, outputGradTangent: dgt,
                          inputGrad: &dh, inputGradTangent: &dht, count: n)
        assertClose(dh, back(h, dg), rtol: 0, atol: 0, "dual primal")
        assertClose(dht, numericDirectional { e in back(axpy(h, e, ht), axpy(dg, e, dgt)) }, "dual tangent")
    }

    /// `g'(h_i)·dg_i` by central differences of each element.
    func numericGradientDiagonal(_ h: [Double], _ dg: [Double], _ f: ([Double]) -> [Double]) -> [Double] {
        let d = numericDirectional { e in f(h.map { $0 + e }) }
        return zip(d, dg).map { $0 * $1 }
    }

    @Test func floatPathAgreesWithDouble() {
        let h = (0..<37).map { Double($0) * 0.37 - 6.5 }
        var gd = h, gf = h.map(Float.init)
        let hf = gf
        GELU.forward(h, into: &gd, count: h.count)
        GELU.forward(hf, into: &gf, count: h.count)
        assertClose(gf.map(Double.init), gd, rtol: 1e-5, atol: 1e-6, "float GELU")
        var ef = h.map(Float.init)
        _ = Vec.expShiftedSum(&ef, h.count, shift: 0)
        assertClose(ef.map(Double.init), h.map { Double.exp($0) }, rtol: 3e-7, atol: 0, "float exp")
    }

    @Test func floatExpHandlesTheEdgesOfItsRange() {
        let x = SIMD8<Float>(-1000, -87.5, -87, -20, 0, 20, 88.5, 1000)
        let e = Float.exp8(x)
        #expect(e[0] == 0 && e[1] == 0)
        for i in 2..<7 { #expect(abs(e[i] / Float.exp(x[i]) - 1) < 1e-6, "exp(\(x[i])) = \(e[i])") }
        #expect(e[7].isFinite && e[7] > 1e38)
        let t = Float.tanh8(SIMD8<Float>(-50, -3, -0.5, 0, 1e-3, 0.5, 3, 50))
        for (i, v) in [-50, -3, -0.5, 0, 1e-3, 0.5, 3, 50].enumerated() { #expect(abs(t[i] - Float.tanh(Float(v))) < 2e-7) }
    }
}
