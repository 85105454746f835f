import ExpvasticBase

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A strict, allocation-light JSON parser over raw bytes, made for `/debug/vars` bodies.
///
/// - Integers are lossless: `Int64` and, above `Int64.max`, `UInt64` (Go's `LastGC`, `PauseEnd`).
///   Numbers with a fraction or exponent (or beyond `UInt64`) are correctly rounded doubles.
/// - Go's bare `+Inf`, `-Inf` and `NaN` (what `expvar.Float` writes for non-finite values) are
///   accepted as ``JSONTape/Kind/nonFinite``; every other deviation from RFC 8259 is an error.
/// - Strings are validated as UTF-8; escapes, including `\uXXXX` surrogate pairs, are decoded.
///   A lone surrogate escape decodes to U+FFFD, as Go's decoder does.
/// - The root must be an object, trailing non-white-space bytes are an error, nesting deeper than
///   ``Limits/maxDepth`` and bodies larger than ``Limits/maxBytes`` are rejected. Parsing is
///   iterative, so hostile nesting cannot overflow the stack.
package struct JSONScanner {
    /// Protection against hostile endpoints.
    package struct Limits: Sendable, Equatable {
        /// Maximum nesting of objects and arrays (the root object is depth 1). Default 64.
        package var maxDepth: Int = 64
        /// Maximum body size in bytes. Default 16 MiB.
        package var maxBytes: Int = 16 << 20

        package init(maxDepth: Int = 64, maxBytes: Int = 16 << 20) {
            self.maxDepth = maxDepth
            self.maxBytes = maxBytes
        }
    }

    package var limits: Limits
    private struct Open {
        package var index: Int
        package var count: UInt32
        package var isObject: Bool
    }

    /// Containers enclosing the innermost open one.
    private var stack: [Open] = []

    package init(limits: Limits = Limits()) {
        self.limits = limits
        stack.reserveCapacity(min(limits.maxDepth, 1024))
    }

    /// Parses `body` into `tape` (which is reset first).
    package mutating func parse(_ body: UnsafeRawBufferPointer, into tape: inout JSONTape) throws(JSONError) {
        tape.reset()
        stack.removeAll(keepingCapacity: true)
        let n = body.count
        guard n <= limits.maxBytes else {
            throw JSONError(
                code: .tooLarge, offset: limits.maxBytes,
                reason: "body is \(n) bytes, more than the limit of \(limits.maxBytes) (raise max_body_bytes)",
                body: body)
        }
        guard n < Int(UInt32.max) else {
            throw JSONError(code: .tooLarge, offset: 0, reason: "body is larger than 4 GiB", body: body)
        }
        var i = 0
        if n >= 3, body[0] == 0xEF, body[1] == 0xBB, body[2] == 0xBF { i = 3 }  // UTF-8 byte order mark
        i = skipSpace(body, i)
        guard i < n else {
            throw JSONError(code: .empty, offset: i, reason: "body is empty; expected a JSON object", body: body)
        }
        guard body[i] == UInt8(ascii: "{") else {
            let reason: String
            switch body[i] {
            case UInt8(ascii: "<"): reason = "body looks like HTML or XML, not a JSON object (check routepath)"
            case UInt8(ascii: "["): reason = "root is an array; expected a JSON object"
            default: reason = "root is not a JSON object"
            }
            throw JSONError(code: .notAnObject, offset: i, reason: reason, body: body)
        }

        // Nodes are written through a raw pointer; the tape's count is updated on every exit.
        let storage = tape.storage
        var nodes = storage.base
        var capacity = storage.capacity
        var count = 0
        defer { tape.count = count }
        @inline(__always) func append(_ node: JSONTape.Node) {
            if count == capacity {
                storage.grow(keeping: count)
                nodes = storage.base
                capacity = storage.capacity
            }
            nodes[count] = node
            count += 1
        }
        // The innermost open container; outer ones are on `stack`.
        var current = -1
        var currentCount: UInt32 = 0
        var currentIsObject = false
        let maxDepth = limits.maxDepth
        // Set when `{` opened a non-empty object: its first key comes next.
        var keyNext = false

        // Each turn of the loop parses one value at `i` (white space already skipped); after a
        // scalar or a closed container it consumes separators and closers until the next value.
        valueLoop: while true {
            guard i < n else { throw truncated(body, i, "a value") }
            let c = body[i]
            switch c {
            case UInt8(ascii: "\""):
                let (end, node) = try parseString(body, i, kind: .string, &tape.arena)
                append(node)
                i = end
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"):
                var (end, node) = try parseNumber(body, i)
                append(node)
                i = end
                if !currentIsObject {
                    // A run of numbers in an array (Go's PauseNs, PauseEnd): stay in a tight loop.
                    while i + 2 < n, body[i] == UInt8(ascii: ",") {
                        let digit = body[i + 1] &- UInt8(ascii: "0")
                        let after = body[i + 2]
                        if digit < 10, after == UInt8(ascii: ",") || after == UInt8(ascii: "]") {
                            // A single digit (Go's unused ring slots are all `0`).
                            currentCount &+= 1
                            append(JSONTape.Node(kind: .int, payload: UInt64(digit)))
                            i += 2
                            // Then four `0` slots at a time: ",0,0,0,0" followed by `,` or `]`.
                            while i + 8 < n,
                                UInt64(littleEndian: body.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                                    == 0x302C_302C_302C_302C,
                                body[i + 8] == UInt8(ascii: ",") || body[i + 8] == UInt8(ascii: "]")
                            {
                                while count + 4 > capacity {
                                    storage.grow(keeping: count)
                                    nodes = storage.base
                                    capacity = storage.capacity
                                }
                                let zero = JSONTape.Node(kind: .int, payload: 0)
                                nodes[count] = zero
                                nodes[count + 1] = zero
                                nodes[count + 2] = zero
                                nodes[count + 3] = zero
                                count += 4
                                currentCount &+= 4
                                i += 8
                            }
                            continue
                        }
                        guard digit < 10 || body[i + 1] == UInt8(ascii: "-") else { break }
                        currentCount &+= 1
                        (end, node) = try parseNumber(body, i + 1)
                        append(node)
                        i = end
                    }
                }
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard stack.count < maxDepth else {
                    throw JSONError(
                        code: .tooDeep, offset: i,
                        reason: "nesting deeper than \(maxDepth) levels (raise max_depth if this is expected)",
                        body: body)
                }
                let isObject = c == UInt8(ascii: "{")
                stack.append(Open(index: current, count: currentCount, isObject: currentIsObject))
                current = count
                currentCount = 0
                currentIsObject = isObject
                append(JSONTape.Node(kind: isObject ? .object : .array))
                i = skipSpace(body, i + 1)
                guard i < n else { throw truncated(body, i, isObject ? "an object" : "an array") }
                if body[i] == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    // Empty container: close it and go on with the after-value handling below.
                    nodes[current].payload = UInt64(count)
                    let outer = stack.removeLast()
                    current = outer.index
                    currentCount = outer.count
                    currentIsObject = outer.isObject
                    i += 1
                } else {
                    guard isObject else { continue valueLoop }
                    keyNext = true
                }
            case UInt8(ascii: "t"):
                i = try literal(body, i, "true")
                append(JSONTape.Node(kind: .bool, payload: 1))
            case UInt8(ascii: "f"):
                i = try literal(body, i, "false")
                append(JSONTape.Node(kind: .bool, payload: 0))
            case UInt8(ascii: "n"):
                i = try literal(body, i, "null")
                append(JSONTape.Node(kind: .null))
            case UInt8(ascii: "N"):
                i = try literal(body, i, "NaN")
                append(JSONTape.Node(kind: .nonFinite, payload: 2))
            case UInt8(ascii: "+"):
                i = try literal(body, i, "+Inf")
                append(JSONTape.Node(kind: .nonFinite, payload: 0))
            default:
                throw unexpected(body, i, "a value")
            }

            // After a value: separators and closers (skipped when an object was just opened).
            while !keyNext {
                guard current >= 0 else {
                    i = skipSpace(body, i)
                    guard i == n else {
                        throw JSONError(
                            code: .trailingData, offset: i, reason: "unexpected data after the root object",
                            body: body)
                    }
                    return
                }
                currentCount &+= 1
                if i < n, body[i] == UInt8(ascii: ",") {
                    // The common case: a comma right after the value.
                    i += 1
                } else {
                    i = skipSpace(body, i)
                    guard i < n else { throw truncated(body, i, currentIsObject ? "an object" : "an array") }
                    let c = body[i]
                    if c == UInt8(ascii: ",") {
                        i += 1
                    } else {
                        guard c == (currentIsObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) else {
                            throw unexpected(body, i, currentIsObject ? "',' or '}'" : "',' or ']'")
                        }
                        nodes[current].payload = UInt64(count)
                        nodes[current].count = currentCount
                        let outer = stack.removeLast()
                        current = outer.index
                        currentCount = outer.count
                        currentIsObject = outer.isObject
                        i += 1
                        continue
                    }
                }
                i = skipSpace(body, i)
                guard currentIsObject else { continue valueLoop }
                break
            }
            // The next key. Fast path, inline: plain ASCII directly followed by `:` (Go writes no space).
            keyNext = false
            if i < n, body[i] == UInt8(ascii: "\""), let close = plainStringEnd(body, i + 1), close + 1 < n,
                body[close + 1] == UInt8(ascii: ":")
            {
                append(JSONTape.Node(kind: .key, count: UInt32(close - i - 1), start: UInt32(i + 1)))
                i = skipSpace(body, close + 2)
            } else {
                let (end, key) = try parseKey(body, i, &tape.arena)
                append(key)
                i = end
            }
        }
    }

    // MARK: - Pieces

    @inline(__always)
    private func skipSpace(_ p: UnsafeRawBufferPointer, _ start: Int) -> Int {
        var i = start
        let n = p.count
        while i < n {
            let c = p[i]
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { break }
            i += 1
        }
        return i
    }

    /// Bytes of `x` that end the plain run of a string: quote, backslash, control or non-ASCII.
    /// The lowest flagged byte of these bit tricks is exact (borrows only run upwards).
    @inline(__always)
    private func specialBytes(_ x: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let quote = x ^ (ones &* 0x22)
        let backslash = x ^ (ones &* 0x5C)
        return (((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((x &- ones &* 0x20) & ~x) | x)
            & 0x8080_8080_8080_8080
    }

    /// The index of the closing quote of the string whose content starts at `start`, when the content is
    /// plain ASCII (no escape or control byte) and the quote is found within whole 8-byte loads; else nil,
    /// and ``parseString(_:_:kind:_:)`` decides.
    @inline(__always)
    private func plainStringEnd(_ p: UnsafeRawBufferPointer, _ start: Int) -> Int? {
        var i = start
        while i + 8 <= p.count {
            let special = specialBytes(p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            if special == 0 {
                i += 8
                continue
            }
            i += special.trailingZeroBitCount >> 3
            return p[i] == UInt8(ascii: "\"") ? i : nil
        }
        return nil
    }

    /// Parses `"key"` then white space, `:` and white space; returns the index of the value.
    @inline(__always)
    private func parseKey(_ p: UnsafeRawBufferPointer, _ start: Int, _ arena: inout [UInt8]) throws(JSONError) -> (
        Int, JSONTape.Node
    ) {
        guard start < p.count else { throw truncated(p, start, "an object key") }
        guard p[start] == UInt8(ascii: "\"") else { throw unexpected(p, start, "an object key (a string)") }
        var (i, node) = try parseString(p, start, kind: .key, &arena)
        if i < p.count, p[i] == UInt8(ascii: ":") {
            i += 1
        } else {
            i = skipSpace(p, i)
            guard i < p.count else { throw truncated(p, i, "':'") }
            guard p[i] == UInt8(ascii: ":") else { throw unexpected(p, i, "':'") }
            i += 1
        }
        return (skipSpace(p, i), node)
    }

    /// Parses a string starting at its opening quote; returns the index after the closing quote.
    @inline(__always)
    private func parseString(
        _ p: UnsafeRawBufferPointer, _ quote: Int, kind: JSONTape.Kind, _ arena: inout [UInt8]
    ) throws(JSONError) -> (Int, JSONTape.Node) {
        let n = p.count
        let start = quote + 1
        var i = start
        // Eight bytes at a time: find the first quote, backslash, control byte or non-ASCII byte.
        while i + 8 <= n {
            let special = specialBytes(p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            if special == 0 {
                i += 8
                continue
            }
            i += special.trailingZeroBitCount >> 3
            let c = p[i]
            if c == UInt8(ascii: "\"") {
                return (i + 1, JSONTape.Node(kind: kind, count: UInt32(i - start), start: UInt32(start)))
            }
            if c == UInt8(ascii: "\\") { return try parseEscapedString(p, start, i, kind: kind, &arena) }
            if c < 0x20 { throw controlCharacter(p, i) }
            i += try utf8Length(p, i)
        }
        while i < n {
            let c = p[i]
            if c == UInt8(ascii: "\"") {
                return (i + 1, JSONTape.Node(kind: kind, count: UInt32(i - start), start: UInt32(start)))
            }
            if c == UInt8(ascii: "\\") { return try parseEscapedString(p, start, i, kind: kind, &arena) }
            if c < 0x20 { throw controlCharacter(p, i) }
            if c >= 0x80 {
                i += try utf8Length(p, i)
            } else {
                i += 1
            }
        }
        throw truncated(p, n, "a string")
    }

    /// Slow path: copies the string into the arena, decoding escapes.
    private func parseEscapedString(
        _ p: UnsafeRawBufferPointer, _ start: Int, _ firstEscape: Int, kind: JSONTape.Kind, _ arena: inout [UInt8]
    ) throws(JSONError) -> (Int, JSONTape.Node) {
        let n = p.count
        let arenaStart = arena.count
        arena.append(contentsOf: UnsafeRawBufferPointer(rebasing: p[start..<firstEscape]))
        var i = firstEscape
        while i < n {
            let c = p[i]
            if c == UInt8(ascii: "\"") {
                let length = arena.count - arenaStart
                return (
                    i + 1, JSONTape.Node(kind: kind, decoded: true, count: UInt32(length), start: UInt32(arenaStart))
                )
            }
            if c == UInt8(ascii: "\\") {
                guard i + 1 < n else { break }
                let e = p[i + 1]
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): arena.append(e)
                case UInt8(ascii: "b"): arena.append(0x08)
                case UInt8(ascii: "f"): arena.append(0x0C)
                case UInt8(ascii: "n"): arena.append(0x0A)
                case UInt8(ascii: "r"): arena.append(0x0D)
                case UInt8(ascii: "t"): arena.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4(p, i + 2)
                    i += 6
                    if scalar >= 0xD800, scalar < 0xDC00 {
                        // High surrogate: a low surrogate escape must follow, else U+FFFD.
                        if i + 1 < n, p[i] == UInt8(ascii: "\\"), p[i + 1] == UInt8(ascii: "u") {
                            let low = try hex4(p, i + 2)
                            if low >= 0xDC00, low < 0xE000 {
                                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                                i += 6
                            } else {
                                scalar = 0xFFFD
                            }
                        } else {
                            scalar = 0xFFFD
                        }
                    } else if scalar >= 0xDC00, scalar < 0xE000 {
                        scalar = 0xFFFD
                    }
                    appendUTF8(scalar, to: &arena)
                    continue
                default:
                    throw JSONError(
                        code: .invalidString, offset: i, reason: "invalid escape sequence in a string", body: p)
                }
                i += 2
                continue
            }
            if c < 0x20 { throw controlCharacter(p, i) }
            if c >= 0x80 {
                let length = try utf8Length(p, i)
                arena.append(contentsOf: UnsafeRawBufferPointer(rebasing: p[i..<(i + length)]))
                i += length
            } else {
                arena.append(c)
                i += 1
            }
        }
        throw truncated(p, n, "a string")
    }

    @inline(__always)
    private func utf8Length(_ p: UnsafeRawBufferPointer, _ i: Int) throws(JSONError) -> Int {
        guard let length = UTF8Validation.sequenceLength(p, at: i, end: p.count) else {
            throw JSONError(code: .invalidUTF8, offset: i, reason: "invalid UTF-8 in a string", body: p)
        }
        guard length > 0 else { throw truncated(p, p.count, "a UTF-8 sequence") }
        return length
    }

    private func hex4(_ p: UnsafeRawBufferPointer, _ start: Int) throws(JSONError) -> UInt32 {
        guard start + 4 <= p.count else { throw truncated(p, p.count, "a \\u escape") }
        var value: UInt32 = 0
        for i in start..<(start + 4) {
            let c = p[i]
            let digit: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
            default:
                throw JSONError(code: .invalidString, offset: i, reason: "invalid hex digit in a \\u escape", body: p)
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    private func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case ..<0x80:
            out.append(UInt8(scalar))
        case ..<0x800:
            out.append(UInt8(0xC0 | scalar >> 6))
            out.append(UInt8(0x80 | scalar & 0x3F))
        case ..<0x10000:
            out.append(UInt8(0xE0 | scalar >> 12))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        default:
            out.append(UInt8(0xF0 | scalar >> 18))
            out.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    private func literal(_ p: UnsafeRawBufferPointer, _ start: Int, _ word: StaticString) throws(JSONError) -> Int {
        let length = word.utf8CodeUnitCount
        let w = word.utf8Start
        for k in 0..<length {
            guard start + k < p.count else { throw truncated(p, p.count, "'\(word)'") }
            guard p[start + k] == w[k] else { throw unexpected(p, start + k, "'\(word)'") }
        }
        return start + length
    }

    // MARK: - Numbers

    private static let exactPowersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18,
        1e19, 1e20, 1e21, 1e22,
    ]

    /// Parses a number (or `-Inf`) starting at `start`; returns the index after it.
    /// Fast path: an integer of at most 19 digits (every Go int and uint64 below 10^19).
    @inline(__always)
    private func parseNumber(_ p: UnsafeRawBufferPointer, _ start: Int) throws(JSONError) -> (Int, JSONTape.Node) {
        let n = p.count
        var i = start
        let negative = p[i] == UInt8(ascii: "-")
        if negative { i += 1 }
        let digitsStart = i
        var mantissa: UInt64 = 0
        // Eight digits at a time (Go's Unix-nanosecond timestamps have 19).
        while i + 8 <= n {
            let chunk = p.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let ascii: UInt64 = 0x3030_3030_3030_3030
            guard chunk & 0xF0F0_F0F0_F0F0_F0F0 == ascii,
                (chunk &+ 0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0 == ascii
            else { break }
            var v = chunk &- ascii
            v = ((v &* 10) &+ (v >> 8)) & 0x00FF_00FF_00FF_00FF
            v = ((v &* 100) &+ (v >> 16)) & 0x0000_FFFF_0000_FFFF
            v = ((v &* 10000) &+ (v >> 32)) & 0x0000_0000_FFFF_FFFF
            mantissa = mantissa &* 100_000_000 &+ v
            i += 8
        }
        while i < n {
            let d = p[i] &- UInt8(ascii: "0")
            guard d < 10 else { break }
            mantissa = mantissa &* 10 &+ UInt64(d)
            i += 1
        }
        let digits = i - digitsStart
        let next = i < n ? p[i] : 0
        guard digits > 0, digits <= 19, next != UInt8(ascii: "."), next | 0x20 != UInt8(ascii: "e"),
            digits == 1 || p[digitsStart] != UInt8(ascii: "0")
        else { return try parseNumberSlow(p, start) }
        if !negative {
            return (i, JSONTape.Node(kind: mantissa <= UInt64(Int64.max) ? .int : .uint, payload: mantissa))
        }
        if mantissa <= UInt64(Int64.max) {
            return (i, JSONTape.Node(kind: .int, payload: UInt64(bitPattern: -Int64(mantissa))))
        }
        return try parseNumberSlow(p, start)
    }

    /// Any number: fraction, exponent, more than 19 digits, `-Inf`, and the errors.
    private func parseNumberSlow(_ p: UnsafeRawBufferPointer, _ start: Int) throws(JSONError) -> (Int, JSONTape.Node) {
        let n = p.count
        var i = start
        let negative = p[i] == UInt8(ascii: "-")
        if negative {
            i += 1
            guard i < n else { throw truncated(p, i, "a number") }
            if p[i] == UInt8(ascii: "I") {
                return (try literal(p, start, "-Inf"), JSONTape.Node(kind: .nonFinite, payload: 1))
            }
        }
        var mantissa: UInt64 = 0
        var digits = 0  // significant digits accumulated into mantissa
        var overflow = false
        guard i < n else { throw truncated(p, i, "a number") }
        if p[i] == UInt8(ascii: "0") {
            i += 1
            if i < n, p[i] >= UInt8(ascii: "0"), p[i] <= UInt8(ascii: "9") {
                throw JSONError(code: .invalidNumber, offset: i, reason: "number with a leading zero", body: p)
            }
        } else if p[i] >= UInt8(ascii: "1"), p[i] <= UInt8(ascii: "9") {
            while i < n {
                let d = p[i] &- UInt8(ascii: "0")
                guard d < 10 else { break }
                let (times10, o1) = mantissa.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(UInt64(d))
                if o1 || o2 { overflow = true } else { mantissa = sum }
                digits += 1
                i += 1
            }
        } else {
            throw JSONError(code: .invalidNumber, offset: i, reason: "'-' not followed by a digit", body: p)
        }
        var isInteger = true
        var fractionDigits = 0
        if i < n, p[i] == UInt8(ascii: ".") {
            isInteger = false
            i += 1
            let first = i
            while i < n {
                let d = p[i] &- UInt8(ascii: "0")
                guard d < 10 else { break }
                if digits < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(d)
                    if mantissa != 0 { digits += 1 }
                    fractionDigits += 1
                } else {
                    overflow = true
                }
                i += 1
            }
            guard i > first else {
                if i >= n { throw truncated(p, i, "a number") }
                throw JSONError(code: .invalidNumber, offset: i, reason: "no digits after the decimal point", body: p)
            }
        }
        var exponent = 0
        if i < n, p[i] == UInt8(ascii: "e") || p[i] == UInt8(ascii: "E") {
            isInteger = false
            i += 1
            var negativeExponent = false
            if i < n, p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-") {
                negativeExponent = p[i] == UInt8(ascii: "-")
                i += 1
            }
            let first = i
            while i < n {
                let d = p[i] &- UInt8(ascii: "0")
                guard d < 10 else { break }
                if exponent < 100_000 { exponent = exponent * 10 + Int(d) }
                i += 1
            }
            guard i > first else {
                if i >= n { throw truncated(p, i, "a number") }
                throw JSONError(code: .invalidNumber, offset: i, reason: "no digits in the exponent", body: p)
            }
            if negativeExponent { exponent = -exponent }
        }
        if isInteger, !overflow {
            if negative {
                if mantissa <= UInt64(Int64.max) {
                    return (i, JSONTape.Node(kind: .int, payload: UInt64(bitPattern: -Int64(mantissa))))
                }
                if mantissa == UInt64(Int64.max) + 1 {
                    return (i, JSONTape.Node(kind: .int, payload: UInt64(bitPattern: Int64.min)))
                }
            } else {
                let kind: JSONTape.Kind = mantissa <= UInt64(Int64.max) ? .int : .uint
                return (i, JSONTape.Node(kind: kind, payload: mantissa))
            }
        }
        // Clinger's fast path: exact when the mantissa and the power of ten are exact doubles.
        let decimalExponent = exponent - fractionDigits
        var value: Double
        if !overflow, mantissa <= 1 << 53, decimalExponent >= -22, decimalExponent <= 22 {
            value = Double(mantissa)
            if decimalExponent >= 0 {
                value *= Self.exactPowersOfTen[decimalExponent]
            } else {
                value /= Self.exactPowersOfTen[-decimalExponent]
            }
            if negative { value = -value }
        } else {
            value = Self.strtod(p, start, i)
        }
        guard value.isFinite else {
            // Valid JSON, but beyond a double (1e400): as unusable downstream as Go's +Inf.
            return (i, JSONTape.Node(kind: .nonFinite, payload: value < 0 ? 1 : 0))
        }
        return (i, JSONTape.Node(kind: .double, payload: value.bitPattern))
    }

    /// Correctly rounded conversion through the C library for the rare long numbers.
    private static func strtod(_ p: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Double {
        let length = end - start
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { buffer in
            for k in 0..<length { buffer[k] = CChar(bitPattern: p[start + k]) }
            buffer[length] = 0
            #if canImport(Glibc)
                return Glibc.strtod(buffer.baseAddress!, nil)
            #else
                return Darwin.strtod(buffer.baseAddress!, nil)
            #endif
        }
    }

    // MARK: - Errors

    private func truncated(_ p: UnsafeRawBufferPointer, _ offset: Int, _ what: String) -> JSONError {
        JSONError(code: .truncated, offset: offset, reason: "body ended inside \(what) (truncated response?)", body: p)
    }

    private func unexpected(_ p: UnsafeRawBufferPointer, _ offset: Int, _ expected: String) -> JSONError {
        let byte = p[offset]
        let shown =
            byte >= 0x20 && byte < 0x7F
            ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16, uppercase: true))"
        return JSONError(
            code: .unexpectedByte, offset: offset, reason: "unexpected \(shown), expected \(expected)", body: p)
    }

    private func controlCharacter(_ p: UnsafeRawBufferPointer, _ offset: Int) -> JSONError {
        JSONError(code: .invalidString, offset: offset, reason: "unescaped control character in a string", body: p)
    }
}
