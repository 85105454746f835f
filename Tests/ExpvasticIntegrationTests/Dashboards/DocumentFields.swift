import Foundation

/// The top-level fields of one Expvastic document and the JSON kind of each value, read from the
/// document's text so that `1` (an integer, which Elasticsearch detects as `long`) and `1.0` (a
/// double) stay distinct — `JSONSerialization` would turn both into an `NSNumber`.
struct DocumentFields: Equatable {
    /// What Elasticsearch's dynamic mapping sees in a value.
    indirect enum Kind: Equatable, CustomStringConvertible {
        case integer
        case double
        case string
        case boolean
        case null
        case object
        /// An array, with the kind of its elements (nil when empty or mixed).
        case array(Kind?)

        /// The `match_mapping_type` Elasticsearch gives a value of this kind (arrays: their elements).
        var mappingType: String? {
            switch self {
            case .integer: "long"
            case .double: "double"
            case .string: "string"
            case .boolean: "boolean"
            case .object: "object"
            case .null: nil
            case .array(let element): element?.mappingType
            }
        }

        var isNumeric: Bool {
            switch self {
            case .integer, .double: true
            case .array(let element): element?.isNumeric ?? false
            default: false
            }
        }

        var description: String {
            switch self {
            case .integer: "integer"
            case .double: "double"
            case .string: "string"
            case .boolean: "boolean"
            case .null: "null"
            case .object: "object"
            case .array(let element): "array of \(element?.description ?? "mixed")"
            }
        }
    }

    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    /// Field name → kind, for every top-level member.
    var kinds: [String: Kind]
    /// The string members (`type`, `reader`, `endpoint`, …).
    var strings: [String: String]
    /// The integer members, for assertions on counters.
    var integers: [String: Int64]

    var names: Set<String> { Set(kinds.keys) }

    /// Reads one JSON object (an Expvastic document) from `text`.
    init(parsing text: String) throws {
        var parser = Parser(bytes: Array(text.utf8))
        kinds = [:]
        strings = [:]
        integers = [:]
        parser.skipSpace()
        try parser.expect(UInt8(ascii: "{"))
        parser.skipSpace()
        if parser.peek == UInt8(ascii: "}") {
            parser.index += 1
            return
        }
        while true {
            parser.skipSpace()
            let key = try parser.string()
            parser.skipSpace()
            try parser.expect(UInt8(ascii: ":"))
            parser.skipSpace()
            let start = parser.index
            let kind = try parser.value()
            kinds[key] = kind
            let raw = String(decoding: parser.bytes[start..<parser.index], as: UTF8.self)
            if kind == .string,
                let value = try? JSONSerialization.jsonObject(
                    with: Data(raw.utf8), options: .fragmentsAllowed) as? String
            {
                strings[key] = value
            }
            if kind == .integer, let value = Int64(raw) { integers[key] = value }
            parser.skipSpace()
            if parser.peek == UInt8(ascii: ",") {
                parser.index += 1
                continue
            }
            try parser.expect(UInt8(ascii: "}"))
            return
        }
    }

    /// Every document of a bulk NDJSON text (action line, document line, …).
    static func documents(inBulk text: String) throws -> [DocumentFields] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        guard lines.count % 2 == 0 else {
            throw ParseError(description: "bulk NDJSON has an odd number of lines (\(lines.count))")
        }
        return try stride(from: 1, to: lines.count, by: 2).map { try DocumentFields(parsing: String(lines[$0])) }
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipSpace() {
            while let byte = peek, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
        }

        mutating func expect(_ byte: UInt8) throws {
            guard peek == byte else {
                throw ParseError(description: "expected \(Character(UnicodeScalar(byte))) at byte \(index)")
            }
            index += 1
        }

        mutating func string() throws -> String {
            let start = index
            try expect(UInt8(ascii: "\""))
            while let byte = peek, byte != UInt8(ascii: "\"") {
                index += byte == UInt8(ascii: "\\") ? 2 : 1
            }
            try expect(UInt8(ascii: "\""))
            let raw = Data(bytes[start..<index])
            guard let text = try JSONSerialization.jsonObject(with: raw, options: .fragmentsAllowed) as? String else {
                throw ParseError(description: "bad string at byte \(start)")
            }
            return text
        }

        mutating func value() throws -> Kind {
            switch peek {
            case UInt8(ascii: "\""):
                _ = try string()
                return .string
            case UInt8(ascii: "{"):
                index += 1
                skipSpace()
                if peek == UInt8(ascii: "}") {
                    index += 1
                    return .object
                }
                while true {
                    skipSpace()
                    _ = try string()
                    skipSpace()
                    try expect(UInt8(ascii: ":"))
                    skipSpace()
                    _ = try value()
                    skipSpace()
                    if peek == UInt8(ascii: ",") {
                        index += 1
                        continue
                    }
                    try expect(UInt8(ascii: "}"))
                    return .object
                }
            case UInt8(ascii: "["):
                index += 1
                skipSpace()
                if peek == UInt8(ascii: "]") {
                    index += 1
                    return .array(nil)
                }
                var element: Kind?
                var mixed = false
                while true {
                    skipSpace()
                    let kind = try value()
                    if let known = element, known != kind {
                        // Elasticsearch maps [1, 2.5] as the first element's type; integers and doubles
                        // both count as numbers here.
                        if known.isNumeric && kind.isNumeric { element = .double } else { mixed = true }
                    } else if element == nil {
                        element = kind
                    }
                    skipSpace()
                    if peek == UInt8(ascii: ",") {
                        index += 1
                        continue
                    }
                    try expect(UInt8(ascii: "]"))
                    return .array(mixed ? nil : element)
                }
            case UInt8(ascii: "t"), UInt8(ascii: "f"):
                while let byte = peek, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) { index += 1 }
                return .boolean
            case UInt8(ascii: "n"):
                index += 4
                return .null
            case .some(let byte)
            where byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte):
                var isDouble = false
                while let byte = peek, "0123456789+-.eE".utf8.contains(byte) {
                    if byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
                        isDouble = true
                    }
                    index += 1
                }
                return isDouble ? .double : .integer
            default:
                throw ParseError(description: "unexpected byte at \(index)")
            }
        }
    }
}
