@testable import ShardIO

/// Parses `text`'s UTF-8 bytes.
func parseJSON(_ text: String, maxDepth: Int = 512, policy: InvalidUTF8Policy = .reject) throws(JSONError) -> JSONValue {
    try parseJSON(Array(text.utf8), maxDepth: maxDepth, policy: policy).value
}

func parseJSON(_ bytes: [UInt8], maxDepth: Int = 512, policy: InvalidUTF8Policy = .reject) throws(JSONError) -> (value: JSONValue, replacements: Int) {
    var parser = JSONParser(maxDepth: maxDepth, invalidUTF8: policy)
    do {
        let v = try withBytes(bytes) { raw throws(JSONError) in try parser.parseValue(raw) }
        return (v, parser.replacements)
    }
}

/// The error `parseJSON` throws, or nil.
func jsonError(_ text: String, maxDepth: Int = 512) -> JSONError? {
    jsonError(Array(text.utf8), maxDepth: maxDepth)
}

func jsonError(_ bytes: [UInt8], maxDepth: Int = 512, policy: InvalidUTF8Policy = .reject) -> JSONError? {
    do {
        _ = try parseJSON(bytes, maxDepth: maxDepth, policy: policy)
        return nil
    } catch {
        return error
    }
}

/// SplitMix64: a tiny seeded generator so property tests are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random strings mixing ASCII, characters that need escaping, and 2–4 byte scalars.
func randomString<R: RandomNumberGenerator>(_ rng: inout R, maxLength: Int) -> String {
    let pool: [Unicode.Scalar] = ["a", "b", "Z", " ", "\"", "\\", "/", "\n", "\r", "\t", "\u{0}", "\u{1F}", "\u{7F}",
                                  "é", "ß", "€", "中", "\u{2028}", "😀", "\u{10FFFF}", "{", "}", "[", "]", ":", ","]
    var s = String.UnicodeScalarView()
    let n = Int.random(in: 0...maxLength, using: &rng)
    for _ in 0..<n {
        if Bool.random(using: &rng) {
            s.append(Unicode.Scalar(UInt8.random(in: 0x20...0x7E, using: &rng)))
        } else {
            s.append(pool[Int.random(in: 0..<pool.count, using: &rng)])
        }
    }
    return String(s)
}

func randomJSON<R: RandomNumberGenerator>(_ rng: inout R, depth: Int) -> JSONValue {
    let pick = Int.random(in: 0..<(depth > 0 ? 7 : 5), using: &rng)
    switch pick {
    case 0: return .null
    case 1: return .bool(Bool.random(using: &rng))
    case 2:
        let numbers = ["0", "-0", "12", "-3.25", "1e400", "6.02E+23", "18446744073709551617", "-1.5e-7"]
        return .number(numbers[Int.random(in: 0..<numbers.count, using: &rng)])
    case 3, 4: return .string(randomString(&rng, maxLength: 20))
    case 5: return .array((0..<Int.random(in: 0...4, using: &rng)).map { _ in randomJSON(&rng, depth: depth - 1) })
    default:
        return .object((0..<Int.random(in: 0...4, using: &rng)).map { _ in
            (key: randomString(&rng, maxLength: 6), value: randomJSON(&rng, depth: depth - 1))
        })
    }
}

/// `Array.withUnsafeBytes` with a typed-throwing body (the standard one is untyped `rethrows`).
func withBytes<R>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(JSONError) -> R) throws(JSONError) -> R {
    let result: Result<R, JSONError> = bytes.withUnsafeBytes { raw in
        do throws(JSONError) { return .success(try body(raw)) } catch { return .failure(error) }
    }
    return try result.get()
}
