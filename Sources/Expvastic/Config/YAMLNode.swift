import ExpvasticBase
import ExpvasticCodecs

/// One node of a parsed YAML document: a scalar, a sequence or a mapping, with where it starts.
///
/// Aliases are already resolved (an alias is a copy of the node it names) and merge keys (`<<`) are
/// already applied. Mappings keep their keys in file order; a key written twice stays twice in
/// ``Content/mapping(_:)`` and is reported in ``YAMLDocument/duplicateKeys``.
public struct YAMLNode: Sendable, Equatable {
    /// A position in the source, 1-based.
    public struct Mark: Sendable, Equatable, Hashable, CustomStringConvertible {
        /// 1-based line.
        public var line: Int
        /// 1-based column, counted in characters.
        public var column: Int

        public init(line: Int, column: Int) {
            self.line = line
            self.column = column
        }

        /// `line 3, column 7`.
        public var description: String { "line \(line), column \(column)" }
    }

    /// A scalar's text as written after YAML unescaping and folding, with how it was written.
    public struct Scalar: Sendable, Equatable {
        /// How the scalar was written; a quoted `"10"` is a string, a plain `10` a number.
        public enum Style: Sendable, Equatable {
            case plain, singleQuoted, doubleQuoted, literal, folded
        }

        /// The text after unescaping, folding and block-scalar chomping.
        public var value: String
        /// How it was written.
        public var style: Style
        /// An explicit tag (`!!str` arrives as `tag:yaml.org,2002:str`); nil when none was written.
        public var tag: String?

        public init(_ value: String, style: Style = .plain, tag: String? = nil) {
            self.value = value
            self.style = style
            self.tag = tag
        }
    }

    /// One `key: value` pair of a mapping.
    public struct Entry: Sendable, Equatable {
        /// The key's text (keys are always scalars).
        public var key: String
        /// Where the key starts.
        public var keyMark: Mark
        /// The value node.
        public var value: YAMLNode

        public init(key: String, keyMark: Mark, value: YAMLNode) {
            self.key = key
            self.keyMark = keyMark
            self.value = value
        }
    }

    /// What a node holds.
    public enum Content: Sendable, Equatable {
        case scalar(Scalar)
        case sequence([YAMLNode])
        /// In file order.
        case mapping([Entry])
    }

    /// The scalar, items or entries.
    public var content: Content
    /// Where the node starts.
    public var mark: Mark

    public init(_ content: Content, mark: Mark) {
        self.content = content
        self.mark = mark
    }

    /// The scalar, when this node is one.
    public var scalar: Scalar? {
        if case .scalar(let scalar) = content { return scalar }
        return nil
    }

    /// The items, when this node is a sequence.
    public var items: [YAMLNode]? {
        if case .sequence(let items) = content { return items }
        return nil
    }

    /// The entries in file order, when this node is a mapping.
    public var entries: [Entry]? {
        if case .mapping(let entries) = content { return entries }
        return nil
    }

    /// The value of the first entry with this key, when this node is a mapping.
    public subscript(key: String) -> YAMLNode? {
        entries?.first { $0.key == key }?.value
    }

    /// True for an empty plain scalar, `~`, `null` (any case) or an explicit `!!null`.
    public var isNull: Bool {
        guard let scalar else { return false }
        if scalar.tag == YAMLNode.Scalar.nullTag { return true }
        guard scalar.style == .plain, scalar.tag == nil else { return false }
        return scalar.value.isEmpty || scalar.value == "~" || scalar.value.lowercased() == "null"
    }

    /// `a mapping`, `a list`, `a string` …, for messages about a value of the wrong kind.
    public var kindDescription: String {
        switch content {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar(let scalar):
            if isNull { return "nothing" }
            if scalar.integer != nil { return "a number" }
            if scalar.bool != nil { return "a boolean" }
            return "a string"
        }
    }
}

extension YAMLNode.Scalar {
    package static let nullTag = "tag:yaml.org,2002:null"
    package static let boolTag = "tag:yaml.org,2002:bool"
    package static let intTag = "tag:yaml.org,2002:int"
    package static let stringTag = "tag:yaml.org,2002:str"

    /// True when the scalar may be read as a number or boolean: plain without tag, or explicitly tagged.
    package var isImplicitlyTyped: Bool { style == .plain && tag == nil }

    /// The integer this scalar denotes (YAML 1.2 core schema: decimal, `0x…`, `0o…`), when it is a
    /// plain untagged scalar or tagged `!!int`. A quoted `"10"` is a string, not an integer.
    public var integer: Int? {
        guard isImplicitlyTyped || tag == YAMLNode.Scalar.intTag else { return nil }
        return YAMLNode.Scalar.parseInteger(value)
    }

    /// The boolean this scalar denotes (`true`/`false` in any case), when it is a plain untagged
    /// scalar or tagged `!!bool`.
    public var bool: Bool? {
        guard isImplicitlyTyped || tag == YAMLNode.Scalar.boolTag else { return nil }
        switch value.lowercased() {
        case "true": return true
        case "false": return false
        default: return nil
        }
    }

    package static func parseInteger(_ text: String) -> Int? {
        var digits = Substring(text)
        var negative = false
        if let first = digits.first, first == "-" || first == "+" {
            negative = first == "-"
            digits = digits.dropFirst()
        }
        var radix = 10
        if digits.hasPrefix("0x") {
            radix = 16
            digits = digits.dropFirst(2)
        } else if digits.hasPrefix("0o") {
            radix = 8
            digits = digits.dropFirst(2)
        }
        guard !digits.isEmpty, let magnitude = Int(digits, radix: radix) else { return nil }
        return negative ? -magnitude : magnitude
    }
}
