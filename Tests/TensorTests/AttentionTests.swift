import Testing
import Tensor

@Suite struct AttentionTests {
    static let lengths = [4, 2, 0]

    struct Case {
        let shape: AttentionShape
        let lengths: [Int]
        var n: Int { shape.batch * shape.seq * shape.dim }
    }

    static func make(causal: Bool, block: Int = 64) -> Case {
        Case(shape: AttentionShape(batch: 3, seq: 4, heads: 2, headDim: 3, causal: causal, queryBlock: block),
             lengths: lengths)
    }

    func forward(_ c: Case, _ q: [Double], _ k: [Double], _ v: [Double]) -> (y: [Double], p: [Double]) {
        var y = [Double](repeating: 0, count: c.n), p = [Double](repeating: 0, count: c.shape.probabilityCount)
        Attention.forward(c.shape, lengths: c.lengths, q: q, k: k, v: v, probabilities: &p, output: &y)
        return (y, p)
    }

    func backward(_ c: Case, _ q: [Double], _ k: [Double], _ v: [Double], _ dy: [Double]) -> [Double] {
        let f = forward(c, q, k, v)
        var dq = [Double](repeating: 0, count: c.n), dk = dq, dv = dq
        var s = [Double](repeating: 0, count: c.shape.seq * c.shape.seq)
        Attention.backward(c.shape, lengths: c.lengths, q: q, k: k, v: v, probabilities: f.p, outputGrad: dy,
                           dq: &dq, dk: &dk, dv: &dv, scratch: &s)
        return dq + dk + dv
    }

    /// Direct evaluation of masked softmax attention, independent of the kernel's gemm layout.
    func reference(_ c: Case, _ q: [Double], _ k: [Double], _ v: [Double]) -> [Double] {
        let s = c.shape, d = s.dim, hd = s.headDim
        var y = [Double](repeating: 0, count: c.n)
        for b in 0..<s.batch {
            let n = c.lengths[b]
            for h in 0..<s.heads {
                for i in 0..<s.seq {
                    let keys = (0..<n).filter { !s.causal || $0 <= i }
                    if keys.isEmpty { continue }
                    let sc = keys.map { j in
                        (0..<hd).reduce(0.0) { $0 + q[(b * s.seq + i) * d + h * hd + $1] * k[(b * s.seq + j) * d + h * hd + $1] } / Double(hd).squareRoot()
                    }
                    let m = sc.max()!
                    let e = sc.map { Double.exp($0 - m) }
                    let z = e.reduce(0, +)
                    for (jj, j) in keys.enumerated() {
                        for t in 0..<hd { y[(b * s.seq + i) * d + h * hd + t] += e[jj] / z * v[(b * s.seq + j) * d + h * hd + t] }
                    }
                }
            }
        }
        return y
    }

    @Test(arguments: [true, false], [1, 3, 64])
    func forwardMatchesDirectEvaluation(causal: Bool, block: Int) {
        let c = Self.make(causal: causal, block: block)
        var gen = Gen(6)
        let q = gen.normal(c.n), k = gen.normal(c.n), v = gen.normal(c.n)
        assertClose(forward(c, q, k, v).y, reference(c, q, k, v), rtol: 1e-12, atol: 1e-12, "attention")
    }

    @Test(arguments: [true, false], [1, 3, 64])
    func backwardMatchesFiniteDifferences(causal: Bool, block: Int) {
        let c = Self.make(causal: causal, block: block)
        var gen = Gen(7)
        let q = gen.normal(c.n), k = gen.normal(c.n), v = gen.normal(c.n), r = gen.normal(c.n)
        let g = backward(c, q, k, v, r)
        let n = c.n
        assertClose(Array(g[0..<n]), numericGradient(q) { dot(forward(c, $0, k, v).y, r) }, "dq")
        assertClose(Array(g[n..<2 * n]), numericGradient(k) { dot(forward(c, q, $0, v).y, r) }, "dk")
        assertClose(Array(g[(2 * n)...]), numericGradient(v) { dot(forward(c, q, k, $0).y, r) }, "dv")
    }

    @Test(arguments: [true, false], [1, 3, 64])
    func paddedKeysAreIgnored(causal: Bool, block: Int) {
        let c = Self.make(causal: causal, block: block)
        var gen = Gen(8)
        let q = gen.normal(c.n), k = gen.normal(c.n), v = gen.normal(c.n)
        var k2 = k, v2 = v
        let s = c.shape
        for b in 0..<s.batch {
            for t in c.lengths[b]..<s.seq {
                for i in 0..<s.dim { k2[(b * s.seq + t) * s.dim + i] = 1e3; v2[(b * s.seq + t) * s.dim + i] = -7 }
            }
        }
        let y1 = forward(c, q, k, v).y, y2 = forward(c, q, k2, v2).y
        #expect(y1 == y2)
    }

    @Test func flopCountSkipsMaskedBlocks() {
        let full = AttentionShape(batch: 1, seq: 256, heads: 4, headDim: 64, causal: false)
        let causal = AttentionShape(batch: 1, seq: 256, heads: 4, headDim: 64, causal: true, queryBlock: 64)
        #expect(causal.forwardFLOPs(lengths: [256]) == full.forwardFLOPs(lengths: [256]) * 10 / 16)
        #expect(full.forwardFLOPs(lengths: [256]) == 4 * 256 * 256 * 256)
    }

    @Test(arguments: [true, false], [1, 3, 64])
    func tangentModeMatchesFiniteDifferences(causal: Bool, block: Int) {
        let c = Self.make(causal: causal, block: block)
        var gen = Gen(9)
        let n = c.n
        let q = gen.normal(n), k = gen.normal(n), v = gen.normal(n), dy = gen.normal(n)
        let qt = gen.normal(n), kt = gen.normal(n), vt = gen.normal(n), dyt = gen.normal(n)
        let f = forward(c, q, k, v)
        var pt = [Double](repeating: 0, count: c.shape.probabilityCount), yt = [Double](repeating: 0, count: n)
        Attention.tangentForward(c.shape, lengths: c.lengths, q: q, k: k, v: v, qt: qt, kt: kt, vt: vt,
                                 probabilities: f.p, probabilitiesTangent: &pt, outputTangent: &yt)
        assertClose(yt, numericDirectional { e in forward(c, axpy(q, e, qt), axpy(k, e, kt), axpy(v, e, vt)).y }, "y'")

        var dq = [Double](repeating: 0, count: n), dk = dq, dv = dq, dqt = dq, dkt = dq, dvt = dq
        var s1 = [Double](repeating: 0, count: c.shape.seq * c.shape.seq), s2 = s1
        Attention.dualBackward(c.shape, lengths: c.lengths, q: q, k: k, v: v, qt: qt, kt: kt, vt: vt,
                               probabilities: f.p, probabilitiesTangent: pt, outputGrad: dy, outputGradTangent: dyt,
                               dq: &dq, dk: &dk, dv: &dv, dqt: &dqt, dkt: &dkt, dvt: &dvt,
                               scratch: &s1, scratchTangent: &s2)
        assertClose(dq + dk + dv, backward(c, q, k, v, dy), rtol: 1e-12, atol: 1e-14, "dual primal")
        let fd = numericDirectional { e in
            backward(c, axpy(q, e, qt), axpy(k, e, kt), axpy(v, e, vt), axpy(dy, e, dyt))
        }
        assertClose(dqt + dkt + dvt, fd, rtol: 1e-6, atol: 1e-8, "dual tangent")
    }

    /// The fused `Float` inference kernel against the `Double` forward pass: key blocks of 64 (seq 70
    /// and 130 cross them), head widths 8 and 16 (the 16-lane and 8-lane output paths), row blocks
    /// of 8 with a tail, rows with no, one, some and all positions valid; q, k, v given as column
    /// blocks of one matrix and as separate ones. Padded query rows come out zero.
    @Test(arguments: [(8, 3, 5), (16, 4, 70), (16, 1, 130), (32, 2, 9)])
    func fusedFloatInferenceMatchesForward(headDim: Int, heads: Int, seq: Int) {
        let shape = AttentionShape(batch: 4, seq: seq, heads: heads, headDim: headDim, causal: false)
        #expect(Attention.fusesInference(shape, Float.self))
        #expect(!Attention.fusesInference(shape, Double.self))
        let lengths = [seq, seq / 2 + 1, 0, 1], d = shape.dim, rows = shape.batch * seq
        var g = Gen(UInt64(seq * 100 + headDim))
        let q = g.normal(rows * d), k = g.normal(rows * d), v = g.normal(rows * d)
        var reference = [Double](repeating: 0, count: rows * d)
        var probs = [Double](repeating: 0, count: shape.probabilityCount)
        Attention.forward(shape, lengths: lengths, q: q, k: k, v: v, probabilities: &probs, output: &reference)
        var packed = [Float](repeating: 0, count: rows * 3 * d)
        for r in 0..<rows {
            for c in 0..<d {
                packed[r * 3 * d + c] = Float(q[r * d + c])
                packed[r * 3 * d + d + c] = Float(k[r * d + c])
                packed[r * 3 * d + 2 * d + c] = Float(v[r * d + c])
            }
        }
        var strided = [Float](repeating: .nan, count: rows * d), separate = strided
        var scratch = [Float](repeating: 0, count: seq * seq)
        packed.withUnsafeBufferPointer { p in
            let base = p.baseAddress!
            Attention.inference(shape, lengths: lengths, q: base, k: base + d, v: base + 2 * d, qkvStride: 3 * d,
                                output: &strided, scratch: &scratch)
        }
        Attention.inference(shape, lengths: lengths, q: q.map(Float.init), k: k.map(Float.init), v: v.map(Float.init),
                            output: &separate, scratch: &scratch)
        #expect(strided == separate)
        var valid: [Double] = [], expected: [Double] = [], padded: [Float] = []
        for b in 0..<shape.batch {
            for i in 0..<seq {
                let row = (b * seq + i) * d
                if i < lengths[b] {
                    valid += strided[row..<row + d].map(Double.init)
                    expected += reference[row..<row + d]
                } else {
                    padded += strided[row..<row + d]
                }
            }
        }
        assertClose(valid, expected, rtol: 1e-5, atol: 1e-6, "fused inference")
        #expect(padded.allSatisfy { $0 == 0 })
    }

    /// Types and shapes the fused kernel does not take run `forward` with one reused probability block.
    @Test func inferenceFallbackEqualsForward() {
        let c = Self.make(causal: false)
        var g = Gen(5)
        let q = g.normal(c.n), k = g.normal(c.n), v = g.normal(c.n)
        #expect(!Attention.fusesInference(c.shape, Float.self))   // head width 3
        var y = [Double](repeating: 0, count: c.n), scratch = [Double](repeating: 0, count: c.shape.seq * c.shape.seq)
        Attention.inference(c.shape, lengths: c.lengths, q: q, k: k, v: v, output: &y, scratch: &scratch)
        #expect(y == forward(c, q, k, v).y)
    }
}
