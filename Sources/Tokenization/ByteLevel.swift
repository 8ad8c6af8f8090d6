/// GPT-2's reversible map between bytes and printable Unicode scalars.
///
/// Bytes `!`…`~`, `¡`…`¬` and `®`…`ÿ` map to themselves; the other 68 bytes map, in byte
/// order, to U+0100, U+0101, …. Every vocabulary entry is a string over these 256 scalars.
public enum ByteLevel {
    /// `scalars[b]` is the scalar byte `b` is written as.
    public static let scalars: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: "\0", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            let printable = (33...126).contains(byte) || (161...172).contains(byte) || (174...255).contains(byte)
            if printable {
                table[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                table[byte] = Unicode.Scalar(next) ?? "\0"
                next += 1
            }
        }
        return table
    }()

    /// The byte a scalar stands for, or nil if the scalar is not one of the 256.
    @inline(__always)
    public static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let v = scalar.value
        if v < 256 {
            let printable = (33...126).contains(v) || (161...172).contains(v) || (174...255).contains(v)
            return printable ? UInt8(v) : nil
        }
        guard v < 256 + 68 else { return nil }
        return unmappedBytes[Int(v - 256)]
    }

    /// The 68 non-printable bytes in order; `unmappedBytes[k]` is written as U+0100 + k.
    private static let unmappedBytes: [UInt8] = (0..<256).compactMap { b -> UInt8? in
        let printable = (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b)
        return printable ? nil : UInt8(b)
    }

    /// The byte-level string for raw bytes (what a vocabulary entry looks like).
    public static func encode<S: Sequence<UInt8>>(_ bytes: S) -> String {
        var text = String.UnicodeScalarView()
        for b in bytes { text.append(scalars[Int(b)]) }
        return String(text)
    }

    /// The raw bytes of a byte-level string, or nil if some scalar is not byte-level.
    public static func decode(_ text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            guard let b = byte(for: scalar) else { return nil }
            bytes.append(b)
        }
        return bytes
    }
}
