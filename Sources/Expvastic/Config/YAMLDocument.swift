import ExpvasticBase
import ExpvasticCodecs

/// A parsed YAML document: its root node (nil when the document is empty or only comments) and the
/// keys that were written twice in one mapping.
///
/// Duplicate keys are errors, but they are returned rather than thrown so that a configuration
/// loader can report them together with every other problem in the file.
public struct YAMLDocument: Sendable, Equatable {
    /// A key written more than once in the same mapping.
    public struct DuplicateKey: Sendable, Equatable {
        /// Path of the mapping that holds the key, `readers.FirstApp` (empty for the top level).
        public var mappingPath: String
        /// The repeated key as written.
        public var key: String
        /// Where the repeated key is.
        public var mark: YAMLNode.Mark
        /// Where the key was first written.
        public var firstMark: YAMLNode.Mark

        public init(mappingPath: String, key: String, mark: YAMLNode.Mark, firstMark: YAMLNode.Mark) {
            self.mappingPath = mappingPath
            self.key = key
            self.mark = mark
            self.firstMark = firstMark
        }

        /// The full path of the repeated key: `readers.FirstApp.interval`.
        public var path: String { mappingPath.isEmpty ? key : mappingPath + "." + key }

        /// The duplicate as an error, for callers that treat it as fatal.
        public var error: YAMLError {
            YAMLError(
                code: .duplicateKey,
                message: "duplicate key \"\(key)\" in \(mappingPath.isEmpty ? "the top-level mapping" : mappingPath) "
                    + "(first written at line \(firstMark.line))",
                mark: mark
            )
        }
    }

    /// The document's top node; nil for an empty or comment-only text.
    public var root: YAMLNode?
    /// In the order they appear in the file.
    public var duplicateKeys: [DuplicateKey]

    public init(root: YAMLNode?, duplicateKeys: [DuplicateKey] = []) {
        self.root = root
        self.duplicateKeys = duplicateKeys
    }
}
