import ExpvasticBase

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A tolerant parser for the Prometheus text format 0.0.4 and OpenMetrics 1.0.
///
/// It understands `# HELP`, `# TYPE`, `# UNIT` and `# EOF`, label value escapes (`\\`, `\"`, `\n`),
/// `+Inf`, `-Inf` and `NaN`, optional timestamps (milliseconds in text 0.0.4, seconds in
/// OpenMetrics), every family type (counter, gauge, untyped/unknown, histogram, gaugehistogram,
/// summary, info, stateset) and exemplars (` # {…} value`, parsed over and ignored).
///
/// **Tolerant**: a malformed line is skipped and counted (``PrometheusScrape/linesRejected``, the
/// first one kept with its line number) and parsing goes on with the next line. **Bounded**: a line
/// with more than ``Limits/maxLabels`` labels or a label value longer than
/// ``Limits/maxLabelValueBytes`` is rejected, and sample lines beyond ``Limits/maxSeries`` are
/// counted, not stored, so memory is proportional to the body and the limits and time is linear in
/// the body.
///
/// A codec: it knows nothing of readers, documents or recorders.
public enum PrometheusParser {
    /// Per-scrape bounds.
    public struct Limits: Sendable, Equatable {
        /// Sample lines stored per body; later ones are counted in ``PrometheusScrape/samplesOverLimit``.
        public var maxSeries: Int
        /// Labels on one sample line; a line with more is rejected.
        public var maxLabels: Int
        /// Bytes of one (unescaped) label value; a line with a longer one is rejected.
        public var maxLabelValueBytes: Int

        public init(maxSeries: Int = 10_000, maxLabels: Int = 64, maxLabelValueBytes: Int = 2048) {
            self.maxSeries = maxSeries
            self.maxLabels = maxLabels
            self.maxLabelValueBytes = maxLabelValueBytes
        }
    }

    /// Parses `body` into `scrape` (which is reset first).
    public static func parse(
        _ body: UnsafeRawBufferPointer, format: PrometheusFormat, limits: Limits = Limits(),
        into scrape: inout PrometheusScrape
    ) {
        scrape.reset()
        guard body.count > 0 else { return }
        // The arena is written through a pointer (one memcpy per name or value, no Array growth
        // checks): sized to the body, which it never outgrows (every byte stored is a distinct body
        // byte; unescaping only shrinks), and cut to what was used at the end.
        var text: [UInt8] = []
        swap(&text, &scrape.text)
        text.append(contentsOf: repeatElement(0, count: body.count))
        let used = text.withUnsafeMutableBytes { arena in
            var parser = LineParser(p: body, format: format, limits: limits, arena: arena)
            parser.run(into: &scrape)
            return parser.used
        }
        text.removeLast(text.count - used)
        swap(&text, &scrape.text)
    }

    /// The metric-name bytes (`[a-zA-Z0-9_:]`) of eight bytes at once: the high bit of each byte of
    /// `word` that is one, clear for every other byte (SWAR "byte between m and n" on 7-bit values;
    /// bytes ≥ 0x80 are never name bytes). Names are a third of a node_exporter body: a byte at a
    /// time took 376 instructions per name.
    @inline(__always) package static func metricNameBytes(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let low7 = word & (ones &* 127)
        @inline(__always) func between(_ m: UInt64, _ n: UInt64) -> UInt64 {
            ((ones &* (127 &+ n)) &- low7) & (low7 &+ ones &* (127 &- m))
        }
        let inRange = between(0x2F, 0x3B) | between(0x40, 0x5B) | between(0x5E, 0x60) | between(0x60, 0x7B)
        return inRange & ~word & (ones &* 0x80)
    }

    /// Parses `body` into a new scrape.
    public static func parse(_ body: [UInt8], format: PrometheusFormat, limits: Limits = Limits()) -> PrometheusScrape {
        var scrape = PrometheusScrape()
        body.withUnsafeBytes { parse($0, format: format, limits: limits, into: &scrape) }
        return scrape
    }
}

/// One pass over a body; `p` is the body, indices are byte offsets.
private struct LineParser {
    package struct Rejected: Error {
        package var reason: String
    }

    package let p: UnsafeRawBufferPointer
    package let format: PrometheusFormat
    package let limits: PrometheusParser.Limits
    /// The family of the last `# TYPE` line (its name's range in the body): samples right after it
    /// usually belong to it.
    package var current: (name: Range<Int>, type: PrometheusMetricType)?
    /// `# TYPE` families by name, for samples that do not follow their `# TYPE` line; built from
    /// ``PrometheusScrape/familySpans`` only when such a sample comes (well-ordered bodies never pay
    /// for it).
    package var types: [String: PrometheusMetricType] = [:]
    package var typesIndexed = 0

    /// Where names and unescaped label values go (``PrometheusScrape/text``), and how much of it is used.
    package let arena: UnsafeMutableRawBufferPointer
    package var used = 0

    package init(
        p: UnsafeRawBufferPointer, format: PrometheusFormat, limits: PrometheusParser.Limits,
        arena: UnsafeMutableRawBufferPointer
    ) {
        self.p = p
        self.format = format
        self.limits = limits
        self.arena = arena
    }

    package mutating func run(into scrape: inout PrometheusScrape) {
        let n = p.count
        guard n > 0, let base = p.baseAddress else { return }
        var position = 0
        var lineNumber = 0
        while position < n {
            lineNumber += 1
            let start = position
            var end: Int
            if let newline = memchr(base + start, 0x0A, n - start) {
                end = base.distance(to: UnsafeRawPointer(newline))
                position = end + 1
            } else {
                end = n
                position = n
            }
            if end > start, p[end - 1] == 0x0D { end -= 1 }
            let textMark = used
            let labelMark = scrape.labels.count
            do throws(Rejected) {
                if scrape.sawEOF {
                    if isBlank(start, end) { continue }
                    throw Rejected(reason: "text after # EOF")
                }
                try line(start, end, into: &scrape)
            } catch {
                used = textMark
                scrape.labels.removeLast(scrape.labels.count - labelMark)
                scrape.linesRejected += 1
                if scrape.firstRejection == nil {
                    scrape.firstRejection = PrometheusScrape.Rejection(
                        line: lineNumber, reason: error.reason,
                        preview: JSONError.preview(UnsafeRawBufferPointer(rebasing: p[start..<end]), limit: 200))
                }
            }
        }
    }

    @inline(__always) package func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    package func isBlank(_ start: Int, _ end: Int) -> Bool {
        var i = start
        while i < end, isSpace(p[i]) { i += 1 }
        return i == end
    }

    @inline(__always) package func skipSpaces(_ i: inout Int, _ end: Int) {
        while i < end, isSpace(p[i]) { i += 1 }
    }

    @inline(__always) package static func isNameStart(_ c: UInt8) -> Bool {
        (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || c == 0x5F
    }

    @inline(__always) package static func isNameByte(_ c: UInt8) -> Bool {
        isNameStart(c) || (c >= 0x30 && c <= 0x39)
    }

    /// `[a-zA-Z0-9_:]` as bits: bytes 0-63 in the first word, 64-127 in the second.
    @inline(__always) package static func isMetricNameByte(_ c: UInt8) -> Bool {
        let word: UInt64 = c < 64 ? 0x07FF_0000_0000_0000 : 0x07FF_FFFE_87FF_FFFE
        return c < 128 && (word >> UInt64(c & 63)) & 1 != 0
    }

    /// A metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`) from `i`; returns its end.
    package func metricName(_ i: Int, _ end: Int) -> Int {
        guard i < end, Self.isNameStart(p[i]) || p[i] == 0x3A, let base = p.baseAddress else { return i }
        var j = i + 1
        while j + 8 <= end {
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: j, as: UInt64.self))
            let other = ~PrometheusParser.metricNameBytes(word) & 0x8080_8080_8080_8080
            if other != 0 { return j + other.trailingZeroBitCount / 8 }
            j += 8
        }
        while j < end, Self.isMetricNameByte(base.load(fromByteOffset: j, as: UInt8.self)) { j += 1 }
        return j
    }

    package mutating func line(_ start: Int, _ end: Int, into scrape: inout PrometheusScrape) throws(Rejected) {
        var i = start
        skipSpaces(&i, end)
        if i == end { return }
        if p[i] == UInt8(ascii: "#") {
            try comment(i + 1, end, into: &scrape)
            scrape.linesAccepted += 1
            return
        }
        try sample(i, end, into: &scrape)
        scrape.linesAccepted += 1
    }

    // MARK: Comments

    package mutating func comment(_ from: Int, _ end: Int, into scrape: inout PrometheusScrape) throws(Rejected) {
        var i = from
        skipSpaces(&i, end)
        let keywordStart = i
        while i < end, !isSpace(p[i]) { i += 1 }
        let keyword = UnsafeRawBufferPointer(rebasing: p[keywordStart..<i])
        if Self.equals(keyword, "EOF") {
            if format == .openMetrics {
                guard isBlank(i, end) else { throw Rejected(reason: "text after # EOF on its line") }
                scrape.sawEOF = true
            }
            return
        }
        let isType = Self.equals(keyword, "TYPE")
        guard isType || Self.equals(keyword, "HELP") || Self.equals(keyword, "UNIT") else {
            // Text 0.0.4 allows any other comment; OpenMetrics does not, but nothing is lost by reading on.
            return
        }
        skipSpaces(&i, end)
        let nameEnd = metricName(i, end)
        guard nameEnd > i else {
            throw Rejected(reason: "# " + String(decoding: keyword, as: UTF8.self) + " without a metric name")
        }
        guard nameEnd == end || isSpace(p[nameEnd]) else { throw Rejected(reason: "invalid metric name") }
        guard isType else { return }
        var t = nameEnd
        skipSpaces(&t, end)
        var typeEnd = end
        while typeEnd > t, isSpace(p[typeEnd - 1]) { typeEnd -= 1 }
        guard let type = PrometheusMetricType(typeName: UnsafeRawBufferPointer(rebasing: p[t..<typeEnd])) else {
            throw Rejected(reason: "unknown metric type")
        }
        current = (i..<nameEnd, type)
        scrape.familySpans.append((append(i, nameEnd), type))
    }

    // MARK: Samples

    package mutating func sample(_ from: Int, _ end: Int, into scrape: inout PrometheusScrape) throws(Rejected) {
        let nameEnd = metricName(from, end)
        guard nameEnd > from else { throw Rejected(reason: "invalid metric name") }
        var i = nameEnd
        let labelStart = scrape.labels.count
        let textMark = used
        if format == .text {
            // Text 0.0.4 allows blanks between the name and `{`.
            var j = i
            skipSpaces(&j, end)
            if j < end, p[j] == UInt8(ascii: "{") { i = j }
        }
        if i < end, p[i] == UInt8(ascii: "{") {
            try labelSet(&i, end, into: &scrape)
        }
        let labelCount = scrape.labels.count - labelStart
        guard i < end, isSpace(p[i]) else {
            throw Rejected(reason: i == end ? "no value" : "unexpected character after the metric name or labels")
        }
        skipSpaces(&i, end)
        let valueStart = i
        while i < end, !isSpace(p[i]) { i += 1 }
        guard let value = Self.float(p, valueStart, i) else { throw Rejected(reason: "invalid value") }
        skipSpaces(&i, end)
        var timestamp: Int64?
        if i < end, p[i] != UInt8(ascii: "#") {
            let tsStart = i
            while i < end, !isSpace(p[i]) { i += 1 }
            timestamp = try self.timestamp(tsStart, i)
            skipSpaces(&i, end)
        }
        if i < end {
            // An exemplar (` # {trace_id="…"} 1 [ts]`) is OpenMetrics' only trailing element; it is ignored.
            guard format == .openMetrics, p[i] == UInt8(ascii: "#") else {
                throw Rejected(reason: "unexpected text after the value")
            }
        }
        if scrape.samples.count >= limits.maxSeries {
            // Well-formed, so not a rejected line: counted, and what it stored is taken back.
            scrape.samplesOverLimit += 1
            used = textMark
            scrape.labels.removeLast(scrape.labels.count - labelStart)
            return
        }
        let nameSpan = append(from, nameEnd)
        scrape.samples.append(
            PrometheusScrape.Sample(
                name: nameSpan, labelStart: Int32(labelStart), labelCount: Int32(labelCount), value: value,
                timestampMillis: timestamp, type: type(of: from..<nameEnd, in: scrape)))
    }

    /// Copies body bytes `start..<end` to the arena.
    @inline(__always) package mutating func append(_ start: Int, _ end: Int) -> PrometheusScrape.Span {
        let spanStart = Int32(used)
        copy(start, end)
        return PrometheusScrape.Span(start: spanStart, end: Int32(used))
    }

    @inline(__always) package mutating func copy(_ start: Int, _ end: Int) {
        let count = end - start
        guard count > 0 else { return }
        precondition(used + count <= arena.count, "the Prometheus text arena outgrew its body")
        (arena.baseAddress! + used).copyMemory(from: p.baseAddress! + start, byteCount: count)
        used += count
    }

    @inline(__always) package mutating func store(_ byte: UInt8) {
        precondition(used < arena.count, "the Prometheus text arena outgrew its body")
        arena[used] = byte
        used += 1
    }

    /// `{name="value",…}` from the `{` at `i`; leaves `i` after the `}`. Labels are appended to
    /// `scrape.labels`, sorted by name.
    package mutating func labelSet(_ i: inout Int, _ end: Int, into scrape: inout PrometheusScrape) throws(Rejected) {
        let first = scrape.labels.count
        i += 1
        while true {
            skipSpaces(&i, end)
            guard i < end else { throw Rejected(reason: "unterminated label set") }
            if p[i] == UInt8(ascii: "}") {
                i += 1
                break
            }
            let nameStart = i
            guard Self.isNameStart(p[i]) else { throw Rejected(reason: "invalid label name") }
            i += 1
            while i < end, Self.isNameByte(p[i]) { i += 1 }
            let nameEnd = i
            skipSpaces(&i, end)
            guard i < end, p[i] == UInt8(ascii: "=") else { throw Rejected(reason: "expected = after a label name") }
            i += 1
            skipSpaces(&i, end)
            guard i < end, p[i] == 0x22 else { throw Rejected(reason: "expected a quoted label value") }
            i += 1
            if scrape.labels.count - first >= limits.maxLabels {
                throw Rejected(reason: "more than \(limits.maxLabels) labels (max_labels)")
            }
            let name = append(nameStart, nameEnd)
            let value = try labelValue(&i, end)
            scrape.labels.append(PrometheusScrape.Label(name: name, value: value))
            skipSpaces(&i, end)
            guard i < end else { throw Rejected(reason: "unterminated label set") }
            if p[i] == UInt8(ascii: ",") {
                i += 1
            } else if p[i] != UInt8(ascii: "}") {
                throw Rejected(reason: "expected , or } after a label value")
            }
        }
        try sortLabels(from: first, in: &scrape)
    }

    /// The escaped value after its opening quote; leaves `i` after the closing quote.
    package mutating func labelValue(_ i: inout Int, _ end: Int) throws(Rejected) -> PrometheusScrape.Span {
        let start = Int32(used)
        var run = i
        while true {
            guard i < end else { throw Rejected(reason: "unterminated label value") }
            let c = p[i]
            if c == 0x22 {
                copy(run, i)
                i += 1
                break
            }
            if c == 0x5C {
                copy(run, i)
                guard i + 1 < end else { throw Rejected(reason: "unterminated label value") }
                switch p[i + 1] {
                case 0x5C: store(0x5C)
                case 0x22: store(0x22)
                case UInt8(ascii: "n"): store(0x0A)
                default: throw Rejected(reason: "invalid escape in a label value (only \\\\, \\\" and \\n)")
                }
                i += 2
                run = i
                continue
            }
            if c >= 0x80 {
                guard let length = UTF8Validation.sequenceLength(p, at: i, end: end), length > 0 else {
                    throw Rejected(reason: "label value is not valid UTF-8")
                }
                i += length
                continue
            }
            i += 1
        }
        let span = PrometheusScrape.Span(start: start, end: Int32(used))
        if span.count > limits.maxLabelValueBytes {
            throw Rejected(reason: "label value longer than \(limits.maxLabelValueBytes) bytes (max_label_value_bytes)")
        }
        return span
    }

    /// Insertion sort by name (label sets are small and usually sorted already); equal names reject.
    package func sortLabels(from first: Int, in scrape: inout PrometheusScrape) throws(Rejected) {
        let count = scrape.labels.count - first
        guard count > 1 else { return }
        var duplicate = false
        do {
            let text = UnsafeRawBufferPointer(arena)
            func compare(_ a: PrometheusScrape.Span, _ b: PrometheusScrape.Span) -> Int {
                let common = min(a.count, b.count)
                let c =
                    common == 0
                    ? 0 : Int(memcmp(text.baseAddress! + Int(a.start), text.baseAddress! + Int(b.start), common))
                return c != 0 ? c : a.count - b.count
            }
            for k in (first + 1)..<scrape.labels.count {
                let item = scrape.labels[k]
                var j = k
                while j > first {
                    let c = compare(scrape.labels[j - 1].name, item.name)
                    if c == 0 { duplicate = true }
                    if c < 0 { break }
                    scrape.labels[j] = scrape.labels[j - 1]
                    j -= 1
                }
                scrape.labels[j] = item
            }
        }
        if duplicate { throw Rejected(reason: "duplicate label name") }
    }

    /// Milliseconds: an integer in text 0.0.4, (fractional) seconds in OpenMetrics.
    package func timestamp(_ start: Int, _ end: Int) throws(Rejected) -> Int64 {
        switch format {
        case .text:
            var i = start
            var negative = false
            if i < end, p[i] == UInt8(ascii: "-") || p[i] == UInt8(ascii: "+") {
                negative = p[i] == UInt8(ascii: "-")
                i += 1
            }
            guard i < end, end - i <= 18 else { throw Rejected(reason: "invalid timestamp (milliseconds expected)") }
            var value: Int64 = 0
            while i < end {
                let digit = p[i] &- 0x30
                guard digit < 10 else { throw Rejected(reason: "invalid timestamp (milliseconds expected)") }
                value = value * 10 + Int64(digit)
                i += 1
            }
            return negative ? -value : value
        case .openMetrics:
            guard let seconds = Self.float(p, start, end), seconds.isFinite, seconds.magnitude < 9e12 else {
                throw Rejected(reason: "invalid timestamp (seconds expected)")
            }
            return Int64((seconds * 1000).rounded())
        }
    }

    /// The declared type of a sample's family: the current `# TYPE` family when the name is its
    /// name or name plus one of its suffixes, else a look-up of the name and its suffix-less forms.
    package mutating func type(of name: Range<Int>, in scrape: PrometheusScrape) -> PrometheusMetricType {
        if let current, let type = matches(name, family: current.name, type: current.type) { return type }
        let families = scrape.familySpans
        guard !families.isEmpty else { return .untyped }
        while typesIndexed < families.count {
            let name = families[typesIndexed].name
            types[
                String(
                    decoding: UnsafeRawBufferPointer(rebasing: arena[Int(name.start)..<Int(name.end)]), as: UTF8.self)] =
                families[typesIndexed].type
            typesIndexed += 1
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: p[name]), as: UTF8.self)
        if let type = types[text] { return type }
        for suffix in ["_total", "_created", "_bucket", "_sum", "_count", "_gsum", "_gcount", "_info"]
        where text.hasSuffix(suffix) {
            let family = String(text.dropLast(suffix.utf8.count))
            if let type = types[family], type.sampleSuffixes.contains(Array(suffix.utf8)) { return type }
        }
        return .untyped
    }

    /// `name` is `family` or `family` plus one of the suffixes of `type` (ranges of the body).
    package func matches(_ name: Range<Int>, family: Range<Int>, type: PrometheusMetricType) -> PrometheusMetricType? {
        guard name.count >= family.count, let base = p.baseAddress,
            memcmp(base + name.lowerBound, base + family.lowerBound, family.count) == 0
        else { return nil }
        if name.count == family.count { return type }
        let rest = UnsafeRawBufferPointer(rebasing: p[(name.lowerBound + family.count)..<name.upperBound])
        for suffix in type.sampleSuffixes where rest.count == suffix.count {
            if suffix.withUnsafeBytes({ memcmp($0.baseAddress!, rest.baseAddress!, rest.count) == 0 }) { return type }
        }
        return nil
    }

    /// Byte-wise equality with an ASCII word.
    @inline(__always) package static func equals(_ bytes: UnsafeRawBufferPointer, _ word: StaticString) -> Bool {
        bytes.count == word.utf8CodeUnitCount
            && (bytes.count == 0 || memcmp(bytes.baseAddress!, word.utf8Start, bytes.count) == 0)
    }

    // MARK: Numbers

    private static let powersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18,
        1e19, 1e20, 1e21, 1e22,
    ]

    /// A Go `ParseFloat` value: decimal or exponent notation, `[+-]Inf`, `NaN` (any case). The
    /// common short decimals are converted exactly without `strtod` (Clinger's fast path:
    /// mantissa < 2^53, |exponent| ≤ 22); the rest go to `strtod`, which is correctly rounded.
    package static func float(_ p: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Double? {
        guard start < end else { return nil }
        var i = start
        var negative = false
        if p[i] == UInt8(ascii: "-") || p[i] == UInt8(ascii: "+") {
            negative = p[i] == UInt8(ascii: "-")
            i += 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var exponent = 0
        var sawDigit = false
        var truncated = false
        while i < end, p[i] &- 0x30 < 10 {
            sawDigit = true
            if digits < 19 {
                mantissa = mantissa * 10 + UInt64(p[i] &- 0x30)
                if mantissa != 0 { digits += 1 }
            } else {
                truncated = true
            }
            i += 1
        }
        if i < end, p[i] == UInt8(ascii: ".") {
            i += 1
            while i < end, p[i] &- 0x30 < 10 {
                sawDigit = true
                if digits < 19 {
                    mantissa = mantissa * 10 + UInt64(p[i] &- 0x30)
                    if mantissa != 0 { digits += 1 }
                    exponent -= 1
                } else {
                    truncated = true
                }
                i += 1
            }
        }
        if sawDigit, i < end, p[i] | 0x20 == UInt8(ascii: "e") {
            i += 1
            var expNegative = false
            if i < end, p[i] == UInt8(ascii: "-") || p[i] == UInt8(ascii: "+") {
                expNegative = p[i] == UInt8(ascii: "-")
                i += 1
            }
            var e = 0
            var expDigits = false
            while i < end, p[i] &- 0x30 < 10 {
                expDigits = true
                if e < 100_000 { e = e * 10 + Int(p[i] &- 0x30) }
                i += 1
            }
            guard expDigits else { return nil }
            exponent += expNegative ? -e : e
        }
        if sawDigit {
            guard i == end else { return nil }
            if mantissa == 0, !truncated { return negative ? -0.0 : 0.0 }
            if !truncated, mantissa < (1 << 53), exponent >= -22, exponent <= 22 {
                let value =
                    exponent < 0 ? Double(mantissa) / powersOfTen[-exponent] : Double(mantissa) * powersOfTen[exponent]
                return negative ? -value : value
            }
            return slowFloat(p, start, end)
        }
        // Inf, +Inf, -Inf, Infinity, NaN (any case), as Go's ParseFloat accepts them.
        let word = UnsafeRawBufferPointer(rebasing: p[i..<end])
        if equalsIgnoringCase(word, "inf") || equalsIgnoringCase(word, "infinity") {
            return negative ? -.infinity : .infinity
        }
        if equalsIgnoringCase(word, "nan") { return .nan }
        return nil
    }

    private static func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ word: StaticString) -> Bool {
        guard bytes.count == word.utf8CodeUnitCount else { return false }
        for k in 0..<bytes.count where bytes[k] | 0x20 != word.utf8Start[k] { return false }
        return true
    }

    /// `strtod` on a NUL-terminated copy; the whole token must be consumed and be a plain decimal
    /// (no hex floats, which Go's text parser would accept but no exporter writes).
    private static func slowFloat(_ p: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Double? {
        let length = end - start
        guard length < 400 else { return nil }
        for k in start..<end {
            let c = p[k]
            guard (c &- 0x30 < 10) || c == UInt8(ascii: ".") || c | 0x20 == UInt8(ascii: "e") || c == 0x2B || c == 0x2D
            else { return nil }
        }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { buffer in
            for k in 0..<length { buffer[k] = CChar(bitPattern: p[start + k]) }
            buffer[length] = 0
            var stop: UnsafeMutablePointer<CChar>?
            let value = strtod(buffer.baseAddress!, &stop)
            guard let stop, buffer.baseAddress!.distance(to: stop) == length else { return nil }
            return value
        }
    }
}
