import ExpvasticBase

/// Why a body could not be parsed as a JSON object.
///
/// `code` is stable (for metrics and logs); `message` says what was wrong, where (byte offset) and
/// shows the first bytes of the body so an operator can recognise an HTML error page or a proxy reply.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable codes.
    public enum Code: String, Sendable, Equatable {
        /// The body is empty or only white space.
        case empty
        /// The body is larger than the size limit.
        case tooLarge = "too_large"
        /// Objects or arrays nested deeper than the depth limit.
        case tooDeep = "too_deep"
        /// The root value is not an object (array, scalar, HTML page, …).
        case notAnObject = "not_an_object"
        /// The body ended in the middle of a value.
        case truncated
        /// A byte that cannot appear here.
        case unexpectedByte = "unexpected_byte"
        /// A malformed number.
        case invalidNumber = "invalid_number"
        /// A malformed string escape or an unescaped control character.
        case invalidString = "invalid_string"
        /// Bytes that are not valid UTF-8.
        case invalidUTF8 = "invalid_utf8"
        /// More bytes after the root object.
        case trailingData = "trailing_data"
    }

    /// What went wrong.
    public var code: Code
    /// Byte offset in the body where the problem was found.
    public var offset: Int
    /// What was wrong and what to check, including a sanitised preview of the body.
    public var message: String

    /// Makes an error; ``message`` is the reason plus offset plus a preview of `body`.
    public init(code: Code, offset: Int, reason: String, body: UnsafeRawBufferPointer) {
        self.code = code
        self.offset = offset
        self.message = "\(reason) at byte \(offset) of \(body.count); body starts with \(JSONError.preview(body))"
    }

    public var description: String { message }

    /// The first `limit` bytes of a body as a quoted, printable string: control characters and
    /// invalid UTF-8 become `\xNN`, so a hostile body cannot inject lines into logs.
    public static func preview(_ body: UnsafeRawBufferPointer, limit: Int = 64) -> String {
        var out = "\""
        let end = min(body.count, limit)
        var index = 0
        while index < end {
            let byte = body[index]
            if byte >= 0x20, byte < 0x7F, byte != 0x22, byte != 0x5C {
                out.unicodeScalars.append(Unicode.Scalar(byte))
                index += 1
                continue
            }
            if byte >= 0x80, let (scalar, length) = UTF8Validation.decode(body, at: index, end: end),
                scalar.value >= 0xA0
            {
                out.unicodeScalars.append(scalar)
                index += length
                continue
            }
            switch byte {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            default: out += "\\x" + hexByte(byte)
            }
            index += 1
        }
        out += "\""
        if body.count > limit { out += "…" }
        return out
    }

    private static func hexByte(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF".unicodeScalars)
        return String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 15)])
    }
}
