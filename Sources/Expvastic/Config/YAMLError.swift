import ExpvasticBase
import ExpvasticCodecs

/// Why a YAML text could not be turned into a ``YAMLNode`` tree.
public struct YAMLError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable identifier for the kind of problem.
    public enum Code: String, Sendable, Equatable {
        /// libyaml rejected the text (bad indentation, unclosed quote, tab, …).
        case syntax
        /// A tab in the indentation of a line (YAML allows only spaces there); the mark is the tab's.
        case tabIndentation = "tab_indentation"
        /// A key appears twice in one mapping.
        case duplicateKey = "duplicate_key"
        /// More than one `---` document in a text that must hold one.
        case multipleDocuments = "multiple_documents"
        /// An alias names an anchor that is not defined (before it).
        case unknownAnchor = "unknown_anchor"
        /// A mapping key that is itself a list or mapping.
        case complexKey = "complex_key"
        /// Aliases expand to more nodes than the parser accepts (a "billion laughs" document).
        case tooLarge = "too_large"
    }

    /// What kind of problem; stable across releases.
    public var code: Code
    /// What is wrong, without the position.
    public var message: String
    /// Where, 1-based; nil when libyaml did not say.
    public var mark: YAMLNode.Mark?

    public init(code: Code, message: String, mark: YAMLNode.Mark?) {
        self.code = code
        self.message = message
        self.mark = mark
    }

    /// `line 3, column 9: mapping values are not allowed in this context`.
    public var description: String {
        guard let mark else { return message }
        return "\(mark): \(message)"
    }
}
