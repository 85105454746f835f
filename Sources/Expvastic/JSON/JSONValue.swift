import ExpvasticBase

/// A JSON object as a tree, for the small answers Expvastic reads from clusters (`GET /`, `_bulk`
/// with errors). Polled bodies never come through here: the flattener walks the tape directly.
package enum JSONValue: Equatable, Sendable {
    /// Members by key; with duplicate keys the last one wins, as in most parsers.
    case object([String: JSONValue])
    case array([JSONValue])
    case string(String)
    /// Integers and doubles alike; `+Inf`, `-Inf` and `NaN` included.
    case number(Double)
    case bool(Bool)
    case null

    /// Parses a body whose root is an object (the only kind clusters answer with).
    package static func parse(_ body: [UInt8]) throws(JSONError) -> JSONValue {
        var scanner = JSONScanner()
        var tape = JSONTape()
        let result = body.withUnsafeBytes { source -> Result<JSONValue, JSONError> in
            do throws(JSONError) {
                try scanner.parse(source, into: &tape)
            } catch {
                return .failure(error)
            }
            return tape.arena.withUnsafeBytes { arena in
                var index = 0
                return .success(value(at: &index, nodes: tape.nodes, source: source, arena: arena))
            }
        }
        return try result.get()
    }

    /// The value of the node at `index`; moves `index` past it and its descendants.
    private static func value(
        at index: inout Int, nodes: UnsafeBufferPointer<JSONTape.Node>, source: UnsafeRawBufferPointer,
        arena: UnsafeRawBufferPointer
    ) -> JSONValue {
        let node = nodes[index]
        index += 1
        func text(_ node: JSONTape.Node) -> String {
            let base = node.decoded ? arena : source
            return String(decoding: base[Int(node.start)..<Int(node.start + node.count)], as: UTF8.self)
        }
        switch node.kind {
        case .object:
            var members: [String: JSONValue] = [:]
            members.reserveCapacity(Int(node.count))
            while index < node.end {
                let key = text(nodes[index])
                index += 1
                members[key] = value(at: &index, nodes: nodes, source: source, arena: arena)
            }
            return .object(members)
        case .array:
            var elements: [JSONValue] = []
            elements.reserveCapacity(Int(node.count))
            while index < node.end { elements.append(value(at: &index, nodes: nodes, source: source, arena: arena)) }
            return .array(elements)
        case .key, .string: return .string(text(node))
        case .int: return .number(Double(node.int))
        case .uint: return .number(Double(node.payload))
        case .double: return .number(node.double)
        case .nonFinite: return .number([Double.infinity, -Double.infinity, Double.nan][Int(node.payload)])
        case .bool: return .bool(node.payload != 0)
        case .null: return .null
        }
    }

    /// The member `key` of an object; nil for other values or a missing key.
    package subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { members[key] } else { nil }
    }

    package var string: String? { if case .string(let text) = self { text } else { nil } }
    package var bool: Bool? { if case .bool(let flag) = self { flag } else { nil } }
    package var array: [JSONValue]? { if case .array(let elements) = self { elements } else { nil } }
    package var object: [String: JSONValue]? { if case .object(let members) = self { members } else { nil } }
    /// A number that is a whole `Int`.
    package var int: Int? { if case .number(let number) = self { Int(exactly: number) } else { nil } }
}
