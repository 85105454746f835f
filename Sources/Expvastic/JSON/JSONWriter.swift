import ExpvasticBase

/// Appends JSON tokens to a byte buffer: escaped strings, exact integers, shortest round-trip doubles.
public enum JSONWriter {
    /// Appends the body of a JSON string (no quotes): `"` `\` and control characters escaped,
    /// everything else (including non-ASCII UTF-8) copied as is. `bytes` must be valid UTF-8.
    package static func appendEscaped(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        var runStart = 0
        var i = 0
        let n = bytes.count
        while i < n {
            let c = bytes[i]
            if !escapes(c) {
                i += 1
                continue
            }
            if runStart < i { out.append(bytes: UnsafeRawBufferPointer(rebasing: bytes[runStart..<i])) }
            out.append(0x5C)
            switch c {
            case 0x22: out.append(0x22)
            case 0x5C: out.append(0x5C)
            case 0x0A: out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "t"))
            case 0x08: out.append(UInt8(ascii: "b"))
            case 0x0C: out.append(UInt8(ascii: "f"))
            default:
                let hex: StaticString = "0123456789abcdef"
                out.append(UInt8(ascii: "u"))
                out.append(UInt8(ascii: "0"))
                out.append(UInt8(ascii: "0"))
                out.append(hex.utf8Start[Int(c >> 4)])
                out.append(hex.utf8Start[Int(c & 15)])
            }
            i += 1
            runStart = i
        }
        if runStart < n { out.append(bytes: UnsafeRawBufferPointer(rebasing: bytes[runStart..<n])) }
    }

    /// A byte a JSON string cannot hold as it is: a control character, `"` or `\`.
    @inline(__always)
    private static func escapes(_ byte: UInt8) -> Bool { byte < 0x20 || byte == 0x22 || byte == 0x5C }

    /// True when `text` has a byte ``appendEscaped(_:to:)`` escapes.
    package static func needsEscaping(_ text: String) -> Bool { text.containsByte(where: escapes) }

    /// Appends a quoted, escaped JSON string.
    package static func appendString(_ string: String, to out: inout [UInt8]) {
        out.append(0x22)
        var copy = string
        copy.withUTF8 { appendEscaped(UnsafeRawBufferPointer($0), to: &out) }
        out.append(0x22)
    }

    /// A quoted, escaped JSON string, for JSON assembled as text (the monitoring endpoint).
    package static func quoted(_ string: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(string.utf8.count + 2)
        appendString(string, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// A JSON number, or `null` for NaN and infinities, which JSON cannot express.
    package static func numberOrNull(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        var out: [UInt8] = []
        appendDouble(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends an integer in decimal.
    @inlinable @inline(__always)
    public static func appendInt(_ value: Int64, to out: inout [UInt8]) {
        if value < 0 {
            out.appendWriting(maxCount: 21) { target in
                target[0] = UInt8(ascii: "-")
                return 1 + writeUInt(value.magnitude, to: target + 1)
            }
        } else {
            appendUInt(UInt64(value), to: &out)
        }
    }

    /// Appends an unsigned integer in decimal.
    @inlinable @inline(__always)
    public static func appendUInt(_ value: UInt64, to out: inout [UInt8]) {
        if value < 10 {
            out.append(UInt8(ascii: "0") &+ UInt8(value))
            return
        }
        out.appendWriting(maxCount: 20) { target in writeUInt(value, to: target) }
    }

    /// Writes `value` in decimal at `target` (at most 20 bytes); returns the number of bytes.
    @inlinable @inline(__always)
    public static func writeUInt(_ value: UInt64, to target: UnsafeMutablePointer<UInt8>) -> Int {
        var length = 1
        var bound: UInt64 = 10
        while value >= bound {
            length += 1
            if length == 20 { break }
            bound &*= 10
        }
        // Two digits per division, from the end; `r * 103 >> 10` is `r / 10` below 100.
        @inline(__always) func pair(_ r: UInt64, at offset: Int) {
            let tens = (r &* 103) >> 10
            target[offset] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: tens)
            target[offset + 1] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: r &- tens &* 10)
        }
        var v = value
        var i = length
        while v >= 100 {
            let (q, r) = v.quotientAndRemainder(dividingBy: 100)
            i -= 2
            pair(r, at: i)
            v = q
        }
        if v >= 10 {
            pair(v, at: 0)
        } else {
            target[0] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v)
        }
        return length
    }

    /// Appends a finite double as the shortest text that reads back to the same value, always with a
    /// `.` or an exponent so that Elasticsearch maps it as a floating-point field (`0.0`, `1.5`,
    /// `1e+16`, `5e-324`). Precondition: `value.isFinite`.
    @inlinable @inline(__always)
    public static func appendDouble(_ value: Double, to out: inout [UInt8]) {
        precondition(value.isFinite, "non-finite doubles are dropped before encoding")
        // Integral values below 2^53 print as `<integer>.0`, which is what `description` gives too.
        if value == value.rounded(.towardZero), value.magnitude < 1e15 {
            if value == 0, value.sign == .minus { out.append(UInt8(ascii: "-")) }
            appendInt(Int64(value), to: &out)
            out.append(UInt8(ascii: "."))
            out.append(UInt8(ascii: "0"))
            return
        }
        // Swift's description is the shortest round-trip form; its exponent form (`1e-05`,
        // `1.5e+20`) is valid JSON.
        out.append(contentsOf: value.description.utf8)
    }
}
