import Foundation

/// The typed contents of a Hugging Face `tokenizer.json` (the subset a byte-level BPE uses).
///
/// Decoding rejects, with a `TokenizationError` naming the JSON path, every component the
/// encoder would not reproduce exactly. `post_processor` is kept verbatim (as `JSONValue`)
/// because it only matters when special tokens are added, which `Tokenizer.encode` never does.
public struct TokenizerFile: Codable, Sendable, Equatable {
    public var version: String
    public var addedTokens: [AddedTokenConfig]
    public var normalizer: NormalizerConfig?
    public var preTokenizer: PreTokenizerConfig?
    public var postProcessor: JSONValue?
    public var decoder: DecoderConfig?
    public var model: BPEModelConfig

    enum CodingKeys: String, CodingKey {
        case version, truncation, padding
        case addedTokens = "added_tokens"
        case normalizer
        case preTokenizer = "pre_tokenizer"
        case postProcessor = "post_processor"
        case decoder, model
    }

    public init(
        addedTokens: [AddedTokenConfig], normalizer: NormalizerConfig?, preTokenizer: PreTokenizerConfig?,
        postProcessor: JSONValue?, decoder: DecoderConfig?, model: BPEModelConfig
    ) {
        self.version = "1.0"
        self.addedTokens = addedTokens
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.postProcessor = postProcessor
        self.decoder = decoder
        self.model = model
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        version = try c.decodeIfPresent(String.self, forKey: .version) ?? "1.0"
        for key in [CodingKeys.truncation, .padding] {
            if let value = try c.decodeIfPresent(JSONValue.self, forKey: key), value != .null {
                throw TokenizationError(
                    code: .unsupportedComponent,
                    message: "\(key.rawValue) is set; encoding here never truncates or pads. Set \"\(key.rawValue)\": null.",
                    jsonPath: jsonPathString(c.codingPath + [key]))
            }
        }
        addedTokens = try c.decodeIfPresent([AddedTokenConfig].self, forKey: .addedTokens) ?? []
        normalizer = try c.decodeIfPresent(NormalizerConfig.self, forKey: .normalizer)
        preTokenizer = try c.decodeIfPresent(PreTokenizerConfig.self, forKey: .preTokenizer)
        postProcessor = try c.decodeIfPresent(JSONValue.self, forKey: .postProcessor)
        if let post = postProcessor, post != .null {
            try Self.checkPostProcessor(post, path: jsonPathString(c.codingPath + [CodingKeys.postProcessor]))
        } else {
            postProcessor = nil
        }
        self.decoder = try c.decodeIfPresent(DecoderConfig.self, forKey: .decoder)
        model = try c.decode(BPEModelConfig.self, forKey: .model)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(version, forKey: .version)
        try c.encodeNil(forKey: .truncation)
        try c.encodeNil(forKey: .padding)
        try c.encode(addedTokens, forKey: .addedTokens)
        try encodeOptional(normalizer, .normalizer, &c)
        try encodeOptional(preTokenizer, .preTokenizer, &c)
        try encodeOptional(postProcessor, .postProcessor, &c)
        try encodeOptional(self.decoder, .decoder, &c)
        try c.encode(model, forKey: .model)
    }

    /// Post-processors only add special tokens, which `encode` never does; accept the common ones.
    static func checkPostProcessor(_ value: JSONValue, path: String) throws {
        guard case .object(let fields) = value, case .string(let type)? = fields["type"] else {
            throw TokenizationError(code: .malformedJSON, message: "post_processor has no \"type\".", jsonPath: path)
        }
        switch type {
        case "ByteLevel", "TemplateProcessing", "RobertaProcessing", "BertProcessing":
            return
        case "Sequence":
            guard case .array(let items)? = fields["processors"] else {
                throw TokenizationError(code: .malformedJSON, message: "Sequence post_processor has no \"processors\" array.", jsonPath: path)
            }
            for (index, item) in items.enumerated() {
                try checkPostProcessor(item, path: path + ".processors[\(index)]")
            }
        default:
            throw TokenizationError(
                code: .unsupportedComponent,
                message: "post_processor type \"\(type)\" is not supported; use null, ByteLevel or TemplateProcessing.",
                jsonPath: path + ".type")
        }
    }
}

/// Writes `nil` as an explicit JSON `null`, as Hugging Face does.
private func encodeOptional<T: Encodable, K: CodingKey>(_ value: T?, _ key: K, _ c: inout KeyedEncodingContainer<K>) throws {
    if let value { try c.encode(value, forKey: key) } else { try c.encodeNil(forKey: key) }
}

/// One entry of `added_tokens`.
public struct AddedTokenConfig: Codable, Sendable, Equatable {
    public var id: Int
    public var content: String
    public var singleWord: Bool
    public var lstrip: Bool
    public var rstrip: Bool
    public var normalized: Bool
    public var special: Bool

    enum CodingKeys: String, CodingKey {
        case id, content
        case singleWord = "single_word"
        case lstrip, rstrip, normalized, special
    }

    public init(id: Int, content: String, special: Bool) {
        self.id = id
        self.content = content
        self.singleWord = false
        self.lstrip = false
        self.rstrip = false
        self.normalized = !special
        self.special = special
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(Int.self, forKey: .id)
        content = try c.decode(String.self, forKey: .content)
        singleWord = try c.decodeIfPresent(Bool.self, forKey: .singleWord) ?? false
        lstrip = try c.decodeIfPresent(Bool.self, forKey: .lstrip) ?? false
        rstrip = try c.decodeIfPresent(Bool.self, forKey: .rstrip) ?? false
        special = try c.decodeIfPresent(Bool.self, forKey: .special) ?? false
        normalized = try c.decodeIfPresent(Bool.self, forKey: .normalized) ?? !special
        if content.isEmpty {
            throw TokenizationError(code: .malformedJSON, message: "an added token has empty content; remove it.",
                                    jsonPath: jsonPathString(c.codingPath + [CodingKeys.content]))
        }
    }
}

/// `normalizer`: only NFC (alone or in a `Sequence`) is supported besides `null`.
public indirect enum NormalizerConfig: Codable, Sendable, Equatable {
    case nfc
    case sequence([NormalizerConfig])

    enum CodingKeys: String, CodingKey { case type, normalizers }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.decode(String.self, forKey: .type)
        switch type {
        case "NFC": self = .nfc
        case "Sequence": self = .sequence(try c.decode([NormalizerConfig].self, forKey: .normalizers))
        default:
            throw TokenizationError(
                code: .unsupportedComponent,
                message: "normalizer type \"\(type)\" is not supported; only null and NFC are. Remove the normalizer or use another tokenizer.",
                jsonPath: jsonPathString(c.codingPath + [CodingKeys.type]))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .nfc: try c.encode("NFC", forKey: .type)
        case .sequence(let items):
            try c.encode("Sequence", forKey: .type)
            try c.encode(items, forKey: .normalizers)
        }
    }

    /// Whether the normalizer (possibly a nested sequence) amounts to NFC or nothing.
    var appliesNFC: Bool {
        switch self {
        case .nfc: return true
        case .sequence(let items): return items.contains { $0.appliesNFC }
        }
    }
}

/// How a `Split` pre-tokenizer treats the pieces its pattern matches.
public enum SplitBehavior: String, Codable, Sendable, Equatable {
    case removed = "Removed"
    case isolated = "Isolated"
    case mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext"
    case contiguous = "Contiguous"
}

/// The `pattern` of a `Split`: `{"Regex": "..."}` or `{"String": "..."}` (a literal).
public enum SplitPatternConfig: Codable, Sendable, Equatable {
    case regex(String)
    case string(String)

    enum CodingKeys: String, CodingKey {
        case regex = "Regex"
        case string = "String"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let pattern = try c.decodeIfPresent(String.self, forKey: .regex) {
            self = .regex(pattern)
        } else if let literal = try c.decodeIfPresent(String.self, forKey: .string) {
            self = .string(literal)
        } else {
            throw TokenizationError(code: .malformedJSON, message: "Split pattern needs a \"Regex\" or \"String\" key.",
                                    jsonPath: jsonPathString(c.codingPath))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .regex(let p): try c.encode(p, forKey: .regex)
        case .string(let s): try c.encode(s, forKey: .string)
        }
    }
}

/// `pre_tokenizer`: `ByteLevel`, `Split`, or a `Sequence` of them.
public indirect enum PreTokenizerConfig: Codable, Sendable, Equatable {
    case byteLevel(addPrefixSpace: Bool, trimOffsets: Bool, useRegex: Bool)
    case split(pattern: SplitPatternConfig, behavior: SplitBehavior, invert: Bool)
    case sequence([PreTokenizerConfig])

    enum CodingKeys: String, CodingKey {
        case type
        case addPrefixSpace = "add_prefix_space"
        case trimOffsets = "trim_offsets"
        case useRegex = "use_regex"
        case pattern, behavior, invert
        case pretokenizers
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.decode(String.self, forKey: .type)
        switch type {
        case "ByteLevel":
            self = .byteLevel(
                addPrefixSpace: try c.decodeIfPresent(Bool.self, forKey: .addPrefixSpace) ?? true,
                trimOffsets: try c.decodeIfPresent(Bool.self, forKey: .trimOffsets) ?? true,
                useRegex: try c.decodeIfPresent(Bool.self, forKey: .useRegex) ?? true)
        case "Split":
            self = .split(
                pattern: try c.decode(SplitPatternConfig.self, forKey: .pattern),
                behavior: try c.decode(SplitBehavior.self, forKey: .behavior),
                invert: try c.decodeIfPresent(Bool.self, forKey: .invert) ?? false)
        case "Sequence":
            self = .sequence(try c.decode([PreTokenizerConfig].self, forKey: .pretokenizers))
        default:
            throw TokenizationError(
                code: .unsupportedComponent,
                message: "pre_tokenizer type \"\(type)\" is not supported; only ByteLevel, Split and Sequence are.",
                jsonPath: jsonPathString(c.codingPath + [CodingKeys.type]))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .byteLevel(let addPrefixSpace, let trimOffsets, let useRegex):
            try c.encode("ByteLevel", forKey: .type)
            try c.encode(addPrefixSpace, forKey: .addPrefixSpace)
            try c.encode(trimOffsets, forKey: .trimOffsets)
            try c.encode(useRegex, forKey: .useRegex)
        case .split(let pattern, let behavior, let invert):
            try c.encode("Split", forKey: .type)
            try c.encode(pattern, forKey: .pattern)
            try c.encode(behavior, forKey: .behavior)
            try c.encode(invert, forKey: .invert)
        case .sequence(let items):
            try c.encode("Sequence", forKey: .type)
            try c.encode(items, forKey: .pretokenizers)
        }
    }
}

/// `decoder`: only `ByteLevel` (the options do not change decoding of ids to bytes).
public struct DecoderConfig: Codable, Sendable, Equatable {
    public var addPrefixSpace: Bool
    public var trimOffsets: Bool
    public var useRegex: Bool

    enum CodingKeys: String, CodingKey {
        case type
        case addPrefixSpace = "add_prefix_space"
        case trimOffsets = "trim_offsets"
        case useRegex = "use_regex"
    }

    public init() {
        addPrefixSpace = true
        trimOffsets = true
        useRegex = true
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.decode(String.self, forKey: .type)
        guard type == "ByteLevel" else {
            throw TokenizationError(
                code: .unsupportedComponent,
                message: "decoder type \"\(type)\" is not supported; only ByteLevel (or null) is.",
                jsonPath: jsonPathString(c.codingPath + [CodingKeys.type]))
        }
        addPrefixSpace = try c.decodeIfPresent(Bool.self, forKey: .addPrefixSpace) ?? true
        trimOffsets = try c.decodeIfPresent(Bool.self, forKey: .trimOffsets) ?? true
        useRegex = try c.decodeIfPresent(Bool.self, forKey: .useRegex) ?? true
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("ByteLevel", forKey: .type)
        try c.encode(addPrefixSpace, forKey: .addPrefixSpace)
        try c.encode(trimOffsets, forKey: .trimOffsets)
        try c.encode(useRegex, forKey: .useRegex)
    }
}

/// One merge rule, read from either `"a b"` or `["a", "b"]`; always written as a pair.
public struct MergeRule: Codable, Sendable, Equatable {
    public var left: String
    public var right: String

    public init(_ left: String, _ right: String) {
        self.left = left
        self.right = right
    }

    public init(from decoder: any Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let line = try? single.decode(String.self) {
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                throw TokenizationError(
                    code: .malformedJSON,
                    message: "merge \"\(line)\" is not two tokens separated by one space.",
                    jsonPath: jsonPathString(decoder.codingPath))
            }
            left = String(parts[0])
            right = String(parts[1])
            return
        }
        var c = try decoder.unkeyedContainer()
        left = try c.decode(String.self)
        right = try c.decode(String.self)
        if !c.isAtEnd {
            throw TokenizationError(code: .malformedJSON, message: "merge pair has more than two tokens.",
                                    jsonPath: jsonPathString(decoder.codingPath))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.unkeyedContainer()
        try c.encode(left)
        try c.encode(right)
    }
}

/// `model`: a BPE over byte-level symbols.
public struct BPEModelConfig: Codable, Sendable, Equatable {
    public var unkToken: String?
    public var fuseUnk: Bool
    public var ignoreMerges: Bool
    public var vocab: [String: Int]
    public var merges: [MergeRule]

    enum CodingKeys: String, CodingKey {
        case type, dropout
        case unkToken = "unk_token"
        case continuingSubwordPrefix = "continuing_subword_prefix"
        case endOfWordSuffix = "end_of_word_suffix"
        case fuseUnk = "fuse_unk"
        case byteFallback = "byte_fallback"
        case ignoreMerges = "ignore_merges"
        case vocab, merges
    }

    public init(vocab: [String: Int], merges: [MergeRule]) {
        self.unkToken = nil
        self.fuseUnk = false
        self.ignoreMerges = false
        self.vocab = vocab
        self.merges = merges
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func unsupported(_ key: CodingKeys, _ message: String) -> TokenizationError {
            TokenizationError(code: .unsupportedComponent, message: message, jsonPath: jsonPathString(c.codingPath + [key]))
        }
        if let type = try c.decodeIfPresent(String.self, forKey: .type), type != "BPE" {
            throw unsupported(.type, "model type \"\(type)\" is not supported; only BPE is.")
        }
        if let dropout = try c.decodeIfPresent(Double.self, forKey: .dropout), dropout > 0 {
            throw unsupported(.dropout, "BPE dropout \(dropout) makes encoding random; set \"dropout\": null.")
        }
        for key in [CodingKeys.continuingSubwordPrefix, .endOfWordSuffix] {
            if let affix = try c.decodeIfPresent(String.self, forKey: key), !affix.isEmpty {
                throw unsupported(key, "\(key.rawValue) \"\(affix)\" is not supported by byte-level BPE here; set it to null.")
            }
        }
        if try c.decodeIfPresent(Bool.self, forKey: .byteFallback) ?? false {
            throw unsupported(.byteFallback, "byte_fallback is not supported (byte-level BPE never needs it); set it to false.")
        }
        unkToken = try c.decodeIfPresent(String.self, forKey: .unkToken)
        fuseUnk = try c.decodeIfPresent(Bool.self, forKey: .fuseUnk) ?? false
        ignoreMerges = try c.decodeIfPresent(Bool.self, forKey: .ignoreMerges) ?? false
        vocab = try c.decode([String: Int].self, forKey: .vocab)
        merges = try c.decodeIfPresent([MergeRule].self, forKey: .merges) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("BPE", forKey: .type)
        try c.encodeNil(forKey: .dropout)
        try encodeOptional(unkToken, .unkToken, &c)
        try c.encodeNil(forKey: .continuingSubwordPrefix)
        try c.encodeNil(forKey: .endOfWordSuffix)
        try c.encode(fuseUnk, forKey: .fuseUnk)
        try c.encode(false, forKey: .byteFallback)
        try c.encode(ignoreMerges, forKey: .ignoreMerges)
        try c.encode(vocab, forKey: .vocab)
        try c.encode(merges, forKey: .merges)
    }
}

/// A JSON value kept verbatim for components this module passes through without interpreting.
public indirect enum JSONValue: Codable, Sendable, Equatable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        if var array = try? decoder.unkeyedContainer() {
            var items: [JSONValue] = []
            while !array.isAtEnd { items.append(try array.decode(JSONValue.self)) }
            self = .array(items)
            return
        }
        if let object = try? decoder.container(keyedBy: AnyKey.self) {
            var fields: [String: JSONValue] = [:]
            for key in object.allKeys { fields[key.stringValue] = try object.decode(JSONValue.self, forKey: key) }
            self = .object(fields)
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() { self = .null }
        else if let b = try? single.decode(Bool.self) { self = .bool(b) }
        else if let i = try? single.decode(Int64.self) { self = .integer(i) }
        else if let d = try? single.decode(Double.self) { self = .number(d) }
        else { self = .string(try single.decode(String.self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var c = encoder.singleValueContainer()
            try c.encodeNil()
        case .bool(let b):
            var c = encoder.singleValueContainer()
            try c.encode(b)
        case .integer(let i):
            var c = encoder.singleValueContainer()
            try c.encode(i)
        case .number(let d):
            var c = encoder.singleValueContainer()
            try c.encode(d)
        case .string(let s):
            var c = encoder.singleValueContainer()
            try c.encode(s)
        case .array(let items):
            var c = encoder.unkeyedContainer()
            for item in items { try c.encode(item) }
        case .object(let fields):
            var c = encoder.container(keyedBy: AnyKey.self)
            for (key, value) in fields { try c.encode(value, forKey: AnyKey(key)) }
        }
    }
}

/// A coding key for arbitrary object keys.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }
}
