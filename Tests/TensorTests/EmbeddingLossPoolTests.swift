import Testing
import Tensor

@Suite struct EmbeddingTests {
    @Test func gatherAndScatterAreAdjoint() {
        var gen = Gen(10)
        let (vocab, dim) = (5, 3)
        let table = gen.normal(vocab * dim)
        let ids: [Int32] = [2, -1, 2, 4]
        let r = gen.normal(ids.count * dim)
        func loss(_ t: [Double]) -> Double {
            var out = [Double](repeating: 9, count: ids.count * dim)
            Embedding.forward(table: t, dim: dim, ids: ids, rows: ids.count, into: &out)
            return dot(out, r)
        }
        var out = [Double](repeating: 9, count: ids.count * dim)
        Embedding.forward(table: table, dim: dim, ids: ids, rows: ids.count, into: &out)
        #expect(Array(out[3..<6]) == [0, 0, 0])
        #expect(Array(out[0..<3]) == Array(table[6..<9]))
        var g = [Double](repeating: 0, count: vocab * dim)
        Embedding.backward(outputGrad: r, dim: dim, ids: ids, rows: ids.count, tableGrad: &g)
        assertClose(g, numericGradient(table, loss), "table grad")
    }
}

@Suite struct CrossEntropyTests {
    let rows = 4, classes = 6
    let targets: [Int32] = [3, -1, 0, 5]
    let coefficients: [Double] = [0.5, 0.25, 2, 1]

    func run(_ z: [Double]) -> (grad: [Double], loss: [Double]) {
        var g = z, l = [Double](repeating: 0, count: rows)
        CrossEntropy.lossAndGradient(logits: &g, rows: rows, classes: classes, targets: targets,
                                     coefficients: coefficients, rowLoss: &l)
        return (g, l)
    }

    @Test func lossMatchesDefinitionAndGradientMatchesFiniteDifferences() {
        var gen = Gen(11)
        let z = gen.normal(rows * classes, std: 3)
        let out = run(z)
        for r in 0..<rows {
            let row = Array(z[r * classes..<(r + 1) * classes])
            let t = Int(targets[r])
            let ref = t < 0 ? 0 : Double.log(row.map { Double.exp($0) }.reduce(0, +)) - row[t]
            #expect(abs(out.loss[r] - ref) < 1e-12)
        }
        let objective = { (z: [Double]) in dot(run(z).loss, coefficients) }
        assertClose(out.grad, numericGradient(z, objective), "dlogits")
    }

    @Test func tangentModeMatchesFiniteDifferences() {
        var gen = Gen(12)
        let z = gen.normal(rows * classes, std: 2), zt = gen.normal(rows * classes)
        var g = z, gt = zt, l = [Double](repeating: 0, count: rows), lt = l
        CrossEntropy.dualLossAndGradient(logits: &g, logitsTangent: &gt, rows: rows, classes: classes,
                                         targets: targets, coefficients: coefficients, rowLoss: &l, rowLossTangent: &lt)
        let primal = run(z)
        assertClose(g, primal.grad, rtol: 1e-13, atol: 1e-15, "dual primal grad")
        assertClose(l, primal.loss, rtol: 1e-13, atol: 1e-15, "dual primal loss")
        assertClose(lt, numericDirectional { e in run(axpy(z, e, zt)).loss }, "row loss tangent")
        assertClose(gt, numericDirectional { e in run(axpy(z, e, zt)).grad }, "gradient tangent")
    }

    @Test func floatIsStableForLargeLogits() {
        var z: [Float] = [1000, 0, -1000, 3]
        var l: [Float] = [0]
        CrossEntropy.lossAndGradient(logits: &z, rows: 1, classes: 4, targets: [1], coefficients: [1], rowLoss: &l)
        #expect(abs(l[0] - 1000) < 1e-3)
        #expect(z.allSatisfy { $0.isFinite })
    }
}

@Suite struct MeanPoolTests {
    @Test func poolsValidPositionsAndGradientMatchesFiniteDifferences() {
        var gen = Gen(13)
        let (batch, seq, dim) = (3, 4, 2)
        let lengths = [4, 1, 0]
        let x = gen.normal(batch * seq * dim), r = gen.normal(batch * dim)
        func pool(_ x: [Double]) -> [Double] {
            var out = [Double](repeating: 7, count: batch * dim)
            MeanPool.forward(x, batch: batch, seq: seq, dim: dim, lengths: lengths, into: &out)
            return out
        }
        let p = pool(x)
        #expect(abs(p[0] - (x[0] + x[2] + x[4] + x[6]) / 4) < 1e-14)
        #expect(p[2] == x[8] && p[3] == x[9])
        #expect(p[4] == 0 && p[5] == 0)
        var dx = [Double](repeating: 7, count: x.count)
        MeanPool.backward(outputGrad: r, batch: batch, seq: seq, dim: dim, lengths: lengths, inputGrad: &dx)
        assertClose(dx, numericGradient(x) { dot(pool($0), r) }, "dx")
    }
}
