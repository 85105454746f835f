internal import CYaml
import ExpvasticBase
import ExpvasticCodecs

/// Parses YAML text with libyaml into a ``YAMLDocument``.
///
/// Supports block and flow collections, plain/quoted/literal/folded scalars, comments, tags,
/// anchors and aliases (resolved by copying) and merge keys (`<<: *defaults`). A text holds at most
/// one document. Syntax errors throw with a 1-based line and column; duplicate keys do not throw but
/// are listed in ``YAMLDocument/duplicateKeys`` so that callers can report them with other problems.
public enum YAMLParser {
    /// The most nodes a document may expand to through aliases; protects against "billion laughs".
    public static let maximumNodes = 1_000_000
    /// The deepest nesting of lists and mappings accepted; deeper trees are rejected before they can
    /// exhaust the stack when they are compared or released.
    public static let maximumDepth = 256

    /// Parses one YAML document.
    public static func parse(_ text: String) throws(YAMLError) -> YAMLDocument {
        try parse(bytes: Array(text.utf8))
    }

    /// Parses one YAML document from raw bytes (UTF-8, UTF-16 with BOM); invalid encodings are syntax errors.
    public static func parse(bytes: [UInt8]) throws(YAMLError) -> YAMLDocument {
        guard !bytes.isEmpty else { return YAMLDocument(root: nil) }
        let result = bytes.withUnsafeBufferPointer { buffer -> Result<YAMLDocument, YAMLError> in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else {
                return .failure(YAMLError(code: .syntax, message: "libyaml could not be initialised", mark: nil))
            }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var builder = TreeBuilder()
            while !builder.finished {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    return .failure(syntaxError(parser, text: buffer))
                }
                defer { yaml_event_delete(&event) }
                do throws(YAMLError) {
                    try builder.handle(event)
                } catch {
                    return .failure(error)
                }
            }
            return .success(YAMLDocument(root: builder.root, duplicateKeys: builder.duplicateKeys))
        }
        return try result.get()
    }

    private static func syntaxError(_ parser: yaml_parser_t, text: UnsafeBufferPointer<UInt8>) -> YAMLError {
        let problem = parser.problem.map { String(cString: $0) } ?? "invalid YAML"
        let problemMark = mark(parser.problem_mark)
        // libyaml's words for a tab in indentation ("found character that cannot start any token")
        // send people hunting for a bad character; name the tab and its line instead.
        let lines = TextLines(text)
        if problem.contains("tab character") || lines.indentationTab(onLine: problemMark.line) != nil,
            let tab = lines.firstIndentationTab(throughLine: problemMark.line)
        {
            return YAMLError(
                code: .tabIndentation, message: "tabs are not allowed in YAML indentation; use spaces", mark: tab)
        }
        var message = problem
        if let context = parser.context.map({ String(cString: $0) }) {
            let contextMark = mark(parser.context_mark)
            message += " (\(context) at \(contextMark))"
        }
        return YAMLError(code: .syntax, message: message, mark: problemMark)
    }

    /// The lines of a UTF-8 text, for finding tabs in indentation.
    private struct TextLines {
        package let text: UnsafeBufferPointer<UInt8>

        package init(_ text: UnsafeBufferPointer<UInt8>) {
            // UTF-16 (with a BOM) is not scanned byte by byte; libyaml's own message stands.
            let utf16 =
                text.count >= 2 && ((text[0] == 0xFF && text[1] == 0xFE) || (text[0] == 0xFE && text[1] == 0xFF))
            self.text = utf16 ? UnsafeBufferPointer(start: text.baseAddress, count: 0) : text
        }

        /// Where the first tab in the indentation of line `number` (1-based) is: in the run of
        /// spaces, tabs and `-` sequence indicators before the line's content.
        package func indentationTab(onLine number: Int) -> YAMLNode.Mark? {
            firstIndentationTab(fromLine: number, throughLine: number)
        }

        /// The first line from `first` through `last` with a tab in its indentation; one pass.
        package func firstIndentationTab(fromLine first: Int = 1, throughLine last: Int) -> YAMLNode.Mark? {
            var line = 1
            var column = 1
            var inIndentation = true
            for byte in text {
                if line > last { return nil }
                if byte == 0x0A {
                    line += 1
                    column = 1
                    inIndentation = true
                    continue
                }
                if inIndentation {
                    if byte == 0x09, line >= first { return YAMLNode.Mark(line: line, column: column) }
                    inIndentation = byte == 0x20 || byte == 0x09 || byte == 0x2D
                }
                column += 1
            }
            return nil
        }
    }

    /// libyaml marks are 0-based; people count from 1.
    fileprivate static func mark(_ mark: yaml_mark_t) -> YAMLNode.Mark {
        YAMLNode.Mark(line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }

    fileprivate static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: UnsafePointer($0)) }
    }
}

/// Builds the tree from libyaml events with an explicit stack (no recursion, so deep documents
/// cannot overflow the thread's stack).
private struct TreeBuilder {
    private struct Sequence {
        package var items: [YAMLNode] = []
        package var mark: YAMLNode.Mark
        package var anchor: String?
        package var path: String
        package var count = 1
    }

    private struct Mapping {
        package var entries: [YAMLNode.Entry] = []
        package var pendingKey: (key: String, mark: YAMLNode.Mark, isMerge: Bool)?
        package var firstMarks: [String: YAMLNode.Mark] = [:]
        package var merged: [YAMLNode] = []
        package var mark: YAMLNode.Mark
        package var anchor: String?
        package var path: String
        package var count = 1
    }

    private enum Frame {
        case sequence(Sequence)
        case mapping(Mapping)
    }

    private var stack: [Frame] = []
    private var anchors: [String: (node: YAMLNode, count: Int)] = [:]
    private var documents = 0
    private var totalNodes = 0
    private(set) package var root: YAMLNode?
    private(set) package var duplicateKeys: [YAMLDocument.DuplicateKey] = []
    private(set) package var finished = false

    package mutating func handle(_ event: yaml_event_t) throws(YAMLError) {
        let mark = YAMLParser.mark(event.start_mark)
        switch event.type {
        case YAML_STREAM_END_EVENT:
            finished = true
        case YAML_DOCUMENT_START_EVENT:
            documents += 1
            if documents > 1 {
                throw YAMLError(
                    code: .multipleDocuments,
                    message:
                        "a second YAML document starts here; the file must hold exactly one (remove the extra ---)",
                    mark: mark)
            }
        case YAML_SCALAR_EVENT:
            let data = event.data.scalar
            let value = String(
                decoding: UnsafeBufferPointer(start: data.value, count: Int(data.length)), as: UTF8.self)
            let style: YAMLNode.Scalar.Style
            switch data.style {
            case YAML_SINGLE_QUOTED_SCALAR_STYLE: style = .singleQuoted
            case YAML_DOUBLE_QUOTED_SCALAR_STYLE: style = .doubleQuoted
            case YAML_LITERAL_SCALAR_STYLE: style = .literal
            case YAML_FOLDED_SCALAR_STYLE: style = .folded
            default: style = .plain
            }
            let scalar = YAMLNode.Scalar(value, style: style, tag: YAMLParser.string(data.tag))
            try complete(
                YAMLNode(.scalar(scalar), mark: mark), count: 1, anchor: YAMLParser.string(data.anchor), mark: mark)
        case YAML_ALIAS_EVENT:
            let name = YAMLParser.string(event.data.alias.anchor) ?? ""
            guard let anchored = anchors[name] else {
                throw YAMLError(
                    code: .unknownAnchor, message: "alias *\(name) names no anchor defined before it", mark: mark)
            }
            try complete(anchored.node, count: anchored.count, anchor: nil, mark: mark)
        case YAML_SEQUENCE_START_EVENT:
            let path = try childPath(mark: mark)
            try count(1, mark: mark)
            try checkDepth(mark: mark)
            stack.append(
                .sequence(
                    Sequence(mark: mark, anchor: YAMLParser.string(event.data.sequence_start.anchor), path: path)))
        case YAML_MAPPING_START_EVENT:
            let path = try childPath(mark: mark)
            try count(1, mark: mark)
            try checkDepth(mark: mark)
            stack.append(
                .mapping(Mapping(mark: mark, anchor: YAMLParser.string(event.data.mapping_start.anchor), path: path)))
        case YAML_SEQUENCE_END_EVENT:
            guard case .sequence(let sequence) = stack.popLast() else { return }
            try complete(
                YAMLNode(.sequence(sequence.items), mark: sequence.mark), count: sequence.count,
                anchor: sequence.anchor, mark: sequence.mark, counted: true)
        case YAML_MAPPING_END_EVENT:
            guard case .mapping(let mapping) = stack.popLast() else { return }
            try complete(
                YAMLNode(.mapping(TreeBuilder.applyMerges(mapping)), mark: mapping.mark), count: mapping.count,
                anchor: mapping.anchor, mark: mapping.mark, counted: true)
        default:
            break
        }
    }

    /// The path a collection starting now will have; rejects collections used as mapping keys.
    private func childPath(mark: YAMLNode.Mark) throws(YAMLError) -> String {
        switch stack.last {
        case nil:
            return ""
        case .sequence(let sequence):
            return sequence.path + "[\(sequence.items.count)]"
        case .mapping(let mapping):
            guard let pending = mapping.pendingKey else {
                throw YAMLError(
                    code: .complexKey, message: "a list or mapping cannot be used as a key (use a plain name)",
                    mark: mark)
            }
            return mapping.path.isEmpty ? pending.key : mapping.path + "." + pending.key
        }
    }

    private func checkDepth(mark: YAMLNode.Mark) throws(YAMLError) {
        if stack.count >= YAMLParser.maximumDepth {
            throw YAMLError(
                code: .tooLarge, message: "lists and mappings nest deeper than \(YAMLParser.maximumDepth) levels",
                mark: mark)
        }
    }

    private mutating func count(_ nodes: Int, mark: YAMLNode.Mark) throws(YAMLError) {
        totalNodes += nodes
        if totalNodes > YAMLParser.maximumNodes {
            throw YAMLError(
                code: .tooLarge,
                message: "the document expands to more than \(YAMLParser.maximumNodes) nodes through aliases",
                mark: mark)
        }
    }

    /// Attaches a finished node to its parent (or makes it the root) and records its anchor.
    private mutating func complete(
        _ node: YAMLNode, count nodes: Int, anchor: String?, mark: YAMLNode.Mark, counted: Bool = false
    ) throws(YAMLError) {
        if !counted { try count(nodes, mark: mark) }
        if let anchor { anchors[anchor] = (node, nodes) }
        guard let top = stack.popLast() else {
            root = node
            return
        }
        // `consume`: the frame's arrays and dictionary must be uniquely referenced when appended to,
        // or every append copies them (a 10,000-reader file took seconds, quadratically).
        switch consume top {
        case .sequence(var sequence):
            sequence.items.append(node)
            sequence.count += nodes
            stack.append(.sequence(sequence))
        case .mapping(var mapping):
            mapping.count += nodes
            if let pending = mapping.pendingKey {
                mapping.pendingKey = nil
                if pending.isMerge {
                    try TreeBuilder.addMerge(node, to: &mapping, mark: pending.mark)
                } else if let first = mapping.firstMarks[pending.key] {
                    duplicateKeys.append(
                        YAMLDocument.DuplicateKey(
                            mappingPath: mapping.path, key: pending.key, mark: pending.mark, firstMark: first))
                    mapping.entries.append(YAMLNode.Entry(key: pending.key, keyMark: pending.mark, value: node))
                } else {
                    mapping.firstMarks[pending.key] = pending.mark
                    mapping.entries.append(YAMLNode.Entry(key: pending.key, keyMark: pending.mark, value: node))
                }
            } else {
                guard let key = node.scalar else {
                    throw YAMLError(
                        code: .complexKey, message: "a list or mapping cannot be used as a key (use a plain name)",
                        mark: node.mark)
                }
                let isMerge = key.value == "<<" && key.style == .plain && key.tag == nil
                mapping.pendingKey = (key.value, node.mark, isMerge)
            }
            stack.append(.mapping(mapping))
        }
    }

    private static func addMerge(_ node: YAMLNode, to mapping: inout Mapping, mark: YAMLNode.Mark) throws(YAMLError) {
        if node.entries != nil {
            mapping.merged.append(node)
            return
        }
        if let items = node.items, items.allSatisfy({ $0.entries != nil }) {
            mapping.merged.append(contentsOf: items)
            return
        }
        throw YAMLError(
            code: .syntax, message: "a merge key (<<) needs a mapping or a list of mappings, such as *defaults",
            mark: mark)
    }

    /// Explicit keys win over merged ones; among merged mappings the first one listed wins.
    private static func applyMerges(_ mapping: Mapping) -> [YAMLNode.Entry] {
        guard !mapping.merged.isEmpty else { return mapping.entries }
        var entries = mapping.entries
        var present = Set(entries.map(\.key))
        for source in mapping.merged {
            for entry in source.entries ?? [] where !present.contains(entry.key) {
                present.insert(entry.key)
                entries.append(entry)
            }
        }
        return entries
    }
}
