/// Character classes the pre-tokenizer patterns need, as Oniguruma (used by Hugging Face
/// `tokenizers`) defines them.
///
/// - letter: general category L* (`\p{L}`); number: N* (`\p{N}`);
/// - whitespace: the Unicode `White_Space` property (`\s`, 25 scalars incl. U+0085 and U+00A0);
/// - other: everything else, including unassigned scalars and invalid UTF-8 bytes.
///
/// Oniguruma in `tokenizers` 0.23 carries Unicode 16.0 data while Swift 6.3 carries a newer
/// version, so scalars first assigned after 16.0 count as `other` (checked exhaustively
/// against `tokenizers` for all 1,112,064 scalars: 0 differences).
enum ScalarClass {
    static let other: UInt8 = 0
    static let letter: UInt8 = 1
    static let number: UInt8 = 2
    static let whitespace: UInt8 = 3

    /// The newest Unicode version whose letters and numbers the reference regex engine knows.
    static let referenceUnicodeVersion = (major: 16, minor: 0)

    /// Classifies one scalar value from the Unicode properties (slow path, ~100 ns).
    static func compute(_ value: UInt32) -> UInt8 {
        guard let scalar = Unicode.Scalar(value) else { return other }
        let properties = scalar.properties
        if properties.isWhitespace { return whitespace }
        guard let age = properties.age,
              age.major < referenceUnicodeVersion.major
                || (age.major == referenceUnicodeVersion.major && age.minor <= referenceUnicodeVersion.minor)
        else { return other }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return number
        default:
            return other
        }
    }

    /// Classes of the Basic Multilingual Plane, computed once per process (64 KiB, a few ms);
    /// scalars above U+FFFF go through `compute`. Never freed: it lives as long as the process.
    nonisolated(unsafe) static let bmpTable: UnsafePointer<UInt8> = {
        let table = UnsafeMutablePointer<UInt8>.allocate(capacity: 0x10000)
        for value in 0..<UInt32(0x10000) { table[Int(value)] = compute(value) }
        return UnsafePointer(table)
    }()
}

/// Decodes one UTF-8 scalar at `i`; invalid or truncated sequences decode as one byte with value 0xFFFF_FFFF.
///
/// Returns the scalar value and its length in bytes.
@inline(__always)
func decodeScalar(_ p: UnsafePointer<UInt8>, _ i: Int, _ end: Int) -> (value: UInt32, length: Int) {
    let b0 = UInt32(p[i])
    if b0 < 0x80 { return (b0, 1) }
    if b0 >= 0xC2 && b0 < 0xE0 && i + 1 < end {
        let b1 = UInt32(p[i + 1])
        if b1 & 0xC0 == 0x80 { return ((b0 & 0x1F) << 6 | (b1 & 0x3F), 2) }
    } else if b0 >= 0xE0 && b0 < 0xF0 && i + 2 < end {
        let b1 = UInt32(p[i + 1]), b2 = UInt32(p[i + 2])
        if b1 & 0xC0 == 0x80 && b2 & 0xC0 == 0x80 {
            let v = (b0 & 0x0F) << 12 | (b1 & 0x3F) << 6 | (b2 & 0x3F)
            if v >= 0x800 && !(0xD800..<0xE000).contains(v) { return (v, 3) }
        }
    } else if b0 >= 0xF0 && b0 < 0xF5 && i + 3 < end {
        let b1 = UInt32(p[i + 1]), b2 = UInt32(p[i + 2]), b3 = UInt32(p[i + 3])
        if b1 & 0xC0 == 0x80 && b2 & 0xC0 == 0x80 && b3 & 0xC0 == 0x80 {
            let v = (b0 & 0x07) << 18 | (b1 & 0x3F) << 12 | (b2 & 0x3F) << 6 | (b3 & 0x3F)
            if v >= 0x10000 && v < 0x110000 { return (v, 4) }
        }
    }
    return (0xFFFF_FFFF, 1)
}
