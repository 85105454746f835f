import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

/// A field taken out of a document the cluster refused because of it: written to the dead-letter
/// file with the cluster's reason while the rest of the document is sent again.
public struct RemovedField: Sendable, Equatable {
    /// The field's key (unescaped; documents are flat, so the dotted path).
    public var path: String
    /// The value exactly as it was in the document (JSON).
    public var value: [UInt8]

    public init(path: String, value: [UInt8]) {
        self.path = path
        self.value = value
    }
}

/// Takes fields out of a document body: a flat JSON object as readers write it (keys are dotted
/// paths). Works on the bytes, so every other field keeps its exact text.
package enum DocumentFieldRemoval {
    /// `body` without the fields `rejection` blames, and those fields; nil when the body has none
    /// of them (or is not an object).
    package static func removing(_ rejection: FieldRejection, from body: [UInt8]) -> (
        body: [UInt8], removed: [RemovedField]
    )? {
        removing(where: rejection.blames, from: body)
    }

    /// `body` without the fields whose key (unescaped) `blamed` is true for, and those fields; nil
    /// when there are none (or `body` is not an object).
    package static func removing(
        where blamed: (String) -> Bool, from body: [UInt8]
    ) -> (body: [UInt8], removed: [RemovedField])? {
        guard let members = members(of: body) else { return nil }
        var kept: [UInt8] = [UInt8(ascii: "{")]
        kept.reserveCapacity(body.count)
        var removed: [RemovedField] = []
        for member in members {
            let key = Self.key(body[member.key])
            if blamed(key) {
                removed.append(RemovedField(path: key, value: Array(body[member.value])))
                continue
            }
            if kept.count > 1 { kept.append(UInt8(ascii: ",")) }
            kept += body[member.key.lowerBound - 1..<member.value.upperBound]
        }
        guard !removed.isEmpty else { return nil }
        kept.append(UInt8(ascii: "}"))
        return (kept, removed)
    }

    /// One `"key":value` of the top-level object: the key's bytes between its quotes, the value's.
    package struct Member {
        package var key: Range<Int>
        package var value: Range<Int>
    }

    /// The top-level members of a JSON object, or nil when `body` is not one.
    package static func members(of body: [UInt8]) -> [Member]? {
        var i = 0
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 }
        func skipSpace() {
            while i < body.count, isSpace(body[i]) { i += 1 }
        }
        /// `i` at an opening quote: moves past the closing one; the range of what is between.
        func string() -> Range<Int>? {
            guard i < body.count, body[i] == UInt8(ascii: "\"") else { return nil }
            let start = i + 1
            i = start
            while i < body.count {
                switch body[i] {
                case UInt8(ascii: "\\"): i += 2
                case UInt8(ascii: "\""):
                    i += 1
                    return start..<(i - 1)
                default: i += 1
                }
            }
            return nil
        }
        skipSpace()
        guard i < body.count, body[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        var members: [Member] = []
        skipSpace()
        if i < body.count, body[i] == UInt8(ascii: "}") { return members }
        while true {
            skipSpace()
            guard let key = string() else { return nil }
            skipSpace()
            guard i < body.count, body[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            skipSpace()
            let valueStart = i
            var depth = 0
            scan: while i < body.count {
                switch body[i] {
                case UInt8(ascii: "\""):
                    guard string() != nil else { return nil }
                    continue scan
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    if depth == 0 { break scan }
                    depth -= 1
                case UInt8(ascii: ","):
                    if depth == 0 { break scan }
                default: break
                }
                i += 1
            }
            guard i < body.count else { return nil }
            var valueEnd = i
            while valueEnd > valueStart, isSpace(body[valueEnd - 1]) { valueEnd -= 1 }
            guard valueEnd > valueStart else { return nil }
            members.append(Member(key: key, value: valueStart..<valueEnd))
            if body[i] == UInt8(ascii: "}") { return members }
            i += 1
        }
    }

    /// A key's text, unescaped.
    private static func key(_ bytes: ArraySlice<UInt8>) -> String {
        guard bytes.contains(UInt8(ascii: "\\")) else { return String(decoding: bytes, as: UTF8.self) }
        let object = Array(#"{"k":""#.utf8) + bytes + Array(#""}"#.utf8)
        if let text = (try? JSONValue.parse(object))?["k"]?.string { return text }
        return String(decoding: bytes, as: UTF8.self)
    }
}
