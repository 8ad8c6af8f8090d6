/// Document ids that depend only on where a record came from, never on time or machine.
public enum StableID {
    /// 64-bit FNV-1a over `bytes`, continuing from `state`.
    @inlinable
    public static func fnv1a<S: Sequence<UInt8>>(_ bytes: S, state: UInt64 = 0xCBF2_9CE4_8422_2325) -> UInt64 {
        var h = state
        for b in bytes {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        return h
    }

    /// `"<source>/" + 16 lower-case hex digits` of FNV-1a over
    /// `relativePath ⟨0⟩ member ⟨0⟩ line` (a missing member hashes as `⟨1⟩`, so it differs from
    /// an empty member name; `line` is written in decimal).
    public static func make(source: String, relativePath: String, member: String?, line: Int) -> String {
        var h = fnv1a(relativePath.utf8)
        h = fnv1a([0], state: h)
        if let member { h = fnv1a(member.utf8, state: h) } else { h = fnv1a([1], state: h) }
        h = fnv1a([0], state: h)
        h = fnv1a(String(line).utf8, state: h)
        let hex = String(h, radix: 16)
        return source + "/" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
