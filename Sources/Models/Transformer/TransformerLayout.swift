import Tensor

/// Offsets of one block's parameters in the flat buffer.
struct BlockOffsets: Sendable {
    var ln1w = 0, ln1b = 0, wq = 0, wk = 0, wv = 0, wo = 0, ln2w = 0, ln2b = 0, w1 = 0, w2 = 0
}

/// Offsets of every parameter of a transformer stack, resolved once from its `ParameterLayout`.
struct StackOffsets: Sendable {
    var tokEmb = 0, posEmb = 0, lnfW = 0, lnfB = 0
    var head: Int? = nil
    var blocks: [BlockOffsets] = []
}

enum TransformerLayout {
    /// Parameters in the order the architecture lists them (= safetensors keys); `head` adds the
    /// encoder's `head.weight [d, 1]` after `ln_f`.
    static func make(_ c: LMConfig, head: Bool) -> (ParameterLayout, StackOffsets) {
        var l = ParameterLayout()
        var o = StackOffsets()
        let d = c.dModel
        o.tokEmb = l.add("tok_emb", shape: [c.vocabSize, d]).offset
        o.posEmb = l.add("pos_emb", shape: [c.contextLength, d]).offset
        for i in 0..<c.nLayers {
            let p = "blocks.\(i)."
            var b = BlockOffsets()
            b.ln1w = l.add(p + "ln1.weight", shape: [d]).offset
            b.ln1b = l.add(p + "ln1.bias", shape: [d]).offset
            b.wq = l.add(p + "attn.wq", shape: [d, d]).offset
            b.wk = l.add(p + "attn.wk", shape: [d, d]).offset
            b.wv = l.add(p + "attn.wv", shape: [d, d]).offset
            b.wo = l.add(p + "attn.wo", shape: [d, d]).offset
            b.ln2w = l.add(p + "ln2.weight", shape: [d]).offset
            b.ln2b = l.add(p + "ln2.bias", shape: [d]).offset
            b.w1 = l.add(p + "mlp.w1", shape: [d, 4 * d]).offset
            b.w2 = l.add(p + "mlp.w2", shape: [4 * d, d]).offset
            o.blocks.append(b)
        }
        o.lnfW = l.add("ln_f.weight", shape: [d]).offset
        o.lnfB = l.add("ln_f.bias", shape: [d]).offset
        if head { o.head = l.add("head.weight", shape: [d, 1]).offset }
        return (l, o)
    }

    /// GPT-2 initialisation: N(0, 0.02²) for embeddings and linears, N(0, (0.02/sqrt(2L))²) for
    /// `wo` and `w2`, LayerNorm weight 1 and bias 0, the encoder head 0. One SplitMix64 stream
    /// in layout order, drawn in Double, so Float and Double models start from the same values.
    static func initialize<T: BLASScalar>(_ p: UnsafeMutablePointer<T>, layout: ParameterLayout, nLayers: Int, seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let residualStd = 0.02 / (2 * Double(nLayers)).squareRoot()
        for spec in layout.specs {
            let q = p + spec.offset
            let name = spec.name
            if name.hasSuffix(".weight") && name.contains("ln") {
                q.update(repeating: 1, count: spec.count)
            } else if name.hasSuffix(".bias") || name == "head.weight" {
                q.update(repeating: 0, count: spec.count)
            } else if name.hasSuffix("attn.wo") || name.hasSuffix("mlp.w2") {
                rng.fillNormal(q, spec.count, std: residualStd)
            } else {
                rng.fillNormal(q, spec.count, std: 0.02)
            }
        }
    }
}
