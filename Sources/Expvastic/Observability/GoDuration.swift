/// Go's `time.ParseDuration` syntax: a sequence of decimal numbers with units, e.g. `300ms`, `1.5h`, `2h45m`,
/// optionally signed. Units: `ns`, `us` (or `µs`), `ms`, `s`, `m`, `h`. `0` alone is allowed.
enum GoDuration {
    /// The duration, or nil when `text` is not Go duration syntax or exceeds ±292 years.
    static func parse(_ text: String) -> Duration? {
        var scalars = Substring(text).unicodeScalars[...]
        var negative = false
        if let first = scalars.first, first == "-" || first == "+" {
            negative = first == "-"
            scalars = scalars.dropFirst()
        }
        if String(scalars) == "0" { return .zero }
        guard !scalars.isEmpty else { return nil }
        var totalNanos: Double = 0
        while !scalars.isEmpty {
            var whole: Double = 0
            var fraction: Double = 0
            var scale: Double = 1
            var digits = 0
            while let value = scalars.first.flatMap(digitValue) {
                whole = whole * 10 + Double(value)
                digits += 1
                scalars = scalars.dropFirst()
            }
            if scalars.first == "." {
                scalars = scalars.dropFirst()
                while let value = scalars.first.flatMap(digitValue) {
                    scale /= 10
                    fraction += Double(value) * scale
                    digits += 1
                    scalars = scalars.dropFirst()
                }
            }
            guard digits > 0 else { return nil }
            var unit = ""
            while let letter = scalars.first, letter != ".", digitValue(letter) == nil {
                unit.unicodeScalars.append(letter)
                scalars = scalars.dropFirst()
            }
            let nanosPerUnit: Double
            switch unit {
            case "ns": nanosPerUnit = 1
            case "us", "µs", "μs": nanosPerUnit = 1e3
            case "ms": nanosPerUnit = 1e6
            case "s": nanosPerUnit = 1e9
            case "m": nanosPerUnit = 60e9
            case "h": nanosPerUnit = 3600e9
            default: return nil
            }
            totalNanos += (whole + fraction) * nanosPerUnit
            guard totalNanos < 9.2e18 else { return nil }
        }
        let nanos = Int64(totalNanos.rounded())
        return .nanoseconds(negative ? -nanos : nanos)
    }

    private static func digitValue(_ scalar: Unicode.Scalar) -> Int? {
        (48...57).contains(scalar.value) ? Int(scalar.value - 48) : nil
    }
}
