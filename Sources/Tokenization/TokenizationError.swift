/// The one error type of the Tokenization module.
///
/// `description` names the file (when known), the JSON path of the offending component and
/// says what to do next, so a stage can print it as is.
public struct TokenizationError: Error, Sendable, CustomStringConvertible, Equatable {
    /// What went wrong, as a stable code callers can switch on.
    public enum Code: String, Sendable, Equatable {
        /// The file could not be read.
        case unreadableFile
        /// The bytes are not valid JSON or do not have the shape of a `tokenizer.json`.
        case malformedJSON
        /// A component (normalizer, pre-tokenizer, model option, decoder, …) this module does not implement.
        case unsupportedComponent
        /// A split pattern that neither the hand-written matchers nor `NSRegularExpression` accept.
        case invalidPattern
        /// A merge or added token refers to a token that is not in the vocabulary.
        case inconsistentVocabulary
        /// Arguments that cannot produce a tokenizer (e.g. a vocabulary smaller than the byte alphabet).
        case invalidArgument
    }

    public var code: Code
    /// Human-readable explanation, including what to do next.
    public var message: String
    /// The file the tokenizer came from, when it came from a file.
    public var file: String?
    /// The JSON path of the component at fault, e.g. `pre_tokenizer.pretokenizers[0].type`.
    public var jsonPath: String?

    public init(code: Code, message: String, file: String? = nil, jsonPath: String? = nil) {
        self.code = code
        self.message = message
        self.file = file
        self.jsonPath = jsonPath
    }

    public var description: String {
        var text = "tokenizer error (\(code.rawValue))"
        if let file { text += " in \(file)" }
        if let jsonPath { text += " at \(jsonPath)" }
        return text + ": " + message
    }

    /// The same error with `file` filled in, if it was not set yet.
    func inFile(_ path: String) -> TokenizationError {
        var copy = self
        if copy.file == nil { copy.file = path }
        return copy
    }
}

/// Renders a Codable coding path as a JSON path such as `model.merges[3]`.
func jsonPathString(_ path: [any CodingKey]) -> String {
    var text = ""
    for key in path {
        if let index = key.intValue {
            text += "[\(index)]"
        } else {
            if !text.isEmpty { text += "." }
            text += key.stringValue
        }
    }
    return text.isEmpty ? "$" : text
}
