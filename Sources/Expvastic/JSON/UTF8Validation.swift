import ExpvasticBase

/// Strict UTF-8 decoding of one scalar (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF).
package enum UTF8Validation {
    /// The length of the valid multi-byte sequence starting at `index` (whose first byte is ≥ 0x80),
    /// or nil when the sequence is invalid. Returns 0 when the sequence is cut off by `end`.
    @inline(__always)
    package static func sequenceLength(_ p: UnsafeRawBufferPointer, at index: Int, end: Int) -> Int? {
        let b0 = p[index]
        @inline(__always) func cont(_ offset: Int, _ low: UInt8 = 0x80, _ high: UInt8 = 0xBF) -> Bool? {
            guard index + offset < end else { return nil }
            let b = p[index + offset]
            return b >= low && b <= high
        }
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch b0 {
        case 0xC2...0xDF: length = 2
        case 0xE0:
            length = 3
            low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED:
            length = 3
            high = 0x9F
        case 0xF0:
            length = 4
            low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4:
            length = 4
            high = 0x8F
        default: return nil
        }
        guard let second = cont(1, low, high) else { return 0 }
        guard second else { return nil }
        for offset in 2..<length {
            guard let ok = cont(offset) else { return 0 }
            guard ok else { return nil }
        }
        return length
    }

    /// Decodes one scalar at `index` (first byte ≥ 0x80); nil when invalid or cut off.
    package static func decode(_ p: UnsafeRawBufferPointer, at index: Int, end: Int) -> (Unicode.Scalar, Int)? {
        guard let length = sequenceLength(p, at: index, end: end), length > 0 else { return nil }
        var value = UInt32(p[index]) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
        for offset in 1..<length { value = value << 6 | UInt32(p[index + offset] & 0x3F) }
        guard let scalar = Unicode.Scalar(value) else { return nil }
        return (scalar, length)
    }
}
