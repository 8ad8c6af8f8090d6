import Foundation

/// A byte-level BPE tokenizer that encodes exactly as Hugging Face `tokenizers` does for the
/// same `tokenizer.json` (GPT-2 family: ByteLevel, or Split + ByteLevel as in GPT-4 / Llama 3).
///
/// Encoding: added tokens are split out first (non-normalized ones, then — after the optional
/// NFC normalizer — normalized ones), the rest is pre-tokenized into words, each word's bytes
/// become one-byte symbols and are merged by rank. No special tokens are ever added: the
/// `post_processor` is kept for `jsonData()` but not applied. Immutable and safe to share
/// across threads; each concurrent `encode` borrows its own word cache from a small pool.
public final class Tokenizer: Sendable {
    /// The configuration this tokenizer was built from (what `jsonData()` writes).
    public let file: TokenizerFile
    /// One more than the largest token id (vocabulary or added token): the embedding table size.
    public let vocabularySize: Int

    let model: BPEModel
    let steps: [PreTokenizeStep]
    let addedRaw: AddedTokenMatcher?
    let addedNormalized: AddedTokenMatcher?
    let appliesNFC: Bool
    let fastPath: FastPath
    enum FastPath { case none, gpt2, cl100k, cl100kSingleDigits }
    /// Bytes of token `id` are `decodeArena[decodeOffsets[id]..<decodeOffsets[id + 1]]`.
    let decodeArena: [UInt8]
    let decodeOffsets: [Int]
    let pool = EncoderPool()

    /// Loads a `tokenizer.json` file.
    public convenience init(contentsOf path: String) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw TokenizationError(code: .unreadableFile, message: "cannot read the file (\(error.localizedDescription)); check the path.", file: path)
        }
        do {
            try self.init(json: [UInt8](data))
        } catch let error as TokenizationError {
            throw error.inFile(path)
        }
    }

    /// Parses the bytes of a `tokenizer.json`.
    public convenience init(json: [UInt8]) throws {
        let file: TokenizerFile
        do {
            file = try JSONDecoder().decode(TokenizerFile.self, from: Data(json))
        } catch let error as TokenizationError {
            throw error
        } catch let error as DecodingError {
            throw Self.describe(error)
        } catch {
            throw TokenizationError(code: .malformedJSON, message: "\(error)")
        }
        try self.init(file: file)
    }

    /// Builds the tables for a decoded configuration.
    public init(file: TokenizerFile) throws {
        self.file = file
        let config = file.model

        // Vocabulary: ids and the raw bytes of each byte-level entry.
        var maxID = -1
        var bytesOfID: [Int: [UInt8]] = [:]
        bytesOfID.reserveCapacity(config.vocab.count + file.addedTokens.count)
        let vocabulary = config.ignoreMerges ? BytesTable(capacityFor: config.vocab.count) : nil
        for (token, id) in config.vocab {
            guard id >= 0 && id < Int(Int32.max) else {
                throw TokenizationError(code: .malformedJSON, message: "token \(token.debugDescription) has id \(id), outside 0..<2^31.",
                                        jsonPath: "model.vocab")
            }
            maxID = max(maxID, id)
            let bytes = ByteLevel.decode(token) ?? Array(token.utf8)
            bytesOfID[id] = bytes
            if let vocabulary, let raw = ByteLevel.decode(token) { vocabulary.insert(raw, id: Int32(id)) }
        }
        for (index, added) in file.addedTokens.enumerated() {
            guard added.id >= 0 && added.id < Int(Int32.max) else {
                throw TokenizationError(code: .malformedJSON, message: "added token \(added.content.debugDescription) has id \(added.id), outside 0..<2^31.",
                                        jsonPath: "added_tokens[\(index)].id")
            }
            maxID = max(maxID, added.id)
            bytesOfID[added.id] = Array(added.content.utf8)
        }
        // Ids are dense in every real file; a huge stray id would make the decode table huge.
        let entries = config.vocab.count + file.addedTokens.count
        guard maxID < 2 * entries + 1024 else {
            throw TokenizationError(
                code: .malformedJSON,
                message: "the largest token id \(maxID) is far above the \(entries) tokens defined; ids must be (nearly) dense.",
                jsonPath: "model.vocab")
        }
        vocabularySize = maxID + 1
        var arena: [UInt8] = []
        var offsets = [0]
        offsets.reserveCapacity(maxID + 2)
        for id in 0..<(maxID + 1) {
            if let b = bytesOfID[id] { arena.append(contentsOf: b) }
            offsets.append(arena.count)
        }
        decodeArena = arena
        decodeOffsets = offsets

        // Merges: (left id, right id) → (rank, id of the concatenation).
        let pairs = PairTable(capacityFor: config.merges.count)
        for (rank, rule) in config.merges.enumerated() {
            guard let left = config.vocab[rule.left], let right = config.vocab[rule.right] else {
                throw TokenizationError(
                    code: .inconsistentVocabulary,
                    message: "merge [\(rule.left.debugDescription), \(rule.right.debugDescription)] uses a token missing from model.vocab; the file is corrupt or was edited by hand.",
                    jsonPath: "model.merges[\(rank)]")
            }
            guard let merged = config.vocab[rule.left + rule.right] else {
                throw TokenizationError(
                    code: .inconsistentVocabulary,
                    message: "merge [\(rule.left.debugDescription), \(rule.right.debugDescription)] produces \((rule.left + rule.right).debugDescription), which is missing from model.vocab.",
                    jsonPath: "model.merges[\(rank)]")
            }
            pairs.set(PairTable.key(Int32(left), Int32(right)), rank: UInt32(rank), merged: Int32(merged))
        }
        var byteToID = [Int32](repeating: -1, count: 256)
        for b in 0..<256 {
            if let id = config.vocab[String(Character(ByteLevel.scalars[b]))] { byteToID[b] = Int32(id) }
        }
        var unknownID: Int32 = -1
        if let unk = config.unkToken {
            guard let id = config.vocab[unk] else {
                throw TokenizationError(code: .inconsistentVocabulary, message: "unk_token \(unk.debugDescription) is not in model.vocab.",
                                        jsonPath: "model.unk_token")
            }
            unknownID = Int32(id)
        }
        model = BPEModel(byteToID: byteToID, pairs: pairs, vocabulary: vocabulary, ignoreMerges: config.ignoreMerges,
                         unknownID: unknownID, fuseUnknown: config.fuseUnk)

        steps = try PreTokenizeStep.steps(for: file.preTokenizer, path: "pre_tokenizer")
        addedRaw = AddedTokenMatcher(file.addedTokens.filter { !$0.normalized })
        addedNormalized = AddedTokenMatcher(file.addedTokens.filter { $0.normalized })
        appliesNFC = file.normalizer?.appliesNFC ?? false
        switch steps.count == 1 ? steps[0] : nil {
        case .split(.gpt2, .isolated, invert: false): fastPath = .gpt2
        case .split(.cl100k, .isolated, invert: false): fastPath = .cl100k
        case .split(.cl100kSingleDigits, .isolated, invert: false): fastPath = .cl100kSingleDigits
        default: fastPath = .none
        }
    }

    private static func describe(_ error: DecodingError) -> TokenizationError {
        func at(_ context: DecodingError.Context) -> String { jsonPathString(context.codingPath) }
        switch error {
        case .keyNotFound(let key, let context):
            return TokenizationError(code: .malformedJSON, message: "required key \"\(key.stringValue)\" is missing.",
                                     jsonPath: jsonPathString(context.codingPath + [key]))
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return TokenizationError(code: .malformedJSON, message: context.debugDescription, jsonPath: at(context))
        case .dataCorrupted(let context):
            return TokenizationError(code: .malformedJSON, message: "not valid JSON: \(context.debugDescription)", jsonPath: at(context))
        @unknown default:
            return TokenizationError(code: .malformedJSON, message: "\(error)")
        }
    }

    // MARK: Encoding

    /// The ids of `text`, without special tokens.
    public func encode(_ text: String) -> [Int32] {
        var copy = text
        var out: [Int32] = []
        copy.withUTF8 { encode(utf8: $0, into: &out) }
        return out
    }

    /// Appends the ids of UTF-8 `text` to `out` (the hot path: no intermediate strings).
    ///
    /// Invalid UTF-8 is tolerated: stray bytes are pre-tokenized as punctuation and still
    /// round-trip through `decodeBytes`.
    public func encode(utf8 text: UnsafeBufferPointer<UInt8>, into out: inout [Int32]) {
        guard let base = text.baseAddress, text.count > 0 else { return }
        let encoder = pool.take()
        defer { pool.put(encoder) }
        guard let addedRaw else {
            encodeNormalizable(base, text.count, encoder, &out)
            return
        }
        var segments: [(range: Range<Int>, id: Int32)] = []
        addedRaw.split(base, 0, text.count, into: &segments)
        for segment in segments {
            if segment.id >= 0 {
                out.append(segment.id)
            } else {
                encodeNormalizable(base + segment.range.lowerBound, segment.range.count, encoder, &out)
            }
        }
    }

    /// Normalizes a piece between non-normalized added tokens, then splits out the normalized ones.
    private func encodeNormalizable(_ p: UnsafePointer<UInt8>, _ n: Int, _ encoder: WordEncoder, _ out: inout [Int32]) {
        if appliesNFC {
            var ascii = true
            for i in 0..<n where p[i] >= 0x80 {
                ascii = false
                break
            }
            if !ascii {
                var normalized = Array(String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
                    .precomposedStringWithCanonicalMapping.utf8)
                normalized.withUnsafeMutableBufferPointer { buffer in
                    if let b = buffer.baseAddress { encodeNormalized(UnsafePointer(b), buffer.count, encoder, &out) }
                }
                return
            }
        }
        encodeNormalized(p, n, encoder, &out)
    }

    private func encodeNormalized(_ p: UnsafePointer<UInt8>, _ n: Int, _ encoder: WordEncoder, _ out: inout [Int32]) {
        guard let addedNormalized else {
            runPieces(p, n, encoder, &out)
            return
        }
        var segments: [(range: Range<Int>, id: Int32)] = []
        addedNormalized.split(p, 0, n, into: &segments)
        for segment in segments {
            if segment.id >= 0 {
                out.append(segment.id)
            } else {
                runPieces(p + segment.range.lowerBound, segment.range.count, encoder, &out)
            }
        }
    }

    /// Pre-tokenizes and encodes text between added tokens; the common pipelines (GPT-2 ByteLevel,
    /// cl100k Split + ByteLevel without regex) take a direct loop, the rest the general `run`.
    @inline(__always)
    private func runPieces(_ p: UnsafePointer<UInt8>, _ n: Int, _ encoder: WordEncoder, _ out: inout [Int32]) {
        if n == 0 { return }
        switch fastPath {
        case .none:
            run(p, n, level: 0, encoder, &out)
        case .gpt2:
            let scanner = PatternScanner()
            var i = 0
            while i < n {
                let e = scanner.gpt2End(p, i, n)
                encoder.encodeWord(p + i, e - i, model: model, into: &out)
                i = e
            }
        case .cl100k:
            let scanner = PatternScanner()
            var i = 0
            while i < n {
                let e = scanner.cl100kEnd(p, i, n)
                encoder.encodeWord(p + i, e - i, model: model, into: &out)
                i = e
            }
        case .cl100kSingleDigits:
            let scanner = PatternScanner()
            var i = 0
            while i < n {
                let e = scanner.cl100kEnd(p, i, n, maxDigits: 1)
                encoder.encodeWord(p + i, e - i, model: model, into: &out)
                i = e
            }
        }
    }

    /// Runs pre-tokenizer step `level` on `p[0..<n]` and everything after it.
    private func run(_ p: UnsafePointer<UInt8>, _ n: Int, level: Int, _ encoder: WordEncoder, _ out: inout [Int32]) {
        if n == 0 { return }
        if level == steps.count {
            encoder.encodeWord(p, n, model: model, into: &out)
            return
        }
        switch steps[level] {
        case .prefixSpace:
            if p[0] == 0x20 {
                run(p, n, level: level + 1, encoder, &out)
            } else {
                var spaced = [UInt8](repeating: 0x20, count: n + 1)
                for i in 0..<n { spaced[i + 1] = p[i] }
                spaced.withUnsafeBufferPointer { buffer in
                    if let b = buffer.baseAddress { run(b, n + 1, level: level + 1, encoder, &out) }
                }
            }
        case .split(let pattern, let behavior, let invert):
            if behavior == .isolated && !invert {
                let scanner = PatternScanner()
                switch pattern {
                case .gpt2:
                    var i = 0
                    while i < n {
                        let e = scanner.gpt2End(p, i, n)
                        run(p + i, e - i, level: level + 1, encoder, &out)
                        i = e
                    }
                    return
                case .cl100k:
                    var i = 0
                    while i < n {
                        let e = scanner.cl100kEnd(p, i, n)
                        run(p + i, e - i, level: level + 1, encoder, &out)
                        i = e
                    }
                    return
                default:
                    break
                }
            }
            var matches: [Range<Int>] = []
            var spans: [(range: Range<Int>, isMatch: Bool)] = []
            var pieces: [Range<Int>] = []
            pattern.matches(p, n, into: &matches)
            applySplitBehavior(behavior, invert: invert, count: n, matches: matches, spans: &spans, pieces: &pieces)
            for piece in pieces { run(p + piece.lowerBound, piece.count, level: level + 1, encoder, &out) }
        }
    }

    // MARK: Decoding

    /// The bytes the ids stand for; ids outside `0..<vocabularySize` are skipped.
    public func decodeBytes(_ ids: [Int32]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count * 4)
        let last = decodeOffsets.count - 1
        for id in ids {
            let i = Int(id)
            guard i >= 0 && i < last else { continue }
            bytes.append(contentsOf: decodeArena[decodeOffsets[i]..<decodeOffsets[i + 1]])
        }
        return bytes
    }

    /// The text the ids stand for (added tokens decode to their content; invalid UTF-8 becomes U+FFFD).
    ///
    /// For byte-level BPE `decode(encode(x)) == x` for every valid UTF-8 `x` (unless an NFC normalizer changed it).
    public func decode(_ ids: [Int32]) -> String {
        String(decoding: decodeBytes(ids), as: UTF8.self)
    }

    // MARK: Serialisation

    /// A `tokenizer.json` for this tokenizer that Hugging Face `tokenizers` loads.
    ///
    /// Deterministic: keys are sorted, so the same tokenizer always gives the same bytes (and sha256).
    public func jsonData() -> [UInt8] {
        Self.serialise(file)
    }

    static func serialise(_ file: TokenizerFile) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Every value is a string, integer, bool, null or a container of these: encoding cannot fail.
        guard let data = try? encoder.encode(file) else {
            preconditionFailure("TokenizerFile failed to encode")
        }
        return [UInt8](data)
    }
}

/// One step of the pre-tokenizer pipeline.
enum PreTokenizeStep: Sendable {
    /// ByteLevel's `add_prefix_space`: a piece not starting with a space gets one.
    case prefixSpace
    case split(SplitPattern, SplitBehavior, invert: Bool)

    static func steps(for config: PreTokenizerConfig?, path: String) throws -> [PreTokenizeStep] {
        guard let config else { return [] }
        switch config {
        case .byteLevel(let addPrefixSpace, _, let useRegex):
            var steps: [PreTokenizeStep] = []
            if addPrefixSpace { steps.append(.prefixSpace) }
            if useRegex { steps.append(.split(.gpt2, .isolated, invert: false)) }
            return steps
        case .split(let pattern, let behavior, let invert):
            return [.split(try SplitPattern.make(pattern, jsonPath: path + ".pattern"), behavior, invert: invert)]
        case .sequence(let items):
            var steps: [PreTokenizeStep] = []
            for (index, item) in items.enumerated() {
                steps += try Self.steps(for: item, path: path + ".pretokenizers[\(index)]")
            }
            return steps
        }
    }
}

/// A few `WordEncoder`s (word caches), lent out one per concurrent `encode` call.
final class EncoderPool: @unchecked Sendable {
    private let lock = NSLock()
    private var free: [WordEncoder] = []
    static let keep = 8

    func take() -> WordEncoder {
        lock.lock()
        let encoder = free.popLast()
        lock.unlock()
        return encoder ?? WordEncoder()
    }

    func put(_ encoder: WordEncoder) {
        lock.lock()
        if free.count < Self.keep { free.append(encoder) }
        lock.unlock()
    }
}
