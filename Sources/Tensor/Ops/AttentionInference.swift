extension Attention {
    /// Whether `inference` runs the fused kernel for this scalar type and shape; the caller may
    /// then hand it `q`, `k`, `v` as column blocks of one `[batch·seq, 3·dim]` matrix.
    @inlinable
    public static func fusesInference<T: BLASScalar>(_ s: AttentionShape, _: T.Type) -> Bool {
        T.self == Float.self && s.headDim % 8 == 0 && !s.causal
    }

    /// Bidirectional attention for inference (scoring): no probabilities are kept for a backward
    /// pass, and padded query rows (`i ≥ n_b`) get zero output, since nothing downstream reads them
    /// (pooling and losses skip padding). `q`, `k`, `v` rows are `qkvStride` apart (`dim` unless
    /// they are column blocks of one matrix, which only the fused kernel accepts); `scratch` holds
    /// `seq·seq` scalars for the unfused path (the fused kernel keeps its few KiB on the stack).
    ///
    /// When `fusesInference` (`Float`, head width a multiple of 8), one fused kernel computes each
    /// query row's scores, softmax and output while they are in registers and L1. At the
    /// DataRater's default shape (head width 16, rows of 128) the two `sgemm` calls per head spent
    /// more time zeroing and packing their operands than multiplying. Otherwise `forward` runs
    /// with one reused probability block.
    @inlinable
    public static func inference<T: BLASScalar>(
        _ s: AttentionShape, lengths: [Int],
        q: UnsafePointer<T>, k: UnsafePointer<T>, v: UnsafePointer<T>, qkvStride: Int? = nil,
        output out: UnsafeMutablePointer<T>, scratch: UnsafeMutablePointer<T>
    ) {
        precondition(!s.causal, "inference attention is bidirectional")
        guard fusesInference(s, T.self) else {
            precondition(qkvStride == nil || qkvStride == s.dim, "strided q, k, v need the fused kernel")
            forward(s, lengths: lengths, q: q, k: k, v: v, probabilities: scratch, output: out, keepProbabilities: false)
            return
        }
        func float(_ p: UnsafePointer<T>) -> UnsafePointer<Float> { UnsafeRawPointer(p).assumingMemoryBound(to: Float.self) }
        fusedInference(s, lengths: lengths, q: float(q), k: float(k), v: float(v), ldqkv: qkvStride ?? s.dim,
                       output: UnsafeMutableRawPointer(out).assumingMemoryBound(to: Float.self))
    }

    /// Query rows handled together: their score rows stay in L1 for the `PV` product.
    @usableFromInline static var inferenceRowBlock: Int { 8 }

    @inlinable
    static func fusedInference(
        _ s: AttentionShape, lengths: [Int],
        q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, ldqkv: Int,
        output out: UnsafeMutablePointer<Float>
    ) {
        let seq = s.seq, d = s.dim, hd = s.headDim, R = inferenceRowBlock, ld = ldqkv
        let scale = 1 / Float(hd).squareRoot()
        // Keys padded to a multiple of 64 so the score loop always runs on eight vectors.
        let keyStride = (seq + 63) / 64 * 64
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * hd * keyStride + R * keyStride) { buffer in
            // Kᵀ of one head [hd, keyStride] (zero beyond n), V of one head [n, hd] contiguous, and R score rows.
            let kt = buffer.baseAddress!, vh = kt + hd * keyStride, probs = vh + hd * keyStride
            for b in 0..<s.batch {
                let n = lengths[b]
                let rowBase = b &* seq &* d, inputBase = b &* seq &* ld
                for i in n..<seq { Vec.zero(out + rowBase + i * d, d) }
                if n == 0 { continue }
                let keyBlocks = (n + 63) / 64
                for h in 0..<s.heads {
                    let o = rowBase &+ h &* hd, oi = inputBase &+ h &* hd
                    for c in 0..<hd {
                        let row = kt + c &* keyStride
                        for j in 0..<n { row[j] = k[oi &+ j &* ld &+ c] }
                        for j in n..<keyBlocks * 64 { row[j] = 0 }
                    }
                    for j in 0..<n {
                        let src = v + (oi &+ j &* ld), dst = vh + j &* hd
                        var c = 0
                        while c < hd { Vec.store8(Vec.load8(src + c), dst + c); c += 8 }
                    }
                    var i0 = 0
                    while i0 < n {
                        let rows = Swift.min(R, n - i0)
                        // Unnormalised probabilities; each output row is divided by its sum at the end.
                        var inverseSums = SIMD8<Float>()
                        for r in 0..<rows {
                            let pr = probs + r &* keyStride
                            scoreRow(q + (oi &+ (i0 &+ r) &* ld), kt, hd: hd, keyStride: keyStride, keyBlocks: keyBlocks,
                                     scale: scale, into: pr)
                            let m = Vec.max(pr, n)
                            inverseSums[r] = 1 / Float.softmaxExpSum(pr, n, max: m)
                        }
                        weightedValues(probs, rows: rows, keyStride: keyStride, n: n, v: vh, hd: hd,
                                       scales: inverseSums, into: out + (o &+ i0 &* d), ldo: d)
                        i0 += rows
                    }
                }
            }
        }
    }

    /// `pr[j] = scale · ⟨q, k_j⟩` for `j < 64·keyBlocks`, eight vectors of keys at a time.
    @inlinable @inline(__always)
    static func scoreRow(
        _ qi: UnsafePointer<Float>, _ kt: UnsafePointer<Float>, hd: Int, keyStride: Int, keyBlocks: Int,
        scale: Float, into pr: UnsafeMutablePointer<Float>
    ) {
        for blk in 0..<keyBlocks {
            let base = kt + blk * 64
            var a0 = SIMD8<Float>(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0
            for c in 0..<hd {
                let x = SIMD8<Float>(repeating: qi[c] * scale)
                let kr = base + c &* keyStride
                a0 = a0.addingProduct(x, Vec.load8(kr)); a1 = a1.addingProduct(x, Vec.load8(kr + 8))
                a2 = a2.addingProduct(x, Vec.load8(kr + 16)); a3 = a3.addingProduct(x, Vec.load8(kr + 24))
                a4 = a4.addingProduct(x, Vec.load8(kr + 32)); a5 = a5.addingProduct(x, Vec.load8(kr + 40))
                a6 = a6.addingProduct(x, Vec.load8(kr + 48)); a7 = a7.addingProduct(x, Vec.load8(kr + 56))
            }
            let p = pr + blk * 64
            Vec.store8(a0, p); Vec.store8(a1, p + 8); Vec.store8(a2, p + 16); Vec.store8(a3, p + 24)
            Vec.store8(a4, p + 32); Vec.store8(a5, p + 40); Vec.store8(a6, p + 48); Vec.store8(a7, p + 56)
        }
    }

    /// `out[r] = scales[r] · Σ_j probs[r][j] · v_j` for `rows ≤ 8` query rows; `v` is `[n, hd]` contiguous.
    /// Blocks of four rows times sixteen lanes (eight accumulators: two `V` loads and four
    /// broadcasts feed eight FMAs); leftover rows and lanes one row by eight lanes.
    @inlinable @inline(__always)
    static func weightedValues(
        _ probs: UnsafePointer<Float>, rows: Int, keyStride: Int, n: Int,
        v: UnsafePointer<Float>, hd: Int, scales: SIMD8<Float>, into out: UnsafeMutablePointer<Float>, ldo: Int
    ) {
        var r0 = 0
        if hd % 16 == 0 {
            while r0 + 4 <= rows {
                let p0 = probs + r0 &* keyStride, p1 = p0 + keyStride, p2 = p1 + keyStride, p3 = p2 + keyStride
                var c = 0
                while c < hd {
                    var a0 = SIMD8<Float>(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0
                    var vj = v + c
                    for j in 0..<n {
                        let x = Vec.load8(vj), y = Vec.load8(vj + 8)
                        let w0 = SIMD8<Float>(repeating: p0[j]), w1 = SIMD8<Float>(repeating: p1[j])
                        let w2 = SIMD8<Float>(repeating: p2[j]), w3 = SIMD8<Float>(repeating: p3[j])
                        a0 = a0.addingProduct(w0, x); b0 = b0.addingProduct(w0, y)
                        a1 = a1.addingProduct(w1, x); b1 = b1.addingProduct(w1, y)
                        a2 = a2.addingProduct(w2, x); b2 = b2.addingProduct(w2, y)
                        a3 = a3.addingProduct(w3, x); b3 = b3.addingProduct(w3, y)
                        vj += hd
                    }
                    let o = out + (r0 &* ldo &+ c)
                    let s0 = SIMD8<Float>(repeating: scales[r0]), s1 = SIMD8<Float>(repeating: scales[r0 + 1])
                    let s2 = SIMD8<Float>(repeating: scales[r0 + 2]), s3 = SIMD8<Float>(repeating: scales[r0 + 3])
                    Vec.store8(a0 * s0, o); Vec.store8(b0 * s0, o + 8)
                    Vec.store8(a1 * s1, o + ldo); Vec.store8(b1 * s1, o + ldo + 8)
                    Vec.store8(a2 * s2, o + 2 &* ldo); Vec.store8(b2 * s2, o + 2 &* ldo + 8)
                    Vec.store8(a3 * s3, o + 3 &* ldo); Vec.store8(b3 * s3, o + 3 &* ldo + 8)
                    c += 16
                }
                r0 += 4
            }
        }
        for r in r0..<rows {
            let pr = probs + r &* keyStride
            var c = 0
            while c < hd {
                var acc = SIMD8<Float>()
                var vj = v + c
                for j in 0..<n { acc = acc.addingProduct(SIMD8<Float>(repeating: pr[j]), Vec.load8(vj)); vj += hd }
                Vec.store8(acc * SIMD8(repeating: scales[r]), out + (r &* ldo &+ c))
                c += 8
            }
        }
    }
}
